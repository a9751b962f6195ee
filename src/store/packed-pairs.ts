/**
 * A small sorted set's (score, member) pairs in order in one buffer, as Redis's listpack
 * holds them: each pair is [score: 8-byte double][member length: 1 byte][member bytes],
 * so members are at most 255 bytes (PACKED_MAX_ELEMENT keeps them under). Pairs are found
 * by walking from the front, as a listpack is walked; the last position reached is kept,
 * so a walk in order costs O(1) a step. Members are byte strings (one char per byte).
 */

import { allocBytes, type Bytes, NO_BYTES, repeatsAny, writeLatin1 } from "./latin1.ts";
import type { Argv } from "../resp/argv.ts";
import type { LexRange, ScoreRange } from "./sorted-set.ts";
import type { ByteSlice, BytesSink, PackedBytes } from "./value.ts";
import { compareBytesTo, copyRange, formatDouble, rangesEqual } from "../resp/bytes.ts";

const PAIR_HEADER = 9;

/**
 * Loading a listpack sorted set: its pairs laid out as PackedPairs holds them while they
 * come as a valid one's do, members at most `maxMember` bytes, at most `maxPairs`, in
 * strictly rising (score, member) order, no member twice, no NaN. finish() false: the
 * caller builds the set pair by pair instead.
 */
export class PairsBuilder {
  private count = 0;
  private ok = true;
  private pairAt = -1;
  private previousAt = -1;
  private readonly from: number;

  /** The pairs are added to `out`, from its end. */
  constructor(
    private readonly out: PackedBytes,
    private readonly maxMember: number,
    private readonly maxPairs: number,
  ) {
    this.from = out.end;
  }

  member(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (!this.ok || n > this.maxMember || this.count >= this.maxPairs) {
      this.ok = false;
      return;
    }
    const out = this.out;
    const buf = out.room(PAIR_HEADER + n);
    const at = out.end;
    this.pairAt = at;
    buf[at + 8] = n;
    copyRange(src, start, end, buf, at + PAIR_HEADER);
    out.end = at + PAIR_HEADER + n;
  }

  score(score: number): void {
    if (!this.ok || Number.isNaN(score)) {
      this.ok = false;
      return;
    }
    const buf = this.out.room(0);
    const at = this.pairAt;
    buf.writeDoubleLE(score, at);
    const before = this.previousAt;
    if (before >= 0) {
      const s = buf.readDoubleLE(before);
      if (s > score || (s === score && compareMembers(buf, before, at) >= 0)) this.ok = false;
    }
    this.previousAt = at;
    this.count++;
  }

  /** Whether every pair came, and no member twice. */
  finish(): boolean {
    if (!this.ok || this.count === 0 || this.pairAt !== this.previousAt) return false;
    const buf = this.out.room(0);
    const members: number[] = [];
    for (let at = this.from; at < this.out.end; at += PAIR_HEADER + buf[at + 8]!) members.push(at + 8);
    return !repeatsAny(buf, members);
  }
}

/**
 * The members and scores of pairs laid out at buf[start, end), in turn, to `out` as a
 * listpack holds them: a score as its text, -0 as 0 (a save writes a small sorted set so,
 * from its object or from its key's cell).
 */
export function writePackedPairs(buf: Bytes, start: number, end: number, out: BytesSink): void {
  for (let at = start; at < end; ) {
    const n = buf[at + 8]!;
    out.bulkFrom(buf, at + PAIR_HEADER, at + PAIR_HEADER + n);
    const score = buf.readDoubleLE(at);
    out.bulkString(score === 0 ? "0" : formatDouble(score));
    at += PAIR_HEADER + n;
  }
}

/**
 * ZADD's step on a small sorted set held packed in its key's cell (Database.editPacked):
 * its pairs are out.buf[out.start, out.end), and the member src[start, end) goes in at
 * `score` (or, with `incr`, at its score plus `score` when it is there) as SortedSet.set
 * puts it while small; the score it has then is left in packedScoreSet. 1: added; 2: its
 * score changed; 0: the same score, nothing done; -1: the set would no longer be small
 * (more than `maxPairs` pairs, a member longer than `maxMember`) or the increment made
 * NaN, with nothing done either.
 */
export function setPackedScore(out: PackedBytes, score: number, src: Uint8Array, start: number, end: number, maxPairs: number, maxMember: number, incr = false): number {
  let b = out.buf as Bytes;
  const n = end - start;
  let count = 0;
  let found = -1;
  for (let at = out.start; at < out.end; at += PAIR_HEADER + b[at + 8]!) {
    count++;
    if (found < 0 && b[at + 8] === n && rangesEqual(b, at + PAIR_HEADER, at + PAIR_HEADER + n, src, start, end)) found = at;
  }
  if (found >= 0 && incr) {
    score += b.readDoubleLE(found);
    if (Number.isNaN(score)) return -1;
  }
  packedScoreSet = score;
  if (found >= 0) {
    if (b.readDoubleLE(found) === score) return 0;
    // Offsets are taken again from `start` once room() has made the bytes its own.
    const rel = found - out.start;
    b = out.room(0);
    const pair = out.start + rel;
    b.copyWithin(pair, pair + PAIR_HEADER + n, out.end);
    out.end -= PAIR_HEADER + n;
  } else if (n > maxMember || count >= maxPairs) return -1;
  // Its place in (score, member bytes) order, ties on the score by memcmp then length.
  let at = out.start;
  for (; at < out.end; at += PAIR_HEADER + b[at + 8]!) {
    const s = b.readDoubleLE(at);
    if (s > score) break;
    if (s !== score) continue;
    const m = Math.min(b[at + 8]!, n);
    let d = 0;
    for (let k = 0; k < m && d === 0; k++) d = b[at + PAIR_HEADER + k]! - src[start + k]!;
    if ((d === 0 ? b[at + 8]! - n : d) >= 0) break;
  }
  const rel = at - out.start;
  b = out.room(PAIR_HEADER + n);
  at = out.start + rel;
  b.copyWithin(at + PAIR_HEADER + n, at, out.end);
  // As insertAt: a listpack keeps -0 as the integer 0.
  b.writeDoubleLE(score === 0 ? 0 : score, at);
  b[at + 8] = n;
  copyRange(src, start, end, b, at + PAIR_HEADER);
  out.end += PAIR_HEADER + n;
  return found >= 0 ? 2 : 1;
}

/**
 * ZREM on a small sorted set held packed in its key's cell (Database.editPacked): the
 * members of `argv` from index 2 taken out of its pairs, out.buf[out.start, out.end); the
 * last one empties the key (`out.emptied`). Returns how many were there.
 */
export function removePackedMembers(out: PackedBytes, argv: Argv): number {
  let removed = 0;
  for (let i = 2; i < argv.length; i++) {
    const found = pairOf(out, argv.buffer(i), argv.start(i), argv.end(i));
    if (found < 0) continue;
    const rel = found - out.start;
    const b = out.room(0);
    const at = out.start + rel;
    b.copyWithin(at, at + PAIR_HEADER + b[at + 8]!, out.end);
    out.end -= PAIR_HEADER + argv.len(i);
    removed++;
  }
  if (removed > 0 && out.end === out.start) out.emptied = true;
  return removed;
}

/** Where, in a small sorted set's packed pairs, the pair of member src[start, end) starts, or -1. */
function pairOf(pairs: ByteSlice, src: Uint8Array, start: number, end: number): number {
  const b = pairs.buf as Bytes;
  const n = end - start;
  for (let at = pairs.start; at < pairs.end; at += PAIR_HEADER + b[at + 8]!) {
    if (b[at + 8] === n && rangesEqual(b, at + PAIR_HEADER, at + PAIR_HEADER + n, src, start, end)) return at;
  }
  return -1;
}

/** The score setPackedScore last left its member with. */
export let packedScoreSet = 0;

/** The rank of member src[start, end) in a small sorted set's packed pairs, or -1. */
export function packedRank(pairs: ByteSlice, src: Uint8Array, start: number, end: number): number {
  const b = pairs.buf as Bytes;
  const n = end - start;
  let rank = 0;
  for (let at = pairs.start; at < pairs.end; at += PAIR_HEADER + b[at + 8]!, rank++) {
    if (b[at + 8] === n && rangesEqual(b, at + PAIR_HEADER, at + PAIR_HEADER + n, src, start, end)) return rank;
  }
  return -1;
}

/** In a small sorted set's packed pairs (Database.packedForRead's view), the score of member src[start, end), or undefined. */
export function packedScore(pairs: ByteSlice, src: Uint8Array, start: number, end: number): number | undefined {
  const at = pairOf(pairs, src, start, end);
  return at < 0 ? undefined : (pairs.buf as Bytes).readDoubleLE(at);
}

/** Where a range of a small sorted set goes (a reply). */
export interface PairsSink {
  array(n: number): void;
  bulkFrom(source: Uint8Array, start: number, end: number): void;
  double(d: number): void;
}

/** Where each pair starts, for a range written backward and for packedLexRange (reused). */
const pairStarts: number[] = [];

/**
 * `count` pairs of a small sorted set's packed pairs from rank `first`, in order or, when
 * `reverse`, backward from it (as SortedSet.forRange takes them), to `out`: each member,
 * then its score when `withScores`, the two as an array of two when `asPairs` (RESP3).
 */
export function writePackedRange(pairs: ByteSlice, first: number, count: number, reverse: boolean, withScores: boolean, asPairs: boolean, out: PairsSink): void {
  const b = pairs.buf as Bytes;
  const from = reverse ? first - count + 1 : first;
  const starts = pairStarts;
  starts.length = 0;
  for (let at = pairs.start, i = 0; i < from + count; i++) {
    if (i >= from) {
      if (reverse) starts.push(at);
      else writePair(b, at, withScores, asPairs, out);
    }
    at += PAIR_HEADER + b[at + 8]!;
  }
  for (let k = starts.length - 1; k >= 0; k--) writePair(b, starts[k]!, withScores, asPairs, out);
}

function writePair(b: Bytes, at: number, withScores: boolean, asPairs: boolean, out: PairsSink): void {
  if (asPairs) out.array(2);
  out.bulkFrom(b, at + PAIR_HEADER, at + PAIR_HEADER + b[at + 8]!);
  if (withScores) out.double(b.readDoubleLE(at));
}

export function aboveMin(score: number, r: ScoreRange): boolean {
  return r.minex ? score > r.min : score >= r.min;
}
export function belowMax(score: number, r: ScoreRange): boolean {
  return r.maxex ? score < r.max : score <= r.max;
}

/** [start, end) ranks of the pairs whose scores are in `r`, in a small sorted set's packed pairs (as SortedSet.scoreRange). */
export function packedScoreRange(pairs: ByteSlice, r: ScoreRange): [number, number] {
  const b = pairs.buf as Bytes;
  let start = 0;
  let end = 0;
  // Scores rise: those below min are a prefix, and so are those up to max.
  for (let at = pairs.start; at < pairs.end; at += PAIR_HEADER + b[at + 8]!) {
    const score = b.readDoubleLE(at);
    if (!aboveMin(score, r)) start++;
    if (!belowMax(score, r)) break;
    end++;
  }
  return [start, Math.max(start, end)];
}

/** The member of the pair at `at` against `s` (compareBytesTo). */
const compareMember = (buf: Bytes, at: number, s: string) => compareBytesTo(buf, at + PAIR_HEADER, at + PAIR_HEADER + buf[at + 8]!, s);

const memberAboveMin = (buf: Bytes, at: number, r: LexRange) => r.min === undefined || (r.minex ? compareMember(buf, at, r.min) > 0 : compareMember(buf, at, r.min) >= 0);
const memberBelowMax = (buf: Bytes, at: number, r: LexRange) => r.max === undefined || (r.maxex ? compareMember(buf, at, r.max) < 0 : compareMember(buf, at, r.max) <= 0);

/**
 * [start, end) ranks of the pairs in a lex range, in a small sorted set's packed pairs, as
 * SortedSet.lexRange finds them in a listpack's order: the range checked against the ends,
 * then the run from the first member that enters it (from the tail when `reverse`) while
 * members stay in it, which over differing scores is Redis's own walk.
 */
export function packedLexRange(pairs: ByteSlice, r: LexRange, reverse: boolean): [number, number] {
  const b = pairs.buf as Bytes;
  const starts = pairStarts;
  starts.length = 0;
  for (let at = pairs.start; at < pairs.end; at += PAIR_HEADER + b[at + 8]!) starts.push(at);
  const n = starts.length;
  if (r.empty || n === 0) return [0, 0];
  if (r.min !== undefined && r.max !== undefined && (r.min > r.max || (r.min === r.max && (r.minex || r.maxex)))) return [0, 0];
  if (!memberAboveMin(b, starts[n - 1]!, r) || !memberBelowMax(b, starts[0]!, r)) return [0, 0];
  let first = -1;
  let i = 0;
  for (; i < n; i++) {
    const at = starts[reverse ? n - 1 - i : i]!;
    const stays = reverse ? memberAboveMin(b, at, r) : memberBelowMax(b, at, r);
    if (first >= 0) {
      if (!stays) break;
    } else if (reverse ? memberBelowMax(b, at, r) : memberAboveMin(b, at, r)) {
      if (!stays) return [0, 0];
      first = i;
    }
  }
  if (first < 0) return [0, 0];
  return reverse ? [n - i, n - first] : [first, i];
}

/** How many pairs a small sorted set's packed pairs hold. */
export function packedPairCount(pairs: ByteSlice): number {
  let count = 0;
  for (let at = pairs.start; at < pairs.end; at += PAIR_HEADER + pairs.buf[at + 8]!) count++;
  return count;
}

/** memcmp order of the members of the pairs at `a` and `b`, then by length. */
function compareMembers(buf: Bytes, a: number, b: number): number {
  const na = buf[a + 8]!;
  const nb = buf[b + 8]!;
  const m = Math.min(na, nb);
  for (let k = 0; k < m; k++) {
    const d = buf[a + PAIR_HEADER + k]! - buf[b + PAIR_HEADER + k]!;
    if (d !== 0) return d;
  }
  return na - nb;
}

export class PackedPairs {
  /** The number of pairs. */
  pairCount = 0;
  private buf: Bytes = NO_BYTES;
  private used = 0;
  /** Pair `atIndex` starts at byte `atOffset` (a remembered position). */
  private atIndex = 0;
  private atOffset = 0;

  /** The byte offset of pair i (0..length). */
  private offsetOf(i: number): number {
    let k = 0;
    let at = 0;
    if (i >= this.atIndex) {
      k = this.atIndex;
      at = this.atOffset;
    }
    const buf = this.buf;
    for (; k < i; k++) at += PAIR_HEADER + buf[at + 8]!;
    this.atIndex = i;
    this.atOffset = at;
    return at;
  }

  scoreAt(i: number): number {
    return this.buf.readDoubleLE(this.offsetOf(i));
  }

  memberAt(i: number): string {
    const at = this.offsetOf(i);
    return this.buf.latin1Slice(at + PAIR_HEADER, at + PAIR_HEADER + this.buf[at + 8]!);
  }

  /**
   * Pairs [first, last] handed to `each` as the bytes their members lie in (valid during
   * the call), in order or reversed: a reply copies them with no string made.
   */
  forPairBytes(first: number, last: number, reverse: boolean, each: (member: Bytes, from: number, to: number, score: number) => void): void {
    const buf = this.buf;
    let at = this.offsetOf(first);
    if (!reverse) {
      for (let i = first; i <= last; i++) {
        const end = at + PAIR_HEADER + buf[at + 8]!;
        each(buf, at + PAIR_HEADER, end, buf.readDoubleLE(at));
        at = end;
      }
      return;
    }
    const offsets: number[] = [];
    for (let i = first; i <= last; i++, at += PAIR_HEADER + buf[at + 8]!) offsets.push(at);
    for (let k = offsets.length - 1; k >= 0; k--) {
      const o = offsets[k]!;
      each(buf, o + PAIR_HEADER, o + PAIR_HEADER + buf[o + 8]!, buf.readDoubleLE(o));
    }
  }

  /** The index of `member`, or -1. */
  indexOfMember(member: string): number {
    const buf = this.buf;
    const len = member.length;
    for (let i = 0, at = 0; i < this.pairCount; i++) {
      const n = buf[at + 8]!;
      if (n === len) {
        let k = 0;
        const from = at + PAIR_HEADER;
        while (k < len && buf[from + k] === member.charCodeAt(k)) k++;
        if (k === len) {
          this.atIndex = i;
          this.atOffset = at;
          return i;
        }
      }
      at += PAIR_HEADER + n;
    }
    return -1;
  }

  /** Where (score, member) goes: the number of pairs before it in (score, member bytes) order. */
  positionOf(score: number, member: string): number {
    const buf = this.buf;
    let at = 0;
    let i = 0;
    for (; i < this.pairCount; i++) {
      const s = buf.readDoubleLE(at);
      const n = buf[at + 8]!;
      if (s > score) break;
      if (s === score) {
        // Ties on the score are ordered by member bytes, then length, as memcmp orders them.
        if (compareMember(buf, at, member) >= 0) break;
      }
      at += PAIR_HEADER + n;
    }
    this.atIndex = i;
    this.atOffset = at;
    return i;
  }

  insertAt(i: number, score: number, member: string): void {
    const at = this.offsetOf(i);
    const size = PAIR_HEADER + member.length;
    if (this.used + size > this.buf.length) {
      // Doubled (64 bytes at least): building a set of a few pairs grew it at every insert
      // by a quarter. Only the sets commands have opened hold a buffer; the rest are packed
      // into their keys' cells at their size (store/packed-values.ts).
      const grown = allocBytes(Math.max(this.used + size, 2 * this.buf.length, 64));
      this.buf.copy(grown, 0, 0, this.used);
      this.buf = grown;
    }
    const buf = this.buf;
    buf.copyWithin(at + size, at, this.used);
    // A listpack keeps -0 as the integer 0, so a small set answers 0 where a skiplist keeps -0.
    buf.writeDoubleLE(score === 0 ? 0 : score, at);
    buf[at + 8] = member.length;
    writeLatin1(buf, at + PAIR_HEADER, member);
    this.used += size;
    this.pairCount++;
  }

  removeAt(i: number): void {
    const at = this.offsetOf(i);
    const size = PAIR_HEADER + this.buf[at + 8]!;
    this.buf.copyWithin(at, at + size, this.used);
    this.used -= size;
    this.pairCount--;
    if (this.pairCount === 0) this.clearPairs();
  }

  /** Drop every pair and the buffer. */
  clearPairs(): void {
    this.buf = NO_BYTES;
    this.used = this.pairCount = this.atIndex = this.atOffset = 0;
  }

  /** The pairs' bytes, as packPairs writes them. */
  get pairsLength(): number {
    return this.used;
  }

  /** The pairs to `out` as a listpack holds them (writePackedPairs). */
  writePairs(out: BytesSink): void {
    writePackedPairs(this.buf, 0, this.used, out);
  }

  /** The pairs as they lie, at `at` of `out` (a small set held as bytes: store/packed-values.ts). */
  packPairs(out: Bytes, at: number): void {
    this.buf.copy(out, at, 0, this.used);
  }

  /** Take the pairs packPairs wrote at buf[start, end). */
  unpackPairs(buf: Bytes, start: number, end: number): void {
    const n = end - start;
    this.buf = allocBytes(Math.max(n, 16));
    buf.copy(this.buf, 0, start, end);
    this.used = n;
    let count = 0;
    for (let at = 0; at < n; at += PAIR_HEADER + this.buf[at + 8]!) count++;
    this.pairCount = count;
    this.atIndex = this.atOffset = 0;
  }

  /** Every member and every score, in order (a copy: the pairs may change meanwhile). */
  pairArrays(): [members: string[], scores: number[]] {
    const members = new Array<string>(this.pairCount);
    const scores = new Array<number>(this.pairCount);
    const buf = this.buf;
    for (let i = 0, at = 0; i < this.pairCount; i++) {
      const n = buf[at + 8]!;
      scores[i] = buf.readDoubleLE(at);
      members[i] = buf.latin1Slice(at + PAIR_HEADER, at + PAIR_HEADER + n);
      at += PAIR_HEADER + n;
    }
    return [members, scores];
  }
}
