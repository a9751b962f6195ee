/**
 * Stream commands (COMMAND DOCS group "stream"): the commands half of Redis's t_stream.c.
 * The stream itself is src/store/stream.ts.
 *
 * Replication follows Redis 7.0: XADD goes out with the ID it generated (and an
 * approximate trim as the exact one it did); XREADGROUP, XCLAIM and XAUTOCLAIM go out as
 * the XCLAIM ... FORCE JUSTID commands that recreate each pending entry they touched (plus
 * XGROUP SETID / CREATECONSUMER where NOACK leaves no pending entry to carry them).
 */
import type { Argv } from "../resp/argv.ts";
import {
  BUSYGROUP, blockFromScript, COUNT_MUST_BE_POSITIVE, ENTRIES_ADDED_NEGATIVE, ENTRIESREAD_INVALID, INVALID_END_ID, INVALID_START_ID, XLIMIT_NEGATIVE,
  LIMIT_WITHOUT_APPROX, LIMIT_WITHOUT_STRATEGY, MAXLEN_NEGATIVE, NO_SUCH_KEY, NOGROUP_BLOCKED, STREAM_EXHAUSTED, STREAM_GONE_BLOCKED,
  STREAM_ID_INVALID, STREAM_TOO_LARGE, SYNTAX_ERR,  TRIM_BOTH, UNBALANCED_STREAMS,
  XADD_ID_TOO_SMALL, XADD_ID_ZERO, XGROUP_KEY_MISSING, XREAD_GROUP_OPTION, XREAD_GT_ID, XREAD_NOACK_OPTION, XREADGROUP_DOLLAR_ID,
  XREADGROUP_MISSING_GROUP, XSETID_BELOW_MAX_DELETED, XSETID_ENTRIES_ADDED_SMALL,
  XSETID_SMALLER_THAN_TOP, XTRIM_WITHOUT_STRATEGY, invalidArgumentFor, noGroupForKey, noKeyOrGroup, subcommandSyntax,
  unrecognizedOption, WRONGTYPE, wrongArity,
} from "../errors.ts";
import { parseInt64 } from "../resp/bytes.ts";
import type { Context } from "./context.ts";
import { NotifyClass } from "../keyspace-events.ts";
import {
  Consumer, ConsumerGroup, INVALID_ENTRIES_READ, MAX_ID, type PendingEntry, StreamValue, U64_MAX, formatId, idMs, idSeq, makeId,
} from "../store/stream.ts";
import { parseTimeoutMs } from "./args.ts";
import { command, type CommandFlag } from "./command.ts";

// ---------------------------------------------------------------------------------------
// IDs

/** Redis's string2ull: optional spaces and sign, digits, within 64 bits ("-0" is 0). */
function parseU64(s: string): bigint | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(s);
  if (m === null) return undefined;
  const v = BigInt(m[2]!);
  if (v > U64_MAX || (m[1] === "-" && v !== 0n)) return undefined;
  return v;
}

interface ParsedId {
  id: bigint;
  /** False for XADD's `<ms>-*`. */
  seqGiven: boolean;
}

/**
 * A stream ID as clients write it: `<ms>-<seq>`, `<ms>` (seq `missingSeq`), `-` and `+`
 * (unless strict), and with `allowSeqStar` XADD's `<ms>-*`.
 */
function parseIdFull(text: string, missingSeq: bigint, strict: boolean, allowSeqStar = false): ParsedId {
  if (text.length > 127) throw STREAM_ID_INVALID;
  if (text === "-" || text === "+") {
    if (strict) throw STREAM_ID_INVALID;
    return { id: text === "-" ? 0n : MAX_ID, seqGiven: true };
  }
  const dash = text.indexOf("-");
  const ms = parseU64(dash < 0 ? text : text.slice(0, dash));
  if (ms === undefined) throw STREAM_ID_INVALID;
  if (dash < 0) return { id: makeId(ms, missingSeq), seqGiven: true };
  const seqText = text.slice(dash + 1);
  if (allowSeqStar && seqText === "*") return { id: makeId(ms, 0n), seqGiven: false };
  const seq = parseU64(seqText);
  if (seq === undefined) throw STREAM_ID_INVALID;
  return { id: makeId(ms, seq), seqGiven: true };
}

const parseId = (text: string, missingSeq = 0n) => parseIdFull(text, missingSeq, false).id;
const parseStrictId = (text: string) => parseIdFull(text, 0n, true).id;

/** A range bound: `(` makes it exclusive (then `-`/`+` are invalid). */
function parseBound(text: string, start: boolean): bigint {
  const exclusive = text.length > 1 && text[0] === "(";
  const id = exclusive ? parseIdFull(text.slice(1), start ? 0n : U64_MAX, true).id : parseId(text, start ? 0n : U64_MAX);
  if (!exclusive) return id;
  if (start) {
    if (id === MAX_ID) throw INVALID_START_ID;
    return id + 1n;
  }
  if (id === 0n) throw INVALID_END_ID;
  return id - 1n;
}

// ---------------------------------------------------------------------------------------
// Lookups and replies

const lookupStream = (c: Context, key: string) => c.db.readAs(key, StreamValue);

/** A stream a write reads first (XREADGROUP, XACK, XCLAIM): looked up once, as a read, as Redis does. */
const lookupStreamForWrite = (c: Context, key: string) => c.db.readForWriteAs(key, StreamValue);

function replyEntry(c: Context, id: bigint, fields: string[] | undefined): void {
  c.reply.array(2);
  c.reply.bulkString(formatId(id));
  if (fields === undefined) return c.reply.nullArray();
  c.reply.array(fields.length);
  for (const f of fields) c.reply.bulkString(f);
}

/** Up to `count` (0: all) live entries of [start, end], collected before replying. */
function collect(s: StreamValue, start: bigint, end: bigint, rev: boolean, count: number): Array<[bigint, string[]]> {
  const out: Array<[bigint, string[]]> = [];
  s.forEach(start, end, rev, (id, fields) => {
    out.push([id, fields]);
    return count === 0 || out.length < count;
  });
  return out;
}

function replyEntries(c: Context, entries: Array<[bigint, string[]]>): void {
  c.reply.array(entries.length);
  for (const [id, fields] of entries) replyEntry(c, id, fields);
}

function limits(c: Context) {
  return { maxBytes: c.server.config.int("stream-node-max-bytes"), maxEntries: c.server.config.int("stream-node-max-entries") };
}

// ---------------------------------------------------------------------------------------
// XADD, XTRIM

interface TrimArgs {
  strategy: "none" | "maxlen" | "minid";
  maxlen: number;
  minId: bigint;
  approx: boolean;
  limit: number;
  /** Index of the threshold argument, rewritten for replication after `~`. */
  thresholdAt: number;
  /** XADD: index of the ID argument, the ID and whether its sequence was given. */
  idAt: number;
  id: ParsedId | undefined;
  noMkStream: boolean;
}

/** XADD's and XTRIM's options (streamParseAddOrTrimArgsOrReply). */
function parseAddOrTrim(c: Context, argv: Argv, xadd: boolean): TrimArgs {
  const args: TrimArgs = { strategy: "none", maxlen: 0, minId: 0n, approx: false, limit: 0, thresholdAt: 0, idAt: argv.length, id: undefined, noMkStream: false };
  let limitGiven = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const opt = argv.str(i);
    const word = opt.toLowerCase();
    if (xadd && opt === "*") break;
    if ((word === "maxlen" || word === "minid") && more > 0) {
      if (args.strategy !== "none") throw TRIM_BOTH;
      args.approx = false;
      const next = argv.str(i + 1);
      if (more >= 2 && next === "~") {
        args.approx = true;
        i++;
      } else if (more >= 2 && next === "=") {
        i++;
      }
      if (word === "maxlen") {
        args.maxlen = argv.int(i + 1);
        if (args.maxlen < 0) throw MAXLEN_NEGATIVE;
      } else {
        args.minId = parseStrictId(argv.str(i + 1));
      }
      i++;
      args.strategy = word;
      args.thresholdAt = i;
    } else if (word === "limit" && more > 0) {
      args.limit = argv.int(i + 1);
      if (args.limit < 0) throw XLIMIT_NEGATIVE;
      limitGiven = true;
      i++;
    } else if (xadd && word === "nomkstream") {
      args.noMkStream = true;
    } else if (xadd) {
      args.id = parseIdFull(opt, 0n, true, true);
      break;
    } else {
      throw SYNTAX_ERR;
    }
  }
  args.idAt = i;
  if (args.limit !== 0 && args.strategy === "none") throw LIMIT_WITHOUT_STRATEGY;
  if (!xadd && args.strategy === "none") throw XTRIM_WITHOUT_STRATEGY;
  if (c.mustObey) {
    // The master (or the AOF) already has `~` rewritten to `=` with the result; never cut the work short.
    args.limit = 0;
  } else if (limitGiven) {
    if (!args.approx) throw LIMIT_WITHOUT_APPROX;
  } else if (args.approx) {
    args.limit = Math.min(1000000, Math.max(0, 100 * c.server.config.int("stream-node-max-entries"))) || 10000;
  } else {
    args.limit = 0;
  }
  return args;
}

/** Trim as `args` say; returns how many entries went. */
function trimStream(s: StreamValue, args: TrimArgs): number {
  if (args.strategy === "none") return 0;
  return s.trim(args.strategy === "maxlen" ? { maxlen: args.maxlen } : { minId: args.minId }, args.approx, args.limit);
}

/** The command as replicas must run it after an approximate trim: `=` and the result. */
function rewriteTrim(argv: Array<string | Uint8Array>, s: StreamValue, args: TrimArgs): void {
  argv[args.thresholdAt - 1] = "=";
  argv[args.thresholdAt] = args.strategy === "maxlen" ? String(s.length) : formatId(s.edge(true)?.id ?? MAX_ID);
}

export const xaddCommand = command({
  name: "xadd", arity: -5, flags: ["write", "denyoom", "fast"], categories: ["stream"], tips: ["nondeterministic_output"],
  history: [["6.2.0", "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option."], ["7.0.0", "Added support for the `<ms>-*` explicit ID form."]],
  args: "key:key#0 NOMKSTREAM?@6.2.0 trim{strategy(MAXLEN|MINID@6.2.0) operator('='/equal|'~'/approximately)? threshold:string LIMIT=count:integer?@6.2.0}? id_or_auto('*'/auto_id|id:string) field_value{field:string value:string}...",
  keys: { first: 1, last: 1, step: 1, flags: ["RW", "update"], notes: "UPDATE instead of INSERT because of the optional trimming feature" },
  summary: "Appends a new entry to a stream", since: "5.0.0", complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
  handler(c, argv) {
    const args = parseAddOrTrim(c, argv, true);
    const fieldsAt = args.idAt + 1;
    const n = argv.length - fieldsAt;
    if (n < 2 || n % 2 === 1) throw wrongArity("xadd");
    if (args.id !== undefined && args.id.seqGiven && args.id.id === 0n) throw XADD_ID_ZERO;
    const key = argv.str(1);
    let s = c.db.writeAs(key, StreamValue);
    if (s === undefined) {
      if (args.noMkStream) return c.reply.null();
      s = c.db.writeOrCreate(key, StreamValue, () => new StreamValue());
    }
    if (s.lastId === MAX_ID) throw STREAM_EXHAUSTED;
    const id = nextId(s, args.id);
    const fields: string[] = [];
    let bytes = 0;
    for (let i = fieldsAt; i < argv.length; i++) {
      const f = argv.str(i);
      bytes += f.length;
      fields.push(f);
    }
    if (bytes > 1 << 30) throw STREAM_TOO_LARGE;
    s.append(id, fields, limits(c));
    c.reply.bulkString(formatId(id));
    c.db.modified(key);
    c.notify(NotifyClass.Stream, "xadd", key);
    if (args.strategy !== "none" && trimStream(s, args) > 0) c.notify(NotifyClass.Stream, "xtrim", key);
    if (c.server.propagation.wanted) {
      const propagated: Array<string | Uint8Array> = argv.views(0);
      if (args.approx) rewriteTrim(propagated, s, args);
      // An ID the client gave in full goes as given; `*` and `<ms>-*` as the one made.
      if (args.id === undefined || !args.id.seqGiven) propagated[args.idAt] = formatId(id);
      c.propagateAs(propagated);
    }
  },
});

/** The ID XADD gives a new entry: `*` from the clock, `<ms>-*` the next in that ms, or the one given. */
function nextId(s: StreamValue, given: ParsedId | undefined): bigint {
  const last = s.lastId;
  let id: bigint;
  if (given === undefined) {
    const ms = BigInt(Date.now());
    id = ms > idMs(last) ? makeId(ms, 0n) : last + 1n;
  } else if (!given.seqGiven) {
    const ms = idMs(given.id);
    if (ms === idMs(last)) {
      if (idSeq(last) === U64_MAX) throw XADD_ID_TOO_SMALL;
      id = last + 1n;
    } else {
      id = given.id;
    }
  } else {
    id = given.id;
  }
  if (id <= last) throw XADD_ID_TOO_SMALL;
  return id;
}

export const xtrimCommand = command({
  name: "xtrim", arity: -4, flags: ["write"], categories: ["stream"], tips: ["nondeterministic_output"],
  history: [["6.2.0", "Added the `MINID` trimming strategy and the `LIMIT` option."]],
  args: "key:key#0 trim{strategy(MAXLEN|MINID@6.2.0) operator('='/equal|'~'/approximately)? threshold:string LIMIT=count:integer?@6.2.0}",
  keys: { first: 1, last: 1, step: 1, flags: ["RW", "delete"] },
  summary: "Trims the stream to (approximately if '~' is passed) a certain size", since: "5.0.0", complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
  handler(c, argv) {
    // As Redis: the arguments first, then the key (a bad argument is told before WRONGTYPE).
    const args = parseAddOrTrim(c, argv, false);
    const key = argv.str(1);
    const s = c.db.writeAs(key, StreamValue);
    if (s === undefined) return c.reply.integer(0);
    const deleted = trimStream(s, args);
    if (deleted > 0) {
      c.db.modified(key, deleted);
      c.notify(NotifyClass.Stream, "xtrim", key);
      if (args.approx && c.server.propagation.wanted) {
        const propagated: Array<string | Uint8Array> = argv.views(0);
        rewriteTrim(propagated, s, args);
        c.propagateAs(propagated);
      }
    }
    c.reply.integer(deleted);
  },
});

// ---------------------------------------------------------------------------------------
// XLEN, XRANGE, XREVRANGE, XDEL, XSETID

export const xlenCommand = command({
  name: "xlen", arity: 2, flags: ["readonly", "fast"], categories: ["stream"], keys: { first: 1, last: 1, step: 1, flags: ["RO"] },
  args: "key:key#0",
  summary: "Return the number of entries in a stream", since: "5.0.0",
  handler: (c, argv) => c.reply.integer(lookupStream(c, argv.str(1))?.length ?? 0),
});

function xrangeGeneric(c: Context, argv: Argv, rev: boolean): void {
  const start = parseBound(argv.str(rev ? 3 : 2), true);
  const end = parseBound(argv.str(rev ? 2 : 3), false);
  let count = -1;
  for (let i = 4; i < argv.length; i++) {
    if (argv.keyword(i) === "count" && i + 1 < argv.length) {
      count = Math.max(0, argv.int(++i));
    } else {
      throw SYNTAX_ERR;
    }
  }
  const s = lookupStream(c, argv.str(1));
  if (s === undefined) return c.reply.array(0);
  if (count === 0) return c.reply.nullArray();
  replyEntries(c, collect(s, start, end, rev, Math.max(count, 0)));
}

const rangeSpec = {
  arity: -4, flags: ["readonly"] as CommandFlag[], categories: ["stream"], keys: { first: 1, last: 1, step: 1 },
  complexity: "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
};

export const xrangeCommand = command({
  ...rangeSpec, name: "xrange", summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval", since: "5.0.0",
  history: [["6.2.0", "Added exclusive ranges."]],
  args: "key:key#0 start:string end:string COUNT=count:integer?",
  handler: (c, argv) => xrangeGeneric(c, argv, false),
});

export const xrevrangeCommand = command({
  ...rangeSpec, name: "xrevrange", since: "5.0.0",
  history: [["6.2.0", "Added exclusive ranges."]],
  args: "key:key#0 end:string start:string COUNT=count:integer?",
  summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
  complexity: "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
  handler: (c, argv) => xrangeGeneric(c, argv, true),
});

export const xdelCommand = command({
  name: "xdel", arity: -3, flags: ["write", "fast"], categories: ["stream"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "delete"] },
  args: "key:key#0 id:string...",
  summary: "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
  since: "5.0.0", complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.",
  handler(c, argv) {
    // As Redis: the key first (a missing one deletes 0 whatever the IDs), then every ID.
    const key = argv.str(1);
    const s = c.db.writeAs(key, StreamValue);
    if (s === undefined) return c.reply.integer(0);
    const ids: bigint[] = [];
    for (let i = 2; i < argv.length; i++) ids.push(parseStrictId(argv.str(i)));
    let deleted = 0;
    let firstGone = false;
    for (const id of ids) {
      if (!s.delete(id)) continue;
      deleted++;
      if (id > s.maxDeletedId) s.maxDeletedId = id;
      if (id === s.firstId) firstGone = true;
    }
    if (firstGone) s.refreshFirstId();
    if (deleted > 0) {
      c.db.modified(key, deleted);
      c.notify(NotifyClass.Stream, "xdel", key);
    }
    c.reply.integer(deleted);
  },
});

export const xsetidCommand = command({
  name: "xsetid", events: "after", arity: -3, flags: ["write", "denyoom", "fast"], categories: ["stream"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "update"] },
  history: [["7.0.0", "Added the `entries_added` and `max_deleted_entry_id` arguments."]],
  args: "key:key#0 last-id:string ENTRIESADDED=entries_added:integer?@7.0.0 MAXDELETEDID=max_deleted_entry_id:string?@7.0.0",
  summary: "An internal command for replicating stream values", since: "5.0.0",
  handler(c, argv) {
    const id = parseStrictId(argv.str(2));
    let entriesAdded = -1;
    let maxDeleted = 0n;
    for (let i = 3; i < argv.length; i += 2) {
      const opt = argv.keyword(i);
      if (opt === "entriesadded" && i + 1 < argv.length) {
        entriesAdded = argv.int(i + 1);
        if (entriesAdded < 0) throw ENTRIES_ADDED_NEGATIVE;
      } else if (opt === "maxdeletedid" && i + 1 < argv.length) {
        maxDeleted = parseStrictId(argv.str(i + 1));
        if (id < maxDeleted) throw XSETID_BELOW_MAX_DELETED;
      } else {
        throw SYNTAX_ERR;
      }
    }
    const key = argv.str(1);
    const s = c.db.writeAs(key, StreamValue);
    if (s === undefined) throw NO_SUCH_KEY;
    if (s.length > 0) {
      if (id < s.lastValidId()) throw XSETID_SMALLER_THAN_TOP;
      if (entriesAdded !== -1 && s.length > entriesAdded) throw XSETID_ENTRIES_ADDED_SMALL;
    }
    // Redis 7.0 does not hold the ID to the stream's own max_deleted_entry_id (later versions do).
    s.lastId = id;
    if (entriesAdded !== -1) s.entriesAdded = entriesAdded;
    if (maxDeleted !== 0n) s.maxDeletedId = maxDeleted;
    c.db.modified(key);
    c.notify(NotifyClass.Stream, "xsetid", key);
    c.reply.ok();
  },
});

// ---------------------------------------------------------------------------------------
// Consumer groups: shared pieces

function lookupGroup(s: StreamValue | undefined, name: string): ConsumerGroup | undefined {
  return s?.groups?.get(name);
}

/** A consumer by name, created (with a notification) when missing; its seen time is now. */
function consumerOf(c: Context, group: ConsumerGroup, name: string, key: string): { consumer: Consumer; created: boolean } {
  let consumer = group.consumers.get(name);
  if (consumer !== undefined) {
    consumer.seenTime = Date.now();
    return { consumer, created: false };
  }
  consumer = new Consumer(name, Date.now());
  group.consumers.set(name, consumer);
  c.notify(NotifyClass.Stream, "xgroup-createconsumer", key);
  // A change, as Redis's streamCreateConsumer counts it (XREADGROUP, XCLAIM, XAUTOCLAIM too).
  c.db.countChanges(1);
  return { consumer, created: true };
}

/** The XCLAIM that makes a replica's pending entry match `entry` (streamPropagateXCLAIM). */
function claimCommand(key: string, group: ConsumerGroup, entry: PendingEntry): string[] {
  return [
    "XCLAIM", key, group.name, entry.consumer.name, "0", formatId(entry.id), "TIME", String(entry.deliveryTime),
    "RETRYCOUNT", String(entry.deliveryCount), "FORCE", "JUSTID", "LASTID", formatId(group.lastId),
  ];
}

/**
 * The commands a consumer-group command replicates as (Redis's alsoPropagate), built only
 * while replicas are attached; `changes` counts them either way, for the dirty counter.
 */
class Propagation {
  readonly commands: string[][] = [];
  changes = 0;
  private readonly recording: boolean;

  constructor(private readonly c: Context) {
    this.recording = c.server.propagation.wanted;
  }

  add(build: () => string[]): void {
    this.changes++;
    if (this.recording) this.commands.push(build());
  }

  /** Replicate the commands instead of the command itself. */
  replace(): void {
    if (this.recording) this.c.propagateAs(...this.commands);
  }
}

/** The XGROUP SETID that moves a replica's group where a NOACK read or LASTID moved it. */
function setIdCommand(key: string, group: ConsumerGroup): string[] {
  return ["XGROUP", "SETID", key, group.name, formatId(group.lastId), "ENTRIESREAD", String(group.entriesRead)];
}

// ---------------------------------------------------------------------------------------
// XREAD, XREADGROUP

interface ReadArgs {
  timeoutMs: number;
  count: number;
  keys: string[];
  idTexts: string[];
  group: string | undefined;
  consumer: string | undefined;
  noAck: boolean;
}

function parseRead(argv: Argv, xreadgroup: boolean, fromScript: boolean): ReadArgs {
  const args: ReadArgs = { timeoutMs: -1, count: 0, keys: [], idTexts: [], group: undefined, consumer: undefined, noAck: false };
  let streamsAt = 0;
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const opt = argv.keyword(i);
    if (opt === "block" && more > 0) {
      // Redis refuses BLOCK from a script outright (elsewhere where blocking is denied,
      // as in MULTI, the command just does not block).
      if (fromScript) throw blockFromScript(argv.str(0));
      args.timeoutMs = parseTimeoutMs(argv.bytes(++i));
    } else if (opt === "count" && more > 0) {
      args.count = Math.max(0, argv.int(++i));
    } else if (opt === "streams" && more > 0) {
      streamsAt = i + 1;
      const n = argv.length - streamsAt;
      if (n % 2 !== 0) throw UNBALANCED_STREAMS;
      for (let k = 0; k < n / 2; k++) {
        args.keys.push(argv.str(streamsAt + k));
        args.idTexts.push(argv.str(streamsAt + n / 2 + k));
      }
      break;
    } else if (opt === "group" && more >= 2) {
      if (!xreadgroup) throw XREAD_GROUP_OPTION;
      args.group = argv.str(i + 1);
      args.consumer = argv.str(i + 2);
      i += 2;
    } else if (opt === "noack") {
      if (!xreadgroup) throw XREAD_NOACK_OPTION;
      args.noAck = true;
    } else {
      throw SYNTAX_ERR;
    }
  }
  if (streamsAt === 0) throw SYNTAX_ERR;
  if (xreadgroup && args.group === undefined) throw XREADGROUP_MISSING_GROUP;
  return args;
}

/** What each stream of a read asks for: entries after `after`, or (`>`) the group's new ones. */
interface ReadTarget {
  key: string;
  /** undefined for `>`. */
  after: bigint | undefined;
}

function xreadGeneric(c: Context, argv: Argv, xreadgroup: boolean): void {
  const args = parseRead(argv, xreadgroup, c.fromScript);
  const targets: ReadTarget[] = [];
  for (let i = 0; i < args.keys.length; i++) {
    const key = args.keys[i]!;
    const text = args.idTexts[i]!;
    // Each key is looked up (a hit or a miss, WRONGTYPE first) before its ID is read, and
    // again when it is served, as Redis's xreadCommand does.
    const found = xreadgroup ? lookupStreamForWrite(c, key) : lookupStream(c, key);
    if (xreadgroup) {
      if (lookupGroup(found, args.group!) === undefined) throw noKeyOrGroup(key, args.group!, " in XREADGROUP with GROUP option");
      if (text === "$") throw XREADGROUP_DOLLAR_ID;
      targets.push({ key, after: text === ">" ? undefined : parseId(text) });
    } else {
      if (text === ">") throw XREAD_GT_ID;
      if (text === "$") {
        targets.push({ key, after: found?.lastId ?? 0n });
      } else if (text === "+") {
        // Redis 7.4: the last entry of the stream.
        const last = found?.edge(false)?.id;
        targets.push({ key, after: last === undefined ? (found?.lastId ?? 0n) : last - 1n });
      } else {
        targets.push({ key, after: parseId(text) });
      }
    }
  }
  const serve = (only?: string): boolean => readStreams(c, args, targets, xreadgroup, only);
  if (serve()) return;
  if (args.timeoutMs < 0 || c.inExec) return c.reply.nullArray();
  c.server.blocking.block(c, args.keys, args.timeoutMs, (readyKey) => {
    if (!xreadgroup) return serve(readyKey);
    // A blocked XREADGROUP waits for new entries (`>`); its stream (deleted, overwritten,
    // flushed, swapped away) or its group may be gone meanwhile.
    if (readyKey !== undefined) {
      const s = c.db.lookupKeyWrite(readyKey);
      if (!(s instanceof StreamValue)) throw STREAM_GONE_BLOCKED;
      if (lookupGroup(s, args.group!) === undefined) throw NOGROUP_BLOCKED;
    }
    return serve(readyKey);
  }, xreadgroup);
}

/**
 * Reply with what each target has (all targets, or only the key `only` when woken by it);
 * false, having replied nothing, when none has anything.
 */
function readStreams(c: Context, args: ReadArgs, targets: ReadTarget[], xreadgroup: boolean, only: string | undefined): boolean {
  const served: Array<[key: string, reply: () => void]> = [];
  const propagation = new Propagation(c);
  for (const target of targets) {
    if (only !== undefined && target.key !== only) continue;
    const key = target.key;
    if (!xreadgroup) {
      const s = lookupStream(c, key);
      if (s === undefined || s.length === 0 || s.lastValidId() <= target.after!) continue;
      const entries = collect(s, target.after! + 1n, MAX_ID, false, args.count);
      served.push([key, () => replyEntries(c, entries)]);
      continue;
    }
    const s = lookupStreamForWrite(c, key);
    const group = lookupGroup(s, args.group!);
    if (s === undefined || group === undefined) continue;
    if (target.after === undefined) {
      // Only entries still there count: a group whose last entries were deleted waits.
      if (s.length === 0 || s.lastValidId() <= group.lastId) continue;
      const { consumer, created } = consumerOf(c, group, args.consumer!, key);
      if (created && args.noAck) propagation.add(() => ["XGROUP", "CREATECONSUMER", key, group.name, consumer.name]);
      const entries = deliver(c, s, group, consumer, key, args, propagation);
      served.push([key, () => replyEntries(c, entries)]);
      continue;
    }
    // History: this consumer's own pending entries after the ID, always answered, and
    // counted as a change (as Redis 7.0 counts each stream it serves), replicated as none.
    const { consumer } = consumerOf(c, group, args.consumer!, key);
    c.db.countChanges(1);
    const history: Array<[bigint, string[] | undefined]> = [];
    for (const entry of consumer.pel.range(target.after + 1n)) {
      if (args.count > 0 && history.length >= args.count) break;
      const fields = s.get(entry.id);
      if (fields !== undefined) {
        entry.deliveryTime = Date.now();
        entry.deliveryCount++;
      }
      history.push([entry.id, fields]);
    }
    served.push([
      key,
      () => {
        c.reply.array(history.length);
        for (const [id, fields] of history) replyEntry(c, id, fields);
      },
    ]);
  }
  if (served.length === 0) {
    if (propagation.changes > 0) propagation.replace();
    return false;
  }
  if (c.resp === 3) c.reply.map(served.length);
  else c.reply.array(served.length);
  for (const [key, reply] of served) {
    if (c.resp !== 3) c.reply.array(2);
    c.reply.bulkString(key);
    reply();
  }
  if (xreadgroup) propagation.replace();
  return true;
}

/**
 * XREADGROUP `>`: hand the group's next entries to `consumer`, moving the group's last ID
 * and read counter and (unless NOACK) adding each to the PELs.
 */
function deliver(
  c: Context, s: StreamValue, group: ConsumerGroup, consumer: Consumer, key: string, args: ReadArgs, propagation: Propagation,
): Array<[bigint, string[]]> {
  const entries = collect(s, group.lastId + 1n, MAX_ID, false, args.count);
  const nowMs = Date.now();
  let lastIdMoved = false;
  for (const [id] of entries) {
    if (id > group.lastId) {
      if (group.entriesRead !== INVALID_ENTRIES_READ && !s.rangeHasTombstones(id)) group.entriesRead++;
      else if (s.entriesAdded !== 0) group.entriesRead = s.distanceFromFirstEver(id);
      group.lastId = id;
      lastIdMoved = true;
    }
    if (args.noAck) continue;
    let entry = group.pel.get(id);
    if (entry === undefined) {
      entry = { id, consumer, deliveryTime: nowMs, deliveryCount: 1 };
      group.pel.add(entry);
      consumer.pel.add(entry);
    } else {
      entry.consumer.pel.delete(id);
      entry.consumer = consumer;
      entry.deliveryTime = nowMs;
      entry.deliveryCount = 1;
      consumer.pel.add(entry);
    }
    const claimedEntry = entry;
    propagation.add(() => claimCommand(key, group, claimedEntry));
  }
  if (lastIdMoved && args.noAck) propagation.add(() => setIdCommand(key, group));
  if (entries.length > 0) c.db.modified(key);
  return entries;
}

export const xreadCommand = command({
  name: "xread", arity: -4, flags: ["readonly", "blocking"], categories: ["stream"],
  args: "COUNT=count:integer? BLOCK=milliseconds:integer? STREAMS=streams{key:key#0... id:string...}",
  keySpecs: [{ flags: ["RO", "access"], begin: { keyword: "STREAMS", startfrom: 1 }, find: { lastkey: -1, keystep: 1, limit: 2 } }],
  summary: "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
  since: "5.0.0", complexity: "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
  handler: (c, argv) => xreadGeneric(c, argv, false),
});

export const xreadgroupCommand = command({
  name: "xreadgroup", arity: -7, flags: ["write", "blocking"], categories: ["stream"],
  args: "GROUP=group_consumer{group:string consumer:string} COUNT=count:integer? BLOCK=milliseconds:integer? NOACK? STREAMS=streams{key:key#0... id:string...}",
  keySpecs: [{ flags: ["RO", "access"], begin: { keyword: "STREAMS", startfrom: 4 }, find: { lastkey: -1, keystep: 1, limit: 2 } }],
  summary: "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
  since: "5.0.0", complexity: "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
  handler: (c, argv) => xreadGeneric(c, argv, true),
});

// ---------------------------------------------------------------------------------------
// XACK, XPENDING, XCLAIM, XAUTOCLAIM

export const xackCommand = command({
  name: "xack", arity: -4, flags: ["write", "fast"], categories: ["stream"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "update"] },
  args: "key:key#0 group:string id:string...",
  summary: "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
  since: "5.0.0", complexity: "O(1) for each message ID processed.",
  handler(c, argv) {
    const key = argv.str(1);
    // Looked up as Redis looks it up (a hit or a miss).
    const group = lookupGroup(lookupStreamForWrite(c, key), argv.str(2));
    // No key or group: nothing to acknowledge, the IDs unread (as Redis answers).
    if (group === undefined) return c.reply.integer(0);
    const ids: bigint[] = [];
    for (let i = 3; i < argv.length; i++) ids.push(parseStrictId(argv.str(i)));
    let acked = 0;
    for (const id of ids) {
      const entry = group.pel.get(id);
      if (entry === undefined) continue;
      group.forget(entry);
      acked++;
    }
    if (acked > 0) c.server.keyspace.dirty += acked;
    c.reply.integer(acked);
  },
});

export const xpendingCommand = command({
  name: "xpending", arity: -3, flags: ["readonly"], categories: ["stream"], tips: ["nondeterministic_output"], keys: { first: 1, last: 1, step: 1 },
  history: [["6.2.0", "Added the `IDLE` option and exclusive range intervals."]],
  args: "key:key#0 group:string filters{IDLE=min-idle-time:integer?@6.2.0 start:string end:string count:integer consumer:string?}?",
  summary: "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
  since: "5.0.0", complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
  handler(c, argv) {
    const key = argv.str(1);
    const groupName = argv.str(2);
    const summary = argv.length === 3;
    if (!summary && (argv.length < 6 || argv.length > 9)) throw SYNTAX_ERR;
    let minIdle = 0;
    let start = 0n;
    let end = MAX_ID;
    let count = 0;
    let consumerName: string | undefined;
    if (!summary) {
      let at = 3;
      if (argv.keyword(3) === "idle") {
        minIdle = argv.int(4);
        if (argv.length < 8) throw SYNTAX_ERR;
        at += 2;
      }
      count = Math.max(0, argv.int(at + 2));
      start = parseBound(argv.str(at), true);
      end = parseBound(argv.str(at + 1), false);
      if (at + 3 < argv.length) consumerName = argv.str(at + 3);
    }
    const s = lookupStream(c, key);
    const group = lookupGroup(s, groupName);
    if (group === undefined) throw noKeyOrGroup(key, groupName);
    if (summary) {
      c.reply.array(4);
      c.reply.integer(group.pel.size);
      if (group.pel.size === 0) {
        c.reply.null();
        c.reply.null();
        return c.reply.nullArray();
      }
      c.reply.bulkString(formatId(group.pel.first()!.id));
      c.reply.bulkString(formatId(group.pel.last()!.id));
      const owners = group.sortedConsumers().filter((consumer) => consumer.pel.size > 0);
      c.reply.array(owners.length);
      for (const consumer of owners) {
        c.reply.array(2);
        c.reply.bulkString(consumer.name);
        c.reply.bulkString(String(consumer.pel.size));
      }
      return;
    }
    let pel = group.pel;
    if (consumerName !== undefined) {
      const consumer = group.consumers.get(consumerName);
      if (consumer === undefined) return c.reply.array(0);
      pel = consumer.pel;
    }
    const nowMs = Date.now();
    const rows: PendingEntry[] = [];
    for (const entry of pel.range(start, end)) {
      if (rows.length >= count) break;
      if (minIdle > 0 && nowMs - entry.deliveryTime < minIdle) continue;
      rows.push(entry);
    }
    c.reply.array(rows.length);
    for (const entry of rows) {
      c.reply.array(4);
      c.reply.bulkString(formatId(entry.id));
      c.reply.bulkString(entry.consumer.name);
      c.reply.integer(Math.max(0, nowMs - entry.deliveryTime));
      c.reply.integer(entry.deliveryCount);
    }
  },
});

/** Give `entry` to `consumer` (XCLAIM, XAUTOCLAIM): out of its old owner's PEL into the new one's. */
function transfer(entry: PendingEntry, consumer: Consumer): void {
  if (entry.consumer === consumer) return;
  entry.consumer.pel.delete(entry.id);
  entry.consumer = consumer;
  consumer.pel.add(entry);
}

/** A claimed entry's reply: its ID (JUSTID) or the entry, null when it is gone. */
function replyClaimed(c: Context, s: StreamValue, id: bigint, justId: boolean): void {
  if (justId) return c.reply.bulkString(formatId(id));
  const fields = s.get(id);
  if (fields === undefined) c.reply.null();
  else replyEntry(c, id, fields);
}

export const xclaimCommand = command({
  name: "xclaim", arity: -6, flags: ["write", "fast"], categories: ["stream"], tips: ["nondeterministic_output"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "update"] },
  args: "key:key#0 group:string consumer:string min-idle-time:string id:string... IDLE=ms:integer? TIME=unix-time-milliseconds:unix-time? RETRYCOUNT=count:integer? FORCE? JUSTID? LASTID=id:string?",
  summary: "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
  since: "5.0.0", complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.",
  handler(c, argv) {
    const key = argv.str(1);
    const s = lookupStreamForWrite(c, key);
    const group = lookupGroup(s, argv.str(2));
    if (s === undefined || group === undefined) throw noKeyOrGroup(key, argv.str(2));
    let minIdle = parseInt64(argv.bytes(4));
    if (minIdle === undefined) throw invalidArgumentFor("min-idle-time", "XCLAIM");
    minIdle = Math.max(0, minIdle);
    const ids: bigint[] = [];
    let j = 5;
    for (; j < argv.length; j++) {
      try {
        ids.push(parseStrictId(argv.str(j)));
      } catch {
        break;
      }
    }
    const nowMs = Date.now();
    let deliveryTime = -1;
    let retryCount = -1;
    let force = false;
    let justId = false;
    let lastId = 0n;
    for (; j < argv.length; j++) {
      const more = argv.length - 1 - j;
      const opt = argv.keyword(j);
      const optionInt = (what: string) => {
        const n = parseInt64(argv.bytes(++j));
        if (n === undefined) throw invalidArgumentFor(`${what} option`, "XCLAIM");
        return n;
      };
      if (opt === "force") force = true;
      else if (opt === "justid") justId = true;
      else if (opt === "idle" && more > 0) deliveryTime = nowMs - optionInt("IDLE");
      else if (opt === "time" && more > 0) deliveryTime = optionInt("TIME");
      else if (opt === "retrycount" && more > 0) retryCount = optionInt("RETRYCOUNT");
      else if (opt === "lastid" && more > 0) lastId = parseStrictId(argv.str(++j));
      else throw unrecognizedOption("XCLAIM", argv.str(j));
    }
    let propagateLastId = false;
    if (lastId > group.lastId) {
      group.lastId = lastId;
      propagateLastId = true;
    }
    if (deliveryTime === -1 || deliveryTime < 0 || deliveryTime > nowMs) deliveryTime = nowMs;
    const propagation = new Propagation(c);
    const claimed: bigint[] = [];
    let consumer: Consumer | undefined;
    for (const id of ids) {
      let entry = group.pel.get(id);
      if (s.get(id) === undefined) {
        // The entry is gone from the stream: its pending entry goes too.
        if (entry !== undefined) {
          const gone = entry;
          propagation.add(() => claimCommand(key, group, gone));
          propagateLastId = false;
          group.forget(entry);
        }
        continue;
      }
      let fresh = false;
      if (force && entry === undefined) {
        consumer ??= consumerOf(c, group, argv.str(3), key).consumer;
        entry = { id, consumer, deliveryTime, deliveryCount: 0 };
        group.pel.add(entry);
        consumer.pel.add(entry);
        fresh = true;
      }
      if (entry === undefined) continue;
      if (!fresh && minIdle > 0 && nowMs - entry.deliveryTime < minIdle) continue;
      consumer ??= consumerOf(c, group, argv.str(3), key).consumer;
      transfer(entry, consumer);
      entry.deliveryTime = deliveryTime;
      if (retryCount >= 0) entry.deliveryCount = retryCount;
      else if (!justId) entry.deliveryCount++;
      claimed.push(id);
      const moved = entry;
      propagation.add(() => claimCommand(key, group, moved));
      propagateLastId = false;
    }
    if (propagateLastId) propagation.add(() => setIdCommand(key, group));
    c.reply.array(claimed.length);
    for (const id of claimed) replyClaimed(c, s, id, justId);
    c.server.keyspace.dirty += propagation.changes;
    propagation.replace();
  },
});

export const xautoclaimCommand = command({
  name: "xautoclaim", arity: -6, flags: ["write", "fast"], categories: ["stream"], tips: ["nondeterministic_output"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "delete"] },
  history: [["7.0.0", "Added an element to the reply array, containing deleted entries the command cleared from the PEL"]],
  args: "key:key#0 group:string consumer:string min-idle-time:string start:string COUNT=count:integer? JUSTID?",
  summary: "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
  since: "6.2.0", complexity: "O(1) if COUNT is small.",
  handler(c, argv) {
    const key = argv.str(1);
    // Looked up first (a hit or a miss), its type checked after the arguments, as in Redis.
    const found = c.db.lookupKeyReadForWrite(key);
    let minIdle = parseInt64(argv.bytes(4));
    if (minIdle === undefined) throw invalidArgumentFor("min-idle-time", "XAUTOCLAIM");
    minIdle = Math.max(0, minIdle);
    const start = parseBound(argv.str(5), true);
    let count = 100;
    let justId = false;
    for (let j = 6; j < argv.length; j++) {
      const opt = argv.keyword(j);
      if (opt === "count" && j + 1 < argv.length) {
        const n = parseInt64(argv.bytes(++j));
        if (n === undefined || n < 1 || n > Math.floor(2 ** 63 / 16)) throw COUNT_MUST_BE_POSITIVE;
        count = n;
      } else if (opt === "justid") {
        justId = true;
      } else {
        throw SYNTAX_ERR;
      }
    }
    if (found !== undefined && !(found instanceof StreamValue)) throw WRONGTYPE;
    const s = found;
    const group = lookupGroup(s, argv.str(2));
    if (s === undefined || group === undefined) throw noKeyOrGroup(key, argv.str(2));
    let attempts = count * 10;
    const nowMs = Date.now();
    const claimed: bigint[] = [];
    const deleted: bigint[] = [];
    const propagation = new Propagation(c);
    let consumer: Consumer | undefined;
    // The PEL is walked by ID (entries leave it on the way), never copied.
    let entry = group.pel.ceiling(start);
    for (; attempts > 0 && count > 0 && entry !== undefined; entry = group.pel.ceiling(entry.id + 1n)) {
      attempts--;
      const current = entry;
      if (s.get(entry.id) === undefined) {
        propagation.add(() => claimCommand(key, group, current));
        group.forget(entry);
        deleted.push(entry.id);
        count--;
        continue;
      }
      if (minIdle > 0 && nowMs - entry.deliveryTime < minIdle) continue;
      consumer ??= consumerOf(c, group, argv.str(3), key).consumer;
      transfer(entry, consumer);
      entry.deliveryTime = nowMs;
      if (!justId) entry.deliveryCount++;
      claimed.push(entry.id);
      count--;
      propagation.add(() => claimCommand(key, group, current));
    }
    c.reply.array(3);
    c.reply.bulkString(formatId(entry?.id ?? 0n));
    c.reply.array(claimed.length);
    for (const id of claimed) replyClaimed(c, s, id, justId);
    c.reply.array(deleted.length);
    for (const id of deleted) c.reply.bulkString(formatId(id));
    c.server.keyspace.dirty += propagation.changes;
    propagation.replace();
  },
});

// ---------------------------------------------------------------------------------------
// XGROUP

const xgroupSpec = { flags: ["write"] as CommandFlag[], categories: ["stream"], keys: { first: 2, last: 2, step: 1 } };

/** XGROUP's key and group (streamLookupCG): the key must exist, and the group for most subcommands. */
function xgroupTarget(c: Context, argv: Argv, needGroup: boolean, mkstream = false): { key: string; s: StreamValue | undefined; group: ConsumerGroup | undefined } {
  const key = argv.str(2);
  const s = c.db.writeAs(key, StreamValue);
  if (s === undefined && !mkstream) throw XGROUP_KEY_MISSING;
  const group = lookupGroup(s, argv.str(3));
  if (needGroup && group === undefined) throw noGroupForKey(argv.str(3), key);
  return { key, s, group };
}

/** CREATE's and SETID's options: MKSTREAM (CREATE only) and ENTRIESREAD. */
function parseGroupOptions(argv: Argv, create: boolean): { mkstream: boolean; entriesRead: number } {
  let mkstream = false;
  let entriesRead = INVALID_ENTRIES_READ;
  for (let i = 5; i < argv.length; ) {
    const opt = argv.keyword(i);
    if (opt === "mkstream" && create) {
      mkstream = true;
      i++;
    } else if (opt === "entriesread" && i + 1 < argv.length) {
      entriesRead = argv.int(i + 1);
      if (entriesRead < 0 && entriesRead !== INVALID_ENTRIES_READ) throw ENTRIESREAD_INVALID;
      i += 2;
    } else {
      throw subcommandSyntax(argv.str(1), "xgroup");
    }
  }
  return { mkstream, entriesRead };
}

export const xgroupCommand = command({
  name: "xgroup", arity: -2, flags: [], summary: "A container for consumer groups commands", since: "5.0.0", complexity: "Depends on subcommand.",
  subcommands: [
    command({
      ...xgroupSpec, name: "xgroup|create", events: "after", arity: -5, flags: ["write", "denyoom"], keys: { first: 2, last: 2, step: 1, flags: ["RW", "insert"] },
      history: [["7.0.0", "Added the `entries_read` named argument."]],
      args: "key:key#0 groupname:string id(id:string|'$'/new_id) MKSTREAM? ENTRIESREAD=entries_read:integer?",
      summary: "Create a consumer group.", since: "5.0.0", complexity: "O(1)",
      handler(c, argv) {
        if (argv.length > 8) throw subcommandSyntax(argv.str(1), "xgroup");
        const { mkstream, entriesRead } = parseGroupOptions(argv, true);
        let { key, s } = xgroupTarget(c, argv, false, mkstream);
        const text = argv.str(4);
        const id = text === "$" ? (s?.lastId ?? 0n) : parseStrictId(text);
        if (s === undefined) {
          s = c.db.writeOrCreate(key, StreamValue, () => new StreamValue());
          c.db.modified(key, 0);
        }
        const name = argv.str(3);
        s.groups ??= new Map();
        if (s.groups.has(name)) throw BUSYGROUP;
        s.groups.set(name, new ConsumerGroup(name, id, entriesRead));
        c.db.modified(key);
        c.notify(NotifyClass.Stream, "xgroup-create", key);
        c.reply.ok();
      },
    }),
    command({
      ...xgroupSpec, name: "xgroup|setid", events: "after", arity: -5, keys: { first: 2, last: 2, step: 1, flags: ["RW", "update"] },
      history: [["7.0.0", "Added the optional `entries_read` argument."]],
      args: "key:key#0 groupname:string id(id:string|'$'/new_id) ENTRIESREAD=entries_read:integer?",
      summary: "Set a consumer group to an arbitrary last delivered ID value.", since: "5.0.0", complexity: "O(1)",
      handler(c, argv) {
        if (argv.length !== 5 && argv.length !== 7) throw subcommandSyntax(argv.str(1), "xgroup");
        const { entriesRead } = parseGroupOptions(argv, false);
        const { key, s, group } = xgroupTarget(c, argv, true);
        const text = argv.str(4);
        group!.lastId = text === "$" ? s!.lastId : parseId(text);
        group!.entriesRead = entriesRead;
        c.db.modified(key);
        c.notify(NotifyClass.Stream, "xgroup-setid", key);
        c.reply.ok();
      },
    }),
    command({
      ...xgroupSpec, name: "xgroup|destroy", events: "after", arity: 4, keys: { first: 2, last: 2, step: 1, flags: ["RW", "delete"] },
      args: "key:key#0 groupname:string",
      summary: "Destroy a consumer group.", since: "5.0.0", complexity: "O(N) where N is the number of entries in the group's pending entries list (PEL).",
      handler(c, argv) {
        const { key, s, group } = xgroupTarget(c, argv, false);
        if (group === undefined) return c.reply.integer(0);
        s!.groups!.delete(group.name);
        // Blocked XREADGROUP clients of the group get their turn, and -NOGROUP.
        c.db.modified(key);
        c.notify(NotifyClass.Stream, "xgroup-destroy", key);
        c.reply.integer(1);
      },
    }),
    command({
      ...xgroupSpec, name: "xgroup|createconsumer", arity: 5, flags: ["write", "denyoom"], keys: { first: 2, last: 2, step: 1, flags: ["RW", "insert"] },
      args: "key:key#0 groupname:string consumername:string",
      summary: "Create a consumer in a consumer group.", since: "6.2.0", complexity: "O(1)",
      handler(c, argv) {
        const { key, group } = xgroupTarget(c, argv, true);
        const name = argv.str(4);
        if (group!.consumers.has(name)) return c.reply.integer(0);
        consumerOf(c, group!, name, key);
        // The creation counted the change.
        c.db.modified(key, 0);
        c.reply.integer(1);
      },
    }),
    command({
      ...xgroupSpec, name: "xgroup|delconsumer", arity: 5, keys: { first: 2, last: 2, step: 1, flags: ["RW", "delete"] },
      args: "key:key#0 groupname:string consumername:string",
      summary: "Delete a consumer from a consumer group.", since: "5.0.0", complexity: "O(1)",
      handler(c, argv) {
        const { key, group } = xgroupTarget(c, argv, true);
        const consumer = group!.consumers.get(argv.str(4));
        if (consumer === undefined) return c.reply.integer(0);
        const pending = consumer.pel.size;
        for (const entry of [...consumer.pel.range()]) group!.forget(entry);
        group!.consumers.delete(consumer.name);
        c.db.modified(key);
        c.notify(NotifyClass.Stream, "xgroup-delconsumer", key);
        c.reply.integer(pending);
      },
    }),
    command({
      name: "xgroup|help", arity: 2, flags: ["loading", "stale"], categories: ["stream"],
      summary: "Show helpful text about the different subcommands", since: "5.0.0",
      handler: (c) =>
        c.reply.helpLines([
          "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "CREATE <key> <groupname> <id|$> [option]",
          "    Create a new consumer group. Options are:",
          "    * MKSTREAM",
          "      Create the empty stream if it does not exist.",
          "    * ENTRIESREAD entries_read",
          "      Set the group's entries_read counter (internal use).",
          "CREATECONSUMER <key> <groupname> <consumer>",
          "    Create a new consumer in the specified group.",
          "DELCONSUMER <key> <groupname> <consumer>",
          "    Remove the specified consumer.",
          "DESTROY <key> <groupname>",
          "    Remove the specified group.",
          "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
          "    Set the current group ID and entries_read counter.",
          "HELP",
          "    Prints this help.",
        ]),
    }),
  ],
});

// ---------------------------------------------------------------------------------------
// XINFO

const xinfoSpec = { flags: ["readonly"] as CommandFlag[], categories: ["stream"], keys: { first: 2, last: 2, step: 1 } };

function lookupForInfo(c: Context, argv: Argv): StreamValue {
  const s = lookupStream(c, argv.str(2));
  if (s === undefined) throw NO_SUCH_KEY;
  return s;
}

function replyEdgeEntry(c: Context, entry: { id: bigint; fields: string[] } | undefined): void {
  if (entry === undefined) c.reply.null();
  else replyEntry(c, entry.id, entry.fields);
}

function replyEntriesRead(c: Context, group: ConsumerGroup): void {
  if (group.entriesRead === INVALID_ENTRIES_READ) c.reply.null();
  else c.reply.integer(group.entriesRead);
}

function replyLag(c: Context, s: StreamValue, group: ConsumerGroup): void {
  const lag = s.lag(group);
  if (lag === undefined) c.reply.null();
  else c.reply.integer(lag);
}

/** XINFO STREAM's fields before its entries, shared by the plain and FULL forms. */
function replyStreamHeader(c: Context, s: StreamValue): void {
  c.reply.bulkString("length");
  c.reply.integer(s.length);
  c.reply.bulkString("radix-tree-keys");
  c.reply.integer(s.nodes.length);
  c.reply.bulkString("radix-tree-nodes");
  c.reply.integer(s.raxNodeCount());
  c.reply.bulkString("last-generated-id");
  c.reply.bulkString(formatId(s.lastId));
  c.reply.bulkString("max-deleted-entry-id");
  c.reply.bulkString(formatId(s.maxDeletedId));
  c.reply.bulkString("entries-added");
  c.reply.integer(s.entriesAdded);
  c.reply.bulkString("recorded-first-entry-id");
  c.reply.bulkString(formatId(s.firstId));
}

function xinfoStreamFull(c: Context, s: StreamValue, count: number): void {
  c.reply.map(9);
  replyStreamHeader(c, s);
  c.reply.bulkString("entries");
  replyEntries(c, collect(s, 0n, MAX_ID, false, count));
  c.reply.bulkString("groups");
  const groups = s.sortedGroups();
  c.reply.array(groups.length);
  for (const group of groups) {
    c.reply.map(7);
    c.reply.bulkString("name");
    c.reply.bulkString(group.name);
    c.reply.bulkString("last-delivered-id");
    c.reply.bulkString(formatId(group.lastId));
    c.reply.bulkString("entries-read");
    replyEntriesRead(c, group);
    c.reply.bulkString("lag");
    replyLag(c, s, group);
    c.reply.bulkString("pel-count");
    c.reply.integer(group.pel.size);
    c.reply.bulkString("pending");
    const pending = take(group.pel.range(), count);
    c.reply.array(pending.length);
    for (const entry of pending) {
      c.reply.array(4);
      c.reply.bulkString(formatId(entry.id));
      c.reply.bulkString(entry.consumer.name);
      c.reply.integer(entry.deliveryTime);
      c.reply.integer(entry.deliveryCount);
    }
    c.reply.bulkString("consumers");
    const consumers = group.sortedConsumers();
    c.reply.array(consumers.length);
    for (const consumer of consumers) {
      c.reply.map(4);
      c.reply.bulkString("name");
      c.reply.bulkString(consumer.name);
      c.reply.bulkString("seen-time");
      c.reply.integer(consumer.seenTime);
      c.reply.bulkString("pel-count");
      c.reply.integer(consumer.pel.size);
      c.reply.bulkString("pending");
      const own = take(consumer.pel.range(), count);
      c.reply.array(own.length);
      for (const entry of own) {
        c.reply.array(3);
        c.reply.bulkString(formatId(entry.id));
        c.reply.integer(entry.deliveryTime);
        c.reply.integer(entry.deliveryCount);
      }
    }
  }
}

/** The first `count` items (0: all). */
function take<T>(items: Iterable<T>, count: number): T[] {
  const out: T[] = [];
  for (const item of items) {
    if (count > 0 && out.length >= count) break;
    out.push(item);
  }
  return out;
}

export const xinfoCommand = command({
  name: "xinfo", arity: -2, flags: [], summary: "A container for stream introspection commands", since: "5.0.0", complexity: "Depends on subcommand.",
  subcommands: [
    command({
      ...xinfoSpec, name: "xinfo|stream", arity: -3,
      history: [["6.0.0", "Added the `FULL` modifier."], ["7.0.0", "Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields"]],
      args: "key:key#0 FULL=full{COUNT=count:integer?}?",
      summary: "Get information about a stream", since: "5.0.0", complexity: "O(1)",
      handler(c, argv) {
        let full = false;
        let count = 10;
        if (argv.length > 3) {
          if (argv.keyword(3) !== "full") throw subcommandSyntax(argv.str(1), "xinfo");
          full = true;
          if (argv.length === 6 && argv.keyword(4) === "count") {
            count = argv.int(5);
            if (count < 0) count = 0;
          } else if (argv.length !== 4) {
            throw SYNTAX_ERR;
          }
        }
        const s = lookupForInfo(c, argv);
        if (full) return xinfoStreamFull(c, s, count);
        c.reply.map(10);
        replyStreamHeader(c, s);
        c.reply.bulkString("groups");
        c.reply.integer(s.groups?.size ?? 0);
        c.reply.bulkString("first-entry");
        replyEdgeEntry(c, s.edge(true));
        c.reply.bulkString("last-entry");
        replyEdgeEntry(c, s.edge(false));
      },
    }),
    command({
      ...xinfoSpec, name: "xinfo|groups", arity: 3,
      history: [["7.0.0", "Added the `entries-read` and `lag` fields"]],
      args: "key:key#0",
      summary: "List the consumer groups of a stream", since: "5.0.0", complexity: "O(1)",
      handler(c, argv) {
        const s = lookupForInfo(c, argv);
        const groups = s.sortedGroups();
        c.reply.array(groups.length);
        for (const group of groups) {
          c.reply.map(6);
          c.reply.bulkString("name");
          c.reply.bulkString(group.name);
          c.reply.bulkString("consumers");
          c.reply.integer(group.consumers.size);
          c.reply.bulkString("pending");
          c.reply.integer(group.pel.size);
          c.reply.bulkString("last-delivered-id");
          c.reply.bulkString(formatId(group.lastId));
          c.reply.bulkString("entries-read");
          replyEntriesRead(c, group);
          c.reply.bulkString("lag");
          replyLag(c, s, group);
        }
      },
    }),
    command({
      ...xinfoSpec, name: "xinfo|consumers", arity: 4, tips: ["nondeterministic_output"],
      args: "key:key#0 groupname:string",
      summary: "List the consumers in a consumer group", since: "5.0.0", complexity: "O(1)",
      handler(c, argv) {
        const s = lookupForInfo(c, argv);
        const group = lookupGroup(s, argv.str(3));
        if (group === undefined) throw noGroupForKey(argv.str(3), argv.str(2));
        const consumers = group.sortedConsumers();
        const nowMs = Date.now();
        c.reply.array(consumers.length);
        for (const consumer of consumers) {
          c.reply.map(3);
          c.reply.bulkString("name");
          c.reply.bulkString(consumer.name);
          c.reply.bulkString("pending");
          c.reply.integer(consumer.pel.size);
          c.reply.bulkString("idle");
          c.reply.integer(Math.max(0, nowMs - consumer.seenTime));
        }
      },
    }),
    command({
      name: "xinfo|help", arity: 2, flags: ["loading", "stale"], categories: ["stream"],
      summary: "Show helpful text about the different subcommands", since: "5.0.0",
      handler: (c) =>
        c.reply.helpLines([
          "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "CONSUMERS <key> <groupname>",
          "    Show consumers of <groupname>.",
          "GROUPS <key>",
          "    Show the stream consumer groups.",
          "STREAM <key> [FULL [COUNT <count>]",
          "    Show information about the stream.",
          "HELP",
          "    Prints this help.",
        ]),
    }),
  ],
});

