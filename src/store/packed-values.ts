/**
 * Small aggregates held as bytes in their key's cell (store/table.ts, Kind.Packed), with no
 * object of their own while no command works on them: a small sorted set (its pairs, as a
 * listpack holds them) and a list of one node (its elements). An object costs about 100
 * bytes and its buffer's another 80 in JavaScriptCore, more than a 5-member set's bytes;
 * Redis holds such a value in one listpack.
 *
 * A packed value is [type u8][accounted u32][body], the body as the class writes it; the
 * keyspace's memory accounting (what it last counted the value for) travels with it. The
 * keyspace opens a packed value into its object when a command looks it up and packs it
 * again once commands are done with it (Database.settle).
 */
import type { Bytes } from "./latin1.ts";
import { ListValue } from "./list.ts";
import { SortedSet } from "./sorted-set.ts";
import type { Aggregate } from "./value.ts";

const ZSET = 1;
const LIST = 2;
const HEADER = 5;

/** Whether `value` can be held packed now. */
export function packable(value: Aggregate): value is SortedSet | ListValue {
  return (value instanceof SortedSet || value instanceof ListValue) && value.packable;
}

/** The bytes `value` takes packed. */
export function packedLength(value: SortedSet | ListValue): number {
  return HEADER + (value instanceof SortedSet ? value.pairsLength : value.packedLength);
}

/** Pack `value` at `at` of `out` (packedLength bytes). */
export function packInto(value: SortedSet | ListValue, out: Bytes, at: number): void {
  out[at] = value instanceof SortedSet ? ZSET : LIST;
  out.writeUInt32LE(value.accounted, at + 1);
  if (value instanceof SortedSet) value.packPairs(out, at + HEADER);
  else value.packBody(out, at + HEADER);
}

/** The object of the value packed at buf[start, end). */
export function unpack(buf: Bytes, start: number, end: number): SortedSet | ListValue {
  const value = buf[start] === ZSET ? SortedSet.unpack(buf, start + HEADER, end) : ListValue.unpack(buf, start + HEADER, end);
  value.accounted = packedAccounted(buf, start);
  return value;
}

/** What the value packed at `start` of `buf` was counted for. */
export function packedAccounted(buf: Bytes, start: number): number {
  return buf.readUInt32LE(start + 1);
}
