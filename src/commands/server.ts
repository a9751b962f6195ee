/**
 * Server commands (COMMAND DOCS group "server"): CONFIG, INFO, DBSIZE, FLUSHDB, FLUSHALL,
 * SWAPDB, TIME, LASTSAVE, SHUTDOWN and COMMAND. INFO's field names are Redis's, so that
 * monitoring tools that parse INFO keep working; COMMAND describes the one command table.
 */
import { Argv } from "../resp/argv.ts";
import { PARAMS, findParam, normalize, rewriteConfig } from "../config.ts";
import {
  AOF_REWRITE_ACTIVE,
  AOF_REWRITE_IN_PROGRESS,
  BGSAVE_IN_PROGRESS,
  INVALID_MASTER_PORT,
  NOT_INTEGER,
  DB_OUT_OF_RANGE,
  INVALID_FIRST_DB_INDEX,
  INVALID_SECOND_DB_INDEX,
  ReplyError,
  NO_SHUTDOWN_IN_PROGRESS,
  SHUTDOWN_FAILED,
  SYNTAX_ERR,
  configSetError,
  configUnknownOption, COUNT_RANGE, DEBUG_NOT_ALLOWED, subcommandSyntax,
  ACL_DELETE_DEFAULT, ACL_GENPASS_BITS, ACL_NO_FILE, ACL_SAVE_FAILED, ACL_USERNAME_SPACES, aclDryrunNoCommand, aclDryrunNoUser,
  aclSetuserError, aclUnknownCategory, aclUnmatchedParenthesis, wrongArity,
  CONFIG_NO_FILE, configRewriteFailed, DEBUG_RELOAD_FAILED, DEBUG_RELOAD_OPTIONS, ERR_PLAIN, NO_SUCH_KEY, GETKEYS_BAD_ARGS, GETKEYS_BAD_ARITY, GETKEYS_INVALID_COMMAND, GETKEYS_NO_KEYS,
} from "../errors.ts";
import { Denied, type Selector, hasSpaces, mergeSelectorArgs } from "../server/acl.ts";
import { encodingOf } from "../store/keyspace.ts";
import { memoryUsage } from "../store/memory-usage.ts";
import { dumpPayload } from "../persistence/rdb-writer.ts";
import { loadRdb } from "../persistence/rdb-reader.ts";
import { refcountOf } from "./generic.ts";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { bytesToString, globMatch, lowerAscii, parseInt64 } from "../resp/bytes.ts";
import type { ReplyWriter } from "../resp/writer.ts";
import type { Server } from "../server/server.ts";
import { KVIS_VERSION, REDIS_VERSION } from "../version.ts";
import { CATEGORY_ORDER, Command, type CommandFlag, FLAG_ORDER, type FullKeySpec, categoriesOf, command } from "./command.ts";
import { parseRangeArg } from "./args.ts";
import { replicaInfoOf } from "../replication/master.ts";
import type { Client } from "../server/connection.ts";
import { allCommands, everyCommand, findCommand, lookupRequest } from "./table.ts";
import { arch, totalmem } from "node:os";
import { LinkState } from "../replication/replica.ts";

export const configCommand = command({
  name: "config", arity: -2, flags: [], summary: "A container for server configuration commands", since: "2.0.0",
  complexity: "Depends on subcommand.",
  subcommands: [
    command({
      name: "config|get", arity: -3, flags: ["admin", "noscript", "loading", "stale"],
      summary: "Get the values of configuration parameters", since: "2.0.0",
      complexity: "O(N) when N is the number of configuration parameters provided",
      handler(c, argv) {
        // Parameter -> the name to answer with: a literal name is echoed as the client
        // spelled it, a glob pattern answers with the parameters' own names (as Redis does).
        const matched = new Map<string, string>();
        for (let i = 2; i < argv.length; i++) {
          const asked = argv.str(i);
          if (!/[*?[]/.test(asked)) {
            const p = findParam(asked);
            if (p && !matched.has(p.name)) matched.set(p.name, asked);
            continue;
          }
          for (const p of PARAMS) {
            if (!matched.has(p.name) && globMatch(asked, p.name, true)) matched.set(p.name, p.name);
          }
        }
        c.reply.map(matched.size);
        for (const [name, shown] of matched) {
          c.reply.bulkString(shown);
          c.reply.bulkString(c.server.config.reported(name));
        }
      },
    }),
    command({
      name: "config|set", tips: ["request_policy:all_nodes", "response_policy:all_succeeded"], arity: -4, flags: ["admin", "noscript", "loading", "stale"],
      summary: "Set configuration parameters to the given values", since: "2.0.0",
      complexity: "O(N) when N is the number of configuration parameters provided",
      handler(c, argv) {
        if (argv.length % 2 !== 0) throw new ReplyError("ERR wrong number of arguments for 'config|set' command");
        // All or nothing, as in Redis 7: validate every pair before applying any.
        const updates: Array<[string, string]> = [];
        for (let i = 2; i < argv.length; i += 2) {
          const name = argv.str(i);
          const param = findParam(name);
          if (!param) throw configUnknownOption(name);
          if (updates.some(([n]) => n === param.name)) throw configSetError(name, "duplicate parameter");
          if (!param.mutable) throw configSetError(name, "can't set immutable config");
          const result = normalize(param, argv.str(i + 1), c.server.config.get(param.name));
          if ("error" in result) throw configSetError(name, result.error);
          updates.push([param.name, result.value]);
        }
        for (const [name, value] of updates) c.server.config.set(name, value);
        c.reply.ok();
      },
    }),
    command({
      name: "config|rewrite", arity: 2, flags: ["admin", "noscript", "loading", "stale"],
      summary: "Rewrite the configuration file with the in memory configuration", since: "2.8.0",
      handler(c) {
        const server = c.server;
        const path = server.configFile;
        if (path === "") throw CONFIG_NO_FILE;
        try {
          let old = "";
          try {
            old = readFileSync(path, "latin1");
          } catch (e) {
            if ((e as { code?: string }).code !== "ENOENT") throw e;
          }
          const users = server.config.get("aclfile") === "" ? server.acl.describeAll() : undefined;
          const temp = `${path}.tmp-${process.pid}`;
          writeFileSync(temp, rewriteConfig(old, server.config, users), "latin1");
          renameSync(temp, path);
        } catch (e) {
          server.log.warning(`CONFIG REWRITE failed: ${(e as Error).message}`);
          throw configRewriteFailed((e as Error).message);
        }
        server.log.notice("CONFIG REWRITE executed with success.");
        c.reply.ok();
      },
    }),
    command({
      name: "config|resetstat", arity: 2, flags: ["admin", "noscript", "loading", "stale"],
      summary: "Reset the stats returned by INFO", since: "2.0.0",
      handler(c) {
        c.server.resetStats();
        c.reply.ok();
      },
    }),
    command({
      name: "config|help", arity: 2, flags: ["loading", "stale"],
      summary: "Show helpful text about the different subcommands", since: "5.0.0",
      handler: (c) =>
        c.reply.helpLines([
          "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
          "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
          "RESETSTAT", "    Reset statistics reported by the INFO command.",
          "REWRITE", "    Rewrite the configuration file.",
          "HELP", "    Prints this help.",
        ]),
    }),
  ],
});

export const dbsizeCommand = command({
  name: "dbsize", tips: ["request_policy:all_shards", "response_policy:agg_sum"], arity: 1, flags: ["readonly", "fast"], categories: ["keyspace"],
  summary: "Return the number of keys in the selected database", since: "1.0.0",
  handler: (c) => c.reply.integer(c.db.size),
});

/** FLUSHDB and FLUSHALL take an optional ASYNC or SYNC; both free memory the same way here. */
function parseFlushMode(argv: Argv): void {
  if (argv.length > 2) throw SYNTAX_ERR;
  if (argv.length === 2) {
    const mode = argv.keyword(1);
    if (mode !== "async" && mode !== "sync") throw SYNTAX_ERR;
  }
}

export const flushdbCommand = command({
  name: "flushdb", tips: ["request_policy:all_shards", "response_policy:all_succeeded"], arity: -1, flags: ["write"], categories: ["keyspace", "dangerous"],
  summary: "Remove all keys from the current database", since: "1.0.0",
  complexity: "O(N) where N is the number of keys in the selected database",
  handler(c, argv) {
    parseFlushMode(argv);
    c.server.keyspace.dirty += c.db.flush();
    c.server.tracking.flushed();
    c.reply.ok();
  },
});

export const flushallCommand = command({
  name: "flushall", tips: ["request_policy:all_shards", "response_policy:all_succeeded"], arity: -1, flags: ["write"], categories: ["keyspace", "dangerous"],
  summary: "Remove all keys from all databases", since: "1.0.0",
  complexity: "O(N) where N is the total number of keys in all databases",
  handler(c, argv) {
    parseFlushMode(argv);
    c.server.keyspace.flushAll();
    c.server.tracking.flushed();
    c.reply.ok();
  },
});

export const swapdbCommand = command({
  name: "swapdb", arity: 3, flags: ["write", "fast"], categories: ["keyspace", "dangerous"],
  summary: "Swaps two Redis databases", since: "4.0.0",
  complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.",
  handler(c, argv) {
    const a = parseInt64(argv.bytes(1));
    if (a === undefined) throw INVALID_FIRST_DB_INDEX;
    const b = parseInt64(argv.bytes(2));
    if (b === undefined) throw INVALID_SECOND_DB_INDEX;
    const dbs = c.server.keyspace.dbs;
    if (a < 0 || a >= dbs.length || b < 0 || b >= dbs.length) throw DB_OUT_OF_RANGE;
    if (a !== b) c.server.keyspace.swap(a, b);
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

export const lastsaveCommand = command({
  name: "lastsave", tips: ["nondeterministic_output"], arity: 1, flags: ["loading", "stale", "fast"], categories: ["admin", "dangerous"],
  summary: "Get the UNIX time stamp of the last successful save to disk", since: "1.0.0",
  handler: (c) => c.reply.integer(c.server.persistence.lastSave),
});

export const shutdownCommand = command({
  name: "shutdown", arity: -1, flags: ["admin", "noscript", "loading", "stale", "no-multi", "sentinel", "allow-busy"],
  categories: [], summary: "Synchronously save the dataset to disk and then shut down the server", since: "1.0.0",
  complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
  handler(c, argv) {
    let save = false;
    let nosave = false;
    let abort = false;
    let force = false;
    for (let i = 1; i < argv.length; i++) {
      const opt = argv.keyword(i);
      if (opt === "save") save = true;
      else if (opt === "nosave") nosave = true;
      else if (opt === "abort") abort = true;
      else if (opt === "force") force = true;
      else if (opt !== "now") throw SYNTAX_ERR;
    }
    if ((save && nosave) || (abort && argv.length > 2)) throw SYNTAX_ERR;
    // KVIS shuts down at once, so there is never a pending shutdown to abort.
    if (abort) throw NO_SHUTDOWN_IN_PROGRESS;
    // With save points set, or SAVE, the dataset is saved first; a failed save keeps the
    // server up, as Redis does, rather than exiting without the data (unless FORCE).
    if (!c.server.finalSave(save, nosave, force)) throw SHUTDOWN_FAILED;
    // Like Redis, a successful SHUTDOWN sends no reply: the connection just closes.
    queueMicrotask(() => c.server.shutdown("User requested shutdown"));
  },
});

export const saveCommand = command({
  name: "save", arity: 1, flags: ["admin", "noscript", "no-async-loading", "no-multi"], categories: [],
  summary: "Synchronously save the dataset to disk", since: "1.0.0",
  complexity: "O(N) where N is the total number of keys in all databases",
  handler(c) {
    const persistence = c.server.persistence;
    if (persistence.bgsaveInProgress) throw BGSAVE_IN_PROGRESS;
    if (!persistence.save()) throw new ReplyError("ERR");
    c.reply.ok();
  },
});

export const bgsaveCommand = command({
  name: "bgsave", arity: -1, flags: ["admin", "noscript", "no-async-loading"], categories: [],
  summary: "Asynchronously save the dataset to disk", since: "1.0.0",
  handler(c, argv) {
    if (argv.length > 2 || (argv.length === 2 && argv.keyword(1) !== "schedule")) throw SYNTAX_ERR;
    const persistence = c.server.persistence;
    if (persistence.bgsaveInProgress) throw BGSAVE_IN_PROGRESS;
    // An AOF rewrite is running: SCHEDULE starts the save when it ends.
    if (c.server.aof.rewriting) {
      if (argv.length !== 2) throw AOF_REWRITE_ACTIVE;
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
    const outcome = c.server.aof.startRewrite();
    if (outcome === "in-progress") throw AOF_REWRITE_IN_PROGRESS;
    c.reply.simple(outcome === "started" ? "Background append only file rewriting started" : "Background append only file rewriting scheduled");
  },
});

export const roleCommand = command({
  name: "role", arity: 1, flags: ["noscript", "loading", "stale", "fast"], categories: ["admin", "dangerous"],
  summary: "Return the role of the instance in the context of replication", since: "2.8.12",
  handler(c) {
    const link = c.server.replicaLink;
    if (link === undefined) {
      const master = c.server.replication;
      c.reply.array(3);
      c.reply.bulkString("master");
      c.reply.integer(master.offset);
      const online = [...master.replicas].filter((r) => r.replica!.state === "online");
      c.reply.array(online.length);
      for (const r of online) {
        c.reply.array(3);
        c.reply.bulkString(r.replica!.ip);
        c.reply.bulkString(String(r.replica!.port));
        c.reply.bulkString(String(r.replica!.ackOffset));
      }
      return;
    }
    c.reply.array(5);
    c.reply.bulkString("slave");
    c.reply.bulkString(link.host);
    c.reply.integer(link.port);
    c.reply.bulkString(link.roleState);
    c.reply.integer(link.reploff);
  },
});

const replicaofSpec = {
  arity: 3, flags: ["admin", "noscript", "stale", "no-async-loading"] as CommandFlag[], categories: [],
  complexity: "O(1)",
  handler(c: Client, argv: Argv) {
    const server = c.server;
    if (argv.keyword(1) === "no" && argv.keyword(2) === "one") {
      server.promote();
      return c.reply.ok();
    }
    const port = parseInt64(argv.bytes(2));
    if (port === undefined || port < 0 || port > 65535) throw INVALID_MASTER_PORT;
    const host = argv.str(1);
    const link = server.replicaLink;
    if (link !== undefined && link.host === host && link.port === port) {
      server.log.notice("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
      return c.reply.simple("OK Already connected to specified master");
    }
    server.follow(host, port, `${c.addr}`);
    c.reply.ok();
  },
};

export const replicaofCommand = command({
  name: "replicaof", summary: "Make the server a replica of another instance, or promote it as master.", since: "5.0.0", ...replicaofSpec,
});

export const slaveofCommand = command({
  name: "slaveof", summary: "Make the server a replica of another instance, or promote it as master.", since: "1.0.0",
  ...replicaofSpec,
});

export const monitorCommand = command({
  name: "monitor", arity: 1, flags: ["admin", "noscript", "loading", "stale"], categories: [],
  summary: "Listen for all requests received by the server in real time", since: "1.0.0",
  handler(c) {
    // A replica's link cannot become a monitor; Redis ignores the request there too.
    if (c.replica !== undefined) return;
    c.server.monitors.add(c);
    c.reply.ok();
  },
});

export const psyncCommand = command({
  name: "psync", arity: -3, flags: ["admin", "noscript", "no-async-loading", "no-multi"], categories: [],
  summary: "An internal command used in replication", since: "2.8.0",
  handler(c, argv) {
    // Replies and the snapshot go straight to the socket, after this read's other replies.
    c.flush();
    c.server.replication.psync(c, argv.str(1), argv.str(2));
  },
});

export const syncCommand = command({
  name: "sync", arity: 1, flags: ["admin", "noscript", "no-async-loading", "no-multi"], categories: [],
  summary: "Internal command used for replication", since: "1.0.0",
  handler(c) {
    c.flush();
    c.server.replication.psync(c, "?", "-1");
  },
});

export const replconfCommand = command({
  name: "replconf", arity: -1, flags: ["admin", "noscript", "loading", "stale", "allow-busy"], categories: [],
  summary: "An internal command for configuring the replication stream", since: "3.0.0",
  handler(c, argv) {
    if (argv.length % 2 === 0) throw SYNTAX_ERR;
    for (let i = 1; i < argv.length; i += 2) {
      const option = argv.keyword(i);
      if (option === "getack") {
        // Only a master may ask; Redis answers nothing at all, even to anyone else.
        c.masterLink?.sendAck();
        return;
      }
      if (option === "ack") {
        // From a replica: its offset. Never answered.
        const offset = parseInt64(argv.bytes(i + 1));
        if (offset !== undefined) c.server.replication.ack(c, offset);
        return;
      }
      const info = replicaInfoOf(c);
      if (option === "listening-port") {
        info.port = parseRangeArg(argv.bytes(i + 1), 0, NOT_INTEGER);
      } else if (option === "ip-address") {
        info.ip = argv.str(i + 1);
      } else if (option === "capa") {
        const capa = argv.keyword(i + 1);
        if (capa === "eof") info.capaEof = true;
        else if (capa === "psync2") info.capaPsync2 = true;
      } else {
        throw new ReplyError(`ERR Unrecognized REPLCONF option: ${argv.str(i)}`);
      }
    }
    c.reply.ok();
  },
});

export const infoCommand = command({
  name: "info", tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"], arity: -1, flags: ["loading", "stale", "sentinel"], categories: ["dangerous"],
  summary: "Get information and statistics about the server", since: "1.0.0",
  complexity: "O(1)",
  handler(c, argv) {
    const wanted = argv.views(1).map(lowerAscii);
    c.reply.verbatim(buildInfo(c.server, wanted));
  },
});

const DEFAULT_SECTIONS = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"];
const ALL_SECTIONS = [...DEFAULT_SECTIONS.slice(0, 8), "commandstats", ...DEFAULT_SECTIONS.slice(8)];

/** The text of INFO [section ...], with Redis's section and field names. */
export function buildInfo(server: Server, wanted: string[]): string {
  let sections: string[];
  if (wanted.length === 0 || wanted.includes("default")) sections = DEFAULT_SECTIONS;
  else if (wanted.includes("all") || wanted.includes("everything")) sections = ALL_SECTIONS;
  else sections = ALL_SECTIONS.filter((s) => wanted.includes(s));
  const out: string[] = [];
  for (const s of sections) {
    if (out.length > 0) out.push("");
    out.push(`# ${s === "commandstats" ? "Commandstats" : s === "errorstats" ? "Errorstats" : s === "cpu" ? "CPU" : s[0]!.toUpperCase() + s.slice(1)}`);
    out.push(...infoSection(server, s));
  }
  // No matching section: Redis answers an empty string, not a bare CRLF.
  return out.length === 0 ? "" : out.join("\r\n") + "\r\n";
}

function humanBytes(n: number): string {
  const units = ["B", "K", "M", "G", "T"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n}B` : `${v.toFixed(2)}${units[i]}`;
}

function infoSection(server: Server, section: string): string[] {
  const nowMs = Date.now();
  const uptime = Math.floor((nowMs - server.startTime) / 1000);
  const ks = server.keyspace;
  switch (section) {
    case "server":
      return [
        `redis_version:${REDIS_VERSION}`,
        `kvis_version:${KVIS_VERSION}`,
        `redis_git_sha1:00000000`,
        `redis_git_dirty:0`,
        `redis_build_id:kvis-${KVIS_VERSION}`,
        `redis_mode:standalone`,
        `os:${process.platform} ${arch()}`,
        `arch_bits:64`,
        `multiplexing_api:bun`,
        `bun_version:${Bun.version}`,
        `process_id:${process.pid}`,
        `process_supervised:no`,
        `run_id:${server.runId}`,
        `tcp_port:${server.port}`,
        `server_time_usec:${Math.round((performance.timeOrigin + performance.now()) * 1000)}`,
        `uptime_in_seconds:${uptime}`,
        `uptime_in_days:${Math.floor(uptime / 86400)}`,
        `hz:${Math.min(500, Math.max(1, server.config.int("hz")))}`,
        `configured_hz:${server.config.int("hz")}`,
        `executable:${process.execPath}`,
        `config_file:${server.configFile}`,
        `io_threads_active:0`,
      ];
    case "clients":
      return [
        `connected_clients:${server.clients.size}`,
        `cluster_connections:0`,
        `maxclients:10000`,
        `client_recent_max_input_buffer:0`,
        `client_recent_max_output_buffer:0`,
        `blocked_clients:${[...server.clients.values()].filter((c) => c.isBlocked).length}`,
        `tracking_clients:0`,
        `clients_in_timeout_table:0`,
      ];
    case "memory": {
      // used_memory is what maxmemory is held to (Server.usedMemory); the process's real
      // size is used_memory_rss.
      const rss = process.memoryUsage.rss();
      const used = server.usedMemory();
      const maxmemory = server.maxmemory;
      return [
        `used_memory:${used}`,
        `used_memory_human:${humanBytes(used)}`,
        `used_memory_rss:${rss}`,
        `used_memory_rss_human:${humanBytes(rss)}`,
        `used_memory_peak:${server.peakMemory(used)}`,
        `used_memory_peak_human:${humanBytes(server.peakMemory(used))}`,
        `used_memory_startup:0`,
        `used_memory_dataset:${ks.bytes}`,
        `total_system_memory:${totalmem()}`,
        `total_system_memory_human:${humanBytes(totalmem())}`,
        `maxmemory:${maxmemory}`,
        `maxmemory_human:${humanBytes(maxmemory)}`,
        `maxmemory_policy:${server.config.get("maxmemory-policy")}`,
        `mem_fragmentation_ratio:${(rss / Math.max(1, used)).toFixed(2)}`,
        `mem_not_counted_for_evict:0`,
        `mem_allocator:bun-${Bun.version}`,
        `lazyfree_pending_objects:0`,
      ];
    }
    case "persistence": {
      const persistence = server.persistence;
      const save = persistence.progress();
      return [
        `loading:0`,
        `async_loading:0`,
        // KVIS saves without forking, so the copy-on-write figures are always 0.
        `current_cow_peak:0`,
        `current_cow_size:0`,
        `current_cow_size_age:0`,
        `current_fork_perc:${save.total > 0 ? ((100 * save.processed) / save.total).toFixed(2) : "0.00"}`,
        `current_save_keys_processed:${save.processed}`,
        `current_save_keys_total:${save.total}`,
        `rdb_changes_since_last_save:${ks.dirty}`,
        `rdb_bgsave_in_progress:${persistence.bgsaveInProgress ? 1 : 0}`,
        `rdb_last_save_time:${persistence.lastSave}`,
        `rdb_last_bgsave_status:${persistence.lastBgsaveOk ? "ok" : "err"}`,
        `rdb_last_bgsave_time_sec:${persistence.lastBgsaveSeconds}`,
        `rdb_current_bgsave_time_sec:${save.seconds}`,
        `rdb_saves:${persistence.saves}`,
        `rdb_last_cow_size:0`,
        `rdb_last_load_keys_expired:${server.lastLoad.expired}`,
        `rdb_last_load_keys_loaded:${server.lastLoad.keys}`,
        ...server.aof.info(),
      ];
    }
    case "stats": {
      const st = server.stats;
      return [
        `total_connections_received:${st.totalConnections}`,
        `total_commands_processed:${st.totalCommands}`,
        `instantaneous_ops_per_sec:0`,
        `total_net_input_bytes:${st.netInputBytes}`,
        `total_net_output_bytes:${st.netOutputBytes}`,
        `total_net_repl_input_bytes:0`,
        `total_net_repl_output_bytes:0`,
        `rejected_connections:${st.rejectedConnections}`,
        `sync_full:${st.syncFull}`,
        `sync_partial_ok:${st.syncPartialOk}`,
        `sync_partial_err:${st.syncPartialErr}`,
        `expired_keys:${ks.stats.expiredKeys}`,
        `evicted_keys:${server.evictor.evictedKeys}`,
        `evicted_clients:0`,
        `keyspace_hits:${ks.stats.keyspaceHits}`,
        `keyspace_misses:${ks.stats.keyspaceMisses}`,
        `pubsub_channels:0`,
        `pubsub_patterns:0`,
        `pubsubshard_channels:0`,
        `total_forks:0`,
        `unexpected_error_replies:0`,
        `total_error_replies:${st.totalErrorReplies}`,
      ];
    }
    case "replication": {
      const master = server.replication;
      const replicas = [...master.replicas].map((r, i) => {
        const info = r.replica!;
        return `slave${i}:ip=${info.ip},port=${info.port},state=${info.state},offset=${info.ackOffset},lag=${Math.floor((nowMs - info.ackTime) / 1000)}`;
      });
      const history = [
        `connected_slaves:${replicas.length}`,
        ...replicas,
        `master_failover_state:no-failover`,
        `master_replid:${master.replid}`,
        `master_replid2:${master.replid2}`,
        `master_repl_offset:${master.offset}`,
        `second_repl_offset:${master.secondOffset}`,
        `repl_backlog_active:${master.active ? 1 : 0}`,
        `repl_backlog_size:${master.backlogSize}`,
        `repl_backlog_first_byte_offset:${master.active ? master.backlogFirstByte : 0}`,
        `repl_backlog_histlen:${master.histlen}`,
      ];
      const link = server.replicaLink;
      if (link !== undefined) {
        const ioAgo = Math.floor((nowMs - link.lastIoMs) / 1000);
        return [
          `role:slave`,
          `master_host:${link.host}`,
          `master_port:${link.port}`,
          `master_link_status:${link.linkUp ? "up" : "down"}`,
          `master_last_io_seconds_ago:${link.linkUp ? ioAgo : -1}`,
          `master_sync_in_progress:${link.state === LinkState.Transfer ? 1 : 0}`,
          `slave_read_repl_offset:${Math.max(0, link.readOffset)}`,
          `slave_repl_offset:${Math.max(0, link.reploff)}`,
          `slave_priority:100`,
          `slave_read_only:${server.replicaReadOnly ? 1 : 0}`,
          `replica_announced:1`,
          ...history,
        ];
      }
      return [`role:master`, ...history];

    }
    case "cpu": {
      const u = process.resourceUsage();
      return [
        `used_cpu_sys:${(u.systemCPUTime / 1e6).toFixed(6)}`,
        `used_cpu_user:${(u.userCPUTime / 1e6).toFixed(6)}`,
        `used_cpu_sys_children:0.000000`,
        `used_cpu_user_children:0.000000`,
      ];
    }
    case "modules":
    case "cluster":
      return section === "cluster" ? ["cluster_enabled:0"] : [];
    case "errorstats":
      return [...server.stats.errors].map(([prefix, count]) => `errorstat_${prefix}:count=${count}`);
    case "commandstats": {
      const lines: string[] = [];
      for (const cmd of allCommands()) {
        for (const each of [cmd, ...(cmd.subcommands?.values() ?? [])]) {
          if (each.calls === 0 && each.rejectedCalls === 0) continue;
          const perCall = each.calls === 0 ? 0 : each.usec / each.calls;
          lines.push(
            `cmdstat_${each.name}:calls=${each.calls},usec=${Math.round(each.usec)},usec_per_call=${perCall.toFixed(2)},rejected_calls=${each.rejectedCalls},failed_calls=${each.failedCalls}`,
          );
        }
      }
      return lines;
    }
    case "keyspace": {
      const lines: string[] = [];
      for (const db of ks.dbs) {
        if (db.size === 0) continue;
        lines.push(`db${db.id}:keys=${db.size},expires=${db.expires.size},avg_ttl=0`);
      }
      return lines;
    }
  }
  return [];
}

// --- COMMAND ---------------------------------------------------------------

function writeCommandInfo(r: ReplyWriter, cmd: Command): void {
  r.array(10);
  r.bulkString(cmd.name);
  r.integer(cmd.arity);
  const flags = FLAG_ORDER.filter((f) => cmd.has(f)).map((f) => f.replace(/-/g, "_"));
  if (cmd.movableKeys) flags.push("movablekeys");
  r.set(flags.length);
  for (const f of flags) r.simple(f);
  r.integer(cmd.keys.first);
  r.integer(cmd.keys.last);
  r.integer(cmd.keys.step);
  const cats = categoriesOf(cmd);
  r.set(cats.length);
  for (const cat of cats) r.simple(`@${cat}`);
  // Redis 7.0 sends tips, key specs and subcommands as sets in RESP3.
  r.set(cmd.tips.length);
  for (const tip of cmd.tips) r.bulkString(tip);
  r.set(cmd.keySpecs.length);
  for (const spec of cmd.keySpecs) writeKeySpec(r, spec);
  const subs = cmd.subcommands ? [...cmd.subcommands.values()] : [];
  r.set(subs.length);
  for (const sub of subs) writeCommandInfo(r, sub);
}

/** One key spec as COMMAND INFO sends it: maps of begin_search and find_keys. */
function writeKeySpec(r: ReplyWriter, spec: FullKeySpec): void {
  r.map(spec.notes === undefined ? 3 : 4);
  if (spec.notes !== undefined) {
    r.bulkString("notes");
    r.bulkString(spec.notes);
  }
  r.bulkString("flags");
  r.set(spec.flags.length);
  for (const f of spec.flags) r.simple(f);
  r.bulkString("begin_search");
  const begin = spec.begin;
  if (begin === "unknown") writeSearchSpec(r, "unknown", []);
  else if ("index" in begin) writeSearchSpec(r, "index", [["index", begin.index]]);
  else writeSearchSpec(r, "keyword", [["keyword", begin.keyword], ["startfrom", begin.startfrom]]);
  r.bulkString("find_keys");
  const find = spec.find;
  if (find === "unknown") writeSearchSpec(r, "unknown", []);
  else if ("lastkey" in find) writeSearchSpec(r, "range", [["lastkey", find.lastkey], ["keystep", find.keystep], ["limit", find.limit]]);
  else writeSearchSpec(r, "keynum", [["keynumidx", find.keynumidx], ["firstkey", find.firstkey], ["keystep", find.keystep]]);
}

function writeSearchSpec(r: ReplyWriter, type: string, fields: [string, number | string][]): void {
  r.map(2);
  r.bulkString("type");
  r.bulkString(type);
  r.bulkString("spec");
  r.map(fields.length);
  for (const [name, value] of fields) {
    r.bulkString(name);
    if (typeof value === "number") r.integer(value);
    else r.bulkString(value);
  }
}

/** COMMAND GETKEYS / GETKEYSANDFLAGS: the keys of the command in the arguments, as ACLs see them. */
function getKeysGeneric(c: Client, argv: Argv, withFlags: boolean): void {
  const args = Argv.of(...argv.views(2));
  const cmd = lookupRequest(args);
  if (cmd === undefined) throw GETKEYS_INVALID_COMMAND;
  if (cmd.keySpecs.length === 0) throw GETKEYS_NO_KEYS;
  if ((cmd.arity > 0 && args.length !== cmd.arity) || args.length < -cmd.arity) throw GETKEYS_BAD_ARITY;
  const keys = cmd.getKeys(args);
  if (keys.length === 0 && !cmd.has("no-mandatory-keys")) throw GETKEYS_BAD_ARGS;
  c.reply.array(keys.length);
  for (const key of keys) {
    if (!withFlags) {
      c.reply.bulk(args.bytes(key.pos));
      continue;
    }
    c.reply.array(2);
    c.reply.bulk(args.bytes(key.pos));
    c.reply.set(key.flags.length);
    for (const f of key.flags) c.reply.simple(f);
  }
}

function writeCommandDocs(r: ReplyWriter, cmd: Command): void {
  const subs = cmd.subcommands ? [...cmd.subcommands.values()] : [];
  r.map(subs.length > 0 ? 5 : 4);
  r.bulkString("summary");
  r.bulkString(cmd.summary);
  r.bulkString("since");
  r.bulkString(cmd.since);
  r.bulkString("group");
  r.bulkString(cmd.group);
  r.bulkString("complexity");
  r.bulkString(cmd.complexity);
  if (subs.length > 0) {
    r.bulkString("subcommands");
    r.map(subs.length);
    for (const sub of subs) {
      r.bulkString(sub.name);
      writeCommandDocs(r, sub);
    }
  }
}

export const commandCommand = command({
  name: "command", tips: ["nondeterministic_output_order"], arity: -1, flags: ["loading", "stale"], categories: ["connection"],
  summary: "Get array of Redis command details", since: "2.8.13", complexity: "O(N) where N is the total number of Redis commands",
  handler(c) {
    const all = allCommands();
    c.reply.array(all.length);
    for (const cmd of all) writeCommandInfo(c.reply, cmd);
  },
  subcommands: [
    command({
      name: "command|count", arity: 2, flags: ["loading", "stale"], categories: ["connection"],
      summary: "Get total number of Redis commands", since: "2.8.13",
      handler: (c) => c.reply.integer(allCommands().length),
    }),
    command({
      name: "command|list", tips: ["nondeterministic_output_order"], arity: -2, flags: ["loading", "stale"], categories: ["connection"],
      summary: "Get an array of Redis command names", since: "7.0.0", complexity: "O(N) where N is the total number of Redis commands",
      handler(c, argv) {
        if (argv.length > 2) throw SYNTAX_ERR;
        const names: string[] = [];
        for (const cmd of allCommands()) {
          names.push(cmd.name);
          for (const sub of cmd.subcommands?.values() ?? []) names.push(sub.name);
        }
        c.reply.bulkStrings(names);
      },
    }),
    command({
      name: "command|info", tips: ["nondeterministic_output_order"], arity: -2, flags: ["loading", "stale"], categories: ["connection"],
      summary: "Get array of specific Redis command details, or all when no argument is given.", since: "2.8.13",
      complexity: "O(N) where N is the number of commands to look up",
      handler(c, argv) {
        const targets = argv.length === 2 ? allCommands() : argv.views(2).map((a) => findCommand(bytesToString(a)));
        c.reply.array(targets.length);
        for (const cmd of targets) {
          // Redis answers a null bulk (not a null array) for an unknown name.
          if (cmd === undefined) c.reply.null();
          else writeCommandInfo(c.reply, cmd);
        }
      },
    }),
    command({
      name: "command|getkeys", arity: -4, flags: ["loading", "stale"], categories: ["connection"],
      summary: "Extract keys given a full Redis command", since: "2.8.13", complexity: "O(N) where N is the number of arguments to the command",
      handler: (c, argv) => getKeysGeneric(c, argv, false),
    }),
    command({
      name: "command|getkeysandflags", arity: -4, flags: ["loading", "stale"], categories: ["connection"],
      summary: "Extract keys and access flags given a full Redis command", since: "7.0.0", complexity: "O(N) where N is the number of arguments to the command",
      handler: (c, argv) => getKeysGeneric(c, argv, true),
    }),
    command({
      name: "command|docs", tips: ["nondeterministic_output_order"], arity: -2, flags: ["loading", "stale"], categories: ["connection"],
      summary: "Get array of specific Redis command documentation", since: "7.0.0",
      complexity: "O(N) where N is the number of commands to look up",
      handler(c, argv) {
        const targets =
          argv.length === 2
            ? allCommands()
            : argv.views(2).map((a) => findCommand(bytesToString(a))).filter((x): x is Command => x !== undefined);
        c.reply.map(targets.length);
        for (const cmd of targets) {
          c.reply.bulkString(cmd.name);
          writeCommandDocs(c.reply, cmd);
        }
      },
    }),
    command({
      name: "command|help", arity: 2, flags: ["loading", "stale"], categories: ["connection"],
      summary: "Show helpful text about the different subcommands", since: "5.0.0",
      handler: (c) =>
        c.reply.helpLines([
          "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "(no subcommand)", "    Return details about all Redis commands.",
          "COUNT", "    Return the total number of commands in this Redis server.",
          "LIST", "    Return a list of all commands in this Redis server.",
          "INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
          "    If no command names are given, documentation details for all", "    commands are returned.",
          "DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
          "    If no command names are given, documentation details for all", "    commands are returned.",
          "HELP", "    Prints this help.",
        ]),
    }),
  ],
});

/**
 * MEMORY PURGE asks the allocator to give memory back; here that is a full garbage
 * collection, after which the JS heap and RSS show what the data really holds (between
 * collections they also hold the garbage of recent requests).
 */
export const memoryCommand = command({
  name: "memory", arity: -2, flags: [], summary: "A container for memory diagnostics commands", since: "4.0.0", complexity: "Depends on subcommand.",
  subcommands: [
    command({
      name: "memory|usage", arity: -3, flags: ["readonly"], keys: { first: 2, last: 2, step: 1, flags: ["RO"] },
      summary: "Estimate the memory usage of a key", since: "4.0.0", complexity: "O(N) where N is the number of samples.",
      handler(c, argv) {
        // SAMPLES is accepted as in Redis; the estimate always looks at every element.
        for (let i = 3; i < argv.length; i += 2) {
          if (argv.keyword(i) !== "samples" || i + 1 >= argv.length) throw SYNTAX_ERR;
          if (argv.int(i + 1) < 0) throw SYNTAX_ERR;
        }
        const key = argv.str(2);
        const value = c.db.lookupKeyRead(key);
        if (value === undefined) return c.reply.null();
        c.reply.integer(memoryUsage(key, value, encodingOf(value, c.db.rawStrings.has(key))));
      },
    }),
    command({
      name: "memory|stats", arity: 2, flags: [], tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
      summary: "Show memory usage details", since: "4.0.0",
      handler: (c) => memoryStats(c),
    }),
    command({
      name: "memory|purge", arity: 2, flags: [], tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
      summary: "Ask the allocator to release memory", since: "4.0.0", complexity: "Depends on how much memory is allocated, could be slow",
      handler(c) {
        Bun.gc(true);
        c.reply.ok();
      },
    }),
    command({
      name: "memory|help", arity: 2, flags: ["loading", "stale"],
      summary: "Show helpful text about the different subcommands", since: "4.0.0",
      handler: (c) =>
        c.reply.helpLines([
          "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "PURGE", "    Attempt to purge dirty pages for reclamation by the allocator.",
          "HELP", "    Prints this help.",
        ]),
    }),
  ],
});

const slowlogSpec = { flags: ["admin", "loading", "stale"] as CommandFlag[], tips: ["request_policy:all_nodes", "nondeterministic_output"] };

/** SLOWLOG: see server/slowlog.ts for what is recorded and when commands are timed. */
export const slowlogCommand = command({
  name: "slowlog", arity: -2, flags: [], summary: "A container for slow log commands", since: "2.2.12", complexity: "Depends on subcommand.",
  subcommands: [
    command({
      ...slowlogSpec, name: "slowlog|get", arity: -2, summary: "Get the slow log's entries", since: "2.2.12", complexity: "O(N) where N is the number of entries returned",
      handler(c, argv) {
        let count = 10;
        if (argv.length === 3) {
          const n = parseInt64(argv.bytes(2));
          if (n === undefined || n < -1) throw COUNT_RANGE;
          count = n === -1 ? Number.MAX_SAFE_INTEGER : n;
        } else if (argv.length > 3) {
          throw subcommandSyntax(argv.str(1), "slowlog");
        }
        const entries = c.server.slowlog.entries.slice(0, count);
        c.reply.array(entries.length);
        for (const e of entries) {
          c.reply.array(6);
          c.reply.integer(e.id);
          c.reply.integer(e.time);
          c.reply.integer(e.usec);
          c.reply.bulkStrings(e.args);
          c.reply.bulkString(e.addr);
          c.reply.bulkString(e.name);
        }
      },
    }),
    command({
      ...slowlogSpec, name: "slowlog|len", arity: 2, tips: ["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"],
      summary: "Get the slow log's length", since: "2.2.12",
      handler: (c) => c.reply.integer(c.server.slowlog.entries.length),
    }),
    command({
      ...slowlogSpec, name: "slowlog|reset", arity: 2, tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
      summary: "Clear all entries from the slow log", since: "2.2.12", complexity: "O(N) where N is the number of entries in the slowlog",
      handler(c) {
        c.server.slowlog.entries = [];
        c.reply.ok();
      },
    }),
    command({
      name: "slowlog|help", arity: 2, flags: ["loading", "stale"], summary: "Show helpful text about the different subcommands", since: "6.2.0",
      handler: (c) =>
        c.reply.helpLines([
          "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "GET [<count>]",
          "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
          "    Entries are made of:",
          "    id, timestamp, time in microseconds, arguments array, client IP and port,",
          "    client name",
          "LEN",
          "    Return the length of the slowlog.",
          "RESET",
          "    Reset the slowlog.",
          "HELP",
          "    Prints this help.",
        ]),
    }),
  ],
});

/**
 * DEBUG, guarded by `enable-debug-command` as in Redis 7 ("no" by default; "local" allows
 * loopback clients). The subcommands Redis's tooling and tests lean on: SLEEP (the whole
 * server sleeps, as Redis does), SET-ACTIVE-EXPIRE and CHANGE-REPL-ID.
 */
/** DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the dump and load it back, synchronously. */
function debugReload(c: Client, argv: Argv): void {
  let flush = true;
  let save = true;
  for (let i = 2; i < argv.length; i++) {
    const opt = argv.keyword(i);
    if (opt === "noflush") flush = false;
    else if (opt === "nosave") save = false;
    else if (opt !== "merge") throw DEBUG_RELOAD_OPTIONS;
  }
  const server = c.server;
  if (save && !server.persistence.save()) throw ERR_PLAIN;
  if (flush) server.keyspace.flushAll();
  let data: Uint8Array;
  try {
    data = readFileSync(server.rdbPath);
  } catch (e) {
    server.log.warning(`DEBUG RELOAD: ${(e as Error).message}`);
    throw DEBUG_RELOAD_FAILED;
  }
  try {
    loadRdb(data, server.keyspace, server.rdbPath);
  } catch (e) {
    server.log.warning(`DEBUG RELOAD: ${(e as Error).message}`);
    throw DEBUG_RELOAD_FAILED;
  }
  server.log.warning("DB reloaded by DEBUG RELOAD");
  c.reply.ok();
}

/** A stable pretend address for DEBUG OBJECT's "Value at". */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export const debugCommand = command({
  name: "debug", arity: -2, flags: ["admin", "noscript", "loading", "stale"], summary: "A container for debugging commands", since: "1.0.0",
  complexity: "Depends on subcommand.",
  handler(c, argv) {
    const allowed = c.server.config.get("enable-debug-command");
    if (allowed !== "yes" && !(allowed === "local" && /^127\.|^\[?::1\]?:/.test(c.addr))) throw DEBUG_NOT_ALLOWED;
    const sub = argv.keyword(1);
    if (sub === "sleep" && argv.length === 3) {
      const seconds = Number(argv.str(2));
      if (Number.isFinite(seconds) && seconds > 0) Bun.sleepSync(seconds * 1000);
      return c.reply.ok();
    }
    if (sub === "set-active-expire" && argv.length === 3) {
      c.server.keyspace.activeExpireEnabled = argv.str(2) !== "0";
      return c.reply.ok();
    }
    if (sub === "reload") return debugReload(c, argv);
    if (sub === "object" && argv.length === 3) {
      const key = argv.str(2);
      const value = c.db.dict.get(key);
      if (value === undefined) throw NO_SUCH_KEY;
      const encoding = encodingOf(value, c.db.rawStrings.has(key));
      // The body DUMP writes, without its type byte, RDB version and checksum: Redis's
      // rdbSavedObjectLen. Access times are not kept, so the LRU clock is now's.
      const serialized = dumpPayload(value, c.server.config.get("rdbcompression") === "yes").length - 11;
      const lru = Math.floor(Date.now() / 1000) & 0xffffff;
      return c.reply.simple(`Value at:0x7f${(0x10000000 + (hashKey(key) & 0xfffffff)).toString(16)} refcount:${refcountOf(value)} encoding:${encoding} serializedlength:${serialized} lru:${lru} lru_seconds_idle:0`);
    }
    if (sub === "change-repl-id" && argv.length === 2) {
      c.server.replication.changeReplid();
      return c.reply.ok();
    }
    if (sub === "help" && argv.length === 2) {
      return c.reply.helpLines([
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANGE-REPL-ID",
        "    Change the replication IDs of the instance.",
        "    Dangerous: should be used only for testing the replication subsystem.",
        "OBJECT <key>",
        "    Show low level info about the `key` and associated value.",
        "RELOAD [option ...]",
        "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
        "    * MERGE: Merge the content of the RDB file with the current data.",
        "    * NOFLUSH: Do not empty the current data before loading the RDB file.",
        "    * NOSAVE: Do not save the current data before loading the RDB file.",
        "    By default both the save and the flush are performed.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "HELP",
        "    Prints this help.",
      ]);
    }
    throw subcommandSyntax(argv.str(1), "debug");
  },
});

// --- ACL -------------------------------------------------------------------

const aclAdmin = { flags: ["admin", "noscript", "loading", "stale"] as CommandFlag[] };

/** Users, rules and checks live in server/acl.ts; this is their command surface. */
export const aclCommand = command({
  name: "acl", arity: -2, flags: ["sentinel"], summary: "A container for Access List Control commands ", since: "6.0.0", complexity: "Depends on subcommand.",
  subcommands: [
    command({
      ...aclAdmin, name: "acl|setuser", arity: -3, summary: "Modify or create the rules for a specific ACL user", since: "6.0.0",
      complexity: "O(N). Where N is the number of rules provided.",
      handler(c, argv) {
        const name = argv.str(2);
        if (hasSpaces(name)) throw ACL_USERNAME_SPACES;
        const rules = mergeSelectorArgs(argv.strs(3));
        if (typeof rules === "number") throw aclUnmatchedParenthesis(argv.str(rules + 3));
        const failed = c.server.acl.setUser(name, rules);
        if (failed !== undefined) throw aclSetuserError(failed.rule, failed.error.reason);
        c.reply.ok();
      },
    }),
    command({
      ...aclAdmin, name: "acl|deluser", arity: -3, summary: "Remove the specified ACL users and the associated rules", since: "6.0.0",
      complexity: "O(1) amortized time considering the typical user.",
      handler(c, argv) {
        const names = argv.strs(2);
        if (names.includes("default")) throw ACL_DELETE_DEFAULT;
        c.reply.integer(c.server.acl.deleteUsers(names));
      },
    }),
    command({
      ...aclAdmin, name: "acl|getuser", arity: 3, summary: "Get the rules for a specific ACL user", since: "6.0.0",
      complexity: "O(N). Where N is the number of password, command and pattern rules that the user has.",
      handler(c, argv) {
        const user = c.server.acl.users.get(argv.str(2));
        if (user === undefined) return c.reply.null();
        const r = c.reply;
        r.map(6);
        r.bulkString("flags");
        const flags = user.flagNames();
        r.set(flags.length);
        for (const f of flags) r.bulkString(f);
        r.bulkString("passwords");
        r.bulkStrings(user.passwords);
        writeSelector(r, user.root);
        r.bulkString("selectors");
        r.array(user.selectors.length - 1);
        for (const s of user.selectors.slice(1)) {
          r.map(3);
          writeSelector(r, s);
        }
      },
    }),
    command({
      ...aclAdmin, name: "acl|list", arity: 2, summary: "List the current ACL rules in ACL config file format", since: "6.0.0",
      complexity: "O(N). Where N is the number of configured users.",
      handler: (c) => c.reply.bulkStrings(c.server.acl.describeAll()),
    }),
    command({
      ...aclAdmin, name: "acl|users", arity: 2, summary: "List the username of all the configured ACL rules", since: "6.0.0",
      complexity: "O(N). Where N is the number of configured users.",
      handler: (c) => c.reply.bulkStrings(c.server.acl.sortedUsers().map((u) => u.name)),
    }),
    command({
      name: "acl|whoami", arity: 2, flags: ["noscript", "loading", "stale"], summary: "Return the name of the user associated to the current connection", since: "6.0.0",
      handler: (c) => c.reply.bulkString(c.user.name),
    }),
    command({
      name: "acl|cat", arity: -2, flags: ["noscript", "loading", "stale"], summary: "List the ACL categories or the commands inside a category", since: "6.0.0",
      complexity: "O(1) since the categories and commands are a fixed set.",
      handler(c, argv) {
        if (argv.length === 2) return c.reply.bulkStrings(CATEGORY_ORDER);
        if (argv.length > 3) throw subcommandSyntax(argv.str(1), "acl");
        const index = CATEGORY_ORDER.indexOf(argv.str(2).toLowerCase());
        if (index < 0) throw aclUnknownCategory(argv.str(2).slice(0, 128));
        c.reply.bulkStrings(everyCommand().filter((cmd) => cmd.categoryBits & (1 << index)).map((cmd) => cmd.name));
      },
    }),
    command({
      name: "acl|genpass", arity: -2, flags: ["noscript", "loading", "stale"], summary: "Generate a pseudorandom secure password to use for ACL users", since: "6.0.0",
      handler(c, argv) {
        if (argv.length > 3) throw subcommandSyntax(argv.str(1), "acl");
        const bits = argv.length === 3 ? argv.int(2) : 256;
        if (bits <= 0 || bits > 4096) throw ACL_GENPASS_BITS;
        const chars = Math.ceil(bits / 4);
        const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(chars / 2)));
        c.reply.bulkString(Buffer.from(bytes).toString("hex").slice(0, chars));
      },
    }),
    command({
      ...aclAdmin, name: "acl|log", arity: -2, summary: "List latest events denied because of ACLs in place", since: "6.0.0",
      complexity: "O(N) with N being the number of entries shown.",
      handler(c, argv) {
        if (argv.length > 3) throw subcommandSyntax(argv.str(1), "acl");
        const acl = c.server.acl;
        let count = 10;
        if (argv.length === 3) {
          if (argv.keyword(2) === "reset") {
            acl.log = [];
            return c.reply.ok();
          }
          count = Math.max(0, argv.int(2));
        }
        const entries = acl.log.slice(0, count);
        const now = Date.now();
        const r = c.reply;
        r.array(entries.length);
        for (const e of entries) {
          r.map(7);
          r.bulkString("count");
          r.integer(e.count);
          for (const [field, value] of [["reason", e.reason], ["context", e.context], ["object", e.object], ["username", e.username]] as const) {
            r.bulkString(field);
            r.bulkString(value);
          }
          r.bulkString("age-seconds");
          r.double((now - e.ctime) / 1000);
          r.bulkString("client-info");
          r.bulkString(e.clientInfo);
        }
      },
    }),
    command({
      ...aclAdmin, name: "acl|load", arity: 2, summary: "Reload the ACLs from the configured ACL file", since: "6.0.0",
      complexity: "O(N). Where N is the number of configured users.",
      handler(c) {
        const errors = c.server.acl.loadFile(aclFileOf(c.server));
        if (errors !== undefined) throw new ReplyError(`ERR ${errors}`);
        c.reply.ok();
      },
    }),
    command({
      ...aclAdmin, name: "acl|save", arity: 2, summary: "Save the current ACL rules in the configured ACL file", since: "6.0.0",
      complexity: "O(N). Where N is the number of configured users.",
      handler(c) {
        if (!c.server.acl.saveFile(aclFileOf(c.server))) throw ACL_SAVE_FAILED;
        c.reply.ok();
      },
    }),
    command({
      ...aclAdmin, name: "acl|dryrun", arity: -4,
      summary: "Returns whether the user can execute the given command without executing the command.", since: "7.0.0", complexity: "O(1).",
      handler(c, argv) {
        const user = c.server.acl.users.get(argv.str(2));
        if (user === undefined) throw aclDryrunNoUser(argv.str(2));
        const args = Argv.of(...argv.views(3));
        const cmd = lookupRequest(args);
        if (cmd === undefined) throw aclDryrunNoCommand(argv.str(3));
        if ((cmd.arity > 0 && args.length !== cmd.arity) || args.length < -cmd.arity) throw wrongArity(cmd.name);
        const { denied, pos } = user.check(cmd, args);
        if (denied === Denied.None) return c.reply.ok();
        const what = denied === Denied.Command ? `run the '${cmd.name}' command` : `access the '${args.str(pos)}' ${denied === Denied.Key ? "key" : "channel"}`;
        c.reply.bulkString(`This user has no permissions to ${what}`);
      },
    }),
    command({
      name: "acl|help", arity: 2, flags: ["loading", "stale"], summary: "Show helpful text about the different subcommands", since: "6.0.0",
      handler: (c) =>
        c.reply.helpLines([
          "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "CAT [<category>]", "    List all commands that belong to <category>, or all command categories", "    when no category is specified.",
          "DELUSER <username> [<username> ...]", "    Delete a list of users.",
          "DRYRUN <username> <command> [<arg> ...]", "    Returns whether the user can execute the given command without executing the command.",
          "GETUSER <username>", "    Get the user's details.",
          "GENPASS [<bits>]", "    Generate a secure 256-bit user password. The optional `bits` argument can", "    be used to specify a different size.",
          "LIST", "    Show users details in config file format.",
          "LOAD", "    Reload users from the ACL file.",
          "LOG [<count> | RESET]", "    Show the ACL log entries.",
          "SAVE", "    Save the current config to the ACL file.",
          "SETUSER <username> <attribute> [<attribute> ...]", "    Create or modify a user with the specified attributes.",
          "USERS", "    List all the registered usernames.",
          "WHOAMI", "    Return the current connection username.",
          "HELP", "    Prints this help.",
        ]),
    }),
  ],
});

/** The configured ACL file; LOAD and SAVE refuse to run without one. */
function aclFileOf(server: Server): string {
  const path = server.config.get("aclfile");
  if (path === "") throw ACL_NO_FILE;
  return path;
}

/** A selector's commands, keys and channels, as ACL GETUSER lists them. */
function writeSelector(r: ReplyWriter, s: Selector): void {
  r.bulkString("commands");
  r.bulkString(s.describeCommands());
  r.bulkString("keys");
  r.bulkString(s.describeKeys().join(" "));
  r.bulkString("channels");
  r.bulkString(s.describeChannels().join(" "));
}

/**
 * MEMORY STATS with Redis 7.0's fields. Allocation is the JavaScript heap plus external
 * buffers (INFO used_memory); there is no jemalloc, so its fragmentation ratios are the
 * process's resident set against that. The per-database overhead counts a dict entry per
 * key and a table pointer per slot, as Redis does.
 */
function memoryStats(c: Client): void {
  const server = c.server;
  const mem = process.memoryUsage();
  const used = mem.heapUsed + mem.external;
  const peak = server.peakMemory(used);
  const backlog = server.replication.backlogAllocated;
  let replicas = 0;
  let normal = 0;
  for (const other of server.clients.values()) {
    if (server.replication.replicas.has(other)) replicas += other.outputPending;
    else normal += other.outputPending;
  }
  const dbs: Array<[number, number, number]> = [];
  let keys = 0;
  for (const db of server.keyspace.dbs) {
    if (db.size === 0 && db.expires.size === 0) continue;
    const table = (n: number) => n * 24 + 8 * Math.max(4, 2 ** Math.ceil(Math.log2(Math.max(1, n))));
    dbs.push([db.id, table(db.size), db.expires.size === 0 ? 0 : table(db.expires.size)]);
    keys += db.size;
  }
  const startup = Math.min(server.startupMemory, used);
  const overhead = startup + backlog + replicas + normal + dbs.reduce((sum, [, main, expires]) => sum + main + expires, 0);
  const dataset = Math.max(0, used - overhead);
  const net = Math.max(1, used - startup);
  const r = c.reply;
  r.map(27 + dbs.length);
  const field = (name: string, value: number, double = false) => {
    r.bulkString(name);
    if (double) r.double(value);
    else r.integer(value);
  };
  field("peak.allocated", peak);
  field("total.allocated", used);
  field("startup.allocated", startup);
  field("replication.backlog", backlog);
  field("clients.slaves", replicas);
  field("clients.normal", normal);
  field("cluster.links", 0);
  field("aof.buffer", 0);
  field("lua.caches", 0);
  field("functions.caches", 0);
  for (const [id, main, expires] of dbs) {
    r.bulkString(`db.${id}`);
    r.map(3);
    field("overhead.hashtable.main", main);
    field("overhead.hashtable.expires", expires);
    field("overhead.hashtable.slot-to-keys", 0);
  }
  field("overhead.total", overhead);
  field("keys.count", keys);
  field("keys.bytes-per-key", keys === 0 ? 0 : Math.floor(net / keys));
  field("dataset.bytes", dataset);
  field("dataset.percentage", (dataset * 100) / net, true);
  field("peak.percentage", (used * 100) / peak, true);
  field("allocator.allocated", used);
  field("allocator.active", used);
  field("allocator.resident", mem.rss);
  field("allocator-fragmentation.ratio", 1, true);
  field("allocator-fragmentation.bytes", 0);
  field("allocator-rss.ratio", mem.rss / used, true);
  field("allocator-rss.bytes", mem.rss - used);
  field("rss-overhead.ratio", 1, true);
  field("rss-overhead.bytes", 0);
  field("fragmentation", mem.rss / used, true);
  field("fragmentation.bytes", mem.rss - used);
}

// --- LATENCY ---------------------------------------------------------------

const latencySpec = {
  flags: ["admin", "noscript", "loading", "stale"] as CommandFlag[],
  tips: ["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"],
};

/** The latency monitor: see server/latency.ts for what is sampled. */
export const latencyCommand = command({
  name: "latency", arity: -2, flags: [], summary: "A container for latency diagnostics commands", since: "2.8.13", complexity: "Depends on subcommand.",
  subcommands: [
    command({
      ...latencySpec, name: "latency|latest", arity: 2, summary: "Return the latest latency samples for all events.", since: "2.8.13",
      handler(c) {
        const events = c.server.latency.events;
        c.reply.array(events.size);
        for (const [event, series] of events) {
          const last = series.samples.at(-1)!;
          c.reply.array(4);
          c.reply.bulkString(event);
          c.reply.integer(last.time);
          c.reply.integer(last.latency);
          c.reply.integer(series.max);
        }
      },
    }),
    command({
      ...latencySpec, name: "latency|history", arity: 3, summary: "Return timestamp-latency samples for the event.", since: "2.8.13",
      handler(c, argv) {
        const samples = c.server.latency.events.get(argv.str(2))?.samples ?? [];
        c.reply.array(samples.length);
        for (const s of samples) {
          c.reply.array(2);
          c.reply.integer(s.time);
          c.reply.integer(s.latency);
        }
      },
    }),
    command({
      ...latencySpec, name: "latency|reset", arity: -2, tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
      summary: "Reset latency data for one or more events.", since: "2.8.13",
      handler: (c, argv) => c.reply.integer(c.server.latency.reset(argv.strs(2))),
    }),
    command({
      ...latencySpec, name: "latency|doctor", arity: 2, summary: "Return a human readable latency analysis report.", since: "2.8.13",
      handler: (c) => c.reply.verbatim(c.server.latency.doctor()),
    }),
    command({
      name: "latency|help", arity: 2, flags: ["loading", "stale"], summary: "Show helpful text about the different subcommands.", since: "2.8.13",
      handler: (c) =>
        c.reply.helpLines([
          "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "DOCTOR", "    Return a human readable latency analysis report.",
          "HISTORY <event>", "    Return time-latency samples for the <event> class.",
          "LATEST", "    Return the latest latency samples for all events.",
          "RESET [<event> ...]", "    Reset latency data of one or more <event> classes.", "    (default: reset all data for all event classes)",
          "HELP", "    Prints this help.",
        ]),
    }),
  ],
});
