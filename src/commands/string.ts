/**
 * String commands (COMMAND DOCS group "string"). SET, SETEX, GETEX and friends share
 * parseExtendedStringArgs, which checks option conflicts first and reads the expire time
 * only then, so errors come in the order Redis's parseExtendedStringArgumentsOrReply gives
 * them. Numbers follow Redis exactly: INCR works on exact 64-bit integers, INCRBYFLOAT in
 * emulated long double (see long-double.ts).
 */
import type { Argv } from "../resp/argv.ts";
import { now } from "../clock.ts";
import {
  DECR_OVERFLOW, INCR_NAN, INCR_OVERFLOW, LCS_LEN_AND_IDX, LCS_NOT_STRINGS, LCS_TOO_BIG, NOT_FLOAT, NOT_INTEGER,
  OFFSET_OUT_OF_RANGE, STRING_TOO_LONG, SYNTAX_ERR, WRONGTYPE, invalidExpireTime, wrongArity,
} from "../errors.ts";
import { bytesToString, copyRange } from "../resp/bytes.ts";
import { addLongDouble, formatLongDouble, isInfinite, parseLongDouble } from "../resp/long-double.ts";
import type { Context } from "./context.ts";
import { ArgCursor, parseIntArg } from "./args.ts";
import { NotifyClass } from "../keyspace-events.ts";
import { type KeyRef, command } from "./command.ts";
import { absoluteDeadline, deleteForPastDeadline } from "./generic.ts";
import { ByteSlice, SetOnly, isStringValue, stringOf, toStringValue } from "../store/keyspace.ts";

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

export const getCommand = command({
  name: "get", arity: 2, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["string"],
  args: "key:key#0",
  summary: "Get the value of a key", since: "1.0.0",
  handler(c, argv) {
    // The key is found from the request's bytes: no string is made of it.
    c.db.readStringBytes(argv.buffer(1), argv.start(1), argv.end(1), c.reply);
  },
});

const enum SetFlag {
  None = 0,
  NX = 1,
  XX = 2,
  GET = 4,
  KEEPTTL = 8,
  EX = 16,
  PX = 32,
  EXAT = 64,
  PXAT = 128,
  PERSIST = 256,
}
const EXPIRE_FLAGS = SetFlag.EX | SetFlag.PX | SetFlag.EXAT | SetFlag.PXAT | SetFlag.KEEPTTL | SetFlag.PERSIST;
/** The options setFast serves. */
const FAST_SET_FLAGS = SetFlag.NX | SetFlag.XX | SetFlag.EX | SetFlag.PX;

/**
 * The options of SET (forSet) or GETEX: NX, XX, GET, KEEPTTL and PERSIST where each is
 * allowed, and one of EX/PX/EXAT/PXAT. Repeating an option is allowed (the last value
 * wins); combining rivals is a syntax error. Returns the flags and where the expire argument
 * is (0: none), which `deadlineOf` reads (SET at once, GETEX once the key is found, as
 * Redis's order is).
 */
function parseExtendedStringArgs(argv: Argv, start: number, forSet: boolean): [SetFlag, number] {
  let flags = SetFlag.None;
  let expireAt = 0;
  for (let i = start; i < argv.length; i++) {
    const opt = argv.keyword(i);
    const hasNext = i + 1 < argv.length;
    const expireFlag = opt === "ex" ? SetFlag.EX : opt === "px" ? SetFlag.PX : opt === "exat" ? SetFlag.EXAT : opt === "pxat" ? SetFlag.PXAT : 0;
    if (forSet && opt === "nx" && !(flags & SetFlag.XX)) flags |= SetFlag.NX;
    else if (forSet && opt === "xx" && !(flags & SetFlag.NX)) flags |= SetFlag.XX;
    else if (forSet && opt === "get") flags |= SetFlag.GET;
    else if (forSet && opt === "keepttl" && !(flags & (EXPIRE_FLAGS & ~SetFlag.KEEPTTL))) flags |= SetFlag.KEEPTTL;
    else if (!forSet && opt === "persist" && !(flags & (EXPIRE_FLAGS & ~SetFlag.PERSIST))) flags |= SetFlag.PERSIST;
    else if (expireFlag !== 0 && hasNext && !(flags & (EXPIRE_FLAGS & ~expireFlag))) {
      flags |= expireFlag;
      expireAt = ++i;
    } else throw SYNTAX_ERR;
  }
  return [flags, expireAt];
}

/** The absolute deadline in ms the EX/PX/EXAT/PXAT argument at `expireAt` gives (-1 for none). */
function deadlineOf(c: Context, argv: Argv, flags: SetFlag, expireAt: number): number {
  if (expireAt === 0) return -1;
  return expireDeadline(c, argv, expireAt, flags & (SetFlag.EX | SetFlag.EXAT) ? 1000 : 1, (flags & (SetFlag.EX | SetFlag.PX)) !== 0);
}

/** Argument `i` as an absolute deadline; zero, negative or overflowing is Redis's error. */
function expireDeadline(c: Context, argv: Argv, i: number, unitMs: 1 | 1000, relative: boolean): number {
  const given = argv.exactInt(i);
  const deadline = given <= 0 ? undefined : absoluteDeadline(given, unitMs, relative ? now() : 0);
  if (deadline === undefined) throw invalidExpireTime(c.lastCommand);
  return deadline;
}

/**
 * SET ... GET's and GETSET's first look at the key, as GET reads it (a hit or a miss, a
 * keymiss event written before their reply); WRONGTYPE for another type.
 */
function readForGet(c: Context, key: string): void {
  const current = c.db.lookupKeyReadForWrite(key);
  if (current !== undefined && !isStringValue(current)) throw WRONGTYPE;
}

/**
 * The SET family: store `value` unless NX or XX forbid it, honouring KEEPTTL and an
 * absolute deadline. Returns whether it was stored and the previous string (for GET).
 */
function setGeneric(c: Context, key: string, value: string, flags: SetFlag, when: number): [stored: boolean, old: string | undefined] {
  const db = c.db;
  // With GET the caller has read the key first (readForGet); it is looked up for the write
  // now, as Redis's setGenericCommand does.
  const old = db.lookupKeyWrite(key);
  const oldString = old === undefined || !isStringValue(old) ? undefined : stringOf(old);
  if ((flags & SetFlag.NX && old !== undefined) || (flags & SetFlag.XX && old === undefined)) return [false, oldString];
  // One change with its TTL, as Redis counts SET EX.
  db.setKey(key, toStringValue(value), (flags & SetFlag.KEEPTTL) !== 0, when === -1 ? NaN : when, true);
  c.notify(NotifyClass.String, "set", key);
  if (when !== -1) {
    c.notify(NotifyClass.Generic, "expire", key);
    // Replicas get the deadline as an absolute time, as Redis 7 propagates it.
    c.propagateAs(["SET", key, value, "PXAT", String(when)]);
  }
  return [true, oldString];
}

/** SET reads its key only with GET (Redis's setGetKeys, for ACL %R~/%W~ patterns). */
function setKeys(argv: Argv): KeyRef[] {
  for (let i = 3; i < argv.length; i++) if (argv.keyword(i) === "get") return [{ pos: 1, flags: ["RW", "access", "update"] }];
  return [{ pos: 1, flags: ["OW", "update"] }];
}

/** The plain SET's value, reused. */
const setValue = new ByteSlice();

/**
 * SET with NX or XX and EX or PX (a cache's write, a lock's; `flags` and `expireAt` as
 * parseExtendedStringArgs gave them), stored as the plain SET is (no string made of the
 * key or the value, no old value read) while nothing listens for its events. False
 * (nothing done) otherwise, and for a time Redis refuses: the general way answers it;
 * true once the reply is written.
 */
function setFast(c: Context, argv: Argv, flags: SetFlag, expireAt: number): boolean {
  if (c.notifies(NotifyClass.String) || c.notifies(NotifyClass.Generic)) return false;
  let when = NaN;
  if (expireAt !== 0) {
    const n = argv.tryInt(expireAt);
    const deadline = n === undefined || n <= 0 ? undefined : absoluteDeadline(n, flags & SetFlag.EX ? 1000 : 1, now());
    if (deadline === undefined) return false;
    when = deadline;
  }
  const only = flags & SetFlag.NX ? SetOnly.IfAbsent : flags & SetFlag.XX ? SetOnly.IfPresent : SetOnly.Always;
  const value = setValue.of(argv.buffer(2), argv.start(2), argv.end(2));
  const stored = c.db.setStringBytes(argv.buffer(1), argv.start(1), argv.end(1), value.integer() ?? value, when, only);
  value.release();
  if (stored < 0) return false;
  if (stored === 0) {
    c.reply.null();
    return true;
  }
  // Replicas get the deadline as an absolute time, as Redis 7 propagates it.
  if (expireAt !== 0 && c.server.propagation.wanted) c.propagateAs(["SET", argv.bytes(1), argv.bytes(2), "PXAT", String(when)]);
  c.reply.ok();
  return true;
}

export const setCommand = command({
  name: "set", arity: -3, flags: ["write", "denyoom"], getKeys: setKeys,
  history: [["2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."], ["6.0.0", "Added the `KEEPTTL` option."], ["6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."], ["7.0.0", "Allowed the `NX` and `GET` options to be used together."]],
  args: "key:key#0 value:string condition(NX|XX)?@2.6.12 GET?@6.2.0 expiration(EX=seconds:integer@2.6.12|PX=milliseconds:integer@2.6.12|EXAT=unix-time-seconds:unix-time@6.2.0|PXAT=unix-time-milliseconds:unix-time@6.2.0|KEEPTTL@6.0.0)?",
  keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "update", "variable_flags"], notes: "RW and ACCESS due to the optional `GET` argument" }, categories: ["string"],
  summary: "Set the string value of a key", since: "1.0.0",
  handler(c, argv) {
    if (argv.length === 3) {
      // A plain SET needs neither option parsing nor the old value: the commonest write
      // skips both. The value goes from the request's bytes into the keyspace's cell: no
      // string is made; nor of the key, unless a keyspace event or a listener in the
      // keyspace needs it, or the key is past its deadline.
      const value = setValue.of(argv.buffer(2), argv.start(2), argv.end(2));
      const stored = value.integer() ?? value;
      if (c.notifies(NotifyClass.String) || c.db.setStringBytes(argv.buffer(1), argv.start(1), argv.end(1), stored) < 0) {
        const key = argv.str(1);
        c.db.setKey(key, stored);
        c.notify(NotifyClass.String, "set", key);
      }
      value.release();
      return c.reply.ok();
    }
    const [flags, expireAt] = parseExtendedStringArgs(argv, 3, true);
    if ((flags & ~FAST_SET_FLAGS) === 0 && setFast(c, argv, flags, expireAt)) return;
    const when = deadlineOf(c, argv, flags, expireAt);
    if (flags & SetFlag.GET) readForGet(c, argv.str(1));
    const mark = c.reply.length;
    const [stored, old] = setGeneric(c, argv.str(1), argv.str(2), flags, when);
    if (flags & SetFlag.GET) {
      if (old === undefined) c.reply.null();
      else c.reply.bulkString(old);
      // With GET, Redis replies with the old value before the set's keyspace events.
      c.reply.movePushes(mark, "after");
      // Replicas get it without GET (a deadline rewrote the whole command already).
      if (stored && when === -1 && c.server.propagation.wanted) c.propagateAs(argv.views(0).filter((_, i) => i < 3 || argv.keyword(i) !== "get"));
    } else if (stored) c.reply.ok();
    else c.reply.null();
  },
});

export const setnxCommand = command({
  name: "setnx", arity: 3, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["OW", "insert"] }, categories: ["string"],
  args: "key:key#0 value:string",
  summary: "Set the value of a key, only if the key does not exist", since: "1.0.0",
  handler(c, argv) {
    const [stored] = setGeneric(c, argv.str(1), argv.str(2), SetFlag.NX, -1);
    c.reply.integer(stored ? 1 : 0);
  },
});

export const setexCommand = command({
  name: "setex", arity: 4, flags: ["write", "denyoom"], keys: { first: 1, last: 1, step: 1, flags: ["OW", "update"] }, categories: ["string"],
  args: "key:key#0 seconds:integer value:string",
  summary: "Set the value and expiration of a key", since: "2.0.0",
  handler(c, argv) {
    setGeneric(c, argv.str(1), argv.str(3), SetFlag.None, expireDeadline(c, argv, 2, 1000, true));
    c.reply.ok();
  },
});

export const psetexCommand = command({
  name: "psetex", arity: 4, flags: ["write", "denyoom"], keys: { first: 1, last: 1, step: 1, flags: ["OW", "update"] }, categories: ["string"],
  args: "key:key#0 milliseconds:integer value:string",
  summary: "Set the value and expiration in milliseconds of a key", since: "2.6.0",
  handler(c, argv) {
    setGeneric(c, argv.str(1), argv.str(3), SetFlag.None, expireDeadline(c, argv, 2, 1, true));
    c.reply.ok();
  },
});

export const getsetCommand = command({
  name: "getset", arity: 3, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "update"] }, categories: ["string"],
  docFlags: ["deprecated"], deprecatedSince: "6.2.0", replacedBy: "`SET` with the `!GET` argument",
  args: "key:key#0 value:string",
  summary: "Set the string value of a key and return its old value", since: "1.0.0",
  handler(c, argv) {
    const key = argv.str(1);
    readForGet(c, key);
    const mark = c.reply.length;
    const [, old] = setGeneric(c, key, argv.str(2), SetFlag.GET, -1);
    if (old === undefined) c.reply.null();
    else c.reply.bulkString(old);
    // The set's events follow the reply, as Redis writes them; a keymiss came before it.
    c.reply.movePushes(mark, "after");
    // Replicas and the AOF get a SET, as Redis 7 propagates it.
    if (c.server.propagation.wanted) c.propagateAs(["SET", argv.bytes(1), argv.bytes(2)]);
  },
});

export const getdelCommand = command({
  name: "getdel", arity: 2, flags: ["write", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "delete"] }, categories: ["string"],
  args: "key:key#0",
  summary: "Get the value of a key and delete the key", since: "6.2.0",
  handler(c, argv) {
    const key = argv.str(1);
    const value = c.db.lookupString(key);
    if (value === undefined) return c.reply.null();
    c.reply.bulkString(value);
    c.db.delete(key);
    c.notify(NotifyClass.Generic, "del", key);
    // Replicas and the AOF get a DEL, as Redis propagates it.
    c.propagateAs(["DEL", argv.bytes(1)]);
  },
});

export const getexCommand = command({
  name: "getex", arity: -2, flags: ["write", "fast"],
  args: "key:key#0 expiration(EX=seconds:integer|PX=milliseconds:integer|EXAT=unix-time-seconds:unix-time|PXAT=unix-time-milliseconds:unix-time|PERSIST)?",
  keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "update"], notes: "RW and UPDATE because it changes the TTL" }, categories: ["string"],
  summary: "Get the value of a key and optionally set its expiration", since: "6.2.0",
  handler(c, argv) {
    const [flags, expireAt] = parseExtendedStringArgs(argv, 2, false);
    const key = argv.str(1);
    const value = c.db.lookupString(key);
    if (value === undefined) return c.reply.null();
    const when = deadlineOf(c, argv, flags, expireAt);
    c.reply.bulkString(value);
    // An absolute deadline already in the past deletes the key, as in Redis. Replicas get
    // the deadline as an absolute time.
    if (when !== -1 && when <= now()) deleteForPastDeadline(c, key);
    else if (when !== -1) {
      c.db.setExpire(key, when);
      c.propagateAs(["PEXPIREAT", key, String(when)]);
      c.notify(NotifyClass.Generic, "expire", key);
    } else if (flags & SetFlag.PERSIST && c.db.removeExpire(key)) {
      c.propagateAs(["PERSIST", key]);
      c.notify(NotifyClass.Generic, "persist", key);
    }
  },
});

export const mgetCommand = command({
  name: "mget", arity: -2, flags: ["readonly", "fast"], keys: { first: 1, last: -1, step: 1 }, categories: ["string"], tips: ["request_policy:multi_shard"],
  args: "key:key#0...",
  summary: "Get the values of all the given keys", since: "1.0.0", complexity: "O(N) where N is the number of keys to retrieve.",
  handler(c, argv) {
    c.reply.array(argv.length - 1);
    // As GET: each key found from the request's bytes, each value written from its cell.
    for (let i = 1; i < argv.length; i++) c.db.readStringBytes(argv.buffer(i), argv.start(i), argv.end(i), c.reply, true);
  },
});

/** MSET and MSETNX: pairs of key and value; NX sets none of them if any key exists. */
function msetGeneric(c: Context, argv: Argv, nx: boolean): void {
  if (argv.length % 2 === 0) throw wrongArity(c.lastCommand);
  if (nx) {
    for (let i = 1; i < argv.length; i += 2) {
      if (c.db.exists(argv.str(i))) return c.reply.integer(0);
    }
  }
  const notifies = c.notifies(NotifyClass.String);
  for (let i = 1; i < argv.length; i += 2) {
    const value = setValue.of(argv.buffer(i + 1), argv.start(i + 1), argv.end(i + 1));
    const stored = value.integer() ?? value;
    if (notifies || c.db.setStringBytes(argv.buffer(i), argv.start(i), argv.end(i), stored) < 0) {
      const key = argv.str(i);
      c.db.setKey(key, stored);
      c.notify(NotifyClass.String, "set", key);
    }
    value.release();
  }
  if (nx) c.reply.integer(1);
  else c.reply.ok();
}

export const msetCommand = command({
  name: "mset", arity: -3, flags: ["write", "denyoom"], keys: { first: 1, last: -1, step: 2, flags: ["OW", "update"] }, categories: ["string"],
  args: "key_value{key:key#0 value:string}...",
  tips: ["request_policy:multi_shard", "response_policy:all_succeeded"],
  summary: "Set multiple keys to multiple values", since: "1.0.1", complexity: "O(N) where N is the number of keys to set.",
  handler: (c, argv) => msetGeneric(c, argv, false),
});

export const msetnxCommand = command({
  name: "msetnx", arity: -3, flags: ["write", "denyoom"], keys: { first: 1, last: -1, step: 2, flags: ["OW", "insert"] }, categories: ["string"],
  args: "key_value{key:key#0 value:string}...",
  tips: ["request_policy:multi_shard", "response_policy:agg_min"],
  summary: "Set multiple keys to multiple values, only if none of the keys exist", since: "1.0.1", complexity: "O(N) where N is the number of keys to set.",
  handler: (c, argv) => msetGeneric(c, argv, true),
});

/** proto-max-bulk-len bounds every string a command can grow (checkStringLength). */
function checkStringLength(c: Context, size: number): void {
  if (size > c.server.config.int("proto-max-bulk-len")) throw STRING_TOO_LONG;
}

export const appendCommand = command({
  name: "append", events: "before", notify: [NotifyClass.String, "append"], arity: 3, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "insert"] }, categories: ["string"],
  args: "key:key#0 value:string",
  summary: "Append a value to a key", since: "2.0.0",
  complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
  handler(c, argv) {
    // A string is grown in its cell, found from the request's bytes.
    const appended = c.db.appendBytes(argv.buffer(1), argv.start(1), argv.end(1), argv.buffer(2), argv.start(2), argv.end(2), c.server.config.int("proto-max-bulk-len"));
    if (appended === -2) throw STRING_TOO_LONG;
    if (appended >= 0) return c.reply.integer(appended);
    const key = argv.str(1);
    const suffixLength = argv.len(2);
    // Appending to an existing string makes it a raw (growable) one, grown in place; a new
    // key is encoded as SET would encode it.
    const held = c.db.unsharedString(key, (bytes) => checkStringLength(c, bytes.length + suffixLength));
    if (held === undefined) {
      c.db.setKey(key, toStringValue(argv.str(2)), true);
      return c.reply.integer(suffixLength);
    }
    const at = held.length;
    const bytes = c.db.growString(key, at + suffixLength);
    copyRange(argv.buffer(2), argv.start(2), argv.end(2), bytes, at);
    c.db.modified(key);
    c.reply.integer(bytes.length);
  },
});

export const strlenCommand = command({
  name: "strlen", arity: 2, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RO"] }, categories: ["string"],
  args: "key:key#0",
  summary: "Get the length of the value stored in a key", since: "2.2.0",
  handler(c, argv) {
    c.reply.integer(c.db.stringLengthBytes(argv.buffer(1), argv.start(1), argv.end(1)));
  },
});

/**
 * A stored string as a 64-bit integer: a plain number while it is small (the common case,
 * and the only one INCR's hot path sees), a BigInt past 15 digits so nothing is rounded.
 */
function storedInteger(s: string): number | bigint {
  const n = s.length;
  if (n > 0 && n <= 15) {
    let i = s.charCodeAt(0) === 0x2d ? 1 : 0;
    if (i < n && !(s.charCodeAt(i) === 0x30 && n > 1)) {
      let v = 0;
      for (; i < n; i++) {
        const d = s.charCodeAt(i) - 0x30;
        if (d < 0 || d > 9) throw NOT_INTEGER;
        v = v * 10 + d;
      }
      return s.charCodeAt(0) === 0x2d ? -v : v;
    }
  }
  const big = /^-?[1-9][0-9]*$|^0$/.test(s) ? BigInt(s) : undefined;
  if (big === undefined || big > INT64_MAX || big < INT64_MIN) throw NOT_INTEGER;
  return big;
}

/** INCR, DECR, INCRBY, DECRBY: add `incr` to the integer at the key, keeping its TTL. */
function incrDecrGeneric(c: Context, argv: Argv, incr: number | bigint): void {
  // A number held as one is added to in place, the key found from the request's bytes.
  if (typeof incr === "number") {
    const sum = c.db.incrNumberBytes(argv.buffer(1), argv.start(1), argv.end(1), incr);
    if (sum !== undefined) return c.reply.integer(sum);
  }
  const key = argv.str(1);
  const old = c.db.writeStringValue(key);
  const value = old === undefined ? 0 : typeof old === "number" ? old : storedInteger(old);
  let result: number | bigint;
  if (typeof value === "number" && typeof incr === "number" && Number.isSafeInteger(value + incr)) {
    result = value + incr;
  } else {
    result = BigInt(value) + BigInt(incr);
    if (result > INT64_MAX || result < INT64_MIN) throw INCR_OVERFLOW;
  }
  // Results within 2^53 are kept as numbers; larger ones as their exact text.
  c.db.setKey(key, typeof result === "number" ? result : toStringValue(String(result)), true, NaN, true);
  c.reply.integer(result);
}

/** An INCRBY/DECRBY amount, exact over the whole 64-bit range. */
function incrementArg(arg: Uint8Array): number | bigint {
  const n = parseIntArg(arg);
  return Number.isSafeInteger(n) ? n : storedInteger(bytesToString(arg));
}

export const incrCommand = command({
  name: "incr", events: "before", notify: [NotifyClass.String, "incrby"], arity: 2, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "update"] }, categories: ["string"],
  args: "key:key#0",
  summary: "Increment the integer value of a key by one", since: "1.0.0",
  handler: (c, argv) => incrDecrGeneric(c, argv, 1),
});

export const decrCommand = command({
  name: "decr", events: "before", notify: [NotifyClass.String, "incrby"], arity: 2, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "update"] }, categories: ["string"],
  args: "key:key#0",
  summary: "Decrement the integer value of a key by one", since: "1.0.0",
  handler: (c, argv) => incrDecrGeneric(c, argv, -1),
});

export const incrbyCommand = command({
  name: "incrby", events: "before", notify: [NotifyClass.String, "incrby"], arity: 3, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "update"] }, categories: ["string"],
  args: "key:key#0 increment:integer",
  summary: "Increment the integer value of a key by the given amount", since: "1.0.0",
  handler: (c, argv) => incrDecrGeneric(c, argv, incrementArg(argv.bytes(2))),
});

export const decrbyCommand = command({
  name: "decrby", events: "before", notify: [NotifyClass.String, "incrby"], arity: 3, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "update"] }, categories: ["string"],
  args: "key:key#0 decrement:integer",
  summary: "Decrement the integer value of a key by the given number", since: "1.0.0",
  handler(c, argv) {
    const by = incrementArg(argv.bytes(2));
    // -INT64_MIN does not exist.
    if (by === INT64_MIN) throw DECR_OVERFLOW;
    incrDecrGeneric(c, argv, -by);
  },
});

/**
 * The places after the point of a plain decimal (an optional minus, 1 to 15 digits, and
 * optionally a point and 1 to 14 digits), or -1 for anything else.
 */
function plainPlaces(s: string): number {
  const n = s.length;
  let i = s.charCodeAt(0) === 0x2d ? 1 : 0;
  const whole = i;
  while (i < n && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
  if (i === whole || i - whole > 15) return -1;
  if (i === n) return 0;
  if (s.charCodeAt(i) !== 0x2e) return -1;
  const point = i++;
  while (i < n && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
  return i === n && i - point - 1 >= 1 && i - point - 1 <= 14 ? i - point - 1 : -1;
}

/**
 * INCRBYFLOAT's result where it is the exact decimal sum of its operands, with no long
 * double arithmetic (which costs microseconds as BigInts): undefined for the long way.
 * Integers of up to 15 digits are exact as long doubles, and so is their sum. Decimals
 * under 16 with up to 14 places are not, but each is read within 2^-61 of its value and
 * the sum is rounded within 2^-60 of theirs: printed with 17 places, as Redis prints it
 * (%.17Lf, trailing zeros cut), that is the exact sum.
 */
function decimalSum(a: string, b: string): string | undefined {
  const pa = plainPlaces(a);
  const pb = pa < 0 ? -1 : plainPlaces(b);
  if (pb < 0) return undefined;
  if (pa === 0 && pb === 0) return String(Number(a) + Number(b));
  if (Math.abs(Number(a)) >= 16 || Math.abs(Number(b)) >= 16) return undefined;
  // In units of 10^-places.
  const places = Math.max(pa, pb);
  const sum = Number(a.replace(".", "") + "0".repeat(places - pa)) + Number(b.replace(".", "") + "0".repeat(places - pb));
  if (sum === 0) return "0";
  const digits = String(Math.abs(sum)).padStart(places + 1, "0");
  const fraction = digits.slice(digits.length - places).replace(/0+$/, "");
  return `${sum < 0 ? "-" : ""}${digits.slice(0, digits.length - places)}${fraction === "" ? "" : `.${fraction}`}`;
}

/**
 * INCRBYFLOAT and HINCRBYFLOAT: the sum of a stored value and an argument, both read as
 * long doubles, printed as Redis prints it. Throws Redis's errors.
 */
export function incrByFloat(old: string | undefined, incrArg: Uint8Array): string {
  const incrText = bytesToString(incrArg);
  const exact = decimalSum(old ?? "0", incrText);
  if (exact !== undefined) return exact;
  const value = old === undefined ? { m: 0n, e: 0 } : parseLongDouble(old);
  const incr = parseLongDouble(incrText);
  if (value === undefined || incr === undefined) throw NOT_FLOAT;
  const sum = addLongDouble(value, incr);
  if (sum === undefined || isInfinite(sum)) throw INCR_NAN;
  return formatLongDouble(sum);
}

export const incrbyfloatCommand = command({
  name: "incrbyfloat", events: "before", notify: [NotifyClass.String, "incrbyfloat"], arity: 3, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "update"] }, categories: ["string"],
  args: "key:key#0 increment:double",
  summary: "Increment the float value of a key by the given amount", since: "2.6.0",
  handler(c, argv) {
    const key = argv.str(1);
    const result = incrByFloat(c.db.writeString(key), argv.bytes(2));
    c.db.setFormattedNumber(key, result);
    // The result, not the increment: replicas must not redo float arithmetic.
    c.propagateAs(["SET", key, result, "KEEPTTL"]);
    c.reply.bulkString(result);
  },
});

/** GETRANGE and SUBSTR: Redis's clamping of negative and out-of-range offsets. */
function getrangeGeneric(c: Context, argv: Argv): void {
  let start = argv.int(2);
  let end = argv.int(3);
  const value = c.db.readStringView(argv.str(1));
  if (value === undefined) return c.reply.bulkString("");
  const len = value.length;
  if (start < 0 && end < 0 && start > end) return c.reply.bulkString("");
  if (start < 0) start = Math.max(0, len + start);
  if (end < 0) end = Math.max(0, len + end);
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return c.reply.bulkString("");
  c.reply.bulkFrom(value, start, end + 1);
}

export const getrangeCommand = command({
  name: "getrange", arity: 4, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["string"],
  args: "key:key#0 start:integer end:integer",
  summary: "Get a substring of the string stored at a key", since: "2.4.0",
  complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
  handler: getrangeGeneric,
});

export const substrCommand = command({
  name: "substr", arity: 4, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["string"],
  docFlags: ["deprecated"], deprecatedSince: "2.0.0", replacedBy: "`GETRANGE`",
  args: "key:key#0 start:integer end:integer",
  summary: "Get a substring of the string stored at a key", since: "1.0.0",
  complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
  handler: getrangeGeneric,
});

export const setrangeCommand = command({
  name: "setrange", events: "before", notify: [NotifyClass.String, "setrange"], arity: 4, flags: ["write", "denyoom"], keys: { first: 1, last: 1, step: 1 }, categories: ["string"],
  args: "key:key#0 offset:integer value:string",
  summary: "Overwrite part of a string at key starting at the specified offset", since: "2.2.0",
  complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
  handler(c, argv) {
    const offset = argv.int(2);
    if (offset < 0) throw OFFSET_OUT_OF_RANGE;
    const key = argv.str(1);
    const patchLength = argv.len(3);
    // Setting nothing changes nothing, and creates no key.
    if (patchLength === 0) return c.reply.integer(c.db.writeStringView(key)?.length ?? 0);
    const end = offset + patchLength;
    let bytes = c.db.unsharedString(key, () => checkStringLength(c, end));
    if (bytes === undefined) checkStringLength(c, end);
    if (bytes === undefined || bytes.length < end) bytes = c.db.growString(key, end);
    copyRange(argv.buffer(3), argv.start(3), argv.end(3), bytes, offset);
    c.db.modified(key);
    c.reply.integer(bytes.length);
  },
});

export const lcsCommand = command({
  name: "lcs", arity: -3, flags: ["readonly"], keys: { first: 1, last: 2, step: 1 }, categories: ["string"],
  args: "key1:key#0 key2:key#0 LEN? IDX? MINMATCHLEN=len:integer? WITHMATCHLEN?",
  summary: "Find longest common substring", since: "7.0.0", complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
  handler(c, argv) {
    const va = c.db.lookupKeyRead(argv.str(1));
    const vb = c.db.lookupKeyRead(argv.str(2));
    if ((va !== undefined && !isStringValue(va)) || (vb !== undefined && !isStringValue(vb))) throw LCS_NOT_STRINGS;
    let getLen = false;
    let getIdx = false;
    let withMatchLen = false;
    let minMatchLen = 0;
    const args = new ArgCursor(argv, 3);
    while (args.hasNext()) {
      const opt = args.nextKeyword();
      if (opt === "idx") getIdx = true;
      else if (opt === "len") getLen = true;
      else if (opt === "withmatchlen") withMatchLen = true;
      else if (opt === "minmatchlen" && args.hasNext()) minMatchLen = Math.max(0, args.nextInt());
      else throw SYNTAX_ERR;
    }
    if (getLen && getIdx) throw LCS_LEN_AND_IDX;
    const a = va === undefined ? "" : stringOf(va as string | number);
    const b = vb === undefined ? "" : stringOf(vb as string | number);
    lcsReply(c, a, b, getLen, getIdx, withMatchLen, minMatchLen);
  },
});

/**
 * The LCS table and Redis's walk back from its end: the common string is rebuilt right to
 * left, and IDX ranges are emitted as they close, so they come out last match first. A
 * match that does not extend the open range closes it and is itself not reported, a quirk
 * of Redis's walk that the reply keeps.
 */
function lcsReply(c: Context, a: string, b: string, getLen: boolean, getIdx: boolean, withMatchLen: boolean, minMatchLen: number): void {
  const alen = a.length;
  const blen = b.length;
  const width = blen + 1;
  if ((alen + 1) * width * 4 > c.server.config.int("proto-max-bulk-len")) throw LCS_TOO_BIG;
  const table = new Uint32Array((alen + 1) * width);
  for (let i = 1; i <= alen; i++) {
    for (let j = 1; j <= blen; j++) {
      table[i * width + j] =
        a.charCodeAt(i - 1) === b.charCodeAt(j - 1)
          ? table[(i - 1) * width + j - 1]! + 1
          : Math.max(table[(i - 1) * width + j]!, table[i * width + j - 1]!);
    }
  }
  const total = table[alen * width + blen]!;
  if (getLen) return c.reply.integer(total);
  const result = new Array<string>(total);
  const ranges: number[][] = [];
  let idx = total;
  let aStart = alen;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      result[idx - 1] = a[i - 1]!;
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (table[(i - 1) * width + j]! > table[i * width + j - 1]!) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (minMatchLen === 0 || matchLen >= minMatchLen) ranges.push([aStart, aEnd, bStart, bEnd, matchLen]);
      aStart = alen;
    }
  }
  if (!getIdx) return c.reply.bulkString(result.join(""));
  c.reply.map(2);
  c.reply.bulkString("matches");
  c.reply.array(ranges.length);
  for (const [as, ae, bs, be, len] of ranges) {
    c.reply.array(withMatchLen ? 3 : 2);
    c.reply.array(2);
    c.reply.integer(as!);
    c.reply.integer(ae!);
    c.reply.array(2);
    c.reply.integer(bs!);
    c.reply.integer(be!);
    if (withMatchLen) c.reply.integer(len!);
  }
  c.reply.bulkString("len");
  c.reply.integer(total);
}
