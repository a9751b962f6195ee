/**
 * LZF decompression, the format of Redis's compressed RDB strings (lzf_d.c): a control
 * byte below 32 starts a literal run of ctrl+1 bytes; otherwise it encodes a back
 * reference of length (ctrl >> 5) + 2 (7 means an extra length byte follows) and an
 * offset. Returns undefined on malformed input instead of reading out of bounds. With
 * `into` (large enough), the result is a view of it rather than a new array.
 */

export function lzfDecompress(input: Uint8Array, outLen: number, into?: Uint8Array): Uint8Array | undefined {
  const out = into !== undefined && into.length >= outLen ? into : new Uint8Array(outLen);
  return lzfDecompressInto(input, 0, input.length, outLen, out) ? out.subarray(0, outLen) : undefined;
}

/**
 * Decompress input[start, end) into out[0, outLen) (out must be large enough), without a
 * view of either: an RDB load decompresses millions of short strings. False if malformed.
 */
export function lzfDecompressInto(input: Uint8Array, start: number, end: number, outLen: number, out: Uint8Array): boolean {
  let ip = start;
  let op = 0;
  const inLen = end;
  while (ip < inLen) {
    const ctrl = input[ip++]!;
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (op + run > outLen || ip + run > inLen) return false;
      // Runs are at most 32 bytes: a loop beats making a view to copy from.
      for (let k = 0; k < run; k++) out[op++] = input[ip++]!;
      continue;
    }
    let len = ctrl >> 5;
    if (len === 7) {
      if (ip >= inLen) return false;
      len += input[ip++]!;
    }
    if (ip >= inLen) return false;
    let ref = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++]!;
    len += 2;
    if (ref < 0 || op + len > outLen) return false;
    // Byte by byte: the source may overlap the bytes being written (a repeating run).
    for (let k = 0; k < len; k++) out[op++] = out[ref++]!;
  }
  return op === outLen;
}

/** Redis builds liblzf with HLOG 16 and VERY_FAST (lzfP.h). */
const HASH_BITS = 16;
const HASH_MASK = (1 << HASH_BITS) - 1;
const MAX_OFFSET = 1 << 13;
const MAX_MATCH = (1 << 8) + (1 << 3);
const MAX_LITERAL = 32;
/** Shared between calls: most strings are small, and a table per call would cost more than the work. */
const table = new Int32Array(1 << HASH_BITS);
let base = 0;
let out = new Uint8Array(1 << 16);

/** liblzf's IDX of a hash of the next three bytes (with VERY_FAST). */
function slotOf(h: number): number {
  return ((h >>> (24 - HASH_BITS)) - Math.imul(h, 5)) & HASH_MASK;
}

/**
 * LZF compression as Redis's liblzf (lzf_c.c, HLOG 16, VERY_FAST) compresses, byte for
 * byte, so that DUMP payloads and RDB files come out as Redis's: the same hash of the next
 * three bytes, a match only from a position after the first, the same match lengths, and
 * after a match only its last two positions hashed. `outLen` is lzf_compress's out_len,
 * with its conservative bounds: -1 where it returns 0 (the output would not fit). Redis's table starts as whatever its stack held;
 * here an entry from an earlier call reads as empty, which is what Redis's holds unless a
 * stale pointer happens to land in the same input's bytes. The result is a view of a
 * buffer the next call reuses: copy it before calling again.
 */
export function lzfCompress(input: Uint8Array, outLen: number): Uint8Array | undefined {
  const n = lzfCompressRange(input, 0, input.length, outLen);
  return n < 0 ? undefined : out.subarray(0, n);
}

/**
 * lzfCompress of input[start, end) with no object made (a save compresses every value):
 * the compressed length, its bytes at the start of lzfOutput(), or -1.
 */
export function lzfCompressRange(input: Uint8Array, start: number, end: number, outLen: number): number {
  const n = end - start;
  if (n <= 0 || outLen <= 0) return -1;
  if (out.length < outLen + MAX_LITERAL + 8) out = new Uint8Array(2 * (outLen + MAX_LITERAL + 8));
  const o = out;
  // Positions are stored offset by `base`, which grows past every earlier call's, so
  // entries left by earlier calls read as before the input (no match) without clearing.
  if (base + n + 1 >= 2 ** 30) {
    table.fill(0);
    base = 0;
  }
  const origin = base + 1 - start;
  base += n + 1;
  let op = 1; // o[op - lit - 1] is the control byte of the literal run in progress
  let lit = 0;
  let ip = start;
  let h = (input[ip]! << 8) | (input[ip + 1] ?? 0);
  while (ip < end - 2) {
    h = (h << 8) | input[ip + 2]!;
    const slot = slotOf(h);
    const ref = table[slot]! - origin;
    table[slot] = ip + origin;
    const off = ip - ref - 1;
    if (off < MAX_OFFSET && ref > start && input[ref] === input[ip] && input[ref + 1] === input[ip + 1] && input[ref + 2] === input[ip + 2]) {
      const maxLen = Math.min(end - ip - 2, MAX_MATCH);
      // End the literal run in progress (an empty one gives its reserved control byte back).
      if (lit === 0) op--;
      else o[op - lit - 1] = lit - 1;
      if (op + 4 >= outLen) return -1;
      // liblzf compares 16 more bytes unchecked when over 16 may match, then one at a time.
      let len = 2;
      let done = false;
      if (maxLen > 16) {
        for (let k = 0; k < 16 && !done; k++) done = input[ref + ++len] !== input[ip + len];
      }
      if (!done) {
        do len++;
        while (len < maxLen && input[ref + len] === input[ip + len]);
      }
      len -= 2;
      ip++;
      if (len < 7) o[op++] = (off >> 8) + (len << 5);
      else {
        o[op++] = (off >> 8) + (7 << 5);
        o[op++] = len - 7;
      }
      o[op++] = off & 0xff;
      lit = 0;
      op++;
      ip += len + 1;
      if (ip >= end - 2) break;
      // The last two positions of the match go into the table.
      ip -= 2;
      h = (input[ip]! << 8) | input[ip + 1]!;
      h = (h << 8) | input[ip + 2]!;
      table[slotOf(h)] = ip + origin;
      ip++;
      h = (h << 8) | input[ip + 2]!;
      table[slotOf(h)] = ip + origin;
      ip++;
      continue;
    }
    if (op >= outLen) return -1;
    lit++;
    o[op++] = input[ip++]!;
    if (lit === MAX_LITERAL) {
      o[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  if (op + 3 > outLen) return -1;
  while (ip < end) {
    lit++;
    o[op++] = input[ip++]!;
    if (lit === MAX_LITERAL) {
      o[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  if (lit === 0) op--;
  else o[op - lit - 1] = lit - 1;
  return op;
}

/** The buffer lzfCompressRange leaves its output in (until its next call). */
export function lzfOutput(): Uint8Array {
  return out;
}
