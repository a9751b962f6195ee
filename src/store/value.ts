/**
 * What the keyspace holds: the types of values and the helpers for string values. Apart
 * from the keyspace so that the modules it uses (memory-usage.ts) can name them without
 * importing it back.
 */
import { latin1Slice } from "../resp/bytes.ts";
import { allocBytes, type Bytes } from "./latin1.ts";
import type { HashValue } from "./hash.ts";
import type { ListValue } from "./list.ts";
import type { SetValue } from "./set.ts";
import type { SortedSet } from "./sorted-set.ts";
import type { StreamValue } from "./stream.ts";

/**
 * Where a value writes its elements for a reply (resp/writer.ts) or a dump (ByteSink in
 * persistence/rdb-writer.ts): bytes where the store keeps them, strings otherwise.
 */
export interface BytesSink {
  bulkFrom(source: Uint8Array, start: number, end: number): void;
  bulkString(s: string): void;
}

/**
 * Elements as bytes, one after another, for a value loaded from a dump straight into its
 * packed form (ListpackCursor in persistence/compact.ts): after each next() that returns
 * true, the element is src[start, end).
 */
export interface BytesSource {
  next(): boolean;
  readonly src: Uint8Array;
  readonly start: number;
  readonly end: number;
}

/**
 * A value of the string type: a JS string with one char per byte, or, for a canonical
 * integer within 2^53 (Redis's "int" encoding), the number itself. A number costs nothing
 * beyond its slot in the map, and INCR on it allocates nothing.
 */
export type StringValue = string | number;

/**
 * A value: a string value as above; the aggregate types are the classes of src/store/,
 * which keep their own compact forms for small sizes.
 */
export type StoredValue = StringValue | ListValue | HashValue | SetValue | SortedSet | StreamValue;

/** A value of one of the aggregate types (JS objects the keyspace holds by reference). */
export type Aggregate = Exclude<StoredValue, StringValue>;

export function isStringValue(value: StoredValue): value is StringValue {
  return typeof value === "string" || typeof value === "number";
}

/** A deep copy of a value: strings are immutable, aggregates copy their elements. */
export function copyValue(value: StoredValue): StoredValue {
  return isStringValue(value) ? value : value.clone();
}

/**
 * A string as it is stored: a canonical integer that a double holds exactly becomes a
 * number (as Redis's tryObjectEncoding makes it an "int"), anything else stays a string.
 */
export function toStringValue(s: string): StringValue {
  const n = s.length;
  if (n === 0 || n > 16) return s;
  const c0 = s.charCodeAt(0);
  if (c0 !== 0x2d && (c0 < 0x30 || c0 > 0x39)) return s;
  let i = c0 === 0x2d ? 1 : 0;
  if (i === n || (s.charCodeAt(i) === 0x30 && n > 1)) return s;
  let v = 0;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return s;
    v = v * 10 + d;
  }
  if (v > Number.MAX_SAFE_INTEGER) return s;
  return c0 === 0x2d ? -v : v;
}

/**
 * A string value still in the bytes it arrived in (a request's argument), for a write
 * that copies it straight into the keyspace's cell (store/cells.ts) instead of making a
 * JS string of it first. Never stored as such; one is reused for each write.
 */
export class ByteSlice {
  buf: Uint8Array = NO_BYTES;
  start = 0;
  end = 0;

  of(buf: Uint8Array, start: number, end: number): this {
    this.buf = buf;
    this.start = start;
    this.end = end;
    return this;
  }

  get length(): number {
    return this.end - this.start;
  }

  /** As toStringValue: the number a canonical integer within 2^53 is stored as, else undefined. */
  integer(): number | undefined {
    const buf = this.buf;
    const n = this.end - this.start;
    if (n === 0 || n > 16) return undefined;
    const c0 = buf[this.start]!;
    let i = c0 === 0x2d ? 1 : 0;
    if (i === n || (buf[this.start + i] === 0x30 && n > 1)) return undefined;
    let v = 0;
    for (; i < n; i++) {
      const d = buf[this.start + i]! - 0x30;
      if (d < 0 || d > 9) return undefined;
      v = v * 10 + d;
    }
    if (v > Number.MAX_SAFE_INTEGER) return undefined;
    return c0 === 0x2d ? -v : v;
  }

  /** The bytes as a byte string (one char per byte). */
  text(): string {
    return latin1Slice.call(this.buf, this.start, this.end);
  }

  /** Let go of the buffer (a read's, which it must not keep alive). */
  release(): void {
    this.buf = NO_BYTES;
  }
}

const NO_BYTES = new Uint8Array(0);

/**
 * A small aggregate in the bytes the keyspace holds it packed in its key's cell
 * (store/packed-values.ts), built in a buffer reused key after key: loading one, or a
 * command changing one (Database.editPacked). The table copies it into the cell as it
 * copies a string's bytes, with no object made (store/table.ts).
 *
 * A command's change starts from the cell's bytes lent in place (lend): the first room()
 * copies them into the buffer of its own, before anything is written. Who changes one
 * writes only into what room() returns, and takes offsets again from `start` after it; a
 * value still lent when the command is done was left as it was.
 */
export class PackedBytes extends ByteSlice {
  private own: Bytes = allocBytes(256);
  /** While lent: where the value (its header) starts in `buf`; -1 once the bytes are its own. */
  private lentFrom = -1;
  /** Set by an edit that took the last element: the key goes away (Database.editPacked). */
  emptied = false;

  /** Start again, empty, in the reused buffer. */
  clear(): void {
    this.lentFrom = -1;
    this.emptied = false;
    this.of(this.own, 0, 0);
  }

  /** A packed value where it lies: buf[from, end), its body from `start`. */
  lend(buf: Uint8Array, from: number, start: number, end: number): void {
    this.of(buf, start, end);
    this.lentFrom = from;
    this.emptied = false;
  }

  /** Whether it still looks at the bytes lent (nothing was written). */
  get lent(): boolean {
    return this.lentFrom >= 0;
  }

  /** Room for `n` more bytes at `end`; returns the buffer to write into (it may have moved). */
  room(n: number): Bytes {
    const from = this.lentFrom;
    if (from >= 0) {
      const length = this.end - from;
      if (length + n > this.own.length) this.own = allocBytes(2 * (length + n));
      (this.buf as Bytes).copy(this.own, 0, from, this.end);
      this.lentFrom = -1;
      this.of(this.own, this.start - from, length);
    }
    if (this.end + n > this.own.length) {
      const grown = allocBytes(2 * (this.end + n));
      this.own.copy(grown, 0, 0, this.end);
      this.buf = this.own = grown;
    }
    return this.own;
  }
}

/** A string value as bytes in a JS string. */
export function stringOf(value: StringValue): string {
  return typeof value === "number" ? String(value) : value;
}
