/**
 * Keyspace commands (COMMAND DOCS group "generic"): DEL, UNLINK, EXISTS, TYPE, KEYS and
 * the TTL family. The EXPIRE variants share expireGeneric and the TTL readers share
 * ttlGeneric, as in Redis's expire.c.
 */
import { now } from "../clock.ts";
import { GT_LT, NX_XX_GT_LT, invalidExpireTime, unsupportedOption } from "../errors.ts";
import { bytesToString, globMatch, lowerAscii } from "../resp/bytes.ts";
import { typeOf } from "../store/keyspace.ts";
import { parseIntArg } from "./args.ts";
import { type CommandFlag, command } from "./command.ts";
import type { Client } from "../server/connection.ts";

const INT64_MAX = 9223372036854775807;
const INT64_MIN = -9223372036854775808;

function delGeneric(c: Client, argv: Uint8Array[]): void {
  let deleted = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = bytesToString(argv[i]!);
    c.db.expireIfNeeded(key);
    if (c.db.delete(key)) deleted++;
  }
  c.reply.integer(deleted);
}

export const delCommand = command({
  name: "del", tips: ["request_policy:multi_shard", "response_policy:agg_sum"], arity: -2, flags: ["write"], keys: { first: 1, last: -1, step: 1, flags: ["RM", "delete"] }, categories: ["keyspace"],
  summary: "Delete a key", since: "1.0.0", complexity: "O(N) where N is the number of keys that will be removed.",
  handler: delGeneric,
});

// Values are freed by the garbage collector either way, so UNLINK's "in the background"
// is what DEL already does here.
export const unlinkCommand = command({
  name: "unlink", tips: ["request_policy:multi_shard", "response_policy:agg_sum"], arity: -2, flags: ["write", "fast"], keys: { first: 1, last: -1, step: 1, flags: ["RM", "delete"] }, categories: ["keyspace"],
  summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", since: "4.0.0",
  complexity: "O(1) for each key removed regardless of its size.",
  handler: delGeneric,
});

export const existsCommand = command({
  name: "exists", tips: ["request_policy:multi_shard", "response_policy:agg_sum"], arity: -2, flags: ["readonly", "fast"], keys: { first: 1, last: -1, step: 1, flags: ["RO"] }, categories: ["keyspace"],
  summary: "Determine if a key exists", since: "1.0.0", complexity: "O(N) where N is the number of keys to check.",
  handler(c, argv) {
    let count = 0;
    for (let i = 1; i < argv.length; i++) if (c.db.lookupKeyRead(bytesToString(argv[i]!)) !== undefined) count++;
    c.reply.integer(count);
  },
});

export const typeCommand = command({
  name: "type", arity: 2, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RO"] }, categories: ["keyspace"],
  summary: "Determine the type stored at key", since: "1.0.0",
  handler(c, argv) {
    const value = c.db.lookupKeyRead(bytesToString(argv[1]!));
    c.reply.simple(value === undefined ? "none" : typeOf(value));
  },
});

export const keysCommand = command({
  name: "keys", tips: ["request_policy:all_shards", "nondeterministic_output_order"], arity: 2, flags: ["readonly"], categories: ["keyspace", "dangerous"],
  summary: "Find all keys matching the given pattern", since: "1.0.0",
  complexity: "O(N) with N being the number of keys in the database",
  handler(c, argv) {
    const pattern = bytesToString(argv[1]!);
    c.reply.bulkStrings(c.db.liveKeys(pattern === "*" ? undefined : (key) => globMatch(pattern, key)));
  },
});

/**
 * A client's expire time as an absolute deadline in ms: `when` in seconds (unitMs 1000) or
 * milliseconds, plus `basetime` (now for the relative forms, 0 for the absolute ones).
 * Undefined when the result leaves the 64-bit range, which Redis answers with
 * "invalid expire time". Shared by the EXPIRE family and SET's EX/PX/EXAT/PXAT.
 */
export function absoluteDeadline(when: number, unitMs: 1 | 1000, basetime: number): number | undefined {
  if (unitMs === 1000) {
    if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000) return undefined;
    when *= 1000;
  }
  if (when > INT64_MAX - basetime) return undefined;
  return when + basetime;
}

const enum ExpireFlag {
  None = 0,
  NX = 1,
  XX = 2,
  GT = 4,
  LT = 8,
}

/**
 * EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT: `basetime` is now for the relative forms and 0
 * for the absolute ones; `unitMs` is 1000 for seconds. Options are parsed before the time,
 * and a deadline already in the past deletes the key, as in Redis.
 */
function expireGeneric(c: Client, argv: Uint8Array[], basetime: number, unitMs: 1 | 1000): void {
  let flags = ExpireFlag.None;
  for (let i = 3; i < argv.length; i++) {
    const opt = lowerAscii(argv[i]!);
    if (opt === "nx") flags |= ExpireFlag.NX;
    else if (opt === "xx") flags |= ExpireFlag.XX;
    else if (opt === "gt") flags |= ExpireFlag.GT;
    else if (opt === "lt") flags |= ExpireFlag.LT;
    else throw unsupportedOption(bytesToString(argv[i]!));
  }
  if (flags & ExpireFlag.NX && flags & (ExpireFlag.XX | ExpireFlag.GT | ExpireFlag.LT)) throw NX_XX_GT_LT;
  if (flags & ExpireFlag.GT && flags & ExpireFlag.LT) throw GT_LT;

  const when = absoluteDeadline(parseIntArg(argv[2]!), unitMs, basetime);
  if (when === undefined) throw invalidExpireTime(c.lastCommand);

  const key = bytesToString(argv[1]!);
  const db = c.db;
  if (db.lookupKeyWrite(key) === undefined) return c.reply.integer(0);
  const current = db.getExpire(key);
  if (flags !== ExpireFlag.None) {
    // A key without a TTL counts as an infinite TTL for GT and LT.
    if (flags & ExpireFlag.NX && current !== -1) return c.reply.integer(0);
    if (flags & ExpireFlag.XX && current === -1) return c.reply.integer(0);
    if (flags & ExpireFlag.GT && (current === -1 || when <= current)) return c.reply.integer(0);
    if (flags & ExpireFlag.LT && current !== -1 && when >= current) return c.reply.integer(0);
  }
  if (when <= now()) db.delete(key);
  else db.setExpire(key, when);
  c.reply.integer(1);
}

const expireSpec = { arity: -3, flags: ["write", "fast"] as CommandFlag[], keys: { first: 1, last: 1, step: 1 }, categories: ["keyspace"] };

export const expireCommand = command({
  ...expireSpec, name: "expire",
  summary: "Set a key's time to live in seconds", since: "1.0.0",
  handler: (c, argv) => expireGeneric(c, argv, now(), 1000),
});

export const pexpireCommand = command({
  ...expireSpec, name: "pexpire",
  summary: "Set a key's time to live in milliseconds", since: "2.6.0",
  handler: (c, argv) => expireGeneric(c, argv, now(), 1),
});

export const expireatCommand = command({
  ...expireSpec, name: "expireat",
  summary: "Set the expiration for a key as a UNIX timestamp", since: "1.2.0",
  handler: (c, argv) => expireGeneric(c, argv, 0, 1000),
});

export const pexpireatCommand = command({
  ...expireSpec, name: "pexpireat",
  summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds", since: "2.6.0",
  handler: (c, argv) => expireGeneric(c, argv, 0, 1),
});

const enum TtlOutput {
  Seconds,
  Millis,
  AbsSeconds,
  AbsMillis,
}

/** TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 for no TTL. */
function ttlGeneric(c: Client, argv: Uint8Array[], output: TtlOutput): void {
  const key = bytesToString(argv[1]!);
  if (c.db.lookupKeyRead(key) === undefined) return c.reply.integer(-2);
  const when = c.db.getExpire(key);
  if (when === -1) return c.reply.integer(-1);
  switch (output) {
    case TtlOutput.AbsSeconds:
      return c.reply.integer(Math.floor(when / 1000));
    case TtlOutput.AbsMillis:
      return c.reply.integer(when);
    case TtlOutput.Seconds:
      // Redis rounds the remaining time to the nearest second.
      return c.reply.integer(Math.floor((Math.max(0, when - now()) + 500) / 1000));
    case TtlOutput.Millis:
      return c.reply.integer(Math.max(0, when - now()));
  }
}

const ttlSpec = { arity: 2, flags: ["readonly", "fast"] as CommandFlag[], keys: { first: 1, last: 1, step: 1 }, categories: ["keyspace"] };

export const ttlCommand = command({
  ...ttlSpec, name: "ttl", tips: ["nondeterministic_output"],
  summary: "Get the time to live for a key in seconds", since: "1.0.0",
  handler: (c, argv) => ttlGeneric(c, argv, TtlOutput.Seconds),
});

export const pttlCommand = command({
  ...ttlSpec, name: "pttl", tips: ["nondeterministic_output"],
  summary: "Get the time to live for a key in milliseconds", since: "2.6.0",
  handler: (c, argv) => ttlGeneric(c, argv, TtlOutput.Millis),
});

export const expiretimeCommand = command({
  ...ttlSpec, name: "expiretime",
  summary: "Get the expiration Unix timestamp for a key", since: "7.0.0",
  handler: (c, argv) => ttlGeneric(c, argv, TtlOutput.AbsSeconds),
});

export const pexpiretimeCommand = command({
  ...ttlSpec, name: "pexpiretime",
  summary: "Get the expiration Unix timestamp for a key in milliseconds", since: "7.0.0",
  handler: (c, argv) => ttlGeneric(c, argv, TtlOutput.AbsMillis),
});

export const persistCommand = command({
  name: "persist", arity: 2, flags: ["write", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["keyspace"],
  summary: "Remove the expiration from a key", since: "2.2.0",
  handler(c, argv) {
    const key = bytesToString(argv[1]!);
    if (c.db.lookupKeyWrite(key) === undefined) return c.reply.integer(0);
    c.reply.integer(c.db.removeExpire(key) ? 1 : 0);
  },
});
