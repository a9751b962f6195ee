/**
 * HyperLogLog in Redis's own byte format (hyperloglog.c), so a value written by Redis
 * counts the same here and the other way round: a 16-byte header ("HYLL", encoding,
 * three unused bytes, an 8-byte little-endian cached cardinality whose top bit marks it
 * stale), then 16384 six-bit registers, either dense (12288 bytes, little-endian bit
 * packing) or sparse (ZERO, XZERO and VAL run-length opcodes, at most
 * hll-sparse-max-bytes). Elements are hashed with MurmurHash64A, seed 0xadc83b19, and the
 * count is Ertl's improved estimator, exactly as Redis computes it.
 * Functions here work on byte arrays and never reply; callers map errors to texts.
 */
import { encodingLimits } from "./encoding.ts";

export const HLL_P = 14;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_Q = 64 - HLL_P;
const HLL_BITS = 6;
const HLL_REGISTER_MAX = (1 << HLL_BITS) - 1;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + Math.floor((HLL_REGISTERS * HLL_BITS + 7) / 8);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const ALPHA_INF = 0.721347520444481703680;

const M = 0xc6a4a7935bd1e995n;
const MASK64 = 0xffffffffffffffffn;

/** MurmurHash64A over bytes, as Redis's copy of it computes it on little-endian machines. */
export function murmurHash64A(key: Uint8Array, seed: bigint): bigint {
  const len = key.length;
  let h = (seed ^ ((BigInt(len) * M) & MASK64)) & MASK64;
  const blocks = len - (len & 7);
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  for (let i = 0; i < blocks; i += 8) {
    let k = view.getBigUint64(i, true);
    k = (k * M) & MASK64;
    k ^= k >> 47n;
    k = (k * M) & MASK64;
    h ^= k;
    h = (h * M) & MASK64;
  }
  const tail = len & 7;
  if (tail > 0) {
    for (let i = tail - 1; i >= 0; i--) h ^= BigInt(key[blocks + i]!) << BigInt(8 * i);
    h = (h * M) & MASK64;
  }
  h ^= h >> 47n;
  h = (h * M) & MASK64;
  h ^= h >> 47n;
  return h;
}

/** The register an element falls in and the length of its "000...1" pattern (hllPatLen). */
export function patternOf(element: Uint8Array): [index: number, count: number] {
  let hash = murmurHash64A(element, 0xadc83b19n);
  const index = Number(hash & BigInt(HLL_REGISTERS - 1));
  hash >>= BigInt(HLL_P);
  hash |= 1n << BigInt(HLL_Q);
  let count = 1;
  while ((hash & 1n) === 0n) {
    count++;
    hash >>= 1n;
  }
  return [index, count];
}

/** A new, empty HLL: sparse, one XZERO opcode, cached cardinality 0 (createHLLObject). */
export function createHll(): Uint8Array {
  const out = new Uint8Array(HLL_HDR_SIZE + 2);
  out.set([0x48, 0x59, 0x4c, 0x4c, HLL_SPARSE]);
  setXzero(out, HLL_HDR_SIZE, HLL_REGISTERS);
  return out;
}

/** Whether bytes are an HLL Redis would accept (isHLLObjectOrReply). */
export function isValidHll(b: Uint8Array): boolean {
  if (b.length < HLL_HDR_SIZE || b[0] !== 0x48 || b[1] !== 0x59 || b[2] !== 0x4c || b[3] !== 0x4c) return false;
  if (b[4]! > HLL_SPARSE) return false;
  return b[4] !== HLL_DENSE || b.length === HLL_DENSE_SIZE;
}

function setXzero(b: Uint8Array | number[], at: number, len: number): void {
  b[at] = 0x40 | ((len - 1) >> 8);
  b[at + 1] = (len - 1) & 0xff;
}

function denseGet(b: Uint8Array, reg: number): number {
  const bit = reg * HLL_BITS;
  const byte = HLL_HDR_SIZE + (bit >> 3);
  const fb = bit & 7;
  return ((b[byte]! >> fb) | ((b[byte + 1] ?? 0) << (8 - fb))) & HLL_REGISTER_MAX;
}

function denseSet(b: Uint8Array, reg: number, value: number): void {
  const bit = reg * HLL_BITS;
  const byte = HLL_HDR_SIZE + (bit >> 3);
  const fb = bit & 7;
  b[byte] = (b[byte]! & ~(HLL_REGISTER_MAX << fb)) | (value << fb);
  if (byte + 1 < b.length) b[byte + 1] = (b[byte + 1]! & ~(HLL_REGISTER_MAX >> (8 - fb))) | (value >> (8 - fb));
}

export function invalidateCache(b: Uint8Array): void {
  b[15] = b[15]! | 0x80;
}

/**
 * Every register's value, decoded from either encoding, or undefined when a sparse
 * representation does not cover exactly 16384 registers (a corrupt value).
 */
export function registersOf(b: Uint8Array): Uint8Array | undefined {
  const regs = new Uint8Array(HLL_REGISTERS);
  if (b[4] === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) regs[i] = denseGet(b, i);
    return regs;
  }
  let idx = 0;
  for (let p = HLL_HDR_SIZE; p < b.length; ) {
    const op = b[p]!;
    let run: number;
    let value = 0;
    if ((op & 0xc0) === 0) {
      run = (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      run = (((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1;
      p += 2;
    } else {
      run = (op & 0x03) + 1;
      value = ((op >> 2) & 0x1f) + 1;
      p++;
    }
    if (idx + run > HLL_REGISTERS) return undefined;
    regs.fill(value, idx, idx + run);
    idx += run;
  }
  return idx === HLL_REGISTERS ? regs : undefined;
}

/** A dense HLL holding `regs`, with the header (and cached cardinality) of `from`. */
function toDense(from: Uint8Array, regs: Uint8Array): Uint8Array {
  const out = new Uint8Array(HLL_DENSE_SIZE);
  out.set(from.subarray(0, HLL_HDR_SIZE));
  out[4] = HLL_DENSE;
  for (let i = 0; i < HLL_REGISTERS; i++) if (regs[i]) denseSet(out, i, regs[i]!);
  return out;
}

/**
 * Raise register `index` to `count` if it is lower (hllDenseSet / hllSparseSet). Returns
 * the possibly re-allocated bytes and whether anything changed, or undefined for a corrupt
 * sparse value. A sparse HLL is promoted to dense when the value does not fit a VAL
 * opcode or the result would pass hll-sparse-max-bytes.
 */
export function setRegister(b: Uint8Array, index: number, count: number): [Uint8Array, boolean] | undefined {
  if (b[4] === HLL_DENSE) {
    if (denseGet(b, index) >= count) return [b, false];
    denseSet(b, index, count);
    return [b, true];
  }
  if (count > SPARSE_VAL_MAX_VALUE) return promote(b, index, count);
  const ops = Array.from(b.subarray(HLL_HDR_SIZE));
  let first = 0;
  let p = 0;
  let prev = -1;
  let span = 0;
  while (p < ops.length) {
    const op = ops[p]!;
    const oplen = (op & 0xc0) === 0x40 ? 2 : 1;
    span = (op & 0xc0) === 0 ? (op & 0x3f) + 1 : (op & 0xc0) === 0x40 ? (((op & 0x3f) << 8) | (ops[p + 1] ?? 0)) + 1 : (op & 0x03) + 1;
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= ops.length) return undefined;
  const op = ops[p]!;
  const isXzero = (op & 0xc0) === 0x40;
  const isVal = (op & 0x80) !== 0;
  const isZero = !isXzero && !isVal;
  const valOp = (value: number, len: number) => 0x80 | ((value - 1) << 2) | (len - 1);
  const zeroRun = (seq: number[], len: number) => {
    if (len > SPARSE_ZERO_MAX_LEN) seq.push(0x40 | ((len - 1) >> 8), (len - 1) & 0xff);
    else seq.push(len - 1);
  };
  if (isVal) {
    const old = ((op >> 2) & 0x1f) + 1;
    if (old >= count) return [b, false];
    if (span === 1) {
      ops[p] = valOp(count, 1);
      return [finishSparse(b, ops, prev), true];
    }
  }
  if (isZero && span === 1) {
    ops[p] = valOp(count, 1);
    return [finishSparse(b, ops, prev), true];
  }
  // The general case: split the run around the register into up to three opcodes.
  const last = first + span - 1;
  const seq: number[] = [];
  if (isVal) {
    const current = ((op >> 2) & 0x1f) + 1;
    if (index !== first) seq.push(valOp(current, index - first));
    seq.push(valOp(count, 1));
    if (index !== last) seq.push(valOp(current, last - index));
  } else {
    if (index !== first) zeroRun(seq, index - first);
    seq.push(valOp(count, 1));
    if (index !== last) zeroRun(seq, last - index);
  }
  const oldLen = isXzero ? 2 : 1;
  if (seq.length > oldLen && HLL_HDR_SIZE + ops.length + seq.length - oldLen > encodingLimits.hllSparseMaxBytes) return promote(b, index, count);
  ops.splice(p, oldLen, ...seq);
  return [finishSparse(b, ops, prev), true];
}

/**
 * After a sparse update, merge adjacent VAL opcodes with equal values, scanning up to five
 * opcodes from the one before the change (as Redis does), and rebuild the bytes.
 */
function finishSparse(b: Uint8Array, ops: number[], prev: number): Uint8Array {
  let p = prev >= 0 ? prev : 0;
  let scan = 5;
  while (p < ops.length && scan-- > 0) {
    const op = ops[p]!;
    if ((op & 0xc0) === 0x40) {
      p += 2;
      continue;
    }
    if ((op & 0xc0) === 0) {
      p++;
      continue;
    }
    const next = ops[p + 1];
    if (next !== undefined && (next & 0x80) !== 0 && ((op >> 2) & 0x1f) === ((next >> 2) & 0x1f)) {
      const len = (op & 0x03) + (next & 0x03) + 2;
      if (len <= SPARSE_VAL_MAX_LEN) {
        ops.splice(p, 2, (op & 0xfc) | (len - 1));
        continue;
      }
    }
    p++;
  }
  const out = new Uint8Array(HLL_HDR_SIZE + ops.length);
  out.set(b.subarray(0, HLL_HDR_SIZE));
  out.set(ops, HLL_HDR_SIZE);
  invalidateCache(out);
  return out;
}

function promote(b: Uint8Array, index: number, count: number): [Uint8Array, boolean] | undefined {
  const regs = registersOf(b);
  if (regs === undefined) return undefined;
  const dense = toDense(b, regs);
  if (denseGet(dense, index) < count) denseSet(dense, index, count);
  return [dense, true];
}

/** Convert to dense if sparse (hllSparseToDense); undefined when corrupt. */
export function ensureDense(b: Uint8Array): Uint8Array | undefined {
  if (b[4] === HLL_DENSE) return b;
  const regs = registersOf(b);
  return regs === undefined ? undefined : toDense(b, regs);
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let zPrime: number;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let zPrime: number;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
  } while (zPrime !== z);
  return z / 3;
}

/** The estimated cardinality of a set of register values (hllCount). */
export function estimate(regs: Uint8Array): number {
  const m = HLL_REGISTERS;
  const histo = new Array<number>(64).fill(0);
  for (let i = 0; i < m; i++) histo[regs[i]!]!++;
  let z = m * tau((m - histo[HLL_Q + 1]!) / m);
  for (let j = HLL_Q; j >= 1; j--) {
    z += histo[j]!;
    z *= 0.5;
  }
  z += m * sigma(histo[0]! / m);
  return Math.round((ALPHA_INF * m * m) / z);
}

/** The cached cardinality, or undefined when it is stale. */
export function cachedCount(b: Uint8Array): number | undefined {
  if (b[15]! & 0x80) return undefined;
  let card = 0;
  for (let i = 7; i >= 0; i--) card = card * 256 + b[8 + i]!;
  return card;
}

export function storeCount(b: Uint8Array, card: number): void {
  let v = card;
  for (let i = 0; i < 8; i++) {
    b[8 + i] = v % 256;
    v = Math.floor(v / 256);
  }
}
