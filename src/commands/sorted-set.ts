/**
 * Sorted-set commands (COMMAND DOCS group "sorted-set", ACL category @sortedset; file
 * named as DESIGN.md's layout names it). Every range command resolves its range to ranks
 * in the order (O(log n)) and then walks nodes, so ZRANGE, ZRANGEBYSCORE, ZRANGEBYLEX,
 * their REV forms, ZRANGESTORE and the ZREMRANGE family share selectRange (replies copy
 * the selected pairs from the set's bytes); ZUNION, ZINTER, ZDIFF and their STORE forms
 * share zsetOpGeneric, as in Redis's t_zset.c. Scores are doubles with Redis's parsing
 * and printing rules (see bytes.ts).
 */
import type { Argv } from "../resp/argv.ts";
import {
  LIMIT_NEEDS_BY, LIMIT_NEGATIVE, MIN_MAX_NOT_FLOAT, MIN_MAX_NOT_LEX, MUST_BE_POSITIVE,
  SYNTAX_ERR, WEIGHT_NOT_FLOAT, WITHSCORES_BYLEX, WRONGTYPE, ZADD_GT_LT_NX,
  VALUE_OUT_OF_RANGE, ZADD_INCR_PAIRS, ZADD_XX_NX, ZSET_NAN, atLeastOneKey, valueOutOfRange,
} from "../errors.ts";
import { bytesToString, formatDouble, lowerAscii, parseInt64Big, parseRangeDouble } from "../resp/bytes.ts";
import { type Context, serveOrBlock } from "./context.ts";
import { NotifyClass } from "../keyspace-events.ts";
import { SetValue } from "../store/set.ts";
import { type LexRange, type ScoreRange, SortedSet, type ZEntry } from "../store/sorted-set.ts";
import { encodingLimits } from "../store/encoding.ts";
import { clampRange } from "../store/list.ts";
import { PACKED_MAX_ELEMENT } from "../store/packed.ts";
import { packedLexRange, packedPairCount, packedRank, packedScore, packedScoreRange, packedScoreSet, removePackedMembers, setPackedScore, writePackedRange } from "../store/packed-pairs.ts";
import type { PackedBytes } from "../store/value.ts";
import { ArgCursor, parseDoubleArg, parseRangeArg, parseTimeout } from "./args.ts";
import { type CommandFlag, type FullKeySpec, command } from "./command.ts";
import { scanGeneric, scanValue } from "./generic.ts";
import { parseMpopArgs } from "./list.ts";

const lookupZset = (c: Context, key: string) => c.db.readAs(key, SortedSet);
/**
 * The pairs of the small sorted set at argv[1] where it is packed in the key's cell
 * (Database.packedForRead), none for a missing key (the commands reading it answer that
 * as an empty set), or undefined for the usual way.
 */
const packedZset = (c: Context, argv: Argv) => c.db.packedForRead(argv.buffer(1), argv.start(1), argv.end(1), "zset", true);


/** zslParseRange: `(` makes a bound exclusive. */
export function parseScoreRange(minArg: string, maxArg: string): ScoreRange {
  const bound = (s: string): [number, boolean] => {
    const exclusive = s.startsWith("(");
    const d = parseRangeDouble(exclusive ? s.slice(1) : s);
    if (d === undefined) throw MIN_MAX_NOT_FLOAT;
    return [d, exclusive];
  };
  const [min, minex] = bound(minArg);
  const [max, maxex] = bound(maxArg);
  return { min, max, minex, maxex };
}

/** zslParseLexRange: `[` inclusive, `(` exclusive, `-` and `+` the ends of the order. */
export function parseLexRange(minArg: string, maxArg: string): LexRange {
  const item = (s: string): { value: string | undefined; ex: boolean; end?: "-" | "+" } => {
    if (s === "+" || s === "-") return { value: undefined, ex: true, end: s };
    if (s.startsWith("(")) return { value: s.slice(1), ex: true };
    if (s.startsWith("[")) return { value: s.slice(1), ex: false };
    throw MIN_MAX_NOT_LEX;
  };
  const min = item(minArg);
  const max = item(maxArg);
  return { min: min.value, max: max.value, minex: min.ex, maxex: max.ex, empty: min.end === "+" || max.end === "-" };
}

const enum ZaddFlag {
  None = 0,
  NX = 1,
  XX = 2,
  GT = 4,
  LT = 8,
  CH = 16,
  INCR = 32,
}

/**
 * ZADD and ZINCRBY: every score is parsed before anything changes, so a bad score leaves
 * the set untouched. Replies the number added (or changed with CH), or the new score with
 * INCR (null when NX/XX/GT/LT skipped it).
 */
const NO_SCORES: number[] = [];
/** The request zaddPacked works on: its scores, options and where its pairs start. */
let zaddScores = NO_SCORES;
let zaddFlags = ZaddFlag.None;
let zaddAt = 0;
/** What zaddPacked changed (Redis's dirty, and whether to announce it), how many it took, and its last score. */
let zaddUpdated = 0;
let zaddProcessed = 0;
let zaddScore = 0;

/**
 * ZADD (and ZINCRBY) on a small sorted set's packed pairs (Database.editPacked), as the
 * loop of zaddGeneric below does it on an object: the pairs of argv from zaddAt, their
 * scores in zaddScores, with zaddFlags. Returns the members added, or -1 when the set
 * would no longer be small or an increment makes NaN, for the usual way (which answers
 * that error).
 */
function zaddPacked(out: PackedBytes, argv: Argv): number {
  const flags = zaddFlags;
  const maxMember = Math.min(encodingLimits.zsetMaxListpackValue, PACKED_MAX_ELEMENT);
  let added = 0;
  zaddUpdated = zaddProcessed = 0;
  for (let i = 0; i < zaddScores.length; i++) {
    const m = zaddAt + 2 * i + 1;
    const src = argv.buffer(m);
    const start = argv.start(m);
    const end = argv.end(m);
    let score = zaddScores[i]!;
    // Without NX, XX, GT or LT the member is set (or incremented) as it is found, in one walk.
    if ((flags & ~(ZaddFlag.CH | ZaddFlag.INCR)) === 0) {
      const set = setPackedScore(out, score, src, start, end, encodingLimits.zsetMaxListpackEntries, maxMember, (flags & ZaddFlag.INCR) !== 0);
      if (set < 0) return -1;
      if (set === 1) added++;
      else if (set === 2) zaddUpdated++;
      zaddProcessed++;
      zaddScore = packedScoreSet;
      continue;
    }
    const current = packedScore(out, src, start, end);
    if (current !== undefined) {
      if (flags & ZaddFlag.NX) continue;
      if (flags & ZaddFlag.INCR) score += current;
      if (Number.isNaN(score)) return -1;
      if ((flags & ZaddFlag.LT && score >= current) || (flags & ZaddFlag.GT && score <= current)) continue;
      if (score !== current) {
        if (setPackedScore(out, score, src, start, end, encodingLimits.zsetMaxListpackEntries, maxMember) < 0) return -1;
        zaddUpdated++;
      }
    } else if (!(flags & ZaddFlag.XX)) {
      if (setPackedScore(out, score, src, start, end, encodingLimits.zsetMaxListpackEntries, maxMember) < 0) return -1;
      added++;
    } else continue;
    zaddProcessed++;
    zaddScore = score;
  }
  return added;
}

export function zaddGeneric(c: Context, argv: Argv, flags = ZaddFlag.None): void {
  let at = 2;
  for (; at < argv.length; at++) {
    // Options are words; a score starts with a digit, a sign or a dot (or is "inf").
    if (argv.firstByte(at) < 0x41) break;
    const opt = argv.keyword(at);
    if (opt === "nx") flags |= ZaddFlag.NX;
    else if (opt === "xx") flags |= ZaddFlag.XX;
    else if (opt === "ch") flags |= ZaddFlag.CH;
    else if (opt === "incr") flags |= ZaddFlag.INCR;
    else if (opt === "gt") flags |= ZaddFlag.GT;
    else if (opt === "lt") flags |= ZaddFlag.LT;
    else break;
  }
  const pairs = argv.length - at;
  if (pairs === 0 || pairs % 2 !== 0) throw SYNTAX_ERR;
  if (flags & ZaddFlag.NX && flags & ZaddFlag.XX) throw ZADD_XX_NX;
  if ((flags & ZaddFlag.NX && flags & (ZaddFlag.GT | ZaddFlag.LT)) || (flags & ZaddFlag.GT && flags & ZaddFlag.LT)) throw ZADD_GT_LT_NX;
  if (flags & ZaddFlag.INCR && pairs > 2) throw ZADD_INCR_PAIRS;
  const scores: number[] = [];
  for (let i = at; i < argv.length; i += 2) scores.push(parseDoubleArg(argv, i));
  const incr = (flags & ZaddFlag.INCR) !== 0;
  // A small sorted set is changed on its bytes in the key's cell where it can be
  // (Database.editPacked).
  zaddScores = scores;
  zaddFlags = flags;
  zaddAt = at;
  const packed = c.db.editPacked(argv.buffer(1), argv.start(1), argv.end(1), "zset", 0, zaddPacked, argv);
  zaddScores = NO_SCORES;
  if (packed >= 0) {
    if (packed + zaddUpdated > 0) c.db.countChanges(packed + zaddUpdated);
    return zaddReply(c, argv, flags, packed, zaddUpdated, zaddProcessed, zaddScore);
  }

  const key = argv.str(1);
  const existing = c.db.writeAs(key, SortedSet);
  if (existing === undefined && flags & ZaddFlag.XX) return incr ? c.reply.null() : c.reply.integer(0);
  const zset = existing ?? c.db.writeOrCreate(key, SortedSet, () => new SortedSet());
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  for (let i = 0; i < scores.length; i++) {
    score = scores[i]!;
    const member = argv.str(at + 2 * i + 1);
    const current = zset.score(member);
    if (current !== undefined) {
      if (flags & ZaddFlag.NX) continue;
      if (incr) {
        score += current;
        if (Number.isNaN(score)) throw ZSET_NAN;
      }
      if ((flags & ZaddFlag.LT && score >= current) || (flags & ZaddFlag.GT && score <= current)) continue;
      if (score !== current) {
        zset.set(member, score);
        updated++;
      }
      processed++;
    } else if (!(flags & ZaddFlag.XX)) {
      zset.set(member, score);
      added++;
      processed++;
    }
  }
  // Nothing added or changed (NX, XX, GT, LT, the same score): no write to watch or replicate.
  if (added + updated > 0) c.db.modified(key, added + updated);
  zaddReply(c, argv, flags, added, updated, processed, score);
}

/** ZADD's event and reply, once its changes are counted. */
function zaddReply(c: Context, argv: Argv, flags: ZaddFlag, added: number, updated: number, processed: number, score: number): void {
  const incr = (flags & ZaddFlag.INCR) !== 0;
  if (added + updated > 0 && c.notifies(NotifyClass.Zset)) c.notify(NotifyClass.Zset, incr ? "zincr" : "zadd", argv.str(1));
  if (incr) {
    if (processed > 0) c.reply.double(score);
    else c.reply.null();
  } else {
    c.reply.integer(flags & ZaddFlag.CH ? added + updated : added);
  }
}

export const zaddCommand = command({
  name: "zadd", events: "after", arity: -4, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["sortedset"],
  history: [["2.4.0", "Accepts multiple elements."], ["3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options."], ["6.2.0", "Added the `GT` and `LT` options."]],
  args: "key:key#0 condition(NX|XX)?@3.0.2 comparison(GT|LT)?@6.2.0 CH/change?@3.0.2 INCR/increment?@3.0.2 score_member{score:double member:string}...",
  summary: "Add one or more members to a sorted set, or update its score if it already exists", since: "1.2.0",
  complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
  handler: (c, argv) => zaddGeneric(c, argv, ZaddFlag.None),
});

export const zincrbyCommand = command({
  name: "zincrby", events: "after", arity: 4, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "update"] }, categories: ["sortedset"],
  args: "key:key#0 increment:integer member:string",
  summary: "Increment the score of a member in a sorted set", since: "1.2.0", complexity: "O(log(N)) where N is the number of elements in the sorted set.",
  handler: (c, argv) => zaddGeneric(c, argv, ZaddFlag.INCR),
});

export const zremCommand = command({
  name: "zrem", events: "before", notify: [NotifyClass.Zset, "zrem"], arity: -3, flags: ["write", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "delete"] }, categories: ["sortedset"],
  history: [["2.4.0", "Accepts multiple elements."]],
  args: "key:key#0 member:string...",
  summary: "Remove one or more members from a sorted set", since: "1.2.0",
  complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
  handler: (c, argv) => c.reply.integer(c.db.removeMembers(argv, "zset", removePackedMembers, SortedSet, (z, m) => z.delete(m))),
});

export const zscoreCommand = command({
  name: "zscore", arity: 3, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["sortedset"],
  args: "key:key#0 member:string",
  summary: "Get the score associated with the given member in a sorted set", since: "1.2.0",
  handler(c, argv) {
    const pairs = packedZset(c, argv);
    const score = pairs !== undefined ? packedScore(pairs, argv.buffer(2), argv.start(2), argv.end(2)) : lookupZset(c, argv.str(1))?.score(argv.str(2));
    if (score === undefined) c.reply.null();
    else c.reply.double(score);
  },
});

export const zmscoreCommand = command({
  name: "zmscore", arity: -3, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["sortedset"],
  args: "key:key#0 member:string...",
  summary: "Get the score associated with the given members in a sorted set", since: "6.2.0",
  complexity: "O(N) where N is the number of members being requested.",
  handler(c, argv) {
    const pairs = packedZset(c, argv);
    const zset = pairs === undefined ? lookupZset(c, argv.str(1)) : undefined;
    c.reply.array(argv.length - 2);
    for (let i = 2; i < argv.length; i++) {
      const score = pairs !== undefined ? packedScore(pairs, argv.buffer(i), argv.start(i), argv.end(i)) : zset?.score(argv.str(i));
      if (score === undefined) c.reply.null();
      else c.reply.double(score);
    }
  },
});

export const zcardCommand = command({
  name: "zcard", arity: 2, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RO"] }, categories: ["sortedset"],
  args: "key:key#0",
  summary: "Get the number of members in a sorted set", since: "1.2.0",
  handler(c, argv) {
    const pairs = packedZset(c, argv);
    c.reply.integer(pairs !== undefined ? packedPairCount(pairs) : (lookupZset(c, argv.str(1))?.size ?? 0));
  },
});

export const zcountCommand = command({
  name: "zcount", arity: 4, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["sortedset"],
  args: "key:key#0 min:double max:double",
  summary: "Count the members in a sorted set with scores within the given values", since: "2.0.0",
  complexity: "O(log(N)) with N being the number of elements in the sorted set.",
  handler(c, argv) {
    const range = parseScoreRange(argv.str(2), argv.str(3));
    const pairs = packedZset(c, argv);
    const zset = pairs === undefined ? lookupZset(c, argv.str(1)) : undefined;
    if (pairs === undefined && zset === undefined) return c.reply.integer(0);
    const [start, end] = pairs !== undefined ? packedScoreRange(pairs, range) : zset!.scoreRange(range);
    c.reply.integer(end - start);
  },
});

export const zlexcountCommand = command({
  name: "zlexcount", arity: 4, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["sortedset"],
  args: "key:key#0 min:string max:string",
  summary: "Count the number of members in a sorted set between a given lexicographical range", since: "2.8.9",
  complexity: "O(log(N)) with N being the number of elements in the sorted set.",
  handler(c, argv) {
    const range = parseLexRange(argv.str(2), argv.str(3));
    // A small sorted set is counted on its bytes in the key's cell (a listpack's count is its range's length).
    const pairs = packedZset(c, argv);
    if (pairs !== undefined) {
      const [start, end] = packedLexRange(pairs, range, false);
      return c.reply.integer(end - start);
    }
    const zset = lookupZset(c, argv.str(1));
    if (zset === undefined) return c.reply.integer(0);
    c.reply.integer(zset.lexCount(range));
  },
});

const enum RangeBy {
  Auto,
  Rank,
  Score,
  Lex,
}

/** A parsed range request: which kind, the bounds, REV, and LIMIT (offset -1 for none). */
interface RangeRequest {
  by: RangeBy;
  reverse: boolean;
  rank?: [number, number];
  score?: ScoreRange;
  lex?: LexRange;
  offset: number;
  limit: number;
  /** ZREMRANGEBY*: the range is found as Redis's removal finds it (SortedSet.lexRange). */
  removing?: boolean;
}

/**
 * Where the pairs a range request selects lie, in reply order: `count` from rank `first`,
 * backward when the request is reversed. Score and lex ranges are located by rank in
 * O(log n); LIMIT skips `offset` (a negative offset selects nothing, as in Redis) and
 * takes `limit` (negative: all).
 */
function selectRange(zset: SortedSet, req: RangeRequest): [first: number, count: number] {
  if (req.by === RangeBy.Rank) return selectRanks(req, zset.size);
  return selectLimit(req, ...(req.by === RangeBy.Score ? zset.scoreRange(req.score!) : zset.lexRange(req.lex!, req.reverse, req.removing)));
}

/** selectRange of a range by rank over `n` pairs. */
function selectRanks(req: RangeRequest, n: number): [first: number, count: number] {
  const clamped = clampRange(req.rank![0], req.rank![1], n);
  if (clamped === undefined) return [0, 0];
  const [first, last] = clamped;
  return [req.reverse ? n - 1 - first : first, last - first + 1];
}

/** selectRange of the pairs ranked [start, end), LIMIT applied. */
function selectLimit(req: RangeRequest, start: number, end: number): [first: number, count: number] {
  if (req.offset < 0 || start >= end) return [0, 0];
  const count = end - start - req.offset;
  if (count <= 0) return [0, 0];
  return [req.reverse ? end - 1 - req.offset : start + req.offset, req.limit < 0 ? count : Math.min(count, req.limit)];
}

/** The pairs a range request selects, in reply order. */
function rangeNodes(zset: SortedSet, req: RangeRequest): ZEntry[] {
  const [first, count] = selectRange(zset, req);
  return zset.range(first, count, req.reverse);
}

/** The pairs a range request selects as a reply, copied from the set's bytes (no member strings). */
function replyRange(c: Context, zset: SortedSet | undefined, req: RangeRequest, withScores: boolean): void {
  const [first, count] = zset === undefined ? [0, 0] : selectRange(zset, req);
  const reply = c.reply;
  const pairs = withScores && reply.resp === 3;
  reply.array(withScores && !pairs ? count * 2 : count);
  zset?.forRange(first, count, req.reverse, (member, from, to, score) => {
    if (pairs) reply.array(2);
    reply.bulkFrom(member, from, to);
    if (withScores) reply.double(score);
  });
}

/** Members, with their scores when asked: flat in RESP2, [member, score] pairs in RESP3. */
function replyNodes(c: Context, nodes: readonly ZEntry[], withScores: boolean): void {
  const pairs = withScores && c.reply.resp === 3;
  c.reply.array(withScores && !pairs ? nodes.length * 2 : nodes.length);
  for (const node of nodes) replyNode(c, node, withScores, pairs);
}

/** One member of replyNodes's reply: with its score, paired with it in RESP3. */
function replyNode(c: Context, node: ZEntry, withScores: boolean, pairs: boolean): void {
  if (pairs) c.reply.array(2);
  c.reply.bulkString(node.member);
  if (withScores) c.reply.double(node.score);
}

/**
 * ZRANGE and its relatives, as zrangeGenericCommand parses them: the source key at
 * `keyAt`, the two bounds after it, then options that each variant allows (`by` and
 * `reverse` fixed by the older commands). `store` is ZRANGESTORE's destination.
 */
function zrangeGeneric(c: Context, argv: Argv, keyAt: number, fixedBy: RangeBy, fixedReverse: boolean | undefined, store?: Uint8Array): void {
  let by = fixedBy;
  let reverse = fixedReverse;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  let hasLimit = false;
  for (let i = keyAt + 3; i < argv.length; i++) {
    const opt = argv.keyword(i);
    const left = argv.length - i - 1;
    if (store === undefined && opt === "withscores") withScores = true;
    else if (opt === "limit" && left >= 2) {
      offset = argv.int(i + 1);
      limit = argv.int(i + 2);
      hasLimit = true;
      i += 2;
    } else if (reverse === undefined && opt === "rev") reverse = true;
    else if (by === RangeBy.Auto && opt === "bylex") by = RangeBy.Lex;
    else if (by === RangeBy.Auto && opt === "byscore") by = RangeBy.Score;
    else throw SYNTAX_ERR;
  }
  if (by === RangeBy.Auto) by = RangeBy.Rank;
  const rev = reverse === true;
  if (hasLimit && by === RangeBy.Rank) throw LIMIT_NEEDS_BY;
  if (withScores && by === RangeBy.Lex) throw WITHSCORES_BYLEX;
  // Score and lex ranges are given as max, min when reversed.
  const [lo, hi] = rev && by !== RangeBy.Rank ? [keyAt + 2, keyAt + 1] : [keyAt + 1, keyAt + 2];
  const req: RangeRequest = { by, reverse: rev, offset, limit };
  if (by === RangeBy.Rank) req.rank = [argv.int(lo), argv.int(hi)];
  else if (by === RangeBy.Score) req.score = parseScoreRange(argv.str(lo), argv.str(hi));
  else req.lex = parseLexRange(argv.str(lo), argv.str(hi));

  // A range of a small sorted set: from its bytes in the key's cell.
  const pairs = store === undefined ? c.db.packedForRead(argv.buffer(keyAt), argv.start(keyAt), argv.end(keyAt), "zset", true) : undefined;
  if (pairs !== undefined) {
    const [first, count] =
      by === RangeBy.Rank ? selectRanks(req, packedPairCount(pairs))
      : by === RangeBy.Lex ? selectLimit(req, ...packedLexRange(pairs, req.lex!, rev))
      : selectLimit(req, ...packedScoreRange(pairs, req.score!));
    const asPairs = withScores && c.reply.resp === 3;
    c.reply.array(withScores && !asPairs ? count * 2 : count);
    if (count > 0) writePackedRange(pairs, first, count, rev, withScores, asPairs, c.reply);
    return;
  }
  const zset = lookupZset(c, argv.str(keyAt));
  if (store === undefined) return replyRange(c, zset, req, withScores);
  const nodes = zset === undefined ? [] : rangeNodes(zset, req);
  // Created for the range's size, as Redis's zsetTypeCreate: a large one keeps its -0 scores.
  const result = new SortedSet();
  if (nodes.length > encodingLimits.zsetMaxListpackEntries) result.convertToSkiplist();
  for (const node of nodes) result.set(node.member, node.score);
  storeZset(c, store, result);
}

/** Store a computed sorted set (deleting the key when it is empty) and reply its size. */
function storeZset(c: Context, destArg: Uint8Array, result: SortedSet): void {
  const dest = bytesToString(destArg);
  if (result.size > 0) {
    c.db.setKey(dest, result);
    c.notify(NotifyClass.Zset, c.lastCommand, dest);
  } else if (c.db.delete(dest)) c.notify(NotifyClass.Generic, "del", dest);
  c.reply.integer(result.size);
}

const rangeSpec = { arity: -4, flags: ["readonly"] as CommandFlag[], keys: { first: 1, last: 1, step: 1 }, categories: ["sortedset"] };
const RANGE_COMPLEXITY = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.";
const RANGE_BY_COMPLEXITY =
  "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).";

export const zrangeCommand = command({
  ...rangeSpec, name: "zrange", summary: "Return a range of members in a sorted set", since: "1.2.0",
  history: [["6.2.0", "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options."]],
  args: "key:key#0 start:string stop:string sortby(BYSCORE|BYLEX)?@6.2.0 REV?@6.2.0 LIMIT=offset_count{offset:integer count:integer}?@6.2.0 WITHSCORES?",
  complexity: RANGE_COMPLEXITY,
  handler: (c, argv) => zrangeGeneric(c, argv, 1, RangeBy.Auto, undefined),
});

export const zrangestoreCommand = command({
  name: "zrangestore", events: "after", arity: -5, flags: ["write", "denyoom"], keys: { first: 1, last: 2, step: 1 },
  args: "dst:key#0 src:key#1 min:string max:string sortby(BYSCORE|BYLEX)? REV? LIMIT=offset_count{offset:integer count:integer}?",
  keySpecs: [
    { flags: ["OW", "update"], begin: { index: 1 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
    { flags: ["RO", "access"], begin: { index: 2 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
  ],
  categories: ["sortedset"],
  summary: "Store a range of members from sorted set into another key", since: "6.2.0",
  complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
  handler: (c, argv) => zrangeGeneric(c, argv, 2, RangeBy.Auto, undefined, argv.bytes(1)),
});

export const zrangebyscoreCommand = command({
  ...rangeSpec, name: "zrangebyscore", summary: "Return a range of members in a sorted set, by score", since: "1.0.5",
  docFlags: ["deprecated"], deprecatedSince: "6.2.0", replacedBy: "`ZRANGE` with the `BYSCORE` argument",
  history: [["2.0.0", "Added the `WITHSCORES` modifier."]],
  args: "key:key#0 min:double max:double WITHSCORES?@2.0.0 LIMIT=offset_count{offset:integer count:integer}?",
  complexity: RANGE_BY_COMPLEXITY,
  handler: (c, argv) => zrangeGeneric(c, argv, 1, RangeBy.Score, false),
});

export const zrevrangebyscoreCommand = command({
  ...rangeSpec, name: "zrevrangebyscore", summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low", since: "2.2.0",
  docFlags: ["deprecated"], deprecatedSince: "6.2.0", replacedBy: "`ZRANGE` with the `REV` and `BYSCORE` arguments",
  history: [["2.1.6", "`min` and `max` can be exclusive."]],
  args: "key:key#0 max:double min:double WITHSCORES? LIMIT=offset_count{offset:integer count:integer}?",
  complexity: RANGE_BY_COMPLEXITY,
  handler: (c, argv) => zrangeGeneric(c, argv, 1, RangeBy.Score, true),
});

export const zrangebylexCommand = command({
  ...rangeSpec, name: "zrangebylex", summary: "Return a range of members in a sorted set, by lexicographical range", since: "2.8.9",
  docFlags: ["deprecated"], deprecatedSince: "6.2.0", replacedBy: "`ZRANGE` with the `BYLEX` argument",
  args: "key:key#0 min:string max:string LIMIT=offset_count{offset:integer count:integer}?",
  complexity: RANGE_BY_COMPLEXITY,
  handler: (c, argv) => zrangeGeneric(c, argv, 1, RangeBy.Lex, false),
});

export const zrevrangebylexCommand = command({
  ...rangeSpec, name: "zrevrangebylex", summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", since: "2.8.9",
  docFlags: ["deprecated"], deprecatedSince: "6.2.0", replacedBy: "`ZRANGE` with the `REV` and `BYLEX` arguments",
  args: "key:key#0 max:string min:string LIMIT=offset_count{offset:integer count:integer}?",
  complexity: RANGE_BY_COMPLEXITY,
  handler: (c, argv) => zrangeGeneric(c, argv, 1, RangeBy.Lex, true),
});

export const zrevrangeCommand = command({
  ...rangeSpec, name: "zrevrange", summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low", since: "1.2.0",
  docFlags: ["deprecated"], deprecatedSince: "6.2.0", replacedBy: "`ZRANGE` with the `REV` argument",
  args: "key:key#0 start:integer stop:integer WITHSCORES?",
  complexity: RANGE_COMPLEXITY,
  handler: (c, argv) => zrangeGeneric(c, argv, 1, RangeBy.Rank, true),
});

/** ZRANK and ZREVRANK. */
function zrankGeneric(c: Context, argv: Argv, reverse: boolean): void {
  const pairs = packedZset(c, argv);
  if (pairs !== undefined) {
    const rank = packedRank(pairs, argv.buffer(2), argv.start(2), argv.end(2));
    return rank < 0 ? c.reply.null() : c.reply.integer(reverse ? packedPairCount(pairs) - 1 - rank : rank);
  }
  const zset = lookupZset(c, argv.str(1));
  const rank = zset?.rank(argv.str(2));
  if (rank === undefined) return c.reply.null();
  c.reply.integer(reverse ? zset!.size - 1 - rank : rank);
}

export const zrankCommand = command({
  name: "zrank", arity: 3, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["sortedset"],
  args: "key:key#0 member:string",
  summary: "Determine the index of a member in a sorted set", since: "2.0.0", complexity: "O(log(N))",
  handler: (c, argv) => zrankGeneric(c, argv, false),
});

export const zrevrankCommand = command({
  name: "zrevrank", arity: 3, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["sortedset"],
  args: "key:key#0 member:string",
  summary: "Determine the index of a member in a sorted set, with scores ordered from high to low", since: "2.0.0", complexity: "O(log(N))",
  handler: (c, argv) => zrankGeneric(c, argv, true),
});

/**
 * The pop family (ZPOPMIN, ZPOPMAX, ZMPOP): the first existing key among `keys` (any other
 * type is WRONGTYPE), `count` elements from the chosen end. `count` -1 is the plain form.
 * `nested` replies [member, score] pairs; `withKey` prefixes the key (ZMPOP).
 */
function zpopGeneric(c: Context, keys: string[], max: boolean, count: number, nested: boolean, withKey: boolean): string | undefined {
  let key = "";
  let zset: SortedSet | undefined;
  for (key of keys) {
    zset = c.db.writeAs(key, SortedSet);
    if (zset !== undefined) break;
  }
  if (zset === undefined) return void (withKey ? c.reply.nullArray() : c.reply.array(0));
  if (count === 0) return void c.reply.array(0);
  const n = Math.min(count === -1 ? 1 : count, zset.size);
  const popped: ZEntry[] = [];
  for (let i = 0; i < n; i++) {
    const node = zset.at(max ? zset.size - 1 : 0);
    popped.push(node);
    zset.delete(node.member);
  }
  if (withKey) {
    c.reply.array(2);
    c.reply.bulkString(key);
  }
  c.reply.array(nested ? n : n * 2);
  // Redis announces the pop between the array's header and its elements (a client that
  // listens to its own events in RESP3 gets it there); the del of an emptied set follows.
  c.notify(NotifyClass.Zset, max ? "zpopmax" : "zpopmin", key);
  for (const node of popped) {
    if (nested) c.reply.array(2);
    c.reply.bulkString(node.member);
    c.reply.double(node.score);
  }
  c.db.removed(key, n);
  // ZMPOP and BZMPOP go to replicas as the pop they made, with its count (as Redis rewrites them).
  if (withKey) c.propagateAs([max ? "ZPOPMAX" : "ZPOPMIN", key, String(n)]);
  return key;
}

function zpopMinMax(c: Context, argv: Argv, max: boolean): void {
  if (argv.length > 3) throw SYNTAX_ERR;
  const count = argv.length === 3 ? parseRangeArg(argv.bytes(2), 0, MUST_BE_POSITIVE) : -1;
  // RESP3 pairs members with scores only when a count was given.
  zpopGeneric(c, [argv.str(1)], max, count, c.reply.resp === 3 && count !== -1, false);
}

const popSpec = {
  arity: -2, flags: ["write", "fast"] as CommandFlag[], keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "delete"] }, categories: ["sortedset"],
  complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
};

export const zpopminCommand = command({
  ...popSpec, name: "zpopmin", summary: "Remove and return members with the lowest scores in a sorted set", since: "5.0.0",
  args: "key:key#0 count:integer?",
  handler: (c, argv) => zpopMinMax(c, argv, false),
});

export const zpopmaxCommand = command({
  ...popSpec, name: "zpopmax", summary: "Remove and return members with the highest scores in a sorted set", since: "5.0.0",
  args: "key:key#0 count:integer?",
  handler: (c, argv) => zpopMinMax(c, argv, true),
});

/** MIN or MAX (any case): true for MAX. */
function parseMinMax(arg: Uint8Array): boolean {
  const word = lowerAscii(arg);
  if (word === "min") return false;
  if (word === "max") return true;
  throw SYNTAX_ERR;
}

export const zmpopCommand = command({
  name: "zmpop", arity: -4, flags: ["write"],
  args: "numkeys:integer key:key#0... where(MIN|MAX) COUNT=count:integer?",
  keySpecs: [{ flags: ["RW", "access", "delete"], begin: { index: 1 }, find: { keynumidx: 0, firstkey: 1, keystep: 1 } }], categories: ["sortedset"],
  summary: "Remove and return members with scores in a sorted set", since: "7.0.0",
  complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
  handler(c, argv) {
    // parseMpopArgs answers "true" for the first word, which is MIN here.
    const { keys, head, count } = parseMpopArgs(argv, 1, (arg) => !parseMinMax(arg));
    zpopGeneric(c, keys, !head, count, true, true);
  },
});

/**
 * BZPOPMIN and BZPOPMAX: the first non-empty sorted set among the keys gives [key, member,
 * score]; replicas see ZPOPMIN or ZPOPMAX of that key.
 */
function blockingZpop(c: Context, argv: Argv, max: boolean): void {
  const timeout = parseTimeout(argv.bytes(argv.length - 1));
  const keys = argv.strs(1, argv.length - 1);
  serveOrBlock(c, keys, timeout, (ready) => {
    for (const key of ready === undefined ? keys : [ready]) {
      const zset = c.db.writeAs(key, SortedSet);
      if (zset === undefined) continue;
      const node = zset.at(max ? zset.size - 1 : 0);
      zset.delete(node.member);
      c.db.removed(key);
      c.reply.array(3);
      c.reply.bulkString(key);
      c.reply.bulkString(node.member);
      c.reply.double(node.score);
      c.propagateAs([max ? "ZPOPMAX" : "ZPOPMIN", key]);
      c.notify(NotifyClass.Zset, max ? "zpopmax" : "zpopmin", key);
      return true;
    }
    return false;
  });
}

const blockingPopSpec = {
  arity: -3, flags: ["write", "noscript", "blocking", "fast"] as CommandFlag[], keys: { first: 1, last: -2, step: 1, flags: ["RW", "access", "delete"] },
  categories: ["sortedset"], complexity: "O(log(N)) with N being the number of elements in the sorted set.",
};

export const bzpopminCommand = command({
  ...blockingPopSpec, name: "bzpopmin", since: "5.0.0",
  history: [["6.0.0", "`timeout` is interpreted as a double instead of an integer."]],
  args: "key:key#0... timeout:double",
  summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
  handler: (c, argv) => blockingZpop(c, argv, false),
});

export const bzpopmaxCommand = command({
  ...blockingPopSpec, name: "bzpopmax", since: "5.0.0",
  history: [["6.0.0", "`timeout` is interpreted as a double instead of an integer."]],
  args: "key:key#0... timeout:double",
  summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
  handler: (c, argv) => blockingZpop(c, argv, true),
});

export const bzmpopCommand = command({
  name: "bzmpop", arity: -5, flags: ["write", "blocking"],
  args: "timeout:double numkeys:integer key:key#0... where(MIN|MAX) COUNT=count:integer?",
  keySpecs: [{ flags: ["RW", "access", "delete"], begin: { index: 2 }, find: { keynumidx: 0, firstkey: 1, keystep: 1 } }], categories: ["sortedset"],
  summary: "Remove and return members with scores in a sorted set or block until one is available", since: "7.0.0",
  complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
  handler(c, argv) {
    // The timeout is read last, as Redis reads it once the other arguments are parsed.
    const { keys, head, count } = parseMpopArgs(argv, 2, (arg) => !parseMinMax(arg));
    const timeout = parseTimeout(argv.bytes(1));
    serveOrBlock(c, keys, timeout, (ready) => {
      for (const key of ready === undefined ? keys : [ready]) {
        const zset = c.db.writeAs(key, SortedSet);
        if (zset === undefined) continue;
        zpopGeneric(c, [key], !head, count, true, true);
        return true;
      }
      return false;
    });
  },
});

export const zrandmemberCommand = command({
  name: "zrandmember", arity: -2, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["sortedset"], tips: ["nondeterministic_output"],
  args: "key:key#0 options{count:integer WITHSCORES?}?",
  summary: "Get one or multiple random elements from a sorted set", since: "6.2.0", complexity: "O(N) where N is the number of elements returned",
  handler(c, argv) {
    if (argv.length === 2) {
      const zset = lookupZset(c, argv.str(1));
      if (zset === undefined) return c.reply.null();
      return c.reply.bulkString(zset.at(Math.floor(Math.random() * zset.size)).member);
    }
    const count = argv.int(2);
    if (count === -(2 ** 63) && parseInt64Big(argv.bytes(2)) === -9223372036854775808n) throw valueOutOfRange("-9223372036854775807", "9223372036854775807");
    if (argv.length > 4 || (argv.length === 4 && argv.keyword(3) !== "withscores")) throw SYNTAX_ERR;
    const withScores = argv.length === 4;
    // Members and scores make twice the count: it must stay within a long (Redis's check).
    if (withScores && Math.abs(count) > 4611686018427387903) throw VALUE_OUT_OF_RANGE;
    const zset = lookupZset(c, argv.str(1));
    if (zset === undefined || count === 0) return c.reply.array(0);
    const size = zset.size;
    if (count < 0) {
      // A count is not bounded by the data: the loop stops once the client is closed for its output.
      const pairs = withScores && c.reply.resp === 3;
      c.reply.array(withScores && !pairs ? -count * 2 : -count);
      for (let i = 0; i < -count; i++) {
        replyNode(c, zset.at(Math.floor(Math.random() * size)), withScores, pairs);
        if ((i & 1023) === 1023 && c.replyOverLimit()) return;
      }
      return;
    }
    let picks: number[];
    // The whole set comes back highest first, as Redis walks it from the tail.
    if (count >= size) picks = Array.from({ length: size }, (_, i) => size - 1 - i);
    else {
      const chosen = new Set<number>();
      while (chosen.size < count) chosen.add(Math.floor(Math.random() * size));
      picks = [...chosen];
    }
    replyNodes(c, picks.map((i) => zset.at(i)), withScores);
  },
});

/** The ZREMRANGE family: the range is parsed first, then the key is looked up. */
function zremrangeGeneric(c: Context, argv: Argv, by: RangeBy): void {
  const req: RangeRequest = { by, reverse: false, offset: 0, limit: -1, removing: true };
  if (by === RangeBy.Rank) req.rank = [argv.int(2), argv.int(3)];
  else if (by === RangeBy.Score) req.score = parseScoreRange(argv.str(2), argv.str(3));
  else req.lex = parseLexRange(argv.str(2), argv.str(3));
  const key = argv.str(1);
  const zset = c.db.writeAs(key, SortedSet);
  if (zset === undefined) return c.reply.integer(0);
  const nodes = rangeNodes(zset, req);
  for (const node of nodes) zset.delete(node.member);
  if (nodes.length > 0) c.db.removed(key, nodes.length);
  c.reply.integer(nodes.length);
}

const remrangeSpec = { arity: 4, flags: ["write"] as CommandFlag[], keys: { first: 1, last: 1, step: 1, flags: ["RW", "delete"] }, categories: ["sortedset"] };

export const zremrangebyrankCommand = command({
  ...remrangeSpec, name: "zremrangebyrank", events: "before", notify: [NotifyClass.Zset, "zremrangebyrank"], summary: "Remove all members in a sorted set within the given indexes", since: "2.0.0",
  args: "key:key#0 start:integer stop:integer",
  complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
  handler: (c, argv) => zremrangeGeneric(c, argv, RangeBy.Rank),
});

export const zremrangebyscoreCommand = command({
  ...remrangeSpec, name: "zremrangebyscore", events: "before", notify: [NotifyClass.Zset, "zremrangebyscore"], summary: "Remove all members in a sorted set within the given scores", since: "1.2.0",
  args: "key:key#0 min:double max:double",
  complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
  handler: (c, argv) => zremrangeGeneric(c, argv, RangeBy.Score),
});

export const zremrangebylexCommand = command({
  ...remrangeSpec, name: "zremrangebylex", events: "before", notify: [NotifyClass.Zset, "zremrangebylex"], summary: "Remove all members in a sorted set between the given lexicographical range", since: "2.8.9",
  args: "key:key#0 min:string max:string",
  complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
  handler: (c, argv) => zremrangeGeneric(c, argv, RangeBy.Lex),
});

const enum ZsetOp {
  Union,
  Inter,
  Diff,
}

const enum Aggregate {
  Sum,
  Min,
  Max,
}

/** An input of the set algebra: a sorted set, a plain set (every score 1), or nothing. */
interface ZsetSource {
  zset?: SortedSet;
  set?: SetValue;
  weight: number;
}

function sourceSize(s: ZsetSource): number {
  return s.zset?.size ?? s.set?.size ?? 0;
}

function sourceScore(s: ZsetSource, member: string): number | undefined {
  if (s.zset) return s.zset.score(member);
  return s.set?.has(member) ? 1 : undefined;
}

function* sourceEntries(s: ZsetSource): IterableIterator<[string, number]> {
  if (s.zset) for (const e of s.zset.entries()) yield [e.member, e.score];
  else if (s.set) for (const m of s.set.values()) yield [m, 1];
}

function aggregate(target: number, value: number, how: Aggregate): number {
  if (how === Aggregate.Sum) {
    const sum = target + value;
    return Number.isNaN(sum) ? 0 : sum;
  }
  return how === Aggregate.Min ? Math.min(target, value) : Math.max(target, value);
}

/**
 * ZUNION, ZINTER, ZDIFF, ZINTERCARD and the STORE forms, parsed as
 * zunionInterDiffGenericCommand parses them: numkeys at `numkeysAt`, the keys (sorted
 * sets or sets), then WEIGHTS, AGGREGATE and (without a destination) WITHSCORES. Inputs
 * are combined smallest first, as Redis does, so sums add in Redis's order.
 */
function zsetOpGeneric(c: Context, argv: Argv, numkeysAt: number, op: ZsetOp, dest?: Uint8Array): void {
  const numkeys = argv.int(numkeysAt);
  if (numkeys < 1) throw atLeastOneKey(c.lastCommand);
  if (numkeys > argv.length - numkeysAt - 1) throw SYNTAX_ERR;
  const sources: ZsetSource[] = [];
  for (let i = 0; i < numkeys; i++) {
    const key = argv.str(numkeysAt + 1 + i);
    const value = dest !== undefined ? c.db.lookupKeyReadForWrite(key) : c.db.lookupKeyRead(key);
    if (value !== undefined && !(value instanceof SortedSet) && !(value instanceof SetValue)) throw WRONGTYPE;
    sources.push({ zset: value instanceof SortedSet ? value : undefined, set: value instanceof SetValue ? value : undefined, weight: 1 });
  }
  let how = Aggregate.Sum;
  let withScores = false;
  let j = numkeysAt + 1 + numkeys;
  while (j < argv.length) {
    const opt = argv.keyword(j);
    const remaining = argv.length - j;
    if (op !== ZsetOp.Diff && remaining >= numkeys + 1 && opt === "weights") {
      j++;
      for (const s of sources) s.weight = parseDoubleArg(argv, j++, WEIGHT_NOT_FLOAT);
    } else if (op !== ZsetOp.Diff && remaining >= 2 && opt === "aggregate") {
      const word = argv.keyword(j + 1);
      if (word === "sum") how = Aggregate.Sum;
      else if (word === "min") how = Aggregate.Min;
      else if (word === "max") how = Aggregate.Max;
      else throw SYNTAX_ERR;
      j += 2;
    } else if (dest === undefined && opt === "withscores") {
      withScores = true;
      j++;
    } else throw SYNTAX_ERR;
  }
  const result = zsetOp(sources, op, how);
  if (dest !== undefined) return storeZset(c, dest, result.smallIfFits());
  replyNodes(c, [...result.entries()], withScores);
}

/**
 * The result of ZUNION, ZINTER or ZDIFF, in the large form (its -0 scores kept) as Redis
 * computes it, unless only its size is wanted (ZINTERCARD).
 */
function zsetOp(sources: ZsetSource[], op: ZsetOp, how: Aggregate, sizeOnly = false): SortedSet {
  const result = new SortedSet();
  if (!sizeOnly) result.convertToSkiplist();
  if (op === ZsetOp.Diff) {
    const [first, ...rest] = sources;
    for (const [member, score] of sourceEntries(first!)) {
      if (!rest.some((s) => sourceScore(s, member) !== undefined)) result.set(member, score);
    }
    return result;
  }
  const ordered = sources.slice().sort((a, b) => sourceSize(a) - sourceSize(b));
  if (op === ZsetOp.Inter) {
    if (sourceSize(ordered[0]!) === 0) return result;
    outer: for (const [member, raw] of sourceEntries(ordered[0]!)) {
      let score = ordered[0]!.weight * raw;
      if (Number.isNaN(score)) score = 0;
      for (let i = 1; i < ordered.length; i++) {
        const other = sourceScore(ordered[i]!, member);
        if (other === undefined) continue outer;
        score = aggregate(score, other * ordered[i]!.weight, how);
      }
      result.set(member, score);
    }
    return result;
  }
  const scores = new Map<string, number>();
  for (const source of ordered) {
    for (const [member, raw] of sourceEntries(source)) {
      let score = source.weight * raw;
      if (Number.isNaN(score)) score = 0;
      const existing = scores.get(member);
      scores.set(member, existing === undefined ? score : aggregate(existing, score, how));
    }
  }
  for (const [member, score] of scores) result.set(member, score);
  return result;
}

const opKeySpecs: FullKeySpec[] = [{ flags: ["RO", "access"], begin: { index: 1 }, find: { keynumidx: 0, firstkey: 1, keystep: 1 } }];
const storeKeySpecs: FullKeySpec[] = [
  { flags: ["OW", "update"], begin: { index: 1 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
  { flags: ["RO", "access"], begin: { index: 2 }, find: { keynumidx: 0, firstkey: 1, keystep: 1 } },
];
const opSpec = { arity: -3, flags: ["readonly"] as CommandFlag[], keySpecs: opKeySpecs, categories: ["sortedset"] };
const storeSpec = { arity: -4, flags: ["write", "denyoom"] as CommandFlag[], keys: { first: 1, last: 1, step: 1 }, keySpecs: storeKeySpecs, categories: ["sortedset"] };

export const zunionCommand = command({
  ...opSpec, name: "zunion", summary: "Add multiple sorted sets", since: "6.2.0",
  args: "numkeys:integer key:key#0... WEIGHTS=weight:integer?... AGGREGATE=aggregate(SUM|MIN|MAX)? WITHSCORES?",
  complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
  handler: (c, argv) => zsetOpGeneric(c, argv, 1, ZsetOp.Union),
});

export const zinterCommand = command({
  ...opSpec, name: "zinter", summary: "Intersect multiple sorted sets", since: "6.2.0",
  args: "numkeys:integer key:key#0... WEIGHTS=weight:integer?... AGGREGATE=aggregate(SUM|MIN|MAX)? WITHSCORES?",
  complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
  handler: (c, argv) => zsetOpGeneric(c, argv, 1, ZsetOp.Inter),
});

export const zdiffCommand = command({
  ...opSpec, name: "zdiff", summary: "Subtract multiple sorted sets", since: "6.2.0",
  args: "numkeys:integer key:key#0... WITHSCORES?",
  complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
  handler: (c, argv) => zsetOpGeneric(c, argv, 1, ZsetOp.Diff),
});

export const zunionstoreCommand = command({
  ...storeSpec, name: "zunionstore", events: "after", summary: "Add multiple sorted sets and store the resulting sorted set in a new key", since: "2.0.0",
  args: "destination:key#0 numkeys:integer key:key#1... WEIGHTS=weight:integer?... AGGREGATE=aggregate(SUM|MIN|MAX)?",
  complexity: "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
  handler: (c, argv) => zsetOpGeneric(c, argv, 2, ZsetOp.Union, argv.bytes(1)),
});

export const zinterstoreCommand = command({
  ...storeSpec, name: "zinterstore", events: "after", summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key", since: "2.0.0",
  args: "destination:key#0 numkeys:integer key:key#1... WEIGHTS=weight:integer?... AGGREGATE=aggregate(SUM|MIN|MAX)?",
  complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
  handler: (c, argv) => zsetOpGeneric(c, argv, 2, ZsetOp.Inter, argv.bytes(1)),
});

export const zdiffstoreCommand = command({
  ...storeSpec, name: "zdiffstore", events: "after", summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key", since: "6.2.0",
  args: "destination:key#0 numkeys:integer key:key#1...",
  complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
  handler: (c, argv) => zsetOpGeneric(c, argv, 2, ZsetOp.Diff, argv.bytes(1)),
});

export const zintercardCommand = command({
  ...opSpec, name: "zintercard", summary: "Intersect multiple sorted sets and return the cardinality of the result", since: "7.0.0",
  args: "numkeys:integer key:key#0... LIMIT=limit:integer?",
  complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
  handler(c, argv) {
    const numkeys = argv.int(1);
    if (numkeys < 1) throw atLeastOneKey(c.lastCommand);
    if (numkeys > argv.length - 2) throw SYNTAX_ERR;
    // The keys are looked up before LIMIT is read, as zunionInterDiffGenericCommand does (WRONGTYPE first).
    const sources: ZsetSource[] = [];
    for (let i = 0; i < numkeys; i++) {
      const value = c.db.lookupKeyRead(argv.str(2 + i));
      if (value !== undefined && !(value instanceof SortedSet) && !(value instanceof SetValue)) throw WRONGTYPE;
      sources.push({ zset: value instanceof SortedSet ? value : undefined, set: value instanceof SetValue ? value : undefined, weight: 1 });
    }
    let limit = 0;
    const args = new ArgCursor(argv, 2 + numkeys);
    while (args.hasNext()) {
      if (args.nextKeyword() === "limit" && args.hasNext()) limit = parseRangeArg(args.next(), 0, LIMIT_NEGATIVE);
      else throw SYNTAX_ERR;
    }
    const size = zsetOp(sources, ZsetOp.Inter, Aggregate.Sum, true).size;
    c.reply.integer(limit > 0 ? Math.min(limit, size) : size);
  },
});

export const zscanCommand = command({
  name: "zscan", arity: -3, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["sortedset"], tips: ["nondeterministic_output"],
  args: "key:key#0 cursor:integer MATCH=pattern:pattern? COUNT=count:integer?",
  summary: "Incrementally iterate sorted sets elements and associated scores", since: "2.8.0",
  complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
  handler(c, argv) {
    const zset = scanValue(c, argv, () => lookupZset(c, argv.str(1)));
    if (zset === undefined) return;
    // A large set's table hands out each score with its member; a small set's are looked up.
    scanGeneric(c, argv, 2, zset.scanTarget, () => [...zset.entries()].map((e) => e.member), (member, held) => {
      const score = (held as number | undefined) ?? zset.score(member);
      // Scores are bulk strings here in both protocols, as Redis sends them.
      return score === undefined ? undefined : [member, formatDouble(score)];
    }, false, true);
  },
});
