/**
 * MEMORY USAGE: what a key and its value would take in Redis 7.0, computed with Redis's own
 * formulas (objectComputeSize) over the encoding OBJECT ENCODING reports, and jemalloc's
 * size classes. Tools such as redis-cli --memkeys rank keys by this number, so it answers in
 * Redis's terms rather than in JavaScript heap bytes, which no tool could compare.
 *
 * Exact for strings and for listpack, intset and quicklist encodings (tested against Redis).
 * Hash tables, skiplists and streams come within about 15%: Redis's figure also depends on
 * history (a table caught mid-rehash counts both its tables; skiplist levels are random; a
 * stream node XADD opened keeps its preallocation), so the expected sizes are used here.
 */
import { formatDouble } from "../resp/bytes.ts";

/**
 * The heap an idle connected client holds in KVIS (its Client, parser and socket wrapper):
 * 2,529 bytes measured with 2,000 connections on 2026-12-04 (Bun 1.4.5), rounded. INFO's
 * used_memory and CLIENT LIST's tot-mem count a client at this.
 */
export const CLIENT_BYTES = 2500;
import { HashValue } from "./hash.ts";
import { type Aggregate, isStringValue, stringOf, type StoredValue } from "./value.ts";
import { ListValue } from "./list.ts";
import { LISTPACK_EMPTY_SIZE, ListpackWriter, lpStringSize } from "./listpack.ts";
import { SetValue } from "./set.ts";
import { SortedSet } from "./sorted-set.ts";
import { StreamValue } from "./stream.ts";
import { cellBytes } from "./cells.ts";
import { packable, packedLength } from "./packed-values.ts";
import { SLOT_BYTES } from "./table.ts";

const ROBJ = 16;
const DICT_ENTRY = 24;
const DICT = 56;
const QUICKLIST = 40;
const QUICKLIST_NODE = 40;
const ZSET = 16;
const ZSKIPLIST = 32;
/** zslCreate's header node: 24 bytes and 32 levels of 16. */
const ZSKIPLIST_HEADER = jemalloc(24 + 32 * 16);
/** A skiplist node of random level (p = 1/4): its expected allocation. */
const ZSKIPLIST_NODE = expectedSkiplistNode();
const STREAM = 80;
const STREAM_CG = 40;
/** sizeof(streamConsumer) and sizeof(streamNACK) in Redis 7.0: three 8-byte fields each. */
const STREAM_CONSUMER = 24;
const STREAM_NACK = 24;

/** jemalloc's size class for an allocation of `n` bytes (16-byte quantum, four classes a doubling). */
export function jemalloc(n: number): number {
  if (n <= 8) return 8;
  if (n <= 128) return Math.ceil(n / 16) * 16;
  const step = 2 ** (Math.floor(Math.log2(n - 1)) - 2);
  return Math.ceil(n / step) * step;
}

/** An sds string of `len` bytes: header by length (type 5 below 32 bytes), the bytes, a NUL. */
export function sdsSize(len: number): number {
  const header = len < 32 ? 1 : len < 256 ? 3 : len < 65536 ? 5 : 9;
  return jemalloc(header + len + 1);
}

function expectedSkiplistNode(): number {
  let expected = 0;
  for (let level = 1; level <= 32; level++) expected += 0.75 * 0.25 ** (level - 1) * jemalloc(24 + 16 * level);
  return Math.round(expected);
}

/** A dict's table: a pointer per slot, slots a power of two of at least the element count. */
function dictTable(size: number): number {
  return DICT + 8 * Math.max(4, 2 ** Math.ceil(Math.log2(Math.max(1, size))));
}

function listpack(items: Iterable<string>): number {
  let bytes = LISTPACK_EMPTY_SIZE;
  for (const item of items) bytes += lpStringSize(item);
  return bytes;
}


/**
 * The bytes MEMORY USAGE reports for `key` holding `value` (with its dict entry and key).
 * As Redis's objectComputeSize, a hash table, skiplist or quicklist is costed from its
 * first `samples` elements or nodes (0: all of them) and the average times their count,
 * so the default of 5 costs five elements whatever the size (costing a 100,000-member set
 * element by element took 100 ms).
 */
export function memoryUsage(key: string, value: StoredValue, encoding: string, samples = 5): number {
  return sdsSize(key.length) + DICT_ENTRY + valueSize(value, encoding, samples === 0 ? Infinity : samples);
}

/** Redis's `asize += (double)elesize/samples*count` on a size_t. */
function extrapolate(base: number, elesize: number, sampled: number, count: number): number {
  return sampled === 0 ? base : Math.floor(base + (elesize / sampled) * count);
}

function valueSize(value: StoredValue, encoding: string, samples: number): number {
  if (isStringValue(value)) {
    const len = stringOf(value).length;
    if (encoding === "int") return ROBJ;
    if (encoding === "embstr") return jemalloc(ROBJ + 3 + len + 1);
    return ROBJ + sdsSize(len);
  }
  if (value instanceof ListValue) {
    // Each sampled node's allocation as quicklist's: its listpack, or a compressed one's
    // LZF form behind its 4-byte length (quicklistLZF).
    const sampled = Math.min(samples, value.nodeCount);
    let elesize = 0;
    for (let k = 0; k < sampled; k++) {
      const size = value.nodeForm(k, nodeListpack);
      elesize += QUICKLIST_NODE + jemalloc(value.nodeLzf >= 0 ? 4 + value.nodeLzf : size);
    }
    value.walked();
    return extrapolate(ROBJ + QUICKLIST, elesize, sampled, value.nodeCount);
  }
  if (value instanceof HashValue) {
    if (encoding === "listpack") return ROBJ + jemalloc(listpack([...value.entries()].flat()));
    const lengths = value.sampleLengths(samples);
    let elesize = 0;
    for (let i = 0; i < lengths.length; i += 2) elesize += DICT_ENTRY + sdsSize(lengths[i]!) + sdsSize(lengths[i + 1]!);
    return extrapolate(ROBJ + dictTable(value.size), elesize, lengths.length / 2, value.size);
  }
  if (value instanceof SetValue) {
    if (encoding === "intset") {
      let width = 2;
      for (const m of value.values()) {
        const n = Number(m);
        width = Math.max(width, n >= -32768 && n <= 32767 ? 2 : n >= -(2 ** 31) && n < 2 ** 31 ? 4 : 8);
      }
      return ROBJ + jemalloc(8 + width * value.size);
    }
    if (encoding === "listpack") return ROBJ + jemalloc(listpack(value.values()));
    const lengths = value.sampleLengths(samples);
    let elesize = 0;
    for (const length of lengths) elesize += DICT_ENTRY + sdsSize(length);
    return extrapolate(ROBJ + dictTable(value.size), elesize, lengths.length, value.size);
  }
  if (value instanceof SortedSet) {
    if (encoding === "listpack") {
      const items: string[] = [];
      for (const { member, score } of value.entries()) items.push(member, formatDouble(score));
      return ROBJ + jemalloc(listpack(items));
    }
    // The skiplist's first members, in score order as Redis walks level 0.
    let elesize = 0;
    let sampled = 0;
    for (const { member } of value.walk(0, Math.min(samples, value.size))) {
      elesize += sdsSize(member.length) + DICT_ENTRY + ZSKIPLIST_NODE;
      sampled++;
    }
    return extrapolate(ROBJ + ZSET + ZSKIPLIST + dictTable(value.size) + ZSKIPLIST_HEADER, elesize, sampled, value.size);
  }
  return streamSize(value, samples);
}

/** streamRadixTreeMemoryUsage: 16 bytes an element (an ID), and a node's header and 30 longs (its children, its data...). */
function raxSize(elements: number, nodes: number): number {
  return elements * 16 + nodes * (4 + 30 * 8);
}

/**
 * A stream, as objectComputeSize counts it: its radix tree; its listpacks, each full one
 * shrunk to fit (as XADD leaves it when it opens the next) and the last one allocated at
 * 4 KB or more (XADD opens a node with that much room), the first `samples` of them read
 * and the others taken as their average; its groups' and consumers' PELs (trees too, the
 * NACKs counted once, in the group's).
 */
function streamSize(s: StreamValue, samples: number): number {
  let size = ROBJ + STREAM + raxSize(s.nodes.length, s.raxNodeCount());
  const listpack = (k: number) => jemalloc(k === s.nodes.length - 1 ? Math.max(s.nodes[k]!.bytes, 4096) : s.nodes[k]!.bytes);
  const sampled = Math.min(samples, s.nodes.length);
  let lpsize = 0;
  for (let k = 0; k < sampled; k++) lpsize += listpack(k);
  if (s.nodes.length <= sampled) size += lpsize;
  else size += Math.floor(lpsize / sampled) * (s.nodes.length - 1) + listpack(s.nodes.length - 1);
  for (const group of s.groups?.values() ?? []) {
    size += STREAM_CG + raxSize(group.pel.size, group.pel.raxNodes) + group.pel.size * STREAM_NACK;
    for (const consumer of group.consumers.values()) size += STREAM_CONSUMER + consumer.name.length + raxSize(consumer.pel.size, consumer.pel.raxNodes);
  }
  return size;
}

/**
 * A key's share of its table's slots (two of SLOT_BYTES: a table is between 3/8 and 3/4
 * full), which the costs below were measured with. The estimates leave it out: used_memory
 * counts each table's slots as they are (Keyspace.heldBytes), as Redis counts its dicts.
 */
const SLOTS_PER_KEY = 2 * SLOT_BYTES;
/**
 * An aggregate's cost in KVIS beyond its elements' bytes, by encoding: [per key, per
 * element], from settled RSS with 16-byte elements (5 to 1,000,000 per key), for the
 * forms kept as objects (a small one held packed counts its cell's bytes instead). A large
 * sorted set's table and order (store/score-order.ts: chunks of 1.5 KB of arrays and their
 * members' bytes) hold 100 bytes an element, 75 over the member and score; a small one is
 * one object and its buffer of pairs (store/packed-pairs.ts), 9 bytes of header a pair and
 * a quarter spare. A packed hash is one object and its buffer, two length bytes a pair and
 * the buffer's spare room. Streams in Redis's terms. A list (store/list.ts) is one object
 * and its buffer while it fits one node (about 350 bytes with its key's share of the
 * keyspace) and each element's bytes with two length bytes and about one of a node's spare
 * room. A large set or hash table keeps its members in a table of its own (store/table.ts):
 * what that table holds, its slots and its cells' chunks, is counted as it is, with the
 * objects around it per key.
 */
const LIST_COST = [350, 3] as const;
const HASH_PACKED_COST = [300, 4] as const;
const ZSET_PACKED_COST = [200, 20] as const;
const ZSET_SKIPLIST_COST = [2500, 75] as const;
/** The objects around a large set's or hash table's table, per key. */
const SET_TABLE_KEY = 300;
const HASH_TABLE_KEY = 500;
/** How many elements of an aggregate `estimateBytes` looks at. */
const ESTIMATE_SAMPLES = 8;

/**
 * What a string key holds in the keyspace (store/table.ts): its cell, as the size class
 * rounds it. `valueLength` is -1 for a number.
 */
export function estimateStringBytes(keyLength: number, valueLength: number): number {
  return cellBytes(keyLength, valueLength);
}

/**
 * What a key and its value cost KVIS beside its slots, in constant time: strings and
 * aggregates as measured above, an aggregate's element bytes taken from its first few
 * elements (as MEMORY USAGE's SAMPLES does), a stream in Redis's terms from its node count.
 * The keyspace keeps the sum of these up to date on every write (used_memory, maxmemory);
 * MEMORY USAGE itself stays exact and in Redis's terms.
 */
export function estimateBytes(keyLength: number, value: StoredValue): number {
  // Strings, the common case, in a few operations.
  if (typeof value === "string") return estimateStringBytes(keyLength, value.length);
  if (typeof value === "number") return estimateStringBytes(keyLength, -1);
  if (value instanceof StreamValue) {
    let size = sdsSize(keyLength) + DICT_ENTRY + ROBJ + STREAM + value.nodes.length * (16 + 4 + 4096);
    for (const group of value.groups?.values() ?? []) size += STREAM_CG + group.pel.size * (16 + STREAM_NACK);
    return size;
  }
  // Between commands a small aggregate is its packed bytes in its key's cell (store/packed-values.ts).
  const aggregate: Aggregate = value;
  if (packable(aggregate)) return cellBytes(keyLength, packedLength(aggregate));
  const table = value instanceof SetValue || value instanceof HashValue ? value.tableBytes : undefined;
  if (table !== undefined) return (value instanceof SetValue ? SET_TABLE_KEY : HASH_TABLE_KEY) - SLOTS_PER_KEY + keyLength + table;
  const [perKey, perElement] =
    value instanceof ListValue ? LIST_COST
    : value instanceof HashValue ? HASH_PACKED_COST
    : value.encoding === "listpack" ? ZSET_PACKED_COST : ZSET_SKIPLIST_COST;
  return perKey - SLOTS_PER_KEY + keyLength + Math.round(value.size * (averageOf(value) + perElement));
}

/**
 * The average size of an aggregate's first few elements, sampled again only when its size
 * has doubled or halved since (or changed while small), so that a write does not walk
 * elements each time.
 */
function averageOf(value: ListValue | HashValue | SetValue | SortedSet): number {
  const n = value.size;
  // A small aggregate knows its elements' bytes at once (no walk, no sample kept): per
  // element, or per field-value pair for a hash, as the samples below count them.
  const packed = value.elementBytes;
  if (packed !== undefined) return n === 0 ? 0 : packed / n;
  const at = value.sampledAt;
  if (at >= 0 && (n === at || (at > ESTIMATE_SAMPLES && n <= 2 * at && 2 * n >= at))) return value.sampledAverage;
  let sampled = 0;
  let bytes = 0;
  const items: Iterable<unknown> = value instanceof ListValue ? value : value instanceof SetValue ? value.values() : value.entries();
  for (const item of items) {
    bytes +=
      typeof item === "string" ? item.length
      : Array.isArray(item) ? item[0].length + item[1].length
      : (item as { member: string }).member.length + 8;
    if (++sampled === ESTIMATE_SAMPLES) break;
  }
  value.sampledAt = n;
  value.sampledAverage = sampled === 0 ? 0 : bytes / sampled;
  return value.sampledAverage;
}

/** Where MEMORY USAGE lays a list's sampled nodes out (reused). */
const nodeListpack = new ListpackWriter();

/** Values that take more allocations than this to free are freed lazily by Redis (LAZYFREE_THRESHOLD). */
export const LAZYFREE_THRESHOLD = 64;

/**
 * Redis's lazyfreeGetFreeEffort: how many allocations freeing the value takes in Redis's
 * encodings (quicklist nodes, hash-table or skiplist entries, stream nodes and pending
 * entries; one for everything packed). A list's count stops once past the threshold.
 */
export function freeEffort(value: StoredValue): number {
  if (value instanceof ListValue) return value.nodeCount;
  if (value instanceof SetValue) return value.encoding === "hashtable" ? value.size : 1;
  if (value instanceof SortedSet) return value.encoding === "skiplist" ? value.size : 1;
  if (value instanceof HashValue) return value.encoding === "hashtable" ? value.size : 1;
  if (value instanceof StreamValue) {
    const groups = value.sortedGroups();
    return value.raxNodeCount() + (groups.length === 0 ? 0 : groups.length * (1 + groups[0]!.pel.size));
  }
  return 1;
}
