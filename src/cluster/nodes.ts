/**
 * Cluster nodes as one node knows them (Redis's clusterNode), their one-line description
 * (CLUSTER NODES, CLUSTER REPLICAS and the lines of nodes.conf share it, as in Redis's
 * clusterGenNodeDescription), and nodes.conf read back into nodes. The bus links and the
 * protocol are cluster.ts's; this file holds no sockets.
 */
import { randomHex } from "../resp/bytes.ts";
import { CLUSTER_SLOTS } from "../store/slots.ts";
import { NodeFlag } from "./message.ts";

/** What cluster.ts keeps per bus connection; nodes only point at theirs. */
export interface LinkRef {
  readonly ctime: number;
  readonly inbound: boolean;
  readonly pendingBytes: number;
  close(): void;
}

export class ClusterNode {
  name: string;
  flags: number;
  configEpoch = 0;
  readonly slots = new Uint8Array(CLUSTER_SLOTS / 8);
  numSlots = 0;
  master: ClusterNode | undefined;
  replicas: ClusterNode[] = [];
  readonly ctime = Date.now();
  pingSent = 0;
  pongReceived = 0;
  dataReceived = 0;
  failTime = 0;
  votedTime = 0;
  /** Since when this master has had no working replica (replica migration). */
  orphanedTime = 0;
  replOffset = 0;
  replOffsetTime = 0;
  ip = "";
  port = 0;
  pport = 0;
  cport = 0;
  hostname = "";
  link: LinkRef | undefined;
  inboundLink: LinkRef | undefined;
  /** Masters that reported this node as failing, with the time of their last report. */
  readonly failReports = new Map<ClusterNode, number>();

  constructor(name: string | undefined, flags: number) {
    this.name = name ?? randomNodeName();
    this.flags = flags;
  }

  get isMaster(): boolean {
    return (this.flags & NodeFlag.Master) !== 0;
  }
  get isReplica(): boolean {
    return (this.flags & NodeFlag.Slave) !== 0;
  }
  get inHandshake(): boolean {
    return (this.flags & NodeFlag.Handshake) !== 0;
  }
  get failed(): boolean {
    return (this.flags & NodeFlag.Fail) !== 0;
  }
  get timedOut(): boolean {
    return (this.flags & NodeFlag.PFail) !== 0;
  }
  get hasAddr(): boolean {
    return (this.flags & NodeFlag.NoAddr) === 0;
  }
  get isMyself(): boolean {
    return (this.flags & NodeFlag.Myself) !== 0;
  }

  hasSlot(slot: number): boolean {
    return (this.slots[slot >> 3]! & (1 << (slot & 7))) !== 0;
  }

  setSlotBit(slot: number, on: boolean): void {
    if (on) this.slots[slot >> 3]! |= 1 << (slot & 7);
    else this.slots[slot >> 3]! &= ~(1 << (slot & 7));
    this.ranges = undefined;
  }

  /** slotRanges's answer until a slot bit changes: nodes.conf is written after every SETSLOT. */
  private ranges: Array<[number, number]> | undefined;

  /** The config epoch that counts for this node's slots: its master's when a replica. */
  get effectiveEpoch(): number {
    return this.isReplica && this.master !== undefined ? this.master.configEpoch : this.configEpoch;
  }

  /** Slots as start-end ranges. */
  slotRanges(): ReadonlyArray<[number, number]> {
    if (this.ranges !== undefined) return this.ranges;
    // A byte at a time where it is all owned or all not (nodes.conf is written after every
    // SETSLOT of a reshard: this walk was a seventh of a source node's time).
    const ranges: Array<[number, number]> = [];
    const bits = this.slots;
    let start = -1;
    for (let b = 0; b < bits.length; b++) {
      const byte = bits[b]!;
      if (byte === 0 || byte === 0xff) {
        if (byte === 0 && start >= 0) {
          ranges.push([start, b * 8 - 1]);
          start = -1;
        } else if (byte === 0xff && start < 0) start = b * 8;
        continue;
      }
      for (let k = 0; k < 8; k++) {
        const owned = (byte & (1 << k)) !== 0;
        if (owned && start < 0) start = b * 8 + k;
        else if (!owned && start >= 0) {
          ranges.push([start, b * 8 + k - 1]);
          start = -1;
        }
      }
    }
    if (start >= 0) ranges.push([start, CLUSTER_SLOTS - 1]);
    this.ranges = ranges;
    return ranges;
  }
}

/** A fresh 40-hex-digit node name. */
export function randomNodeName(): string {
  return randomHex(40);
}

/** A name as Redis accepts one (verifyClusterNodeId): 40 lowercase hex digits. */
export function isNodeName(name: string): boolean {
  return /^[0-9a-f]{40}$/.test(name);
}

const FLAG_WORDS: ReadonlyArray<[number, string]> = [
  [NodeFlag.Myself, "myself"], [NodeFlag.Master, "master"], [NodeFlag.Slave, "slave"], [NodeFlag.PFail, "fail?"],
  [NodeFlag.Fail, "fail"], [NodeFlag.Handshake, "handshake"], [NodeFlag.NoAddr, "noaddr"], [NodeFlag.NoFailover, "nofailover"],
];

export function flagsText(flags: number): string {
  const words = FLAG_WORDS.filter(([bit]) => (flags & bit) !== 0).map(([, word]) => word);
  return words.length === 0 ? "noflags" : words.join(",");
}

/** Open slots of this node (CLUSTER NODES shows them on the myself line only). */
export interface OpenSlots {
  migratingTo: ReadonlyArray<ClusterNode | undefined>;
  importingFrom: ReadonlyArray<ClusterNode | undefined>;
}

/** The node's CLUSTER NODES line (without its newline). */
export function describeNode(node: ClusterNode, open?: OpenSlots, port = node.port): string {
  let line = `${node.name} ${node.ip}:${port}@${node.cport}`;
  if (node.hostname !== "") line += `,${node.hostname}`;
  line += ` ${flagsText(node.flags)} ${node.master?.name ?? "-"} ${node.pingSent} ${node.pongReceived} ${node.effectiveEpoch}`;
  line += node.link !== undefined || node.isMyself ? " connected" : " disconnected";
  for (const [start, end] of node.slotRanges()) line += start === end ? ` ${start}` : ` ${start}-${end}`;
  if (open !== undefined) {
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      const to = open.migratingTo[j];
      if (to !== undefined) line += ` [${j}->-${to.name}]`;
      const from = open.importingFrom[j];
      if (from !== undefined) line += ` [${j}-<-${from.name}]`;
    }
  }
  return line;
}

/** What nodes.conf holds. */
export interface LoadedConfig {
  nodes: ClusterNode[];
  myself: ClusterNode;
  currentEpoch: number;
  lastVoteEpoch: number;
  migrating: Array<[number, string]>;
  importing: Array<[number, string]>;
}

/**
 * Parse nodes.conf (Redis's clusterLoadConfig): a node a line, then "vars currentEpoch N
 * lastVoteEpoch M". Throws with the line at fault; the caller stops start-up, as Redis
 * does ("Unrecoverable error: corrupted cluster config file").
 */
export function parseNodesConf(text: string): LoadedConfig {
  const byName = new Map<string, ClusterNode>();
  const get = (name: string) => {
    let n = byName.get(name);
    if (n === undefined) {
      n = new ClusterNode(name, 0);
      byName.set(name, n);
    }
    return n;
  };
  let myself: ClusterNode | undefined;
  let currentEpoch = 0;
  let lastVoteEpoch = 0;
  const migrating: Array<[number, string]> = [];
  const importing: Array<[number, string]> = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const argv = line.split(/\s+/);
    if (argv[0] === "vars") {
      for (let i = 1; i + 1 < argv.length; i += 2) {
        if (argv[i] === "currentEpoch") currentEpoch = Number(argv[i + 1]);
        else if (argv[i] === "lastVoteEpoch") lastVoteEpoch = Number(argv[i + 1]);
        else throw new Error(`Skipping unknown cluster config variable '${argv[i]}'`);
      }
      continue;
    }
    if (argv.length < 8) throw new Error(`Unrecoverable error: corrupted cluster config file "${line}".`);
    const n = get(argv[0]!);
    const addr = argv[1]!;
    const at = addr.lastIndexOf("@");
    const comma = addr.indexOf(",", at);
    const hostPort = at >= 0 ? addr.slice(0, at) : comma >= 0 ? addr.slice(0, comma) : addr;
    const colon = hostPort.lastIndexOf(":");
    if (colon < 0) throw new Error(`Unrecoverable error: corrupted cluster config file "${line}".`);
    n.ip = hostPort.slice(0, colon);
    n.port = Number(hostPort.slice(colon + 1));
    n.cport = at >= 0 ? Number(addr.slice(at + 1, comma >= 0 ? comma : undefined)) : n.port + 10000;
    if (comma >= 0) n.hostname = addr.slice(comma + 1);
    for (const word of argv[2]!.split(",")) {
      const bit = FLAG_WORDS.find(([, w]) => w === word)?.[0];
      if (bit !== undefined) n.flags |= bit;
      else if (word !== "noflags") throw new Error(`Unknown flag in redis cluster config file`);
    }
    if ((n.flags & NodeFlag.Myself) !== 0) myself = n;
    if (argv[3] !== "-") {
      const master = get(argv[3]!);
      n.master = master;
      master.replicas.push(n);
      master.replicas.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      master.flags |= NodeFlag.MigrateTo;
    }
    if (Number(argv[4]) !== 0) n.pingSent = Date.now();
    if (Number(argv[5]) !== 0) n.pongReceived = Date.now();
    n.configEpoch = Number(argv[6]);
    for (const spec of argv.slice(8)) {
      const open = /^\[(\d+)-([<>])-([0-9a-f]{40})\]$/.exec(spec);
      if (open !== null) {
        (open[2] === ">" ? migrating : importing).push([Number(open[1]), open[3]!]);
        continue;
      }
      const range = /^(\d+)(?:-(\d+))?$/.exec(spec);
      if (range === null) throw new Error(`Unrecoverable error: corrupted cluster config file "${line}".`);
      const start = Number(range[1]);
      const end = range[2] === undefined ? start : Number(range[2]);
      if (end >= CLUSTER_SLOTS || start > end) throw new Error(`Unrecoverable error: corrupted cluster config file "${line}".`);
      for (let j = start; j <= end; j++) n.setSlotBit(j, true);
    }
  }
  if (myself === undefined) throw new Error("Unrecoverable error: corrupted cluster config file (no myself node).");
  for (const n of byName.values()) {
    // A replica's slots are its master's: only masters own bits.
    if (!n.isMaster) for (let j = 0; j < CLUSTER_SLOTS; j++) n.setSlotBit(j, false);
    n.numSlots = n.slotRanges().reduce((sum, [s, e]) => sum + e - s + 1, 0);
  }
  return { nodes: [...byName.values()], myself, currentEpoch, lastVoteEpoch, migrating, importing };
}
