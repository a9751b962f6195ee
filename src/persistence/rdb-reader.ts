/**
 * Loads an RDB file written by Redis (or KVIS) into the keyspace. A file is read a window
 * at a time (an image received in memory is read whole) by a bounds-checked cursor; keys go
 * straight into the keyspace, which is emptied again if the file then proves corrupt (a
 * parse error or the trailing CRC64), so a corrupt file leaves the keyspace empty.
 * Any defect raises RdbError naming the file and byte offset, and the file is never
 * modified. Every value encoding Redis 2.x to 7.x writes is read (compact.ts decodes the
 * ziplist, listpack, intset and zipmap forms; streams in their three versions); module types
 * and 7.4's hashes with field TTLs are refused with a clear error.
 */
import { RdbError } from "../errors.ts";
import { bytesToString, isInt64String, latin1Slice, parseDouble } from "../resp/bytes.ts";
import { encodingLimits } from "../store/encoding.ts";
import { PACKED_MAX_ELEMENT } from "../store/packed.ts";
import { PairsBuilder } from "../store/packed-pairs.ts";
import { startPacked, unpack } from "../store/packed-values.ts";
import { PackedBytes } from "../store/value.ts";
import type { Bytes } from "../store/latin1.ts";
import { HashValue } from "../store/hash.ts";
import { ByteSlice, type Keyspace, type StoredValue, type StringValue, toStringValue } from "../store/keyspace.ts";
import { ListValue } from "../store/list.ts";
import { SetValue } from "../store/set.ts";
import { SortedSet } from "../store/sorted-set.ts";
import { Consumer, ConsumerGroup, INVALID_ENTRIES_READ, type PendingEntry, StreamNode, StreamValue, U64_MAX, makeId } from "../store/stream.ts";
import { updateClock } from "../clock.ts";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { crc64 } from "./crc64.ts";
import { CompactError, intset, ListpackCursor, listpackEntries, ziplistEntries, zipmapEntries } from "./compact.ts";
import { lzfDecompress, lzfDecompressInto } from "../store/lzf.ts";
import * as F from "./rdb-format.ts";

export interface LoadResult {
  keys: number;
  expired: number;
  version: number;
  aux: Map<string, string>;
  /** Parts of the file that were skipped, for the log. */
  warnings: string[];
}

/** Where a load stepping through a file (loadRdbSteps) has got to, at each pause. */
export interface LoadStep {
  loadedBytes: number;
  totalBytes: number;
  keys: number;
  expired: number;
  /** The writer's used-mem AUX field (0 if absent). */
  usedMem: number;
  /** Set when an image still arriving (PiecesWindow) lacks the next record's bytes: resolved once they are in. */
  until?: Promise<void>;
}

/** Called every PROGRESS_EVERY keys while a file loads. */
export type LoadProgress = (keys: number, bytesRead: number, bytesTotal: number) => void;
const PROGRESS_EVERY = 1_000_000;

/**
 * Load `path` in steps of `stepBytes` of the file, yielding after each how far it is, as
 * Redis processes events every loading-process-events-interval-bytes (the caller lets the
 * event loop run between them: Server.loadInSteps). The file is opened by the first step
 * and closed when the walk ends.
 */
export function* loadRdbSteps(
  path: string, keyspace: Keyspace, progress: LoadProgress | undefined, onFunction: FunctionLoader | undefined, stepBytes: number,
): Generator<LoadStep, LoadResult> {
  const fd = openFile(path);
  try {
    return yield* loadImageSteps(new FileWindow(fd, fstatSync(fd).size), keyspace, path, progress, onFunction, stepBytes);
  } finally {
    closeSync(fd);
  }
}

function openFile(path: string): number {
  try {
    return openSync(path, "r");
  } catch (e) {
    throw new RdbError(path, 0, `cannot read the file (${(e as Error).message})`);
  }
}

/**
 * Load the file at `path`, read a window at a time (FileWindow) rather than in one piece:
 * a dump need not fit in memory twice over while it loads, and the pages a whole copy
 * would take are never touched (reading a 50 MB dump whole took 150 ms, in 1 MB reads 11).
 * The file is read with readSync, as the parser that asks for more bytes is synchronous
 * (Bun.file reads only asynchronously).
 */
export function loadRdbPath(path: string, keyspace: Keyspace, progress?: LoadProgress, onFunction?: FunctionLoader): LoadResult {
  const fd = openFile(path);
  try {
    return loadRdb(new FileWindow(fd, fstatSync(fd).size), keyspace, path, progress, onFunction);
  } finally {
    closeSync(fd);
  }
}

/** Loads a function library met in an image (FUNCTION2): an error text when it cannot. */
export type FunctionLoader = (code: Uint8Array) => string | undefined;

/**
 * Parse a whole RDB image into the (empty) keyspace. Keys are stored as they are read; if
 * the image then proves unsound (a parse error, or the checksum at the end), the keyspace
 * is emptied again before the error is thrown. A master drops keys whose deadline has
 * passed; a replica keeps them for its master to delete.
 */
export function loadRdb(data: Uint8Array | ImageWindow, keyspace: Keyspace, name = "<memory>", progress?: LoadProgress, onFunction?: FunctionLoader): LoadResult {
  const steps = loadImageSteps(data, keyspace, name, progress, onFunction, Infinity);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * loadRdb a step at a time: the load pauses (yields) after every `stepBytes` of the image.
 * The keyspace must not change between steps but by the load.
 */
export function* loadImageSteps(
  data: Uint8Array | ImageWindow, keyspace: Keyspace, name: string, progress: LoadProgress | undefined, onFunction: FunctionLoader | undefined, stepBytes: number,
): Generator<LoadStep, LoadResult> {
  // Loaded keys are not announced as "new" keyspace events: Redis's dbAddRDBLoad adds them
  // silently (checked with DEBUG RELOAD against redis-server 7.0).
  const notifyNew = keyspace.notifyNew;
  keyspace.notifyNew = false;
  try {
    return yield* parseInto(data, keyspace, name, progress, onFunction, stepBytes);
  } catch (e) {
    keyspace.flushAll();
    keyspace.dirty = 0;
    throw e;
  } finally {
    keyspace.notifyNew = notifyNew;
  }
}

function* parseInto(
  data: Uint8Array | ImageWindow, keyspace: Keyspace, name: string, progress: LoadProgress | undefined, onFunction: FunctionLoader | undefined, stepBytes: number,
): Generator<LoadStep, LoadResult> {
  const r = new RdbCursor(data, name);
  // The key's bytes stay valid while its value is read, though the window moves meanwhile.
  r.pinned = keySlice;
  const aux = new Map<string, string>();
  const warnings: string[] = [];
  const k = new KeyRecords(keyspace, updateClock(), progress);
  const step = (): LoadStep => ({ loadedBytes: r.offset, totalBytes: r.knownSize, keys: k.keys, expired: k.expired, usedMem: Number(aux.get("used-mem")) || 0 });
  const version = yield* whole(r, step, () => {
    const magic = bytesToString(r.bytes(5));
    if (magic !== F.RDB_MAGIC) r.fail(0, "wrong signature (not an RDB file)");
    const versionText = bytesToString(r.bytes(4));
    const version = /^\d{4}$/.test(versionText) ? Number(versionText) : NaN;
    if (!(version >= 1 && version <= F.RDB_VERSION_MAX)) r.fail(5, `can't handle RDB format version ${versionText}`);
    return version;
  });
  let pauseAt = stepBytes;
  const record = (): LoadResult | undefined => {
    // The keys, the bulk of the file, in a plain loop (not the generator's).
    if (!loadKeys(r, k, pauseAt)) return undefined;
    const opAt = r.offset;
    const type = r.u8();
    switch (type) {
      case F.RDB_OPCODE_SELECTDB:
        k.db = r.length();
        if (k.db >= keyspace.dbs.length) r.fail(opAt, `database ${k.db} is out of range (databases is ${keyspace.dbs.length})`);
        break;
      case F.RDB_OPCODE_RESIZEDB: {
        // The database's size: its table is made that big at once. A key takes at least 3
        // bytes of the file, so a corrupt size cannot make it bigger than the file allows.
        const size = r.length();
        r.length();
        keyspace.dbs[k.db]!.reserve(Math.min(size, Math.floor(r.left / 3)));
        break;
      }
      case F.RDB_OPCODE_AUX: {
        const key = r.text();
        aux.set(key, r.text());
        break;
      }
      case F.RDB_OPCODE_MODULE_AUX:
        r.fail(opAt, "the file holds module data, which KVIS cannot load");
        break;
      case F.RDB_OPCODE_FUNCTION2: {
        // A library of functions: its code, which the scripting service loads (a library
        // that does not load makes the file unloadable, as in Redis).
        const code = r.string();
        const error = onFunction === undefined ? "no scripting engine to load it" : onFunction(code);
        if (error !== undefined) r.fail(opAt, `failed loading a function library: ${error}`);
        break;
      }
      case F.RDB_OPCODE_FUNCTION_PRE_GA:
        r.fail(opAt, "the file holds functions in the format of Redis 7.0's release candidates, which KVIS cannot load");
        break;
      case F.RDB_OPCODE_EOF: {
        if (version >= 5 && !keyspace.skipChecksumValidation) verifyChecksum(r);
        return { keys: k.keys, expired: k.expired, version, aux, warnings };
      }
      case F.RDB_OPCODE_SLOT_INFO:
        r.length();
        r.length();
        r.length();
        break;
    }
    return undefined;
  };
  for (;;) {
    if (r.offset >= pauseAt) {
      pauseAt = r.offset + stepBytes;
      yield step();
    }
    const result = yield* whole(r, step, record);
    if (result !== undefined) return result;
  }
}

/**
 * Read a record with `read` from where the cursor is. From an image still arriving
 * (PiecesWindow) that lacks bytes the record needs, the cursor goes back to the record's
 * start and the load waits (a step with `until`) before it reads it again, once there are
 * twice as many bytes of it: a big value arriving in many pieces is read over at most about
 * twice, rather than once a piece.
 */
function* whole<T>(r: RdbCursor, step: () => LoadStep, read: () => T): Generator<LoadStep, T> {
  for (;;) {
    r.mark = r.offset;
    try {
      return read();
    } catch (e) {
      if (!(e instanceof NeedMore)) throw e;
      keySlice.release();
      valueSlice.release();
      const until = Math.max(e.until, r.mark + 2 * (e.until - r.mark));
      r.rewind();
      yield { ...step(), until: r.whenAvailable(until) };
    }
  }
}

/** Thrown by the cursor when an image still arriving does not yet hold the bytes up to `until`. */
class NeedMore {
  constructor(readonly until: number) {}
}

/** What the key records of a load share: where they go, the pending TTL, the counts. */
class KeyRecords {
  db = 0;
  expireAt = -1;
  /** The pending IDLE (seconds) and FREQ records of the next key (-1: none). */
  idle = -1;
  freq = -1;
  keys = 0;
  expired = 0;

  constructor(
    readonly keyspace: Keyspace,
    readonly clockNow: number,
    readonly progress: LoadProgress | undefined,
  ) {}
}

/**
 * Load key records (with their EXPIRETIME, FREQ and IDLE prefixes) until the next other
 * opcode, which it leaves unread (true), or until `stopAt` (false).
 */
function loadKeys(r: RdbCursor, k: KeyRecords, stopAt: number): boolean {
  const keyspace = k.keyspace;
  for (;;) {
    const opAt = r.offset;
    if (opAt >= stopAt) return false;
    r.mark = opAt;
    const type = r.peekU8();
    if (type >= F.RDB_OPCODE_SLOT_INFO) {
      if (type === F.RDB_OPCODE_EXPIRETIME) {
        r.u8();
        k.expireAt = r.u32le() * 1000;
      } else if (type === F.RDB_OPCODE_EXPIRETIME_MS) {
        r.u8();
        k.expireAt = Number(r.u64le());
      } else if (type === F.RDB_OPCODE_FREQ) {
        r.u8();
        k.freq = r.u8();
      } else if (type === F.RDB_OPCODE_IDLE) {
        r.u8();
        k.idle = r.length();
      } else return true;
      continue;
    }
    r.u8();
    // A string key and value (or a small aggregate's packed bytes) go from the file's bytes
    // into their cell, with no string made, unless the key is there already; other keys
    // are decoded.
    const keyBytes = r.rawSlice(keySlice);
    const key = keyBytes === undefined ? r.text() : undefined;
    const value = type === F.RDB_TYPE_STRING ? r.stringValue() : loadObject(r, type, opAt);
    const expireAt = k.expireAt;
    // A key already past its deadline is dropped when loading as a master, as Redis does.
    if (expireAt !== -1 && expireAt <= k.clockNow && !keyspace.replicaMode && !keyspace.loading) {
      k.expired++;
    } else {
      const target = keyspace.dbs[k.db]!;
      let slot = -1;
      if (keyBytes !== undefined) {
        if (value instanceof PackedBytes) slot = target.loadPacked(keyBytes, value);
        else if (typeof value === "number" || value instanceof ByteSlice) slot = target.loadString(keyBytes, value);
        if (slot >= 0 && expireAt !== -1) target.loadExpiry(slot, expireAt);
      }
      const name = slot < 0 ? (key ?? keyBytes!.text()) : undefined;
      if (name !== undefined) slot = target.setKey(name, value instanceof PackedBytes ? unpackLoaded(value) : value);
      // The access time or frequency saved under an LRU or LFU policy (objectSetLRUOrLFU).
      if (k.idle >= 0 || k.freq >= 0) target.restoreAccessAt(slot, k.idle, k.freq);
      if (name !== undefined) {
        if (expireAt !== -1) target.setExpire(name, expireAt);
        // A small aggregate goes into its cell's bytes at once (store/packed-values.ts).
        target.settle();
      }
      if (++k.keys % PROGRESS_EVERY === 0) k.progress?.(k.keys, r.offset, r.size);
    }
    valueSlice.release();
    keySlice.release();
    k.expireAt = k.idle = k.freq = -1;
    if (keyspace.keyLoadDelay !== 0) loadDelay(keyspace.keyLoadDelay);
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
let keysDelayed = 0;

/** key-load-delay's wait after a key loaded (or an AOF command replayed): `us` microseconds, or for -N one every N keys (Redis's debugDelay). */
export function loadDelay(us: number): void {
  if (us < 0) us = ++keysDelayed % -us === 0 ? 1 : 0;
  if (us > 0) Atomics.wait(sleepCell, 0, 0, us / 1000);
}

/** A small aggregate loaded packed, as its object (a key stored the usual way, a DUMP payload). */
function unpackLoaded(value: PackedBytes): StoredValue {
  return unpack(value.buf as Bytes, value.start, value.end);
}

/**
 * The value of one key, in any encoding Redis 2.x to 7.x writes; a small hash, sorted set
 * or list of one node as its packed bytes (packedValue).
 */
function loadObject(r: RdbCursor, type: number, at: number): StoredValue | PackedBytes {
  switch (type) {
    case F.RDB_TYPE_STRING:
      return toStringValue(r.text());
    case F.RDB_TYPE_LIST:
      return listOf(r.strings(r.length()), r, at);
    case F.RDB_TYPE_SET:
      return setOf(r.strings(r.length()), r, at);
    case F.RDB_TYPE_HASH:
      return hashOf(r.strings(2 * r.length()), r, at);
    case F.RDB_TYPE_ZSET:
    case F.RDB_TYPE_ZSET_2: {
      const n = r.length();
      const zset = new SortedSet();
      for (let i = 0; i < n; i++) {
        const member = r.text();
        const scoreAt = r.offset;
        const score = type === F.RDB_TYPE_ZSET_2 ? r.f64le() : r.textScore();
        if (Number.isNaN(score)) r.fail(scoreAt, "sorted set score is NaN");
        zset.set(member, score);
      }
      if (zset.size === 0) r.fail(at, "empty aggregate value");
      return zset;
    }
    case F.RDB_TYPE_LIST_ZIPLIST:
      return listOf(r.compact(ziplistEntries), r, at);
    case F.RDB_TYPE_LIST_QUICKLIST:
    case F.RDB_TYPE_LIST_QUICKLIST_2: {
      const nodes = r.length();
      const list = new ListValue();
      for (let i = 0; i < nodes; i++) {
        const container = type === F.RDB_TYPE_LIST_QUICKLIST ? F.QUICKLIST_NODE_CONTAINER_PACKED : r.length();
        if (container === F.QUICKLIST_NODE_CONTAINER_PLAIN) {
          list.pushTail(r.text());
        } else if (container === F.QUICKLIST_NODE_CONTAINER_PACKED && type === F.RDB_TYPE_LIST_QUICKLIST_2) {
          // Each element from the listpack's bytes into the list's node, no string made
          // (Redis skips an empty node rather than failing the load); a list of one node
          // that stays one is packed at once.
          const packed = r.compact((blob) => {
            if (nodes === 1) {
              startPacked(packedValue, "list");
              if (ListValue.loadPacked(packedValue, listpack.reset(blob))) return true;
            }
            const lp = listpack.reset(blob);
            while (lp.next()) list.pushTail(elementSlice.of(lp.src, lp.start, lp.end));
            return false;
          });
          if (packed) return packedValue;
        } else if (container === F.QUICKLIST_NODE_CONTAINER_PACKED) {
          for (const item of r.compact(ziplistEntries)) list.pushTail(item);
        } else {
          r.fail(at, `unknown quicklist node container ${container}`);
        }
      }
      if (list.size === 0) r.fail(at, "empty aggregate value");
      return list;
    }
    case F.RDB_TYPE_SET_INTSET:
      return setOfIntset(r, at);
    case F.RDB_TYPE_SET_LISTPACK:
      return setOf(r.compact(listpackEntries), r, at);
    case F.RDB_TYPE_HASH_ZIPMAP:
      return hashOf(r.compact(zipmapEntries), r, at);
    case F.RDB_TYPE_HASH_ZIPLIST:
      return hashOf(r.compact(ziplistEntries), r, at);
    case F.RDB_TYPE_HASH_LISTPACK:
      return hashOfListpack(r, at);
    case F.RDB_TYPE_ZSET_LISTPACK:
      return zsetOfListpack(r, at);
    case F.RDB_TYPE_ZSET_ZIPLIST:
      return zsetOfEntries(r.compact(ziplistEntries), r, at);
    case F.RDB_TYPE_MODULE_PRE_GA:
    case F.RDB_TYPE_MODULE_2:
      return r.fail(at, "the file holds a module data type, which KVIS cannot load");
    case F.RDB_TYPE_STREAM_LISTPACKS:
    case F.RDB_TYPE_STREAM_LISTPACKS_2:
    case F.RDB_TYPE_STREAM_LISTPACKS_3:
      return streamOf(r, type, at);
    case F.RDB_TYPE_HASH_METADATA_PRE_GA:
    case F.RDB_TYPE_HASH_LISTPACK_EX_PRE_GA:
    case F.RDB_TYPE_HASH_METADATA:
    case F.RDB_TYPE_HASH_LISTPACK_EX:
      return r.fail(at, "the file holds a hash with field TTLs (Redis 7.4), which KVIS cannot load");
    default:
      return r.fail(at, `unknown value type ${type}`);
  }
}

/**
 * A stream (rdbLoadObject's stream case): its nodes as listpacks keyed by master ID, its
 * counters, then its consumer groups with their PELs and consumers. Version 1 (Redis 5-6)
 * lacks the first ID, max deleted ID, entries added and groups' read counters; version 3
 * (Redis 7.2) adds each consumer's active time.
 */
function streamOf(r: RdbCursor, type: number, at: number): StreamValue {
  const s = new StreamValue();
  const nodes = r.length();
  for (let i = 0; i < nodes; i++) {
    const keyAt = r.offset;
    const key = r.string();
    if (key.length !== 16) r.fail(keyAt, "stream node key is not a 128-bit ID");
    const master = idFromBytes(key);
    const items = r.compact(listpackEntries);
    if (items.length === 0) r.fail(keyAt, "empty listpack inside stream");
    if (s.nodes.length > 0 && master <= s.nodes[s.nodes.length - 1]!.lastId) r.fail(keyAt, "stream nodes out of order");
    try {
      s.nodes.push(StreamNode.fromListpack(master, items));
    } catch (e) {
      r.fail(keyAt, (e as Error).message);
    }
  }
  s.length = r.length();
  s.lastId = makeId(r.lengthBig(), r.lengthBig());
  const live = s.nodes.reduce((n, node) => n + node.live, 0);
  if (live !== s.length) r.fail(at, "stream length does not match its entries");
  if (type === F.RDB_TYPE_STREAM_LISTPACKS) {
    s.firstId = s.edge(true)?.id ?? 0n;
    s.entriesAdded = s.length;
  } else {
    s.firstId = makeId(r.lengthBig(), r.lengthBig());
    s.maxDeletedId = makeId(r.lengthBig(), r.lengthBig());
    s.entriesAdded = Number(r.lengthBig());
  }
  const groups = r.length();
  for (let g = 0; g < groups; g++) {
    const name = r.text();
    const lastId = makeId(r.lengthBig(), r.lengthBig());
    let entriesRead = INVALID_ENTRIES_READ;
    if (type === F.RDB_TYPE_STREAM_LISTPACKS) entriesRead = s.distanceFromFirstEver(lastId);
    else {
      const read = r.lengthBig();
      entriesRead = read === U64_MAX ? INVALID_ENTRIES_READ : Number(read);
    }
    const group = new ConsumerGroup(name, lastId, entriesRead);
    s.groups ??= new Map();
    if (s.groups.has(name)) r.fail(at, "duplicated consumer group name");
    s.groups.set(name, group);
    const pending = r.length();
    const unowned: PendingEntry[] = [];
    for (let i = 0; i < pending; i++) {
      const id = idFromBytes(r.bytes(16));
      const entry = { id, consumer: undefined as unknown as Consumer, deliveryTime: Number(BigInt.asIntN(64, r.u64le())), deliveryCount: Number(r.lengthBig()) };
      if (!group.pel.add(entry)) r.fail(at, "duplicated global PEL entry");
      unowned.push(entry);
    }
    const consumers = r.length();
    for (let i = 0; i < consumers; i++) {
      const consumer = new Consumer(r.text(), Number(BigInt.asIntN(64, r.u64le())));
      if (type === F.RDB_TYPE_STREAM_LISTPACKS_3) r.u64le(); // active time (Redis 7.2)
      if (group.consumers.has(consumer.name)) r.fail(at, "duplicated consumer name");
      group.consumers.set(consumer.name, consumer);
      const owned = r.length();
      for (let j = 0; j < owned; j++) {
        const entry = group.pel.get(idFromBytes(r.bytes(16)));
        if (entry === undefined || entry.consumer !== undefined) r.fail(at, "consumer PEL entry missing from the group PEL");
        entry.consumer = consumer;
        consumer.pel.add(entry);
      }
    }
    if (unowned.some((entry) => entry.consumer === undefined)) r.fail(at, "group PEL entry without a consumer");
  }
  return s;
}

/** A 16-byte big-endian stream ID. */
function idFromBytes(b: Uint8Array): bigint {
  const v = new DataView(b.buffer, b.byteOffset, 16);
  return makeId(v.getBigUint64(0, false), v.getBigUint64(8, false));
}

function listOf(items: string[], r: RdbCursor, at: number): ListValue {
  if (items.length === 0) r.fail(at, "empty aggregate value");
  return ListValue.from(items);
}

function setOf(items: string[], r: RdbCursor, at: number): SetValue {
  if (items.length === 0) r.fail(at, "empty aggregate value");
  const set = new SetValue(isInt64String(items[0]!));
  for (const member of items) set.add(member, isInt64String(member));
  return set;
}

function hashOf(items: string[], r: RdbCursor, at: number): HashValue {
  if (items.length === 0 || items.length % 2 !== 0) r.fail(at, "hash with an odd or zero element count");
  const hash = new HashValue();
  for (let i = 0; i < items.length; i += 2) hash.set(items[i]!, items[i + 1]!);
  return hash;
}

/**
 * An intset: its members at once when they ascend, as a valid one's do, keeping its width;
 * packed at once when small.
 */
function setOfIntset(r: RdbCursor, at: number): SetValue | PackedBytes {
  const decoded = r.compact(intset);
  if (decoded.ascending && decoded.members.length > 0) {
    startPacked(packedValue, "set");
    if (SetValue.loadPacked(packedValue, decoded.members, decoded.width)) return packedValue;
    return SetValue.ofIntegers(decoded.members, decoded.width);
  }
  return setOf(decoded.members, r, at);
}

/** A small sorted set's members and scores, alternately, as text. */
function zsetOfEntries(items: string[], r: RdbCursor, at: number): SortedSet {
  if (items.length === 0 || items.length % 2 !== 0) r.fail(at, "sorted set with an odd or zero element count");
  const zset = new SortedSet();
  for (let i = 0; i < items.length; i += 2) {
    const score = parseDouble(items[i + 1]!) ?? (/^nan$/i.test(items[i + 1]!) ? NaN : undefined);
    if (score === undefined || Number.isNaN(score)) r.fail(at, `invalid sorted set score "${items[i + 1]}"`);
    zset.set(items[i]!, score);
  }
  return zset;
}

/**
 * A small aggregate loaded straight into its packed bytes (store/packed-values.ts), reused
 * key after key: loadKeys stores it in the key's cell, with no object made.
 */
const packedValue = new PackedBytes();

/** A listpack sorted set (Redis 7's small ones), packed from the blob's bytes when its pairs come as a valid one's do. */
function zsetOfListpack(r: RdbCursor, at: number): SortedSet | PackedBytes {
  return r.compact((blob) => {
    startPacked(packedValue, "zset");
    const built = new PairsBuilder(packedValue, Math.min(encodingLimits.zsetMaxListpackValue, PACKED_MAX_ELEMENT), encodingLimits.zsetMaxListpackEntries);
    const lp = listpack.reset(blob);
    for (let member = true; lp.next(); member = !member) {
      if (member) built.member(lp.src, lp.start, lp.end);
      else built.score(lp.int !== undefined ? Number(lp.int) : (parseDouble(latin1Slice.call(lp.src, lp.start, lp.end)) ?? NaN));
    }
    return built.finish() ? packedValue : zsetOfEntries(listpackEntries(blob), r, at);
  });
}

/** A list element in a listpack's bytes (reused). */
const elementSlice = new ByteSlice();

/** The listpack being loaded (reused). */
const listpack = new ListpackCursor();

/** A listpack hash (Redis 7's small hashes), packed from the blob's bytes when it can be. */
function hashOfListpack(r: RdbCursor, at: number): HashValue | PackedBytes {
  return r.compact((blob) => {
    startPacked(packedValue, "hash");
    const packed = HashValue.loadPacked(packedValue, listpack.reset(blob));
    return packed ? packedValue : hashOf(listpackEntries(blob), r, at);
  });
}

function verifyChecksum(r: RdbCursor): void {
  const bodyEnd = r.offset;
  const actual = r.checksum();
  const expected = r.u64le();
  // A zero checksum means the writer had rdbchecksum off.
  if (expected === 0n) return;
  if (actual !== expected) r.fail(bodyEnd, `wrong RDB checksum (expected ${expected.toString(16)}, got ${actual.toString(16)})`);
}

/** Where text() decompresses LZF strings before decoding them; reused. */
let lzfScratch = new Uint8Array(1 << 16);
/** The string value being loaded (rdb-reader stringValue), reused. */
const valueSlice = new ByteSlice();
/** The string text() decodes, reused. */
const textSlice = new ByteSlice();
/** The key being loaded, reused. */
const keySlice = new ByteSlice();

/** A file's window: enough for most keys whole; a bigger one is made for a bigger key. */
const WINDOW_BYTES = 1 << 20;

/** An image of `size` bytes that RdbCursor reads `windowBytes` at a time, in order. */
export interface ImageWindow {
  /** Infinity while an image still arriving in the `$EOF:` form has not ended. */
  readonly size: number;
  readonly windowBytes: number;
  /** Copy up to `length` bytes from the image's `position` into `into` at `offset`; how many. */
  read(into: Uint8Array, offset: number, length: number, position: number): number;
  /** For an image still arriving: whether bytes past those in may still come. */
  readonly arriving?: boolean;
  /** For an image still arriving: resolves once it holds the bytes before `offset`, or has ended. */
  whenAvailable?(offset: number): Promise<void>;
}

/** An open RDB file. */
export class FileWindow implements ImageWindow {
  constructor(
    readonly fd: number,
    readonly size: number,
    readonly windowBytes = WINDOW_BYTES,
  ) {}

  read(into: Uint8Array, offset: number, length: number, position: number): number {
    return readSync(this.fd, into, offset, length, position);
  }
}

/**
 * An image in the pieces it arrives in (a replica's diskless sync), read as they come: the
 * load waits for bytes not yet in (whenAvailable) until end(), as Redis's replica parses
 * the snapshot from the socket. The size is known from the start in the `$<len>` form, at
 * the end in the `$EOF:` form, where the last `holdBack` bytes of what has arrived are not
 * read before the end: they may be the stream's end mark rather than the image's. It is
 * read forward only, and each piece is let go once read past. With `flow`, what arrives
 * faster than the load reads it is held back at the sender: past HOLD_BYTES of pieces not
 * yet read, and while the load is not waiting for more, the source is paused until the
 * load has read all but half of them, as Redis reads the socket only as fast as it parses.
 */
export class PiecesWindow implements ImageWindow {
  readonly windowBytes = WINDOW_BYTES;
  /** The piece the last read reached, and the image's offset of its first byte. */
  private index = 0;
  private at = 0;
  private received = 0;
  private ended: boolean;
  private waiters: { offset: number; wake: () => void }[] = [];
  flow: { pause(): void; resume(): void } | undefined;
  /** Whether the source is paused (flow). */
  paused = false;

  /** With `arriving`, an image whose pieces come by push() until end(); else one whole in `pieces`. */
  constructor(
    private readonly pieces: Uint8Array[],
    public size: number,
    arriving = false,
    private readonly holdBack = 0,
  ) {
    for (const piece of pieces) this.received += piece.length;
    this.ended = !arriving;
  }

  push(piece: Uint8Array): void {
    this.pieces.push(piece);
    this.received += piece.length;
    this.wake();
    if (this.flow !== undefined && !this.paused && this.waiters.length === 0 && this.received - this.at > HOLD_BYTES) {
      this.paused = true;
      this.flow.pause();
    }
  }

  private resume(): void {
    this.paused = false;
    this.flow!.resume();
  }

  /** All of the image is in, `size` bytes of it; or, cut off, what is in is all there is. */
  end(size = Math.min(this.size, this.received - this.holdBack)): void {
    this.size = size;
    this.ended = true;
    this.wake();
    // What comes after the image is not the window's to hold back.
    if (this.paused) this.resume();
  }

  /** Whether bytes past those in may still come. */
  get arriving(): boolean {
    return !this.ended;
  }

  private get available(): number {
    return this.ended ? this.size : Math.min(this.size, this.received - this.holdBack);
  }

  whenAvailable(offset: number): Promise<void> {
    if (this.ended || this.available >= offset) return Promise.resolve();
    // Held back pieces cannot be what it waits for (it read all there were): more must come.
    if (this.paused) this.resume();
    return new Promise((wake) => this.waiters.push({ offset, wake }));
  }

  private wake(): void {
    const available = this.available;
    this.waiters = this.waiters.filter((w) => {
      if (!this.ended && w.offset > available) return true;
      w.wake();
      return false;
    });
  }

  read(into: Uint8Array, offset: number, length: number, position: number): number {
    length = Math.min(length, this.available - position);
    if (length <= 0) return 0;
    const pieces = this.pieces;
    while (this.index < pieces.length && this.at + pieces[this.index]!.length <= position) {
      this.at += pieces[this.index]!.length;
      pieces[this.index++] = EMPTY;
    }
    if (this.paused && this.received - this.at < HOLD_BYTES / 2) this.resume();
    const piece = pieces[this.index];
    if (piece === undefined) return 0;
    const from = position - this.at;
    const n = Math.min(length, piece.length - from);
    into.set(piece.subarray(from, from + n), offset);
    return n;
  }
}

const EMPTY = new Uint8Array(0);
/** Bytes of an arriving image's pieces held unread before its source is paused (PiecesWindow.flow). */
const HOLD_BYTES = 4 << 20;

/**
 * A bounds-checked reader over an image's bytes: all of them in memory, or a file's read a
 * window at a time. What it hands out (views, slices) is valid until the next read, but
 * for the `pinned` slice, which a refill of the window carries along.
 */
class RdbCursor {
  /** Where the next byte is in `data`. */
  pos = 0;
  /** How many bytes of `data` hold the image (a window's fill). */
  private end: number;
  /** The image's offset of data[0]. */
  private base = 0;
  private data: Uint8Array;
  private view: DataView;
  /** The CRC64 of the image's bytes before data[crcAt], as the window moves on. */
  private crc = 0n;
  private crcAt = 0;
  private readonly file: ImageWindow | undefined;
  pinned: ByteSlice | undefined;
  /**
   * The image's offset of the record being read (whole() sets it): from an image still
   * arriving, the window keeps the bytes from there, for rewind().
   */
  mark = 0;

  constructor(
    source: Uint8Array | ImageWindow,
    private readonly name: string,
  ) {
    if (!(source instanceof Uint8Array)) {
      this.file = source;
      this.data = new Uint8Array(Math.min(source.windowBytes, source.size));
      this.end = 0;
    } else {
      this.file = undefined;
      this.data = source;
      this.end = source.length;
    }
    this.view = new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength);
  }

  /** The image's size: Infinity while one still arriving in the `$EOF:` form has not ended. */
  get size(): number {
    return this.file !== undefined ? this.file.size : this.end;
  }

  /** The size as far as known, 0 before an image arriving has ended (Redis's loading_total_bytes for a snapshot streamed with an end mark). */
  get knownSize(): number {
    const size = this.size;
    return size === Infinity ? 0 : size;
  }

  /** Back to the mark, to read the record again once more of the image is in. */
  rewind(): void {
    this.pos = this.mark - this.base;
  }

  /** Resolves once the image holds the bytes before `offset` (or has ended). */
  whenAvailable(offset: number): Promise<void> {
    return this.file!.whenAvailable!(offset);
  }

  /** The image's offset of the next byte (error messages name it). */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes of the image from the next one on. */
  get left(): number {
    return this.size - this.offset;
  }

  fail(offset: number, reason: string): never {
    throw new RdbError(this.name, offset, reason);
  }

  private need(n: number): void {
    if (this.pos + n > this.end) this.refill(n);
  }

  /**
   * Move the window on so that the next `n` bytes are in it: what is still wanted (from the
   * next byte, or from the pinned slice's start) goes to the front of the window (a bigger
   * one if it must), the rest of the window is read from the file.
   */
  private refill(n: number): void {
    const file = this.file;
    if (file === undefined || n > this.left) this.fail(this.offset, "unexpected end of file (the file is truncated)");
    const old = this.data;
    const pinned = this.pinned;
    const keepPinned = pinned !== undefined && pinned.buf === old;
    let keep = keepPinned ? Math.min(this.pos, pinned.start) : this.pos;
    const arriving = file.arriving === true;
    if (arriving) keep = Math.min(keep, this.mark - this.base);
    if (this.crcAt < keep) {
      this.crc = crc64(old.subarray(this.crcAt, keep), this.crc);
      this.crcAt = keep;
    }
    const wanted = this.pos - keep + n;
    const data = wanted > old.length ? new Uint8Array(Math.max(wanted, 2 * old.length)) : old;
    if (data === old) old.copyWithin(0, keep, this.end);
    else data.set(old.subarray(keep, this.end));
    let filled = this.end - keep;
    let short = false;
    while (filled < wanted) {
      const read = file.read(data, filled, Math.min(data.length, this.size - this.base - keep) - filled, this.base + keep + filled);
      if (read <= 0) {
        short = true;
        break;
      }
      filled += read;
    }
    this.base += keep;
    this.pos -= keep;
    this.end = filled;
    this.crcAt -= keep;
    if (keepPinned) pinned.of(data, pinned.start - keep, pinned.end - keep);
    if (data !== old) {
      this.data = data;
      this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    }
    if (!short) return;
    // What did arrive stays in the window: the record is read again from its mark.
    if (arriving) throw new NeedMore(this.offset + n);
    this.fail(this.base + filled, "unexpected end of file (the file is truncated)");
  }

  /** The CRC64 of the image's bytes before the next one (an RDB file's trailing checksum covers them). */
  checksum(): bigint {
    this.crc = crc64(this.data.subarray(this.crcAt, this.pos), this.crc);
    this.crcAt = this.pos;
    return this.crc;
  }

  u8(): number {
    this.need(1);
    return this.data[this.pos++]!;
  }

  /** The next byte, not read. */
  peekU8(): number {
    this.need(1);
    return this.data[this.pos]!;
  }

  u32le(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64le(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  u64le(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** A length, or for an encoded string its encoding as -(1 + encoding). */
  private lengthOrEncoding(): number {
    const at = this.offset;
    const first = this.u8();
    const kind = first >> 6;
    if (kind === F.RDB_6BITLEN) return first & 0x3f;
    if (kind === F.RDB_14BITLEN) return ((first & 0x3f) << 8) | this.u8();
    if (kind === F.RDB_ENCVAL) return -1 - (first & 0x3f);
    if (first === F.RDB_32BITLEN) {
      this.need(4);
      const v = this.view.getUint32(this.pos, false);
      this.pos += 4;
      return v;
    }
    if (first === F.RDB_64BITLEN) {
      this.need(8);
      const v = this.view.getBigUint64(this.pos, false);
      this.pos += 8;
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(at, "length out of range");
      return Number(v);
    }
    return this.fail(at, `unknown length encoding 0x${first.toString(16)}`);
  }

  /** A length that may use all 64 bits (stream IDs and counters). */
  lengthBig(): bigint {
    this.need(1);
    if (this.data[this.pos] !== F.RDB_64BITLEN) return BigInt(this.length());
    this.pos++;
    this.need(8);
    const v = this.view.getBigUint64(this.pos, false);
    this.pos += 8;
    return v;
  }

  length(): number {
    const at = this.offset;
    const n = this.lengthOrEncoding();
    if (n < 0) this.fail(at, "expected a length, found an encoded value");
    return n;
  }

  /** `n` strings in a row, as byte strings. */
  strings(n: number): string[] {
    // Each string takes at least a byte: a larger count is damage, not a reason to allocate.
    if (n > this.left) this.fail(this.offset, "element count larger than the rest of the file");
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = this.text();
    return out;
  }

  /** A compact structure stored as one string, decoded; a malformed one fails here. */
  compact<T>(decode: (b: Uint8Array) => T): T {
    const at = this.offset;
    const blob = this.string();
    try {
      return decode(blob);
    } catch (e) {
      if (e instanceof CompactError) this.fail(at, e.message);
      throw e;
    }
  }

  /** A score of the old ZSET type: a length byte (253 nan, 254 inf, 255 -inf), then text. */
  textScore(): number {
    const at = this.offset;
    const n = this.u8();
    if (n === 253) return NaN;
    if (n === 254) return Infinity;
    if (n === 255) return -Infinity;
    const score = parseDouble(bytesToString(this.bytes(n)));
    return score ?? this.fail(at, "invalid sorted set score");
  }

  /**
   * A string as a byte string: a raw or LZF one decoded straight from the bytes (no view
   * object in between: loading makes millions of these), an integer one through string().
   */
  text(): string {
    const bytes = this.bytesOf(textSlice);
    if (bytes === undefined) return bytesToString(this.string());
    const s = bytes.text();
    bytes.release();
    return s;
  }

  /** A raw (not integer- or LZF-encoded) string as `slice` of the file's bytes; undefined for another encoding (nothing read). */
  rawSlice(slice: ByteSlice): ByteSlice | undefined {
    this.need(1);
    if (this.data[this.pos]! >> 6 === F.RDB_ENCVAL) return undefined;
    const n = this.lengthOrEncoding();
    this.need(n);
    slice.of(this.data, this.pos, this.pos + n);
    this.pos += n;
    return slice;
  }

  /**
   * A raw string as `slice` of the file, or an LZF one as `slice` of the shared scratch
   * buffer (valid until the next LZF string); undefined for an integer encoding (nothing read).
   */
  private bytesOf(slice: ByteSlice): ByteSlice | undefined {
    if (this.rawSlice(slice) !== undefined) return slice;
    if (this.data[this.pos] !== ((F.RDB_ENCVAL << 6) | F.RDB_ENC_LZF)) return undefined;
    const at = this.offset;
    this.pos++;
    const compressedLen = this.length();
    const rawLen = this.length();
    if (lzfScratch.length < rawLen) lzfScratch = new Uint8Array(Math.max(rawLen, 2 * lzfScratch.length));
    this.need(compressedLen);
    if (!lzfDecompressInto(this.data, this.pos, this.pos + compressedLen, rawLen, lzfScratch)) this.fail(at, "invalid LZF compressed string");
    this.pos += compressedLen;
    return slice.of(lzfScratch, 0, rawLen);
  }

  /**
   * A string value as setKey takes it: an integer encoding as its number, other bytes as a
   * ByteSlice of the file (or of the LZF scratch buffer), valid until the next read.
   */
  stringValue(): StringValue | ByteSlice {
    const bytes = this.bytesOf(valueSlice);
    if (bytes === undefined) return toStringValue(this.text());
    return bytes.integer() ?? bytes;
  }

  /** A string in any of its encodings: raw, 8/16/32-bit integer, or LZF-compressed. */
  string(): Uint8Array {
    const at = this.offset;
    const n = this.lengthOrEncoding();
    if (n >= 0) return this.bytes(n);
    switch (-1 - n) {
      case F.RDB_ENC_INT8: {
        this.need(1);
        const v = this.view.getInt8(this.pos);
        this.pos += 1;
        return asciiBytes(v);
      }
      case F.RDB_ENC_INT16: {
        this.need(2);
        const v = this.view.getInt16(this.pos, true);
        this.pos += 2;
        return asciiBytes(v);
      }
      case F.RDB_ENC_INT32: {
        this.need(4);
        const v = this.view.getInt32(this.pos, true);
        this.pos += 4;
        return asciiBytes(v);
      }
      case F.RDB_ENC_LZF: {
        const compressedLen = this.length();
        const rawLen = this.length();
        const out = lzfDecompress(this.bytes(compressedLen), rawLen);
        if (out === undefined) this.fail(at, "invalid LZF compressed string");
        return out;
      }
      default:
        return this.fail(at, `unknown string encoding ${-1 - n}`);
    }
  }
}

function asciiBytes(n: number): Uint8Array {
  return Buffer.from(String(n), "latin1");
}

/**
 * RESTORE's check of a DUMP payload (verifyDumpPayload): at least the 10-byte footer, an
 * RDB version KVIS reads, and a CRC64 matching the bytes before it.
 */
export function validDumpPayload(payload: Uint8Array, skipChecksum = false): boolean {
  const n = payload.length;
  if (n < 10) return false;
  const version = payload[n - 10]! | (payload[n - 9]! << 8);
  if (version > F.RDB_VERSION_MAX) return false;
  if (skipChecksum) return true;
  const expected = new DataView(payload.buffer, payload.byteOffset, n).getBigUint64(n - 8, true);
  return crc64(payload.subarray(0, n - 8)) === expected;
}

/**
 * The value in a valid DUMP payload, or undefined when its body does not parse. As in
 * Redis, the reader may run on into the footer: only the end of the payload stops it.
 */
export function loadDumpPayload(payload: Uint8Array): StoredValue | undefined {
  const r = new RdbCursor(payload, "DUMP payload");
  try {
    const value = loadObject(r, r.u8(), 0);
    return value instanceof PackedBytes ? unpackLoaded(value) : value;
  } catch (e) {
    if (e instanceof RdbError) return undefined;
    throw e;
  }
}

/**
 * The libraries' code in a FUNCTION DUMP payload (valid: see validDumpPayload), or an error
 * text: every record must be a FUNCTION2 one.
 */
export function functionsFromPayload(payload: Uint8Array): Uint8Array[] | string {
  const r = new RdbCursor(payload.subarray(0, payload.length - 10), "DUMP payload");
  const codes: Uint8Array[] = [];
  try {
    while (r.offset < payload.length - 10) {
      if (r.u8() !== F.RDB_OPCODE_FUNCTION2) return "given type is not a function";
      codes.push(r.string());
    }
  } catch (e) {
    if (e instanceof RdbError) return "can not read data type";
    throw e;
  }
  return codes;
}
