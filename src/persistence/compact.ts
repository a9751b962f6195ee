/**
 * Decoders for the compact structures Redis stores in RDB files as one string each:
 * ziplist (ziplist.c), listpack (listpack.c), intset (intset.c) and zipmap (zipmap.c).
 * Each returns the elements in order as byte strings (integers as their decimal text) and
 * throws CompactError when the bytes are malformed, never reading out of bounds: the RDB
 * reader turns that into an error naming the file and offset.
 */
import { latin1Slice } from "../resp/bytes.ts";
import { backlenSize } from "../store/listpack.ts";
import type { BytesSource } from "../store/value.ts";

const EMPTY = new Uint8Array(0);

export class CompactError extends Error {}

function fail(what: string, reason: string): never {
  throw new CompactError(`invalid ${what}: ${reason}`);
}

/** The unsigned 32-bit little-endian integer at b[at]. */
function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * A ziplist: zlbytes u32, zltail u32, zllen u16, then entries of
 * [prevlen: 1 byte, or 0xfe + u32][encoding][data], then 0xff.
 */
export function ziplistEntries(b: Uint8Array): string[] {
  const v = view(b);
  if (b.length < 11) fail("ziplist", "too short");
  if (v.getUint32(0, true) !== b.length) fail("ziplist", "header length does not match");
  const out: string[] = [];
  let p = 10;
  const need = (n: number) => {
    if (p + n > b.length - 1) fail("ziplist", "entry runs past the end");
  };
  while (b[p] !== 0xff) {
    need(1);
    p += b[p] === 0xfe ? 5 : 1;
    need(1);
    const enc = b[p]!;
    const kind = enc >> 6;
    if (kind === 0) {
      need(1 + (enc & 0x3f));
      out.push(latin1Slice.call(b, p + 1, p + 1 + (enc & 0x3f)));
      p += 1 + (enc & 0x3f);
    } else if (kind === 1) {
      need(2);
      const len = ((enc & 0x3f) << 8) | b[p + 1]!;
      need(2 + len);
      out.push(latin1Slice.call(b, p + 2, p + 2 + len));
      p += 2 + len;
    } else if (kind === 2) {
      need(5);
      const len = v.getUint32(p + 1, false);
      need(5 + len);
      out.push(latin1Slice.call(b, p + 5, p + 5 + len));
      p += 5 + len;
    } else if (enc === 0xc0) {
      need(3);
      out.push(String(v.getInt16(p + 1, true)));
      p += 3;
    } else if (enc === 0xd0) {
      need(5);
      out.push(String(v.getInt32(p + 1, true)));
      p += 5;
    } else if (enc === 0xe0) {
      need(9);
      out.push(String(v.getBigInt64(p + 1, true)));
      p += 9;
    } else if (enc === 0xf0) {
      need(4);
      out.push(String((b[p + 1]! | (b[p + 2]! << 8) | (b[p + 3]! << 16)) << 8 >> 8));
      p += 4;
    } else if (enc === 0xfe) {
      need(2);
      out.push(String(v.getInt8(p + 1)));
      p += 2;
    } else if (enc >= 0xf1 && enc <= 0xfd) {
      out.push(String((enc & 0x0f) - 1));
      p += 1;
    } else {
      fail("ziplist", `unknown entry encoding 0x${enc.toString(16)}`);
    }
  }
  if (p !== b.length - 1) fail("ziplist", "bytes after the end marker");
  const count = v.getUint16(8, true);
  if (count !== 0xffff && count !== out.length) fail("ziplist", "entry count does not match");
  return out;
}

/**
 * A listpack: total bytes u32, count u16, then entries of [encoding][data][backlen],
 * then 0xff.
 */
export function listpackEntries(b: Uint8Array): string[] {
  const out: string[] = [];
  const lp = entriesCursor.reset(b);
  while (lp.next()) out.push(lp.int !== undefined ? String(lp.int) : latin1Slice.call(b, lp.start, lp.end));
  return out;
}

/**
 * A listpack's entries in order, checked as they come (CompactError when malformed). After
 * each next() that returns true the entry is src[start, end): a string's own bytes, or an
 * integer's decimal text in a buffer of the cursor's, with the integer in `int` (a BigInt
 * past 32 bits of the 64-bit form; undefined for a string). Nothing is made per entry, and
 * each caller's loop compiles on its own: loading walks one listpack per small aggregate,
 * and a walker taking callbacks, shared by hashes, sorted sets and lists, was half the
 * JIT's work in a fresh server's load of them (compiled twice as each type came).
 */
export class ListpackCursor implements BytesSource {
  private b: Uint8Array = EMPTY;
  private p = 0;
  /** Entries read so far. */
  count = 0;
  src: Uint8Array = EMPTY;
  start = 0;
  end = 0;
  int: number | bigint | undefined;
  /** Integers' decimal text, at its end. */
  private readonly digits = Buffer.allocUnsafe(24);

  /** Walk `b`, its header checked, from its first entry. */
  reset(b: Uint8Array): this {
    if (b.length < 7) fail("listpack", "too short");
    if (u32le(b, 0) !== b.length) fail("listpack", "header length does not match");
    this.b = b;
    this.p = 6;
    this.count = 0;
    return this;
  }

  /** Step to the next entry; false past the last (the end marker and the count checked then). */
  next(): boolean {
    const b = this.b;
    const p = this.p;
    const enc = b[p]!;
    if (enc === 0xff) {
      if (p !== b.length - 1) fail("listpack", "bytes after the end marker");
      const count = b[4]! | (b[5]! << 8);
      if (count !== 0xffff && count !== this.count) fail("listpack", "entry count does not match");
      return false;
    }
    let len: number; // encoding + data
    if (enc < 0x80) {
      this.integer(enc);
      len = 1;
    } else if (enc < 0xc0) {
      len = 1 + (enc & 0x3f);
      this.text(p + 1, p + len);
    } else if (enc < 0xe0) {
      this.need(2);
      const n = ((enc & 0x1f) << 8) | b[p + 1]!;
      this.integer(n >= 4096 ? n - 8192 : n);
      len = 2;
    } else if (enc < 0xf0) {
      this.need(2);
      len = 2 + (((enc & 0x0f) << 8) | b[p + 1]!);
      this.text(p + 2, p + len);
    } else if (enc === 0xf0) {
      this.need(5);
      len = 5 + u32le(b, p + 1);
      this.text(p + 5, p + len);
    } else if (enc === 0xf1) {
      this.need(3);
      this.integer(((b[p + 1]! | (b[p + 2]! << 8)) << 16) >> 16);
      len = 3;
    } else if (enc === 0xf2) {
      this.need(4);
      this.integer(((b[p + 1]! | (b[p + 2]! << 8) | (b[p + 3]! << 16)) << 8) >> 8);
      len = 4;
    } else if (enc === 0xf3) {
      this.need(5);
      this.integer(u32le(b, p + 1) | 0);
      len = 5;
    } else if (enc === 0xf4) {
      this.need(9);
      this.integer(view(b).getBigInt64(p + 1, true));
      len = 9;
    } else {
      fail("listpack", `unknown entry encoding 0x${enc.toString(16)}`);
    }
    // The entry and its back length end before the end marker.
    this.need(len + backlenSize(len));
    this.p = p + len + backlenSize(len);
    this.count++;
    return true;
  }

  /** The entry at p is n bytes long at least, ending before the end marker. */
  private need(n: number): void {
    if (this.p + n > this.b.length - 1) fail("listpack", "entry runs past the end");
  }

  private text(start: number, end: number): void {
    this.need(end - this.p);
    this.src = this.b;
    this.start = start;
    this.end = end;
    this.int = undefined;
  }

  private integer(n: number | bigint): void {
    const digits = this.digits;
    let p = digits.length;
    if (typeof n === "bigint") {
      const text = String(n);
      p -= digits.write(text, p - text.length, "latin1");
    } else {
      let v = n < 0 ? -n : n;
      do {
        digits[--p] = 0x30 + (v % 10);
        v = Math.floor(v / 10);
      } while (v > 0);
      if (n < 0) digits[--p] = 0x2d;
    }
    this.src = digits;
    this.start = p;
    this.end = digits.length;
    this.int = n;
  }
}

/** listpackEntries's cursor, reused: it runs per key for a listpack set or a stream's node. */
const entriesCursor = new ListpackCursor();

/**
 * An intset: encoding u32 (2, 4 or 8 bytes an element), length u32, sorted elements. Its
 * members (as decimal text) and its width, with whether they ascend strictly, as a valid
 * intset's do (Redis checks that only on deep sanitization).
 */
export function intset(b: Uint8Array): { members: string[]; width: number; ascending: boolean } {
  if (b.length < 8) fail("intset", "too short");
  const width = u32le(b, 0);
  const n = u32le(b, 4);
  if (width !== 2 && width !== 4 && width !== 8) fail("intset", `unknown encoding ${width}`);
  if (8 + n * width !== b.length) fail("intset", "length does not match");
  const members = new Array<string>(n);
  let ascending = true;
  if (width === 8) {
    const v = view(b);
    let last = 0n;
    for (let i = 0; i < n; i++) {
      const x = v.getBigInt64(8 + 8 * i, true);
      if (i > 0 && x <= last) ascending = false;
      last = x;
      members[i] = String(x);
    }
  } else {
    let last = 0;
    for (let i = 0; i < n; i++) {
      const at = 8 + i * width;
      const x = width === 2 ? ((b[at]! | (b[at + 1]! << 8)) << 16) >> 16 : u32le(b, at) | 0;
      if (i > 0 && x <= last) ascending = false;
      last = x;
      members[i] = String(x);
    }
  }
  return { members, width, ascending };
}

/**
 * A zipmap (hashes before Redis 2.6): a count byte, then [len][field][len][free][value]
 * [free bytes] pairs, then 0xff. A length is one byte below 254, or 254 and a u32.
 */
export function zipmapEntries(b: Uint8Array): string[] {
  const v = view(b);
  const out: string[] = [];
  let p = 1;
  const need = (n: number) => {
    if (p + n > b.length - 1) fail("zipmap", "entry runs past the end");
  };
  const length = (): number => {
    need(1);
    const first = b[p]!;
    if (first < 254) {
      p += 1;
      return first;
    }
    if (first === 255) fail("zipmap", "unexpected end marker");
    need(5);
    const n = v.getUint32(p + 1, true);
    p += 5;
    return n;
  };
  if (b.length < 2) fail("zipmap", "too short");
  while (b[p] !== 0xff) {
    const klen = length();
    need(klen);
    out.push(latin1Slice.call(b, p, p + klen));
    p += klen;
    const vlen = length();
    need(1);
    const free = b[p]!;
    p += 1;
    need(vlen + free);
    out.push(latin1Slice.call(b, p, p + vlen));
    p += vlen + free;
  }
  if (p !== b.length - 1) fail("zipmap", "bytes after the end marker");
  return out;
}
