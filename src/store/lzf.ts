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

const HASH_BITS = 14;
const MAX_OFFSET = 1 << 13;
const MAX_MATCH = 264;
const MAX_LITERAL = 32;
/** Shared between calls: most strings are small, and a table per call would cost more than the work. */
const table = new Int32Array(1 << HASH_BITS);
let base = 0;
let out = new Uint8Array(1 << 16);

/**
 * LZF compression producing what lzfDecompress (and Redis's lzf_d.c) reads: literal runs of
 * up to 32 bytes and back references found through a hash of the next three bytes. The
 * output need not equal Redis's byte for byte, only decode to the same input. Returns
 * undefined when the result would exceed `maxOut` bytes (not worth storing compressed).
 * The result is a view of a buffer the next call reuses: copy it before calling again.
 */
export function lzfCompress(input: Uint8Array, maxOut: number): Uint8Array | undefined {
  const n = lzfCompressRange(input, 0, input.length, maxOut);
  return n < 0 ? undefined : out.subarray(0, n);
}

/**
 * lzfCompress of input[start, end) with no object made (a save compresses every value):
 * the compressed length, its bytes at the start of lzfOutput(), or -1 when over `maxOut`.
 */
export function lzfCompressRange(input: Uint8Array, start: number, end: number, maxOut: number): number {
  const n = end - start;
  if (out.length < maxOut + MAX_LITERAL + 3) out = new Uint8Array(2 * (maxOut + MAX_LITERAL + 3));
  const o = out;
  // Positions are stored offset by `base`, which grows past every earlier call's, so
  // entries left by earlier calls read as empty without clearing the table.
  if (base + n + 1 >= 2 ** 30) {
    table.fill(0);
    base = 0;
  }
  const origin = base + 1 - start;
  base += n + 1;
  let op = 1; // o[litAt] is the control byte of the literal run in progress
  let litAt = 0;
  let lit = 0;
  let ip = start;
  while (ip + 2 < end) {
    if (op > maxOut) return -1;
    const h = (Math.imul((input[ip]! << 16) | (input[ip + 1]! << 8) | input[ip + 2]!, 0x9e3779b1) >>> (32 - HASH_BITS));
    const ref = table[h]! - origin;
    table[h] = ip + origin;
    const off = ip - ref - 1;
    if (ref >= start && off < MAX_OFFSET && input[ref] === input[ip] && input[ref + 1] === input[ip + 1] && input[ref + 2] === input[ip + 2]) {
      const maxLen = Math.min(MAX_MATCH, end - ip);
      let len = 3;
      while (len < maxLen && input[ref + len] === input[ip + len]) len++;
      // End the literal run in progress (an empty one gives its reserved control byte back).
      if (lit === 0) op--;
      else o[litAt] = lit - 1;
      const code = len - 2;
      if (code < 7) {
        o[op++] = (code << 5) | (off >> 8);
      } else {
        o[op++] = (7 << 5) | (off >> 8);
        o[op++] = code - 7;
      }
      o[op++] = off & 0xff;
      ip += len;
      litAt = op++;
      lit = 0;
      continue;
    }
    o[op++] = input[ip++]!;
    if (++lit === MAX_LITERAL) {
      o[litAt] = lit - 1;
      litAt = op++;
      lit = 0;
    }
  }
  while (ip < end) {
    o[op++] = input[ip++]!;
    if (++lit === MAX_LITERAL) {
      o[litAt] = lit - 1;
      litAt = op++;
      lit = 0;
    }
  }
  if (lit === 0) op--;
  else o[litAt] = lit - 1;
  return op > maxOut ? -1 : op;
}

/** The buffer lzfCompressRange leaves its output in (until its next call). */
export function lzfOutput(): Uint8Array {
  return out;
}
