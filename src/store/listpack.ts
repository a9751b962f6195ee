/**
 * Listpack layout (Redis's listpack.c) for writing: the byte size of an element, and a
 * writer that lays elements out as Redis does. Streams need both: Redis decides when a
 * stream node is full from its listpack's byte size, so KVIS keeps that size exactly to
 * split nodes where Redis splits them (XTRIM ~ and XINFO depend on it), and RDB files hold
 * each node as its listpack. Decoding lives in persistence/compact.ts.
 *
 * An element is [encoding][data][backlen]. Strings that are canonical 64-bit integers
 * are stored as integers, as lpInsert does.
 */
import { copyRange, parseInt64, parseInt64Big, stringToInt64 } from "../resp/bytes.ts";
import { type BytesSink, toStringValue } from "./value.ts";

/** Header (total bytes u32, count u16) and the end marker. */
export const LISTPACK_EMPTY_SIZE = 7;

/** Bytes of encoding + data for an integer. */
function intEncodedSize(v: bigint | number): number {
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648 && v <= 2147483647) return 5;
  return 9;
}

function strEncodedSize(len: number): number {
  if (len < 64) return 1 + len;
  if (len < 4096) return 2 + len;
  return 5 + len;
}

/** The bytes of an element's back-length field for an element of `len` bytes. */
export function backlenSize(len: number): number {
  if (len <= 127) return 1;
  if (len < 16383) return 2;
  if (len < 2097151) return 3;
  if (len < 268435455) return 4;
  return 5;
}

/** The bytes an integer element takes in a listpack. */
export function lpIntSize(v: bigint | number): number {
  const n = intEncodedSize(v);
  return n + backlenSize(n);
}

/** The bytes a string element (one char per byte) takes in a listpack. */
export function lpStringSize(s: string): number {
  const int = intOfString(s);
  const n = int !== undefined ? intEncodedSize(int) : strEncodedSize(s.length);
  return n + backlenSize(n);
}

/**
 * The integer a listpack stores for an element (lpStringToInt64: canonical, within 64
 * bits), as a number when it is exact as one, else a BigInt; undefined for a string.
 */
function intOfBytes(src: Uint8Array, start: number, end: number): number | bigint | undefined {
  const n = parseInt64(src, start, end);
  return n === undefined || Number.isSafeInteger(n) ? n : parseInt64Big(src, start, end);
}

/** intOfBytes of a string (one char per byte). */
function intOfString(s: string): number | bigint | undefined {
  const v = toStringValue(s);
  if (typeof v === "number") return v;
  // Past 2^53: only digits (and a sign) are worth the BigInt.
  const c = s.charCodeAt(0);
  return s.length >= 16 && s.length <= 20 && (c === 45 || (c >= 48 && c <= 57)) ? stringToInt64(s) : undefined;
}

/** The bytes an element given as bytes takes in a listpack (an integer where it reads as one). */
export function lpBytesSize(src: Uint8Array, start: number, end: number): number {
  const int = intOfBytes(src, start, end);
  if (int !== undefined) return lpIntSize(int);
  const n = strEncodedSize(end - start);
  return n + backlenSize(n);
}

/** Builds one listpack, element by element. */
export class ListpackWriter {
  private buf = Buffer.allocUnsafe(256);
  private pos = 6;
  private count = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n + 64));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int(value: bigint | number): void {
    // A 32-bit value is written from a number; only the 64-bit form needs a BigInt.
    let big: bigint | undefined;
    let n: number;
    if (typeof value === "number") {
      n = value;
      if (n < -2147483648 || n > 2147483647) big = BigInt(n);
    } else {
      big = BigInt.asIntN(64, value);
      n = Number(big);
      if (n >= -2147483648 && n <= 2147483647) big = undefined;
    }
    const size = big !== undefined ? 9 : intEncodedSize(n);
    this.ensure(size + 1);
    const b = this.buf;
    const p = this.pos;
    if (size === 1) b[p] = n;
    else if (size === 2) {
      const u = n < 0 ? n + 8192 : n;
      b[p] = 0xc0 | (u >> 8);
      b[p + 1] = u & 0xff;
    } else if (size === 3) {
      b[p] = 0xf1;
      b.writeInt16LE(n, p + 1);
    } else if (size === 4) {
      b[p] = 0xf2;
      const u = n < 0 ? n + 0x1000000 : n;
      b[p + 1] = u & 0xff;
      b[p + 2] = (u >> 8) & 0xff;
      b[p + 3] = (u >> 16) & 0xff;
    } else if (size === 5) {
      b[p] = 0xf3;
      b.writeInt32LE(n, p + 1);
    } else {
      b[p] = 0xf4;
      b.writeBigInt64LE(big!, p + 1);
    }
    this.pos += size;
    this.backlen(size);
  }

  string(s: string): void {
    const int = intOfString(s);
    if (int !== undefined) return this.int(int);
    const at = this.stringHeader(s.length);
    this.buf.write(s, at, s.length, "latin1");
    this.pos = at + s.length;
    this.backlen(strEncodedSize(s.length));
  }

  /** An element given as bytes (a value in its cell or node): an integer when it reads as one, as lpInsert stores it. */
  bytes(src: Uint8Array, start: number, end: number): void {
    const int = intOfBytes(src, start, end);
    if (int !== undefined) return this.int(int);
    const len = end - start;
    const at = this.stringHeader(len);
    copyRange(src, start, end, this.buf, at);
    this.pos = at + len;
    this.backlen(strEncodedSize(len));
  }

  /** A string element's encoding for `len` bytes, with room for them and the back-length; returns where the bytes go. */
  private stringHeader(len: number): number {
    this.ensure(strEncodedSize(len) + 5);
    const b = this.buf;
    let p = this.pos;
    if (len < 64) b[p++] = 0x80 | len;
    else if (len < 4096) {
      b[p++] = 0xe0 | (len >> 8);
      b[p++] = len & 0xff;
    } else {
      b[p++] = 0xf0;
      b.writeUInt32LE(len, p);
      p += 4;
    }
    return p;
  }

  /** The writer as a sink of elements (an aggregate's writeAll, a list's nodes). */
  readonly sink: BytesSink = { bulkFrom: (src, start, end) => this.bytes(src, start, end), bulkString: (s) => this.string(s) };

  /** Start again, empty (one writer serves a whole save). */
  reset(): void {
    this.pos = 6;
    this.count = 0;
  }

  /** The entry length written right to left in 7-bit groups, as lpEncodeBacklen. */
  private backlen(len: number): void {
    const n = backlenSize(len);
    this.ensure(n);
    const b = this.buf;
    // The first byte (highest group) carries no continuation bit; the rest do.
    b[this.pos] = Math.floor(len / 2 ** (7 * (n - 1))) & 127;
    for (let i = 1; i < n; i++) b[this.pos + i] = (Math.floor(len / 2 ** (7 * (n - 1 - i))) & 127) | 128;
    this.pos += n;
    this.count++;
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.close());
  }

  /** End the listpack; its bytes are `bytes[0, n)` for the n returned (no view made: a save writes one per aggregate). */
  close(): number {
    this.ensure(1);
    this.buf[this.pos++] = 0xff;
    this.buf.writeUInt32LE(this.pos, 0);
    this.buf.writeUInt16LE(Math.min(this.count, 0xffff), 4);
    return this.pos;
  }

  /** The buffer close() ended the listpack in. */
  get buffer(): Uint8Array {
    return this.buf;
  }
}
