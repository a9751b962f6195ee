/**
 * Introspection (Redis keeps these beside their subsystems: COMMAND in server.c, MEMORY in
 * object.c, SLOWLOG in slowlog.c, LATENCY in latency.c, MONITOR in replication.c): COMMAND
 * describes the one command table; MEMORY, SLOWLOG, LATENCY and MONITOR show what the
 * server measured or is doing.
 */
import { Argv } from "../resp/argv.ts";
import { COUNT_RANGE, latencyNoSamples, GETKEYS_BAD_ARGS, GETKEYS_BAD_ARITY, GETKEYS_INVALID_COMMAND, GETKEYS_NO_KEYS, SYNTAX_ERR, subcommandSyntax } from "../errors.ts";
import { bytesToString, globMatch, parseInt64 } from "../resp/bytes.ts";
import type { ReplyWriter } from "../resp/writer.ts";
import { memoryUsage } from "../store/memory-usage.ts";
import { docField, docFlagSet, writeArguments } from "./arguments.ts";
import { Command, type CommandFlag, FLAG_ORDER, type FullKeySpec, categoriesOf, command } from "./command.ts";
import type { Context, StatField } from "./context.ts";

export const monitorCommand = command({
  name: "monitor", arity: 1, flags: ["admin", "noscript", "loading", "stale"], categories: [],
  summary: "Listen for all requests received by the server in real time", since: "1.0.0", complexity: "",
  handler(c) {
    // A replica's link cannot become a monitor; Redis ignores the request there too.
    if (c.replica !== undefined) return;
    c.server.monitors.add(c);
    c.reply.ok();
  },
});

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
function getKeysGeneric(c: Context, argv: Argv, withFlags: boolean): void {
  const args = Argv.of(...argv.views(2));
  const cmd = c.server.commands.lookup(args);
  if (cmd === undefined) throw GETKEYS_INVALID_COMMAND;
  if (!cmd.hasKeys) throw GETKEYS_NO_KEYS;
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
  const { history, docFlags, deprecatedSince, replacedBy } = cmd.docs;
  const args = cmd.arguments;
  const optional = [cmd.complexity !== "", docFlags, deprecatedSince, replacedBy, history, args.length > 0, subs.length > 0];
  r.map(3 + optional.filter((field) => field !== undefined && field !== false).length);
  docField(r, "summary", cmd.summary);
  docField(r, "since", cmd.since);
  docField(r, "group", cmd.group);
  docField(r, "complexity", cmd.complexity || undefined);
  docFlagSet(r, "doc_flags", docFlags);
  docField(r, "deprecated_since", deprecatedSince);
  docField(r, "replaced_by", replacedBy);
  if (history) {
    r.bulkString("history");
    r.set(history.length);
    for (const entry of history) r.bulkStrings(entry);
  }
  if (args.length > 0) {
    r.bulkString("arguments");
    writeArguments(r, args);
  }
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
    const all = c.server.commands.all();
    c.reply.array(all.length);
    for (const cmd of all) writeCommandInfo(c.reply, cmd);
  },
  subcommands: [
    command({
      name: "command|count", arity: 2, flags: ["loading", "stale"], categories: ["connection"],
      summary: "Get total number of Redis commands", since: "2.8.13",
      handler: (c) => c.reply.integer(c.server.commands.all().length),
    }),
    command({
      name: "command|list", tips: ["nondeterministic_output_order"], arity: -2, flags: ["loading", "stale"], categories: ["connection"],
      args: "FILTERBY=filterby(MODULE=module-name:string|ACLCAT=category:string|PATTERN=pattern:pattern)?",
      summary: "Get an array of Redis command names", since: "7.0.0", complexity: "O(N) where N is the total number of Redis commands",
      handler(c, argv) {
        // FILTERBY MODULE <name> (KVIS has no modules) | ACLCAT <category> | PATTERN <glob on the full name>.
        let keep = (_: Command) => true;
        if (argv.length === 5 && argv.keyword(2) === "filterby") {
          const by = argv.keyword(3);
          const what = argv.str(4);
          if (by === "module") keep = () => false;
          else if (by === "aclcat") keep = (cmd) => categoriesOf(cmd).includes(what.toLowerCase());
          else if (by === "pattern") keep = (cmd) => globMatch(what, cmd.name, true);
          else throw SYNTAX_ERR;
        } else if (argv.length !== 2) {
          throw SYNTAX_ERR;
        }
        const names: string[] = [];
        for (const cmd of c.server.commands.all()) {
          for (const each of [cmd, ...(cmd.subcommands?.values() ?? [])]) if (keep(each)) names.push(each.name);
        }
        c.reply.bulkStrings(names);
      },
    }),
    command({
      name: "command|info", tips: ["nondeterministic_output_order"], arity: -2, flags: ["loading", "stale"], categories: ["connection"],
      history: [["7.0.0", "Allowed to be called with no argument to get info on all commands."]],
      args: "command-name:string?...",
      summary: "Get array of specific Redis command details, or all when no argument is given.", since: "2.8.13",
      complexity: "O(N) where N is the number of commands to look up",
      handler(c, argv) {
        const targets = argv.length === 2 ? c.server.commands.all() : argv.views(2).map((a) => c.server.commands.find(bytesToString(a)));
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
      args: "command-name:string?...",
      summary: "Get array of specific Redis command documentation", since: "7.0.0",
      complexity: "O(N) where N is the number of commands to look up",
      handler(c, argv) {
        const targets =
          argv.length === 2
            ? c.server.commands.all()
            : argv.views(2).map((a) => c.server.commands.find(bytesToString(a))).filter((x): x is Command => x !== undefined);
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
          "GETKEYS <full-command>", "    Return the keys from a full Redis command.",
          "GETKEYSANDFLAGS <full-command>", "    Return the keys and the access flags from a full Redis command.",
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
      args: "key:key#0 SAMPLES=count:integer?",
      summary: "Estimate the memory usage of a key", since: "4.0.0", complexity: "O(N) where N is the number of samples.",
      handler(c, argv) {
        // SAMPLES: how many elements an aggregate is costed from (5 by default, 0 for all).
        let samples = 5;
        for (let i = 3; i < argv.length; i += 2) {
          if (argv.keyword(i) !== "samples" || i + 1 >= argv.length) throw SYNTAX_ERR;
          samples = argv.int(i + 1);
          if (samples < 0) throw SYNTAX_ERR;
        }
        // Redis finds the key in the dict itself: no expiry, no hit or miss counted.
        const key = argv.str(2);
        const value = c.db.peek(key);
        if (value === undefined) return c.reply.null();
        c.reply.integer(memoryUsage(key, value, c.db.encodingOf(key), samples));
      },
    }),
    command({
      name: "memory|stats", arity: 2, flags: [], tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
      summary: "Show memory usage details", since: "4.0.0",
      handler: (c) => writeStats(c.reply, c.server.memoryStats()),
    }),
    command({
      name: "memory|purge", arity: 2, flags: [], tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
      summary: "Ask the allocator to release memory", since: "4.0.0", complexity: "Depends on how much memory is allocated, could be slow",
      handler(c) {
        // The cells' classes give back every chunk they hold mostly unused (the cron does
        // it a step a tick once the server is quiet); then a full collection frees them, and
        // Bun's shrink (undocumented; it gives the runtime's spare heap back), twice: the
        // second collection frees what the first one's shrink let go.
        c.server.keyspace.compactAllCells();
        const shrink = (Bun as unknown as { shrink?: () => void }).shrink;
        for (let i = 0; i < 2; i++) {
          Bun.gc(true);
          shrink?.();
        }
        c.reply.ok();
      },
    }),
    command({
      name: "memory|doctor", arity: 2, flags: [], tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
      summary: "Outputs memory problems report", since: "4.0.0",
      handler(c) {
        const server = c.server;
        c.reply.verbatim(memoryDoctor(server.memoryStats(), server.scripting.scriptCount, server.replication.replicaList().length, server.clientList().length));
      },
    }),
    command({
      name: "memory|malloc-stats", arity: 2, flags: [], tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
      summary: "Show allocator internal stats", since: "4.0.0", complexity: "Depends on how much memory is allocated, could be slow",
      // What Redis answers when it is built without jemalloc: KVIS's allocator is the JS runtime's.
      handler: (c) => c.reply.verbatim("Stats not supported for the current allocator"),
    }),
    command({
      name: "memory|help", arity: 2, flags: ["loading", "stale"],
      summary: "Show helpful text about the different subcommands", since: "4.0.0",
      handler: (c) =>
        c.reply.helpLines([
          "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "DOCTOR", "    Return memory problems reports.",
          "MALLOC-STATS", "    Return internal statistics report from the memory allocator.",
          "PURGE", "    Attempt to purge dirty pages for reclamation by the allocator.",
          "STATS", "    Return information about the memory usage of the server.",
          "USAGE <key> [SAMPLES <count>]",
          "    Return memory in bytes used by <key> and its value. Nested values are",
          "    sampled up to <count> times (default: 5, 0 means sample all).",
          "HELP", "    Prints this help.",
        ]),
    }),
  ],
});

/**
 * MEMORY DOCTOR: Redis's report (object.c getMemoryDoctorReport), from the figures MEMORY
 * STATS gives, with Redis's thresholds. KVIS's resident set includes the JS runtime, so on
 * a small dataset the RSS overheads are reported, as the figures show them.
 */
export function memoryDoctor(stats: StatField[], scripts: number, replicas: number, clients: number): string {
  const v = (name: string) => {
    const field = stats.find((f) => f[0] === name);
    return field !== undefined && field.length === 3 ? field[1] : 0;
  };
  const total = v("total.allocated");
  if (total < 5 * 1024 * 1024) {
    return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
  }
  const MB10 = 10 << 20;
  const reports: string[] = [];
  if (v("peak.allocated") / total > 1.5) reports.push(DOCTOR.peak);
  if (v("fragmentation") > 1.4 && v("fragmentation.bytes") > MB10) reports.push(DOCTOR.frag);
  if (v("allocator-fragmentation.ratio") > 1.1 && v("allocator-fragmentation.bytes") > MB10) reports.push(DOCTOR.allocFrag);
  if (v("allocator-rss.ratio") > 1.1 && v("allocator-rss.bytes") > MB10) reports.push(DOCTOR.allocRss);
  if (v("rss-overhead.ratio") > 1.1 && v("rss-overhead.bytes") > MB10) reports.push(DOCTOR.procRss);
  if (replicas > 0 && v("clients.slaves") > MB10) reports.push(DOCTOR.replicaBuffers);
  if (v("clients.normal") / Math.max(1, clients - replicas) > 1024 * 200) reports.push(DOCTOR.clientBuffers);
  if (scripts > 1000) reports.push(DOCTOR.scripts);
  if (reports.length === 0) return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
  return `Sam, I detected a few issues in this Redis instance memory implants:\n\n${reports.map((r) => ` * ${r}\n\n`).join("")}I'm here to keep you safe, Sam. I want to help you.\n`;
}

/** MEMORY DOCTOR's findings, in Redis's words (the allocator named as INFO's mem_allocator names it). */
const DOCTOR = {
  peak: "Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.",
  frag: `High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is "bun-${Bun.version}".`,
  allocFrag: "High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.",
  allocRss: "High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.",
  procRss: "High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.",
  replicaBuffers: "Big replica buffers: The replica output buffers in this instance are greater than 10MB for each replica (on average). This likely means that there is some replica instance that is struggling receiving data, either because it is too slow or because of networking issues. As a result, data piles on the master output buffers. Please try to identify what replica is not receiving data correctly and why. You can use the INFO output in order to check the replicas delays and the CLIENT LIST command to check the output buffers of each replica.",
  clientBuffers: "Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.",
  scripts: "Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory.",
};

/** MEMORY STATS's fields as a map, nested where a field holds fields. */
function writeStats(r: ReplyWriter, fields: StatField[]): void {
  r.map(fields.length);
  for (const field of fields) {
    r.bulkString(field[0]);
    if (field.length === 2) writeStats(r, field[1]);
    else if (field[2] === "double") r.double(field[1]);
    else r.integer(field[1]);
  }
}

const slowlogSpec = { flags: ["admin", "loading", "stale"] as CommandFlag[], tips: ["request_policy:all_nodes", "nondeterministic_output"] };

/** SLOWLOG: see server/slowlog.ts for what is recorded and when commands are timed. */
export const slowlogCommand = command({
  name: "slowlog", arity: -2, flags: [], summary: "A container for slow log commands", since: "2.2.12", complexity: "Depends on subcommand.",
  subcommands: [
    command({
      ...slowlogSpec, name: "slowlog|get", arity: -2, summary: "Get the slow log's entries", since: "2.2.12", complexity: "O(N) where N is the number of entries returned",
      history: [["4.0.0", "Added client IP address, port and name to the reply."]],
      args: "count:integer?",
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
      args: "event:string",
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
      args: "event:string?...",
      summary: "Reset latency data for one or more events.", since: "2.8.13",
      handler: (c, argv) => c.reply.integer(c.server.latency.reset(argv.strs(2))),
    }),
    command({
      ...latencySpec, name: "latency|doctor", arity: 2, summary: "Return a human readable latency analysis report.", since: "2.8.13",
      handler: (c) => c.reply.verbatim(c.server.latency.doctor()),
    }),
    command({
      ...latencySpec, name: "latency|graph", arity: 3, summary: "Return a latency graph for the event.", since: "2.8.13",
      args: "event:string",
      handler(c, argv) {
        const graph = c.server.latency.graph(argv.str(2), Math.floor(Date.now() / 1000));
        if (graph === undefined) throw latencyNoSamples(argv.str(2));
        c.reply.verbatim(graph);
      },
    }),
    command({
      ...latencySpec, name: "latency|histogram", arity: -2,
      args: "command:string?...",
      summary: "Return the cumulative distribution of latencies of a subset of commands or all.", since: "7.0.0",
      complexity: "O(N) where N is the number of commands with latency information being retrieved.",
      handler(c, argv) {
        // Every command with calls, or those named (unknown names are skipped) and their subcommands.
        const named = argv.length === 2 ? c.server.commands.all() : argv.strs(2).map((n) => c.server.commands.find(n)).filter((cmd) => cmd !== undefined);
        const shown = named.flatMap((cmd) => [cmd, ...(cmd.subcommands?.values() ?? [])]).filter((cmd) => cmd.latencyBuckets !== undefined);
        c.reply.map(shown.length);
        for (const cmd of shown) {
          const { calls, cdf } = c.server.latency.histogram(cmd.latencyBuckets!);
          c.reply.bulkString(cmd.name);
          c.reply.map(2);
          c.reply.bulkString("calls");
          c.reply.integer(calls);
          c.reply.bulkString("histogram_usec");
          c.reply.map(cdf.length);
          for (const [usec, count] of cdf) {
            c.reply.integer(usec);
            c.reply.integer(count);
          }
        }
      },
    }),
    command({
      name: "latency|help", arity: 2, flags: ["loading", "stale"], summary: "Show helpful text about the different subcommands.", since: "2.8.13",
      handler: (c) =>
        c.reply.helpLines([
          "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "DOCTOR", "    Return a human readable latency analysis report.",
          "GRAPH <event>", "    Return an ASCII latency graph for the <event> class.",
          "HISTORY <event>", "    Return time-latency samples for the <event> class.",
          "LATEST", "    Return the latest latency samples for all events.",
          "RESET [<event> ...]", "    Reset latency data of one or more <event> classes.", "    (default: reset all data for all event classes)",
          "HISTOGRAM [COMMAND ...]",
          "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
          "    If no commands are specified then all histograms are replied.",
          "HELP", "    Prints this help.",
        ]),
    }),
  ],
});
