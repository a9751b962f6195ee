/**
 * The sorted-set type, in two forms that mirror Redis's two encodings. While it is small
 * (Redis's listpack limits: 128 members of at most 64 bytes) its pairs lie in order in one
 * buffer, walked as Redis walks a listpack (store/packed-pairs.ts). Past the limits
 * (Redis's skiplist encoding) it becomes a table from member to score (store/table.ts:
 * bytes in cells, O(1) ZSCORE, ZSCAN's cursor) plus the (score, member bytes) order in
 * chunks of bytes (store/score-order.ts), where insert, delete, rank, "element at rank" and
 * "first element in a score or lex range" are O(log n), as in Redis's skip list with
 * spans. Ranks are 0-based. It knows nothing of commands or replies; range bounds arrive
 * already parsed.
 */
import { encodingLimits } from "./encoding.ts";
import type { Bytes } from "./latin1.ts";
import { PACKED_MAX_ELEMENT } from "./packed.ts";
import { PackedPairs, aboveMin, belowMax } from "./packed-pairs.ts";
import { ScoreOrder, type ZEntry } from "./score-order.ts";
import { KeyTable } from "./table.ts";

export type { ZEntry } from "./score-order.ts";

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

export function lexAboveMin(member: string, r: LexRange): boolean {
  if (r.min === undefined) return true;
  return r.minex ? member > r.min : member >= r.min;
}
export function lexBelowMax(member: string, r: LexRange): boolean {
  if (r.max === undefined) return true;
  return r.maxex ? member < r.max : member <= r.max;
}

/**
 * While small, the set is its own packed pairs (it extends PackedPairs), so a small sorted
 * set is one object and one buffer.
 */
export class SortedSet extends PackedPairs {
  /** What the keyspace's memory accounting last counted for this value (store/keyspace.ts). */
  accounted = 0;
  /** The size at which the average element size below was last sampled (-1: never). */
  sampledAt = -1;
  sampledAverage = 0;
  /** The large form: members to scores, and the (score, member) order. */
  private dict: KeyTable | undefined;
  private order: ScoreOrder | undefined;

  get size(): number {
    return this.dict !== undefined ? this.dict.size : this.pairCount;
  }

  get encoding(): string {
    return this.dict === undefined ? "listpack" : "skiplist";
  }

  /** The table holding a large set, for ZSCAN's cursor; undefined while small. */
  get scanTarget(): KeyTable | undefined {
    return this.dict;
  }

  /** Move to the large form for good, as Redis's SORT does to the sets it sorts. */
  convertToSkiplist(): void {
    if (this.dict !== undefined) return;
    const [members, scores] = this.pairArrays();
    this.clearPairs();
    this.dict = new KeyTable();
    this.order = new ScoreOrder();
    for (let i = 0; i < members.length; i++) {
      this.order.insert(scores[i]!, members[i]!);
      this.dict.add(members[i]!, scores[i]!);
    }
  }

  /**
   * This set, computed in the large form as Redis computes ZUNIONSTORE's and its
   * relatives' results, in the small form if it fits one (zsetConvertToListpackIfNeeded):
   * a -0 score then becomes 0, as a listpack keeps it.
   */
  smallIfFits(): SortedSet {
    if (this.dict === undefined || this.size > encodingLimits.zsetMaxListpackEntries) return this;
    const maxMember = Math.min(encodingLimits.zsetMaxListpackValue, PACKED_MAX_ELEMENT);
    for (const e of this.walk(0, this.size)) if (e.member.length > maxMember) return this;
    const small = new SortedSet();
    for (const e of this.walk(0, this.size)) small.set(e.member, e.score);
    return small;
  }

  score(member: string): number | undefined {
    if (this.dict !== undefined) return this.dict.get(member) as number | undefined;
    const i = this.indexOfMember(member);
    return i === -1 ? undefined : this.scoreAt(i);
  }

  /** Add or re-score a member. Returns true when it is new. */
  set(member: string, score: number): boolean {
    if (this.dict === undefined) {
      const at = this.indexOfMember(member);
      if (at !== -1) {
        if (this.scoreAt(at) === score) return false;
        this.removeAt(at);
      } else if (member.length > Math.min(encodingLimits.zsetMaxListpackValue, PACKED_MAX_ELEMENT) || this.pairCount >= encodingLimits.zsetMaxListpackEntries) {
        // The small form packs members of at most PACKED_MAX_ELEMENT bytes: past that a zset
        // becomes a skiplist even under a higher zset-max-listpack-value.
        this.convertToSkiplist();
        return this.set(member, score);
      }
      this.insertAt(this.positionOf(score, member), score, member);
      return at === -1;
    }
    const dict = this.dict;
    const slot = dict.find(member);
    if (slot >= 0) {
      const old = dict.valueAt(slot) as number;
      // As Redis compares doubles: -0 equals 0 and changes nothing.
      if (old !== score) {
        this.order!.rescore(old, score, member);
        dict.replaceAt(slot, member, score);
      }
      return false;
    }
    this.order!.insert(score, member);
    dict.add(member, score);
    return true;
  }

  delete(member: string): boolean {
    if (this.dict === undefined) {
      const at = this.indexOfMember(member);
      if (at === -1) return false;
      this.removeAt(at);
      return true;
    }
    const slot = this.dict.find(member);
    if (slot < 0) return false;
    this.order!.remove(this.dict.valueAt(slot) as number, member);
    this.dict.deleteAt(slot);
    return true;
  }

  /** Whether the keyspace may hold this set as bytes in its cell (store/packed-values.ts): the small form. */
  get packable(): boolean {
    return this.dict === undefined;
  }

  /** While small: its members' bytes and 8 for each score, for the memory estimate. */
  get elementBytes(): number | undefined {
    return this.dict === undefined ? this.pairsLength - this.pairCount : undefined;
  }

  /** The small set packPairs wrote at buf[start, end). */
  static unpack(buf: Bytes, start: number, end: number): SortedSet {
    const zset = new SortedSet();
    zset.unpackPairs(buf, start, end);
    return zset;
  }

  clone(): SortedSet {
    const copy = new SortedSet();
    if (this.dict !== undefined) copy.convertToSkiplist();
    for (const e of this.walk(0, this.size)) copy.set(e.member, e.score);
    return copy;
  }

  /** The 0-based rank of a member, or undefined when it is not in the set. */
  rank(member: string): number | undefined {
    if (this.dict === undefined) {
      const at = this.indexOfMember(member);
      return at === -1 ? undefined : at;
    }
    const score = this.dict.get(member) as number | undefined;
    return score === undefined ? undefined : this.order!.rank(score, member);
  }

  /** The entry at a 0-based rank (in range). */
  at(rank: number): ZEntry {
    if (this.dict === undefined) return { member: this.memberAt(rank), score: this.scoreAt(rank) };
    return this.order!.at(rank);
  }

  /** [start, end) ranks of the elements within a score range. */
  scoreRange(r: ScoreRange): [number, number] {
    const start = this.countScoresBefore((score) => !aboveMin(score, r));
    const end = this.countScoresBefore((score) => belowMax(score, r));
    return [start, Math.max(start, end)];
  }

  /**
   * The number of entries before the first whose score is not `below` (a test that holds
   * for a prefix of the order): the rank at which a range starts. O(log n) when large.
   */
  private countScoresBefore(below: (score: number) => boolean): number {
    if (this.dict === undefined) {
      let i = 0;
      while (i < this.pairCount && below(this.scoreAt(i))) i++;
      return i;
    }
    return this.order!.countScoresBefore(below);
  }

  /**
   * [start, end) ranks of the elements within a lex range. Lex ranges are only meaningful
   * when all scores tie, and then a large set takes the O(log n) descent. When they do not,
   * Redis's answer depends on how it walks, so the set is walked as Redis walks it (a skip
   * list as it would be walked were none of its random levels to jump): forward from the
   * first element at or above min while elements stay at or below max; with `reverse`
   * backward, while elements stay at or above min, from the last element at or below max:
   * a listpack's found from its tail, a skip list's as the last of the run of such elements
   * from its head (zslLastInLexRange). Redis first checks the range against the ends,
   * except when it removes from a skip list (`removing`).
   */
  lexRange(r: LexRange, reverse = false, removing = false): [number, number] {
    const n = this.size;
    if (r.empty || n === 0) return [0, 0];
    if (r.min !== undefined && r.max !== undefined && (r.min > r.max || (r.min === r.max && (r.minex || r.maxex)))) return [0, 0];
    const checkEnds = !(removing && this.dict !== undefined);
    if (checkEnds && (!this.rankAboveMin(n - 1, r) || !this.rankBelowMax(0, r))) return [0, 0];
    if (this.dict !== undefined && this.allTied) {
      // Members before the range (up to min, or below it when min is inclusive); members up to max.
      const start = r.min === undefined ? 0 : this.order!.countMembersBefore(r.min, r.minex);
      const end = r.max === undefined ? n : this.order!.countMembersBefore(r.max, !r.maxex);
      return [start, Math.max(start, end)];
    }
    if (reverse && this.dict !== undefined) {
      const last = this.skipListLastInLex(r);
      if (last < 0) return [0, 0];
      let start = last;
      while (start > 0 && lexAboveMin(this.at(start - 1).member, r)) start--;
      return [start, last + 1];
    }
    // Ranks counted from the end the walk starts at; the range is the run from its first member in range.
    const [enters, stays] = reverse ? [lexBelowMax, lexAboveMin] : [lexAboveMin, lexBelowMax];
    let first = -1;
    let i = 0;
    for (const { member } of this.walk(reverse ? n - 1 : 0, n, reverse)) {
      if (first < 0) {
        if (enters(member, r)) {
          if (!stays(member, r)) return [0, 0];
          first = i;
        }
      } else if (!stays(member, r)) break;
      i++;
    }
    if (first < 0) return [0, 0];
    return reverse ? [n - i, n - first] : [first, i];
  }

  /** Whether a large set's scores all tie (its lex ranges then take the descent). */
  private get allTied(): boolean {
    return this.order!.scoreAt(0) === this.order!.scoreAt(this.size - 1);
  }

  /** lexAboveMin and lexBelowMax of the member at `rank`, a large set's compared on its bytes. */
  private rankAboveMin(rank: number, r: LexRange): boolean {
    if (r.min === undefined) return true;
    if (this.dict === undefined) return lexAboveMin(this.memberAt(rank), r);
    const d = this.order!.compareMemberAt(rank, r.min);
    return r.minex ? d > 0 : d >= 0;
  }

  private rankBelowMax(rank: number, r: LexRange): boolean {
    if (r.max === undefined) return true;
    if (this.dict === undefined) return lexBelowMax(this.memberAt(rank), r);
    const d = this.order!.compareMemberAt(rank, r.max);
    return r.maxex ? d < 0 : d <= 0;
  }

  /**
   * ZLEXCOUNT: the members in a lex range. A skip list's count over differing scores is
   * Redis's: from the rank of the first member in range to that of zslLastInLexRange's
   * (the whole rest of the set when there is none).
   */
  lexCount(r: LexRange): number {
    const [start, end] = this.lexRange(r);
    if (end === start || this.dict === undefined || this.allTied) return end - start;
    const last = this.skipListLastInLex(r);
    return last < 0 ? this.size - start : last - start + 1;
  }

  /**
   * The rank zslLastInLexRange finds in a skip list with differing scores (the range checked
   * against the ends already): the last of the members at or below max met from the head
   * before the first above it, if that one is at or above min; else -1.
   */
  private skipListLastInLex(r: LexRange): number {
    let last = -1;
    for (const { member } of this.walk(0, this.size)) {
      if (!lexBelowMax(member, r)) break;
      last++;
    }
    return last >= 0 && lexAboveMin(this.at(last).member, r) ? last : -1;
  }

  /** Entries from rank `start` forward (or backward when reverse), at most `count`. */
  *walk(start: number, count: number, reverse = false): IterableIterator<ZEntry> {
    if (count <= 0 || start < 0 || start >= this.size) return;
    // A small set's range is taken before its first pair is handed out: the set may change meanwhile.
    if (this.dict === undefined) yield* this.packedRange(start, count, reverse);
    else yield* this.order!.walk(start, count, reverse);
  }

  /**
   * walk's pairs of a small set: the range's only (pairArrays made a string of every
   * member for any range), read forward, where the packed form remembers its place.
   */
  private packedRange(start: number, count: number, reverse: boolean): ZEntry[] {
    const first = reverse ? Math.max(0, start - count + 1) : start;
    const last = reverse ? start : Math.min(this.size - 1, start + count - 1);
    const entries: ZEntry[] = [];
    for (let i = first; i <= last; i++) entries.push({ member: this.memberAt(i), score: this.scoreAt(i) });
    return reverse ? entries.reverse() : entries;
  }

  /** walk's entries as an array (ranges' replies: no generator to resume per entry). */
  range(start: number, count: number, reverse = false): ZEntry[] {
    const out: ZEntry[] = [];
    if (count <= 0 || start < 0 || start >= this.size) return out;
    if (this.dict === undefined) return this.packedRange(start, count, reverse);
    this.order!.range(start, count, reverse, out);
    return out;
  }

  /**
   * range's pairs handed to `each` in order, members as the bytes the set keeps them in
   * (member[from, to), valid during the call).
   */
  forRange(start: number, count: number, reverse: boolean, each: (member: Bytes, from: number, to: number, score: number) => void): void {
    if (count <= 0 || start < 0 || start >= this.size) return;
    if (this.dict !== undefined) return this.order!.forBytes(start, count, reverse, each);
    const first = reverse ? Math.max(0, start - count + 1) : start;
    const last = reverse ? start : Math.min(this.size - 1, start + count - 1);
    this.forPairBytes(first, last, reverse, each);
  }

  /** Every entry in order. */
  entries(): IterableIterator<ZEntry> {
    return this.walk(0, this.size);
  }
}
