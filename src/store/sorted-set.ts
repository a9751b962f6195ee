/**
 * The sorted-set type: a Map from member to score for O(1) ZSCORE, and a skip list ordered
 * by (score, member bytes) with spans, as in Redis's t_zset.c, so that insert, delete,
 * rank, "element at rank" and "first element in a score or lex range" are all O(log n).
 * Ranks here are 0-based. It knows nothing of commands or replies; range bounds arrive
 * already parsed.
 */

/** zset-max-listpack-entries and zset-max-listpack-value, Redis 7.0's defaults. */
export const ZSET_MAX_LISTPACK_ENTRIES = 128;
export const ZSET_MAX_LISTPACK_VALUE = 64;
const MAX_LEVEL = 32;

export class ZNode {
  backward: ZNode | null = null;
  readonly forward: (ZNode | null)[];
  readonly span: number[];
  constructor(
    public member: string,
    public score: number,
    level: number,
  ) {
    this.forward = new Array<ZNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }
}

/** A score interval; `minex`/`maxex` make a bound exclusive, as `(` does in Redis. */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** A lex interval over member bytes: undefined means -inf (min) or +inf (max). */
export interface LexRange {
  min: string | undefined;
  max: string | undefined;
  minex: boolean;
  maxex: boolean;
  /** `+` as a min or `-` as a max: the range is empty. */
  empty: boolean;
}

function before(score: number, member: string, node: ZNode): boolean {
  return node.score < score || (node.score === score && node.member < member);
}

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < 0.25) level++;
  return level;
}

export function aboveMin(score: number, r: ScoreRange): boolean {
  return r.minex ? score > r.min : score >= r.min;
}
export function belowMax(score: number, r: ScoreRange): boolean {
  return r.maxex ? score < r.max : score <= r.max;
}
export function lexAboveMin(member: string, r: LexRange): boolean {
  if (r.min === undefined) return true;
  return r.minex ? member > r.min : member >= r.min;
}
export function lexBelowMax(member: string, r: LexRange): boolean {
  if (r.max === undefined) return true;
  return r.maxex ? member < r.max : member <= r.max;
}

export class SortedSet {
  readonly dict = new Map<string, number>();
  private readonly header = new ZNode("", 0, MAX_LEVEL);
  private tail: ZNode | null = null;
  private level = 1;
  /** Redis's listpack encoding: one-way, lost when a limit is crossed. */
  private listpack = true;

  get size(): number {
    return this.dict.size;
  }

  get encoding(): string {
    return this.listpack ? "listpack" : "skiplist";
  }

  /** Leave the listpack encoding for good, as Redis's SORT does to the sets it sorts. */
  convertToSkiplist(): void {
    this.listpack = false;
  }

  score(member: string): number | undefined {
    return this.dict.get(member);
  }

  /** Add or re-score a member. Returns true when it is new. */
  set(member: string, score: number): boolean {
    const old = this.dict.get(member);
    if (old !== undefined) {
      if (old !== score) {
        this.unlink(old, member);
        this.insert(member, score);
        this.dict.set(member, score);
      }
      return false;
    }
    if (this.listpack && (member.length > ZSET_MAX_LISTPACK_VALUE || this.dict.size >= ZSET_MAX_LISTPACK_ENTRIES)) {
      this.listpack = false;
    }
    this.insert(member, score);
    this.dict.set(member, score);
    return true;
  }

  delete(member: string): boolean {
    const score = this.dict.get(member);
    if (score === undefined) return false;
    this.unlink(score, member);
    this.dict.delete(member);
    return true;
  }

  private insert(member: string, score: number): void {
    const update = new Array<ZNode>(MAX_LEVEL);
    const rank = new Array<number>(MAX_LEVEL);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1]!;
      let next = x.forward[i]!;
      while (next !== null && before(score, member, next)) {
        rank[i]! += x.span[i]!;
        x = next;
        next = x.forward[i]!;
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.header;
        this.header.span[i] = this.dict.size;
      }
      this.level = level;
    }
    const node = new ZNode(member, score, level);
    for (let i = 0; i < level; i++) {
      const u = update[i]!;
      node.forward[i] = u.forward[i]!;
      u.forward[i] = node;
      node.span[i] = u.span[i]! - (rank[0]! - rank[i]!);
      u.span[i] = rank[0]! - rank[i]! + 1;
    }
    for (let i = level; i < this.level; i++) update[i]!.span[i]!++;
    node.backward = update[0] === this.header ? null : update[0]!;
    if (node.forward[0] !== null) node.forward[0]!.backward = node;
    else this.tail = node;
  }

  private unlink(score: number, member: string): void {
    const update = new Array<ZNode>(MAX_LEVEL);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i]!;
      while (next !== null && before(score, member, next)) {
        x = next;
        next = x.forward[i]!;
      }
      update[i] = x;
    }
    const node = x.forward[0]!;
    for (let i = 0; i < this.level; i++) {
      const u = update[i]!;
      if (u.forward[i] === node) {
        u.span[i]! += node.span[i]! - 1;
        u.forward[i] = node.forward[i]!;
      } else {
        u.span[i]!--;
      }
    }
    if (node.forward[0] !== null) node.forward[0]!.backward = node.backward;
    else this.tail = node.backward;
    while (this.level > 1 && this.header.forward[this.level - 1] === null) this.level--;
  }

  clone(): SortedSet {
    const copy = new SortedSet();
    for (let x = this.first(); x !== null; x = x.forward[0]!) copy.set(x.member, x.score);
    copy.listpack = this.listpack;
    return copy;
  }

  /** The 0-based rank of a member, or undefined when it is not in the set. */
  rank(member: string): number | undefined {
    const score = this.dict.get(member);
    if (score === undefined) return undefined;
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i]!;
      while (next !== null && (before(score, member, next) || next.member === member)) {
        rank += x.span[i]!;
        x = next;
        if (x.member === member && x !== this.header) return rank - 1;
        next = x.forward[i]!;
      }
    }
    return undefined;
  }

  /** The node at a 0-based rank (in range). */
  at(rank: number): ZNode {
    let traversed = 0;
    let x = this.header;
    const target = rank + 1;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i]!;
      while (next !== null && traversed + x.span[i]! <= target) {
        traversed += x.span[i]!;
        x = next;
        next = x.forward[i]!;
      }
      if (traversed === target) return x;
    }
    throw new RangeError(`rank ${rank} out of range`);
  }

  first(): ZNode | null {
    return this.header.forward[0]!;
  }

  last(): ZNode | null {
    return this.tail;
  }

  /**
   * The number of elements before the first one that is not `below` (a monotone test over
   * the order): the rank at which a range starts. O(log n).
   */
  countBefore(below: (node: ZNode) => boolean): number {
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i]!;
      while (next !== null && below(next)) {
        rank += x.span[i]!;
        x = next;
        next = x.forward[i]!;
      }
    }
    return rank;
  }

  /** [start, end) ranks of the elements within a score range. */
  scoreRange(r: ScoreRange): [number, number] {
    const start = this.countBefore((n) => !aboveMin(n.score, r));
    const end = this.countBefore((n) => belowMax(n.score, r));
    return [start, Math.max(start, end)];
  }

  /**
   * [start, end) ranks of the elements within a lex range. Lex ranges are only meaningful
   * when all scores tie; when they do not, Redis's answer depends on how it walks, so a
   * small (listpack) set is walked the way Redis walks a listpack: forward from the first
   * element at or above min while elements stay at or below max, or with `reverse` backward
   * from the last element at or below max. A large set uses the O(log n) descent.
   */
  lexRange(r: LexRange, reverse = false): [number, number] {
    if (r.empty || this.size === 0) return [0, 0];
    if (r.min !== undefined && r.max !== undefined && (r.min > r.max || (r.min === r.max && (r.minex || r.maxex)))) return [0, 0];
    if (!lexAboveMin(this.tail!.member, r) || !lexBelowMax(this.first()!.member, r)) return [0, 0];
    if (!this.listpack) {
      const start = this.countBefore((n) => !lexAboveMin(n.member, r));
      const end = this.countBefore((n) => lexBelowMax(n.member, r));
      return [start, Math.max(start, end)];
    }
    const members = [...this.walk(0, this.size)].map((n) => n.member);
    if (!reverse) {
      const start = members.findIndex((m) => lexAboveMin(m, r));
      if (start === -1 || !lexBelowMax(members[start]!, r)) return [0, 0];
      let end = start;
      while (end < members.length && lexBelowMax(members[end]!, r)) end++;
      return [start, end];
    }
    const last = members.findLastIndex((m) => lexBelowMax(m, r));
    if (last === -1 || !lexAboveMin(members[last]!, r)) return [0, 0];
    let start = last;
    while (start > 0 && lexAboveMin(members[start - 1]!, r)) start--;
    return [start, last + 1];
  }

  /** Nodes from rank `start` forward (or backward when reverse), at most `count`. */
  *walk(start: number, count: number, reverse = false): IterableIterator<ZNode> {
    if (count <= 0 || start < 0 || start >= this.size) return;
    let x: ZNode | null = this.at(start);
    for (let i = 0; i < count && x !== null; i++) {
      const next: ZNode | null = reverse ? x.backward : x.forward[0]!;
      yield x;
      x = next;
    }
  }
}
