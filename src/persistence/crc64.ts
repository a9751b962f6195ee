/**
 * CRC-64/Jones as Redis computes it (crc64.c): reflected, polynomial 0xad93d23594c935a9,
 * initial value 0, no final xor. The RDB trailer and DUMP payloads carry it. The 64-bit
 * register is kept as two 32-bit halves so the loop stays in integer arithmetic.
 */

// Slicing-by-8: TABLES_x[k][i] is the CRC register after byte i followed by k zero bytes,
// so eight input bytes are folded in with eight lookups instead of eight dependent steps.
const TABLES_LO = Array.from({ length: 8 }, () => new Uint32Array(256));
const TABLES_HI = Array.from({ length: 8 }, () => new Uint32Array(256));
const TABLE_LO = TABLES_LO[0]!;
const TABLE_HI = TABLES_HI[0]!;

{
  // The reflected form of 0xad93d23594c935a9.
  const POLY_HI = 0x95ac9329;
  const POLY_LO = 0xac4bc9b5;
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let bit = 0; bit < 8; bit++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (carry) {
        lo = (lo ^ POLY_LO) >>> 0;
        hi = (hi ^ POLY_HI) >>> 0;
      }
    }
    TABLE_LO[i] = lo;
    TABLE_HI[i] = hi;
  }
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const lo = TABLES_LO[k - 1]![i]!;
      const hi = TABLES_HI[k - 1]![i]!;
      const idx = lo & 0xff;
      TABLES_LO[k]![i] = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ TABLE_LO[idx]!) >>> 0;
      TABLES_HI[k]![i] = ((hi >>> 8) ^ TABLE_HI[idx]!) >>> 0;
    }
  }
}

const [L0, L1, L2, L3, L4, L5, L6, L7] = TABLES_LO as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
const [H0, H1, H2, H3, H4, H5, H6, H7] = TABLES_HI as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];

/** Continue a CRC over bytes; `crc` is the running value (0n to start). */
export function crc64(bytes: Uint8Array, crc = 0n): bigint {
  let lo = Number(crc & 0xffffffffn) >>> 0;
  let hi = Number(crc >> 32n) >>> 0;
  const n = bytes.length;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const a = (lo ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    const b = (hi ^ (bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24))) >>> 0;
    lo = (L7[a & 0xff]! ^ L6[(a >>> 8) & 0xff]! ^ L5[(a >>> 16) & 0xff]! ^ L4[a >>> 24]! ^ L3[b & 0xff]! ^ L2[(b >>> 8) & 0xff]! ^ L1[(b >>> 16) & 0xff]! ^ L0[b >>> 24]!) >>> 0;
    hi = (H7[a & 0xff]! ^ H6[(a >>> 8) & 0xff]! ^ H5[(a >>> 16) & 0xff]! ^ H4[a >>> 24]! ^ H3[b & 0xff]! ^ H2[(b >>> 8) & 0xff]! ^ H1[(b >>> 16) & 0xff]! ^ H0[b >>> 24]!) >>> 0;
  }
  for (; i < n; i++) {
    const idx = (lo ^ bytes[i]!) & 0xff;
    lo = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ TABLE_LO[idx]!) >>> 0;
    hi = ((hi >>> 8) ^ TABLE_HI[idx]!) >>> 0;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}
