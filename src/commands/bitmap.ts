/**
 * Bitmap commands (COMMAND DOCS group "bitmap") over string values: bit 0 is the most
 * significant bit of the first byte, as in Redis. They read and change a string's bytes
 * where the keyspace holds them (Database.readStringView, unsharedString, growString), so
 * SETBIT and GETBIT are O(1) whatever the string's length, as in Redis.
 */
import type { Argv } from "../resp/argv.ts";
import {
  BITFIELD_OVERFLOW, BITFIELD_RO_GET_ONLY, BITFIELD_TYPE, BITOP_NOT_ONE_KEY, BITPOS_BIT, BIT_OFFSET, BIT_VALUE, SYNTAX_ERR,
} from "../errors.ts";
import { parseInt64, parseInt64Big } from "../resp/bytes.ts";
import type { Context } from "./context.ts";

import { NotifyClass } from "../keyspace-events.ts";
import { type KeyRef, command } from "./command.ts";

/** A bit offset argument; `#N` (BITFIELD only) counts in units of the field's width. */
function parseBitOffset(c: Context, argv: Argv, i: number, fieldBits = 0): number {
  const buf = argv.buffer(i);
  const start = argv.start(i);
  const hash = fieldBits > 0 && argv.firstByte(i) === 0x23;
  const n = parseInt64(buf, hash ? start + 1 : start, argv.end(i));
  if (n === undefined) throw BIT_OFFSET;
  const offset = hash ? n * fieldBits : n;
  if (offset < 0 || Math.floor(offset / 8) >= c.server.config.int("proto-max-bulk-len")) throw BIT_OFFSET;
  return offset;
}

/**
 * The string at `key` as its bytes for a bit write in place, grown with zero bytes to hold
 * bit `maxBit` (lookupStringForBitCommand), and whether that made a change (the key is new
 * or longer). WRONGTYPE for another type. The caller counts the change with `modified`.
 */
function bytesForWrite(c: Context, key: string, maxBit: number): [bytes: Uint8Array, grown: boolean] {
  const need = Math.floor(maxBit / 8) + 1;
  const held = c.db.unsharedString(key);
  if (held !== undefined && held.length >= need) return [held, false];
  return [c.db.growString(key, need), true];
}

function getBit(bytes: Uint8Array, offset: number): number {
  // Offsets reach 2^32 bits (512 MB strings): past int32, so no `>> 3`.
  const byte = Math.floor(offset / 8);
  return byte < bytes.length ? (bytes[byte]! >> (7 - (offset & 7))) & 1 : 0;
}

/** getBit of the `length` bytes at buf[base, ...): a string where it lies (Database.readStringSlice). */
function bitAt(buf: Uint8Array, base: number, length: number, offset: number): number {
  const byte = Math.floor(offset / 8);
  return byte < length ? (buf[base + byte]! >> (7 - (offset & 7))) & 1 : 0;
}

export const setbitCommand = command({
  name: "setbit", events: "before", notify: [NotifyClass.String, "setbit"], arity: 4, flags: ["write", "denyoom"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "update"] }, categories: ["bitmap"],
  args: "key:key#0 offset:integer value:integer",
  summary: "Sets or clears the bit at offset in the string value stored at key", since: "2.2.0",
  handler(c, argv) {
    const offset = parseBitOffset(c, argv, 2);
    const on = argv.tryInt(3);
    if (on !== 0 && on !== 1) throw BIT_VALUE;
    const key = argv.str(1);
    const result = c.db.setStringBit(key, offset, on);
    // A bit set to what it was changes nothing: no write to count, watch or replicate.
    if (result & 2) c.db.modified(key);
    c.reply.integer(result & 1);
  },
});

export const getbitCommand = command({
  name: "getbit", arity: 3, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["bitmap"],
  args: "key:key#0 offset:integer",
  summary: "Returns the bit value at offset in the string value stored at key", since: "2.2.0",
  handler(c, argv) {
    const offset = parseBitOffset(c, argv, 2);
    const byte = c.db.readStringByte(argv.str(1), Math.floor(offset / 8));
    c.reply.integer(byte < 0 ? 0 : (byte >> (7 - (offset & 7))) & 1);
  },
});

/** BYTE or BIT (any case): true for BIT. */
function parseUnit(argv: Argv, i: number): boolean {
  const unit = argv.keyword(i);
  if (unit === "bit") return true;
  if (unit === "byte") return false;
  throw SYNTAX_ERR;
}

/**
 * A start/end range in bytes or bits, clamped as Redis clamps it, as an inclusive range
 * of bit positions; undefined when it is empty.
 */
function bitRange(start: number, end: number, length: number, isBit: boolean): [number, number] | undefined {
  const total = isBit ? length * 8 : length;
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return undefined;
  return isBit ? [start, end] : [start * 8, end * 8 + 7];
}

/** Set bits in a 32-bit word (SWAR, as Redis's popcount does with 64-bit words). */
function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

const NO_WORDS = new Uint32Array(0);

/** Set bits in bytes [from, to), aligned 32-bit words at a time in the middle. */
function countBytes(bytes: Uint8Array, from: number, to: number): number {
  let count = 0;
  let i = from;
  for (; i < to && (bytes.byteOffset + i) % 4 !== 0; i++) count += popcount(bytes[i]!);
  // A few bytes are not worth a view.
  const words = to - i < 32 ? NO_WORDS : new Uint32Array(bytes.buffer, bytes.byteOffset + i, Math.floor((to - i) / 4));
  for (let w = 0; w < words.length; w++) count += popcount(words[w]!);
  for (i += 4 * words.length; i < to; i++) count += popcount(bytes[i]!);
  return count;
}

export const bitcountCommand = command({
  name: "bitcount", arity: -2, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["bitmap"],
  history: [["7.0.0", "Added the `BYTE|BIT` option."]],
  args: "key:key#0 index{start:integer end:integer index_unit(BYTE|BIT)?@7.0.0}?",
  summary: "Count set bits in a string", since: "2.6.0", complexity: "O(N)",
  handler(c, argv) {
    // As Redis 7.0: the key first (a missing one counts 0 whatever the range), then the range.
    const value = c.db.readStringSlice(argv.str(1));
    if (value === undefined) return c.reply.integer(0);
    // The string where it lies: its bytes are buf[base, base + length).
    const { buf, start: base } = value;
    const length = value.end - base;
    if (argv.length === 3 || argv.length > 5) throw SYNTAX_ERR;
    let range: [number, number] | undefined;
    let start = 0;
    let end = -1;
    let isBit = false;
    if (argv.length >= 4) {
      start = argv.int(2);
      end = argv.int(3);
      if (argv.length === 5) isBit = parseUnit(argv, 4);
    }
    if (argv.length >= 4 && start < 0 && end < 0 && start > end) return c.reply.integer(0);
    range = bitRange(start, end, length, isBit);
    if (range === undefined) return c.reply.integer(0);
    let count = 0;
    const [from, to] = range;
    let bit = from;
    for (; bit <= to && (bit & 7) !== 0; bit++) count += bitAt(buf, base, length, bit);
    const wholeTo = Math.floor((to + 1) / 8);
    if (bit / 8 < wholeTo) {
      count += countBytes(buf, base + bit / 8, base + wholeTo);
      bit = 8 * wholeTo;
    }
    for (; bit <= to; bit++) count += bitAt(buf, base, length, bit);
    c.reply.integer(count);
  },
});

/** The first index in [from, to) whose byte is not `skip` (`to` when none), reading aligned words where it can. */
function skipBytes(bytes: Uint8Array, from: number, to: number, skip: number): number {
  let i = from;
  while (i < to && (bytes.byteOffset + i) % 4 !== 0 && bytes[i] === skip) i++;
  if (i < to && (bytes.byteOffset + i) % 4 === 0 && bytes[i] === skip) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, Math.floor((to - i) / 4));
    const word = skip * 0x01010101;
    let w = 0;
    while (w < words.length && words[w] === word) w++;
    i += 4 * w;
  }
  while (i < to && bytes[i] === skip) i++;
  return i;
}

export const bitposCommand = command({
  name: "bitpos", arity: -3, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["bitmap"],
  history: [["7.0.0", "Added the `BYTE|BIT` option."]],
  args: "key:key#0 bit:integer index{start:integer end_index{end:integer index_unit(BYTE|BIT)?@7.0.0}?}?",
  summary: "Find first bit set or clear in a string", since: "2.8.7", complexity: "O(N)",
  handler(c, argv) {
    const bit = argv.int(2);
    if (bit !== 0 && bit !== 1) throw BITPOS_BIT;
    const value = c.db.readStringSlice(argv.str(1));
    // A missing key is an endless run of zero bits.
    if (value === undefined) return c.reply.integer(bit ? -1 : 0);
    const { buf, start: base } = value;
    const length = value.end - base;
    if (argv.length > 6) throw SYNTAX_ERR;
    let start = 0;
    let end = length - 1;
    let isBit = false;
    const endGiven = argv.length >= 5;
    if (argv.length >= 4) {
      start = argv.int(3);
      if (argv.length === 6) isBit = parseUnit(argv, 5);
      end = endGiven ? argv.int(4) : isBit ? length * 8 + 7 : length - 1;
    }
    const range = bitRange(start, end, length, isBit);
    if (range === undefined) return c.reply.integer(-1);
    const [from, to] = range;
    let pos = from;
    for (; pos <= to && (pos & 7) !== 0; pos++) if (bitAt(buf, base, length, pos) === bit) return c.reply.integer(pos);
    // Whole bytes with no such bit are passed over, four at a time where aligned.
    pos = 8 * (skipBytes(buf, base + pos / 8, base + Math.floor((to + 1) / 8), bit ? 0x00 : 0xff) - base);
    for (; pos <= to; pos++) if (bitAt(buf, base, length, pos) === bit) return c.reply.integer(pos);
    // Looking for a clear bit without an explicit end, the string counts as padded with zeros.
    c.reply.integer(bit === 0 && !endGiven ? to + 1 : -1);
  },
});

export const bitopCommand = command({
  name: "bitop", arity: -4, flags: ["write", "denyoom"], keys: { first: 2, last: -1, step: 1 },
  args: "operation:string destkey:key#0 key:key#1...",
  keySpecs: [
    { flags: ["OW", "update"], begin: { index: 2 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
    { flags: ["RO", "access"], begin: { index: 3 }, find: { lastkey: -1, keystep: 1, limit: 0 } },
  ],
  categories: ["bitmap"],
  summary: "Perform bitwise operations between strings", since: "2.6.0", complexity: "O(N)",
  handler(c, argv) {
    const op = argv.keyword(1);
    if (op !== "and" && op !== "or" && op !== "xor" && op !== "not") throw SYNTAX_ERR;
    if (op === "not" && argv.length !== 4) throw BITOP_NOT_ONE_KEY;
    const sources: Uint8Array[] = [];
    for (let i = 3; i < argv.length; i++) sources.push(c.db.readStringView(argv.str(i)) ?? new Uint8Array(0));
    const maxlen = Math.max(...sources.map((s) => s.length));
    const dest = argv.str(2);
    if (maxlen === 0) {
      if (c.db.delete(dest)) c.notify(NotifyClass.Generic, "del", dest);
      return c.reply.integer(0);
    }
    // In 32-bit words: each source is copied into a zero-padded aligned buffer (a missing
    // byte of a shorter one counts as zero), then combined word by word.
    const words = Math.ceil(maxlen / 4);
    const out = new Uint8Array(4 * words);
    const result = new Uint32Array(out.buffer);
    out.set(sources[0]!);
    if (op === "not") for (let w = 0; w < words; w++) result[w] = ~result[w]!;
    const other = new Uint8Array(sources.length > 1 ? 4 * words : 0);
    const operand = new Uint32Array(other.buffer);
    for (let i = 1; i < sources.length; i++) {
      other.fill(0);
      other.set(sources[i]!);
      if (op === "and") for (let w = 0; w < words; w++) result[w]! &= operand[w]!;
      else if (op === "or") for (let w = 0; w < words; w++) result[w]! |= operand[w]!;
      else for (let w = 0; w < words; w++) result[w]! ^= operand[w]!;
    }
    c.db.setRawString(dest, out.subarray(0, maxlen), false);
    c.notify(NotifyClass.String, "set", dest);
    c.reply.integer(maxlen);
  },
});

const enum Overflow {
  Wrap,
  Sat,
  Fail,
}

interface BitfieldOp {
  kind: "get" | "set" | "incrby";
  signed: boolean;
  bits: number;
  offset: number;
  value: bigint;
  /**
   * The value as a number when the whole operation can run in numbers: a field of up to 32
   * bits and a value within 2^52 (not negative for an unsigned SET, which Redis takes as
   * 2^64 less it). Otherwise undefined, and it runs in BigInt.
   */
  small: number | undefined;
  overflow: Overflow;
}

function parseBitfieldType(argv: Argv, i: number): [signed: boolean, bits: number] {
  const first = argv.firstByte(i);
  const signed = first === 0x69;
  if (!signed && first !== 0x75) throw BITFIELD_TYPE;
  const bits = parseInt64(argv.buffer(i), argv.start(i) + 1, argv.end(i));
  if (bits === undefined || bits < 1 || bits > (signed ? 64 : 63)) throw BITFIELD_TYPE;
  return [signed, bits];
}

/** A field of up to 32 bits, gathered in a number (a BigInt step per bit ran at a fifth of Redis's speed). */
function readSmallField(bytes: Uint8Array | undefined, offset: number, bits: number, signed: boolean): number {
  let n = 0;
  if (bytes !== undefined) for (let i = 0; i < bits; i++) n = n * 2 + getBit(bytes, offset + i);
  return signed && n >= 2 ** (bits - 1) ? n - 2 ** bits : n;
}

function readField(bytes: Uint8Array | undefined, offset: number, bits: number, signed: boolean): bigint {
  if (bits <= 32) return BigInt(readSmallField(bytes, offset, bits, signed));
  let v = 0n;
  for (let i = 0; i < bits; i++) v = (v << 1n) | BigInt(bytes === undefined ? 0 : getBit(bytes, offset + i));
  return signed ? BigInt.asIntN(bits, v) : v;
}

/** Write the low `bits` bits of `u`, a number of up to 32 bits as unsigned (>>> reads it so). */
function writeSmallField(bytes: Uint8Array, offset: number, bits: number, u: number): void {
  for (let i = 0; i < bits; i++) {
    const pos = offset + i;
    const mask = 1 << (7 - (pos & 7));
    const byte = Math.floor(pos / 8);
    bytes[byte] = (u >>> (bits - 1 - i)) & 1 ? bytes[byte]! | mask : bytes[byte]! & ~mask;
  }
}

function writeField(bytes: Uint8Array, offset: number, bits: number, value: bigint): void {
  const u = BigInt.asUintN(bits, value);
  if (bits <= 32) return writeSmallField(bytes, offset, bits, Number(u));
  for (let i = 0; i < bits; i++) {
    const pos = offset + i;
    const mask = 1 << (7 - (pos & 7));
    const byte = Math.floor(pos / 8);
    bytes[byte] = (u >> BigInt(bits - 1 - i)) & 1n ? bytes[byte]! | mask : bytes[byte]! & ~mask;
  }
}

/** The value an overflowing result becomes (or undefined when FAIL refuses it). */
function handleOverflow(sum: bigint, op: BitfieldOp): bigint | undefined {
  const min = op.signed ? -(1n << BigInt(op.bits - 1)) : 0n;
  const max = op.signed ? (1n << BigInt(op.bits - 1)) - 1n : (1n << BigInt(op.bits)) - 1n;
  if (sum >= min && sum <= max) return sum;
  if (op.overflow === Overflow.Fail) return undefined;
  if (op.overflow === Overflow.Sat) return sum > max ? max : min;
  return op.signed ? BigInt.asIntN(op.bits, sum) : BigInt.asUintN(op.bits, sum);
}

/** handleOverflow in numbers, for fields of up to 32 bits and sums within 2^53. */
function handleSmallOverflow(sum: number, op: BitfieldOp): number | undefined {
  const span = 2 ** op.bits;
  const min = op.signed ? -span / 2 : 0;
  const max = op.signed ? span / 2 - 1 : span - 1;
  if (sum >= min && sum <= max) return sum;
  if (op.overflow === Overflow.Fail) return undefined;
  if (op.overflow === Overflow.Sat) return sum > max ? max : min;
  const u = ((sum % span) + span) % span;
  return op.signed && u > max ? u - span : u;
}

/** BITFIELD and BITFIELD_RO: every operation is parsed before any runs, as in Redis. */
function bitfieldGeneric(c: Context, argv: Argv, readOnly: boolean): void {
  const ops: BitfieldOp[] = [];
  let overflow = Overflow.Wrap;
  let maxBit = -1;
  for (let j = 2; j < argv.length; j++) {
    const sub = argv.keyword(j);
    const left = argv.length - j - 1;
    if (sub === "overflow" && left >= 1) {
      const how = argv.keyword(++j);
      if (how === "wrap") overflow = Overflow.Wrap;
      else if (how === "sat") overflow = Overflow.Sat;
      else if (how === "fail") overflow = Overflow.Fail;
      else throw BITFIELD_OVERFLOW;
      continue;
    }
    if (!((sub === "get" && left >= 2) || ((sub === "set" || sub === "incrby") && left >= 3))) throw SYNTAX_ERR;
    const [signed, bits] = parseBitfieldType(argv, j + 1);
    const offset = parseBitOffset(c, argv, j + 2, bits);
    let value = 0n;
    let small: number | undefined = bits <= 32 ? 0 : undefined;
    if (sub !== "get") {
      const n = argv.int(j + 3);
      small = bits <= 32 && Math.abs(n) <= 2 ** 52 && (signed || n >= 0 || sub !== "set") ? n : undefined;
      if (small === undefined) value = parseInt64Big(argv.bytes(j + 3))!;
      maxBit = Math.max(maxBit, offset + bits - 1);
    }
    ops.push({ kind: sub, signed, bits, offset, value, small, overflow });
    j += sub === "get" ? 2 : 3;
  }
  const key = argv.str(1);
  let bytes: Uint8Array | undefined;
  let grown = false;
  if (maxBit === -1) {
    bytes = c.db.readStringView(key);
  } else {
    if (readOnly) throw BITFIELD_RO_GET_ONLY;
    [bytes, grown] = bytesForWrite(c, key, maxBit);
  }
  // Each SET or INCRBY that changes a field (or any, on a new or grown string) is a change.
  let changes = 0;
  c.reply.array(ops.length);
  for (const op of ops) {
    let old: number | bigint;
    let stored: number | bigint | undefined;
    if (op.small !== undefined) {
      old = readSmallField(bytes, op.offset, op.bits, op.signed);
      if (op.kind !== "get") stored = handleSmallOverflow(op.kind === "set" ? op.small : old + op.small, op);
      if (stored !== undefined) writeSmallField(bytes!, op.offset, op.bits, stored as number);
    } else {
      old = readField(bytes, op.offset, op.bits, op.signed);
      if (op.kind !== "get") stored = handleOverflow(op.kind === "set" ? (op.signed ? op.value : BigInt.asUintN(64, op.value)) : old + op.value, op);
      if (stored !== undefined) writeField(bytes!, op.offset, op.bits, stored as bigint);
    }
    if (op.kind === "get") c.reply.integer(old);
    else if (stored === undefined) c.reply.null();
    else {
      // The field now reads back as `stored` (it is within the field's range).
      if (grown || stored !== old) changes++;
      c.reply.integer(op.kind === "set" ? old : stored);
    }
  }
  if (changes > 0) c.db.modified(key, changes);
}

/** BITFIELD with only GETs reads its key; anything else writes it (Redis's bitfieldGetKeys). */
function bitfieldKeys(argv: Argv): KeyRef[] {
  for (let i = 2; i < argv.length; i++) {
    const left = argv.length - i - 1;
    const op = argv.keyword(i);
    if (op === "get" && left >= 2) i += 2;
    else if (op === "overflow" && left >= 1) i += 1;
    else return [{ pos: 1, flags: ["RW", "access", "update"] }];
  }
  return [{ pos: 1, flags: ["RO", "access"] }];
}

export const bitfieldCommand = command({
  name: "bitfield", notify: [NotifyClass.String, "setbit"], arity: -2, flags: ["write", "denyoom"], getKeys: bitfieldKeys,
  args: "key:key#0 operation(GET=encoding_offset{encoding:string offset:integer}|write{OVERFLOW=wrap_sat_fail(WRAP|SAT|FAIL)? write_operation(SET=encoding_offset_value{encoding:string offset:integer value:integer}|INCRBY=encoding_offset_increment{encoding:string offset:integer increment:integer})})?...",
  keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "update", "variable_flags"], notes: "This command allows both access and modification of the key" },
  categories: ["bitmap"],
  summary: "Perform arbitrary bitfield integer operations on strings", since: "3.2.0", complexity: "O(1) for each subcommand specified",
  handler: (c, argv) => bitfieldGeneric(c, argv, false),
});

export const bitfield_roCommand = command({
  name: "bitfield_ro", arity: -2, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["bitmap"],
  args: "key:key#0 GET=encoding_offset{encoding:string offset:integer}?...+",
  summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD", since: "6.0.0",
  complexity: "O(1) for each subcommand specified",
  handler: (c, argv) => bitfieldGeneric(c, argv, true),
});
