/**
 * The stream type: the data half of Redis's t_stream.c, with no commands and no replies.
 *
 * An ID is one bigint, ms << 64 | seq, so IDs compare with `<` and span the full unsigned
 * 64-bit range of both parts. Entries live in nodes as Redis's live in the listpacks of a
 * radix tree: a node starts with the first entry appended to it (its master ID and master
 * fields), takes entries until its listpack would reach `stream-node-max-bytes` or it
 * holds `stream-node-max-entries` (deleted ones included), and keeps deleted entries as
 * tombstones until every entry in it is gone. Keeping Redis's node boundaries, and each
 * node's exact listpack size, is what makes `MAXLEN ~`/`MINID ~` trim the same entries
 * Redis trims, XINFO report the same node counts, and RDB files carry each node as the
 * listpack Redis would have written.
 *
 * Consumer groups hold their pending entries lists (PELs) in ID order; a pending entry is
 * one object shared by the group's PEL and its consumer's.
 */
import { LISTPACK_EMPTY_SIZE, ListpackWriter, lpIntSize, lpStringSize } from "./listpack.ts";
import { compareBytes } from "../resp/bytes.ts";

export const U64_MAX = (1n << 64n) - 1n;
export const MAX_ID = (1n << 128n) - 1n;
/** Redis's SCG_INVALID_ENTRIES_READ: a group whose read counter is unknown. */
export const INVALID_ENTRIES_READ = -1;

export const FLAG_DELETED = 1;
export const FLAG_SAMEFIELDS = 2;

export const makeId = (ms: bigint, seq: bigint): bigint => (ms << 64n) | seq;
export const idMs = (id: bigint): bigint => id >> 64n;
export const idSeq = (id: bigint): bigint => id & U64_MAX;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** An ID as Redis prints it, "ms-seq"; numbers print faster than BigInts, so halves within 2^53 go as numbers. */
export function formatId(id: bigint): string {
  const ms = id >> 64n;
  const seq = BigInt.asUintN(64, id);
  return ms <= SAFE && seq <= SAFE ? Number(ms) + "-" + Number(seq) : `${ms}-${seq}`;
}

/** A signed 64-bit difference, as Redis stores ID deltas (C's unsigned wrap-around). */
const delta = (a: bigint, b: bigint): bigint => BigInt.asIntN(64, a - b);

/** The index of the first of the sorted `ids` that is >= id (ids.length when none). */
function lowerBound(ids: readonly bigint[], id: bigint): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The node size limits (config `stream-node-max-bytes` / `stream-node-max-entries`). */
export interface NodeLimits {
  maxBytes: number;
  maxEntries: number;
}

export class StreamNode {
  /** Live and deleted entries: the master entry's "count" and "deleted". */
  live = 0;
  dead = 0;
  readonly ids: bigint[] = [];
  readonly flags: number[] = [];
  /** Each entry's fields and values, flat. */
  readonly fields: string[][] = [];
  /** The listpack's size without the two counters, which change in place. */
  private body: number;

  constructor(
    readonly master: bigint,
    readonly masterFields: string[],
  ) {
    let body = LISTPACK_EMPTY_SIZE + lpIntSize(masterFields.length / 2) + lpIntSize(0);
    for (let i = 0; i < masterFields.length; i += 2) body += lpStringSize(masterFields[i]!);
    this.body = body;
  }

  /** The listpack's byte size (lpBytes). */
  get bytes(): number {
    return this.body + lpIntSize(this.live) + lpIntSize(this.dead);
  }

  get lastId(): bigint {
    return this.ids[this.ids.length - 1]!;
  }

  /** Whether an entry with these fields shares the master entry's field names. */
  private sameFields(fields: string[]): boolean {
    const master = this.masterFields;
    if (fields.length !== master.length) return false;
    for (let i = 0; i < fields.length; i += 2) if (fields[i] !== master[i]) return false;
    return true;
  }

  /**
   * Append an entry. SAMEFIELDS is decided here unless `keepFlags` (entries copied or loaded
   * keep theirs: a file may leave it off for identical fields, which changes only the size).
   */
  push(id: bigint, fields: string[], flags = 0, keepFlags = false): void {
    if (!keepFlags && this.sameFields(fields)) flags |= FLAG_SAMEFIELDS;
    const same = (flags & FLAG_SAMEFIELDS) !== 0;
    const n = fields.length / 2;
    let size = lpIntSize(flags) + lpIntSize(delta(idMs(id), idMs(this.master))) + lpIntSize(delta(idSeq(id), idSeq(this.master)));
    if (!same) size += lpIntSize(n);
    for (let i = 0; i < fields.length; i += 2) {
      if (!same) size += lpStringSize(fields[i]!);
      size += lpStringSize(fields[i + 1]!);
    }
    size += lpIntSize(same ? n + 3 : 2 * n + 4);
    this.body += size;
    this.ids.push(id);
    this.flags.push(flags);
    this.fields.push(fields);
    if (flags & FLAG_DELETED) this.dead++;
    else this.live++;
  }

  /** The index of the first entry with an ID >= id (entries.length when none). */
  lowerBound(id: bigint): number {
    return lowerBound(this.ids, id);
  }

  markDeleted(i: number): void {
    this.flags[i]! |= FLAG_DELETED;
    this.live--;
    this.dead++;
  }

  /** The node as Redis lays it out in a listpack (what RDB files hold). */
  listpack(): Uint8Array {
    const lp = new ListpackWriter();
    const master = this.masterFields;
    lp.int(this.live);
    lp.int(this.dead);
    lp.int(master.length / 2);
    for (let i = 0; i < master.length; i += 2) lp.string(master[i]!);
    lp.int(0);
    for (let e = 0; e < this.ids.length; e++) {
      const id = this.ids[e]!;
      const flags = this.flags[e]!;
      const fields = this.fields[e]!;
      const same = (flags & FLAG_SAMEFIELDS) !== 0;
      const n = fields.length / 2;
      lp.int(flags);
      lp.int(delta(idMs(id), idMs(this.master)));
      lp.int(delta(idSeq(id), idSeq(this.master)));
      if (!same) lp.int(n);
      for (let i = 0; i < fields.length; i += 2) {
        if (!same) lp.string(fields[i]!);
        lp.string(fields[i + 1]!);
      }
      lp.int(same ? n + 3 : 2 * n + 4);
    }
    return lp.finish();
  }

  /**
   * A node from the elements of its listpack (decoded to strings) and its master ID, as
   * loaded from an RDB file. Throws an Error naming what is inconsistent.
   */
  static fromListpack(master: bigint, items: string[]): StreamNode {
    let p = 0;
    const next = (): string => {
      if (p >= items.length) throw new Error("stream listpack ends inside an entry");
      return items[p++]!;
    };
    const int = (): bigint => {
      const s = next();
      if (!/^-?\d+$/.test(s)) throw new Error("stream listpack has a non-integer where an integer belongs");
      return BigInt(s);
    };
    const count = int();
    const deleted = int();
    const nMaster = Number(int());
    const masterFields: string[] = [];
    for (let i = 0; i < nMaster; i++) masterFields.push(next(), "");
    if (int() !== 0n) throw new Error("stream listpack master entry is not terminated");
    const node = new StreamNode(master, masterFields);
    const masterMs = idMs(master);
    const masterSeq = idSeq(master);
    let previous = -1n;
    while (p < items.length) {
      const flags = Number(int());
      const ms = (masterMs + int()) & U64_MAX;
      const seq = (masterSeq + int()) & U64_MAX;
      const id = makeId(ms, seq);
      if (id <= previous || id < master) throw new Error("stream listpack entries are out of order");
      previous = id;
      const fields: string[] = [];
      if (flags & FLAG_SAMEFIELDS) {
        for (let i = 0; i < nMaster; i++) fields.push(masterFields[2 * i]!, next());
      } else {
        const n = Number(int());
        for (let i = 0; i < n; i++) fields.push(next(), next());
      }
      const lpCount = int();
      const expected = flags & FLAG_SAMEFIELDS ? nMaster + 3 : 2 * (fields.length / 2) + 4;
      if (Number(lpCount) !== expected) throw new Error("stream listpack entry has a wrong lp-count");
      node.push(id, fields, flags, true);
    }
    if (BigInt(node.live) !== count || BigInt(node.dead) !== deleted) throw new Error("stream listpack counters do not match its entries");
    if (node.ids.length === 0) throw new Error("empty listpack inside stream");
    return node;
  }
}

export interface PendingEntry {
  id: bigint;
  consumer: Consumer;
  /** Unix time in ms of the last delivery. */
  deliveryTime: number;
  deliveryCount: number;
}

/**
 * The nodes of the radix tree Redis would hold `keys` (16-byte IDs, ascending) in, with
 * its prefixes compressed: what MEMORY USAGE counts a stream's and a PEL's tree by.
 */
export function raxNodeCount(keys: readonly bigint[]): number {
  if (keys.length === 0) return 1;
  const byteAt = (id: bigint, d: number) => Number((id >> BigInt(8 * (15 - d))) & 0xffn);
  const lcp = (a: bigint, b: bigint) => (a === b ? 16 : Math.floor((128 - (a ^ b).toString(2).length) / 8));
  const count = (lo: number, hi: number, d: number): number => {
    if (d === 16) return 1;
    if (hi - lo === 1) return 2;
    const l = lcp(keys[lo]!, keys[hi - 1]!);
    let total = l > d ? 2 : 1;
    for (let i = lo; i < hi; ) {
      const b = byteAt(keys[i]!, l);
      let j = i + 1;
      while (j < hi && byteAt(keys[j]!, l) === b) j++;
      total += count(i, j, l + 1);
      i = j;
    }
    return total;
  };
  return count(0, keys.length, 0);
}

/** A PEL: pending entries in ID order (Redis keeps them in a radix tree). */
export class PendingList {
  private ids: bigint[] = [];
  private readonly byId = new Map<bigint, PendingEntry>();

  get size(): number {
    return this.byId.size;
  }

  /** The nodes of Redis's radix tree of these IDs (MEMORY USAGE). */
  get raxNodes(): number {
    return raxNodeCount(this.ids);
  }

  get(id: bigint): PendingEntry | undefined {
    return this.byId.get(id);
  }

  private lowerBound(id: bigint): number {
    return lowerBound(this.ids, id);
  }

  /** Add `entry`; false when its ID is already there. */
  add(entry: PendingEntry): boolean {
    if (this.byId.has(entry.id)) return false;
    this.byId.set(entry.id, entry);
    const n = this.ids.length;
    if (n === 0 || this.ids[n - 1]! < entry.id) this.ids.push(entry.id);
    else this.ids.splice(this.lowerBound(entry.id), 0, entry.id);
    return true;
  }

  delete(id: bigint): boolean {
    if (!this.byId.delete(id)) return false;
    this.ids.splice(this.lowerBound(id), 1);
    return true;
  }

  /** The entries with start <= id <= end, in order. */
  *range(start = 0n, end = MAX_ID): Generator<PendingEntry> {
    for (let i = this.lowerBound(start); i < this.ids.length; i++) {
      const id = this.ids[i]!;
      if (id > end) return;
      yield this.byId.get(id)!;
    }
  }

  /** The first entry with an ID >= id. */
  ceiling(id: bigint): PendingEntry | undefined {
    const i = this.lowerBound(id);
    return i < this.ids.length ? this.byId.get(this.ids[i]!) : undefined;
  }

  first(): PendingEntry | undefined {
    return this.ids.length > 0 ? this.byId.get(this.ids[0]!) : undefined;
  }

  last(): PendingEntry | undefined {
    return this.ids.length > 0 ? this.byId.get(this.ids[this.ids.length - 1]!) : undefined;
  }
}

export class Consumer {
  readonly pel = new PendingList();
  constructor(
    readonly name: string,
    /** Unix time in ms of the consumer's last interaction. */
    public seenTime: number,
  ) {}
}

export class ConsumerGroup {
  readonly pel = new PendingList();
  readonly consumers = new Map<string, Consumer>();
  constructor(
    readonly name: string,
    public lastId: bigint,
    public entriesRead: number,
  ) {}

  /** Consumers by name in byte order, as Redis's radix tree lists them. */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) => compareBytes(a.name, b.name));
  }

  /** Remove a pending entry from the group's and its consumer's PEL. */
  forget(entry: PendingEntry): void {
    this.pel.delete(entry.id);
    entry.consumer.pel.delete(entry.id);
  }
}

/** A range query's result callback: return false to stop. */
export type EntryVisitor = (id: bigint, fields: string[]) => boolean | void;

export class StreamValue {
  /** What the keyspace's memory accounting last counted for this value (store/keyspace.ts). */
  accounted = 0;
  nodes: StreamNode[] = [];
  length = 0;
  lastId = 0n;
  firstId = 0n;
  maxDeletedId = 0n;
  entriesAdded = 0;
  groups: Map<string, ConsumerGroup> | undefined;

  get encoding(): string {
    return "stream";
  }

  /**
   * Append an entry with an ID already checked to be above lastId, into the tail node
   * unless it is full by Redis's rules (streamAppendItem).
   */
  append(id: bigint, fields: string[], limits: NodeLimits): void {
    let tail: StreamNode | undefined = this.nodes[this.nodes.length - 1];
    if (tail !== undefined) {
      let newBytes = 0;
      for (const f of fields) newBytes += f.length;
      const maxBytes = limits.maxBytes === 0 || limits.maxBytes > 1 << 30 ? 1 << 30 : limits.maxBytes;
      if (tail.bytes + newBytes >= maxBytes) tail = undefined;
      else if (limits.maxEntries > 0 && tail.live + tail.dead >= limits.maxEntries) tail = undefined;
    }
    if (tail === undefined) {
      tail = new StreamNode(id, fields);
      this.nodes.push(tail);
    }
    tail.push(id, fields);
    this.length++;
    this.entriesAdded++;
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
  }

  /** The index of the node that holds `id` if any entry does: the last with master <= id. */
  private nodeFor(id: bigint): number {
    let lo = 0;
    let hi = this.nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.nodes[mid]!.master <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Visit the live entries with start <= id <= end, ascending or (rev) descending. */
  forEach(start: bigint, end: bigint, rev: boolean, visit: EntryVisitor): void {
    if (start > end) return;
    if (!rev) {
      for (let n = Math.max(0, this.nodeFor(start)); n < this.nodes.length; n++) {
        const node = this.nodes[n]!;
        for (let i = node.lowerBound(start); i < node.ids.length; i++) {
          const id = node.ids[i]!;
          if (id > end) return;
          if (node.flags[i]! & FLAG_DELETED) continue;
          if (visit(id, node.fields[i]!) === false) return;
        }
      }
    } else {
      for (let n = this.nodeFor(end); n >= 0; n--) {
        const node = this.nodes[n]!;
        for (let i = node.lowerBound(end + 1n) - 1; i >= 0; i--) {
          const id = node.ids[i]!;
          if (id < start) return;
          if (node.flags[i]! & FLAG_DELETED) continue;
          if (visit(id, node.fields[i]!) === false) return;
        }
      }
    }
  }

  /** The fields of the live entry `id`, or undefined. */
  get(id: bigint): string[] | undefined {
    const n = this.nodeFor(id);
    if (n < 0) return undefined;
    const node = this.nodes[n]!;
    const i = node.lowerBound(id);
    if (i >= node.ids.length || node.ids[i] !== id || node.flags[i]! & FLAG_DELETED) return undefined;
    return node.fields[i];
  }

  /** The first or last live entry. */
  edge(first: boolean): { id: bigint; fields: string[] } | undefined {
    let found: { id: bigint; fields: string[] } | undefined;
    this.forEach(0n, MAX_ID, !first, (id, fields) => {
      found = { id, fields };
      return false;
    });
    return found;
  }

  /** The ID of the last live entry, or 0-0 (streamLastValidID). */
  lastValidId(): bigint {
    return this.edge(false)?.id ?? 0n;
  }

  /** Delete a live entry (XDEL); a node left with no live entry goes away. */
  delete(id: bigint): boolean {
    const n = this.nodeFor(id);
    if (n < 0) return false;
    const node = this.nodes[n]!;
    const i = node.lowerBound(id);
    if (i >= node.ids.length || node.ids[i] !== id || node.flags[i]! & FLAG_DELETED) return false;
    if (node.live === 1) this.nodes.splice(n, 1);
    else node.markDeleted(i);
    this.length--;
    return true;
  }

  /** After deletions: the first ID is the first live entry's, or 0-0 when empty. */
  refreshFirstId(): void {
    this.firstId = this.length === 0 ? 0n : (this.edge(true)?.id ?? 0n);
  }

  /**
   * Remove entries from the head (streamTrim): to at most `maxlen` entries, or those below
   * `minId`. Approximate trimming removes whole nodes only; `limit` (0: none) caps the
   * entries removed. Returns how many were removed.
   */
  trim(by: { maxlen: number } | { minId: bigint }, approx: boolean, limit: number): number {
    let deleted = 0;
    const byLength = "maxlen" in by;
    while (this.nodes.length > 0) {
      if (byLength && this.length <= by.maxlen) break;
      const node = this.nodes[0]!;
      const entries = node.live;
      if (limit > 0 && deleted + entries > limit) break;
      const removeNode = byLength ? this.length - entries >= by.maxlen : node.lastId < by.minId;
      if (removeNode) {
        this.nodes.shift();
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (approx) break;
      for (let i = 0; i < node.ids.length; i++) {
        if (byLength ? this.length <= by.maxlen : node.ids[i]! >= by.minId) break;
        if (node.flags[i]! & FLAG_DELETED) continue;
        node.markDeleted(i);
        this.length--;
        deleted++;
      }
      break;
    }
    if (this.length === 0) this.firstId = 0n;
    else if (deleted > 0) this.refreshFirstId();
    return deleted;
  }

  /**
   * Whether a tombstone may lie in [start, end] (streamRangeHasTombstones): Redis only
   * knows the highest deleted ID, so any range reaching it counts.
   */
  rangeHasTombstones(start: bigint, end = MAX_ID): boolean {
    if (this.length === 0 || this.maxDeletedId === 0n) return false;
    if (this.firstId > this.maxDeletedId) return false;
    return start <= this.maxDeletedId && this.maxDeletedId <= end;
  }

  /**
   * How many entries were ever added up to `id` (streamEstimateDistanceFromFirstEverEntry),
   * or INVALID_ENTRIES_READ when that cannot be known.
   */
  distanceFromFirstEver(id: bigint): number {
    if (this.entriesAdded === 0) return 0;
    if (this.length === 0 && id <= this.lastId) return this.entriesAdded;
    if (id === this.lastId) return this.entriesAdded;
    if (id > this.lastId) return INVALID_ENTRIES_READ;
    if (this.maxDeletedId === 0n || this.maxDeletedId < this.firstId) {
      if (id < this.firstId) return this.entriesAdded - this.length;
      if (id === this.firstId) return this.entriesAdded - this.length + 1;
    }
    return INVALID_ENTRIES_READ;
  }

  /** A group's lag (entries not yet delivered to it), or undefined when unknown. */
  lag(group: ConsumerGroup): number | undefined {
    if (this.entriesAdded === 0) return 0;
    if (group.entriesRead !== INVALID_ENTRIES_READ && !this.rangeHasTombstones(group.lastId)) return this.entriesAdded - group.entriesRead;
    const read = this.distanceFromFirstEver(group.lastId);
    return read === INVALID_ENTRIES_READ ? undefined : this.entriesAdded - read;
  }

  /** Groups by name in byte order, as Redis's radix tree lists them. */
  sortedGroups(): ConsumerGroup[] {
    if (this.groups === undefined) return [];
    return [...this.groups.values()].sort((a, b) => compareBytes(a.name, b.name));
  }

  /**
   * The number of nodes of the radix tree Redis would hold for these node keys (XINFO's
   * radix-tree-nodes): a compressed trie over the 16-byte big-endian master IDs.
   */
  raxNodeCount(): number {
    // Nodes are only appended (XADD) or dropped when emptied, so the count, a walk of
    // BigInt arithmetic over every node, holds while the number of nodes and both ends do.
    const nodes = this.nodes;
    const first = nodes[0]?.master;
    const last = nodes.at(-1)?.master;
    if (this.raxCount < 0 || this.raxNodes !== nodes.length || this.raxFirst !== first || this.raxLast !== last) {
      this.raxCount = raxNodeCount(this.nodes.map((n) => n.master));
      this.raxNodes = nodes.length;
      this.raxFirst = first;
      this.raxLast = last;
    }
    return this.raxCount;
  }

  /** raxNodeCount's last count (-1: none yet) and the shape it was counted for. */
  private raxCount = -1;
  private raxNodes = 0;
  private raxFirst: bigint | undefined;
  private raxLast: bigint | undefined;

  /** A deep copy (COPY): nodes, counters, groups, consumers and their PELs. */
  clone(): StreamValue {
    const copy = new StreamValue();
    for (const node of this.nodes) {
      const n = new StreamNode(node.master, node.masterFields);
      for (let i = 0; i < node.ids.length; i++) n.push(node.ids[i]!, node.fields[i]!, node.flags[i]!, true);
      copy.nodes.push(n);
    }
    copy.length = this.length;
    copy.lastId = this.lastId;
    copy.firstId = this.firstId;
    copy.maxDeletedId = this.maxDeletedId;
    copy.entriesAdded = this.entriesAdded;
    if (this.groups !== undefined) {
      copy.groups = new Map();
      for (const group of this.groups.values()) {
        const g = new ConsumerGroup(group.name, group.lastId, group.entriesRead);
        for (const consumer of group.consumers.values()) {
          const c = new Consumer(consumer.name, consumer.seenTime);
          g.consumers.set(c.name, c);
          for (const entry of consumer.pel.range()) {
            const e = { ...entry, consumer: c };
            g.pel.add(e);
            c.pel.add(e);
          }
        }
        copy.groups.set(g.name, g);
      }
    }
    return copy;
  }
}
