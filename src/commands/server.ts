/**
 * Keyspace-wide server commands (COMMAND DOCS group "server", the part Redis keeps in
 * server.c and db.c): DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME and SHUTDOWN. The rest of the
 * group lives with its subsystem: config.ts, info.ts, acl.ts, debug.ts, replication.ts,
 * persistence.ts and introspection.ts (COMMAND, MEMORY, SLOWLOG, LATENCY, MONITOR).
 */
import type { Argv } from "../resp/argv.ts";
import type { Context, ShutdownFlags } from "./context.ts";
import { DB_OUT_OF_RANGE, INVALID_FIRST_DB_INDEX, INVALID_SECOND_DB_INDEX, NO_SHUTDOWN_IN_PROGRESS, SYNTAX_ERR, SWAPDB_IN_CLUSTER } from "../errors.ts";
import { parseInt64 } from "../resp/bytes.ts";
import { command } from "./command.ts";

export const dbsizeCommand = command({
  name: "dbsize", tips: ["request_policy:all_shards", "response_policy:agg_sum"], arity: 1, flags: ["readonly", "fast"], categories: ["keyspace"],
  summary: "Return the number of keys in the selected database", since: "1.0.0",
  handler: (c) => c.reply.integer(c.db.size),
});

/**
 * FLUSHDB and FLUSHALL take an optional ASYNC or SYNC (default: lazyfree-lazy-user-flush).
 * Both free memory the same way here; ASYNC is what INFO's lazyfreed_objects counts.
 */
function parseFlushMode(c: Context, argv: Argv): boolean {
  if (argv.length > 2) throw SYNTAX_ERR;
  if (argv.length === 1) return c.server.config.get("lazyfree-lazy-user-flush") === "yes";
  const mode = argv.keyword(1);
  if (mode !== "async" && mode !== "sync") throw SYNTAX_ERR;
  return mode === "async";
}

export const flushdbCommand = command({
  name: "flushdb", tips: ["request_policy:all_shards", "response_policy:all_succeeded"], arity: -1, flags: ["write"], categories: ["keyspace", "dangerous"],
  history: [["4.0.0", "Added the `ASYNC` flushing mode modifier."], ["6.2.0", "Added the `SYNC` flushing mode modifier."]],
  args: "async(ASYNC@4.0.0|SYNC@6.2.0)?",
  summary: "Remove all keys from the current database", since: "1.0.0",
  complexity: "O(N) where N is the number of keys in the selected database",
  handler(c, argv) {
    c.server.keyspace.dirty += c.db.flush(parseFlushMode(c, argv));
    // Replicas and the AOF get it even when the database was already empty, as from Redis.
    c.forcePropagation = true;
    c.server.tracking.flushed();
    c.reply.ok();
  },
});

export const flushallCommand = command({
  name: "flushall", tips: ["request_policy:all_shards", "response_policy:all_succeeded"], arity: -1, flags: ["write"], categories: ["keyspace", "dangerous"],
  history: [["4.0.0", "Added the `ASYNC` flushing mode modifier."], ["6.2.0", "Added the `SYNC` flushing mode modifier."]],
  args: "async(ASYNC@4.0.0|SYNC@6.2.0)?",
  summary: "Remove all keys from all databases", since: "1.0.0",
  complexity: "O(N) where N is the total number of keys in all databases",
  handler(c, argv) {
    c.server.keyspace.flushAll(parseFlushMode(c, argv));
    // With save points set, the empty dataset is saved at once, a save in progress stopped
    // first (Redis's flushAllDataAndResetRDB): a restart must not bring the keys back from
    // the last dump. The save zeroes the change counter, as in Redis.
    c.server.persistence.flushed();
    // Replicas and the AOF get it even when everything was already empty, as from Redis
    // (which does not count it as a change then: rdb_changes_since_last_save stays).
    c.forcePropagation = true;
    c.server.tracking.flushed();
    c.reply.ok();
  },
});

export const swapdbCommand = command({
  name: "swapdb", arity: 3, flags: ["write", "fast"], categories: ["keyspace", "dangerous"],
  args: "index1:integer index2:integer",
  summary: "Swaps two Redis databases", since: "4.0.0",
  complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.",
  handler(c, argv) {
    if (c.server.cluster !== undefined) throw SWAPDB_IN_CLUSTER;
    const a = parseInt64(argv.bytes(1));
    if (a === undefined) throw INVALID_FIRST_DB_INDEX;
    const b = parseInt64(argv.bytes(2));
    if (b === undefined) throw INVALID_SECOND_DB_INDEX;
    const dbs = c.server.keyspace.dbs;
    if (a < 0 || a >= dbs.length || b < 0 || b >= dbs.length) throw DB_OUT_OF_RANGE;
    // A database swapped with itself changes nothing, yet counts as a change (and so is replicated), as in Redis.
    if (a !== b) c.server.keyspace.swap(a, b);
    else c.server.keyspace.dirty++;
    c.reply.ok();
  },
});

export const timeCommand = command({
  name: "time", tips: ["nondeterministic_output"], arity: 1, flags: ["loading", "stale", "fast"], categories: [],
  summary: "Return the current server time", since: "2.6.0",
  handler(c) {
    const micros = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
    c.reply.array(2);
    c.reply.bulkString(String(micros / 1000000n));
    c.reply.bulkString(String(micros % 1000000n));
  },
});

export const shutdownCommand = command({
  name: "shutdown", arity: -1, flags: ["admin", "noscript", "loading", "stale", "no-multi", "sentinel", "allow-busy"],
  history: [["7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."]],
  args: "nosave_save(NOSAVE|SAVE)? NOW?@7.0.0 FORCE?@7.0.0 ABORT?@7.0.0",
  categories: [], summary: "Synchronously save the dataset to disk and then shut down the server", since: "1.0.0",
  complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
  handler(c, argv) {
    const flags: ShutdownFlags = {};
    let abort = false;
    for (let i = 1; i < argv.length; i++) {
      const opt = argv.keyword(i);
      if (opt === "save" || opt === "nosave" || opt === "now" || opt === "force") flags[opt] = true;
      else if (opt === "abort") abort = true;
      else throw SYNTAX_ERR;
    }
    if ((flags.save && flags.nosave) || (abort && argv.length > 2)) throw SYNTAX_ERR;
    if (abort) {
      if (!c.server.shutdown.abort()) throw NO_SHUTDOWN_IN_PROGRESS;
      return c.reply.ok();
    }
    // While a script runs past busy-reply-threshold only SHUTDOWN NOSAVE may end it.
    const scripting = c.server.scripting;
    if (scripting.timedOut) {
      if (!flags.nosave) throw scripting.busyError();
      scripting.abortForShutdown();
    }
    // The client waits: for lagging replicas (shutdown-timeout), then the final save. A
    // failed save keeps the server up (unless FORCE) and answers an error; else, as in
    // Redis, no reply comes: the connection just closes.
    c.server.shutdown.command(c, flags);
  },
});
