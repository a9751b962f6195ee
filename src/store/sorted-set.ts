/**
 * The sorted-set type, in two forms that mirror Redis's two encodings. While it is small
 * (Redis's listpack limits: 128 members of at most 64 bytes) it is its members packed into
 * one string (PackedStrings) and an array of their scores, in order, searched linearly or
 * by bisection on the scores, which costs a small fraction of the large form. Past the limits it becomes a Map from member to score for
 * O(1) ZSCORE plus a skip list ordered by (score, member bytes) with spans, as in Redis's
 * t_zset.c, so that insert, delete, rank, "element at rank" and "first element in a score
 * or lex range" are all O(log n). Ranks are 0-based. It knows nothing of commands or
 * replies; range bounds arrive already parsed.
 */
import { encodingLimits } from "./encoding.ts";
import { PACKED_MAX_ELEMENT, PackedStrings } from "./packed.ts";

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

/** One member and its score, as ranges and pops hand them out. */
export interface ZEntry {
  readonly member: string;
  readonly score: number;
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

function before(score: number, member: string, node: ZEntry): boolean {
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
  /** What the keyspace's memory accounting last counted for this value (store/keyspace.ts). */
  accounted = 0;
  /** The size at which the average element size below was last sampled (-1: never). */
  sampledAt = -1;
  sampledAverage = 0;
  /** The small form: members (packed) and scores in (score, member) order; undefined once large. */
  private smallMembers: PackedStrings | undefined = new PackedStrings();
  private smallScores: number[] | undefined = [];
  /** The large form. */
  private dict: Map<string, number> | undefined;
  private header: ZNode | undefined;
  private tail: ZNode | null = null;
  private level = 1;

  get size(): number {
    return this.dict !== undefined ? this.dict.size : this.smallMembers!.length;
  }

  get encoding(): string {
    return this.dict === undefined ? "listpack" : "skiplist";
  }

  /** The Map holding a large set, for ZSCAN's live iteration; undefined while small. */
  get scanTarget(): Map<string, number> | undefined {
    return this.dict;
  }

  /** Move to the large form for good, as Redis's SORT does to the sets it sorts. */
  convertToSkiplist(): void {
    if (this.dict !== undefined) return;
    const members = this.smallMembers!.toArray();
    const scores = this.smallScores!;
    this.smallMembers = this.smallScores = undefined;
    this.dict = new Map();
    this.header = new ZNode("", 0, MAX_LEVEL);
    for (let i = 0; i < members.length; i++) {
      this.insert(members[i]!, scores[i]!);
      this.dict.set(members[i]!, scores[i]!);
    }
  }

  score(member: string): number | undefined {
    if (this.dict !== undefined) return this.dict.get(member);
    const i = this.smallMembers!.indexOf(member);
    return i === -1 ? undefined : this.smallScores![i];
  }

  /** Add or re-score a member. Returns true when it is new. */
  set(member: string, score: number): boolean {
    if (this.dict === undefined) {
      const members = this.smallMembers!;
      const scores = this.smallScores!;
      const at = members.indexOf(member);
      if (at !== -1) {
        if (scores[at] === score) return false;
        members.removeAt(at);
        scores.splice(at, 1);
      } else if (member.length > Math.min(encodingLimits.zsetMaxListpackValue, PACKED_MAX_ELEMENT) || members.length >= encodingLimits.zsetMaxListpackEntries) {
        // The small form packs members of at most PACKED_MAX_ELEMENT bytes: past that a zset
        // becomes a skiplist even under a higher zset-max-listpack-value.
        this.convertToSkiplist();
        return this.set(member, score);
      }
      const pos = this.smallPosition(score, member);
      members.insert(pos, member);
      scores.splice(pos, 0, score);
      return at === -1;
    }
    const old = this.dict.get(member);
    if (old !== undefined) {
      if (old !== score) {
        this.unlink(old, member);
        this.insert(member, score);
        this.dict.set(member, score);
      }
      return false;
    }
    this.insert(member, score);
    this.dict.set(member, score);
    return true;
  }

  /**
   * Where (score, member) goes in the small form: the count of entries before it. Scores
   * decide by bisection; only members tied on the score are read to break the tie.
   */
  private smallPosition(score: number, member: string): number {
    const scores = this.smallScores!;
    let lo = 0;
    let hi = scores.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (scores[mid]! < score) lo = mid + 1;
      else hi = mid;
    }
    while (lo < scores.length && scores[lo] === score && this.smallMembers!.get(lo) < member) lo++;
    return lo;
  }

  delete(member: string): boolean {
    if (this.dict === undefined) {
      const at = this.smallMembers!.indexOf(member);
      if (at === -1) return false;
      this.smallMembers!.removeAt(at);
      this.smallScores!.splice(at, 1);
      return true;
    }
    const score = this.dict.get(member);
    if (score === undefined) return false;
    this.unlink(score, member);
    this.dict.delete(member);
    return true;
  }

  clone(): SortedSet {
    const copy = new SortedSet();
    if (this.dict !== undefined) copy.convertToSkiplist();
    for (const e of this.walk(0, this.size)) copy.set(e.member, e.score);
    return copy;
  }

  private insert(member: string, score: number): void {
    const header = this.header!;
    const update = new Array<ZNode>(MAX_LEVEL);
    const rank = new Array<number>(MAX_LEVEL);
    let x = header;
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
        update[i] = header;
        header.span[i] = this.dict!.size;
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
    node.backward = update[0] === header ? null : update[0]!;
    if (node.forward[0] !== null) node.forward[0]!.backward = node;
    else this.tail = node;
  }

  private unlink(score: number, member: string): void {
    const header = this.header!;
    const update = new Array<ZNode>(MAX_LEVEL);
    let x = header;
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
    while (this.level > 1 && header.forward[this.level - 1] === null) this.level--;
  }

  /** The 0-based rank of a member, or undefined when it is not in the set. */
  rank(member: string): number | undefined {
    if (this.dict === undefined) {
      const at = this.smallMembers!.indexOf(member);
      return at === -1 ? undefined : at;
    }
    const score = this.dict.get(member);
    if (score === undefined) return undefined;
    let rank = 0;
    let x = this.header!;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i]!;
      while (next !== null && (before(score, member, next) || next.member === member)) {
        rank += x.span[i]!;
        x = next;
        if (x.member === member) return rank - 1;
        next = x.forward[i]!;
      }
    }
    return undefined;
  }

  /** The entry at a 0-based rank (in range). */
  at(rank: number): ZEntry {
    if (this.dict === undefined) return { member: this.smallMembers!.get(rank), score: this.smallScores![rank]! };
    // Popping the highest member is common (ZPOPMAX): the tail needs no descent.
    return rank === this.dict.size - 1 ? this.tail! : this.nodeAt(rank);
  }

  private nodeAt(rank: number): ZNode {
    let traversed = 0;
    let x = this.header!;
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

  /**
   * The number of entries before the first one that is not `below` (a test that holds
   * for a prefix of the order): the rank at which a range starts. O(log n) when large.
   */
  countBefore(below: (entry: ZEntry) => boolean): number {
    if (this.dict === undefined) {
      const members = this.smallMembers!.toArray();
      const scores = this.smallScores!;
      let i = 0;
      while (i < members.length && below({ member: members[i]!, score: scores[i]! })) i++;
      return i;
    }
    let rank = 0;
    let x = this.header!;
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
    const n = this.size;
    if (r.empty || n === 0) return [0, 0];
    if (r.min !== undefined && r.max !== undefined && (r.min > r.max || (r.min === r.max && (r.minex || r.maxex)))) return [0, 0];
    if (!lexAboveMin(this.at(n - 1).member, r) || !lexBelowMax(this.at(0).member, r)) return [0, 0];
    if (this.dict !== undefined) {
      const start = this.countBefore((e) => !lexAboveMin(e.member, r));
      const end = this.countBefore((e) => lexBelowMax(e.member, r));
      return [start, Math.max(start, end)];
    }
    const members = this.smallMembers!.toArray();
    if (!reverse) {
      const start = members.findIndex((m) => lexAboveMin(m, r));
      if (start === -1 || !lexBelowMax(members[start]!, r)) return [0, 0];
      let end = start;
      while (end < n && lexBelowMax(members[end]!, r)) end++;
      return [start, end];
    }
    const last = members.findLastIndex((m) => lexBelowMax(m, r));
    if (last === -1 || !lexAboveMin(members[last]!, r)) return [0, 0];
    let start = last;
    while (start > 0 && lexAboveMin(members[start - 1]!, r)) start--;
    return [start, last + 1];
  }

  /** Entries from rank `start` forward (or backward when reverse), at most `count`. */
  *walk(start: number, count: number, reverse = false): IterableIterator<ZEntry> {
    if (count <= 0 || start < 0 || start >= this.size) return;
    if (this.dict === undefined) {
      const members = this.smallMembers!.toArray();
      const scores = this.smallScores!;
      for (let i = 0, r = start; i < count && r >= 0 && r < members.length; i++, r += reverse ? -1 : 1) yield { member: members[r]!, score: scores[r]! };
      return;
    }
    let x: ZNode | null = this.nodeAt(start);
    for (let i = 0; i < count && x !== null; i++) {
      const next: ZNode | null = reverse ? x.backward : x.forward[0]!;
      yield x;
      x = next;
    }
  }

  /** Every entry in order. */
  entries(): IterableIterator<ZEntry> {
    return this.walk(0, this.size);
  }
}
