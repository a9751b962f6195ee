/**
 * The keyspace: the numbered databases, each a table from key to value (store/table.ts,
 * keys and string values held in bytes, with each key's access time) plus the `expires`
 * map of deadlines, and the operations every command goes through (lookupKeyRead,
 * lookupKeyWrite, setKey, dbDelete, expireIfNeeded, activeExpireCycle). It never formats a
 * reply; type errors are thrown as ReplyErrors for the dispatcher to send.
 *
 * At this interface keys and string values are byte strings, JS strings with one char per
 * byte (see bytes.ts); the hot paths (GET, a plain SET, loading) pass bytes instead.
 */
import { now } from "../clock.ts";
import { WRONGTYPE } from "../errors.ts";
import { copyRange, isInt64String, latin1Slice, stringToBytes } from "../resp/bytes.ts";
import { secondArguments } from "../resp/parser.ts";
import type { Argv } from "../resp/argv.ts";
import { lfuNew, lfuTouch, lfuUncounted, lruClock } from "./access.ts";
import { estimateBytes, estimateStringBytes, freeEffort, LAZYFREE_THRESHOLD } from "./memory-usage.ts";
import type { Bytes } from "./latin1.ts";
import { KeyTable, Kind, PREFETCH_MAX, type TableStats } from "./table.ts";
import { PACKED_HEADER, type PackedKind, packable, packedAccounted, packedKind, packedLength, packInto, setPackedAccounted, startPacked, unpack } from "./packed-values.ts";
import { ScanCursors } from "./scan.ts";
import { HashValue } from "./hash.ts";
import { ListValue } from "./list.ts";
import { SetValue } from "./set.ts";
import { StreamValue } from "./stream.ts";
import { type Aggregate, ByteSlice, PackedBytes, type StoredValue, type StringValue, copyValue, isStringValue, stringOf, toStringValue } from "./value.ts";

export { ByteSlice, type BytesSink, type StoredValue, type StringValue, isStringValue, stringOf, toStringValue } from "./value.ts";

/** A class of aggregate value, as the typed lookups take it. */
export type AggregateClass<T> = new (...args: never[]) => T;

export type ValueType = "string" | "list" | "hash" | "set" | "zset" | "stream";

/** The type name TYPE and SCAN's TYPE filter use. */
export function typeOf(value: StoredValue): ValueType {
  if (isStringValue(value)) return "string";
  if (value instanceof ListValue) return "list";
  if (value instanceof HashValue) return "hash";
  if (value instanceof SetValue) return "set";
  if (value instanceof StreamValue) return "stream";
  return "zset";
}

/**
 * OBJECT ENCODING: the name Redis gives the same data. A stored number is "int", as is a
 * canonical integer too large for a double; other strings are "embstr" up to 44 bytes and
 * "raw" beyond. Integer-looking strings below 2^53 are stored as numbers wherever Redis
 * would encode them as "int", so one kept as a string came from INCRBYFLOAT and is embstr;
 * a longer one from INCRBYFLOAT carries a mark in its slot (Database.encodingOf).
 */
export function encodingOf(value: StoredValue, raw = false): string {
  if (typeof value === "number") return "int";
  if (typeof value !== "string") return value.encoding;
  if (raw) return "raw";
  if (value.length >= 16 && value.length <= 20 && isInt64String(value) && typeof toStringValue(value) === "string") return "int";
  return value.length <= 44 ? "embstr" : "raw";
}

/** Where readString writes a string value: a reply (resp/writer.ts). */
export interface StringSink {
  null(): void;
  bulkNumber(n: number): void;
  bulkFrom(source: Uint8Array, start: number, end: number): void;
}

/**
 * A point-in-time snapshot being written (persistence/snapshot.ts): it sees every change
 * before it is made, so that it can keep what the key held when the snapshot began.
 */
export interface SnapshotInProgress {
  /** `key` of `db` is about to change or go. */
  beforeWrite(db: Database, key: string): void;
  /** Something is about to change everything: write out all that is left now. */
  finishNow(): void;
}

/**
 * A key as a snapshot's walk reads it from its cell, with no JS string or object made: the
 * key is bytes [keyStart, keyEnd) of `buf`; the value is a small aggregate packed in bytes
 * [valueStart, valueEnd) when `packed` (store/packed-values.ts), else a string: `number`
 * or, when that is NaN, those bytes. Valid only during the visit.
 */
export interface KeyCell {
  buf: Bytes;
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
  number: number;
  packed: boolean;
}

/** A key as Database.copyOf keeps it: its value, string encoding marks (KeyTable.stringMarks) and deadline (-1: none). */
export interface KeyCopy {
  value: StoredValue;
  marks: number;
  when: number;
}

/** What setStringBytes stores over: anything, nothing (NX) or only a key there (XX). */
export const enum SetOnly {
  Always,
  IfAbsent,
  IfPresent,
}

/** The key of setStringBytes and editPacked, reused. */
const keyBytes = new ByteSlice();
/** packedForRead's view of a packed value's body, reused. */
const packedView = new ByteSlice();
/** readStringSlice's slice (reused). */
const stringSlice = new ByteSlice();
/**
 * The bodies of empty small values (packedForRead of a missing key): no hash or sorted-set
 * pair; a list's header with a count of 0 (store/list.ts); a set's two bytes, not an intset.
 */
const EMPTY_BODY = Buffer.alloc(16);
const EMPTY_LIST_BODY = 16;
const EMPTY_SET_BODY = 2;
/** editPacked's copy of a packed value, reused. */
const packedEdit = new PackedBytes();
/** Small aggregates left open between commands: a key used again at once is not unpacked again. */
const KEEP_OPEN = 16;

/**
 * The small aggregates a database has open (store/packed-values.ts), oldest first: each
 * one's key, object, and slot, good while the table's generation is the one noted with it.
 * Parallel arrays, as a command opening one should allocate nothing for it.
 */
class OpenAggregates {
  readonly keys: string[] = [];
  readonly values: Aggregate[] = [];
  readonly slots: number[] = [];
  readonly generations: number[] = [];

  add(key: string, value: Aggregate, slot: number, generation: number): void {
    this.keys.push(key);
    this.values.push(value);
    this.slots.push(slot);
    this.generations.push(generation);
  }

  dropOldest(n: number): void {
    this.keys.splice(0, n);
    this.values.splice(0, n);
    this.slots.splice(0, n);
    this.generations.splice(0, n);
  }
}

const keyCell: KeyCell = { buf: Buffer.alloc(0) as Bytes, keyStart: 0, keyEnd: 0, valueStart: 0, valueEnd: 0, number: NaN, packed: false };

/** Where a snapshot's walk over a database stands (Database.walkForSnapshot). */
export interface SnapshotWalk {
  table: unknown;
  generation: number;
  slot: number;
}

/** A client WATCHing keys (server/connection.ts): told when one of them may have changed. */
export interface Watcher {
  /** `key` of `db` was written or deleted (Redis's touchWatchedKey). */
  keyTouched(db: Database, key: string): void;
  /**
   * FLUSHDB or SWAPDB replaced `db`'s contents (touchAllWatchedKeysInDb): `existed` says
   * whether `key` was there; `replacedWith` is the database whose contents come in.
   */
  keyReplaced(db: Database, key: string, existed: boolean, replacedWith: Database | undefined): void;
}

/** Counters the keyspace keeps for INFO and for save points. */
export interface KeyspaceStats {
  expiredKeys: number;
  /** Values Redis would have freed in the background (INFO lazyfreed_objects). */
  lazyfreedObjects: number;
  /** Active expiry: cycles that ran out of time with expired keys left, and the time spent. */
  expireTimeCapReached: number;
  expireCycleMs: number;
  keyspaceHits: number;
  keyspaceMisses: number;
}

/** Slots a sweep of finished snapshots' marks covers per cron tick (Keyspace.sweepMarks). */
const SWEEP_SLOTS = 65_536;
/** Tables from this many slots have their keys prefetched (Database.prefetchKeys). */
const PREFETCH_MIN_CAPACITY = 65_536;
const prefetchRanges = new Int32Array(2 * PREFETCH_MAX);

/** setRawString's bytes on their way into a cell. */
const rawValue = new ByteSlice();

export class Database {
  // Not readonly: SWAPDB exchanges contents so that a client's selected Database object
  // keeps meaning "database number N". The table is the store's own: code outside
  // src/store goes through has, peek, keys, entries, sampleSlots and the lookups.
  private table = new KeyTable();
  /** Where active expiry's sweep of the table stands (a slot). */
  private expireCursor = 0;
  /**
   * WATCHed keys and the clients watching them (keys need not exist). Every change to a
   * key marks its watchers' transactions as failed (Redis's touchWatchedKey).
   */
  watchers = new Map<string, Set<Watcher>>();
  /**
   * The estimated bytes of every key and value here (store/memory-usage.ts, estimateBytes),
   * kept current by every write: what used_memory and maxmemory count. Each change is
   * added to the keyspace's total too (Keyspace.heldBytes).
   */
  get bytes(): number {
    return this.ownBytes;
  }
  set bytes(n: number) {
    this.keyspace.heldBytes += n - this.ownBytes;
    this.ownBytes = n;
  }
  private ownBytes = 0;
  /** The small aggregates opened from their packed bytes or made since the last settle. */
  private open = new OpenAggregates();

  constructor(
    readonly id: number,
    private readonly keyspace: Keyspace,
  ) {
    this.bindTable();
    keyspace.heldBytes += this.table.slotBytes;
  }

  /**
   * Before the requests of a read run: bring their keys' slots and cells into the cache
   * together (KeyTable.prefetch), once the table is too big for the cache to hold it
   * (2^16 slots, a megabyte). Pipelined GETs and SETs over a million keys spent a fifth of
   * their time waiting for those misses one by one.
   */
  prefetchKeys(chunk: Uint8Array): void {
    if (this.table.capacity < PREFETCH_MIN_CAPACITY) return;
    const n = secondArguments(chunk, prefetchRanges);
    if (n > 1) this.table.prefetch(chunk, prefetchRanges, n);
  }

  /** Keyspace.releaseIdleSpares, for this database's table. */
  releaseIdleSpare(): void {
    this.table.releaseIdleSpare();
  }

  /** Keyspace.shrinkTables, for this database's table. */
  shrinkTable(ms: number): void {
    if (this.table.shrinkPending) this.table.shrinkFor(ms);
  }

  /** Keyspace.compactCells, for this database's table: whether a chunk was given back. */
  compactCells(): boolean {
    return this.table.compactCells();
  }

  /** Bytes of the table's slots (Keyspace.heldBytes). */
  get slotBytes(): number {
    return this.table.slotBytes;
  }

  get size(): number {
    return this.table.size;
  }

  /**
   * avg_ttl: the mean remaining time to live in ms of the first 1,024 keys with a TTL, an
   * estimate as Redis's is (it samples in its expiry cycle).
   */
  averageTtl(clockNow: number): number {
    const table = this.table;
    let sum = 0;
    let n = 0;
    for (let slot = 0; n < 1024 && table.expiresCount > 0 && (slot = table.nextSlot(slot)) >= 0; slot++) {
      const when = table.expiryAt(slot);
      if (when > clockNow) {
        sum += when - clockNow;
        n++;
      }
    }
    return n === 0 ? 0 : Math.round(sum / n);
  }

  /** Keys with a TTL (Redis's expires dict size). */
  get expiresCount(): number {
    return this.table.expiresCount;
  }

  /** Whether the key is held, expired or not (no expiry, no statistics). */
  has(key: string): boolean {
    return this.table.has(key);
  }

  /** The value held at `key`, expired or not (no expiry, no statistics, no access time). */
  peek(key: string): StoredValue | undefined {
    const slot = this.table.find(key);
    return slot < 0 ? undefined : this.valueAt(slot);
  }

  keys(): IterableIterator<string> {
    return this.table.keys();
  }

  /** Every key and value, for reading only: a packed aggregate comes as a copy, not opened. */
  *entries(): IterableIterator<[string, StoredValue]> {
    const table = this.table;
    for (let i = 0; (i = table.nextSlot(i)) >= 0; i++) yield [table.keyAt(i), this.readAt(i)];
  }

  /** The value in `slot`, for a command: a packed aggregate is opened into its object until the next settle. */
  private valueAt(slot: number, key?: string): StoredValue {
    const table = this.table;
    if (table.kindAt(slot) !== Kind.Packed) return table.valueAt(slot);
    const value = this.readAt(slot) as Aggregate;
    table.openAt(slot, value);
    this.remember(key ?? table.keyAt(slot), value, slot);
    return value;
  }

  /** `value`, stored at `key` in `slot`, is to be packed by the next settle. */
  private remember(key: string, value: Aggregate, slot: number): void {
    this.open.add(key, value, slot, this.table.generation);
    this.keyspace.opened(this);
  }

  /** The value in `slot` to read, not to change: a packed aggregate is unpacked, not opened. */
  private readAt(slot: number): StoredValue {
    const table = this.table;
    if (table.kindAt(slot) !== Kind.Packed) return table.valueAt(slot);
    const start = table.valueStart(slot);
    return unpack(table.valueBuffer(slot) as Bytes, start, start + table.valueLengthAt(slot));
  }

  /** An aggregate was stored at `key` in `slot`: if it is small, settle will pack it. */
  private stored(key: string, value: StoredValue | ByteSlice, slot: number): void {
    if (typeof value === "object" && !(value instanceof ByteSlice) && packable(value)) this.remember(key, value, slot);
  }

  /**
   * Pack again the small aggregates opened or made since the last settle, but the `keep`
   * most recent (a key used again soon is not unpacked again). Only where no command holds
   * a value: between commands, and between the keys a load stores.
   */
  settle(keep = 0): void {
    const open = this.open;
    const n = open.keys.length - keep;
    if (n <= 0) return;
    const table = this.table;
    for (let i = 0; i < n; i++) {
      const value = open.values[i]!;
      const key = open.keys[i]!;
      const slot = open.generations[i] === table.generation ? open.slots[i]! : table.find(key);
      // Still this key's value (not replaced or deleted since), and still small.
      if (slot < 0 || table.kindAt(slot) !== Kind.Object || table.valueAt(slot) !== value || !packable(value)) continue;
      table.packAt(slot, key.length, packedLength(value));
      packInto(value, table.valueBuffer(slot) as Bytes, table.valueStart(slot));
    }
    open.dropOldest(n);
  }

  /** How many opened values wait to be packed. */
  get openCount(): number {
    return this.open.keys.length;
  }

  /** What SCAN's cursors walk (store/scan.ts). */
  get scanTarget(): KeyTable {
    return this.table;
  }

  /**
   * A snapshot (persistence/snapshot.ts, owning `bit`) takes `key` before it changes:
   * true when the key is present and the snapshot had not handled it yet (it is marked
   * handled now), so that the snapshot writes its value as it still is.
   */
  takeForSnapshot(key: string, bit: number): boolean {
    const slot = this.table.find(key);
    if (slot < 0 || this.table.isMarked(slot, bit)) return false;
    this.table.mark(slot, bit);
    return true;
  }

  /**
   * A snapshot's walk: from `walk`'s slot on, each key not yet handled by the snapshot
   * owning `bit` is marked and handed to `visit` (or, where given, to `visitCell` unless its
   * value is an object), until `limit` keys were; returns true
   * when the walk is complete. After the table was rebuilt the walk starts over: the marks
   * moved with the keys, so none is handed over twice.
   */
  walkForSnapshot(
    walk: SnapshotWalk, bit: number, limit: number,
    visit: (key: string, value: StoredValue, expireAt: number | undefined, access: number) => void,
    visitCell?: (cell: KeyCell, expireAt: number | undefined, access: number) => void,
  ): boolean {
    const table = this.table;
    if (walk.table !== table || walk.generation !== table.generation) {
      walk.table = table;
      walk.generation = table.generation;
      walk.slot = 0;
    }
    let slot = walk.slot;
    for (let n = 0; n < limit; slot++) {
      slot = table.nextSlot(slot);
      if (slot < 0) return true;
      if (table.isMarked(slot, bit)) continue;
      if (bit !== 0) table.mark(slot, bit);
      const when = table.expiryAt(slot);
      const expireAt = when === when ? when : undefined;
      const kind = table.kindAt(slot);
      const access = table.accessAt(slot);
      if (visitCell === undefined || kind === Kind.Object) visit(table.keyAt(slot), this.readAt(slot), expireAt, access);
      else {
        const cell = keyCell;
        cell.packed = kind === Kind.Packed;
        cell.buf = table.valueBuffer(slot) as Bytes;
        cell.keyStart = table.keyStartAt(slot);
        cell.keyEnd = cell.keyStart + table.keyLengthAt(slot);
        cell.number = kind === Kind.Number ? (table.valueAt(slot) as number) : NaN;
        cell.valueStart = kind === Kind.Number ? 0 : table.valueStart(slot);
        cell.valueEnd = cell.valueStart + table.valueLengthAt(slot);
        visitCell(cell, expireAt, access);
      }
      n++;
    }
    walk.slot = slot;
    return false;
  }

  /**
   * Set the marks keys created from now on get (the bits of the snapshots in progress) and
   * those of finished snapshots, which a rebuild of the table drops.
   */
  markNewKeys(bits: number, stale: number): void {
    this.table.newMarks = bits;
    this.table.staleMarks = stale;
  }

  /** Take the marks `bits` off slots [from, from + limit); returns the slot reached. */
  clearMarks(bits: number, from: number, limit: number): number {
    return this.table.clearMarks(bits, from, limit);
  }

  /** The table's slots (the sweep of marks goes up to this). */
  get capacity(): number {
    return this.table.capacity;
  }

  /**
   * Eviction's samples: up to `most` slots holding keys, as Redis's dictGetSomeKeys takes
   * neighbouring buckets from a random one (KeyTable.sampleRun), or for `withTtl` random
   * slots holding keys with a TTL; returns how many. Read them at once (sampledAccess,
   * sampledDeadline, sampledKey): slots move when the table changes. A sample costs no
   * string until its key is wanted: making one for every sample, and looking each up
   * again for its access word, was most of an eviction's time.
   */
  sampleSlots(withTtl: boolean, most: number, slots: Int32Array): number {
    const table = this.table;
    if (!withTtl) return table.sampleRun(most, slots);
    let n = 0;
    for (let slot: number; n < most && (slot = table.randomSlotWithExpiry()) >= 0; ) slots[n++] = slot;
    return n;
  }

  /** The -random policies' victim: a uniformly chosen slot holding a key (with a TTL, for `withTtl`), -1 for none. */
  randomSample(withTtl: boolean): number {
    return withTtl ? this.table.randomSlotWithExpiry() : this.table.randomSlot();
  }

  /** A sampled slot's access word (LRU clock or LFU entry). */
  sampledAccess(slot: number): number {
    return this.table.accessAt(slot);
  }

  /** A sampled slot's deadline in ms, NaN for none. */
  sampledDeadline(slot: number): number {
    return this.table.expiryAt(slot);
  }

  /** A sampled slot's key. */
  sampledKey(slot: number): string {
    return this.table.keyAt(slot);
  }

  /**
   * Every change to a key or its TTL passes here first, so that a background save in
   * progress can keep the key's value as of the save's start (see persistence/snapshot.ts).
   */
  private beforeWrite(key: string): void {
    const snapshots = this.keyspace.snapshots;
    for (let i = 0; i < snapshots.length; i++) snapshots[i]!.beforeWrite(this, key);
  }

  /** A key changed: transactions watching it will fail, and clients blocked on it get a turn. */
  touch(key: string): void {
    if (this.keyspace.sandboxed) return;
    const tracking = this.keyspace.onTouched;
    if (tracking !== undefined) tracking(key);
    const ready = this.keyspace.onReady;
    if (ready !== undefined) ready(this, key);
    if (this.watchers.size === 0) return;
    const watching = this.watchers.get(key);
    if (watching !== undefined) for (const w of watching) w.keyTouched(this, key);
  }

  /** The whole database is replaced (FLUSHDB, SWAPDB): watchers of keys there or coming in are told. */
  touchAll(replacedWith?: Database): void {
    if (this.keyspace.sandboxed) return;
    for (const [key, watching] of this.watchers) {
      const existed = this.table.has(key);
      if (existed || replacedWith?.table.has(key)) for (const w of watching) w.keyReplaced(this, key, existed, replacedWith);
    }
  }

  /** Before a change to the whole database: saves in progress write out what they have left. */
  beforeWriteAll(): void {
    for (const snapshot of this.keyspace.snapshots) snapshot.finishNow();
  }

  /**
   * Delete the key if its deadline has passed. Returns true when the key has expired. A
   * replica never deletes it here: as in Redis, it waits for the master's DEL and only
   * reports the key missing to readers.
   */
  expireIfNeeded(key: string): boolean {
    if (this.table.expiresCount === 0 || this.keyspace.loading) return false;
    const slot = this.table.find(key);
    // NaN (no deadline) compares false.
    if (slot < 0 || !(this.table.expiryAt(slot) <= now())) return false;
    if (!this.keyspace.keepsExpired) this.deleteExpired(key);
    return true;
  }

  /**
   * A writable replica's own key (Keyspace.expireReplicaKeys): deleted as expired if its
   * deadline has passed, though the replica keeps the master's. 1: deleted, 0: not yet
   * due, -1: gone or without a deadline (nothing left to watch).
   */
  expireOwnKey(key: string, clockNow: number): -1 | 0 | 1 {
    const slot = this.table.find(key);
    if (slot < 0) return -1;
    const when = this.table.expiryAt(slot);
    if (when !== when) return -1;
    if (when > clockNow) return 0;
    this.deleteExpired(key);
    return 1;
  }

  /** Whether the key exists with a deadline that has passed (without deleting it). */
  isExpired(key: string): boolean {
    if (this.table.expiresCount === 0) return false;
    const slot = this.table.find(key);
    return slot >= 0 && this.table.expiryAt(slot) <= now();
  }

  /**
   * Look a key up for reading: expired keys are gone, hits and misses are counted (a miss is
   * announced as `keymiss`). Unless `touch` is false (Redis's LOOKUP_NOTOUCH: TTL, TYPE,
   * EXISTS, OBJECT), the key's access time is stamped.
   */
  lookupKeyRead(key: string, touch = true): StoredValue | undefined {
    const slot = this.lookupSlotRead(key, touch);
    return slot < 0 ? undefined : this.valueAt(slot, key);
  }

  /**
   * lookupKeyRead's search alone (expiry, statistics, the access time when `touch`): whether
   * the key is there, with no value opened. A miss is a `keymiss` event only when
   * `announceMiss` (EXISTS and TTL; not OBJECT's and DEBUG's lookup, LOOKUP_NONOTIFY).
   */
  findForRead(key: string, touch = true, announceMiss = false): boolean {
    return this.lookupSlotRead(key, touch, announceMiss) >= 0;
  }

  /**
   * TYPE: the type of the value at `key`, found as lookupKeyRead finds it without touching
   * its access time, with no value opened (a small aggregate's is read from its cell).
   * Undefined when missing.
   */
  typeForRead(key: string): ValueType | undefined {
    return this.typeAt(this.lookupSlotRead(key, false));
  }

  /** The type of the value at `key`, as peek finds it (no expiry, no statistics), with no value opened. */
  peekType(key: string): ValueType | undefined {
    return this.typeAt(this.table.find(key));
  }

  private typeAt(slot: number): ValueType | undefined {
    if (slot < 0) return undefined;
    const table = this.table;
    const kind = table.kindAt(slot);
    if (kind === Kind.Packed) return packedKind(table.valueBuffer(slot) as Bytes, table.valueStart(slot));
    return kind === Kind.Object ? typeOf(table.valueAt(slot) as StoredValue) : "string";
  }

  /**
   * A write command's read of a key it takes a value from (SINTERSTORE's and ZUNIONSTORE's
   * sources, GETSET's old value, the stream XACK changes): counted, stamped and announced as
   * a read (Redis's lookupKeyRead there), found and prepared as a write finds it: on a
   * replica the master's command sees the key as it still is.
   */
  lookupKeyReadForWrite(key: string): StoredValue | undefined {
    this.beforeWrite(key);
    const slot = !this.keyspace.replicaMode && this.expireIfNeeded(key) ? -1 : this.table.find(key);
    if (slot < 0) {
      this.missed(key);
      return undefined;
    }
    this.keyspace.stats.keyspaceHits++;
    this.recordAccess(slot, false);
    return this.valueAt(slot, key);
  }

  /** A read lookup found nothing: counted, and announced as `keymiss` unless `notify` is false. */
  private missed(key: string, notify = true): void {
    this.keyspace.stats.keyspaceMisses++;
    if (notify && this.keyspace.notifyKeyMiss) this.keyspace.notify?.("keymiss", this, key);
  }

  /** lookupKeyRead's search: the key's slot in the table, or -1. A miss is announced (`keymiss`) when `notify`. */
  private lookupSlotRead(key: string, touch: boolean, notify = true): number {
    // Kept past its deadline (on a replica, or while clients are paused) a key reads as
    // missing, except to the master's own commands: on a replica they see every key the
    // master has not deleted yet, as in Redis (a COPY or BITOP from it reads its sources).
    const slot = this.expireIfNeeded(key) && this.keyspace.keepsExpired && !this.keyspace.masterRunning() ? -1 : this.table.find(key);
    if (slot < 0) this.missed(key, notify);
    else {
      this.keyspace.stats.keyspaceHits++;
      if (touch) this.recordAccess(slot, false);
    }
    return slot;
  }

  /**
   * GET: the string at `key` written to `out` straight from the bytes held, with no string
   * made of it (null when missing); WRONGTYPE for another type.
   */
  readString(key: string, out: StringSink): void {
    this.writeStringAt(this.lookupSlotRead(key, true), out);
  }

  /**
   * readString with the key given as bytes (buf[start, end)), found with no string made of
   * it; a value of another type is null rather than WRONGTYPE when `otherTypeNull` (MGET).
   * A key whose deadline has passed takes the string path, which deletes it (or hides it)
   * and tells replicas as Redis does.
   */
  readStringBytes(buf: Uint8Array, start: number, end: number, out: StringSink, otherTypeNull = false): void {
    this.writeStringAt(this.lookupSlotReadBytes(buf, start, end), out, otherTypeNull);
  }

  /**
   * lookupSlotRead of a key given as bytes, found with no string made of it: the key
   * becomes a string only for a keymiss event, or when its deadline has passed (the string
   * path deletes it, or hides it, and tells replicas as Redis does).
   */
  private lookupSlotReadBytes(buf: Uint8Array, start: number, end: number): number {
    const table = this.table;
    const slot = table.findBytes(buf, start, end);
    if (slot >= 0 && table.expiryAt(slot) <= now() && !this.keyspace.loading) return this.lookupSlotRead(latin1Slice.call(buf, start, end), true);
    if (slot < 0) this.missed(this.keyspace.notifyKeyMiss ? latin1Slice.call(buf, start, end) : "");
    else {
      this.keyspace.stats.keyspaceHits++;
      this.recordAccess(slot, false);
    }
    return slot;
  }

  /** STRLEN of a key given as bytes (lookupSlotReadBytes), 0 when missing; WRONGTYPE for another type. */
  stringLengthBytes(buf: Uint8Array, start: number, end: number): number {
    const slot = this.lookupSlotReadBytes(buf, start, end);
    if (slot < 0) return 0;
    const table = this.table;
    const kind = table.kindAt(slot);
    if (kind === Kind.String) return table.valueLengthAt(slot);
    if (kind === Kind.Number) return String(table.valueAt(slot)).length;
    throw WRONGTYPE;
  }

  /** A string value's reply from its slot (null for -1); WRONGTYPE for another type, or null. */
  private writeStringAt(slot: number, out: StringSink, otherTypeNull = false): void {
    if (slot < 0) return out.null();
    const table = this.table;
    const kind = table.kindAt(slot);
    if (kind === Kind.Number) return out.bulkNumber(table.valueAt(slot) as number);
    if (kind !== Kind.String) {
      if (otherTypeNull) return out.null();
      throw WRONGTYPE;
    }
    const start = table.valueStart(slot);
    out.bulkFrom(table.valueBuffer(slot), start, start + table.valueLengthAt(slot));
  }

  /**
   * Look a key up for a write: expired keys are gone, nothing is counted. On a replica the
   * only writer is the master, whose commands must see the key as it still is.
   */
  lookupKeyWrite(key: string): StoredValue | undefined {
    const slot = this.lookupSlotWrite(key);
    return slot < 0 ? undefined : this.valueAt(slot, key);
  }

  /** lookupKeyWrite's search: the key's slot in the table, or -1. */
  private lookupSlotWrite(key: string): number {
    this.beforeWrite(key);
    if (!this.keyspace.replicaMode) this.expireIfNeeded(key);
    // A writable replica's client writing to a key past its deadline deletes it first, as
    // Redis's lookupKeyWrite forces there (the master's own commands never expire a key).
    else if (this.keyspace.clientWritesExpire()) this.expireOwnKey(key, now());
    const slot = this.table.find(key);
    if (slot >= 0) this.recordAccess(slot, false);
    return slot;
  }

  /**
   * A key was read or written (`created`: it is new): its slot's access word is stamped,
   * as Redis's lookupKey updates robj.lru, unless CLIENT NO-TOUCH is on.
   */
  private recordAccess(slot: number, created: boolean): void {
    const keyspace = this.keyspace;
    if (keyspace.noTouch && !created) return;
    const table = this.table;
    if (!keyspace.lfu) table.setAccessAt(slot, lruClock());
    else table.setAccessAt(slot, created ? lfuNew() : lfuTouch(table.accessAt(slot), keyspace.lfuLogFactor, keyspace.lfuDecayTime));
  }

  /** The key's access word (LRU clock or LFU entry) without touching it, or undefined when absent. */
  accessOf(key: string): number | undefined {
    const slot = this.table.find(key);
    return slot < 0 ? undefined : this.table.accessAt(slot);
  }

  /**
   * RESTORE IDLETIME / FREQ (objectSetLRUOrLFU): under an LFU policy the counter given,
   * otherwise the access time `idleSeconds` ago.
   */
  restoreAccess(key: string, idleSeconds: number | undefined, freq: number | undefined): void {
    this.restoreAccessAt(this.table.find(key), idleSeconds ?? -1, freq ?? -1);
  }

  /** restoreAccess of the key in `slot` (-1: none), with -1 for an idle time or counter not given. */
  restoreAccessAt(slot: number, idleSeconds: number, freq: number): void {
    if (slot < 0) return;
    if (this.keyspace.lfu && freq >= 0) this.table.setAccessAt(slot, lfuUncounted() | freq);
    else if (!this.keyspace.lfu && idleSeconds >= 0) this.table.setAccessAt(slot, lruClock() - idleSeconds);
  }

  /** Every key as just used (LRU) or new (LFU): the policy switched between them. */
  resetAccess(): void {
    this.table.resetAccess(this.keyspace.lfu ? lfuUncounted() : lruClock());
  }

  /** A string value for reading, as bytes; WRONGTYPE for another type. */
  lookupString(key: string): string | undefined {
    const value = this.lookupStringValue(key);
    return value === undefined ? undefined : stringOf(value);
  }

  /** A string value for reading as it is stored (a number for an integer); WRONGTYPE otherwise. */
  lookupStringValue(key: string): StringValue | undefined {
    const value = this.lookupKeyRead(key);
    if (value === undefined || typeof value === "string" || typeof value === "number") return value;
    throw WRONGTYPE;
  }

  /** An aggregate of class `cls` for reading; WRONGTYPE for another type. */
  readAs<T>(key: string, cls: AggregateClass<T>): T | undefined {
    const value = this.lookupKeyRead(key);
    if (value === undefined || value instanceof cls) return value;
    throw WRONGTYPE;
  }

  /** An aggregate of class `cls` for writing; WRONGTYPE for another type. */
  writeAs<T>(key: string, cls: AggregateClass<T>): T | undefined {
    const value = this.lookupKeyWrite(key);
    if (value === undefined || value instanceof cls) return value;
    throw WRONGTYPE;
  }

  /** An aggregate of class `cls` a write reads first (lookupKeyReadForWrite); WRONGTYPE for another type. */
  readForWriteAs<T>(key: string, cls: AggregateClass<T>): T | undefined {
    const value = this.lookupKeyReadForWrite(key);
    if (value === undefined || value instanceof cls) return value;
    throw WRONGTYPE;
  }

  /** A string for writing (APPEND, SETRANGE...), as bytes; WRONGTYPE for another type. */
  writeString(key: string): string | undefined {
    const value = this.writeStringValue(key);
    return value === undefined ? undefined : stringOf(value);
  }

  /** A string for writing as it is stored (INCR); WRONGTYPE for another type. */
  writeStringValue(key: string): StringValue | undefined {
    const value = this.lookupKeyWrite(key);
    if (value === undefined || typeof value === "string" || typeof value === "number") return value;
    throw WRONGTYPE;
  }

  /**
   * The aggregate at `key` for a write that creates it when missing (LPUSH, SADD, HSET...).
   * The new value is stored before the command fills it, as Redis's dbAdd does.
   */
  writeOrCreate<T extends StoredValue>(key: string, cls: AggregateClass<T>, create: () => T): T {
    const existing = this.writeAs(key, cls);
    if (existing !== undefined) return existing;
    const value = create();
    const slot = this.table.add(key, value);
    this.recordAccess(slot, true);
    this.bytes += this.account(key, value);
    this.stored(key, value, slot);
    if (this.keyspace.notifyNew) this.keyspace.notify?.("new", this, key);
    return value;
  }

  /**
   * The aggregate of class `cls` held as an object (a large one) at a key given as bytes,
   * for a write that changes it in place and then calls objectChanged: found with no string
   * made of the key, stamped as lookupKeyWrite stamps it. Undefined, with nothing done, for
   * the usual way: the key is missing, packed, of another class or past its deadline, or
   * something listens by name (setStringBytes).
   */
  writeObjectBytes<T extends Aggregate>(buf: Uint8Array, start: number, end: number, cls: AggregateClass<T>): T | undefined {
    const slot = this.editableSlotBytes(buf, start, end, Kind.Object);
    if (slot < 0) return undefined;
    const value = this.table.valueAt(slot);
    if (!(value instanceof cls)) return undefined;
    this.recordAccess(slot, false);
    return value;
  }

  /**
   * A write through writeObjectBytes done, as `modified` or `removed` count one that left
   * the value non-empty: `changes` counted as Redis's dirty, the value counted again.
   */
  objectChanged(value: Aggregate, keyLength: number, changes: number): void {
    this.keyspace.dirty += changes;
    const before = value.accounted;
    this.bytes += (value.accounted = estimateBytes(keyLength, value)) - before;
  }

  /** Count `n` changes beyond those the calls made counted (Redis's server.dirty += n in a command). */
  countChanges(n: number): void {
    this.keyspace.dirty += n;
  }

  /**
   * Count `changes` in-place modifications of the value at `key` (Redis's dirty and
   * signalModifiedKey). Additions use this; removals use `removed`.
   */
  modified(key: string, changes = 1): void {
    this.keyspace.dirty += changes;
    this.recount(key);
    this.touch(key);
  }

  /** What a value counts for now; an aggregate remembers it, to be taken off when it changes. */
  private account(key: string, value: StoredValue): number {
    const bytes = estimateBytes(key.length, value);
    if (!isStringValue(value)) value.accounted = bytes;
    return bytes;
  }

  /** What the value in `slot` was counted for. */
  private accountedAt(slot: number): number {
    const table = this.table;
    const kind = table.kindAt(slot);
    if (kind === Kind.Object) return (table.valueAt(slot) as Aggregate).accounted;
    if (kind === Kind.Packed) return packedAccounted(table.valueBuffer(slot) as Bytes, table.valueStart(slot));
    return estimateStringBytes(table.keyLengthAt(slot), table.kindAt(slot) === Kind.Number ? -1 : table.valueLengthAt(slot));
  }

  /** The aggregate at `key`, if the key holds one (no expiry, no statistics). */
  private aggregateAt(key: string): Aggregate | undefined {
    const slot = this.table.find(key);
    if (slot < 0) return undefined;
    const kind = this.table.kindAt(slot);
    return kind === Kind.Object || kind === Kind.Packed ? (this.valueAt(slot, key) as Aggregate) : undefined;
  }

  /** An aggregate changed in place: count it anew. */
  private recount(key: string): void {
    const value = this.aggregateAt(key);
    if (value === undefined) return;
    const before = value.accounted;
    this.bytes += this.account(key, value) - before;
  }

  /**
   * Count `changes` removals from the aggregate at `key` and delete the key when they
   * emptied it, as every Redis command that removes elements does.
   */
  removed(key: string, changes = 1): void {
    this.keyspace.dirty += changes;
    this.recount(key);
    this.touch(key);
    const value = this.aggregateAt(key);
    // An emptied list, hash, set or sorted set goes away; a stream stays, empty, as in Redis.
    if (value !== undefined && !(value instanceof StreamValue) && value.size === 0) {
      this.discard(key);
      this.keyspace.notify?.("emptied", this, key);
    }
  }

  /**
   * HDEL, SREM and ZREM: remove each member argv[2..] from the aggregate of class `cls` at
   * the key argv[1], and return how many were there. The emptied key goes away. A small one
   * of kind `kind` held packed loses them on its bytes (`removePacked`, as editPacked runs
   * it); otherwise each is taken out of the object with `remove`.
   */
  removeMembers<T>(argv: Argv, kind: PackedKind, removePacked: (out: PackedBytes, argv: Argv) => number, cls: AggregateClass<T>, remove: (value: T, member: string) => boolean): number {
    const packed = this.editPacked(argv.buffer(1), argv.start(1), argv.end(1), kind, 0, removePacked, argv);
    if (packed >= 0) {
      this.keyspace.dirty += packed;
      return packed;
    }
    const key = argv.str(1);
    const value = this.writeAs(key, cls);
    if (value === undefined) return 0;
    let removed = 0;
    for (let i = 2; i < argv.length; i++) if (remove(value, argv.str(i))) removed++;
    if (removed > 0) this.removed(key, removed);
    return removed;
  }

  /** Whether the key exists and has not expired, without counting a hit or a miss. */
  exists(key: string): boolean {
    return this.lookupSlotWrite(key) >= 0;
  }

  /**
   * Every key that has not expired, optionally filtered (KEYS). Expired keys are skipped
   * rather than deleted, so a scan never changes the keyspace.
   */
  liveKeys(match?: (key: string) => boolean): string[] {
    const clockNow = now();
    const table = this.table;
    const found: string[] = [];
    for (let slot = 0; (slot = table.nextSlot(slot)) >= 0; slot++) {
      if (table.expiryAt(slot) <= clockNow) continue;
      const key = table.keyAt(slot);
      if (match === undefined || match(key)) found.push(key);
    }
    return found;
  }

  /**
   * A random live key (RANDOMKEY), or undefined when there is none: the entry at or after
   * a random slot, as Redis's dictGetFairRandomKey draws from random buckets.
   */
  randomKey(): string | undefined {
    for (let tries = 0; tries < 100 && this.table.size > 0; tries++) {
      const key = this.table.keyAt(this.table.randomSlot());
      if (!this.expireIfNeeded(key) || this.keyspace.keepsExpired) return key;
    }
    return undefined;
  }

  /**
   * A SET with the key given as bytes (buf[start, end)), found and stored with no string
   * made of it, while nothing waits to hear of the key by name: no snapshot, watcher,
   * tracking, waiter or "new" event, and the key is not past its deadline (its expiry is
   * an event). -1 (nothing done) otherwise, for the caller to go the way of setKey; else 1
   * when stored, 0 when `only` (NX, XX) forbade it. A TTL the key has goes, as setKey
   * removes it, or becomes `deadline` (ms) when one is given (SET EX).
   */
  setStringBytes(buf: Uint8Array, start: number, end: number, value: number | ByteSlice, deadline = NaN, only = SetOnly.Always): -1 | 0 | 1 {
    const keyspace = this.keyspace;
    const table = this.table;
    if (this.heardByName) return -1;
    const slot = table.findBytes(buf, start, end);
    const when = slot >= 0 && table.expiresCount > 0 ? table.expiryAt(slot) : NaN;
    if (when <= now()) return -1;
    if (only !== SetOnly.Always && (only === SetOnly.IfAbsent) === slot >= 0) {
      if (slot >= 0) this.recordAccess(slot, false);
      return 0;
    }
    if (when === when) table.setExpiryAt(slot, NaN);
    const key = keyBytes.of(buf, start, end);
    let at = slot;
    if (slot < 0) this.recordAccess((at = table.addBytes(key, value)), true);
    else {
      this.bytes -= this.accountedAt(slot);
      if (keyspace.lazyFree.serverDel && table.kindAt(slot) === Kind.Object) this.freedLazily(table.valueAt(slot));
      table.replaceAt(slot, key, value);
      this.recordAccess(slot, false);
    }
    if (deadline === deadline) table.setExpiryAt(at, deadline);
    key.release();
    this.bytes += estimateStringBytes(end - start, typeof value === "number" ? -1 : value.length);
    keyspace.dirty++;
    return 1;
  }

  /**
   * The slot of a key given as bytes holding a value of `kind`, for a write made on it in
   * place with no string made of the key (INCR's, APPEND's, a large list's push): -1 when
   * it is missing, of another kind or past its deadline, or while something listens by
   * name (heardByName), for the usual way.
   */
  private editableSlotBytes(buf: Uint8Array, start: number, end: number, kind: Kind): number {
    if (this.heardByName) return -1;
    const table = this.table;
    const slot = table.findBytes(buf, start, end);
    if (slot < 0 || table.kindAt(slot) !== kind || (table.expiresCount > 0 && table.expiryAt(slot) <= now())) return -1;
    return slot;
  }

  /**
   * Whether a change must go by the key's name: a snapshot is being written, or a "new"
   * event, a watcher, client tracking or a waiter listens for keys (setStringBytes).
   */
  private get heardByName(): boolean {
    const keyspace = this.keyspace;
    return keyspace.snapshots.length > 0 || keyspace.notifyNew || keyspace.onTouched !== undefined || keyspace.onReady !== undefined || this.watchers.size > 0;
  }

  /**
   * INCR, DECR, INCRBY and DECRBY of a key given as bytes (buf[start, end)) that holds a
   * number: the sum stored in place, with no string made of the key. Undefined, with
   * nothing done, for the usual way: the key is missing, holds anything else or is past its
   * deadline, the sum is beyond 2^53, or something listens by name (setStringBytes).
   */
  incrNumberBytes(buf: Uint8Array, start: number, end: number, incr: number): number | undefined {
    const slot = this.editableSlotBytes(buf, start, end, Kind.Number);
    if (slot < 0) return undefined;
    const table = this.table;
    const result = (table.valueAt(slot) as number) + incr;
    if (!Number.isSafeInteger(result)) return undefined;
    table.replaceAt(slot, keyBytes.of(buf, start, end), result);
    keyBytes.release();
    this.recordAccess(slot, false);
    this.keyspace.dirty++;
    return result;
  }

  /**
   * The packed small aggregate of kind `kind` at a key given as bytes (buf[start, end)), for
   * a command to read from the key's cell with no string or object made (HGET of a small
   * hash): a view of its body (store/packed-values.ts), valid until the next call here.
   * The read is counted and stamped as lookupKeyRead does. Undefined, with nothing done,
   * when the key is missing (unless `missingAsEmpty`), past its deadline, held otherwise or
   * of another type: the caller goes the usual way, which answers those.
   */
  packedForRead(buf: Uint8Array, start: number, end: number, kind: PackedKind, missingAsEmpty = false): ByteSlice | undefined {
    const found = this.table.findBytes(buf, start, end);
    // A missing key, for a command that answers it as it answers an empty value (HGET,
    // ZSCORE, LRANGE...): the miss counted and announced as lookupKeyRead does, and an
    // empty body of the kind, with no string made of the key and no second lookup.
    if (found < 0 && missingAsEmpty) {
      this.missed(this.keyspace.notifyKeyMiss ? latin1Slice.call(buf, start, end) : "");
      return packedView.of(EMPTY_BODY, 0, kind === "list" ? EMPTY_LIST_BODY : kind === "set" ? EMPTY_SET_BODY : 0);
    }
    const slot = found < 0 ? found : this.packedSlot(found, kind);
    if (slot < 0) return undefined;
    this.keyspace.stats.keyspaceHits++;
    this.recordAccess(slot, false);
    const at = this.table.valueStart(slot);
    return packedView.of(this.table.valueBuffer(slot), at + PACKED_HEADER, at + this.table.valueLengthAt(slot));
  }

  /**
   * A write to the packed small aggregate of kind `kind` at a key given as bytes, made on
   * its bytes with no string or object made (HSET of a small hash): `edit` changes its
   * body (store/packed-values.ts), out.buf[out.start, out.end), lent in place until its
   * first write (PackedBytes), and returns the command's result, or -1 when the value would
   * no longer be held packed. The new bytes then replace the old in the key's cell, or
   * make the key when it was missing (`edit` given an empty body, which it may leave empty
   * to make nothing: a pop), and `changes` are counted as Redis's dirty. An edit that took
   * the last element sets `out.emptied`, and the key goes away as Redis deletes an emptied
   * aggregate. As setStringBytes, only while nothing waits to hear of the key by name, and
   * not for a key past its deadline or held otherwise. -1 then, with nothing done, for the
   * caller to go the usual way (which also answers WRONGTYPE).
   */
  editPacked<A>(buf: Uint8Array, start: number, end: number, kind: PackedKind, changes: number, edit: (out: PackedBytes, arg: A) => number, arg: A): number {
    const keyspace = this.keyspace;
    if (keyspace.snapshots.length > 0 || keyspace.onTouched !== undefined || keyspace.onReady !== undefined || this.watchers.size > 0) return -1;
    const table = this.table;
    const found = table.findBytes(buf, start, end);
    if (found < 0) return keyspace.notifyNew ? -1 : this.createPacked(buf, start, end, kind, changes, edit, arg);
    const slot = this.packedSlot(found, kind);
    if (slot < 0) return -1;
    const cell = table.valueBuffer(slot) as Bytes;
    const at = table.valueStart(slot);
    const out = packedEdit;
    out.lend(cell, at, at + PACKED_HEADER, at + table.valueLengthAt(slot));
    const result = edit(out, arg);
    if (result < 0) return -1;
    keyspace.dirty += changes;
    if (out.emptied) {
      this.bytes -= packedAccounted(cell, at);
      const key = keyspace.notify !== undefined ? table.keyAt(slot) : undefined;
      table.deleteAt(slot);
      if (key !== undefined) keyspace.notify?.("emptied", this, key);
      return result;
    }
    // Still lent: left as it was (a ZADD of the same score, an SADD of a member there).
    if (!out.lent) {
      this.countPacked(end - start, out, packedAccounted(cell, at));
      table.replaceAt(slot, keyBytes.of(buf, start, end), out);
      keyBytes.release();
    }
    this.recordAccess(slot, false);
    return result;
  }

  /**
   * Whether the key given as bytes is missing or holds a small aggregate of kind `kind`
   * packed in its cell, not past its deadline: one editPacked may change (LMOVE's
   * destination, looked at before its source is popped).
   */
  editableAs(buf: Uint8Array, start: number, end: number, kind: PackedKind): boolean {
    const found = this.table.findBytes(buf, start, end);
    return found < 0 || this.packedSlot(found, kind) >= 0;
  }

  /**
   * Whether the key given as bytes holds a small aggregate of kind `kind` packed in its
   * cell, not past its deadline; nothing is counted or stamped (SINTER looks at every key
   * before it reads one).
   */
  heldPackedAs(buf: Uint8Array, start: number, end: number, kind: PackedKind): boolean {
    const found = this.table.findBytes(buf, start, end);
    return found >= 0 && this.packedSlot(found, kind) >= 0;
  }

  /** editPacked of a missing key: `edit` given an empty body makes it, unless it leaves it empty. */
  private createPacked<A>(buf: Uint8Array, start: number, end: number, kind: PackedKind, changes: number, edit: (out: PackedBytes, arg: A) => number, arg: A): number {
    const out = packedEdit;
    startPacked(out, kind);
    out.start = PACKED_HEADER;
    const result = edit(out, arg);
    if (result < 0 || out.end === out.start) return result;
    this.countPacked(end - start, out, 0);
    this.recordAccess(this.table.addBytes(keyBytes.of(buf, start, end), out), true);
    keyBytes.release();
    this.keyspace.dirty += changes;
    return result;
  }

  /**
   * editPacked's value, whole again in `out` (from its header): what it counts for is
   * noted in it, and the keyspace's bytes change by that less what it counted for `before`.
   */
  private countPacked(keyLength: number, out: PackedBytes, before: number): void {
    out.start = 0;
    const accounted = estimateStringBytes(keyLength, out.length);
    this.bytes += accounted - before;
    setPackedAccounted(out.buf as Bytes, 0, accounted);
  }

  /** `slot`, if it holds a packed value of kind `kind` not past its deadline; else -1. */
  private packedSlot(slot: number, kind: PackedKind): number {
    const table = this.table;
    if (table.kindAt(slot) !== Kind.Packed || (table.expiresCount > 0 && table.expiryAt(slot) <= now())) return -1;
    return packedKind(table.valueBuffer(slot) as Bytes, table.valueStart(slot)) === kind ? slot : -1;
  }

  /** Loading: room for `n` keys at once (the file's RESIZEDB), rather than growing step by step. */
  reserve(n: number): void {
    this.table.reserve(n);
  }

  /**
   * Loading (RDB): store a string value at a key given as bytes, found and placed without
   * a string made of it; returns its slot. -1 when the key is already there (the caller
   * stores it the usual way). Only while nothing watches the keyspace: no snapshot,
   * tracking or waiter.
   */
  loadString(key: ByteSlice, value: number | ByteSlice): number {
    const slot = this.table.addBytesIfAbsent(key, value);
    if (slot < 0) return -1;
    this.recordAccess(slot, true);
    this.bytes += estimateStringBytes(key.length, typeof value === "number" ? -1 : value.length);
    this.keyspace.dirty++;
    return slot;
  }

  /** Loading (RDB): the deadline (ms) of the key loadString or loadPacked just placed at `slot`; one change, as setExpire counts it. */
  loadExpiry(slot: number, when: number): void {
    this.table.setExpiryAt(slot, when);
    this.keyspace.dirty++;
  }

  /**
   * Loading (RDB): loadString for a small aggregate loaded as its packed bytes
   * (store/packed-values.ts), copied into the key's cell with no object made.
   */
  loadPacked(key: ByteSlice, value: PackedBytes): number {
    // What it counts for is its cell, as a string's bytes count (estimateStringBytes).
    setPackedAccounted(value.buf as Bytes, value.start, estimateStringBytes(key.length, value.length));
    return this.loadString(key, value);
  }

  /**
   * Store a value (or a string still in a request's bytes, copied in); the key's TTL is
   * removed unless keepTtl (Redis's setKey), or set to `deadline` (ms) when it is given:
   * one change either way, as SET EX and COPY count it.
   */
  setKey(key: string, value: StoredValue | ByteSlice, keepTtl = false, deadline = NaN, lookedUp = false): number {
    this.beforeWrite(key);
    const table = this.table;
    let existing = table.find(key);
    // Redis's setKey looks the key up for writing: one past its deadline is deleted, and
    // announced as expired, before the new value comes (as a new key). (NaN, no deadline,
    // compares false.)
    if (!lookedUp && existing >= 0 && table.expiryAt(existing) <= now() && this.expireIfNeeded(key)) existing = table.find(key);
    let slot = existing;
    if (existing < 0) {
      if (this.keyspace.notifyNew) this.keyspace.notify?.("new", this, key);
      slot = table.add(key, value);
      this.recordAccess(slot, true);
    } else {
      this.bytes -= this.accountedAt(slot);
      if (this.keyspace.lazyFree.serverDel && table.kindAt(slot) === Kind.Object) this.freedLazily(table.valueAt(slot));
      table.replaceAt(slot, key, value);
      // The value replaced keeps the key's access word (Redis's dbOverwrite keeps an LFU
      // counter), touched once by the lookup Redis's setKey makes, unless the caller looked
      // the key up already (`lookedUp`: SET's options, INCR).
      if (!lookedUp) this.recordAccess(slot, false);
    }
    this.bytes += value instanceof ByteSlice ? estimateStringBytes(key.length, value.length) : this.account(key, value);
    this.stored(key, value, slot);
    if (deadline === deadline) table.setExpiryAt(slot, deadline);
    else if (!keepTtl && existing >= 0 && table.expiresCount > 0) table.setExpiryAt(slot, NaN);
    this.keyspace.dirty++;
    this.touch(key);
    return slot;
  }

  /**
   * Store bytes as a string that Redis would report as "raw" whatever its content: one
   * built as a buffer (BITOP, a grown HLL); strings changed in place are marked by
   * unsharedString and growString. The bytes are copied into the key's cell; the mark is a
   * bit in its slot (KeyTable.setRaw). The key's TTL stays unless keepTtl is false.
   */
  setRawString(key: string, bytes: Uint8Array, keepTtl = true, lookedUp = false): void {
    this.table.setRaw(this.setKey(key, rawValue.of(bytes, 0, bytes.length), keepTtl, NaN, lookedUp));
    rawValue.release();
  }

  /**
   * Store a number Redis formatted as text (INCRBYFLOAT's result), keeping the key's TTL:
   * OBJECT ENCODING calls it "embstr" even when it reads as a 64-bit integer.
   */
  setFormattedNumber(key: string, text: string): void {
    this.table.setText(this.setKey(key, text, true, NaN, true));
  }

  /**
   * The string at `key` becomes "raw" without changing (Redis's dbUnshareStringValue, which
   * a bit command does before looking at the bits, even when it then changes none): no
   * write is counted.
   */
  unshareString(key: string): void {
    const slot = this.table.find(key);
    const kind = slot < 0 ? Kind.None : this.table.kindAt(slot);
    if (kind === Kind.Number || kind === Kind.String) this.unshareAt(slot, key);
  }

  /**
   * The string at `key` to change in place (Redis's lookupKeyWrite, then
   * dbUnshareStringValue): its bytes in its cell, valid until the keyspace next changes,
   * and it reports as "raw" from now on. Undefined when missing; WRONGTYPE for another
   * type; `check` may refuse the bytes (by throwing) before anything changes. The caller
   * counts a change with `modified`.
   */
  unsharedString(key: string, check?: (bytes: Uint8Array) => void): Uint8Array | undefined {
    const slot = this.lookupSlotWrite(key);
    if (slot < 0) return undefined;
    const bytes = this.stringViewAt(slot);
    check?.(bytes);
    if (this.table.kindAt(slot) === Kind.String) {
      this.table.setRaw(slot);
      return bytes;
    }
    this.unshareAt(slot, key);
    return this.stringViewAt(slot);
  }

  /**
   * APPEND of src[srcStart, srcEnd) to the string at a key given as bytes (buf[start, end)),
   * grown in its cell as growString grows one, with no string made of the key: the new
   * length, or -2 (nothing done) when it would pass `maxLength` (proto-max-bulk-len). -1,
   * with nothing done, for the usual way: the key is missing, past its deadline, holds an
   * integer or another type, or something listens by name (setStringBytes).
   */
  appendBytes(buf: Uint8Array, start: number, end: number, src: Uint8Array, srcStart: number, srcEnd: number, maxLength: number): number {
    const slot = this.editableSlotBytes(buf, start, end, Kind.String);
    if (slot < 0) return -1;
    const table = this.table;
    const before = table.valueLengthAt(slot);
    const length = before + srcEnd - srcStart;
    if (length > maxLength) return -2;
    table.growStringAt(slot, length);
    table.setRaw(slot);
    copyRange(src, srcStart, srcEnd, table.valueBuffer(slot), table.valueStart(slot) + before);
    this.bytes += estimateStringBytes(end - start, length) - estimateStringBytes(end - start, before);
    this.recordAccess(slot, false);
    this.keyspace.dirty++;
    return length;
  }

  /**
   * The string at `key` grown with zero bytes to `length` (made, empty, when missing), to
   * change in place as unsharedString's (Redis's sdsgrowzero after dbUnshareStringValue):
   * room is kept for more, so that SETBIT, SETRANGE and APPEND grow a string in amortized
   * O(1) as Redis's do. The caller counts the change with `modified`, a key made here too.
   */
  growString(key: string, length: number): Uint8Array {
    this.beforeWrite(key);
    const table = this.table;
    let slot = table.find(key);
    if (slot < 0) {
      if (this.keyspace.notifyNew) this.keyspace.notify?.("new", this, key);
      slot = table.add(key, "");
      this.recordAccess(slot, true);
      this.bytes += estimateStringBytes(key.length, 0);
    } else {
      this.unshareAt(slot, key);
    }
    const before = table.valueLengthAt(slot);
    table.growStringAt(slot, length);
    this.bytes += estimateStringBytes(key.length, length) - estimateStringBytes(key.length, before);
    table.setRaw(slot);
    return this.stringViewAt(slot);
  }

  /**
   * The string at `key` for reading with lookupKeyWrite's rules (a command that may then
   * change it, when it does not): a view as readStringView's.
   */
  writeStringView(key: string): Uint8Array | undefined {
    const slot = this.lookupSlotWrite(key);
    return slot < 0 ? undefined : this.stringViewAt(slot);
  }

  /**
   * The string at `key` for reading (lookupKeyRead's rules), as unsharedString gives it
   * but unchanged: a view valid until the keyspace next changes.
   */
  readStringView(key: string): Uint8Array | undefined {
    const slot = this.lookupSlotRead(key, true);
    return slot < 0 ? undefined : this.stringViewAt(slot);
  }

  /**
   * Byte `index` of the string at `key` (lookupKeyRead's rules), -1 when the key is missing
   * or the string shorter: GETBIT's read, with no view of the cell made for one byte.
   */
  readStringByte(key: string, index: number): number {
    const slot = this.lookupSlotRead(key, true);
    if (slot < 0) return -1;
    const table = this.table;
    if (table.kindAt(slot) !== Kind.String) {
      const bytes = this.stringViewAt(slot);
      return index < bytes.length ? bytes[index]! : -1;
    }
    return index < table.valueLengthAt(slot) ? table.valueBuffer(slot)[table.valueStart(slot) + index]! : -1;
  }

  /**
   * SETBIT's change, in the string's cell: bit `offset` (0: the first byte's highest) of the
   * string at `key` set to `on`, the string made or grown with zero bytes to hold it and
   * unshared as unsharedString's (Redis's lookupStringForBitCommand). Returns the bit's old
   * value, plus 2 when the string changed (the caller counts it with `modified`).
   */
  setStringBit(key: string, offset: number, on: number): number {
    const byte = Math.floor(offset / 8);
    const table = this.table;
    let slot = this.lookupSlotWrite(key);
    const kind = slot < 0 ? Kind.None : table.kindAt(slot);
    if (kind !== Kind.None && kind !== Kind.String && kind !== Kind.Number) throw WRONGTYPE;
    const length = kind === Kind.String ? table.valueLengthAt(slot) : kind === Kind.Number ? String(table.valueAt(slot)).length : 0;
    // Made or grown (and unshared) to hold the byte, or unshared as it is.
    const grown = length <= byte;
    if (grown) this.growString(key, byte + 1);
    else this.unshareAt(slot, key);
    slot = table.find(key);
    const buf = table.valueBuffer(slot);
    const at = table.valueStart(slot) + byte;
    const mask = 1 << (7 - (offset & 7));
    const old = (buf[at]! & mask) === 0 ? 0 : 1;
    if (!grown && old === on) return old;
    buf[at] = on ? buf[at]! | mask : buf[at]! & ~mask;
    return old | 2;
  }

  /**
   * The string at `key` for reading (lookupKeyRead's rules) as where its bytes lie, with no
   * view made: a slice (reused: valid until the next call, and while the keyspace does not
   * change) of its cell, or of an integer's digits; undefined when missing; WRONGTYPE for
   * another type. BITCOUNT and BITPOS read a few bytes of what may be a big string.
   */
  readStringSlice(key: string): ByteSlice | undefined {
    const slot = this.lookupSlotRead(key, true);
    return slot < 0 ? undefined : this.stringSliceAt(slot);
  }

  /** Where the string in `slot` lies (stringSlice, reused): its cell, or an integer's digits; WRONGTYPE for another type. */
  private stringSliceAt(slot: number): ByteSlice {
    const table = this.table;
    const kind = table.kindAt(slot);
    if (kind === Kind.Number) {
      const digits = stringToBytes(String(table.valueAt(slot)));
      return stringSlice.of(digits, 0, digits.length);
    }
    if (kind !== Kind.String) throw WRONGTYPE;
    const start = table.valueStart(slot);
    return stringSlice.of(table.valueBuffer(slot), start, start + table.valueLengthAt(slot));
  }

  /** The bytes of the string in `slot` as a view of its cell (an integer's digits as a new array); WRONGTYPE for another type. */
  private stringViewAt(slot: number): Uint8Array {
    const { buf, start, end } = this.stringSliceAt(slot);
    stringSlice.release();
    return new Uint8Array(buf.buffer, buf.byteOffset + start, end - start);
  }

  /** An integer held as a number becomes its digits, and the string "raw". */
  private unshareAt(slot: number, key: string): void {
    const table = this.table;
    if (table.kindAt(slot) === Kind.Number) {
      const value = table.valueAt(slot) as number;
      const text = String(value);
      this.bytes += this.account(key, text) - this.account(key, value);
      table.replaceAt(slot, key, text);
    }
    table.setRaw(slot);
  }

  /** DEBUG HTSTATS: the figures of this database's table, of every key or of those with a TTL. */
  tableStats(expiring: boolean): TableStats {
    return this.table.stats(expiring);
  }

  /**
   * DEBUG SDSLEN of a key that is present and holds a string: its key's and value's
   * lengths and the bytes of the cell holding both; undefined for an integer ("int"
   * encoding) or another type, which Redis holds in no sds either.
   */
  stringCell(key: string): { keyLength: number; valueLength: number; cellBytes: number } | undefined {
    const table = this.table;
    const slot = table.find(key);
    if (table.kindAt(slot) !== Kind.String || this.encodingOf(key) === "int") return undefined;
    return { keyLength: table.keyLengthAt(slot), valueLength: table.valueLengthAt(slot), cellBytes: table.cellBytesAt(slot) };
  }

  /** OBJECT ENCODING of a key that is present (look it up first: this neither expires nor touches it). */
  encodingOf(key: string): string {
    const table = this.table;
    const slot = table.find(key);
    // A long string is raw whatever it holds: no need to read it (a string made of 100 KB
    // held OBJECT ENCODING to 0.01x Redis's speed).
    if (table.kindAt(slot) === Kind.String) {
      if (table.isRaw(slot) || table.valueLengthAt(slot) > 44) return "raw";
      if (table.isText(slot)) return "embstr";
    }
    return encodingOf(this.readAt(slot), table.isRaw(slot));
  }

  /**
   * Store `value` (this key's, or a copy of it) as `destKey` of `dest`, with this key's TTL
   * and string encoding: what RENAME, COPY and MOVE do before the source goes or stays.
   * COPY's value is an object of its own (`ownObject`), as Redis duplicates it.
   */
  copyKeyTo(key: string, dest: Database, destKey: string, value: StoredValue, ownObject = false): void {
    const when = this.getExpire(key);
    const marks = this.table.stringMarks(this.table.find(key));
    dest.table.markString(dest.setKey(destKey, value, false, when === -1 ? NaN : when), marks, ownObject);
  }

  /**
   * RENAME and MOVE: `key` goes to `destKey` of `dest` with its TTL, its string encoding and
   * its access word (LRU time or LFU counter), as Redis moves the object itself.
   */
  moveKeyTo(key: string, dest: Database, destKey: string, value: StoredValue): void {
    const access = this.table.accessAt(this.table.find(key));
    this.copyKeyTo(key, dest, destKey, value);
    dest.table.setAccessAt(dest.table.find(destKey), access);
    this.discard(key);
  }

  /** Whether the integer at `key` (present) is one of Redis's shared ones, not a COPY's own object. */
  sharesInteger(key: string): boolean {
    return !this.table.isOwn(this.table.find(key));
  }

  /** A deep copy of `key` as it is now (value, TTL, string encoding) for restoreCopy; undefined when absent. */
  copyOf(key: string): KeyCopy | undefined {
    const slot = this.table.find(key);
    if (slot < 0) return undefined;
    return { value: copyValue(this.valueAt(slot, key)), marks: this.table.stringMarks(slot), when: this.getExpire(key) };
  }

  /** Put `key` back as `copy` held it, or delete it when `copy` is undefined. */
  restoreCopy(key: string, copy: KeyCopy | undefined): void {
    this.discard(key, false);
    if (copy === undefined) return;
    this.table.markString(this.setKey(key, copy.value, false, copy.when === -1 ? NaN : copy.when), copy.marks);
  }

  /** Keep keys by cluster hash slot from now on (a cluster node's database 0). */
  indexSlots(): void {
    this.table.indexSlots();
  }

  /** CLUSTER COUNTKEYSINSLOT (indexSlots first). */
  countKeysInSlot(slot: number): number {
    return this.table.slotIndex?.counts[slot] ?? 0;
  }

  /** CLUSTER GETKEYSINSLOT: at most `max` keys of the hash slot (indexSlots first). */
  keysInSlot(slot: number, max: number): string[] {
    const table = this.table;
    return table.slotIndex?.keysOf(slot, max).map((at) => table.keyAt(at)) ?? [];
  }

  /**
   * SWAPDB's half: exchange everything held with `other` (the database numbers stay). The
   * other may be another keyspace's (a replica's swapdb load): each table then answers to
   * its new keyspace for growing and for the bytes it holds.
   */
  swapContents(other: Database): void {
    const slotBytes = this.table.slotBytes - other.table.slotBytes;
    this.keyspace.heldBytes -= slotBytes;
    other.keyspace.heldBytes += slotBytes;
    [this.table, other.table] = [other.table, this.table];
    [this.expireCursor, other.expireCursor] = [other.expireCursor, this.expireCursor];
    [this.bytes, other.bytes] = [other.bytes, this.bytes];
    [this.open, other.open] = [other.open, this.open];
    this.bindTable();
    other.bindTable();
  }

  private bindTable(): void {
    const keyspace = this.keyspace;
    this.table.mayGrow = (bytes) => keyspace.mayGrow(bytes);
    this.table.slotBytesChanged = (delta) => (keyspace.heldBytes += delta);
    this.table.shrinksInSteps = true;
    if (this.open.keys.length > 0) keyspace.opened(this);
  }

  /**
   * dbDelete: remove a key and its TTL. Returns whether it existed. `lazily` as UNLINK
   * (Redis's dbAsyncDelete); by default as lazyfree-lazy-server-del says.
   */
  delete(key: string, lazily = this.keyspace.lazyFree.serverDel): boolean {
    if (!this.discard(key, lazily)) return false;
    this.keyspace.dirty++;
    return true;
  }

  /**
   * delete() counting no change: a key removed within a change counted once (an emptied
   * aggregate, RENAME's and MOVE's source, a replaced destination), as Redis's dbDelete
   * leaves server.dirty to the command.
   */
  discard(key: string, lazily = this.keyspace.lazyFree.serverDel): boolean {
    this.beforeWrite(key);
    const table = this.table;
    const slot = table.find(key);
    if (slot < 0) return false;
    if (lazily && table.kindAt(slot) === Kind.Object) this.freedLazily(table.valueAt(slot));
    this.bytes -= this.accountedAt(slot);
    table.deleteAt(slot);
    this.touch(key);
    return true;
  }

  /** A value Redis would free in another thread (freeObjAsync): only counted, the collector frees it. */
  private freedLazily(value: StoredValue): void {
    if (freeEffort(value) > LAZYFREE_THRESHOLD) this.keyspace.stats.lazyfreedObjects++;
  }

  /** Set an absolute deadline (ms) on an existing key. */
  setExpire(key: string, when: number): void {
    this.beforeWrite(key);
    const slot = this.table.find(key);
    if (slot < 0) return;
    this.table.setExpiryAt(slot, when);
    this.keyspace.dirty++;
    this.touch(key);
  }

  /** The key's deadline in ms, or -1 when it has none. */
  getExpire(key: string): number {
    if (this.table.expiresCount === 0) return -1;
    const slot = this.table.find(key);
    const when = slot < 0 ? NaN : this.table.expiryAt(slot);
    return when === when ? when : -1;
  }

  /** PERSIST: returns whether a TTL was removed. */
  removeExpire(key: string): boolean {
    this.beforeWrite(key);
    if (this.getExpire(key) === -1) return false;
    this.table.setExpiryAt(this.table.find(key), NaN);
    this.keyspace.dirty++;
    this.touch(key);
    return true;
  }

  /** FLUSHDB (`lazily`: ASYNC, which Redis counts as freeing every key in the background). */
  flush(lazily = false): number {
    this.beforeWriteAll();
    if (this.watchers.size > 0) this.touchAll();
    const removed = this.table.size;
    if (lazily) this.keyspace.stats.lazyfreedObjects += removed;
    this.table.clear();
    this.open.dropOldest(this.open.keys.length);
    this.bytes = 0;
    this.expireCursor = 0;
    if (!this.keyspace.sandboxed) this.keyspace.onReplaced?.(this);
    return removed;
  }

  private deleteExpired(key: string): void {
    this.beforeWrite(key);
    this.keyspace.onExpired?.(this, key);
    this.keyspace.notify?.("expired", this, key);
    const table = this.table;
    const slot = table.find(key);
    if (slot >= 0) {
      this.bytes -= this.accountedAt(slot);
      if (this.keyspace.lazyFree.expire && table.kindAt(slot) === Kind.Object) this.freedLazily(table.valueAt(slot));
      table.deleteAt(slot);
    }
    this.keyspace.stats.expiredKeys++;
    // After the deletion, as Redis signals it: a watcher of an already-expired key sees no change.
    this.touch(key);
  }

  /**
   * Reclaim keys whose deadline has passed, as Redis's activeExpireCycle does: look at the
   * next 20 keys with a TTL (a sweep of the table's slots that goes on where the last one
   * stopped), delete the expired ones, and go on while more than a tenth of a sample had
   * expired and the time budget lasts. Each step of active-expire-effort above 1 samples 5
   * keys more and goes on down to one percent less expired. Returns how many were deleted.
   */
  activeExpire(deadlineMs: number, clockNow: number, effort = 1): number {
    const table = this.table;
    const perSample = 20 + 5 * (effort - 1);
    const stalePercent = 10 - (effort - 1);
    let expired = 0;
    for (let samples = 0; ; samples++) {
      let sampled = 0;
      let found = 0;
      // Slots without a TTL are skipped, but at most 20 a key are looked at a sample.
      for (let looked = 0; sampled < perSample && looked < 20 * perSample; looked++) {
        const slot = table.nextSlot(this.expireCursor);
        if (slot < 0) {
          this.expireCursor = 0;
          break;
        }
        this.expireCursor = slot + 1;
        const when = table.expiryAt(slot);
        if (when !== when) continue;
        sampled++;
        if (when <= clockNow) {
          this.deleteExpired(table.keyAt(slot));
          found++;
        }
      }
      expired += found;
      if (found * 100 <= sampled * stalePercent || table.expiresCount === 0) return expired;
      if ((samples & 7) === 7 && performance.now() > deadlineMs) return expired;
    }
  }
}

export class Keyspace {
  readonly dbs: readonly Database[];
  /** Changes since the last save: Redis's server.dirty. */
  dirty = 0;
  /** A replica keeps expired keys until its master deletes them (no active expiry either). */
  get replicaMode(): boolean {
    return this.isReplica;
  }
  set replicaMode(on: boolean) {
    this.isReplica = on;
    if (!on) this.replicaKeysWithExpire.clear();
  }
  private isReplica = false;
  /**
   * Keys a writable replica's own clients gave a TTL, with the databases they were given
   * it in (Redis's slaveKeysWithExpire): the master knows nothing of them and will send no
   * DEL, so the replica expires them itself (expireReplicaKeys).
   */
  private readonly replicaKeysWithExpire = new Map<string, Set<number>>();

  /** A replica's own client gave `key` of `db` a TTL (rememberSlaveKeyWithExpire). */
  rememberReplicaKeyWithExpire(db: Database, key: string): void {
    const dbs = this.replicaKeysWithExpire.get(key);
    if (dbs === undefined) this.replicaKeysWithExpire.set(key, new Set([db.id]));
    else dbs.add(db.id);
  }

  /**
   * Redis's expireSlaveKeys: delete the replica's own keys whose deadline has passed, going
   * round the keys remembered, forgetting those gone or without a TTL now, until three in
   * a row cannot go yet or a millisecond has passed. Returns how many were deleted.
   */
  expireReplicaKeys(): number {
    const tracked = this.replicaKeysWithExpire;
    if (tracked.size === 0) return 0;
    const started = performance.now();
    const clockNow = now();
    const round = tracked.size;
    let expired = 0;
    let kept = 0;
    for (let looked = 1; tracked.size > 0; looked++) {
      const [key, dbs] = tracked.entries().next().value!;
      tracked.delete(key);
      let waiting = false;
      for (const id of dbs) {
        const result = this.dbs[id]!.expireOwnKey(key, clockNow);
        if (result === 0) waiting = true;
        else {
          dbs.delete(id);
          if (result === 1) expired++;
        }
      }
      // One still to expire goes to the back of the round.
      if (dbs.size > 0) tracked.set(key, dbs);
      kept = waiting ? kept + 1 : 0;
      if (kept > 3 || looked >= round || ((looked & 63) === 0 && performance.now() - started > 1)) break;
    }
    return expired;
  }
  /**
   * While clients are paused (CLIENT PAUSE, FAILOVER) the data stays as it is: expired keys
   * are reported missing but not deleted, nothing is evicted, as in Redis.
   */
  paused = false;

  /** Whether the running command came from this replica's master (set by the server). */
  masterRunning: () => boolean = () => false;
  /** Whether a write lookup deletes a key past its deadline on this replica: a client's, on a writable one (set by the server). */
  clientWritesExpire: () => boolean = () => false;

  /** Expired keys stay until a DEL comes: on a replica, and while clients are paused. */
  get keepsExpired(): boolean {
    return this.replicaMode || this.paused;
  }
  /** While an AOF is replayed nothing expires: its commands must see the keys as they were. */
  loading = false;
  /** key-load-delay: microseconds each key loaded from a dump waits (-N: 1 µs every N keys), Redis's test knob. */
  keyLoadDelay = 0;
  /** DEBUG SET-SKIP-CHECKSUM-VALIDATION: RDB loads and RESTORE accept any checksum. */
  skipChecksumValidation = false;
  readonly stats: KeyspaceStats = { expiredKeys: 0, lazyfreedObjects: 0, expireTimeCapReached: 0, expireCycleMs: 0, keyspaceHits: 0, keyspaceMisses: 0 };
  /**
   * The lazyfree-lazy-* parameters Redis applies to deletions it makes itself. The garbage
   * collector frees every value after the command either way; what they change here is
   * INFO's lazyfreed_objects, counted as Redis counts it.
   */
  readonly lazyFree = { serverDel: false, expire: false, eviction: false };
  /** Told of keys created ("new"), expired, looked up for reading and missing ("keymiss"), and aggregates emptied by a removal (keyspace events). */
  notify: ((what: "new" | "expired" | "keymiss" | "emptied", db: Database, key: string) => void) | undefined;
  /** Whether "new" events are wanted: only then does storing a key first ask whether it exists. */
  notifyNew = false;
  /** Whether "keymiss" events are wanted (the `m` class). */
  notifyKeyMiss = false;
  /** Told of every changed key once a client has used CLIENT TRACKING (server/tracking.ts). */
  onTouched: ((key: string) => void) | undefined;
  /**
   * Told of every changed key while clients are blocked on keys (server/blocking.ts installs
   * it for as long as anyone waits, and keeps the queues itself).
   */
  onReady: ((db: Database, key: string) => void) | undefined;
  /** Told after a database's contents were replaced whole: FLUSHDB, FLUSHALL, SWAPDB (while clients wait on keys). */
  onReplaced: ((db: Database) => void) | undefined;
  /** Told of every key deleted because its TTL passed (replication propagates a DEL). */
  onExpired: ((db: Database, key: string) => void) | undefined;
  /**
   * Set while SCRIPT DEBUG YES's session runs (scripting/rollback.ts), whose changes are
   * undone at its end: nothing it does may reach anyone meanwhile. Changed and replaced
   * keys tell no watcher, tracker or blocked client; propagation checks it too.
   */
  sandboxed = false;
  /** Snapshots in progress (BGSAVE, replicas' full syncs), which see every change first. */
  snapshots: SnapshotInProgress[] = [];
  /**
   * Snapshots started (INFO total_forks) and how long the latest took to start, in µs
   * (latest_fork_usec): each is where Redis forks a child (BGSAVE, an AOF rewrite, a full
   * sync), the same figures an operator watches for background jobs.
   */
  readonly snapshotStarts = { total: 0, latestUsec: 0 };
  /** The mark bits of the keyspace's slots that snapshots in progress own (8 at most). */
  private snapshotBits = 0;
  /**
   * Bits of finished snapshots whose marks are still in the slots. Taking a bit off every
   * slot at once cost 93 ms for 2M slots (a loop run once per save, before the JIT gets to
   * it), so it is swept a slice at a time (sweepMarks) and the bit is free once a pass has
   * covered every table.
   */
  private staleBits = 0;
  /** The sweep in progress: the bits it takes off, the database and slot it is at. */
  private readonly sweep = { bits: 0, db: 0, slot: 0 };

  /** A mark bit for a new snapshot, or 0 when eight are already in progress. */
  takeSnapshotBit(): number {
    // Every free bit still being swept: finish the sweep now rather than go without.
    while ((this.snapshotBits | this.staleBits) === 0xff && this.staleBits !== 0) this.sweepMarks(Infinity);
    for (let bit = 1; bit < 256; bit <<= 1) {
      if ((this.snapshotBits | this.staleBits) & bit) continue;
      this.snapshotBits |= bit;
      this.markNewKeys();
      return bit;
    }
    return 0;
  }

  /** A snapshot is complete: its bit goes once its marks are swept off the slots. */
  releaseSnapshotBit(bit: number): void {
    this.snapshotBits &= ~bit;
    this.staleBits |= bit;
    this.markNewKeys();
    this.sweepMarks();
  }

  private markNewKeys(): void {
    for (const db of this.dbs) db.markNewKeys(this.snapshotBits, this.staleBits);
  }

  /**
   * Take finished snapshots' marks off up to `budget` slots (the cron calls it each tick,
   * and a release at once, which for a small keyspace is the whole sweep). A pass covers
   * the bits stale when it began; bits that go stale meanwhile wait for the next.
   */
  sweepMarks(budget = SWEEP_SLOTS): void {
    const sweep = this.sweep;
    if (sweep.bits === 0) {
      if (this.staleBits === 0) return;
      sweep.bits = this.staleBits;
      sweep.db = 0;
      sweep.slot = 0;
    }
    while (budget > 0 && sweep.db < this.dbs.length) {
      const db = this.dbs[sweep.db]!;
      const reached = db.clearMarks(sweep.bits, sweep.slot, Math.min(budget, db.capacity));
      budget -= Math.max(1, reached - sweep.slot);
      if (reached >= db.capacity) {
        sweep.db++;
        sweep.slot = 0;
      } else sweep.slot = reached;
    }
    if (sweep.db < this.dbs.length) return;
    this.staleBits &= ~sweep.bits;
    sweep.bits = 0;
    this.markNewKeys();
  }

  /** DEBUG SET-ACTIVE-EXPIRE: whether the cron reclaims expired keys nobody reads. */
  activeExpireEnabled = true;
  /**
   * What a key's access word records (server/evict.ts sets it from maxmemory-policy): the
   * LFU counter under an LFU policy, else the LRU clock; with lfu-log-factor and
   * lfu-decay-time.
   */
  lfu = false;
  lfuLogFactor = 10;
  lfuDecayTime = 1;
  /** The command running must not change access times (CLIENT NO-TOUCH). */
  noTouch = false;

  /** Total estimated bytes of keys and values (Database.bytes). */
  get bytes(): number {
    let total = 0;
    for (const db of this.dbs) total += db.bytes;
    return total;
  }

  /** Every few seconds: tables that stopped taking inserts let their next rebuild's slots go (KeyTable.releaseIdleSpare). */
  releaseIdleSpares(): void {
    for (const db of this.dbs) db.releaseIdleSpare();
  }

  /** Every cron tick: up to `ms` of each mostly empty table's shrinking (KeyTable.shrinkStep), as Redis rehashes a millisecond a database. */
  shrinkTables(ms: number): void {
    for (const db of this.dbs) db.shrinkTable(ms);
  }

  /**
   * Called by the cron while the server is quiet: a step of the tables' cells giving back
   * chunks their classes hold mostly unused (CellHeap.compact), as jemalloc gives back
   * emptied slabs. Whether any was given back.
   */
  compactCells(): boolean {
    let gave = false;
    for (const db of this.dbs) if (db.compactCells()) gave = true;
    return gave;
  }

  /** MEMORY PURGE: compactCells until nothing is left to give back. */
  compactAllCells(): void {
    while (this.compactCells());
  }

  /**
   * The databases' `bytes` and slot arrays: the keyspace's part of used_memory, kept as
   * they change (maxmemory reads it before every command; summed over 16 databases then,
   * it was a sixth of a SET's time).
   */
  heldBytes = 0;

  /**
   * Whether a database's table may take `bytes` more to grow (the server sets it to keep
   * used_memory under maxmemory, as Redis's dictExpandAllowed; a table that may not grow
   * fills further first).
   */
  mayGrow: (bytes: number) => boolean = () => true;

  /** The parked iterations of SCAN and its per-type variants. */
  readonly scanCursors = new ScanCursors();
  /** Databases holding small aggregates opened since the last settle. */
  private withOpen: Database[] = [];

  /** A database opened (or made) a small aggregate that settle is to pack. */
  opened(db: Database): void {
    if (!this.withOpen.includes(db)) this.withOpen.push(db);
  }

  /**
   * Between commands (the dispatcher calls this after each one it runs, not after those
   * inside EXEC or a script): pack again what commands opened, but the last few.
   */
  settle(): void {
    const dbs = this.withOpen;
    if (dbs.length === 0) return;
    // Packed a batch at a time: at twice KEEP_OPEN, all but the last KEEP_OPEN.
    for (const db of dbs) if (db.openCount >= 2 * KEEP_OPEN) db.settle(KEEP_OPEN);
    let n = 0;
    for (const db of dbs) if (db.openCount > 0) dbs[n++] = db;
    dbs.length = n;
  }

  constructor(databases: number) {
    this.dbs = Array.from({ length: databases }, (_, i) => new Database(i, this));
  }

  /** SWAPDB: exchange the contents of two databases; clients keep their db numbers. */
  swap(a: number, b: number): void {
    this.exchange([[this.dbs[a]!, this.dbs[b]!]]);
  }

  /**
   * Exchange the contents of each pair (the second of a pair may be another keyspace's):
   * saves in progress finish first, and watchers and clients blocked on keys are told, as
   * SWAPDB tells them.
   */
  private exchange(pairs: Array<[Database, Database]>): void {
    for (const snapshot of this.snapshots) snapshot.finishNow();
    for (const [a, b] of pairs) {
      a.touchAll(b);
      b.touchAll(a);
    }
    for (const [a, b] of pairs) a.swapContents(b);
    // A table the sweep has passed may now be at a database it has still to reach, or the
    // reverse: the pass starts over.
    this.sweep.db = 0;
    this.sweep.slot = 0;
    this.dirty++;
    if (this.sandboxed) return;
    for (const [a, b] of pairs) {
      this.onReplaced?.(a);
      if (this.dbs.includes(b)) this.onReplaced?.(b);
    }
  }

  /**
   * An empty keyspace with this one's settings, for a replica to load its master's snapshot
   * into while this one still answers (repl-diskless-load swapdb).
   */
  scratch(): Keyspace {
    const other = new Keyspace(this.dbs.length);
    other.replicaMode = this.replicaMode;
    other.keyLoadDelay = this.keyLoadDelay;
    other.skipChecksumValidation = this.skipChecksumValidation;
    other.lfu = this.lfu;
    other.lfuLogFactor = this.lfuLogFactor;
    other.lfuDecayTime = this.lfuDecayTime;
    // Its tables grow only where the server's memory allows, as Redis's temporary databases' do.
    other.mayGrow = (bytes) => this.mayGrow(bytes);
    return other;
  }

  /**
   * Take `other`'s data in place of this one's, which `other` gets (the end of a swapdb
   * load): as SWAPDB of every database, watchers and clients blocked on keys are told.
   */
  swapWith(other: Keyspace): void {
    this.exchange(this.dbs.map((db, i) => [db, other.dbs[i]!]));
  }

  flushAll(lazily = false): number {
    let removed = 0;
    for (const db of this.dbs) removed += db.flush(lazily);
    this.dirty += removed;
    return removed;
  }

  /**
   * activeExpireCycle: reclaim expired keys in every database within a time budget
   * (Redis gives the slow cycle 25% of each cron period).
   */
  activeExpireCycle(budgetMs: number, effort = 1): number {
    if (this.keepsExpired) return 0;
    const started = performance.now();
    const stopAt = started + budgetMs;
    const clockNow = now();
    let expired = 0;
    for (const db of this.dbs) {
      if (db.expiresCount === 0) continue;
      expired += db.activeExpire(stopAt, clockNow, effort);
      if (performance.now() > stopAt) {
        this.stats.expireTimeCapReached++;
        break;
      }
    }
    this.stats.expireCycleMs += performance.now() - started;
    return expired;
  }
}
