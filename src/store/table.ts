/**
 * KeyTable: a database's keys and values held in bytes, outside the collector's object
 * graph. A JavaScript Map of a million keys costs about 250 bytes an entry (its entry, a
 * string object per key and per value) and makes every young collection scan its backing
 * store; here an entry is one cell of bytes and three numbers in typed arrays.
 *
 * The table is open-addressed with linear probing over typed arrays: the key's 31-bit
 * hash (0 marks an empty slot, 1 a deleted one), a reference to its cell, the kind of
 * value, and its access time or frequency (Redis's LRU/LFU bits). A cell holds [key length u32][value length u32][key][value] for a string
 * value, the value as a float64 right after the header for a number (Redis's "int"), and
 * an index into `objects` for an aggregate (lists, hashes, sets, sorted sets, streams stay
 * JS objects), except a small list or sorted set no command is working on, whose bytes
 * the cell holds as a string's (Kind.Packed, store/packed-values.ts). Cells come from size
 * classes (cells.ts), so rewriting a value of similar size reuses its cell, as jemalloc's
 * size classes do for Redis.
 *
 * Deletion leaves a tombstone; the table is rebuilt (grown, shrunk or cleared of
 * tombstones) at once, a big one into slots prepared ahead, and a big one at a steady size
 * empties its tombstones in place a few runs an insert instead (compactStep). Walks that
 * must survive changes (SCAN, keys()) go by bucket, a key's bucket being its hash's low
 * bits, in Redis's reverse-binary order, which neither disturbs; a snapshot's walk goes by
 * slot and starts over when they move (`generation`).
 */
import { CellHeap, IndexStack } from "./cells.ts";
import { SlotIndex, keyHashSlot, stringSlot } from "./slots.ts";
import { type BytesSink, ByteSlice, PackedBytes, type StoredValue } from "./value.ts";

/** What can be stored: a value, or a string value still in a request's bytes. */
export type Storable = StoredValue | ByteSlice;

const EMPTY = 0;
const DELETED = 1;
/** A key's bytes in its cell, while they are copied to another (reused). */
const cellKey = new ByteSlice();

export const enum Kind {
  None = 0,
  String = 1,
  Number = 2,
  Object = 3,
  /** A small aggregate held as bytes in the cell, where a string's value would be (store/packed-values.ts). */
  Packed = 4,
}

/** Keys are hashed with a seed chosen at start-up, so that no one can aim keys at one chain. */
const SEED = (Math.random() * 0x100000000) | 0;

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h = (h ^ (h >>> 16)) & 0x7fffffff;
  // Non-negative, so that "> DELETED" means occupied; 0 and 1 mark empty and deleted slots.
  return h <= DELETED ? h + 2 : h;
}

/** The hash of a key given as a byte string (one char per byte). */
export function hashKey(key: string): number {
  let h = SEED ^ 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return finish(h);
}

/** The same hash of a key given as bytes. */
export function hashKeyBytes(buf: Uint8Array, start: number, end: number): number {
  let h = SEED ^ 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return finish(h);
}

const MIN_CAPACITY = 8;
/** Tables from this many slots prepare their rebuilds ahead of them (KeyTable.prepareRebuild). */
const SPARE_MIN_CAPACITY = 1 << 16;
/**
 * Slots of the spare cleared per insert: growth comes 1/16 of the capacity of inserts
 * after preparing starts, and the spare has twice the capacity, so the faults are spread
 * over all of them (a read of 7,000 SETs in that stretch takes 2-3 times its usual 11 ms).
 */
const SPARE_STEP = 32;
/**
 * Slots compacted per insert while tombstones are emptied in place (KeyTable.compactStep):
 * from 11/16 full to the rebuild at 3/4 are capacity/16 inserts, and a pass over every
 * slot takes capacity/64 of them.
 */
const COMPACT_STEP = 64;
/**
 * Old slots copied into a cleared growth spare per insert (KeyTable.copyStep): the spare
 * is cleared in capacity/16 inserts from 9/16 full and copied into in capacity/32 more,
 * before live keys and tombstones reach 3/4, where the table grows.
 */
const COPY_STEP = 32;
/** The capacity a rebuild gives `n` entries: a power of two at least twice `n`. */
function capacityFor(n: number): number {
  let capacity = MIN_CAPACITY;
  while (capacity < n * 2) capacity *= 2;
  return capacity;
}

/** The longest key findBytes remembers. */
const LAST_BYTES_MAX = 64;
/** The most keys `prefetch` takes at once. */
export const PREFETCH_MAX = 64;
/** Bytes of typed arrays per slot: hash, cell, kind, access (and, once any key has a TTL, 8 for deadlines). */
export const SLOT_BYTES = 16;
/** The words of a slot in `slots`: hash, cell, kind, access word. */
const HASH = 0;
const REF = 1;
const KIND = 2;
/**
 * The kind word holds the Kind in its low byte and, above it, the marks of the snapshots
 * being written (persistence/snapshot.ts): a bit per snapshot, set once it has handled the
 * key (written it, or seen it born after its start). Marks cost no memory and move with
 * the key when the table is rebuilt.
 */
const KIND_MASK = 0x0f;
/**
 * Beside the Kind: a string OBJECT ENCODING calls "raw" whatever its content (one changed
 * in place or built as a buffer). Replacing the value takes it off; it moves with the key,
 * and costs no memory (a Set of key names would hold a JS string per such key).
 */
const RAW = 0x10;
/**
 * Also beside the Kind: a string made from a number Redis formatted (INCRBYFLOAT's result),
 * which OBJECT ENCODING calls "embstr" (or "raw" past 44 bytes) even when it reads as a
 * 64-bit integer: Redis encodes as "int" only what it was given as an integer.
 */
const TEXT = 0x20;
/**
 * And: an integer that is an object of its own (COPY's, as Redis's dupStringObject makes
 * one), which OBJECT REFCOUNT counts once where a shared integer counts INT_MAX.
 */
const OWN = 0x40;
/** The marks of a string's encoding and sharing (RAW, TEXT, OWN), which a copy of the key keeps. */
const STRING_MARKS = RAW | TEXT | OWN;
const MARK_SHIFT = 8;
const ACCESS = 3;

/** KeyTable.stats: entries per home slot, and how far past it entries lie. */
export interface TableStats {
  capacity: number;
  size: number;
  tombstones: number;
  /** Per slot, the entries whose home it is. */
  chains: Uint32Array;
  /** Slots past their home, summed over the entries. */
  probes: number;
  maxProbe: number;
}

export class KeyTable {
  /** Live entries. */
  size = 0;
  /** Live entries and tombstones: what fills the probe sequences. */
  private filled = 0;
  private mask = MIN_CAPACITY - 1;
  /**
   * The slots, four 32-bit words each and side by side, so that finding a key and reading
   * what it holds touches one cache line (four arrays cost four misses a lookup in a big
   * table): the key's hash, its cell, its Kind, and Redis's robj.lru, the LRU clock
   * (seconds) of its last access or under an LFU policy the logarithmic counter with its
   * minute stamp (store/access.ts), read through `words` (unsigned).
   */
  private slots = new Int32Array(4 * MIN_CAPACITY);
  private words = new Uint32Array(this.slots.buffer);
  /**
   * Per slot, the key's deadline in ms since the epoch, NaN for none (Redis's expires
   * dict); absent until a key of the table gets one.
   */
  private expiry: Float64Array | undefined;
  /** Keys with a deadline. */
  expiresCount = 0;
  /** The marks a key inserted now gets: the bits of the snapshots in progress. */
  newMarks = 0;
  /** Marks of finished snapshots not yet swept off: a rebuild drops them. */
  staleMarks = 0;
  /** Bumped when entries move to other slots (a rebuild, a compaction, a clear): slot walks start over. */
  generation = 0;
  /** Rebuilds so far (growing, shrinking, or clearing tombstones at once). */
  rebuilds = 0;
  private readonly cells = new CellHeap();
  /** Keys by cluster hash slot, kept only on a cluster node's database (indexSlots). */
  slotIndex: SlotIndex | undefined;
  private objects: StoredValue[] = [];
  private freeObjects = new IndexStack();

  get capacity(): number {
    return this.mask + 1;
  }

  /**
   * The key last looked for, its hash and its slot (-1: absent, or not known since the
   * table changed shape): a command looks its key up more than once (INCR reads, then
   * stores; HSET finds the hash, then recounts it), and clients send the same keys again.
   */
  private lastKey: string | undefined = undefined;
  private lastHash = 0;
  private lastSlot = -1;

  /** The slot holding `key`, or -1. */
  find(key: string): number {
    if (key === this.lastKey && this.lastSlot >= 0) return this.lastSlot;
    const h = hashKey(key);
    this.lastKey = key;
    this.lastHash = h;
    return (this.lastSlot = this.findHashed(key, h));
  }

  private findHashed(key: string, h: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const at = slots[HASH + 4 * i]!;
      if (at === EMPTY) return -1;
      if (at === h && this.cells.keyEquals(this.slots[REF + 4 * i]!, this.kindAt(i) === Kind.Number, key)) return i;
    }
  }

  /** The slot holding the key that is bytes [start, end) of `buf`, or -1. */
  findBytes(buf: Uint8Array, start: number, end: number): number {
    const n = end - start;
    if (n === this.lastBytesLength && this.lastBytesSlot >= 0) {
      const known = this.lastBytes;
      let i = n - 1;
      while (i >= 0 && known[i] === buf[start + i]) i--;
      if (i < 0) return this.lastBytesSlot;
    }
    const slot = this.findBytesHashed(buf, start, end, hashKeyBytes(buf, start, end));
    if (slot >= 0 && n <= LAST_BYTES_MAX) this.rememberBytes(buf, start, n, slot);
    return slot;
  }

  private findBytesHashed(buf: Uint8Array, start: number, end: number, h: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const at = slots[HASH + 4 * i]!;
      if (at === EMPTY) return -1;
      if (at === h && this.cells.keyEqualsBytes(slots[REF + 4 * i]!, this.kindAt(i) === Kind.Number, buf, start, end)) return i;
    }
  }

  private rememberBytes(buf: Uint8Array, start: number, n: number, slot: number): void {
    const known = this.lastBytes;
    for (let j = 0; j < n; j++) known[j] = buf[start + j]!;
    this.lastBytesLength = n;
    this.lastBytesSlot = slot;
  }

  /**
   * The key findBytes last found (when short) and its slot, -1 once the slot may hold
   * another key (wherever lastSlot is forgotten): clients send the same key again, and
   * redis-benchmark's MSET sets one key ten times.
   */
  private lastBytesSlot = -1;
  private lastBytesLength = -1;
  private readonly lastBytes = new Uint8Array(LAST_BYTES_MAX);

  /**
   * Bring into the cache the slots and cells of the keys at `ranges` (start/end pairs into
   * `buf`, `n` of them) before the commands naming them run. In a big table each lookup
   * misses the cache twice (its slot, then its cell) and one at a time the misses wait in
   * turn; loaded here in two tight loops, a read's misses are waited for together. Only
   * a key's first slot is looked at: the probe sequence is usually one slot long.
   */
  prefetch(buf: Uint8Array, ranges: Int32Array, n: number): void {
    const hashes = this.prefetched;
    const slots = this.slots;
    const mask = this.mask;
    for (let k = 0; k < n; k++) hashes[k] = 4 * (hashKeyBytes(buf, ranges[2 * k]!, ranges[2 * k + 1]!) & mask);
    let touched = 0;
    for (let k = 0; k < n; k++) touched ^= slots[hashes[k]! + REF]!;
    for (let k = 0; k < n; k++) {
      const at = hashes[k]!;
      if (slots[at + HASH]! > DELETED) touched ^= this.cells.keyLength(slots[at + REF]!);
    }
    this.touched = touched;
  }

  private prefetched = new Int32Array(PREFETCH_MAX);
  /** What prefetch read, kept so that its loads are not optimized away. */
  touched = 0;

  has(key: string): boolean {
    return this.find(key) >= 0;
  }

  get(key: string): StoredValue | undefined {
    const slot = this.find(key);
    return slot < 0 ? undefined : this.valueAt(slot);
  }

  accessAt(slot: number): number {
    return this.words[ACCESS + 4 * slot]!;
  }

  setAccessAt(slot: number, value: number): void {
    this.words[ACCESS + 4 * slot] = value;
    if (slot < this.copied) this.sync(slot);
  }

  /** Give every key the same access word (the maxmemory policy changed between LRU and LFU). */
  resetAccess(value: number): void {
    this.dropSpare();
    const words = this.words;
    for (let i = ACCESS; i < words.length; i += 4) words[i] = value;
  }

  /** The deadline of the key in `slot`, NaN for none. */
  expiryAt(slot: number): number {
    return this.expiry === undefined ? NaN : this.expiry[slot]!;
  }

  /** Set (NaN: remove) the deadline of the key in `slot`. */
  setExpiryAt(slot: number, when: number): void {
    let expiry = this.expiry;
    if (expiry === undefined) {
      // A growth being copied has no deadlines to copy them into: it starts over.
      this.dropSpare();
      expiry = this.expiry = noDeadlines(this.capacity);
      this.countSlotBytes();
    }
    const had = expiry[slot] === expiry[slot];
    const has = when === when;
    if (had !== has) this.expiresCount += has ? 1 : -1;
    expiry[slot] = when;
    if (slot < this.copied) this.sync(slot);
  }

  /** A random slot holding a key with a deadline, or -1 when there is none. */
  randomSlotWithExpiry(): number {
    if (this.expiresCount === 0) return -1;
    const expiry = this.expiry!;
    const slots = this.slots;
    const n = (slots.length >> 2);
    const start = Math.floor(Math.random() * n);
    for (let k = 0; k < n; k++) {
      const i = (start + k) & this.mask;
      if (slots[HASH + 4 * i]! > DELETED && expiry[i] === expiry[i]) return i;
    }
    return -1;
  }

  isMarked(slot: number, bit: number): boolean {
    return (this.slots[KIND + 4 * slot]! & (bit << MARK_SHIFT)) !== 0;
  }

  mark(slot: number, bit: number): void {
    this.slots[KIND + 4 * slot]! |= bit << MARK_SHIFT;
    if (slot < this.copied) this.sync(slot);
  }

  /** Take the marks `bits` off slots [from, from + limit) (their snapshots are complete); returns the slot reached. */
  clearMarks(bits: number, from: number, limit: number): number {
    const slots = this.slots;
    const keep = ~(bits << MARK_SHIFT);
    const end = Math.min(slots.length >> 2, from + limit);
    for (let i = from; i < end; i++) slots[KIND + 4 * i]! &= keep;
    for (let i = from; i < Math.min(end, this.copied); i++) this.sync(i);
    return end;
  }

  isRaw(slot: number): boolean {
    return (this.slots[KIND + 4 * slot]! & RAW) !== 0;
  }

  setRaw(slot: number): void {
    this.markString(slot, RAW);
  }

  isText(slot: number): boolean {
    return (this.slots[KIND + 4 * slot]! & TEXT) !== 0;
  }

  setText(slot: number): void {
    this.markString(slot, TEXT);
  }

  isOwn(slot: number): boolean {
    return (this.slots[KIND + 4 * slot]! & OWN) !== 0;
  }

  /** The string encoding marks of `slot`, for markString on a copy of the key. */
  stringMarks(slot: number): number {
    return this.slots[KIND + 4 * slot]! & STRING_MARKS;
  }

  /** Add string marks to `slot`; `own` (COPY's) adds OWN. */
  markString(slot: number, marks: number, own = false): void {
    if (own) marks |= OWN;
    if (marks === 0) return;
    this.slots[KIND + 4 * slot]! |= marks;
    if (slot < this.copied) this.sync(slot);
  }

  /** Set the kind of value in `slot`, keeping its marks. */
  private setKind(slot: number, kind: Kind): void {
    const at = KIND + 4 * slot;
    this.slots[at] = (this.slots[at]! & ~KIND_MASK) | kind;
    if (slot < this.copied) this.sync(slot);
  }

  kindAt(slot: number): Kind {
    return (this.slots[KIND + 4 * slot]! & KIND_MASK) as Kind;
  }

  keyAt(slot: number): string {
    return this.cells.key(this.slots[REF + 4 * slot]!, this.kindAt(slot) === Kind.Number);
  }

  /** Where the key's bytes start in `valueBuffer(slot)` (keyLengthAt of them). */
  keyStartAt(slot: number): number {
    return this.cells.keyStart(this.slots[REF + 4 * slot]!, this.kindAt(slot) === Kind.Number);
  }

  keyLengthAt(slot: number): number {
    return this.cells.keyLength(this.slots[REF + 4 * slot]!);
  }

  /** Bytes of a string value or a packed aggregate (0 for a number or an aggregate object). */
  valueLengthAt(slot: number): number {
    const kind = this.kindAt(slot);
    return kind === Kind.String || kind === Kind.Packed ? this.cells.valueLength(this.slots[REF + 4 * slot]!) : 0;
  }

  /** The value in `slot`; not for a packed aggregate (its bytes are at valueBuffer/valueStart). */
  valueAt(slot: number): StoredValue {
    const ref = this.slots[REF + 4 * slot]!;
    switch (this.kindAt(slot)) {
      case Kind.String:
        return this.cells.stringValue(ref);
      case Kind.Number:
        return this.cells.numberValue(ref);
      default:
        return this.objects[this.cells.valueLength(ref)]!;
    }
  }

  /**
   * Where a string value's bytes are: `valueBuffer` and `valueStart` of the slot, and
   * `valueLengthAt` bytes from there (for replies copied straight from the cell).
   */
  valueBuffer(slot: number): Buffer {
    return this.cells.buffer(this.slots[REF + 4 * slot]!);
  }

  valueStart(slot: number): number {
    return this.cells.valueStart(this.slots[REF + 4 * slot]!);
  }

  /** Store `value` at a `key` known to be absent; returns the slot. */
  add(key: string, value: Storable): number {
    return this.insert(key, key === this.lastKey ? this.lastHash : hashKey(key), value);
  }

  /**
   * Store `value` at a key given as bytes and known to be absent (findBytes said so):
   * loading, where no string of the key is needed. Returns the slot.
   */
  addBytes(key: ByteSlice, value: string | number | ByteSlice): number {
    return this.insert(key, hashKeyBytes(key.buf, key.start, key.end), value);
  }

  /**
   * addBytes for a key that may be present (loading): one hash and one probe sequence.
   * Returns the new slot, or -1 (nothing stored) when the key is there already.
   */
  addBytesIfAbsent(key: ByteSlice, value: string | number | ByteSlice): number {
    if (this.filled + 1 > (this.capacity * 3) >>> 2) this.makeRoom();
    const h = hashKeyBytes(key.buf, key.start, key.end);
    const slots = this.slots;
    const mask = this.mask;
    let free = -1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const at = slots[HASH + 4 * i]!;
      if (at === EMPTY) return this.insertAt(free >= 0 ? free : i, key, h, value);
      if (at === DELETED) {
        if (free < 0) free = i;
      } else if (at === h && this.cells.keyEqualsBytes(this.slots[REF + 4 * i]!, this.kindAt(i) === Kind.Number, key.buf, key.start, key.end)) return -1;
    }
  }

  /** Make room for `n` entries at once (RESIZEDB while loading), as Redis's dictExpand does. */
  reserve(n: number): void {
    if (n > this.size && this.filled + (n - this.size) > (this.capacity * 3) >>> 2) this.rebuild(n);
  }

  /** Store `value` at `key`; returns the slot. */
  set(key: string, value: Storable): number {
    // The key just looked up (HINCRBY reads the field, then writes it): its slot is known.
    const known = key === this.lastKey ? this.lastSlot : -1;
    if (known >= 0) {
      this.replaceAt(known, key, value);
      return known;
    }
    const h = hashKey(key);
    const slot = this.findHashed(key, h);
    if (slot >= 0) {
      this.replaceAt(slot, key, value);
      return slot;
    }
    return this.insert(key, h, value);
  }

  /** Replace the value in `slot` (whose key is `key`). */
  replaceAt(slot: number, key: string | ByteSlice, value: Storable): void {
    this.replaceCell(slot, key, value);
    if (slot < this.copied) this.sync(slot);
  }

  private replaceCell(slot: number, key: string | ByteSlice, value: Storable): void {
    const oldKind = this.kindAt(slot);
    this.slots[KIND + 4 * slot]! &= ~STRING_MARKS;
    const oldRef = this.slots[REF + 4 * slot]!;
    const kind = kindOf(value);
    if (oldKind === Kind.Object) {
      const index = this.cells.valueLength(oldRef);
      if (kind === Kind.Object) {
        this.objects[index] = value as StoredValue;
        return;
      }
      this.releaseObject(index);
    } else if (kind === Kind.Number && oldKind === Kind.Number) {
      this.cells.setNumber(oldRef, value as number);
      return;
    } else if ((kind === Kind.String || kind === Kind.Packed) && oldKind === kind && this.cells.fits(oldRef, key.length, (value as string | ByteSlice).length)) {
      // Bytes in place of bytes: a string, or a small aggregate changed on its packed bytes.
      this.cells.setString(oldRef, key.length, value as string | ByteSlice);
      return;
    }
    this.cells.free(oldRef);
    this.slots[REF + 4 * slot] = this.cellFor(key, value);
    this.setKind(slot, kind);
  }

  /** Grow the string in `slot` to `length` bytes, the new ones zero (CellHeap.grow). */
  growStringAt(slot: number, length: number): void {
    const at = REF + 4 * slot;
    this.slots[at] = this.cells.grow(this.slots[at]!, length);
    if (slot < this.copied) this.sync(slot);
  }

  private insert(key: string | ByteSlice, h: number, value: Storable): number {
    const capacity = this.capacity;
    if (this.filled + 1 > (capacity * 3) >>> 2) this.makeRoom();
    else if (capacity >= SPARE_MIN_CAPACITY) {
      // Tombstones near the limit while live keys fill at most 5/8: a pass over the table
      // empties them in place, a few runs an insert; while a snapshot walks the slots
      // (which must not move under it), the same-size rebuild they would come to is
      // prepared instead.
      const tombstones = this.filled > (capacity * 11) >>> 4 && this.size <= (capacity * 5) >>> 3;
      if (this.newMarks !== 0 && tombstones) this.prepareRebuild(capacity);
      else {
        if (this.newMarks === 0 && this.copied === 0 && (tombstones || this.compactLeft > 0)) this.compactStep();
        // From 9/16 live, the growth to come, as live keys rise: a table churning at a
        // steady size between 9/16 and 5/8 will not grow, and would hold a spare of twice
        // its slots.
        if (this.size > (capacity * 9) >>> 4 && this.size > this.sizePeak) {
          this.sizePeak = this.size;
          this.prepareRebuild(2 * capacity);
        }
      }
    }
    this.inserts++;
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    while (slots[HASH + 4 * i]! > DELETED) i = (i + 1) & mask;
    return this.insertAt(i, key, h, value);
  }

  /** Fill the free slot `i` (room was made). */
  private insertAt(i: number, key: string | ByteSlice, h: number, value: Storable): number {
    const slots = this.slots;
    if (slots[HASH + 4 * i] === EMPTY) this.filled++;
    slots[HASH + 4 * i] = h;
    if (key === this.lastKey) this.lastSlot = i;
    if (this.expiry !== undefined) this.expiry[i] = NaN;
    if (this.slotIndex !== undefined) this.slotIndex.add(i, typeof key === "string" ? stringSlot(key) : keyHashSlot(key.buf, key.start, key.end));
    this.slots[REF + 4 * i] = this.cellFor(key, value);
    this.slots[KIND + 4 * i] = (this.newMarks << MARK_SHIFT) | kindOf(value);
    this.size++;
    if (i < this.copied) this.sync(i);
    return i;
  }

  private cellFor(key: string | ByteSlice, value: Storable): number {
    if (typeof value === "string" || value instanceof ByteSlice) return this.cells.allocString(key, value);
    if (typeof value === "number") return this.cells.allocNumber(key, value);
    return this.cells.allocObject(key, this.objectIndex(value));
  }

  /** A place in `objects` for `value`. */
  private objectIndex(value: StoredValue): number {
    const index = this.freeObjects.pop();
    if (index < 0) return this.objects.push(value) - 1;
    this.objects[index] = value;
    return index;
  }

  /**
   * The packed aggregate in `slot` is opened as `value` (store/packed-values.ts). Its cell
   * stays as it is, key and bytes, ready for packAt to use again.
   */
  openAt(slot: number, value: StoredValue): void {
    this.cells.setValueWord(this.slots[REF + 4 * slot]!, this.objectIndex(value));
    this.setKind(slot, Kind.Object);
  }

  /**
   * The aggregate object in `slot` is to be held packed in `length` bytes, which the caller
   * writes at valueBuffer/valueStart: in its cell when the cell's size class holds them.
   */
  packAt(slot: number, keyLength: number, length: number): void {
    const ref = this.slots[REF + 4 * slot]!;
    this.releaseObject(this.cells.valueLength(ref));
    this.setKind(slot, Kind.Packed);
    if (this.cells.fits(ref, keyLength, length)) return this.cells.setValueWord(ref, length);
    const key = this.cells.keyStart(ref, false);
    this.slots[REF + 4 * slot] = this.cells.allocValue(cellKey.of(this.cells.buffer(ref), key, key + keyLength), length);
    cellKey.release();
    this.cells.free(ref);
    if (slot < this.copied) this.sync(slot);
  }

  private releaseObject(index: number): void {
    this.objects[index] = 0;
    this.freeObjects.push(index);
  }

  delete(key: string): boolean {
    const slot = this.find(key);
    if (slot < 0) return false;
    this.deleteAt(slot);
    return true;
  }

  deleteAt(slot: number): void {
    const ref = this.slots[REF + 4 * slot]!;
    this.slotIndex?.remove(slot);
    if (this.kindAt(slot) === Kind.Object) this.releaseObject(this.cells.valueLength(ref));
    this.cells.free(ref);
    const slots = this.slots;
    const mask = this.mask;
    slots[HASH + 4 * slot] = DELETED;
    slots[KIND + 4 * slot] = Kind.None;
    // A tombstone before an empty slot is on no key's probe sequence (none goes past that
    // empty slot): it is emptied, with the tombstones just before it. Churn at a steady
    // size then seldom leaves the table full of tombstones for a rebuild to clear at once.
    if (slots[HASH + 4 * ((slot + 1) & mask)] === EMPTY) {
      for (let i = slot; slots[HASH + 4 * i] === DELETED; i = (i - 1) & mask) {
        slots[HASH + 4 * i] = EMPTY;
        this.filled--;
      }
    }
    if (this.expiry !== undefined && this.expiry[slot] === this.expiry[slot]) {
      this.expiry[slot] = NaN;
      this.expiresCount--;
    }
    this.size--;
    if (slot < this.copied) this.sync(slot);
    this.lastSlot = this.lastBytesSlot = -1;
    // Shrink when mostly empty, as Redis's dict does below 10% fill: a big table a step a
    // delete (and a millisecond a cron tick), as Redis rehashes.
    if (this.capacity > MIN_CAPACITY && this.size < this.capacity >>> 3) this.shrinkStep();
  }

  /**
   * Whether a mostly empty table shrinks a step at a time (shrinkStep), the cron finishing
   * what deletes leave: a database's. A value's table (a large hash's or set's), which no
   * cron tends, shrinks at once.
   */
  shrinksInSteps = false;

  /** Whether the table is mostly empty, or shrinking into a spare: shrinkStep has work. */
  get shrinkPending(): boolean {
    return this.capacity > MIN_CAPACITY && (this.size < this.capacity >>> 3 || this.shrinking);
  }

  /** Whether the spare is a smaller table being made ready (and copied into) for the live keys. */
  private get shrinking(): boolean {
    return this.spare !== undefined && this.spare.length < 4 * this.capacity;
  }

  /**
   * A step of shrinking a mostly empty table: the spare, sized for the live keys when the
   * shrink began, cleared SPARE_STEP slots a step and then copied into COPY_STEP old slots a
   * step, as a growth is (copyStep). Moving a million-key table's survivors at once held
   * the event loop 52 ms, at the delete that left 262k of its keys; Redis shrinks a step at a time.
   */
  shrinkStep(): void {
    if (!this.shrinksInSteps || this.capacity < SPARE_MIN_CAPACITY || this.slotIndex !== undefined) {
      if (this.shrinkPending) this.rebuild(this.size);
      return;
    }
    // Keys that came back since it began and would fill the spare past half are not
    // squeezed in: it goes, and the shrink starts again while the table is still mostly empty.
    if (this.shrinking && capacityFor(this.size) > this.spare!.length / 4) this.dropSpare();
    if (this.size >= this.capacity >>> 3 && !this.shrinking) return;
    this.prepareRebuild(this.shrinking ? this.spare!.length / 4 : capacityFor(this.size));
  }

  /** The cron's share of shrinking (Redis's incrementallyRehash): steps for up to `ms`. */
  shrinkFor(ms: number): void {
    const until = performance.now() + ms;
    while (this.shrinkPending) {
      for (let k = 0; k < 64 && this.shrinkPending; k++) this.shrinkStep();
      if (performance.now() >= until) return;
    }
  }

  clear(): void {
    this.dropSpare();
    this.size = this.sizePeak = this.compactLeft = 0;
    this.filled = 0;
    this.mask = MIN_CAPACITY - 1;
    this.slots = new Int32Array(4 * MIN_CAPACITY);
    this.words = new Uint32Array(this.slots.buffer);
    this.expiry = undefined;
    this.expiresCount = 0;
    this.cells.clear();
    this.objects = [];
    this.freeObjects = new IndexStack();
    this.slotsMoved();
    this.slotIndex?.reset(MIN_CAPACITY);
    this.countSlotBytes();
  }

  /** Keep keys by cluster hash slot from now on (a cluster node's database). */
  indexSlots(): void {
    this.dropSpare();
    const index = new SlotIndex(this.capacity);
    for (let i = 0; i < this.capacity; i++) if (this.slots[HASH + 4 * i]! > DELETED) index.add(i, stringSlot(this.keyAt(i)));
    this.slotIndex = index;
    this.countSlotBytes();
  }

  /**
   * Room for one more entry when live keys and tombstones fill 3/4 of the slots: the same
   * slots without tombstones when live keys fill at most 5/8, else twice as many. Under
   * maxmemory, as Redis's dictExpandAllowed, a table that growing would put over the limit
   * (`mayGrow` says) fills to 7/8 and then drops its tombstones instead, while live keys
   * leave it 3/16 free: the eviction that growing would set off costs more keys than the
   * longer probes cost time.
   */
  private makeRoom(): void {
    const capacity = this.capacity;
    const live = this.size + 1;
    let grow = live > (capacity * 5) >>> 3;
    if (grow && live <= (capacity * 13) >>> 4 && !this.mayGrow(this.slotBytes)) {
      if (this.filled + 1 <= (capacity * 7) >>> 3) return;
      grow = false;
    }
    this.resize(grow ? 2 * capacity : capacity);
  }

  /** Where the compaction of runs goes on (compactStep): an empty slot, or the end of the last run it compacted. */
  private compactAt = 0;
  /**
   * Slots the pass of compaction in progress has yet to cover. A pass goes round the whole
   * table once started: stopping as soon as the table fell back under 11/16 left it there
   * for good, and lookups of absent keys (half a cache's SETs and DELs) probe long runs.
   */
  private compactLeft = 0;

  /**
   * Empty the tombstones of the next runs of filled slots (from one empty slot to the
   * next), COMPACT_STEP slots or a little more: each key of a run moves back to the first
   * empty slot on its probe sequence, so the run keeps only its keys, every key still
   * found from its bucket. A big table at a steady size (a cache replacing or expiring its
   * keys) thus never comes to a rebuild at once: each cost 38-45 ms at 2.5M keys, and the
   * slots prepared for it twice the table's. Slots change, so slot walks start over (the
   * generation): none may be in progress (snapshots are not, see insert); walks by
   * bucket (SCAN, keys) are not disturbed, a key staying in the run from its bucket on.
   */
  private compactStep(): void {
    // A same-size spare made while a snapshot held compaction off is not needed now.
    if (this.spare !== undefined && this.spare.length === 4 * this.capacity) this.dropSpare();
    const slots = this.slots;
    const mask = this.mask;
    let i = this.compactAt & mask;
    let moved = false;
    if (this.compactLeft <= 0) this.compactLeft = mask + 1;
    // A run is compacted whole, from its first slot: skip to an empty slot first.
    for (let n = 0; slots[HASH + 4 * i] !== EMPTY && n <= mask; n++) i = (i + 1) & mask;
    let done = 0;
    while (done < COMPACT_STEP) {
      for (; slots[HASH + 4 * i] === EMPTY; done++) i = (i + 1) & mask;
      for (; slots[HASH + 4 * i] !== EMPTY; i = (i + 1) & mask, done++) {
        const h = slots[HASH + 4 * i]!;
        if (h === DELETED) {
          slots[HASH + 4 * i] = EMPTY;
          slots[KIND + 4 * i] = Kind.None;
          this.filled--;
          continue;
        }
        // The first empty slot from its bucket on, at or before its own (the run's keys
        // before it were handled: its sequence now has holes only where those left them).
        let to = h & mask;
        while (to !== i && slots[HASH + 4 * to] !== EMPTY) to = (to + 1) & mask;
        if (to === i) continue;
        this.moveSlot(i, to);
        moved = true;
      }
    }
    this.compactAt = i;
    this.compactLeft -= done;
    if (moved) this.slotsMoved();
  }

  /** Keys moved to other slots (or went): what remembered a key's slot forgets it, and slot walks start over. */
  private slotsMoved(): void {
    this.lastSlot = this.lastBytesSlot = -1;
    this.generation++;
  }

  /** Move the entry in slot `from` to the empty slot `to`, with its deadline and hash slot (finished snapshots' marks dropped, as a rebuild drops them). */
  private moveSlot(from: number, to: number): void {
    const slots = this.slots;
    const b = 4 * from;
    this.copyWords(slots, b, slots, 4 * to);
    slots[b + HASH] = EMPTY;
    slots[b + KIND] = Kind.None;
    if (this.expiry !== undefined) {
      this.expiry[to] = this.expiry[from]!;
      this.expiry[from] = NaN;
    }
    const index = this.slotIndex;
    if (index !== undefined) {
      const hashSlot = index.hashSlots[from]!;
      index.remove(from);
      index.add(to, hashSlot);
    }
  }

  /**
   * The slots (and deadlines) the next rebuild will move into, made ahead of it and faulted
   * in a few at a time: twice the slots while live keys rise from 9/16 to 5/8 of the table
   * (the growth to come), the same number while live keys and tombstones fill 11/16 to 3/4
   * during a snapshot (a rebuild that clears the tombstones; otherwise they are emptied in
   * place, compactStep). A fresh page costs the kernel microseconds to
   * fault in (12 us here, in a virtual machine): a table of 4M slots allocated and filled
   * at once, as it grew past 1.5M keys, held the event loop for 250 ms, nearly all of it in
   * page faults. Redis rehashes incrementally instead.
   */
  private spare: Int32Array<ArrayBuffer> | undefined;
  private spareExpiry: Float64Array<ArrayBuffer> | undefined;
  /** Slots of `spare` (and of `spareExpiry`) written so far. */
  private spareDone = 0;
  private spareExpiryDone = 0;
  /** The capacity at which maxmemory last refused the spare (0: none). */
  private spareRefused = 0;

  /** One step of preparing the next rebuild, into `slots` slots: the next SPARE_STEP slots of the spare arrays cleared. */
  private prepareRebuild(slots: number): void {
    if (this.spare !== undefined && this.spare.length !== 4 * slots) this.dropSpare();
    if (this.spare === undefined) {
      // Under maxmemory a table that may not grow asks once per size, not at every insert
      // (a shrink, which ends with less, does not ask).
      if (slots >= this.capacity && this.spareRefused === this.capacity) return;
      if (slots >= this.capacity && !this.mayGrow(this.slotBytes)) {
        this.spareRefused = this.capacity;
        return;
      }
      this.spare = uninitialized(Int32Array, 4 * slots);
      this.spareDone = 0;
    }
    if (this.spareDone < slots) {
      const end = Math.min(slots, this.spareDone + SPARE_STEP);
      this.spare.fill(EMPTY, 4 * this.spareDone, 4 * end);
      this.spareDone = end;
    }
    if (this.expiry !== undefined) {
      this.spareExpiry ??= uninitialized(Float64Array, slots);
      if (this.spareExpiryDone < slots) {
        const end = Math.min(slots, this.spareExpiryDone + SPARE_STEP);
        this.spareExpiry.fill(NaN, this.spareExpiryDone, end);
        this.spareExpiryDone = end;
      }
    }
    this.countSlotBytes();
    // A growth's or a shrink's spare, once cleared, is copied into a step at a time (a
    // cluster node's table, whose slot index moves with its keys, is rebuilt at once).
    if ((slots === 2 * this.capacity || slots < this.capacity) && this.spareDone === slots && (this.expiry === undefined || this.spareExpiryDone === slots) && this.slotIndex === undefined) {
      this.copyStep(COPY_STEP);
    }
  }

  private dropSpare(): void {
    this.spare = this.spareExpiry = this.copyMap = undefined;
    this.spareDone = this.spareExpiryDone = this.copied = this.spareFilled = 0;
    this.countSlotBytes();
  }

  /**
   * The growth copied ahead, as Redis rehashes a step at a time: the old slots below
   * `copied` have their entries in the cleared spare too, at `copyMap` (-1: none), and
   * every change to one of them is made there as well (sync), so that once the last is
   * copied the spare becomes the table with nothing more to move. At a million keys,
   * moving them all at once held the event loop 8-18 ms. Lookups read the old slots until
   * then; compaction, which moves keys between them, waits.
   */
  private copied = 0;
  private copyMap: Int32Array<ArrayBuffer> | undefined;
  /** Slots of the spare holding a key or a tombstone. */
  private spareFilled = 0;

  /** Copy the next `n` old slots into the spare; the last step makes it the table. */
  private copyStep(n: number): void {
    const capacity = this.capacity;
    const slots = this.slots;
    const map = (this.copyMap ??= uninitialized(Int32Array, capacity));
    const end = Math.min(capacity, this.copied + n);
    for (let i = this.copied; i < end; i++) {
      if (slots[HASH + 4 * i]! <= DELETED) map[i] = -1;
      else if (this.spareHasRoom()) map[i] = this.place(i);
      else return;
    }
    this.copied = end;
    if (end === capacity) this.adoptSpare();
  }

  /**
   * Whether the spare can take one more entry in an empty slot. Deletes leave tombstones
   * there too, and while the table churns below its peak the copy waits, so a spare could
   * fill up: at 3/4 it is dropped instead (and made again as live keys rise).
   */
  private spareHasRoom(): boolean {
    if (this.spareFilled < (this.spare!.length >>> 4) * 3) return true;
    this.dropSpare();
    return false;
  }

  /** Copy old slot i's entry into the first empty slot of its probe sequence in the spare; returns that slot. */
  private place(i: number): number {
    const spare = this.spare!;
    const mask = spare.length / 4 - 1;
    let j = this.slots[HASH + 4 * i]! & mask;
    while (spare[HASH + 4 * j] !== EMPTY) j = (j + 1) & mask;
    this.spareFilled++;
    this.copyEntry(i, j);
    return j;
  }

  /** Old slot i's words and deadline into spare slot j. */
  private copyEntry(i: number, j: number): void {
    this.copyWords(this.slots, 4 * i, this.spare!, 4 * j);
    if (this.expiry !== undefined) this.spareExpiry![j] = this.expiry[i]!;
  }

  /** A slot's four words from `from` at word b to `to` at word a, finished snapshots' marks dropped (as a rebuild drops them). */
  private copyWords(from: Int32Array, b: number, to: Int32Array, a: number): void {
    to[a + HASH] = from[b + HASH]!;
    to[a + REF] = from[b + REF]!;
    to[a + KIND] = from[b + KIND]! & ~(this.staleMarks << MARK_SHIFT);
    // The access word's bits as they are (an Int32 copy of a Uint32 word keeps them).
    to[a + ACCESS] = from[b + ACCESS]!;
  }

  /** Old slot i (already copied) changed: make the same change in the spare. */
  private sync(i: number): void {
    const map = this.copyMap!;
    const j = map[i]!;
    if (this.slots[HASH + 4 * i]! > DELETED) {
      if (j >= 0) this.copyEntry(i, j);
      else if (this.spareHasRoom()) map[i] = this.place(i);
    } else if (j >= 0) {
      const spare = this.spare!;
      spare[HASH + 4 * j] = DELETED;
      spare[KIND + 4 * j] = Kind.None;
      if (this.spareExpiry !== undefined) this.spareExpiry[j] = NaN;
      map[i] = -1;
    }
  }

  /** Every old slot is copied: the spare is the table now. */
  private adoptSpare(): void {
    const slots = this.spare!;
    this.slots = slots;
    this.words = new Uint32Array(slots.buffer, slots.byteOffset, slots.length);
    if (this.expiry !== undefined) this.expiry = this.spareExpiry;
    this.mask = slots.length / 4 - 1;
    this.filled = this.spareFilled;
    this.spare = this.spareExpiry = undefined;
    this.dropSpare();
    // Marks that went stale after their keys were copied are swept off here, as a rebuild would.
    if (this.staleMarks !== 0) this.clearMarks(this.staleMarks, 0, this.capacity);
    this.sizePeak = this.size;
    this.compactLeft = 0;
    this.slotsMoved();
    this.countSlotBytes();
    this.rebuilds++;
  }

  /** The most live keys since the last rebuild (growth is prepared only as it rises). */
  private sizePeak = 0;

  /** Inserts so far, and as of the last releaseIdleSpare: a table that stopped growing lets its spare go. */
  private inserts = 0;
  private insertsSeen = 0;

  /**
   * Called every few seconds (the cron's): a spare made for a growth that has not come,
   * with no insert since the last call, is let go; it is made again, a few slots an insert,
   * if inserts resume. A table that settles between 9/16 and 5/8 full would otherwise hold
   * twice its slots for good.
   */
  releaseIdleSpare(): void {
    if (this.spare !== undefined && !this.shrinking && this.inserts === this.insertsSeen) {
      this.dropSpare();
      // Made again from the next insert on if live keys rise.
      this.sizePeak = 0;
    }
    this.insertsSeen = this.inserts;
  }

  /**
   * Between commands (the cron's, MEMORY PURGE's): a step of the cells' classes giving
   * back what they hold unused (CellHeap.compact); whether a chunk went.
   */
  compactCells(): boolean {
    return this.cells.compact((from, to) => this.cellMoved(from, to));
  }

  /**
   * The cell `from` was copied to `to`: its slot is found by its key's hash (read from the
   * copy, after the header or, for a number, after the float) and takes the new reference.
   */
  private cellMoved(from: number, to: number): void {
    const cells = this.cells;
    const slots = this.slots;
    const mask = this.mask;
    const buf = cells.buffer(to);
    const length = cells.keyLength(to);
    for (let pass = 0; pass < 2; pass++) {
      const start = cells.keyStart(to, pass === 1);
      const h = hashKeyBytes(buf, start, start + length);
      for (let i = h & mask; slots[HASH + 4 * i] !== EMPTY; i = (i + 1) & mask) {
        if (slots[HASH + 4 * i] !== h || slots[REF + 4 * i] !== from) continue;
        slots[REF + 4 * i] = to;
        if (i < this.copied) this.sync(i);
        return;
      }
    }
    throw new Error(`no slot holds the moved cell ${from}`);
  }

  /** Whether the slots may take `bytes` more (set by the keyspace: maxmemory's say). */
  mayGrow: (bytes: number) => boolean = () => true;

  /**
   * Bytes of the slots and deadlines, with those of the next rebuild made so far:
   * used_memory counts them as Redis counts its dicts' tables (both, while it rehashes).
   */
  get slotBytes(): number {
    return this.heldSlotBytes;
  }

  /** The bytes the table holds: its slots and its cells' chunks (an aggregate's table counts for these). */
  get heldBytes(): number {
    return this.heldSlotBytes + this.cells.heldBytes;
  }

  /** slotBytes, counted again whenever the arrays change. */
  private heldSlotBytes = MIN_CAPACITY * SLOT_BYTES;
  private countSlotBytes(): void {
    const perSlot = (this.expiry === undefined ? SLOT_BYTES : SLOT_BYTES + 8) + (this.slotIndex === undefined ? 0 : SlotIndex.BYTES_PER_SLOT);
    const bytes = this.capacity * perSlot + this.spareDone * SLOT_BYTES + this.spareExpiryDone * 8 + (this.copyMap === undefined ? 0 : 4 * this.capacity);
    if (bytes !== this.heldSlotBytes) this.slotBytesChanged(bytes - this.heldSlotBytes);
    this.heldSlotBytes = bytes;
  }

  /**
   * DEBUG HTSTATS's figures. Redis's dict chains a bucket's entries; here a key's chain is
   * the keys whose hash has the same home slot (linear probing puts them in the slots after
   * it), and its probe is how many slots past its home it lies, what a lookup walks.
   * `expiring`: only the keys with a deadline, Redis's expires dict.
   */
  stats(expiring: boolean): TableStats {
    const capacity = this.capacity;
    const mask = this.mask;
    const expiry = this.expiry;
    const chains = new Uint32Array(capacity);
    let size = 0;
    let probes = 0;
    let maxProbe = 0;
    for (let i = 0; i < capacity; i++) {
      const h = this.slots[HASH + 4 * i]!;
      if (h <= DELETED || (expiring && (expiry === undefined || Number.isNaN(expiry[i]!)))) continue;
      size++;
      chains[h & mask]!++;
      const probe = (i - (h & mask)) & mask;
      probes += probe;
      if (probe > maxProbe) maxProbe = probe;
    }
    return { capacity, size, tombstones: expiring ? 0 : this.filled - this.size, chains, probes, maxProbe };
  }

  /** The bytes of the cell holding the entry in `slot` (DEBUG SDSLEN). */
  cellBytesAt(slot: number): number {
    return this.cells.cellSize(this.slots[REF + 4 * slot]!);
  }

  /** Told how much slotBytes changed by (a database adds it to its keyspace's total). */
  slotBytesChanged: (delta: number) => void = () => {};

  /** Move every entry into a table sized for `n` entries (at most half full), dropping tombstones. */
  private rebuild(n: number): void {
    this.resize(capacityFor(n));
  }

  private resize(capacity: number): void {
    // A growth being copied ahead is finished at once (unless its spare fills up and goes).
    if (this.copied > 0 && capacity === 2 * this.capacity) {
      this.copyStep(this.capacity);
      if (this.capacity === capacity) return;
    }
    const [old, expiry] = [this.slots, this.expiry];
    const spare = this.spare?.length === 4 * capacity ? this.spare.fill(EMPTY, 4 * this.spareDone) : undefined;
    if (expiry !== undefined) {
      const ready = spare !== undefined && this.spareExpiry !== undefined ? this.spareExpiry.fill(NaN, this.spareExpiryDone) : undefined;
      this.expiry = this.expiresCount === 0 ? undefined : (ready ?? noDeadlines(capacity));
    }
    // A spare used, or made for another size, goes (one for a growth stays through a rebuild at the same size).
    if (spare !== undefined || capacity !== this.capacity || this.copied > 0) this.dropSpare();
    const slots = (this.slots = spare ?? new Int32Array(4 * capacity));
    this.words = new Uint32Array(slots.buffer, slots.byteOffset, slots.length);
    this.mask = capacity - 1;
    const mask = this.mask;
    // The slot index moves with the keys: their hash slots are read before it starts over.
    const index = this.slotIndex;
    const hashSlots = index?.hashSlots;
    index?.reset(capacity);
    for (let j = 0; j < old.length; j += 4) {
      const h = old[j + HASH]!;
      if (h <= DELETED) continue;
      let i = h & mask;
      while (slots[HASH + 4 * i] !== EMPTY) i = (i + 1) & mask;
      if (index !== undefined) index.add(i, hashSlots![j >> 2]!);
      this.copyWords(old, j, slots, 4 * i);
      if (this.expiry !== undefined) this.expiry[i] = expiry![j >> 2]!;
    }
    this.filled = this.sizePeak = this.size;
    this.compactLeft = 0;
    this.slotsMoved();
    this.countSlotBytes();
    this.rebuilds++;
  }

  /** The first occupied slot at or after `from`, or -1 past the end. */
  nextSlot(from: number): number {
    const slots = this.slots;
    for (let i = from; i < (slots.length >> 2); i++) if (slots[HASH + 4 * i]! > DELETED) return i;
    return -1;
  }

  /**
   * Up to `most` occupied slots of a run from a random one on, for eviction's samples, as
   * Redis's dictGetSomeKeys takes neighbouring buckets: a sample's access words lie in a
   * few cache lines rather than one miss each (independent random slots, filling 200 MB
   * under maxmemory, cost a tenth of the time).
   */
  sampleRun(most: number, out: Int32Array): number {
    const want = Math.min(most, this.size);
    const slots = this.slots;
    const mask = this.mask;
    let i = Math.floor(Math.random() * (mask + 1));
    let n = 0;
    for (let steps = 0; n < want && steps <= mask; steps++, i = (i + 1) & mask) if (slots[HASH + 4 * i]! > DELETED) out[n++] = i;
    return n;
  }

  /**
   * A uniformly chosen entry's slot (-1 when empty): random slots until one is occupied
   * (the table is at least an eighth full, so a few tries), else the first after one.
   */
  randomSlot(): number {
    if (this.size === 0) return -1;
    const slots = this.slots;
    for (let tries = 0; tries < 64; tries++) {
      const slot = Math.floor(Math.random() * (slots.length >> 2));
      if (slots[HASH + 4 * slot]! > DELETED) return slot;
    }
    const slot = this.nextSlot(Math.floor(Math.random() * (slots.length >> 2)));
    return slot >= 0 ? slot : this.nextSlot(0);
  }

  /**
   * Every key. The walk goes bucket by bucket in SCAN's order, so it survives changes made
   * while it is suspended (a snapshot's walk): every key present throughout is visited, and
   * after the table grew or shrank a key may come twice (callers that mind keep a set).
   */
  *keys(): IterableIterator<string> {
    const found: number[] = [];
    let cursor = 0;
    do {
      cursor = this.scanBucket(cursor, found);
      // Made into strings before the walk is suspended: the slots may move meanwhile.
      const keys = found.map((slot) => this.keyAt(slot));
      found.length = 0;
      yield* keys;
    } while (cursor !== 0);
  }

  /** Every entry (of a table holding no packed aggregates: a hash's, a set's). */
  *entries(): IterableIterator<[string, StoredValue]> {
    for (let i = 0; (i = this.nextSlot(i)) >= 0; i++) yield [this.keyAt(i), this.valueAt(i)];
  }

  /** The key in `slot` written as a bulk string from its bytes. */
  writeKeyAt(slot: number, out: BytesSink): void {
    const start = this.keyStartAt(slot);
    out.bulkFrom(this.valueBuffer(slot), start, start + this.keyLengthAt(slot));
  }

  /** The string value in `slot` (a hash's field's) written as a bulk string. */
  writeValueAt(slot: number, out: BytesSink): void {
    if (this.kindAt(slot) !== Kind.String) return out.bulkString(String(this.valueAt(slot)));
    const start = this.valueStart(slot);
    out.bulkFrom(this.valueBuffer(slot), start, start + this.valueLengthAt(slot));
  }

  /**
   * Every entry's key and value bytes, in slot order (the table must not change meanwhile):
   * both lie in the entry's cell, `buf`, at [keyStart, keyEnd) and [valueStart, valueEnd);
   * a value that is not a string has none. Replies copy them with no string made.
   */
  forEachBytes(visit: (buf: Uint8Array, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number) => void): void {
    for (let i = 0; (i = this.nextSlot(i)) >= 0; i++) {
      const buf = this.valueBuffer(i);
      const keyStart = this.keyStartAt(i);
      const valueStart = this.valueStart(i);
      visit(buf, keyStart, keyStart + this.keyLengthAt(i), valueStart, valueStart + this.valueLengthAt(i));
    }
  }

  /**
   * SCAN: the keys of the buckets from `cursor` on, until `count` are found (or ten times
   * that many buckets were looked at), and the cursor to go on with (0: done). A key's
   * bucket is its hash's low bits, wherever probing placed it, and buckets are visited in
   * Redis's reverse-binary order, so Redis's guarantee holds whatever rebuilds happen
   * between calls: every key present from the first call to the last is returned, some
   * perhaps twice after the table was resized.
   */
  scan(cursor: number, count: number, out: string[], values?: StoredValue[]): number {
    const found: number[] = [];
    const next = this.scanSlots(cursor, count, found);
    for (const slot of found) {
      out.push(this.keyAt(slot));
      // A hash's or a sorted set's table: HSCAN and ZSCAN need no lookup of their own.
      values?.push(this.valueAt(slot));
    }
    return next;
  }

  /** scan's walk, giving the slots it found (valid until the table next changes). */
  scanSlots(cursor: number, count: number, out: number[]): number {
    let buckets = count * 10;
    do cursor = this.scanBucket(cursor, out);
    while (cursor !== 0 && --buckets > 0 && out.length < count);
    return cursor;
  }

  /** Add the slots of the keys whose bucket is `cursor`'s to `out`; returns the next cursor (dictScan's step). */
  private scanBucket(cursor: number, out: number[]): number {
    const mask = this.mask;
    const slots = this.slots;
    const bucket = cursor & mask;
    // The bucket's keys lie in the run of filled slots from the bucket on.
    for (let i = bucket; slots[HASH + 4 * i] !== EMPTY; i = (i + 1) & mask) {
      const h = slots[HASH + 4 * i]!;
      if (h > DELETED && (h & mask) === bucket) out.push(i);
    }
    // Increment the bits above the mask's in reverse order.
    let v = (cursor | ~mask) >>> 0;
    v = reverseBits(v);
    v = (v + 1) >>> 0;
    return reverseBits(v);
  }
}

function noDeadlines(capacity: number): Float64Array {
  return new Float64Array(capacity).fill(NaN);
}

/**
 * A typed array whose memory is not cleared when it is made: the spare is cleared a few
 * slots an insert instead. A new typed array is zeroed at once, and when the allocator
 * reuses memory (the table freed at the last growth) that is a memset of it all: growing
 * past 1M keys held the event loop 25 ms, most of it faulting in the 32 MB cleared.
 */
function uninitialized<T extends Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer>>(type: { new (buffer: ArrayBuffer, offset: number, length: number): T; BYTES_PER_ELEMENT: number }, length: number): T {
  return new type(Buffer.allocUnsafeSlow(length * type.BYTES_PER_ELEMENT).buffer as ArrayBuffer, 0, length);
}

function reverseBits(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

function kindOf(value: Storable): Kind {
  if (value instanceof ByteSlice) return value instanceof PackedBytes ? Kind.Packed : Kind.String;
  if (typeof value === "string") return Kind.String;
  return typeof value === "number" ? Kind.Number : Kind.Object;
}
