/**
 * The cluster bus's messages, byte for byte as Redis 7.0 sends them (cluster.h's
 * clusterMsg): a 2256-byte header (signature "RCmb", total length, protocol version 1, the
 * sender's ports, name, epochs, replication offset, slot bitmap, master, flags and view of
 * the cluster's state), then the type's data: gossip entries of 104 bytes for PING, PONG
 * and MEET (followed by extensions), a node name for FAIL, a channel and message for
 * PUBLISH, a slot bitmap and epoch for UPDATE, nothing for the failover messages. Numbers
 * are big-endian. Nothing here knows about sockets or cluster state: encode builds bytes,
 * decode reads them.
 */
import { bytesToString } from "../resp/bytes.ts";
import { CLUSTER_SLOTS } from "../store/slots.ts";

export const MsgType = {
  Ping: 0, Pong: 1, Meet: 2, Fail: 3, Publish: 4, FailoverAuthRequest: 5, FailoverAuthAck: 6, Update: 7, MfStart: 8, Module: 9, PublishShard: 10,
} as const;
export const MSG_TYPE_COUNT = 11;
export const MSG_TYPE_NAMES = ["ping", "pong", "meet", "fail", "publish", "auth-req", "auth-ack", "update", "mfstart", "module", "publishshard"];

/** Node flags, as cluster.h numbers them (they travel in headers and gossip). */
export const NodeFlag = {
  Master: 1, Slave: 2, PFail: 4, Fail: 8, Myself: 16, Handshake: 32, NoAddr: 64, Meet: 128, MigrateTo: 256, NoFailover: 512,
} as const;

/** mflags[0] bits. */
export const MFLAG_PAUSED = 1;
export const MFLAG_FORCEACK = 2;
export const MFLAG_EXT_DATA = 4;

export const NAME_LEN = 40;
export const IP_LEN = 46;
export const HEADER_LEN = 2256;
export const GOSSIP_LEN = 104;
const SLOT_BYTES = CLUSTER_SLOTS / 8;
export const NULL_NAME = "\0".repeat(NAME_LEN);
const EXT_HOSTNAME = 0;

/** What a node says about itself in every message it sends. */
export interface SenderInfo {
  port: number;
  pport: number;
  cport: number;
  currentEpoch: number;
  configEpoch: number;
  offset: number;
  name: string;
  slots: Uint8Array;
  master: string | undefined;
  ip: string;
  flags: number;
  stateOk: boolean;
  mflags: number;
}

export interface GossipEntry {
  name: string;
  pingSent: number;
  pongReceived: number;
  ip: string;
  port: number;
  cport: number;
  flags: number;
  pport: number;
}

/** A received message's header and data, decoded. */
export interface Message extends SenderInfo {
  type: number;
  count: number;
  ver: number;
  gossip: GossipEntry[];
  hostname: string;
  /** FAIL: the failing node; UPDATE: the slots' owner, its config epoch and slots. */
  about: string;
  aboutEpoch: number;
  aboutSlots: Uint8Array;
  /** PUBLISH and PUBLISHSHARD. */
  channel: Uint8Array;
  payload: Uint8Array;
}

function writeAscii(buf: Uint8Array, at: number, text: string, max: number): void {
  for (let i = 0; i < max; i++) buf[at + i] = i < text.length ? text.charCodeAt(i) & 0xff : 0;
}

function readAscii(buf: Uint8Array, at: number, max: number): string {
  let end = at;
  while (end < at + max && buf[end] !== 0) end++;
  return bytesToString(buf.subarray(at, end));
}

function readName(buf: Uint8Array, at: number): string {
  return bytesToString(buf.subarray(at, at + NAME_LEN));
}

/** A message of `type` with `dataLen` bytes after the header, the header filled in. */
function build(type: number, from: SenderInfo, dataLen: number, count = 0): { buf: Uint8Array; view: DataView } {
  const buf = new Uint8Array(HEADER_LEN + dataLen);
  const view = new DataView(buf.buffer);
  buf.set([0x52, 0x43, 0x6d, 0x62], 0); // "RCmb"
  view.setUint32(4, buf.length);
  view.setUint16(8, 1);
  view.setUint16(10, from.port);
  view.setUint16(12, type);
  view.setUint16(14, count);
  view.setBigUint64(16, BigInt(from.currentEpoch));
  view.setBigUint64(24, BigInt(from.configEpoch));
  view.setBigUint64(32, BigInt(Math.max(0, from.offset)));
  writeAscii(buf, 40, from.name, NAME_LEN);
  buf.set(from.slots, 80);
  if (from.master !== undefined) writeAscii(buf, 2128, from.master, NAME_LEN);
  writeAscii(buf, 2168, from.ip, IP_LEN);
  view.setUint16(2246, from.pport);
  view.setUint16(2248, from.cport);
  view.setUint16(2250, from.flags);
  buf[2252] = from.stateOk ? 0 : 1;
  buf[2253] = from.mflags;
  return { buf, view };
}

/** PING, PONG or MEET with gossip about other nodes, and the announced hostname if any. */
export function encodePing(type: number, from: SenderInfo, gossip: readonly GossipEntry[], hostname = ""): Uint8Array {
  const extLen = hostname === "" ? 0 : 8 + Math.ceil((hostname.length + 1) / 8) * 8;
  const { buf, view } = build(type, { ...from, mflags: from.mflags | (extLen > 0 ? MFLAG_EXT_DATA : 0) }, gossip.length * GOSSIP_LEN + extLen, gossip.length);
  let at = HEADER_LEN;
  for (const g of gossip) {
    writeAscii(buf, at, g.name, NAME_LEN);
    view.setUint32(at + 40, Math.floor(g.pingSent / 1000) >>> 0);
    view.setUint32(at + 44, Math.floor(g.pongReceived / 1000) >>> 0);
    writeAscii(buf, at + 48, g.ip, IP_LEN);
    view.setUint16(at + 94, g.port);
    view.setUint16(at + 96, g.cport);
    view.setUint16(at + 98, g.flags);
    view.setUint16(at + 100, g.pport);
    at += GOSSIP_LEN;
  }
  if (extLen > 0) {
    view.setUint16(2214, 1);
    view.setUint32(at, extLen);
    view.setUint16(at + 4, EXT_HOSTNAME);
    writeAscii(buf, at + 8, hostname, extLen - 8);
  }
  return buf;
}

export function encodeFail(from: SenderInfo, failing: string): Uint8Array {
  const { buf } = build(MsgType.Fail, from, NAME_LEN);
  writeAscii(buf, HEADER_LEN, failing, NAME_LEN);
  return buf;
}

export function encodeUpdate(from: SenderInfo, owner: string, configEpoch: number, slots: Uint8Array): Uint8Array {
  const { buf, view } = build(MsgType.Update, from, 8 + NAME_LEN + SLOT_BYTES);
  view.setBigUint64(HEADER_LEN, BigInt(configEpoch));
  writeAscii(buf, HEADER_LEN + 8, owner, NAME_LEN);
  buf.set(slots, HEADER_LEN + 8 + NAME_LEN);
  return buf;
}

export function encodePublish(type: number, from: SenderInfo, channel: Uint8Array, message: Uint8Array): Uint8Array {
  const { buf, view } = build(type, from, 8 + channel.length + message.length);
  view.setUint32(HEADER_LEN, channel.length);
  view.setUint32(HEADER_LEN + 4, message.length);
  buf.set(channel, HEADER_LEN + 8);
  buf.set(message, HEADER_LEN + 8 + channel.length);
  return buf;
}

/** FAILOVER_AUTH_REQUEST, FAILOVER_AUTH_ACK and MFSTART carry the header only. */
export function encodeBare(type: number, from: SenderInfo): Uint8Array {
  return build(type, from, 0).buf;
}

/**
 * The length of the message at the front of `buf` once its first 8 bytes are there: -1 when
 * fewer, 0 when it is not a bus message (bad signature or a length below the header's).
 */
export function frameLength(buf: Uint8Array, at: number, end: number): number {
  if (end - at < 8) return -1;
  if (buf[at] !== 0x52 || buf[at + 1] !== 0x43 || buf[at + 2] !== 0x6d || buf[at + 3] !== 0x62) return 0;
  const len = ((buf[at + 4]! << 24) | (buf[at + 5]! << 16) | (buf[at + 6]! << 8) | buf[at + 7]!) >>> 0;
  return len < HEADER_LEN ? 0 : len;
}

/**
 * Decode one whole message; undefined when its length does not match what its type and
 * counts say (Redis's clusterIsValidPacket), which the caller ignores.
 */
export function decode(msg: Uint8Array): Message | undefined {
  const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const type = view.getUint16(12);
  const count = view.getUint16(14);
  const master = readName(msg, 2128);
  const m: Message = {
    type, count, ver: view.getUint16(8),
    port: view.getUint16(10), pport: view.getUint16(2246), cport: view.getUint16(2248),
    currentEpoch: Number(view.getBigUint64(16)), configEpoch: Number(view.getBigUint64(24)), offset: Number(view.getBigUint64(32)),
    name: readName(msg, 40), slots: msg.subarray(80, 80 + SLOT_BYTES), master: master === NULL_NAME ? undefined : master,
    ip: readAscii(msg, 2168, IP_LEN), flags: view.getUint16(2250), stateOk: msg[2252] === 0, mflags: msg[2253]!,
    gossip: [], hostname: "", about: "", aboutEpoch: 0, aboutSlots: EMPTY, channel: EMPTY, payload: EMPTY,
  };
  const len = msg.length;
  switch (type) {
    case MsgType.Ping:
    case MsgType.Pong:
    case MsgType.Meet: {
      let at = HEADER_LEN + count * GOSSIP_LEN;
      if (at > len) return undefined;
      for (let g = HEADER_LEN; g < at; g += GOSSIP_LEN) {
        m.gossip.push({
          name: readName(msg, g), pingSent: view.getUint32(g + 40) * 1000, pongReceived: view.getUint32(g + 44) * 1000,
          ip: readAscii(msg, g + 48, IP_LEN), port: view.getUint16(g + 94), cport: view.getUint16(g + 96),
          flags: view.getUint16(g + 98), pport: view.getUint16(g + 100),
        });
      }
      if ((m.mflags & MFLAG_EXT_DATA) !== 0) {
        for (let n = view.getUint16(2214); n > 0; n--) {
          if (at + 8 > len) return undefined;
          const extLen = view.getUint32(at);
          if (extLen < 8 || at + extLen > len) return undefined;
          if (view.getUint16(at + 4) === EXT_HOSTNAME) m.hostname = readAscii(msg, at + 8, extLen - 8);
          at += extLen;
        }
      }
      return at === len ? m : undefined;
    }
    case MsgType.Fail:
      if (len !== HEADER_LEN + NAME_LEN) return undefined;
      m.about = readName(msg, HEADER_LEN);
      return m;
    case MsgType.Publish:
    case MsgType.PublishShard: {
      if (len < HEADER_LEN + 8) return undefined;
      const chLen = view.getUint32(HEADER_LEN);
      const msgLen = view.getUint32(HEADER_LEN + 4);
      if (len !== HEADER_LEN + 8 + chLen + msgLen) return undefined;
      m.channel = msg.subarray(HEADER_LEN + 8, HEADER_LEN + 8 + chLen);
      m.payload = msg.subarray(HEADER_LEN + 8 + chLen, len);
      return m;
    }
    case MsgType.Update:
      if (len !== HEADER_LEN + 8 + NAME_LEN + SLOT_BYTES) return undefined;
      m.aboutEpoch = Number(view.getBigUint64(HEADER_LEN));
      m.about = readName(msg, HEADER_LEN + 8);
      m.aboutSlots = msg.subarray(HEADER_LEN + 8 + NAME_LEN, len);
      return m;
    case MsgType.FailoverAuthRequest:
    case MsgType.FailoverAuthAck:
    case MsgType.MfStart:
      return len === HEADER_LEN ? m : undefined;
    default:
      // MODULE and types from later versions: valid, and ignored by the caller.
      return m;
  }
}

const EMPTY = new Uint8Array(0);
