/**
 * Keyspace commands (COMMAND DOCS group "generic"): DEL, UNLINK, EXISTS, TYPE, KEYS, the
 * TTL family, RENAME, COPY, MOVE, RANDOMKEY, TOUCH, OBJECT and the SCAN family. The EXPIRE
 * variants share expireGeneric, the TTL readers ttlGeneric, and SCAN, HSCAN, SSCAN and
 * ZSCAN share scanGeneric, as in Redis's db.c and expire.c. SORT and SORT_RO close the
 * file: a small language of their own, parsed as sortCommandGeneric parses it.
 */
import type { Argv } from "../resp/argv.ts";
import { now } from "../clock.ts";
import {
  BAD_DATA_FORMAT, BAD_DUMP_PAYLOAD, BUSYKEY, INVALID_FREQ, INVALID_IDLETIME, INVALID_TTL, DB_OUT_OF_RANGE,
  WAIT_ON_REPLICA, GT_LT, INVALID_CURSOR, IDLETIME_UNDER_LFU, LFU_NOT_SELECTED, NOT_INTEGER, NO_SUCH_KEY, NX_XX_GT_LT, SAME_OBJECT, SORT_NOT_DOUBLE,
  MIGRATE_IN_TRANSACTION, MIGRATE_KEYS_WITH_KEY, SYNTAX_ERR, WRONGTYPE, invalidExpireTime, unsupportedOption, MOVE_IN_CLUSTER, COPY_DB_IN_CLUSTER, SORT_BY_ACL, SORT_BY_CLUSTER, SORT_GET_ACL, SORT_GET_CLUSTER,
} from "../errors.ts";
import { compareBytes, globMatch, lowerAscii, parseInt64, parseRangeDouble } from "../resp/bytes.ts";
import { lfuCounter, lruClock } from "../store/access.ts";
import { HashValue } from "../store/hash.ts";
import { type Database, type StoredValue, isStringValue, stringOf } from "../store/keyspace.ts";
import { ListValue } from "../store/list.ts";
import { SetValue } from "../store/set.ts";
import { SortedSet } from "../store/sorted-set.ts";
import { KeyTable } from "../store/table.ts";
import { type BytesSink, copyValue } from "../store/value.ts";
import { loadDumpPayload, validDumpPayload } from "../persistence/rdb-reader.ts";
import { dumpPayload } from "../persistence/rdb-writer.ts";
import { ArgCursor, parseIntArg, parseTimeoutMs } from "./args.ts";
import { type CommandFlag, type FullKeySpec, type KeyRef, command } from "./command.ts";
import type { Context } from "./context.ts";
import { NotifyClass } from "../keyspace-events.ts";

const INT64_MAX = 9223372036854775807;
const INT64_MIN = -9223372036854775808;
const INT64_MAX_EXACT = 9223372036854775807n;
const INT64_MIN_EXACT = -9223372036854775808n;

/** DEL and UNLINK; `lazily` as UNLINK (which only INFO's lazyfreed_objects tells apart here). */
function delGeneric(c: Context, argv: Argv, lazily: boolean): void {
  let deleted = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = argv.str(i);
    c.db.expireIfNeeded(key);
    if (c.db.delete(key, lazily)) {
      deleted++;
      c.notify(NotifyClass.Generic, "del", key);
    }
  }
  c.reply.integer(deleted);
}

export const delCommand = command({
  name: "del", tips: ["request_policy:multi_shard", "response_policy:agg_sum"], arity: -2, flags: ["write"], keys: { first: 1, last: -1, step: 1, flags: ["RM", "delete"] }, categories: ["keyspace"],
  args: "key:key#0...",
  summary: "Delete a key", since: "1.0.0", complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
  handler: (c, argv) => delGeneric(c, argv, c.server.config.get("lazyfree-lazy-user-del") === "yes"),
});

// Values are freed by the garbage collector either way, after the command: UNLINK's "in
// the background" is what DEL already does here.
export const unlinkCommand = command({
  name: "unlink", tips: ["request_policy:multi_shard", "response_policy:agg_sum"], arity: -2, flags: ["write", "fast"], keys: { first: 1, last: -1, step: 1, flags: ["RM", "delete"] }, categories: ["keyspace"],
  args: "key:key#0...",
  summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", since: "4.0.0",
  complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
  handler: (c, argv) => delGeneric(c, argv, true),
});

export const existsCommand = command({
  name: "exists", tips: ["request_policy:multi_shard", "response_policy:agg_sum"], arity: -2, flags: ["readonly", "fast"], keys: { first: 1, last: -1, step: 1, flags: ["RO"] }, categories: ["keyspace"],
  history: [["3.0.3", "Accepts multiple `key` arguments."]],
  args: "key:key#0...",
  summary: "Determine if a key exists", since: "1.0.0", complexity: "O(N) where N is the number of keys to check.",
  handler(c, argv) {
    let count = 0;
    // LOOKUP_NOTOUCH, as Redis's existsCommand: a key's idle time is not reset.
    for (let i = 1; i < argv.length; i++) if (c.db.findForRead(argv.str(i), false, true)) count++;
    c.reply.integer(count);
  },
});

export const typeCommand = command({
  name: "type", arity: 2, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RO"] }, categories: ["keyspace"],
  args: "key:key#0",
  summary: "Determine the type stored at key", since: "1.0.0",
  handler(c, argv) {
    c.reply.simple(c.db.typeForRead(argv.str(1)) ?? "none");
  },
});

export const keysCommand = command({
  name: "keys", tips: ["request_policy:all_shards", "nondeterministic_output_order"], arity: 2, flags: ["readonly"], categories: ["keyspace", "dangerous"],
  args: "pattern:pattern",
  summary: "Find all keys matching the given pattern", since: "1.0.0",
  complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
  handler(c, argv) {
    const pattern = argv.str(1);
    c.reply.bulkStrings(c.db.liveKeys(pattern === "*" ? undefined : (key) => globMatch(pattern, key)));
  },
});

/**
 * A client's expire time as an absolute deadline in ms: `when` in seconds (unitMs 1000) or
 * milliseconds, plus `basetime` (now for the relative forms, 0 for the absolute ones).
 * Undefined when the result leaves the 64-bit range, which Redis answers with
 * "invalid expire time". Shared by the EXPIRE family and SET's EX/PX/EXAT/PXAT.
 */
export function absoluteDeadline(when: number | bigint, unitMs: 1 | 1000, basetime: number): number | undefined {
  // Beyond 2^53 the bounds are checked on the exact value, as Redis's long long arithmetic does.
  if (typeof when === "bigint") {
    if (unitMs === 1000) {
      if (when > INT64_MAX_EXACT / 1000n || when < INT64_MIN_EXACT / 1000n) return undefined;
      when *= 1000n;
    }
    if (when > INT64_MAX_EXACT - BigInt(basetime)) return undefined;
    return Number(when + BigInt(basetime));
  }
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
 * A deadline given in the past (EXPIRE, GETEX) deletes the key at once, replicated as a DEL
 * (UNLINK with lazyfree-lazy-expire) and announced as del, as in Redis.
 */
export function deleteForPastDeadline(c: Context, key: string): void {
  const lazily = c.server.keyspace.lazyFree.expire;
  c.db.delete(key, lazily);
  c.propagateAs([lazily ? "UNLINK" : "DEL", key]);
  c.notify(NotifyClass.Generic, "del", key);
}

/**
 * EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT: `basetime` is now for the relative forms and 0
 * for the absolute ones; `unitMs` is 1000 for seconds. Options are parsed before the time,
 * and a deadline already in the past deletes the key, as in Redis.
 */
function expireGeneric(c: Context, argv: Argv, basetime: number, unitMs: 1 | 1000): void {
  let flags = ExpireFlag.None;
  for (let i = 3; i < argv.length; i++) {
    const opt = argv.keyword(i);
    if (opt === "nx") flags |= ExpireFlag.NX;
    else if (opt === "xx") flags |= ExpireFlag.XX;
    else if (opt === "gt") flags |= ExpireFlag.GT;
    else if (opt === "lt") flags |= ExpireFlag.LT;
    else throw unsupportedOption(argv.str(i));
  }
  if (flags & ExpireFlag.NX && flags & (ExpireFlag.XX | ExpireFlag.GT | ExpireFlag.LT)) throw NX_XX_GT_LT;
  if (flags & ExpireFlag.GT && flags & ExpireFlag.LT) throw GT_LT;

  const when = absoluteDeadline(argv.exactInt(2), unitMs, basetime);
  if (when === undefined) throw invalidExpireTime(c.lastCommand);

  const key = argv.str(1);
  const db = c.db;
  // Looked up for a write (an expired key goes), its value left unread.
  if (!db.exists(key)) return c.reply.integer(0);
  const current = db.getExpire(key);
  if (flags !== ExpireFlag.None) {
    // A key without a TTL counts as an infinite TTL for GT and LT.
    if (flags & ExpireFlag.NX && current !== -1) return c.reply.integer(0);
    if (flags & ExpireFlag.XX && current === -1) return c.reply.integer(0);
    if (flags & ExpireFlag.GT && (current === -1 || when <= current)) return c.reply.integer(0);
    if (flags & ExpireFlag.LT && current !== -1 && when >= current) return c.reply.integer(0);
  }
  // Replicas get the effect with an absolute deadline and the options as given, as Redis 7
  // propagates it.
  if (when <= now()) deleteForPastDeadline(c, key);
  else {
    db.setExpire(key, when);
    c.propagateAs(["PEXPIREAT", key, String(when), ...argv.views(3)]);
    c.notify(NotifyClass.Generic, "expire", key);
  }
  c.reply.integer(1);
}

const expireSpec = { arity: -3, flags: ["write", "fast"] as CommandFlag[], keys: { first: 1, last: 1, step: 1 }, categories: ["keyspace"] };

export const expireCommand = command({
  ...expireSpec, name: "expire", events: "after",
  history: [["7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."]],
  args: "key:key#0 seconds:integer condition(NX|XX|GT|LT)?@7.0.0",
  summary: "Set a key's time to live in seconds", since: "1.0.0",
  handler: (c, argv) => expireGeneric(c, argv, now(), 1000),
});

export const pexpireCommand = command({
  ...expireSpec, name: "pexpire", events: "after",
  history: [["7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."]],
  args: "key:key#0 milliseconds:integer condition(NX|XX|GT|LT)?@7.0.0",
  summary: "Set a key's time to live in milliseconds", since: "2.6.0",
  handler: (c, argv) => expireGeneric(c, argv, now(), 1),
});

export const expireatCommand = command({
  ...expireSpec, name: "expireat", events: "after",
  history: [["7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."]],
  args: "key:key#0 unix-time-seconds:unix-time condition(NX|XX|GT|LT)?@7.0.0",
  summary: "Set the expiration for a key as a UNIX timestamp", since: "1.2.0",
  handler: (c, argv) => expireGeneric(c, argv, 0, 1000),
});

export const pexpireatCommand = command({
  ...expireSpec, name: "pexpireat", events: "after",
  history: [["7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."]],
  args: "key:key#0 unix-time-milliseconds:unix-time condition(NX|XX|GT|LT)?@7.0.0",
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
function ttlGeneric(c: Context, argv: Argv, output: TtlOutput): void {
  const key = argv.str(1);
  if (!c.db.findForRead(key, false, true)) return c.reply.integer(-2);
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
  history: [["2.8.0", "Added the -2 reply."]],
  args: "key:key#0",
  summary: "Get the time to live for a key in seconds", since: "1.0.0",
  handler: (c, argv) => ttlGeneric(c, argv, TtlOutput.Seconds),
});

export const pttlCommand = command({
  ...ttlSpec, name: "pttl", tips: ["nondeterministic_output"],
  history: [["2.8.0", "Added the -2 reply."]],
  args: "key:key#0",
  summary: "Get the time to live for a key in milliseconds", since: "2.6.0",
  handler: (c, argv) => ttlGeneric(c, argv, TtlOutput.Millis),
});

export const expiretimeCommand = command({
  ...ttlSpec, name: "expiretime",
  args: "key:key#0",
  summary: "Get the expiration Unix timestamp for a key", since: "7.0.0",
  handler: (c, argv) => ttlGeneric(c, argv, TtlOutput.AbsSeconds),
});

export const pexpiretimeCommand = command({
  ...ttlSpec, name: "pexpiretime",
  args: "key:key#0",
  summary: "Get the expiration Unix timestamp for a key in milliseconds", since: "7.0.0",
  handler: (c, argv) => ttlGeneric(c, argv, TtlOutput.AbsMillis),
});

export const persistCommand = command({
  name: "persist", events: "before", notify: [NotifyClass.Generic, "persist"], arity: 2, flags: ["write", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["keyspace"],
  args: "key:key#0",
  summary: "Remove the expiration from a key", since: "2.2.0",
  handler(c, argv) {
    const key = argv.str(1);
    if (c.db.lookupKeyWrite(key) === undefined) return c.reply.integer(0);
    c.reply.integer(c.db.removeExpire(key) ? 1 : 0);
  },
});

/** RENAME and RENAMENX: the value and its TTL move; the same name is a no-op if it exists. */
function renameGeneric(c: Context, argv: Argv, nx: boolean): void {
  const from = argv.str(1);
  const to = argv.str(2);
  const db = c.db;
  const value = db.lookupKeyWrite(from);
  if (value === undefined) throw NO_SUCH_KEY;
  if (from === to) return nx ? c.reply.integer(0) : c.reply.ok();
  // Looked up for writing as Redis does, so an expired destination is deleted and announced.
  if (db.exists(to) && nx) return c.reply.integer(0);
  // The source is touched first, as Redis signals it (a tracking client hears of it first).
  db.touch(from);
  // One change, as Redis counts a rename (whether it replaced a key or not).
  db.discard(to);
  db.moveKeyTo(from, db, to, value);
  c.notify(NotifyClass.Generic, "rename_from", from);
  c.notify(NotifyClass.Generic, "rename_to", to);
  if (nx) c.reply.integer(1);
  else c.reply.ok();
}

const renameKeySpecs = (destFlags: string[]) => [
  { flags: ["RW", "access", "delete"], begin: { index: 1 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
  { flags: destFlags, begin: { index: 2 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
];

export const renameCommand = command({
  name: "rename", arity: 3, flags: ["write"], keys: { first: 1, last: 2, step: 1 }, keySpecs: renameKeySpecs(["OW", "update"]), categories: ["keyspace"],
  args: "key:key#0 newkey:key#1",
  summary: "Rename a key", since: "1.0.0",
  handler: (c, argv) => renameGeneric(c, argv, false),
});

export const renamenxCommand = command({
  name: "renamenx", arity: 3, flags: ["write", "fast"], keys: { first: 1, last: 2, step: 1 }, keySpecs: renameKeySpecs(["OW", "insert"]), categories: ["keyspace"],
  history: [["3.2.0", "The command no longer returns an error when source and destination names are the same."]],
  args: "key:key#0 newkey:key#1",
  summary: "Rename a key, only if the new key does not exist", since: "1.0.0",
  handler: (c, argv) => renameGeneric(c, argv, true),
});

/** A database by a client-given number: Redis's "DB index is out of range" otherwise. */
function databaseArg(c: Context, arg: Uint8Array): Database {
  const id = parseIntArg(arg);
  const db = c.server.keyspace.dbs[id];
  if (id < 0 || db === undefined) throw DB_OUT_OF_RANGE;
  return db;
}

export const copyCommand = command({
  name: "copy", arity: -3, flags: ["write", "denyoom"], keys: { first: 1, last: 2, step: 1 },
  args: "source:key#0 destination:key#1 DB=destination-db:integer? REPLACE?",
  keySpecs: [
    { flags: ["RO", "access"], begin: { index: 1 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
    { flags: ["OW", "update"], begin: { index: 2 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
  ],
  categories: ["keyspace"],
  summary: "Copy a key", since: "6.2.0", complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
  handler(c, argv) {
    let dest = c.db;
    let replace = false;
    const args = new ArgCursor(argv, 3);
    while (args.hasNext()) {
      const opt = args.nextKeyword();
      if (opt === "replace") replace = true;
      else if (opt === "db" && args.hasNext()) {
        dest = databaseArg(c, args.next());
        if (c.server.cluster !== undefined && dest !== c.db) throw COPY_DB_IN_CLUSTER;
      }
      else throw SYNTAX_ERR;
    }
    const from = argv.str(1);
    const to = argv.str(2);
    if (dest === c.db && from === to) throw SAME_OBJECT;
    const value = c.db.lookupKeyRead(from);
    if (value === undefined) return c.reply.integer(0);
    if (dest.exists(to)) {
      if (!replace) return c.reply.integer(0);
      dest.discard(to);
    }
    c.db.copyKeyTo(from, dest, to, copyValue(value), true);
    c.server.notifier.emit(NotifyClass.Generic, "copy_to", to, dest.id);
    c.reply.integer(1);
  },
});

export const dumpCommand = command({
  name: "dump", tips: ["nondeterministic_output"], arity: 2, flags: ["readonly"], keys: { first: 1, last: 1, step: 1, flags: ["RO", "access"] }, categories: ["keyspace"],
  args: "key:key#0",
  summary: "Return a serialized version of the value stored at the specified key.", since: "2.6.0",
  complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
  handler(c, argv) {
    const value = c.db.lookupKeyRead(argv.str(1));
    if (value === undefined) return c.reply.null();
    c.reply.bulk(dumpPayload(value, c.server.config.get("rdbcompression") === "yes"));
  },
});

export const restoreCommand = command({
  name: "restore", arity: -4, flags: ["write", "denyoom"], keys: { first: 1, last: 1, step: 1, flags: ["OW", "update"] }, categories: ["keyspace", "dangerous"],
  history: [["3.0.0", "Added the `REPLACE` modifier."], ["5.0.0", "Added the `ABSTTL` modifier."], ["5.0.0", "Added the `IDLETIME` and `FREQ` options."]],
  args: "key:key#0 ttl:integer serialized-value:string REPLACE?@3.0.0 ABSTTL?@5.0.0 IDLETIME=seconds:integer?@5.0.0 FREQ=frequency:integer?@5.0.0",
  summary: "Create a key using the provided serialized value, previously obtained using DUMP.", since: "2.6.0",
  complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
  handler: (c, argv) => restoreGeneric(c, argv),
});

/**
 * MIGRATE's keys as Redis's migrateGetKeys finds them: the key argument, or with KEYS (the
 * key argument empty) the keys after it; AUTH's and AUTH2's values are skipped, not taken
 * for the keyword.
 */
function migrateKeys(argv: Argv): KeyRef[] {
  const flags = ["RW", "access", "delete"];
  for (let i = 6; i < argv.length; i++) {
    const word = argv.keyword(i);
    if (word === "keys") {
      if (argv.bytes(3).length > 0) return [];
      const keys: KeyRef[] = [];
      for (let k = i + 1; k < argv.length; k++) keys.push({ pos: k, flags });
      return keys;
    }
    if (word === "auth") i += 1;
    else if (word === "auth2") i += 2;
  }
  return [{ pos: 3, flags }];
}

/** RESTORE as a cluster node's MIGRATE sends it (the ASKING flag matters only in cluster mode). */
export const restoreAskingCommand = command({
  name: "restore-asking", arity: -4, flags: ["write", "denyoom", "asking"], keys: { first: 1, last: 1, step: 1, flags: ["OW", "update"] }, categories: ["keyspace", "dangerous"],
  docFlags: ["syscmd"], group: "server",
  history: [["3.0.0", "Added the `REPLACE` modifier."], ["5.0.0", "Added the `ABSTTL` modifier."], ["5.0.0", "Added the `IDLETIME` and `FREQ` options."]],
  args: "key:key#0 ttl:integer serialized-value:string REPLACE?@3.0.0 ABSTTL?@5.0.0 IDLETIME=seconds:integer?@5.0.0 FREQ=frequency:integer?@5.0.0",
  summary: "An internal command for migrating keys in a cluster", since: "3.0.0",
  complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
  handler: (c, argv) => restoreGeneric(c, argv),
});

function restoreGeneric(c: Context, argv: Argv): void {
  let replace = false;
  let absTtl = false;
  let idle: number | undefined;
  let freq: number | undefined;
  // IDLETIME and FREQ set the key's access time or counter, when the policy keeps them.
  for (let i = 4; i < argv.length; i++) {
    const opt = argv.keyword(i);
    const more = i + 1 < argv.length;
    if (opt === "replace") replace = true;
    else if (opt === "absttl") absTtl = true;
    else if (opt === "idletime" && more && freq === undefined) {
      idle = argv.int(++i);
      if (idle < 0) throw INVALID_IDLETIME;
    } else if (opt === "freq" && more && idle === undefined) {
      freq = argv.int(++i);
      if (freq < 0 || freq > 255) throw INVALID_FREQ;
    } else throw SYNTAX_ERR;
  }
  const key = argv.str(1);
  if (!replace && c.db.exists(key)) throw BUSYKEY;
  let ttl = argv.int(2);
  if (ttl < 0) throw INVALID_TTL;
  const payload = argv.bytes(3);
  if (!validDumpPayload(payload, c.server.keyspace.skipChecksumValidation)) throw BAD_DUMP_PAYLOAD;
  const value = loadDumpPayload(payload);
  if (value === undefined) throw BAD_DATA_FORMAT;
  if (replace) c.db.delete(key);
  if (ttl > 0 && !absTtl) ttl += now();
  // A deadline already past: the key is not created (an old one replaced is still gone).
  if (ttl > 0 && ttl <= now()) {
    c.propagateAs(["DEL", key]);
    return c.reply.ok();
  }
  c.db.setKey(key, value);
  if (idle !== undefined || freq !== undefined) c.db.restoreAccess(key, idle, freq);
  if (ttl > 0) {
    c.db.setExpire(key, ttl);
    // A relative TTL goes out as the absolute time (the request with ABSTTL added), as in Redis.
    if (!absTtl) {
      const request: Array<string | Uint8Array> = argv.views(0);
      request[2] = String(ttl);
      request.push("ABSTTL");
      c.propagateAs(request);
    }
  }
  c.notify(NotifyClass.Generic, "restore", key);
  c.reply.ok();
}

/**
 * MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH password | AUTH2 user password]
 * [KEYS key ...]: the arguments are checked here, in Redis's order; the transfer is
 * server/migrate.ts's (the client waits for it, every other client's commands are held).
 */
export const migrateCommand = command({
  name: "migrate", arity: -6, flags: ["write"], keys: { first: 3, last: 3, step: 1 }, categories: ["keyspace", "dangerous"], tips: ["nondeterministic_output"],
  history: [["3.0.0", "Added the `COPY` and `REPLACE` options."], ["3.0.6", "Added the `KEYS` option."], ["4.0.7", "Added the `AUTH` option."], ["6.0.0", "Added the `AUTH2` option."]],
  args: "host:string port:integer key_or_empty_string(key:key#0|''/empty_string) destination-db:integer timeout:integer COPY?@3.0.0 REPLACE?@3.0.0 authentication(AUTH=password:string?@4.0.7|AUTH2=username_password{username:string password:string}?@6.0.0)? KEYS=key:key#1?...@3.0.6",
  keySpecs: [
    { flags: ["RW", "access", "delete"], begin: { index: 3 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
    { flags: ["RW", "access", "delete", "incomplete"], begin: { keyword: "KEYS", startfrom: -2 }, find: { lastkey: -1, keystep: 1, limit: 0 } },
  ],
  getKeys: migrateKeys,
  summary: "Atomically transfer a key from a Redis instance to another one.", since: "2.6.0",
  complexity: "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.",
  handler(c, argv) {
    let copy = false;
    let replace = false;
    let username: string | undefined;
    let password: string | undefined;
    let keys = [argv.str(3)];
    for (let i = 6; i < argv.length; i++) {
      const more = argv.length - 1 - i;
      const opt = argv.keyword(i);
      if (opt === "copy") copy = true;
      else if (opt === "replace") replace = true;
      else if (opt === "auth" && more >= 1) {
        password = argv.str(++i);
        c.redactArgument(i);
      } else if (opt === "auth2" && more >= 2) {
        username = argv.str(++i);
        c.redactArgument(i);
        password = argv.str(++i);
        c.redactArgument(i);
      } else if (opt === "keys") {
        if (argv.len(3) !== 0) throw MIGRATE_KEYS_WITH_KEY;
        keys = argv.strs(i + 1);
        break;
      } else throw SYNTAX_ERR;
    }
    let timeoutMs = argv.int(5);
    const db = argv.int(4);
    if (timeoutMs <= 0) timeoutMs = 1000;
    const present = keys.filter((key) => c.db.lookupKeyRead(key) !== undefined);
    if (present.length === 0) return c.reply.simple("NOKEY");
    // The transfer waits for the target without holding the event loop, which EXEC and scripts cannot do.
    if (c.inExec) throw MIGRATE_IN_TRANSACTION;
    c.server.migrator.start(c, { host: argv.str(1), port: Number(argv.str(2)), db, timeoutMs, copy, replace, username, password, keys: present });
  },
});

export const waitCommand = command({
  name: "wait", arity: 3, flags: ["noscript"], categories: ["connection"], tips: ["request_policy:all_shards", "response_policy:agg_min"],
  args: "numreplicas:integer timeout:integer",
  summary: "Wait for the synchronous replication of all the write commands sent in the context of the current connection", since: "3.0.0",
  complexity: "O(1)",
  handler(c, argv) {
    if (c.server.replicaLink !== undefined) throw WAIT_ON_REPLICA;
    const wanted = argv.int(1);
    c.server.replication.wait(c, wanted, parseTimeoutMs(argv.bytes(2)));
  },
});

export const moveCommand = command({
  name: "move", arity: 3, flags: ["write", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "update"] }, categories: ["keyspace"],
  args: "key:key#0 db:integer",
  summary: "Move a key to another database", since: "1.0.0",
  handler(c, argv) {
    if (c.server.cluster !== undefined) throw MOVE_IN_CLUSTER;
    const dest = databaseArg(c, argv.bytes(2));
    if (dest === c.db) throw SAME_OBJECT;
    const key = argv.str(1);
    const value = c.db.lookupKeyWrite(key);
    if (value === undefined || dest.exists(key)) return c.reply.integer(0);
    c.db.moveKeyTo(key, dest, key, value);
    c.notify(NotifyClass.Generic, "move_from", key);
    c.server.notifier.emit(NotifyClass.Generic, "move_to", key, dest.id);
    c.reply.integer(1);
  },
});

export const randomkeyCommand = command({
  name: "randomkey", arity: 1, flags: ["readonly"], categories: ["keyspace"], expiredAlone: true, tips: ["request_policy:all_shards", "nondeterministic_output"],
  summary: "Return a random key from the keyspace", since: "1.0.0",
  handler(c) {
    const key = c.db.randomKey();
    if (key === undefined) c.reply.null();
    else c.reply.bulkString(key);
  },
});

export const touchCommand = command({
  name: "touch", arity: -2, flags: ["readonly", "fast"], keys: { first: 1, last: -1, step: 1, flags: ["RO"] }, categories: ["keyspace"],
  args: "key:key#0...",
  tips: ["request_policy:multi_shard", "response_policy:agg_sum"],
  summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.", since: "3.2.1",
  complexity: "O(N) where N is the number of keys that will be touched.",
  handler(c, argv) {
    let count = 0;
    for (let i = 1; i < argv.length; i++) if (c.db.lookupKeyRead(argv.str(i)) !== undefined) count++;
    c.reply.integer(count);
  },
});

/** Redis shares the integer objects 0..9999, which report this reference count. */
const SHARED_REFCOUNT = 2147483647;

const objectSpec = {
  arity: 3, flags: ["readonly"] as CommandFlag[], keys: { first: 2, last: 2, step: 1, flags: ["RO"] }, categories: ["keyspace"], tips: ["nondeterministic_output"],
};

/**
 * OBJECT's lookup: whether the key is there (a null reply when not), found without touching
 * it (LOOKUP_NOTOUCH: the access time is what it reports) and without reading its value
 * (a 100 KB string made into a JS string held OBJECT ENCODING to 0.02x Redis's speed).
 */
function objectFound(c: Context, argv: Argv): boolean {
  const found = c.db.findForRead(argv.str(2), false);
  if (!found) c.reply.null();
  return found;
}

/**
 * Integers 0..9999 are Redis's shared objects, with a refcount that never changes, unless
 * maxmemory is set with an LRU or LFU policy: then every value needs an access time of
 * its own and none is shared. Redis decides when a value is made; KVIS, which shares
 * nothing, answers by the settings in force when asked.
 */
export function refcountOf(c: Context, value: StoredValue): number {
  if (typeof value !== "number" || value < 0 || value >= 10000) return 1;
  const config = c.server.config;
  const policy = config.get("maxmemory-policy");
  return config.int("maxmemory") !== 0 && (policy.endsWith("-lru") || policy.endsWith("-lfu")) ? 1 : SHARED_REFCOUNT;
}

export const objectCommand = command({
  name: "object", arity: -2, flags: [], summary: "A container for object introspection commands", since: "2.2.3", complexity: "Depends on subcommand.",
  subcommands: [
    command({
      ...objectSpec, name: "object|encoding", summary: "Inspect the internal encoding of a Redis object", since: "2.2.3",
      args: "key:key#0",
      handler(c, argv) {
        if (objectFound(c, argv)) c.reply.bulkString(c.db.encodingOf(argv.str(2)));
      },
    }),
    command({
      ...objectSpec, name: "object|refcount", summary: "Get the number of references to the value of the key", since: "2.2.3",
      args: "key:key#0",
      handler(c, argv) {
        // Only an integer can be one of the shared objects.
        const key = argv.str(2);
        if (objectFound(c, argv)) c.reply.integer(c.db.encodingOf(key) === "int" && c.db.sharesInteger(key) ? refcountOf(c, c.db.peek(key)!) : 1);
      },
    }),
    // Every key's slot keeps its last access (store/table.ts), or under an LFU policy its
    // frequency counter instead (store/access.ts), as Redis's robj.lru.
    command({
      ...objectSpec, name: "object|idletime", summary: "Get the time since a Redis object was last accessed", since: "2.2.3",
      args: "key:key#0",
      handler(c, argv) {
        const keyspace = c.server.keyspace;
        if (!objectFound(c, argv)) return;
        if (keyspace.lfu) throw IDLETIME_UNDER_LFU;
        const seen = c.db.accessOf(argv.str(2));
        c.reply.integer(seen === undefined ? 0 : Math.max(0, lruClock() - seen));
      },
    }),
    command({
      ...objectSpec, name: "object|freq", summary: "Get the logarithmic access frequency counter of a Redis object", since: "4.0.0",
      args: "key:key#0",
      handler(c, argv) {
        const keyspace = c.server.keyspace;
        if (!objectFound(c, argv)) return;
        if (!keyspace.lfu) throw LFU_NOT_SELECTED;
        const entry = c.db.accessOf(argv.str(2));
        c.reply.integer(entry === undefined ? 0 : lfuCounter(entry, keyspace.lfuDecayTime));
      },
    }),
    command({
      name: "object|help", arity: 2, flags: ["loading", "stale"], categories: ["keyspace"],
      summary: "Show helpful text about the different subcommands", since: "6.2.0",
      handler: (c) =>
        c.reply.helpLines([
          "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "ENCODING <key>",
          "    Return the kind of internal representation used in order to store the value",
          "    associated with a <key>.",
          "FREQ <key>",
          "    Return the access frequency index of the <key>. The returned integer is",
          "    proportional to the logarithm of the recent access frequency of the key.",
          "IDLETIME <key>",
          "    Return the idle time of the <key>, that is the approximated number of",
          "    seconds elapsed since the last access to the key.",
          "REFCOUNT <key>",
          "    Return the number of references of the value associated with the specified",
          "    <key>.",
          "HELP",
          "    Prints this help.",
        ]),
    }),
  ],
});

/** What SCAN and its kin reply for one key (and its value, when `withValues` asked the table for it); undefined to skip it. */
export type ScanEmit = (key: string, value?: StoredValue) => string[] | undefined;

/**
 * A SCAN cursor as Redis reads it with strtoul: a sign and digits, any number of them,
 * within 64 bits (a negative one wraps around); no leading space; the empty text is 0.
 */
function parseCursor(text: string): bigint {
  if (text === "") return 0n;
  const parts = /^([+-]?)([0-9]+)$/.exec(text);
  if (parts === null) throw INVALID_CURSOR;
  const magnitude = BigInt(parts[2]!);
  if (magnitude > 18446744073709551615n) throw INVALID_CURSOR;
  return parts[1] === "-" ? BigInt.asUintN(64, -magnitude) : magnitude;
}

/**
 * How SSCAN and HSCAN reply from a table's bytes when nothing filters (no MATCH, no TYPE):
 * `items` bulk strings a slot, written by `write` (no string made of a member or value).
 */
export interface ScanFromBytes {
  items: number;
  write(table: KeyTable, slot: number, out: BytesSink): void;
}

/** The cursor at argv[at]: strtoull's rules, a negative one wrapping around rather than failing. */
function scanCursor(argv: Argv, at: number): number | bigint {
  // Most cursors are small and plain: those are read without the regular expression and the BigInt.
  const text = argv.str(at);
  const small = text.length <= 9 ? argv.tryInt(at) : undefined;
  return small !== undefined && small >= 0 ? small : parseCursor(text);
}

/**
 * HSCAN, SSCAN and ZSCAN start as in Redis: the cursor is read before the key, so an
 * invalid one is refused whatever the key holds; a missing key answers an empty scan at
 * once, its options unread. The value, when the key holds one (lookup throws WRONGTYPE).
 */
export function scanValue<T>(c: Context, argv: Argv, lookup: () => T | undefined): T | undefined {
  scanCursor(argv, 2);
  const value = lookup();
  if (value === undefined) {
    c.reply.array(2);
    c.reply.bulkString("0");
    c.reply.array(0);
  }
  return value;
}

/**
 * SCAN, HSCAN, SSCAN and ZSCAN: parse the cursor at argv.bytes(cursorAt) and the MATCH, COUNT
 * (and for SCAN, TYPE) options in Redis's order, then reply [next cursor, items]. A small
 * aggregate (`target` undefined) is returned whole with cursor 0, as Redis does for
 * listpacks and intsets; otherwise the iteration is one of ScanCursors' live iterators.
 */
export function scanGeneric(
  c: Context, argv: Argv, cursorAt: number, target: Map<string, unknown> | KeyTable | undefined, all: () => Iterable<string>, emit: ScanEmit, allowType: boolean,
  withValues = false, fromBytes?: ScanFromBytes,
): void {
  const cursorText = argv.str(cursorAt);
  const cursor = scanCursor(argv, cursorAt);
  let count = 10;
  let pattern: string | undefined;
  let type: string | undefined;
  const args = new ArgCursor(argv, cursorAt + 1);
  while (args.hasNext()) {
    const opt = args.nextKeyword();
    if (opt === "count" && args.hasNext()) {
      count = args.nextInt();
      if (count < 1) throw SYNTAX_ERR;
    } else if (opt === "match" && args.hasNext()) {
      pattern = args.nextString();
      if (pattern === "*") pattern = undefined;
    } else if (opt === "type" && allowType && args.hasNext()) {
      type = lowerAscii(args.next());
    } else throw SYNTAX_ERR;
  }
  let keys: Iterable<string>;
  let values: StoredValue[] | undefined;
  let next = 0;
  // The table's cursor is 32 bits wide: as Redis's, it is taken modulo the table's size.
  const tableCursor = () => (typeof cursor === "number" ? cursor : Number(BigInt.asUintN(32, cursor)));
  if (target instanceof KeyTable && fromBytes !== undefined && pattern === undefined && type === undefined) {
    const found: number[] = [];
    next = target.scanSlots(tableCursor(), count, found);
    c.reply.array(2);
    c.reply.bulkString(String(next));
    c.reply.array(found.length * fromBytes.items);
    for (const slot of found) fromBytes.write(target, slot, c.reply);
    return;
  }
  if (target === undefined) keys = all();
  else if (target instanceof KeyTable) {
    keys = [];
    values = withValues ? [] : undefined;
    next = target.scan(tableCursor(), count, keys as string[], values);
  } else [keys, next] = c.server.keyspace.scanCursors.step(Number(cursorText), target, count);
  const items: string[] = [];
  let at = -1;
  for (const key of keys) {
    at++;
    if (pattern !== undefined && !globMatch(pattern, key)) continue;
    const emitted = emit(key, values?.[at]);
    if (emitted === undefined) continue;
    if (type !== undefined && c.db.peekType(key) !== type) continue;
    for (const item of emitted) items.push(item);
  }
  c.reply.array(2);
  c.reply.bulkString(String(next));
  c.reply.bulkStrings(items);
}

export const scanCommand = command({
  name: "scan", arity: -2, flags: ["readonly"], categories: ["keyspace"], expiredAlone: true, tips: ["nondeterministic_output", "request_policy:special"],
  history: [["6.0.0", "Added the `TYPE` subcommand."]],
  args: "cursor:integer MATCH=pattern:pattern? COUNT=count:integer? TYPE=type:string?@6.0.0",
  summary: "Incrementally iterate the keys space", since: "2.8.0",
  complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
  handler(c, argv) {
    const db = c.db;
    // Expired keys are reclaimed as the scan meets them, as Redis's scan callback does.
    scanGeneric(c, argv, 1, db.scanTarget, () => db.keys(), (key) => (db.expireIfNeeded(key) || !db.has(key) ? undefined : [key]), true);
  },
});

/**
 * The value a BY or GET pattern names for one element: `#` is the element itself; a
 * pattern without `*` names nothing; `key*->field` reads a hash field. Only strings (or
 * hash fields) count; anything else is missing.
 */
function lookupByPattern(db: Database, pattern: string, element: string): string | undefined {
  if (pattern === "#") return element;
  const star = pattern.indexOf("*");
  if (star === -1) return undefined;
  const arrow = pattern.indexOf("->", star + 1);
  const hasField = arrow !== -1 && arrow + 2 < pattern.length;
  const key = pattern.slice(0, star) + element + pattern.slice(star + 1, hasField ? arrow : undefined);
  const value = db.lookupKeyRead(key);
  if (value === undefined) return undefined;
  if (hasField) return value instanceof HashValue ? value.get(pattern.slice(arrow + 2)) : undefined;
  return isStringValue(value) ? stringOf(value) : undefined;
}

/** strtod as SORT applies it: the whole text, no NaN, nothing out of the double range. */
function sortScore(s: string): number {
  const d = parseRangeDouble(s);
  if (d === undefined || Number.isNaN(d)) throw SORT_NOT_DOUBLE;
  if (!Number.isFinite(d) && !/inf/i.test(s)) throw SORT_NOT_DOUBLE;
  return d;
}

interface SortItem {
  element: string;
  score: number;
  by: string | undefined;
}

/** Whether the client's user may read every key with this SORT (its BY and GET patterns). */
function readsEveryKey(c: Context, argv: Argv, readOnly: boolean): boolean {
  return c.user.unrestricted || c.user.readsEveryKey(c.server.commands.find(readOnly ? "sort_ro" : "sort")!, argv);
}

function sortGeneric(c: Context, argv: Argv, readOnly: boolean): void {
  let desc = false;
  let alpha = false;
  let limitStart = 0;
  let limitCount = -1;
  let store: string | undefined;
  let sortBy: string | undefined;
  let dontSort = false;
  const gets: string[] = [];
  for (let j = 2; j < argv.length; j++) {
    const opt = argv.keyword(j);
    const left = argv.length - j - 1;
    if (opt === "asc") desc = false;
    else if (opt === "desc") desc = true;
    else if (opt === "alpha") alpha = true;
    else if (opt === "limit" && left >= 2) {
      const start = parseInt64(argv.bytes(j + 1));
      const count = parseInt64(argv.bytes(j + 2));
      if (start === undefined || count === undefined) throw NOT_INTEGER;
      limitStart = start;
      limitCount = count;
      j += 2;
    } else if (!readOnly && opt === "store" && left >= 1) store = argv.str(++j);
    else if (opt === "by" && left >= 1) {
      sortBy = argv.str(++j);
      // A BY pattern without `*` (such as "nosort") means: do not sort. One with it reads
      // keys no key spec names: refused in a cluster, and to a user who may not read every key.
      dontSort = !sortBy.includes("*");
      if (!dontSort && c.server.cluster !== undefined) throw SORT_BY_CLUSTER;
      if (!dontSort && !readsEveryKey(c, argv, readOnly)) throw SORT_BY_ACL;
    } else if (opt === "get" && left >= 1) {
      if (c.server.cluster !== undefined) throw SORT_GET_CLUSTER;
      if (!readsEveryKey(c, argv, readOnly)) throw SORT_GET_ACL;
      gets.push(argv.str(++j));
    } else throw SYNTAX_ERR;
  }
  const value = c.db.lookupKeyRead(argv.str(1));
  if (value !== undefined && !(value instanceof ListValue) && !(value instanceof SetValue) && !(value instanceof SortedSet)) throw WRONGTYPE;
  // An unsorted set would come out in hash order; when stored, or for a script (whose
  // effects must not depend on it), Redis sorts it by bytes.
  if (dontSort && value instanceof SetValue && (store !== undefined || c.fromScript)) {
    dontSort = false;
    alpha = true;
    sortBy = undefined;
  }
  // Redis converts a listpack sorted set to a skip list before sorting it, for good.
  if (value instanceof SortedSet) value.convertToSkiplist();
  const length = value?.size ?? 0;
  let start = limitStart < 0 ? 0 : limitStart;
  let end = limitCount < 0 ? length - 1 : start + limitCount - 1;
  if (start >= length) {
    start = length - 1;
    end = length - 2;
  }
  if (end >= length) end = length - 1;

  let elements: string[];
  if (dontSort && (value instanceof ListValue || value instanceof SortedSet)) {
    // Keep the native order (reversed for DESC) and load just the LIMIT range.
    const count = Math.max(0, end - start + 1);
    const from = desc ? length - 1 - start : start;
    elements = [];
    for (let i = 0; i < count; i++) {
      const at = desc ? from - i : from + i;
      elements.push(value instanceof ListValue ? value.at(at) : value.at(at).member);
    }
    end -= start;
    start = 0;
  } else if (value instanceof ListValue) elements = [...value];
  else if (value instanceof SetValue) elements = value.toArray();
  else if (value instanceof SortedSet) elements = [...value.entries()].map((e) => e.member);
  else elements = [];

  if (!dontSort) {
    const items: SortItem[] = elements.map((element) => {
      const by = sortBy !== undefined ? lookupByPattern(c.db, sortBy, element) : element;
      const score = alpha || by === undefined ? 0 : sortScore(by);
      return { element, score, by };
    });
    items.sort((a, b) => {
      let cmp: number;
      if (!alpha) cmp = a.score > b.score ? 1 : a.score < b.score ? -1 : compareBytes(a.element, b.element);
      else if (sortBy !== undefined) cmp = a.by === undefined || b.by === undefined ? (a.by === b.by ? 0 : a.by === undefined ? -1 : 1) : compareBytes(a.by, b.by);
      else cmp = compareBytes(a.element, b.element);
      return desc ? -cmp : cmp;
    });
    elements = items.map((i) => i.element);
  }

  const selected = end >= start ? elements.slice(start, end + 1) : [];
  const output: (string | undefined)[] = [];
  for (const element of selected) {
    if (gets.length === 0) output.push(element);
    for (const pattern of gets) output.push(lookupByPattern(c.db, pattern, element));
  }
  if (store === undefined) {
    c.reply.array(output.length);
    for (const item of output) {
      if (item === undefined) c.reply.null();
      else c.reply.bulkString(item);
    }
    return;
  }
  if (output.length > 0) {
    c.db.setKey(store, ListValue.from(output.map((item) => item ?? "")));
    // A change per element stored, as Redis counts it (setKey counted one).
    c.db.countChanges(output.length - 1);
    c.notify(NotifyClass.List, "sortstore", store);
  } else if (c.db.delete(store)) c.notify(NotifyClass.Generic, "del", store);
  c.reply.integer(output.length);
}

const byGetSpec: FullKeySpec = {
  notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort",
  flags: ["RO", "access"], begin: "unknown", find: "unknown",
};
const sourceSpec: FullKeySpec = { flags: ["RO", "access"], begin: { index: 1 }, find: { lastkey: 0, keystep: 1, limit: 0 } };
const sortComplexity =
  "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).";

/** SORT's keys (Redis's sortGetKeys): the source, and the STORE destination wherever it is. */
function sortKeys(argv: Argv): KeyRef[] {
  const keys: KeyRef[] = [{ pos: 1, flags: sourceSpec.flags }];
  let store = 0;
  for (let i = 2; i < argv.length; i++) {
    const word = argv.keyword(i);
    if (word === "limit") i += 2;
    else if (word === "get" || word === "by") i += 1;
    else if (word === "store" && i + 1 < argv.length) store = ++i;
  }
  if (store > 0) keys.push({ pos: store, flags: ["OW", "update"] });
  return keys;
}

export const sortCommand = command({
  name: "sort", arity: -2, flags: ["write", "denyoom"], keys: { first: 1, last: 1, step: 1 }, getKeys: sortKeys,
  args: "key:key#0 BY=pattern:pattern#1? LIMIT=offset_count{offset:integer count:integer}? GET=pattern:pattern#1?...+ order(ASC|DESC)? ALPHA/sorting? STORE=destination:key#2?",
  keySpecs: [
    sourceSpec, byGetSpec,
    { notes: "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array", flags: ["OW", "update"], begin: "unknown", find: "unknown" },
  ],
  categories: ["set", "sortedset", "list", "dangerous"],
  summary: "Sort the elements in a list, set or sorted set", since: "1.0.0", complexity: sortComplexity,
  handler: (c, argv) => sortGeneric(c, argv, false),
});

export const sort_roCommand = command({
  name: "sort_ro", arity: -2, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, keySpecs: [sourceSpec, byGetSpec],
  args: "key:key#0 BY=pattern:pattern#1? LIMIT=offset_count{offset:integer count:integer}? GET=pattern:pattern#1?...+ order(ASC|DESC)? ALPHA/sorting?",
  getKeys: () => [{ pos: 1, flags: sourceSpec.flags }],
  categories: ["set", "sortedset", "list", "dangerous"],
  summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", since: "7.0.0", complexity: sortComplexity,
  handler: (c, argv) => sortGeneric(c, argv, true),
});
