/**
 * Persistence commands (Redis's rdb.c and aof.c): SAVE, BGSAVE, BGREWRITEAOF and LASTSAVE.
 * The saves themselves are server/persistence.ts's and server/aof.ts's.
 */
import { AOF_REWRITE_ACTIVE, AOF_REWRITE_IN_PROGRESS, BGSAVE_IN_PROGRESS, ERR_PLAIN, SYNTAX_ERR } from "../errors.ts";
import { command } from "./command.ts";

export const lastsaveCommand = command({
  name: "lastsave", tips: ["nondeterministic_output"], arity: 1, flags: ["loading", "stale", "fast"], categories: ["admin", "dangerous"],
  summary: "Get the UNIX time stamp of the last successful save to disk", since: "1.0.0",
  handler: (c) => c.reply.integer(c.server.persistence.lastSave),
});

export const saveCommand = command({
  name: "save", arity: 1, flags: ["admin", "noscript", "no-async-loading", "no-multi"], categories: [],
  summary: "Synchronously save the dataset to disk", since: "1.0.0",
  complexity: "O(N) where N is the total number of keys in all databases",
  handler(c) {
    const persistence = c.server.persistence;
    if (persistence.bgsaveInProgress) throw BGSAVE_IN_PROGRESS;
    if (!persistence.save()) throw ERR_PLAIN;
    c.reply.ok();
  },
});

export const bgsaveCommand = command({
  name: "bgsave", arity: -1, flags: ["admin", "noscript", "no-async-loading"], categories: [],
  history: [["3.2.2", "Added the `SCHEDULE` option."]],
  args: "SCHEDULE?@3.2.2",
  summary: "Asynchronously save the dataset to disk", since: "1.0.0",
  handler(c, argv) {
    if (argv.length > 2 || (argv.length === 2 && argv.keyword(1) !== "schedule")) throw SYNTAX_ERR;
    const persistence = c.server.persistence;
    if (persistence.bgsaveInProgress) throw BGSAVE_IN_PROGRESS;
    // An AOF rewrite is running: SCHEDULE starts the save when it ends. Inside a
    // transaction the save is scheduled for after it, SCHEDULE or not, as in Redis.
    if (c.server.aof.rewriting || c.inExec) {
      if (argv.length !== 2 && !c.inExec) throw AOF_REWRITE_ACTIVE;
      persistence.bgsaveScheduled = true;
      return c.reply.simple("Background saving scheduled");
    }
    persistence.bgsave();
    c.reply.simple("Background saving started");
  },
});

export const bgrewriteaofCommand = command({
  name: "bgrewriteaof", arity: 1, flags: ["admin", "noscript", "no-async-loading"], categories: [],
  summary: "Asynchronously rewrite the append-only file", since: "1.0.0",
  handler(c) {
    // Inside a transaction the rewrite is scheduled for after it, as in Redis.
    const outcome = c.server.aof.startRewrite(c.inExec);
    if (outcome === "in-progress") throw AOF_REWRITE_IN_PROGRESS;
    c.reply.simple(outcome === "started" ? "Background append only file rewriting started" : "Background append only file rewriting scheduled");
  },
});
