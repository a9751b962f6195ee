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
import { copyRange } from "../resp/bytes.ts";
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

/** MurmurHash64A's multiplier, in 32-bit halves. */
const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;

/**
 * mulM's result: the high and low 32-bit halves, as int32 (the hash keeps every value
 * signed: unsigned ones above 2^31 are doubles to the JIT, and hashing ran three times slower).
 */
let productHi = 0;
let productLo = 0;

/**
 * The low 64 bits of (hi:lo) * M, into productHi and productLo (results in module
 * variables rather than a [hi, lo] pair: PFSELFTEST hashes ten million elements, and the
 * pairs made half its time). JS has no 64-bit integers but BigInt, which made every PFADD
 * element cost a microsecond; the low 32x32 product is split in 16-bit halves so that
 * every partial sum is exact in a double.
 */
function mulM(hi: number, lo: number): void {
  const a1 = lo >>> 16;
  const a0 = lo & 0xffff;
  const carry = Math.floor(((a1 * M_LO0 + a0 * M_LO1) * 65536 + a0 * M_LO0) / 4294967296);
  productHi = (Math.imul(a1, M_LO1) + carry + Math.imul(hi, M_LO) + Math.imul(lo, M_HI)) | 0;
  productLo = Math.imul(lo, M_LO);
}

const M_LO1 = M_LO >>> 16;
const M_LO0 = M_LO & 0xffff;
const HASH_SEED = 0xadc83b19;

/**
 * The register an element falls in and the length of its "000...1" pattern (hllPatLen),
 * packed as index * 64 + count: MurmurHash64A over its bytes with Redis's seed, as Redis's
 * copy of it computes it on little-endian machines.
 */
export function patternOf(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const len = end - start;
  mulM(0, len);
  let hh = productHi;
  let hl = productLo ^ HASH_SEED;
  const blocks = start + len - (len & 7);
  for (let i = start; i < blocks; i += 8) {
    mulM(bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24), bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    mulM(productHi, productLo ^ (productHi >>> 15)); // k ^= k >> 47
    mulM(hh ^ productHi, hl ^ productLo);
    hh = productHi;
    hl = productLo;
  }
  const tail = len & 7;
  if (tail > 0) {
    for (let i = tail - 1; i >= 0; i--) {
      const byte = bytes[blocks + i]!;
      if (i >= 4) hh ^= byte << (8 * (i - 4));
      else hl ^= byte << (8 * i);
    }
    mulM(hh, hl);
    hh = productHi;
    hl = productLo;
  }
  mulM(hh, hl ^ (hh >>> 15));
  const hi = productHi;
  const lo = productLo ^ (productHi >>> 15);
  const index = lo & (HLL_REGISTERS - 1);
  // The other 50 bits, with bit 50 set so that the count stops at HLL_Q + 1.
  const restLo = (lo >>> HLL_P) | (hi << (32 - HLL_P));
  const restHi = (hi >>> HLL_P) | (1 << (HLL_Q - 32));
  const count = restLo !== 0 ? trailingZeros(restLo) + 1 : 32 + trailingZeros(restHi) + 1;
  return index * 64 + count;
}

function trailingZeros(x: number): number {
  return 31 - Math.clz32(x & -x);
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

/** Raise register `index` of a dense HLL to `count` if it is lower (hllDenseSet): 1 when it changed, else 0. */
export function raiseDense(b: Uint8Array, index: number, count: number): number {
  if (denseGet(b, index) >= count) return 0;
  denseSet(b, index, count);
  return 1;
}

const valOp = (value: number, len: number) => 0x80 | ((value - 1) << 2) | (len - 1);

/** Append a ZERO or XZERO opcode for a run of `len` zero registers to `seq` at `n`; returns the new `n`. */
function zeroRun(seq: Uint8Array, n: number, len: number): number {
  if (len <= SPARSE_ZERO_MAX_LEN) {
    seq[n] = len - 1;
    return n + 1;
  }
  setXzero(seq, n, len);
  return n + 2;
}

/**
 * An HLL being changed (PFADD, PFSELFTEST): its bytes are copied once into a buffer with
 * room to grow and its registers raised there in place, as Redis's hllSparseSet moves the
 * tail of its string: a new array per changed register, as before, made PFADD of new keys
 * ten times slower than Redis's.
 */
export class HllEditor {
  private buf = new Uint8Array(HLL_DENSE_SIZE);
  private length = 0;
  /** The up to three opcodes that replace the one covering a register. */
  private readonly seq = new Uint8Array(6);

  load(b: Uint8Array): void {
    this.ensure(b.length);
    copyRange(b, 0, b.length, this.buf, 0);
    this.length = b.length;
  }

  /** The HLL as edited so far; a view, valid until the next load or raise. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /**
   * Raise register `index` to `count` if it is lower (hllDenseSet / hllSparseSet): 1 when
   * it changed, 0 when not, -1 for a corrupt sparse value. A sparse HLL is promoted to
   * dense when the value does not fit a VAL opcode or the result would pass
   * hll-sparse-max-bytes.
   */
  raise(index: number, count: number): number {
    let b = this.buf;
    if (b[4] === HLL_DENSE) return raiseDense(b, index, count);
    if (count > SPARSE_VAL_MAX_VALUE) return this.promote(index, count);
    // Find the opcode covering the register (p), the one before it (prev) and its run.
    const end = this.length;
    let first = 0;
    let p = HLL_HDR_SIZE;
    let prev = -1;
    let span = 0;
    while (p < end) {
      const op = b[p]!;
      const oplen = (op & 0xc0) === 0x40 ? 2 : 1;
      span = (op & 0xc0) === 0 ? (op & 0x3f) + 1 : (op & 0xc0) === 0x40 ? (((op & 0x3f) << 8) | (p + 1 < end ? b[p + 1]! : 0)) + 1 : (op & 0x03) + 1;
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1;
    const op = b[p]!;
    const isXzero = (op & 0xc0) === 0x40;
    const isVal = (op & 0x80) !== 0;
    if (isVal && ((op >> 2) & 0x1f) + 1 >= count) return 0;
    // A run of one register: the opcode is rewritten in place.
    if (!isXzero && span === 1) {
      b[p] = valOp(count, 1);
      this.length = mergeSparse(b, prev, end);
      return 1;
    }
    // The general case: split the run around the register into up to three opcodes.
    const last = first + span - 1;
    const seq = this.seq;
    let n = 0;
    if (isVal) {
      const current = ((op >> 2) & 0x1f) + 1;
      if (index !== first) seq[n++] = valOp(current, index - first);
      seq[n++] = valOp(count, 1);
      if (index !== last) seq[n++] = valOp(current, last - index);
    } else {
      if (index !== first) n = zeroRun(seq, n, index - first);
      seq[n++] = valOp(count, 1);
      if (index !== last) n = zeroRun(seq, n, last - index);
    }
    const oldLen = isXzero ? 2 : 1;
    const length = end + n - oldLen;
    if (n > oldLen && length > encodingLimits.hllSparseMaxBytes) return this.promote(index, count);
    this.ensure(length);
    b = this.buf;
    b.copyWithin(p + n, p + oldLen, end);
    for (let i = 0; i < n; i++) b[p + i] = seq[i]!;
    this.length = mergeSparse(b, prev, length);
    return 1;
  }

  private promote(index: number, count: number): number {
    const regs = registersOf(this.view());
    if (regs === undefined) return -1;
    const dense = toDense(this.buf, regs);
    if (denseGet(dense, index) < count) denseSet(dense, index, count);
    this.buf.set(dense);
    this.length = HLL_DENSE_SIZE;
    return 1;
  }

  private ensure(length: number): void {
    if (length > this.buf.length) {
      const grown = new Uint8Array(Math.max(length, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
  }
}

/**
 * After a sparse update, merge adjacent VAL opcodes with equal values, scanning up to five
 * opcodes from the one before the change (as Redis does), in place in the first `length`
 * bytes of `b`; returns their new length, with the cached count marked stale.
 */
function mergeSparse(b: Uint8Array, prev: number, length: number): number {
  let p = prev >= 0 ? prev : HLL_HDR_SIZE;
  let scan = 5;
  while (p < length && scan-- > 0) {
    const op = b[p]!;
    if ((op & 0xc0) === 0x40) {
      p += 2;
      continue;
    }
    if ((op & 0xc0) === 0) {
      p++;
      continue;
    }
    if (p + 1 < length) {
      const next = b[p + 1]!;
      if ((next & 0x80) !== 0 && ((op >> 2) & 0x1f) === ((next >> 2) & 0x1f)) {
        const len = (op & 0x03) + (next & 0x03) + 2;
        if (len <= SPARSE_VAL_MAX_LEN) {
          b[p] = (op & 0xfc) | (len - 1);
          b.copyWithin(p + 1, p + 2, length);
          length--;
          continue;
        }
      }
    }
    p++;
  }
  invalidateCache(b);
  return length;
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

/**
 * The cached cardinality, or undefined when it is stale: exact beyond 2^53 (a BigInt), as
 * a header written by hand (SETRANGE, a DUMP payload) may hold any 63-bit count.
 */
export function cachedCount(b: Uint8Array): number | bigint | undefined {
  if (b[15]! & 0x80) return undefined;
  const low = (b[8]! | (b[9]! << 8) | (b[10]! << 16) | (b[11]! << 24)) >>> 0;
  const high = (b[12]! | (b[13]! << 8) | (b[14]! << 16) | (b[15]! << 24)) >>> 0;
  return high < 0x200000 ? high * 2 ** 32 + low : (BigInt(high) << 32n) | BigInt(low);
}

export function storeCount(b: Uint8Array, card: number): void {
  let v = card;
  for (let i = 0; i < 8; i++) {
    b[8 + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/** A sparse HLL's opcodes as PFDEBUG DECODE prints them ("z:<run> Z:<run> v:<value>,<run>"). */
export function decodeSparse(b: Uint8Array): string {
  const parts: string[] = [];
  for (let p = HLL_HDR_SIZE; p < b.length; ) {
    const op = b[p]!;
    if ((op & 0xc0) === 0) {
      parts.push(`z:${(op & 0x3f) + 1}`);
      p++;
    } else if ((op & 0xc0) === 0x40) {
      parts.push(`Z:${(((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1}`);
      p += 2;
    } else {
      parts.push(`v:${((op >> 2) & 0x1f) + 1},${(op & 0x03) + 1}`);
      p++;
    }
  }
  return parts.join(" ");
}

/**
 * PFSELFTEST, Redis's own checks run on this implementation: registers of a dense HLL hold
 * random values without disturbing their neighbours; then ten million distinct elements go
 * into a dense and a sparse HLL, which must stay sparse while small, agree, and stay
 * within six standard errors of the truth at every power of ten. Undefined when it passes,
 * else Redis's TESTFAILED text.
 */
export function selfTest(): string | undefined {
  const dense = new Uint8Array(HLL_DENSE_SIZE);
  dense.set([0x48, 0x59, 0x4c, 0x4c, HLL_DENSE]);
  const expected = new Uint8Array(HLL_REGISTERS);
  for (let cycle = 0; cycle < 1000; cycle++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      expected[i] = (Math.random() * (HLL_REGISTER_MAX + 1)) | 0;
      denseSet(dense, i, expected[i]!);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const value = denseGet(dense, i);
      if (value !== expected[i]) return `TESTFAILED Register ${i} should be ${expected[i]} but is ${value}`;
    }
  }
  dense.fill(0, HLL_HDR_SIZE);
  const sparse = new HllEditor();
  sparse.load(createHll());
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  const seedLo = (Math.random() * 2 ** 32) >>> 0;
  const seedHi = (Math.random() * 2 ** 32) >>> 0;
  const element = new Uint8Array(8);
  element[4] = seedHi & 0xff;
  element[5] = (seedHi >>> 8) & 0xff;
  element[6] = (seedHi >>> 16) & 0xff;
  element[7] = seedHi >>> 24;
  let checkpoint = 1;
  for (let j = 1; j <= 10_000_000; j++) {
    const lo = (j ^ seedLo) >>> 0;
    element[0] = lo & 0xff;
    element[1] = (lo >>> 8) & 0xff;
    element[2] = (lo >>> 16) & 0xff;
    element[3] = lo >>> 24;
    const pattern = patternOf(element);
    const index = pattern >>> 6;
    const count = pattern & 63;
    if (denseGet(dense, index) < count) denseSet(dense, index, count);
    if (sparse.raise(index, count) < 0) return "TESTFAILED sparse HLL corrupted";
    if (j !== checkpoint) continue;
    if (j < encodingLimits.hllSparseMaxBytes / 2 && sparse.view()[4] !== HLL_SPARSE) return "TESTFAILED sparse encoding not used";
    const card = estimate(registersOf(dense)!);
    if (card !== estimate(registersOf(sparse.view())!)) return "TESTFAILED dense/sparse disagree";
    const maxerr = j === 10 ? 1 : Math.ceil(relerr * 6 * checkpoint);
    const abserr = Math.abs(checkpoint - card);
    if (abserr > maxerr) return `TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`;
    checkpoint *= 10;
  }
  return undefined;
}
