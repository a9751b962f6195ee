/**
 * The order of a large sorted set: (score, member) pairs sorted as Redis's skiplist sorts
 * them (by score, then by member bytes), held in bytes rather than in a node object per
 * member. The pairs lie in chunks of up to 128: a chunk's scores in a Float64Array, its
 * members packed one after another in a buffer with their offsets in an Int32Array. A pair
 * is found by bisection over the chunks' last pairs and then within the chunk; ranks come
 * from a Fenwick tree over the chunks' counts, kept up to date by inserts and deletes and
 * rebuilt when chunks split or merge. Insert, delete, rank and "pair at rank" are O(log n)
 * plus a shift within one chunk. Members are byte strings (one char per byte).
 */

import { allocBytes, type Bytes, writeLatin1 } from "./latin1.ts";
import { compareBytesTo } from "../resp/bytes.ts";

/** A pair as ranges and pops hand them out. */
export interface ZEntry {
  readonly member: string;
  readonly score: number;
}

const CHUNK_MAX = 128;
/** A chunk left with fewer pairs than this takes in its neighbour, when both fit in 3/4 of a chunk. */
const MERGE_BELOW = 32;
const MIN_BYTES = 64;

class Chunk {
  n = 0;
  readonly scores = new Float64Array(CHUNK_MAX);
  /** Member i is bytes[offs[i], offs[i + 1]). */
  readonly offs = new Int32Array(CHUNK_MAX + 1);
  bytes: Bytes;

  constructor(capacity: number) {
    this.bytes = allocBytes(Math.max(MIN_BYTES, capacity));
  }

  member(i: number): string {
    return this.bytes.latin1Slice(this.offs[i]!, this.offs[i + 1]!);
  }

  entry(i: number): ZEntry {
    return { member: this.member(i), score: this.scores[i]! };
  }

  /** Member i against `m`, byte by byte as memcmp and then by length: <0, 0 or >0. */
  compareMember(i: number, m: string): number {
    return compareBytesTo(this.bytes, this.offs[i]!, this.offs[i + 1]!, m);
  }

  /** Whether pair i comes before (score, member). */
  before(i: number, score: number, member: string): boolean {
    const s = this.scores[i]!;
    return s < score || (s === score && this.compareMember(i, member) < 0);
  }

  /** The first position whose pair does not come before (score, member). */
  position(score: number, member: string): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.before(mid, score, member)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(i: number, score: number, member: string): void {
    const n = this.n;
    const len = member.length;
    const used = this.offs[n]!;
    if (used + len > this.bytes.length) {
      const grown = allocBytes(Math.max(2 * this.bytes.length, used + len));
      this.bytes.copy(grown, 0, 0, used);
      this.bytes = grown;
    }
    const at = this.offs[i]!;
    this.bytes.copyWithin(at + len, at, used);
    writeLatin1(this.bytes, at, member);
    this.scores.copyWithin(i + 1, i, n);
    this.scores[i] = score;
    for (let k = n; k >= i; k--) this.offs[k + 1] = this.offs[k]! + len;
    this.offs[i] = at;
    this.n = n + 1;
  }

  remove(i: number): void {
    const n = this.n;
    const at = this.offs[i]!;
    const len = this.offs[i + 1]! - at;
    const used = this.offs[n]!;
    this.bytes.copyWithin(at, at + len, used);
    this.scores.copyWithin(i, i + 1, n);
    for (let k = i + 1; k <= n; k++) this.offs[k - 1] = this.offs[k]! - len;
    this.n = n - 1;
    // A buffer left mostly empty is given back.
    const left = used - len;
    if (this.bytes.length > MIN_BYTES && left < this.bytes.length >> 2) {
      const shrunk = allocBytes(Math.max(MIN_BYTES, 2 * left));
      this.bytes.copy(shrunk, 0, 0, left);
      this.bytes = shrunk;
    }
  }

  /** Append pairs [from, to) of `other`. */
  appendFrom(other: Chunk, from: number, to: number): void {
    for (let i = from; i < to; i++) this.insert(this.n, other.scores[i]!, other.member(i));
  }

  /** Bytes held: the arrays and the member buffer. */
  get heldBytes(): number {
    return 8 * CHUNK_MAX + 4 * (CHUNK_MAX + 1) + this.bytes.length;
  }
}

export class ScoreOrder {
  private chunks: Chunk[] = [new Chunk(MIN_BYTES)];
  size = 0;
  /** A Fenwick tree over the chunks' counts (1-based), or null until a rank is next asked. */
  private tree: Int32Array | null = null;

  /** The chunk where (score, member) is or would go: the first whose last pair is not before it. */
  private chunkFor(score: number, member: string): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = chunks[mid]!;
      if (c.before(c.n - 1, score, member)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private fenwick(): Int32Array {
    if (this.tree !== null) return this.tree;
    const n = this.chunks.length;
    const tree = new Int32Array(n + 1);
    for (let i = 1; i <= n; i++) {
      tree[i]! += this.chunks[i - 1]!.n;
      const j = i + (i & -i);
      if (j <= n) tree[j]! += tree[i]!;
    }
    this.tree = tree;
    return tree;
  }

  private counted(k: number, delta: number): void {
    const tree = this.tree;
    if (tree === null) return;
    for (let i = k + 1; i < tree.length; i += i & -i) tree[i]! += delta;
  }

  /** The rank of chunk k's first pair. */
  private base(k: number): number {
    const tree = this.fenwick();
    let s = 0;
    for (let i = k; i > 0; i -= i & -i) s += tree[i]!;
    return s;
  }

  /** The chunk holding rank `rank` (in range), and the pair's index in it. */
  private locate(rank: number): [chunk: number, index: number] {
    const last = this.chunks.length - 1;
    // The ends need no descent: ZPOPMIN and ZPOPMAX, ranges from either end.
    if (rank < this.chunks[0]!.n) return [0, rank];
    const fromEnd = this.size - 1 - rank;
    if (fromEnd < this.chunks[last]!.n) return [last, this.chunks[last]!.n - 1 - fromEnd];
    const tree = this.fenwick();
    let pos = 0;
    let rem = rank;
    for (let step = 1 << (31 - Math.clz32(tree.length - 1)); step > 0; step >>= 1) {
      if (pos + step < tree.length && tree[pos + step]! <= rem) {
        pos += step;
        rem -= tree[pos]!;
      }
    }
    return [pos, rem];
  }

  insert(score: number, member: string): void {
    let k = this.chunkFor(score, member);
    let chunk = this.chunks[k]!;
    if (chunk.n === CHUNK_MAX && k === this.chunks.length - 1 && chunk.before(CHUNK_MAX - 1, score, member)) {
      // Appending past the last pair (scores that only grow): a new chunk, the full one stays full.
      chunk = new Chunk(member.length);
      this.chunks.push(chunk);
      this.tree = null;
      k++;
    } else if (chunk.n === CHUNK_MAX && k === 0 && !chunk.before(0, score, member)) {
      // The same at the front.
      chunk = new Chunk(member.length);
      this.chunks.unshift(chunk);
      this.tree = null;
    } else if (chunk.n === CHUNK_MAX) {
      // Split in halves; the pair goes to the half that holds its place.
      const right = new Chunk(chunk.offs[CHUNK_MAX]! - chunk.offs[CHUNK_MAX >> 1]!);
      right.appendFrom(chunk, CHUNK_MAX >> 1, CHUNK_MAX);
      chunk.n = CHUNK_MAX >> 1;
      this.chunks.splice(k + 1, 0, right);
      this.tree = null;
      if (chunk.before(chunk.n - 1, score, member)) {
        k++;
        chunk = right;
      }
    }
    chunk.insert(chunk.position(score, member), score, member);
    this.size++;
    this.counted(k, 1);
  }

  /**
   * Give (old, member), which must be present, the score `score`: in place when the pair
   * keeps its place in the order, as Redis's zslUpdateScore does (ZINCRBY on a counter
   * among spread scores), else removed and inserted again.
   */
  rescore(old: number, score: number, member: string): void {
    const chunks = this.chunks;
    const k = this.chunkFor(old, member);
    const chunk = chunks[k]!;
    const i = chunk.position(old, member);
    const prev = i > 0 ? chunk : chunks[k - 1];
    const next = i + 1 < chunk.n ? chunk : chunks[k + 1];
    const afterPrev = prev === undefined || prev.before(i > 0 ? i - 1 : prev.n - 1, score, member);
    const beforeNext = next === undefined || !next.before(i + 1 < chunk.n ? i + 1 : 0, score, member);
    if (afterPrev && beforeNext) {
      chunk.scores[i] = score;
      return;
    }
    this.remove(old, member);
    this.insert(score, member);
  }

  /** Remove (score, member), which must be present. */
  remove(score: number, member: string): void {
    const k = this.chunkFor(score, member);
    const chunk = this.chunks[k]!;
    chunk.remove(chunk.position(score, member));
    this.size--;
    this.counted(k, -1);
    if (chunk.n >= MERGE_BELOW) return;
    if (chunk.n === 0) {
      if (this.chunks.length > 1) {
        this.chunks.splice(k, 1);
        this.tree = null;
      }
      return;
    }
    const next = this.chunks[k + 1];
    if (next !== undefined && chunk.n + next.n <= (3 * CHUNK_MAX) >> 2) {
      chunk.appendFrom(next, 0, next.n);
      this.chunks.splice(k + 1, 1);
      this.tree = null;
    }
  }

  /** The 0-based rank of (score, member), which must be present. */
  rank(score: number, member: string): number {
    const k = this.chunkFor(score, member);
    return this.base(k) + this.chunks[k]!.position(score, member);
  }

  at(rank: number): ZEntry {
    const [k, i] = this.locate(rank);
    return this.chunks[k]!.entry(i);
  }

  /** The score at `rank` (in range), with no entry made. */
  scoreAt(rank: number): number {
    const [k, i] = this.locate(rank);
    return this.chunks[k]!.scores[i]!;
  }

  /** The member at `rank` (in range) against `m` on its bytes, as Chunk.compareMember: <0, 0 or >0. */
  compareMemberAt(rank: number, m: string): number {
    const [k, i] = this.locate(rank);
    return this.chunks[k]!.compareMember(i, m);
  }

  /**
   * The number of pairs before the first whose score fails `below` (it holds for a prefix
   * of the order): bisection over the chunks' last pairs, then within the chunk.
   */
  countScoresBefore(below: (score: number) => boolean): number {
    return this.countWhile((c, i) => below(c.scores[i]!));
  }

  /**
   * The number of pairs whose member comes before `bound` (or is it, with `orEqual`), by
   * bytes in place: lex ranges, where all scores tie.
   */
  countMembersBefore(bound: string, orEqual: boolean): number {
    return this.countWhile((c, i) => {
      const d = c.compareMember(i, bound);
      return d < 0 || (orEqual && d === 0);
    });
  }

  private countWhile(holds: (chunk: Chunk, i: number) => boolean): number {
    if (this.size === 0) return 0;
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = chunks[mid]!;
      if (holds(c, c.n - 1)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === chunks.length) return this.size;
    const c = chunks[lo]!;
    let a = 0;
    let b = c.n;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (holds(c, mid)) a = mid + 1;
      else b = mid;
    }
    return this.base(lo) + a;
  }

  /** walk's pairs pushed onto `out`. */
  range(start: number, count: number, reverse: boolean, out: ZEntry[]): void {
    this.forRange(start, count, reverse, (chunk, i) => out.push(chunk.entry(i)));
  }

  /**
   * walk's pairs handed to `each` as the bytes they are kept in: the member is
   * bytes[from, to), valid during the call (replies copy it, with no string made).
   */
  forBytes(start: number, count: number, reverse: boolean, each: (bytes: Bytes, from: number, to: number, score: number) => void): void {
    this.forRange(start, count, reverse, (chunk, i) => each(chunk.bytes, chunk.offs[i]!, chunk.offs[i + 1]!, chunk.scores[i]!));
  }

  private forRange(start: number, count: number, reverse: boolean, each: (chunk: Chunk, i: number) => void): void {
    if (start < 0 || start >= this.size) return;
    let [k, i] = this.locate(start);
    for (let left = count; left > 0; left--) {
      const chunk = this.chunks[k];
      if (chunk === undefined) return;
      each(chunk, i);
      if (reverse) {
        if (--i < 0) {
          if (--k < 0) return;
          i = this.chunks[k]!.n - 1;
        }
      } else if (++i >= chunk.n) {
        k++;
        i = 0;
      }
    }
  }

  /** Pairs from rank `start` (in range) forward, or backward when reverse, at most `count`. */
  *walk(start: number, count: number, reverse: boolean): IterableIterator<ZEntry> {
    // Batches through range, of 8 pairs first and twice as many each time up to a chunk's
    // worth: a walk that stops after a few (a lex range's ends) makes few members' strings.
    const batch: ZEntry[] = [];
    for (let done = 0, size = 8; done < count; size = Math.min(2 * size, CHUNK_MAX)) {
      batch.length = 0;
      this.range(reverse ? start - done : start + done, Math.min(size, count - done), reverse, batch);
      if (batch.length === 0) return;
      yield* batch;
      done += batch.length;
    }
  }

  get heldBytes(): number {
    let n = 0;
    for (const c of this.chunks) n += c.heldBytes;
    return n;
  }
}
