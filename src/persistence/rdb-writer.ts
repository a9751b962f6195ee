/**
 * Writes keys in Redis's RDB format: the counterpart of rdb-reader.ts, sharing its
 * constants. Version 10 is what Redis 7.0 writes, so the files load in Redis 7 and pass
 * redis-check-rdb. Strings that are canonical 32-bit integers use Redis's integer
 * encodings, others over 20 bytes are LZF-compressed as Redis compresses them, and
 * aggregates take the encodings Redis 7.0 saves. Whole images are walked by
 * snapshot.ts; a file goes to a temporary one that is fsynced and then renamed over the
 * old dump, so a failure at any point leaves the previous dump intact.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { copyRange } from "../resp/bytes.ts";
import { HashValue } from "../store/hash.ts";
import { ByteSlice, type BytesSink, type StoredValue, type KeyCell, isStringValue, stringOf } from "../store/keyspace.ts";
import { ListValue } from "../store/list.ts";
import { SetValue } from "../store/set.ts";
import { INVALID_ENTRIES_READ, type PendingList, StreamValue, U64_MAX, idMs, idSeq } from "../store/stream.ts";
import { REDIS_VERSION } from "../version.ts";
import { ListpackWriter } from "../store/listpack.ts";
import { packedKind, unpack, writePackedElements } from "../store/packed-values.ts";
import { crc64 } from "./crc64.ts";
import { lzfCompressRange, lzfOutput } from "../store/lzf.ts";
import { lfuCounter, lruClock } from "../store/access.ts";
import * as F from "./rdb-format.ts";

const RDB_VERSION_WRITTEN = 10;

export interface RdbOptions {
  /** rdbcompression: strings over 20 bytes are stored LZF-compressed when that saves space. */
  compression: boolean;
  /** rdbchecksum: end the file with its CRC64 (0 when off, which readers accept). */
  checksum: boolean;
  /** The image is an AOF's base file (its `aof-base` AUX field says so). */
  aofBase?: boolean;
  /** The function libraries' code (FUNCTION LOAD's payloads), saved before the keys. */
  functions?: readonly Uint8Array[];
  /** rdb-key-save-delay: microseconds each key of a snapshot streamed in slices waits (Snapshot). */
  keySaveDelay?: number;
  /** A replica's place in its master's stream as of the image (Redis's rdbSaveInfo), for a partial resync after a restart. */
  replication?: ReplicationInfo;
  /** The `used-mem` AUX field: the server's used_memory as the image starts, as Redis writes it. */
  usedMemory?: number;
  /** No keys at all (REPLCONF rdb-filter-only): the header and functions only. */
  noData?: boolean;
  /** aof-timestamp-enabled: a command-form AOF base starts with this `#TS:` annotation (Unix seconds). */
  aofTimestamp?: number;
  /** Under an LRU or LFU maxmemory-policy: each key's idle time or frequency is saved with it. */
  access?: KeyAccess;
}

/** What a key's access word is under the policy of the save (Keyspace.lfu, lfu-decay-time). */
export interface KeyAccess {
  lfu: boolean;
  decayTime: number;
}

/** RdbOptions.access for a maxmemory-policy: Redis saves access words under the -lru and -lfu ones only. */
export function accessSaved(policy: string, decayTime: number): KeyAccess | undefined {
  if (policy.endsWith("-lfu")) return { lfu: true, decayTime };
  return policy.endsWith("-lru") ? { lfu: false, decayTime } : undefined;
}

/** The repl-stream-db, repl-id and repl-offset AUX fields. */
export interface ReplicationInfo {
  streamDb: number;
  replid: string;
  offset: number;
}


/** Where a string is put as bytes for the compressor; reused. */
let scratch = Buffer.allocUnsafe(1 << 16);
/** For reading integers from bytes (stringBytes), reused. */
const scratchSlice = new ByteSlice();

/** A growing byte buffer with the RDB format's primitives. */
export class ByteSink {
  buf = Buffer.allocUnsafe(64 * 1024);
  pos = 0;

  constructor(readonly compression = true) {}

  /** The bytes written so far. */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  append(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  raw(s: string): void {
    this.ensure(s.length);
    this.pos += this.buf.write(s, this.pos, s.length, "latin1");
  }

  length(n: number): void {
    this.ensure(9);
    if (n < 1 << 6) {
      this.buf[this.pos++] = n;
    } else if (n < 1 << 14) {
      this.buf[this.pos++] = (F.RDB_14BITLEN << 6) | (n >> 8);
      this.buf[this.pos++] = n & 0xff;
    } else if (n <= 0xffffffff) {
      this.buf[this.pos++] = F.RDB_32BITLEN;
      this.buf.writeUInt32BE(n, this.pos);
      this.pos += 4;
    } else {
      this.buf[this.pos++] = F.RDB_64BITLEN;
      this.buf.writeBigUInt64BE(BigInt(n), this.pos);
      this.pos += 8;
    }
  }

  /**
   * A string, integer-encoded when Redis would (a canonical integer that fits 32 bits), and
   * LZF-compressed as rdbSaveRawString does when compression is on, the string is longer
   * than 20 bytes, and compression saves at least 4 bytes.
   */
  string(s: string): void {
    const n = s.length <= 11 && /^(0|-?[1-9][0-9]*)$/.test(s) ? Number(s) : NaN;
    if (this.int32(n)) return;
    if (this.compression && s.length > 20 && this.compressed(s)) return;
    this.length(s.length);
    this.raw(s);
  }

  /** string() of bytes [start, end) of `src` (a key or value in its cell), with no JS string made. */
  stringBytes(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 11) {
      const int = scratchSlice.of(src, start, end).integer();
      scratchSlice.release();
      if (int !== undefined && this.int32(int)) return;
    }
    if (this.compression && n > 20 && this.compressedRange(src, start, end)) return;
    this.length(n);
    this.ensure(n);
    copyRange(src, start, end, this.buf, this.pos);
    this.pos += n;
  }

  /** An integer encoding when `n` is an integer that fits 32 bits; false (nothing written) otherwise. */
  private int32(n: number): boolean {
    if (Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) {
      this.ensure(5);
      if (n >= -128 && n <= 127) {
        this.buf[this.pos++] = (F.RDB_ENCVAL << 6) | F.RDB_ENC_INT8;
        this.buf.writeInt8(n, this.pos);
        this.pos += 1;
      } else if (n >= -32768 && n <= 32767) {
        this.buf[this.pos++] = (F.RDB_ENCVAL << 6) | F.RDB_ENC_INT16;
        this.buf.writeInt16LE(n, this.pos);
        this.pos += 2;
      } else {
        this.buf[this.pos++] = (F.RDB_ENCVAL << 6) | F.RDB_ENC_INT32;
        this.buf.writeInt32LE(n, this.pos);
        this.pos += 4;
      }
      return true;
    }
    return false;
  }

  private compressed(s: string): boolean {
    if (scratch.length < s.length) scratch = Buffer.allocUnsafe(2 * s.length);
    scratch.write(s, 0, s.length, "latin1");
    return this.compressedRange(scratch, 0, s.length);
  }

  /** src[start, end) LZF-compressed when that saves at least 4 bytes; false (nothing written) otherwise. */
  private compressedRange(src: Uint8Array, start: number, end: number): boolean {
    const n = lzfCompressRange(src, start, end, end - start - 4);
    if (n < 0) return false;
    this.lzfBlob(n, end - start);
    return true;
  }

  /** The `n` bytes lzfCompressRange left in lzfOutput(), as the compressed form of `size` bytes (rdbSaveLzfBlob). */
  lzfBlob(n: number, size: number): void {
    this.u8((F.RDB_ENCVAL << 6) | F.RDB_ENC_LZF);
    this.length(n);
    this.length(size);
    this.ensure(n);
    copyRange(lzfOutput(), 0, n, this.buf, this.pos);
    this.pos += n;
  }

  /** A length that may need all 64 bits (stream IDs and counters). */
  lengthBig(v: bigint): void {
    if (v <= 0xffffffffn) return this.length(Number(v));
    this.ensure(9);
    this.buf[this.pos++] = F.RDB_64BITLEN;
    this.buf.writeBigUInt64BE(v, this.pos);
    this.pos += 8;
  }

  /** A stream ID as its two lengths, ms then seq. */
  streamId(id: bigint): void {
    this.lengthBig(idMs(id));
    this.lengthBig(idSeq(id));
  }

  /** A stream ID as 16 raw big-endian bytes (PEL keys). */
  rawStreamId(id: bigint): void {
    this.ensure(16);
    this.buf.writeBigUInt64BE(idMs(id), this.pos);
    this.buf.writeBigUInt64BE(idSeq(id), this.pos + 8);
    this.pos += 16;
  }

  u64le(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(v, this.pos);
    this.pos += 8;
  }

  f64le(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  aux(key: string, value: string): void {
    this.u8(F.RDB_OPCODE_AUX);
    this.string(key);
    this.string(value);
  }
}

/** The file header: magic, version and the AUX fields Redis writes (the replication ones not in an AOF base, as in Redis). */
export function writeHeader(out: ByteSink, options: Pick<RdbOptions, "aofBase" | "replication" | "usedMemory"> = {}, nowMs = Date.now()): void {
  out.raw(`${F.RDB_MAGIC}${String(RDB_VERSION_WRITTEN).padStart(4, "0")}`);
  out.aux("redis-ver", REDIS_VERSION);
  out.aux("redis-bits", "64");
  out.aux("ctime", String(Math.floor(nowMs / 1000)));
  out.aux("used-mem", String(options.usedMemory ?? 0));
  const replication = options.aofBase ? undefined : options.replication;
  if (replication !== undefined) {
    out.aux("repl-stream-db", String(replication.streamDb));
    out.aux("repl-id", replication.replid);
    out.aux("repl-offset", String(replication.offset));
  }
  out.aux("aof-base", options.aofBase ? "1" : "0");
}

/** The function libraries, one FUNCTION2 record each (rdbSaveFunctions), before the keys. */
export function writeFunctions(out: ByteSink, functions: readonly Uint8Array[] = []): void {
  for (const code of functions) {
    out.u8(F.RDB_OPCODE_FUNCTION2);
    out.string(Buffer.from(code.buffer, code.byteOffset, code.length).toString("latin1"));
  }
}

/** FUNCTION DUMP's payload: the libraries as FUNCTION2 records, with DUMP's footer. */
export function functionsPayload(functions: readonly Uint8Array[], compression: boolean): Uint8Array {
  const out = new ByteSink(compression);
  writeFunctions(out, functions);
  writeDumpFooter(out);
  return out.bytes();
}

/** SELECTDB and RESIZEDB opening one database's keys. */
export function writeDbHeader(out: ByteSink, id: number, size: number, expires: number): void {
  out.u8(F.RDB_OPCODE_SELECTDB);
  out.length(id);
  out.u8(F.RDB_OPCODE_RESIZEDB);
  out.length(size);
  out.length(expires);
}

/**
 * What comes before a key's type: its deadline when it has one, then under an LRU policy
 * its idle seconds (IDLE), under an LFU one its decayed counter (FREQ), as
 * rdbSaveKeyValuePair writes them; `word` is the key's access word.
 */
function writeKeyPrefix(out: ByteSink, expireAt: number | undefined, access: KeyAccess | undefined, word: number): void {
  if (expireAt !== undefined) {
    out.u8(F.RDB_OPCODE_EXPIRETIME_MS);
    out.u64le(BigInt(expireAt));
  }
  if (access === undefined) return;
  if (access.lfu) {
    out.u8(F.RDB_OPCODE_FREQ);
    out.u8(lfuCounter(word, access.decayTime));
  } else {
    out.u8(F.RDB_OPCODE_IDLE);
    out.length(Math.max(0, lruClock() - word));
  }
}

/**
 * writeKey of a key read from its cell (Database.walkForSnapshot), with no JS string or
 * object made: a string, or a small aggregate held packed, written as the one listpack
 * Redis 7.0 saves it as (a list as a quicklist of one node; a set through its object).
 */
export function writeCell(out: ByteSink, cell: KeyCell, expireAt: number | undefined, access?: KeyAccess, word = 0): void {
  writeKeyPrefix(out, expireAt, access, word);
  if (cell.packed) {
    const kind = packedKind(cell.buf, cell.valueStart);
    if (kind === "set") {
      const set = unpack(cell.buf, cell.valueStart, cell.valueEnd);
      out.u8(valueType(set));
      out.stringBytes(cell.buf, cell.keyStart, cell.keyEnd);
      writeValue(out, set);
      return;
    }
    out.u8(kind === "hash" ? F.RDB_TYPE_HASH_LISTPACK : kind === "zset" ? F.RDB_TYPE_ZSET_LISTPACK : F.RDB_TYPE_LIST_QUICKLIST_2);
    out.stringBytes(cell.buf, cell.keyStart, cell.keyEnd);
    if (kind === "list") {
      out.length(1);
      out.length(F.QUICKLIST_NODE_CONTAINER_PACKED);
    }
    listpack.reset();
    writePackedElements(cell.buf, cell.valueStart, cell.valueEnd, listpack.sink);
    writeListpack(out);
    return;
  }
  out.u8(F.RDB_TYPE_STRING);
  out.stringBytes(cell.buf, cell.keyStart, cell.keyEnd);
  if (cell.number === cell.number) out.string(String(cell.number));
  else out.stringBytes(cell.buf, cell.valueStart, cell.valueEnd);
}

/** One key: writeKeyPrefix's records, then type, key and value. */
export function writeKey(out: ByteSink, key: string, value: StoredValue, expireAt: number | undefined, access?: KeyAccess, word = 0): void {
  writeKeyPrefix(out, expireAt, access, word);
  out.u8(valueType(value));
  out.string(key);
  writeValue(out, value);
}


/**
 * The RDB type of a value: the form Redis 7.0 saves it in for the encoding OBJECT ENCODING
 * reports. Small hashes and sorted sets as one listpack, small integer sets as an intset,
 * lists as quicklist nodes of listpacks; the others element by element.
 */
function valueType(value: StoredValue): number {
  if (isStringValue(value)) return F.RDB_TYPE_STRING;
  if (value instanceof ListValue) return F.RDB_TYPE_LIST_QUICKLIST_2;
  if (value instanceof SetValue) return value.intset ? F.RDB_TYPE_SET_INTSET : F.RDB_TYPE_SET;
  if (value instanceof HashValue) return value.encoding === "listpack" ? F.RDB_TYPE_HASH_LISTPACK : F.RDB_TYPE_HASH;
  if (value instanceof StreamValue) return F.RDB_TYPE_STREAM_LISTPACKS_2;
  return value.encoding === "listpack" ? F.RDB_TYPE_ZSET_LISTPACK : F.RDB_TYPE_ZSET_2;
}

/** The listpack an aggregate is written as (one at a time, reused). */
const listpack = new ListpackWriter();

/** A set's members or a hash's pairs as RDB strings, copied from a table's cells without strings made. */
function elementsTo(out: ByteSink): BytesSink {
  return { bulkFrom: (src, start, end) => out.stringBytes(src, start, end), bulkString: (s) => out.string(s) };
}

/** A value's body in the encoding valueType names. */
function writeValue(out: ByteSink, value: StoredValue): void {
  if (isStringValue(value)) {
    out.string(stringOf(value));
  } else if (value instanceof ListValue) {
    writeQuicklist(out, value);
  } else if (value instanceof SetValue) {
    if (value.intset) writeIntset(out, value);
    else {
      out.length(value.size);
      value.writeAll(elementsTo(out));
    }
  } else if (value instanceof HashValue) {
    if (value.encoding === "listpack") {
      listpack.reset();
      value.writeAll(listpack.sink, true, true);
      writeListpack(out);
    } else {
      out.length(value.size);
      value.writeAll(elementsTo(out), true, true);
    }
  } else if (value instanceof StreamValue) {
    writeStream(out, value);
  } else if (value.encoding === "listpack") {
    listpack.reset();
    value.writePairs(listpack.sink);
    writeListpack(out);
  } else {
    // From the highest score down, as Redis walks its skiplist from the tail.
    out.length(value.size);
    for (const { member, score } of value.walk(value.size - 1, value.size, true)) {
      out.string(member);
      out.f64le(score);
    }
  }
}

/** The listpack built so far, as one RDB string (LZF-compressed as any other). */
function writeListpack(out: ByteSink): void {
  const n = listpack.close();
  out.stringBytes(listpack.buffer, 0, n);
}

/**
 * A list as Redis 7.0 saves its quicklist (RDB_TYPE_LIST_QUICKLIST_2): the node count, then
 * each node as a packed container holding a listpack, LZF-compressed where quicklist keeps
 * it so (ListValue.nodeForm), else as a string.
 */
function writeQuicklist(out: ByteSink, list: ListValue): void {
  const nodes = list.nodeCount;
  out.length(nodes);
  for (let k = 0; k < nodes; k++) {
    out.length(F.QUICKLIST_NODE_CONTAINER_PACKED);
    const size = list.nodeForm(k, listpack);
    if (list.nodeLzf >= 0) out.lzfBlob(list.nodeLzf, size);
    else out.stringBytes(listpack.buffer, 0, size);
  }
  list.walked();
}

/** Where an intset is laid out, and its members sorted (reused, grown as needed). */
let intsetBlob = Buffer.allocUnsafe(1024);
let intsetValues = new Float64Array(64);

/** A set of integers as Redis's intset: encoding and length (u32 LE), then the members in order, each in `intsetWidth` bytes LE. */
function writeIntset(out: ByteSink, set: SetValue): void {
  const width = set.intsetWidth;
  const members = set.size;
  const size = 8 + width * members;
  if (intsetBlob.length < size) intsetBlob = Buffer.allocUnsafe(2 * size);
  const blob = intsetBlob;
  blob.writeUInt32LE(width, 0);
  blob.writeUInt32LE(members, 4);
  if (width === 8) {
    const values = set.toArray().map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 0; i < members; i++) blob.writeBigInt64LE(values[i]!, 8 + 8 * i);
  } else {
    if (intsetValues.length < members) intsetValues = new Float64Array(2 * members);
    const values = intsetValues.subarray(0, members);
    const texts = set.toArray();
    for (let i = 0; i < members; i++) values[i] = Number(texts[i]);
    values.sort();
    for (let i = 0; i < members; i++) {
      if (width === 2) blob.writeInt16LE(values[i]!, 8 + 2 * i);
      else blob.writeInt32LE(values[i]!, 8 + 4 * i);
    }
  }
  out.stringBytes(blob, 0, size);
}

/**
 * A stream as Redis 7.0 writes it (RDB_TYPE_STREAM_LISTPACKS_2): each node's master ID and
 * listpack, the counters, then each group (in name order) with its PEL and its consumers.
 */
function writeStream(out: ByteSink, s: StreamValue): void {
  out.length(s.nodes.length);
  const key = Buffer.alloc(16);
  for (const node of s.nodes) {
    key.writeBigUInt64BE(idMs(node.master), 0);
    key.writeBigUInt64BE(idSeq(node.master), 8);
    out.string(key.toString("latin1"));
    out.string(Buffer.from(node.listpack()).toString("latin1"));
  }
  out.length(s.length);
  out.streamId(s.lastId);
  out.streamId(s.firstId);
  out.streamId(s.maxDeletedId);
  out.lengthBig(BigInt(s.entriesAdded));
  const groups = s.sortedGroups();
  out.length(groups.length);
  for (const group of groups) {
    out.string(group.name);
    out.streamId(group.lastId);
    out.lengthBig(group.entriesRead === INVALID_ENTRIES_READ ? U64_MAX : BigInt(group.entriesRead));
    writePel(out, group.pel, true);
    const consumers = group.sortedConsumers();
    out.length(consumers.length);
    for (const consumer of consumers) {
      out.string(consumer.name);
      out.u64le(BigInt.asUintN(64, BigInt(consumer.seenTime)));
      writePel(out, consumer.pel, false);
    }
  }
}

/** A PEL: IDs, with delivery time and count in the group's (rdbSaveStreamPEL). */
function writePel(out: ByteSink, pel: PendingList, withDelivery: boolean): void {
  out.length(pel.size);
  for (const entry of pel.range()) {
    out.rawStreamId(entry.id);
    if (!withDelivery) continue;
    out.u64le(BigInt.asUintN(64, BigInt(entry.deliveryTime)));
    out.length(entry.deliveryCount);
  }
}

/**
 * DUMP's payload: the value as an RDB type and body, then the RDB version (u16) and a
 * CRC64 of everything before it, both little-endian, as Redis's createDumpPayload.
 */
export function dumpPayload(value: StoredValue, compression: boolean): Uint8Array {
  const out = new ByteSink(compression);
  out.u8(valueType(value));
  writeValue(out, value);
  writeDumpFooter(out);
  return out.bytes();
}

/** The RDB version (u16) and a CRC64 of everything before it, both little-endian. */
function writeDumpFooter(out: ByteSink): void {
  out.u8(RDB_VERSION_WRITTEN & 0xff);
  out.u8(RDB_VERSION_WRITTEN >> 8);
  out.u64le(crc64(out.bytes()));
}


/**
 * Write `bytes` to `temp`, fsync it and rename it over `path`, so that `path` holds either
 * its old content or all of the new (the temporary file is removed on failure).
 */
export function writeFileAtomically(path: string, bytes: Uint8Array, temp = `${path}.tmp-${process.pid}`): void {
  let fd: number | undefined;
  try {
    fd = openSync(temp, "w");
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {}
    throw e;
  }
  syncDirectory(dirname(path));
}

/** fsync a folder so that a rename in it survives a crash; some filesystems refuse. */
export function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    fsyncSync(fd);
    closeSync(fd);
  } catch {}
}
