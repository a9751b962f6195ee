/**
 * MULTI, EXEC, DISCARD, WATCH and UNWATCH. While a client is in MULTI, the dispatcher
 * (server/dispatch.ts) queues its commands after the usual checks and answers +QUEUED; a
 * check that fails there marks the transaction so that EXEC answers EXECABORT. EXEC runs the
 * queue with nothing in between, unless a WATCHed key changed (or expired) since WATCH,
 * and replicas get the writes inside MULTI ... EXEC.
 */
import { refreshClockAfter } from "../clock.ts";
import { DISCARD_WITHOUT_MULTI, EXEC_WITHOUT_MULTI, EXECABORT, MULTI_NESTED, WATCH_INSIDE_MULTI } from "../errors.ts";
import { command } from "./command.ts";

export const multiCommand = command({
  name: "multi", arity: 1, flags: ["noscript", "loading", "stale", "fast", "allow-busy"], categories: ["transaction"],
  summary: "Mark the start of a transaction block", since: "1.2.0", complexity: "O(1)",
  handler(c) {
    if (c.multi !== undefined) throw MULTI_NESTED;
    c.multi = [];
    c.multiBytes = 0;
    c.multiFailed = false;
    c.reply.ok();
  },
});

export const execCommand = command({
  name: "exec", arity: 1, flags: ["noscript", "loading", "stale", "skip-slowlog"], categories: ["transaction"],
  summary: "Execute all commands issued after MULTI", since: "1.2.0",
  complexity: "Depends on commands in the transaction",
  handler(c) {
    const queued = c.multi;
    if (queued === undefined) throw EXEC_WITHOUT_MULTI;
    const aborted = c.multiFailed;
    const watchFailed = c.dirtyCas || c.watchedKeyExpired();
    c.discardTransaction();
    if (aborted) throw EXECABORT;
    if (watchFailed) return c.reply.nullArray();
    c.reply.array(queued.length);
    const propagation = c.server.propagation;
    propagation.beginTransaction();
    c.inExec = true;
    c.execShown = { length: queued.length, argvBytes: c.argvBytes };
    try {
      for (const { cmd, argv } of queued) c.callQueued(cmd, argv);
    } finally {
      c.inExec = false;
      c.execShown = undefined;
      propagation.endTransaction(c);
      // The time, held still while the transaction ran, moves on for the commands after it.
      refreshClockAfter(performance.now());
    }
  },
});

export const discardCommand = command({
  name: "discard", arity: 1, flags: ["noscript", "loading", "stale", "fast", "allow-busy"], categories: ["transaction"],
  summary: "Discard all commands issued after MULTI", since: "2.0.0",
  complexity: "O(N), when N is the number of queued commands",
  handler(c) {
    if (c.multi === undefined) throw DISCARD_WITHOUT_MULTI;
    c.discardTransaction();
    c.reply.ok();
  },
});

export const watchCommand = command({
  name: "watch", arity: -2, flags: ["noscript", "loading", "stale", "fast", "allow-busy"], keys: { first: 1, last: -1, step: 1, flags: ["RO"] },
  args: "key:key#0...",
  categories: ["transaction"], summary: "Watch the given keys to determine execution of the MULTI/EXEC block", since: "2.2.0",
  complexity: "O(1) for every key.",
  handler(c, argv) {
    if (c.multi !== undefined) throw WATCH_INSIDE_MULTI;
    for (const key of argv.strs(1)) c.watch(key);
    c.reply.ok();
  },
});

export const unwatchCommand = command({
  name: "unwatch", arity: 1, flags: ["noscript", "loading", "stale", "fast", "allow-busy"], categories: ["transaction"],
  summary: "Forget about all watched keys", since: "2.2.0", complexity: "O(1)",
  handler(c) {
    c.unwatchAll();
    c.reply.ok();
  },
});
