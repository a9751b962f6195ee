/**
 * DEBUG, guarded by `enable-debug-command` as in Redis 7 ("no" by default; "local" allows
 * loopback clients), with the subcommands Redis's tooling and tests lean on (debug.c):
 * SLEEP (the whole server sleeps, as Redis does), SET-ACTIVE-EXPIRE, OBJECT, RELOAD,
 * LOADAOF, DIGEST, DIGEST-VALUE, PROTOCOL, CHANGE-REPL-ID, POPULATE, PAUSE-CRON, ERROR,
 * LOG, STRUCTSIZE, STRINGMATCH-TEST, SET-SKIP-CHECKSUM-VALIDATION and CONFIG-REWRITE-FORCE-ALL. Those about Redis's
 * own allocations and crash handling (SDSLEN, HTSTATS, LISTPACK, QUICKLIST, MALLCTL, LEAK,
 * SEGFAULT, PANIC, ...) have nothing to show here and are unknown subcommands.
 */
import type { Argv } from "../resp/argv.ts";
import { parseMemory } from "../config.ts";
import { DEBUG_CLUSTER_ONLY, DEBUG_RESTART_FAILED, MUST_BE_POSITIVE, NOT_INTEGER, clusterUnknownNode, debugRewriteFailed, debugUnknownDirection } from "../errors.ts";
import { globMatch, parseInt64, repr } from "../resp/bytes.ts";
import { DEBUG_CLIENT_EVICTION_OFF, DEBUG_DB_RANGE, DEBUG_NOT_HASH_TABLE, DEBUG_NOT_LISTPACK, DEBUG_NOT_QUICKLIST, DEBUG_NOT_SDS } from "../errors.ts";
import { DEBUG_PACKED_THRESHOLD, DEBUG_PROTOCOL_RESP2, DEBUG_PROTOCOL_TYPE, DEBUG_RELOAD_OPTIONS, LOADING, NO_SUCH_KEY, subcommandSyntax } from "../errors.ts";
import { datasetDigest, valueDigest } from "../store/digest.ts";
import { dumpPayload } from "../persistence/rdb-writer.ts";
import { lruClock } from "../store/access.ts";
import { ListValue } from "../store/list.ts";
import { HashValue } from "../store/hash.ts";
import { SetValue } from "../store/set.ts";
import { SortedSet } from "../store/sorted-set.ts";
import { KeyTable, type TableStats } from "../store/table.ts";
import type { StoredValue } from "../store/value.ts";
import { command } from "./command.ts";
import type { Context } from "./context.ts";
import { refcountOf } from "./generic.ts";
import { rewriteConfigFile } from "./config.ts";
import { clientInfoLine } from "./connection.ts";
import { KVIS_VERSION } from "../version.ts";

/** DEBUG LOADAOF: flush the AOF buffer and replay the AOF (server/aof.ts), which answers. */
function debugLoadAof(c: Context): void {
  // One load at a time: DEBUG may run while the dataset loads.
  if (c.server.loadingDataset) throw LOADING;
  c.server.aof.reload(c);
}

/** DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the dump and load it back (server/persistence.ts), which answers. */
function debugReload(c: Context, argv: Argv): void {
  let flush = true;
  let save = true;
  let merge = false;
  for (let i = 2; i < argv.length; i++) {
    const opt = argv.keyword(i);
    if (opt === "noflush") flush = false;
    else if (opt === "nosave") save = false;
    else if (opt === "merge") merge = true;
    else throw DEBUG_RELOAD_OPTIONS;
  }
  // One load at a time: DEBUG may run while the dataset loads.
  if (c.server.loadingDataset) throw LOADING;
  c.server.persistence.reload(c, flush, save, merge);
}

/**
 * DEBUG PROTOCOL <type>: a sample reply of each RESP type, for client libraries' tests. The
 * attribute and the push are followed by an ordinary reply, as in Redis.
 */
function debugProtocol(c: Context, type: string): void {
  const r = c.reply;
  switch (type) {
    case "string":
      return r.bulkString("Hello World");
    case "integer":
      return r.integer(12345);
    case "double":
      return r.double(3.141);
    case "bignum":
      return r.bigNumber("1234567999999999999999999999999999999");
    case "null":
      return r.null();
    case "array":
    case "set":
      if (type === "array") r.array(3);
      else r.set(3);
      for (let i = 0; i < 3; i++) r.integer(i);
      return;
    case "map":
      r.map(3);
      for (let i = 0; i < 3; i++) {
        r.integer(i);
        r.boolean(i === 1);
      }
      return;
    case "attrib":
      if (c.resp === 3) {
        r.attribute(1);
        r.bulkString("key-popularity");
        r.array(2);
        r.bulkString("key:123");
        r.integer(90);
      }
      return r.bulkString("Some real reply following the attribute");
    case "push":
      if (c.resp !== 3) throw DEBUG_PROTOCOL_RESP2;
      r.push(2);
      r.bulkString("server-cpu-usage");
      r.integer(42);
      return r.bulkString("Some real reply following the push reply");
    case "verbatim":
      return r.verbatim("This is a verbatim\nstring");
    case "true":
    case "false":
      return r.boolean(type === "true");
  }
  throw DEBUG_PROTOCOL_TYPE;
}

/**
 * DEBUG POPULATE count [prefix] [size]: `prefix:N` keys (default "key") holding "value:N",
 * cut or padded with zero bytes to `size`; keys that exist are left alone. As in Redis the
 * keys are not replicated and count as no change for the save points.
 */
function debugPopulate(c: Context, argv: Argv): void {
  // Redis's getPositiveLongFromObjectOrReply: one error for anything but a count >= 0.
  const positive = (i: number) => {
    const n = parseInt64(argv.bytes(i));
    if (n === undefined || n < 0) throw MUST_BE_POSITIVE;
    return n;
  };
  const count = positive(2);
  const size = argv.length === 5 ? positive(4) : 0;
  const prefix = argv.length >= 4 ? argv.str(3) : "key";
  const keyspace = c.server.keyspace;
  const dirty = keyspace.dirty;
  for (let j = 0; j < count; j++) {
    const key = `${prefix}:${j}`;
    if (c.db.lookupKeyWrite(key) !== undefined) continue;
    const value = `value:${j}`;
    c.db.setKey(key, size === 0 ? value : value.slice(0, size).padEnd(size, "\0"));
  }
  keyspace.dirty = dirty;
  c.reply.ok();
}

/** DEBUG STRINGMATCH-TEST: random patterns against random subjects, as Redis's fuzzer; it must not hang or throw. */
function stringmatchFuzz(): void {
  const alphabet = "*?[]^-\\abc";
  const random = (n: number) => Array.from({ length: Math.floor(Math.random() * n) }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join("");
  for (let i = 0; i < 10_000; i++) globMatch(random(32), random(32), i % 2 === 1);
}

/** A stable pretend address for DEBUG OBJECT's "Value at". */
function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A table's figures in the lines of Redis's dictGetStats, with chains counted by home slot
 * (KeyTable.stats), then what open addressing adds: tombstones and probe lengths.
 */
function tableStatsText(s: TableStats): string {
  if (s.size === 0) return "Hash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n";
  const VECTOR = 50;
  const vector = new Array<number>(VECTOR).fill(0);
  let used = 0;
  let longest = 0;
  let total = 0;
  for (const chain of s.chains) {
    vector[Math.min(chain, VECTOR - 1)]!++;
    if (chain === 0) continue;
    used++;
    total += chain;
    if (chain > longest) longest = chain;
  }
  const lines = [
    "Hash table 0 stats (main hash table):",
    ` table size: ${s.capacity}`,
    ` number of elements: ${s.size}`,
    ` different slots: ${used}`,
    ` max chain length: ${longest}`,
    ` avg chain length (counted): ${(total / used).toFixed(2)}`,
    ` avg chain length (computed): ${(s.size / used).toFixed(2)}`,
    ` deleted slots: ${s.tombstones}`,
    ` max probe length: ${s.maxProbe}`,
    ` avg probe length: ${(s.probes / s.size).toFixed(2)}`,
    " Chain length distribution:",
  ];
  for (let i = 0; i < VECTOR; i++) if (vector[i] !== 0) lines.push(`   ${i}: ${vector[i]} (${((vector[i]! / s.capacity) * 100).toFixed(2)}%)`);
  return `${lines.join("\n")}\n`;
}

/** The table a hash, set or sorted set in its hashtable (or skiplist) encoding keeps its members in. */
function memberTable(value: StoredValue | undefined): KeyTable | undefined {
  const table = value instanceof HashValue || value instanceof SetValue || value instanceof SortedSet ? value.scanTarget : undefined;
  return table instanceof KeyTable ? table : undefined;
}

/**
 * DEBUG LISTPACK's lines for a small hash or sorted set, which Redis keeps in a listpack:
 * its entries in order, as lpRepr ends each entry ([str] or [int]). KVIS's packed form is
 * not a listpack, so the entries are what is shown, not Redis's bytes.
 */
function listpackText(value: HashValue | SortedSet): string {
  const entries: Array<string | number> = [];
  if (value instanceof HashValue) for (const [f, v] of value.entries()) entries.push(f, v);
  else {
    const [members, scores] = value.pairArrays();
    members.forEach((m, i) => entries.push(m, scores[i]!));
  }
  const lines = [`{num entries ${entries.length}}`];
  for (const e of entries) lines.push(typeof e === "number" && Number.isInteger(e) ? `[int]${e}` : `[str]${e}`);
  lines.push("{end}");
  return `${lines.join("\n")}\n`;
}

/** DEBUG LEAK's strings, never let go. */
const leaked: string[] = [];

/**
 * DEBUG SEGFAULT, PANIC, ASSERT and OOM: the crash Redis makes, for what watches the
 * server (a supervisor, a crash test), then the process dies by the signal Redis's does
 * (SIGSEGV, or SIGABRT for the others), leaving its files as they are. Before that, the log
 * gets Redis's bug report: its start, the cause in Redis's words, its end, and between them
 * the stack, INFO and the clients. With crash-log-enabled no, as in Redis (checked with
 * redis-server 7.0): SEGFAULT leaves no report (no crash handler is installed), the others
 * only its start, cause and end.
 */
function crash(c: Context, argv: Argv, kind: "segfault" | "panic" | "assert" | "oom"): never {
  const server = c.server;
  const log = server.log;
  const full = server.config.get("crash-log-enabled") === "yes";
  if (full || kind !== "segfault") {
    const lines: string[] = [];
    const panic = (why: string) => lines.push("------------------------------------------------", "!!! Software Failure. Press left mouse button to continue", `Guru Meditation: ${why} #debug.ts`);
    // Redis asks its allocator for LONG_MAX bytes.
    const huge = "9223372036854775807";
    if (kind === "oom") log.warning(`Out Of Memory allocating ${huge} bytes!`);
    log.raw("warning", "\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===\n");
    if (kind === "segfault") lines.push(`KVIS ${KVIS_VERSION} crashed by signal: 11, si_code: 0`);
    else if (kind === "panic") panic(`DEBUG PANIC called at Unix time ${Math.floor(Date.now() / 1000)}`);
    else if (kind === "oom") panic(`Redis aborting for OUT OF MEMORY. Allocating ${huge} bytes!`);
    else {
      lines.push("=== ASSERTION FAILED CLIENT CONTEXT ===", `client->argc = ${argv.length}`);
      for (let i = 0; i < argv.length; i++) lines.push(`client->argv[${i}] = "${argv.str(i)}" (refcount: 1)`);
      lines.push("=== ASSERTION FAILED ===", "==> debug.ts '1 == 2' is not true");
    }
    for (const line of lines) log.warning(line);
    if (full) {
      log.raw("warning", `\n------ STACK TRACE ------\n${(new Error().stack ?? "").split("\n").slice(1).join("\n")}\n`);
      log.raw("warning", `\n------ INFO OUTPUT ------\n${server.info(["all"]).replace(/\r\n/g, "\n")}`);
      const now = Date.now();
      log.raw("warning", `\n------ CLIENT LIST OUTPUT ------\n${server.clientList().map((other) => clientInfoLine(other, now)).join("\n")}\n`);
      log.raw("warning", `\n------ CURRENT CLIENT INFO ------\n${clientInfoLine(c, now)}\n`);
    }
    log.raw("warning", "\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n");
  }
  if (kind === "segfault") process.kill(process.pid, "SIGSEGV");
  process.abort();
}

export const debugCommand = command({
  name: "debug", arity: -2, flags: ["admin", "noscript", "loading", "stale"], summary: "A container for debugging commands", since: "1.0.0",
  docFlags: ["syscmd"],
  complexity: "Depends on subcommand.", protectedBy: "enable-debug-command",
  handler(c, argv) {
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
    if (sub === "pause-cron" && argv.length === 3) {
      c.server.cronPaused = argv.str(2) !== "0";
      return c.reply.ok();
    }
    if (sub === "set-disable-deny-scripts" && argv.length === 3) {
      c.server.scripting.allowNoscript = argv.str(2) !== "0";
      return c.reply.ok();
    }
    if ((sub === "segfault" || sub === "panic" || sub === "assert" || sub === "oom") && argv.length === 2) crash(c, argv, sub);
    if (sub === "leak" && argv.length === 3) {
      leaked.push(argv.str(2));
      return c.reply.ok();
    }
    if (sub === "replicate" && argv.length >= 3) {
      c.server.propagation.toReplicasOnly(c.db.id, argv.views(2));
      return c.reply.ok();
    }
    if (sub === "aof-flush-sleep" && argv.length === 3) {
      // Redis reads it with atoi: a leading integer, else 0.
      c.server.aof.flushSleepUs = Math.max(0, Number.parseInt(argv.str(2), 10) || 0);
      return c.reply.ok();
    }
    if (sub === "drop-cluster-packet-filter" && argv.length === 3) {
      const type = parseInt64(argv.bytes(2));
      if (type === undefined) throw NOT_INTEGER;
      if (c.server.cluster !== undefined) c.server.cluster.dropPacketFilter = type;
      return c.reply.ok();
    }
    if (sub === "restart" || sub === "crash-and-recover") {
      let delay = 0;
      if (argv.length >= 3) {
        const n = parseInt64(argv.bytes(2));
        if (n === undefined) throw NOT_INTEGER;
        delay = Math.max(0, n);
      }
      c.server.restart(sub === "restart", delay, () => rewriteConfigFile(c, false));
      throw DEBUG_RESTART_FAILED;
    }
    if (sub === "reload") return debugReload(c, argv);
    if (sub === "loadaof") return debugLoadAof(c);
    if (sub === "object" && argv.length === 3) {
      const key = argv.str(2);
      const value = c.db.peek(key);
      if (value === undefined) throw NO_SUCH_KEY;
      const encoding = c.db.encodingOf(key);
      // The body DUMP writes, without its type byte, RDB version and checksum: Redis's
      // rdbSavedObjectLen. The access word is shown as Redis shows robj.lru (24 bits), and the
      // idle time read from it as an LRU clock whatever the policy, as Redis reads it.
      const serialized = dumpPayload(value, c.server.config.get("rdbcompression") === "yes").length - 11;
      const word = c.db.accessOf(key) ?? lruClock();
      const idle = Math.max(0, lruClock() - word);
      let extra = "";
      if (value instanceof ListValue) {
        const ql = value.layout;
        extra = ` ql_nodes:${ql.nodes} ql_avg_node:${(value.length / ql.nodes).toFixed(2)} ql_listpack_max:${ql.fill} ql_compressed:${ql.compressed ? 1 : 0} ql_uncompressed_size:${ql.rawBytes}`;
      }
      return c.reply.simple(`Value at:0x7f${(0x10000000 + (hashKey(key) & 0xfffffff)).toString(16)} refcount:${c.db.sharesInteger(key) ? refcountOf(c, value) : 1} encoding:${encoding} serializedlength:${serialized} lru:${word & 0xffffff} lru_seconds_idle:${idle}${extra}`);
    }
    if (sub === "htstats" && argv.length === 3) {
      const id = parseInt64(argv.bytes(2));
      if (id === undefined) throw NOT_INTEGER;
      const db = c.server.keyspace.dbs[Number(id)];
      if (db === undefined) throw DEBUG_DB_RANGE;
      return c.reply.verbatim(`[Dictionary HT]\n${tableStatsText(db.tableStats(false))}[Expires HT]\n${tableStatsText(db.tableStats(true))}`);
    }
    if (sub === "htstats-key" && argv.length === 3) {
      if (!c.db.findForRead(argv.str(2), false)) throw NO_SUCH_KEY;
      const table = memberTable(c.db.peek(argv.str(2)));
      if (table === undefined) throw DEBUG_NOT_HASH_TABLE;
      return c.reply.verbatim(tableStatsText(table.stats(false)));
    }
    if (sub === "sdslen" && argv.length === 3) {
      const key = argv.str(2);
      if (!c.db.has(key)) throw NO_SUCH_KEY;
      const cell = c.db.stringCell(key);
      if (cell === undefined) throw DEBUG_NOT_SDS;
      // Key and value share one cell: the key's part is its bytes and the cell's 8-byte
      // header; the value's is the rest, and its room to grow in place is the "avail".
      const keyPart = 8 + cell.keyLength;
      const valuePart = cell.cellBytes - keyPart;
      return c.reply.simple(
        `key_sds_len:${cell.keyLength}, key_sds_avail:0, key_zmalloc: ${keyPart}, ` +
          `val_sds_len:${cell.valueLength}, val_sds_avail:${valuePart - cell.valueLength}, val_zmalloc: ${valuePart}`,
      );
    }
    if (sub === "listpack" && argv.length === 3) {
      if (!c.db.findForRead(argv.str(2), false)) throw NO_SUCH_KEY;
      const value = c.db.peek(argv.str(2));
      if (!(value instanceof HashValue || value instanceof SortedSet) || value.encoding !== "listpack") throw DEBUG_NOT_LISTPACK;
      process.stdout.write(listpackText(value));
      return c.reply.simple("Listpack structure printed on stdout");
    }
    if (sub === "quicklist" && (argv.length === 3 || argv.length === 4)) {
      if (!c.db.findForRead(argv.str(2), false)) throw NO_SUCH_KEY;
      const value = c.db.peek(argv.str(2));
      if (!(value instanceof ListValue)) throw DEBUG_NOT_QUICKLIST;
      // Redis reads the flag with atoi: a leading integer, else 0.
      const full = argv.length === 4 && (Number.parseInt(argv.str(3), 10) || 0) !== 0;
      process.stdout.write(value.repr(full, (element) => repr(Buffer.from(element, "latin1"))));
      return c.reply.simple("Quicklist structure printed on stdout");
    }
    if (sub === "client-eviction" && argv.length === 2) {
      const report = c.server.clientEvictionReport(c.id);
      if (report === undefined) throw DEBUG_CLIENT_EVICTION_OFF;
      return c.reply.verbatim(report);
    }
    if (sub === "replybuffer" && argv.length === 4) {
      // Redis's clients keep a reply buffer that grows and shrinks with their replies' peak;
      // KVIS's write each read's replies out at once and keep none, so these settings are
      // read as Redis reads them and change nothing.
      const option = argv.keyword(2);
      if (option === "peak-reset-time") {
        const value = argv.keyword(3);
        if (value !== "never" && value !== "reset" && parseInt64(argv.bytes(3)) === undefined) throw NOT_INTEGER;
      } else if (option !== "resizing") throw subcommandSyntax(argv.str(1), "debug");
      return c.reply.ok();
    }
    if (sub === "digest" && argv.length === 2) return c.reply.simple(datasetDigest(c.server.keyspace));
    if (sub === "digest-value") {
      c.reply.array(argv.length - 2);
      for (let i = 2; i < argv.length; i++) c.reply.simple(valueDigest(c.db, argv.str(i)));
      return;
    }
    if (sub === "protocol" && argv.length === 3) return debugProtocol(c, argv.keyword(2));
    if (sub === "quicklist-packed-threshold" && argv.length === 3) {
      // Redis stores list elements above this size in nodes of their own; KVIS's lists have
      // no such nodes, so the size is checked as Redis checks it and has no effect.
      const size = parseMemory(argv.str(2));
      if (size === undefined || size > 2 ** 32 - 2 ** 20) throw DEBUG_PACKED_THRESHOLD;
      return c.reply.ok();
    }
    if (sub === "change-repl-id" && argv.length === 2) {
      c.server.replication.changeReplid();
      return c.reply.ok();
    }
    if (sub === "populate" && argv.length >= 3 && argv.length <= 5) return debugPopulate(c, argv);
    if (sub === "error" && argv.length === 3) return c.reply.error(argv.str(2).replace(/[\r\n]/g, " "));
    if (sub === "log" && argv.length === 3) {
      c.server.log.warning(`DEBUG LOG: ${argv.str(2)}`);
      return c.reply.ok();
    }
    if (sub === "structsize" && argv.length === 2) {
      // The sizes of Redis's structures that MEMORY USAGE counts with (store/memory-usage.ts).
      return c.reply.bulkString("bits:64 robj:16 dictentry:24 sdshdr5:1 sdshdr8:3 sdshdr16:5 sdshdr32:9 sdshdr64:17 ");
    }
    if (sub === "stringmatch-test" && argv.length === 2) {
      stringmatchFuzz();
      return c.reply.simple("Apparently Redis did not crash: test passed");
    }
    if (sub === "set-skip-checksum-validation" && argv.length === 3) {
      c.server.keyspace.skipChecksumValidation = argv.str(2) !== "0";
      return c.reply.ok();
    }
    if (sub === "config-rewrite-force-all" && argv.length === 2) {
      // Redis passes its missing file's NULL path on to fopen(): EFAULT, "Bad address".
      if (c.server.configFile === "") throw debugRewriteFailed("Bad address");
      try {
        rewriteConfigFile(c, true);
      } catch (e) {
        throw debugRewriteFailed((e as Error).message);
      }
      return c.reply.ok();
    }
    if (sub === "clusterlink" && argv.length === 5 && argv.keyword(2) === "kill") {
      const cluster = c.server.cluster;
      if (cluster === undefined) throw DEBUG_CLUSTER_ONLY;
      const node = cluster.lookup(argv.str(4));
      if (node === undefined) throw clusterUnknownNode("Unknown node", argv.str(4));
      const direction = argv.keyword(3);
      if (direction !== "to" && direction !== "from" && direction !== "all") throw debugUnknownDirection(argv.str(3));
      cluster.killLinks(node, direction);
      return c.reply.ok();
    }
    if (sub === "help" && argv.length === 2) {
      // Redis's text, less MALLCTL and MALLCTL-STR: those tune jemalloc, which KVIS has not
      // (as a Redis built without jemalloc answers them as unknown).
      return c.reply.helpLines([
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "AOF-FLUSH-SLEEP <microsec>",
        "    Server will sleep before flushing the AOF, this is used for testing.",
        "ASSERT",
        "    Crash by assertion failed.",
        "CHANGE-REPL-ID",
        "    Change the replication IDs of the instance.",
        "    Dangerous: should be used only for testing the replication subsystem.",
        "CONFIG-REWRITE-FORCE-ALL",
        "    Like CONFIG REWRITE but writes all configuration options, including",
        "    keywords not listed in original configuration file or default values.",
        "CRASH-AND-RECOVER [<milliseconds>]",
        "    Hard crash and restart after a <milliseconds> delay (default 0).",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "LEAK <string>",
        "    Create a memory leak of the input string.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "HTSTATS <dbid>",
        "    Return hash table statistics of the specified Redis database.",
        "HTSTATS-KEY <key>",
        "    Like HTSTATS but for the hash table stored at <key>'s value.",
        "LOADAOF",
        "    Flush the AOF buffers on disk and reload the AOF in memory.",
        "REPLICATE <string>",
        "    Replicates the provided string to replicas, allowing data divergence.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "DROP-CLUSTER-PACKET-FILTER <packet-type>",
        "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
        "OOM",
        "    Crash the server simulating an out-of-memory error.",
        "PANIC",
        "    Crash the server simulating a panic.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. These are not propagated to",
        "    replicas. Cluster slots are not respected so keys not belonging to the",
        "    current node can be created in cluster mode.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "RELOAD [option ...]",
        "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
        "    * MERGE: conflicting keys will be loaded from RDB.",
        "    * NOFLUSH: the existing database will not be removed before load, but",
        "      conflicting keys will generate an exception and kill the server.",
        "    * NOSAVE: the database will be loaded from an existing RDB file.",
        "    Examples:",
        "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
        "      the database.",
        "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
        "      existing RDB file.",
        "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
        "      file to the database.",
        "RESTART [<milliseconds>]",
        "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
        "SDSLEN <key>",
        "    Show low level SDS string info representing `key` and value.",
        "SEGFAULT",
        "    Crash the server with sigsegv.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "QUICKLIST-PACKED-THRESHOLD <size>",
        "    Sets the threshold for elements to be inserted as plain vs packed nodes",
        "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
        "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
        "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "STRINGMATCH-TEST",
        "    Run a fuzz tester against the stringmatchlen() function.",
        "STRUCTSIZE",
        "    Return the size of different Redis core C structures.",
        "LISTPACK <key>",
        "    Show low level info about the listpack encoding of <key>.",
        "QUICKLIST <key> [<0|1>]",
        "    Show low level info about the quicklist encoding of <key>.",
        "    The optional argument (0 by default) sets the level of detail",
        "CLIENT-EVICTION",
        "    Show low level client eviction pools info (maxmemory-clients).",
        "PAUSE-CRON <0|1>",
        "    Stop periodic cron job processing.",
        "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
        "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
        "    In case NEVER is provided the last observed peak will never be reset",
        "    In case RESET is provided the peak reset time will be restored to the default value",
        "REPLYBUFFER RESIZING <0|1>",
        "    Enable or disable the reply buffer resize cron job",
        "CLUSTERLINK KILL <to|from|all> <node-id>",
        "    Kills the link based on the direction to/from (both) with the provided node.",
        "HELP",
        "    Prints this help.",
      ]);
    }
    throw subcommandSyntax(argv.str(1), "debug");
  },
});
