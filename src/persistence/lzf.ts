/**
 * LZF decompression, the format of Redis's compressed RDB strings (lzf_d.c): a control
 * byte below 32 starts a literal run of ctrl+1 bytes; otherwise it encodes a back
 * reference of length (ctrl >> 5) + 2 (7 means an extra length byte follows) and an
 * offset. Returns undefined on malformed input instead of reading out of bounds.
 */

export function lzfDecompress(input: Uint8Array, outLen: number): Uint8Array | undefined {
  const out = new Uint8Array(outLen);
  let ip = 0;
  let op = 0;
  const inLen = input.length;
  while (ip < inLen) {
    const ctrl = input[ip++]!;
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (op + run > outLen || ip + run > inLen) return undefined;
      out.set(input.subarray(ip, ip + run), op);
      op += run;
      ip += run;
      continue;
    }
    let len = ctrl >> 5;
    if (len === 7) {
      if (ip >= inLen) return undefined;
      len += input[ip++]!;
    }
    if (ip >= inLen) return undefined;
    let ref = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++]!;
    len += 2;
    if (ref < 0 || op + len > outLen) return undefined;
    // Byte by byte: the source may overlap the bytes being written (a repeating run).
    for (let k = 0; k < len; k++) out[op++] = out[ref++]!;
  }
  return op === outLen ? out : undefined;
}
