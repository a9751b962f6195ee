/**
 * The hash type: field -> value, both byte strings. A small hash is packed into one buffer
 * the way Redis packs it into a listpack: for each pair, a byte holding the field's length,
 * the field, a byte holding the value's length, the value. That costs about the bytes
 * themselves (a Map costs a string object per field and per value plus its entry: 90 bytes
 * per field in 100-field hashes against Redis's 21), and a linear scan over a
 * listpack-sized hash is as quick as hashing; the buffer keeps spare room, so a new field
 * is written in place. Past PACKED_MAX pairs, or once a field or value is longer than a
 * length byte can say, the hash moves into a Map for good. Insertion order is kept in both
 * forms: it is the order Redis replies in while the hash is a listpack. The reported
 * encoding follows Redis's rules separately; once Redis's hash would be a hash table, whose
 * order is its own, the fields move into a table (store/table.ts: bytes in cells, slots in
 * typed arrays) instead of the Map.
 */

import { allocBytes, type Bytes, NO_BYTES, repeatsAny, writeLatin1 } from "./latin1.ts";
import { copyRange, parseInt64, rangesEqual } from "../resp/bytes.ts";
import { encodingLimits } from "./encoding.ts";
import { ByteSlice, type BytesSink, type BytesSource, type PackedBytes } from "./value.ts";
import type { Argv } from "../resp/argv.ts";
import { KeyTable } from "./table.ts";

/** Pairs kept packed before moving to a Map: Redis's default hash-max-listpack-entries. */
const PACKED_MAX = 512;
/** Fields and values longer than a length byte says move the hash into a Map, whatever it reports. */
const PACKED_MAX_LENGTH = 255;

/** Whether packed pairs in buf[from, to) name a field twice. */
function hasRepeatedField(buf: Bytes, from: number, to: number): boolean {
  const fields: number[] = [];
  for (let p = from; p < to; p += 2 + buf[p]! + buf[p + 1 + buf[p]!]!) fields.push(p);
  return repeatsAny(buf, fields);
}

/** How many pairs packed pairs b[from, to) hold. */
function pairsIn(b: Uint8Array, from: number, to: number): number {
  let elements = 0;
  for (let p = from; p < to; p += 1 + b[p]!) elements++;
  return elements >> 1;
}

/** The field and value of a hash table's write, as bytes of the request (reused). */
const fieldBytes = new ByteSlice();
const valueBytes = new ByteSlice();

export class HashValue {
  /** What the keyspace's memory accounting last counted for this value (store/keyspace.ts). */
  accounted = 0;
  /** The size at which the average element size below was last sampled (-1: never). */
  sampledAt = -1;
  sampledAverage = 0;
  /** The small form (pairs in buf[0, used)); undefined once the hash lives in `map`. */
  private packed: Bytes | undefined = NO_BYTES;
  private used = 0;
  private count = 0;
  private map: Map<string, string> | KeyTable | undefined;
  /** Redis's listpack encoding: one-way, lost when a limit is crossed. */
  private listpack = true;

  get size(): number {
    return this.map !== undefined ? this.map.size : this.count;
  }

  /**
   * Loading: a hash's fields and values as bytes, added to `out` as packPairs lays them
   * out, with no string made; `pairs` steps through them, field then value. False when
   * they would not stay packed here and in Redis (past the listpack limits) or name a
   * field twice: the caller builds the hash the usual way, which sorts those out.
   */
  static loadPacked(out: PackedBytes, pairs: BytesSource): boolean {
    const limit = Math.min(encodingLimits.hashMaxListpackValue, PACKED_MAX_LENGTH);
    const from = out.end;
    let elements = 0;
    while (pairs.next()) {
      const { src, start, end } = pairs;
      const n = end - start;
      if (n > limit) return false;
      const buf = out.room(1 + n);
      buf[out.end] = n;
      copyRange(src, start, end, buf, out.end + 1);
      out.end += 1 + n;
      elements++;
    }
    const count = elements >> 1;
    return elements % 2 === 0 && count <= PACKED_MAX && count <= encodingLimits.hashMaxListpackEntries && !hasRepeatedField(out.room(0), from, out.end);
  }

  get encoding(): string {
    return this.listpack ? "listpack" : "hashtable";
  }

  /** Whether the keyspace may hold this hash as bytes in its cell (store/packed-values.ts): the packed form. */
  get packable(): boolean {
    return this.map === undefined && this.listpack;
  }

  /** The pairs' bytes, as packPairs writes them. */
  get pairsLength(): number {
    return this.used;
  }

  /** The pairs as they lie, at `at` of `out`. */
  packPairs(out: Bytes, at: number): void {
    this.packed!.copy(out, at, 0, this.used);
  }

  /**
   * The fields and values packPairs wrote at buf[start, end), in turn, to `out`, with no
   * object made (a save, HGETALL); only the fields, or the values, when one is false.
   */
  static writePacked(buf: Uint8Array, start: number, end: number, out: BytesSink, fields = true, values = true): void {
    for (let p = start, field = true; p < end; p += 1 + buf[p]!, field = !field) {
      if (field ? fields : values) out.bulkFrom(buf, p + 1, p + 1 + buf[p]!);
    }
  }

  /** The hash packPairs wrote at buf[start, end). */
  static unpack(buf: Bytes, start: number, end: number): HashValue {
    const hash = new HashValue();
    const n = end - start;
    hash.packed = allocBytes(Math.max(n, 16));
    buf.copy(hash.packed, 0, start, end);
    hash.used = n;
    hash.count = pairsIn(hash.packed, 0, n);
    return hash;
  }

  /**
   * HSET on a hash held packed in its key's cell (Database.editPacked): the pairs of `argv`
   * from index 2 set in its pairs, out.buf[out.start, out.end), as set() sets them in an
   * object. Returns the fields added, or -1 when the hash would no longer be packed (a
   * field or value too long, too many fields), with `out` left half-changed.
   */
  static setPacked(out: PackedBytes, argv: Argv): number {
    let added = 0;
    for (let i = 2; i < argv.length; i += 2) {
      const set = HashValue.setPackedPair(out, argv.buffer(i), argv.start(i), argv.end(i), argv.buffer(i + 1), argv.start(i + 1), argv.end(i + 1));
      if (set < 0) return -1;
      added += set;
    }
    return added;
  }

  /**
   * setPacked of one field, src[fieldStart, fieldEnd), to the value value[valueStart,
   * valueEnd): 1 when the field is new, 0 when replaced, -1 when the hash would no longer
   * be packed.
   */
  static setPackedPair(out: PackedBytes, src: Uint8Array, fieldStart: number, fieldEnd: number, value: Uint8Array, valueStart: number, valueEnd: number): number {
    const maxLength = Math.min(encodingLimits.hashMaxListpackValue, PACKED_MAX_LENGTH);
    const fieldLength = fieldEnd - fieldStart;
    const valueLength = valueEnd - valueStart;
    if (fieldLength > maxLength || valueLength > maxLength) return -1;
    const found = HashValue.findPacked(out, src, fieldStart, fieldEnd);
    if (found >= 0) {
      const old = out.buf[found]!;
      if (rangesEqual(out.buf, found + 1, found + 1 + old, value, valueStart, valueEnd)) return 0;
      // Offsets are taken again from `start` once room() has made the bytes its own.
      const rel = found - out.start;
      const grow = valueLength - old;
      const b = out.room(Math.max(grow, 0));
      const v = out.start + rel;
      if (grow !== 0) b.copyWithin(v + 1 + valueLength, v + 1 + old, out.end);
      out.end += grow;
      b[v] = valueLength;
      copyRange(value, valueStart, valueEnd, b, v + 1);
      return 0;
    }
    if (HashValue.packedSize(out) + 1 > Math.min(PACKED_MAX, encodingLimits.hashMaxListpackEntries)) return -1;
    const b = out.room(2 + fieldLength + valueLength);
    let at = out.end;
    b[at] = fieldLength;
    copyRange(src, fieldStart, fieldEnd, b, at + 1);
    at += 1 + fieldLength;
    b[at] = valueLength;
    copyRange(value, valueStart, valueEnd, b, at + 1);
    out.end = at + 1 + valueLength;
    return 1;
  }

  /**
   * HDEL on a hash held packed in its key's cell (Database.editPacked): the fields of
   * `argv` from index 2 taken out of its pairs, out.buf[out.start, out.end), as delete()
   * takes them out of an object; the last one empties the key (`out.emptied`). Returns
   * how many were there.
   */
  static deletePacked(out: PackedBytes, argv: Argv): number {
    let removed = 0;
    for (let i = 2; i < argv.length; i++) {
      const found = HashValue.findPacked(out, argv.buffer(i), argv.start(i), argv.end(i));
      if (found < 0) continue;
      // Offsets are taken again from `start` once room() has made the bytes its own.
      const rel = found - out.start;
      const b = out.room(0);
      const value = out.start + rel;
      const pair = value - 1 - argv.len(i);
      const next = value + 1 + b[value]!;
      b.copyWithin(pair, next, out.end);
      out.end -= next - pair;
      removed++;
    }
    if (removed > 0 && out.end === out.start) out.emptied = true;
    return removed;
  }

  /**
   * In a hash's packed pairs (packPairs's layout; Database.packedForRead's view), where the
   * value of the field src[fieldStart, fieldEnd) is: its length byte, the value after it.
   * -1 when the field is not there.
   */
  static findPacked(pairs: ByteSlice, src: Uint8Array, fieldStart: number, fieldEnd: number): number {
    const b = pairs.buf;
    const n = fieldEnd - fieldStart;
    for (let p = pairs.start; p < pairs.end; ) {
      const length = b[p]!;
      if (length === n && rangesEqual(b, p + 1, p + 1 + n, src, fieldStart, fieldEnd)) return p + 1 + n;
      p += 2 + length + b[p + 1 + length]!;
    }
    return -1;
  }

  /** Where a field chosen at random starts (its length byte) in a hash's packed pairs. */
  static randomPacked(pairs: ByteSlice): number {
    const b = pairs.buf;
    let p = pairs.start;
    for (let k = Math.floor(Math.random() * HashValue.packedSize(pairs)); k > 0; k--) p += 2 + b[p]! + b[p + 1 + b[p]!]!;
    return p;
  }

  /** How many fields a hash's packed pairs hold. */
  static packedSize(pairs: ByteSlice): number {
    return pairsIn(pairs.buf, pairs.start, pairs.end);
  }

  /** The bytes of every field and value, while packed (memory-usage's estimate needs no walk then). */
  get elementBytes(): number | undefined {
    return this.map === undefined ? this.used - 2 * this.count : undefined;
  }

  /** The bytes a hash table's table holds (slots and cells); undefined in the other forms. */
  get tableBytes(): number | undefined {
    return this.map instanceof KeyTable ? this.map.heldBytes : undefined;
  }

  /** Where the pair of `field` starts in the packed bytes, or -1. */
  private find(field: string): number {
    const b = this.packed!;
    const n = field.length;
    for (let p = 0; p < this.used; ) {
      const flen = b[p]!;
      if (flen === n) {
        let k = 0;
        while (k < n && b[p + 1 + k] === field.charCodeAt(k)) k++;
        if (k === n) return p;
      }
      p += 2 + flen + b[p + 1 + flen]!;
    }
    return -1;
  }

  get(field: string): string | undefined {
    if (this.map !== undefined) return this.map.get(field) as string | undefined;
    const p = this.find(field);
    if (p === -1) return undefined;
    const v = p + 1 + field.length;
    return this.packed!.latin1Slice(v + 1, v + 1 + this.packed![v]!);
  }

  has(field: string): boolean {
    if (this.map !== undefined) return this.map.has(field);
    return this.find(field) !== -1;
  }

  /** Replace packed bytes [from, to) by room for `size` bytes; returns the buffer. */
  private splice(from: number, to: number, size: number): Bytes {
    let b = this.packed!;
    const used = this.used - (to - from) + size;
    if (used > b.length) {
      // Grown by a quarter (32 bytes at least): small hashes stay small.
      const grown = allocBytes(Math.max(used, b.length + (b.length >> 2), 32));
      b.copy(grown, 0, 0, from);
      b.copy(grown, from + size, to, this.used);
      this.packed = b = grown;
    } else b.copyWithin(from + size, to, this.used);
    this.used = used;
    return b;
  }

  /** Set a field; returns true when the field is new. */
  set(field: string, value: string): boolean {
    if (this.listpack && (field.length > encodingLimits.hashMaxListpackValue || value.length > encodingLimits.hashMaxListpackValue)) {
      this.listpack = false;
    }
    if (this.map === undefined && (!this.listpack || field.length > PACKED_MAX_LENGTH || value.length > PACKED_MAX_LENGTH)) this.toMap();
    if (this.map !== undefined) {
      const size = this.map.size;
      this.map.set(field, value);
      return this.grew(this.map.size > size);
    }
    const p = this.find(field);
    if (p !== -1) {
      const v = p + 1 + field.length;
      // A value of the same length (a counter, a flag) is written over the old one.
      const b = this.packed![v] === value.length ? this.packed! : this.splice(v + 1, v + 1 + this.packed![v]!, value.length);
      b[v] = value.length;
      writeLatin1(b, v + 1, value);
      return false;
    }
    const at = this.used;
    const b = this.splice(at, at, 2 + field.length + value.length);
    b[at] = field.length;
    writeLatin1(b, at + 1, field);
    b[at + 1 + field.length] = value.length;
    writeLatin1(b, at + 2 + field.length, value);
    if (++this.count > PACKED_MAX) this.toMap();
    return this.grew(true);
  }

  private grew(added: boolean): boolean {
    if (added && this.listpack && this.size > encodingLimits.hashMaxListpackEntries) this.listpack = false;
    if (!this.listpack && this.map instanceof Map) this.toMap();
    return added;
  }

  /** Leave the packed form, or the Map once the order no longer matters, for good. */
  private toMap(): void {
    const map = this.listpack ? new Map<string, string>() : new KeyTable();
    for (const [f, v] of this.entries()) map.set(f, v);
    this.map = map;
    this.packed = undefined;
    this.used = 0;
    this.count = 0;
  }

  delete(field: string): boolean {
    if (this.map !== undefined) return this.map.delete(field);
    const p = this.find(field);
    if (p === -1) return false;
    const v = p + 1 + field.length;
    this.splice(p, v + 1 + this.packed![v]!, 0);
    if (--this.count === 0) {
      this.packed = NO_BYTES;
      this.used = 0;
    }
    return true;
  }

  *entries(): IterableIterator<[string, string]> {
    if (this.map !== undefined) {
      yield* this.map.entries() as IterableIterator<[string, string]>;
      return;
    }
    // The pairs as they are now: the hash may change while the caller walks.
    const b = this.packed!;
    const used = this.used;
    const pairs: Array<[string, string]> = [];
    for (let p = 0; p < used; ) {
      const flen = b[p]!;
      const v = p + 1 + flen;
      const vlen = b[v]!;
      pairs.push([b.latin1Slice(p + 1, v), b.latin1Slice(v + 1, v + 1 + vlen)]);
      p = v + 1 + vlen;
    }
    yield* pairs;
  }

  *fields(): IterableIterator<string> {
    for (const [f] of this.entries()) yield f;
  }

  clone(): HashValue {
    const copy = new HashValue();
    for (const [f, v] of this.entries()) copy.set(f, v);
    copy.listpack = this.listpack;
    return copy;
  }

  /**
   * HGET of a hash table's field given as bytes (src[start, end)): its value written to
   * `out` from its cell, or null. False, with nothing written, in the smaller forms (the
   * caller goes the usual way).
   */
  replyFieldBytes(src: Uint8Array, start: number, end: number, out: BytesSink & { null(): void }): boolean {
    const map = this.map;
    if (!(map instanceof KeyTable)) return false;
    const slot = map.findBytes(src, start, end);
    if (slot < 0) out.null();
    else {
      const at = map.valueStart(slot);
      out.bulkFrom(map.valueBuffer(slot), at, at + map.valueLengthAt(slot));
    }
    return true;
  }

  /**
   * HSET of a hash table: the pairs of `argv` from index 2, fields and values from the
   * request's bytes into the table's cells, with no string made. Returns the fields added,
   * or -1, with nothing done, in the smaller forms (the caller goes the usual way).
   */
  setPairsBytes(argv: Argv): number {
    const map = this.map;
    if (!(map instanceof KeyTable)) return -1;
    let added = 0;
    for (let i = 2; i < argv.length; i += 2) {
      const field = fieldBytes.of(argv.buffer(i), argv.start(i), argv.end(i));
      const value = valueBytes.of(argv.buffer(i + 1), argv.start(i + 1), argv.end(i + 1));
      const slot = map.findBytes(field.buf, field.start, field.end);
      if (slot >= 0) map.replaceAt(slot, field, value);
      else {
        map.addBytes(field, value);
        added++;
      }
    }
    fieldBytes.release();
    valueBytes.release();
    return added;
  }

  /**
   * HINCRBY of a hash table's field given as bytes, that holds an integer: the sum, written
   * over the old digits in the field's cell. Undefined, with nothing done, for the usual
   * way: the smaller forms, a missing field, a value that is no integer, a sum past 2^53.
   */
  incrementBytes(src: Uint8Array, start: number, end: number, incr: number): number | undefined {
    const map = this.map;
    if (!(map instanceof KeyTable)) return undefined;
    const slot = map.findBytes(src, start, end);
    if (slot < 0) return undefined;
    const at = map.valueStart(slot);
    const current = parseInt64(map.valueBuffer(slot), at, at + map.valueLengthAt(slot));
    if (current === undefined || !Number.isSafeInteger(current) || !Number.isSafeInteger(current + incr)) return undefined;
    const result = current + incr;
    map.replaceAt(slot, fieldBytes.of(src, start, end), String(result));
    fieldBytes.release();
    return result;
  }

  /**
   * A uniformly random pair (the hash must not be empty): a random slot of a hash table, in
   * O(1) as Redis's dictGetFairRandomKey; by position in the smaller forms (a listpack's
   * worth at most, walked as Redis walks its listpack).
   */
  randomPair(): [string, string] {
    const map = this.map;
    if (map instanceof KeyTable) {
      const slot = map.randomSlot();
      return [map.keyAt(slot), map.valueAt(slot) as string];
    }
    let skip = Math.floor(Math.random() * this.size);
    let pick: [string, string] | undefined;
    for (const pair of this.entries()) {
      if (skip-- === 0) {
        pick = pair;
        break;
      }
    }
    return pick!;
  }

  /** The lengths of the first `most` fields and their values, flat, in table order (MEMORY USAGE's samples). */
  sampleLengths(most: number): number[] {
    const map = this.map;
    const out: number[] = [];
    if (map instanceof KeyTable) {
      for (let i = 0; out.length < 2 * most && (i = map.nextSlot(i)) >= 0; i++) out.push(map.keyLengthAt(i), map.valueLengthAt(i));
      return out;
    }
    for (const [f, v] of this.entries()) {
      if (out.length === 2 * most) break;
      out.push(f.length, v.length);
    }
    return out;
  }

  /**
   * Every field, value or both (in that order, pair by pair) to `out`: a hash table's
   * straight from its cells' bytes (HGETALL of 100,000 fields made 200,000 strings).
   */
  writeAll(out: BytesSink, fields: boolean, values: boolean): void {
    const map = this.map;
    if (map instanceof KeyTable) {
      map.forEachBytes((buf, keyStart, keyEnd, valueStart, valueEnd) => {
        if (fields) out.bulkFrom(buf, keyStart, keyEnd);
        if (values) out.bulkFrom(buf, valueStart, valueEnd);
      });
      return;
    }
    if (map === undefined) {
      // A small hash's pairs straight from its packed bytes (HGETALL of three fields spent
      // half its time making strings and pairs of them).
      const b = this.packed!;
      for (let p = 0, used = this.used; p < used; ) {
        const v = p + 1 + b[p]!;
        const end = v + 1 + b[v]!;
        if (fields) out.bulkFrom(b, p + 1, v);
        if (values) out.bulkFrom(b, v + 1, end);
        p = end;
      }
      return;
    }
    for (const [f, v] of this.entries()) {
      if (fields) out.bulkString(f);
      if (values) out.bulkString(v);
    }
  }

  /** Whether the hash is held in a hash table (random picks are O(1)). */
  get inTable(): boolean {
    return this.map instanceof KeyTable;
  }

  /** The field/value pairs as one flat array, for random picks and replies. */
  toFlatArray(): string[] {
    const out: string[] = [];
    for (const [f, v] of this.entries()) out.push(f, v);
    return out;
  }

  /** The table holding a large hash, for HSCAN's cursor; undefined while small. */
  get scanTarget(): Map<string, string> | KeyTable | undefined {
    return this.listpack ? undefined : this.map;
  }
}
