/**
 * Small aggregates held as bytes in their key's cell (store/table.ts, Kind.Packed), with no
 * object of their own while no command works on them: a small sorted set (its pairs, as a
 * listpack holds them), a small hash (its fields and values, each after a length byte),
 * a small set (its members, likewise) and a list of one node (its elements). An object costs about 100
 * bytes and its buffer's another 80 in JavaScriptCore, more than a 5-member set's bytes;
 * Redis holds such a value in one listpack.
 *
 * A packed value is [type u8][accounted u32][body], the body as the class writes it; the
 * keyspace's memory accounting (what it last counted the value for) travels with it. The
 * keyspace opens a packed value into its object when a command looks it up and packs it
 * again once commands are done with it (Database.settle).
 */
import { HashValue } from "./hash.ts";
import type { Bytes } from "./latin1.ts";
import { ListValue } from "./list.ts";
import { SetValue } from "./set.ts";
import { SortedSet } from "./sorted-set.ts";
import { writePackedPairs } from "./packed-pairs.ts";
import type { Aggregate, BytesSink, PackedBytes } from "./value.ts";

const ZSET = 1;
const LIST = 2;
const HASH = 3;
const SET = 4;
const HEADER = 5;
/** Where a packed value's body starts: after its type and what it was counted for. */
export const PACKED_HEADER = HEADER;

/** Whether `value` can be held packed now. */
export function packable(value: Aggregate): value is Packable {
  return (value instanceof SortedSet || value instanceof ListValue || value instanceof HashValue || value instanceof SetValue) && value.packable;
}

type Packable = SortedSet | ListValue | HashValue | SetValue;

/** What a packed value is. */
export type PackedKind = "hash" | "zset" | "list" | "set";

/** The bytes `value` takes packed. */
export function packedLength(value: Packable): number {
  return HEADER + (value instanceof ListValue || value instanceof SetValue ? value.packedLength : value.pairsLength);
}

/** Pack `value` at `at` of `out` (packedLength bytes). */
export function packInto(value: Packable, out: Bytes, at: number): void {
  out[at] = value instanceof SortedSet ? ZSET : value instanceof HashValue ? HASH : value instanceof SetValue ? SET : LIST;
  setPackedAccounted(out, at, value.accounted);
  if (value instanceof ListValue || value instanceof SetValue) value.packBody(out, at + HEADER);
  else value.packPairs(out, at + HEADER);
}

/** The object of the value packed at buf[start, end). */
export function unpack(buf: Bytes, start: number, end: number): Packable {
  const type = buf[start];
  const body = start + HEADER;
  const value =
    type === ZSET ? SortedSet.unpack(buf, body, end)
    : type === HASH ? HashValue.unpack(buf, body, end)
    : type === SET ? SetValue.unpack(buf, body, end)
    : ListValue.unpack(buf, body, end);
  value.accounted = packedAccounted(buf, start);
  return value;
}

/**
 * Loading: start `out` as a packed hash, sorted set or list, whose class then adds its
 * body (HashValue.loadPacked, PairsBuilder, ListValue.loadPacked); Database.loadPacked
 * stores it.
 */
export function startPacked(out: PackedBytes, type: PackedKind): void {
  out.clear();
  out.room(HEADER)[0] = type === "hash" ? HASH : type === "zset" ? ZSET : type === "set" ? SET : LIST;
  out.end = HEADER;
}

/** Note in a packed value what the keyspace counts it for. */
export function setPackedAccounted(buf: Bytes, start: number, accounted: number): void {
  buf.writeUInt32LE(accounted, start + 1);
}

/** What the value packed at `start` of `buf` was counted for. */
export function packedAccounted(buf: Bytes, start: number): number {
  return buf.readUInt32LE(start + 1);
}

/** What the value packed at `start` of `buf` is. */
export function packedKind(buf: Bytes, start: number): PackedKind {
  const type = buf[start];
  return type === HASH ? "hash" : type === ZSET ? "zset" : type === SET ? "set" : "list";
}

/**
 * The elements of the value packed at buf[start, end), in turn, to `out`, as Redis's
 * listpack of it holds them: a hash's fields and values, a sorted set's members and
 * scores, a list's elements. A save writes them so from the key's cell, with no object.
 * (Not a set: Redis 7.0 saves a small one as an intset or member by member.)
 */
export function writePackedElements(buf: Bytes, start: number, end: number, out: BytesSink): void {
  const type = buf[start];
  const body = start + HEADER;
  if (type === HASH) HashValue.writePacked(buf, body, end, out);
  else if (type === ZSET) writePackedPairs(buf, body, end, out);
  else ListValue.writePacked(buf, body, end, out);
}

/**
 * The picks SRANDMEMBER and HRANDFIELD make with a count among the elements of a small
 * value starting at `positions` (which it reorders): -count of them with repeats for a
 * negative count, else min(count, positions) distinct ones by a partial shuffle, each
 * handed to `pick` in turn until it returns false (the client closed for its output).
 */
export function randomPicks(positions: number[], count: number, pick: (position: number) => boolean): void {
  const size = positions.length;
  const n = count < 0 ? -count : Math.min(count, size);
  for (let i = 0; i < n; i++) {
    let p: number;
    if (count < 0) p = positions[Math.floor(Math.random() * size)]!;
    else {
      const j = i + Math.floor(Math.random() * (size - i));
      p = positions[j]!;
      positions[j] = positions[i]!;
      positions[i] = p;
    }
    if (!pick(p)) return;
  }
}
