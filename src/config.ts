/**
 * The one table of server parameters. Each entry names a redis.conf directive with its
 * type, default, bounds and whether CONFIG SET may change it; command-line flags, the
 * config file, `--help` and CONFIG GET/SET are all derived from this table, so adding a
 * parameter is one entry here. Values are validated here and nowhere else.
 */
import { accessSync, constants, statSync } from "node:fs";
import { resolve } from "node:path";
import { parseDouble, parseIntStrict, repr, stringToInt64 } from "./resp/bytes.ts";
import { formatTrimmedFixed } from "./resp/long-double.ts";
import { formatNotifyFlags, parseNotifyFlags } from "./keyspace-events.ts";
import type { LogLevel } from "./log.ts";

/**
 * LLONG_MAX and ULLONG_MAX as a bound of a parameter. A number cannot hold them exactly, so
 * 2^63 and 2^64 stand for them (see bigBound).
 */
const LLONG_MAX = 2 ** 63;
const ULLONG_MAX = 2 ** 64;
const INT_MAX = 2147483647;

export type ParamType = "int" | "string" | "bool" | "enum" | "memory";

export interface Param {
  name: string;
  /** Other names Redis 7.0 accepts for it (the ziplist names of listpack limits, slave-*). */
  aliases?: readonly string[];
  type: ParamType;
  default: string;
  description: string;
  /** CONFIG SET may change it at run time. */
  mutable: boolean;
  min?: number;
  max?: number;
  /**
   * Redis checks its bounds as unsigned (a size_t, unsigned int or unsigned long long
   * parameter): -1 is 2^64-1, past any bound, and a memory value past 2^63 stays positive.
   */
  unsigned?: boolean;
  values?: readonly string[];
  /** A value check beyond the type, returning an error text. */
  check?: (value: string) => string | undefined;
  /** What a run-time change does to the running server, beyond storing the value. */
  apply?: (server: ConfigTarget, value: string) => void;
  /** An apply that can fail: the reason it returns makes CONFIG SET put every value back. */
  applyOrFail?: (server: ConfigTarget, value: string) => string | undefined;
  /**
   * Run once after every value of a CONFIG SET is in place, however many of the parameters
   * sharing it were set (Redis's deduplicated apply functions): for values read together,
   * as a certificate with its key. A reason returned puts every value back.
   */
  applyAfter?: (server: ConfigTarget) => string | undefined;
  /** Apply it when a server starts too: the value lives outside the Config (encoding limits). */
  applyAtStart?: boolean;
  /** Left out of CONFIG GET's patterns, shown when named (Redis's HIDDEN_CONFIG: test knobs). */
  hidden?: boolean;
  /** Its directive takes several arguments (Redis's MULTI_ARG_CONFIG: `save 900 1 300 10`); the others take one. */
  multiArg?: boolean;
  /** CONFIG SET needs `enable-protected-configs` (Redis's PROTECTED_CONFIG: where files are written). */
  protected?: boolean;
  /** CONFIG SET answers -LOADING while the dataset loads (Redis's DENY_LOADING_CONFIG). */
  denyLoading?: boolean;
  /** For values that update part of the current one (client-output-buffer-limit). */
  merge?: (current: string, given: string) => string;
}

type EncodingLimit = "listMaxListpackSize" | "listCompressDepth" | "hashMaxListpackEntries" | "hashMaxListpackValue" | "zsetMaxListpackEntries" | "zsetMaxListpackValue" | "setMaxIntsetEntries" | "hllSparseMaxBytes";

/**
 * The parts of a running server that follow its parameters, as the apply hooks see them:
 * the server implements this, and config.ts never imports the server.
 */
export interface ConfigTarget {
  cluster: { changed(): void; applyAnnounced(): void; readonly tlsBusAtStart: boolean } | undefined;
  acl: { setDefaultPassword(password: string): void; log: unknown[] };
  log: { level: LogLevel };
  slowlog: { threshold: number; maxLen: number; trim(): void };
  latency: { threshold: number };
  latencyTracking: boolean;
  tracking: { maxKeys: number };
  /** The cron's frequency (hz, raised by the cron under dynamic-hz). */
  hz: number;
  /** The tls-* parameters read again and tls-port listened on with them; the reason when it cannot be. */
  reconfigureTls(): string | undefined;
  /** set-proc-title: show the template in the process's command line. */
  applyProcTitle(): void;
  /** oom-score-adj: write the role's score to /proc/self/oom_score_adj; why not, if it failed. */
  applyOomScore(): string | undefined;
  /** maxclients against the open-files limit; why not, if it does not fit. */
  fitMaxclients(maxclients: number): string | undefined;
  /** CONFIG SET dir: make it the working folder (the binary's server, as Redis chdirs); why not, if it failed. */
  enterDirectory(dir: string): string | undefined;
  clients: { values(): Iterable<{ parser: { maxBulkLen: number } }> };
  notifier: { flags: number };
  maxmemory: number;
  evictor: { limitChanged(): void; policyChanged(): void };
  /** maxmemory-clients lowered: clients over it go at once, as in Redis (server/client-eviction.ts). */
  evictClients(): void;
  keyspace: { lfuLogFactor: number; lfuDecayTime: number; keyLoadDelay: number; lazyFree: { serverDel: boolean; expire: boolean; eviction: boolean } };
  /** store/encoding.ts's limits (named here: config.ts sits below the store). */
  encodingLimits: Record<EncodingLimit, number>;
  aof: { enable(): void; disable(): void; deleteHistory(): void; timestamps: boolean };
  replication: { minReplicasToWrite: number; resizeBacklog(size: number): void };
}

export const PARAMS: readonly Param[] = [
  { name: "port", type: "int", default: "6379", min: 0, max: 65535, mutable: true, description: "TCP port to listen on (0: none, as for a server reached by TLS or the Unix socket alone)" },
  { name: "bind", type: "string", default: "127.0.0.1", mutable: true, multiArg: true, description: "Addresses to listen on (space separated)", applyAfter: readTls },
  {
    name: "dir", type: "string", default: "./", mutable: true, protected: true, denyLoading: true,
    // Relative to the current one, as Redis's chdir; CONFIG SET needs it to exist (start-up creates it).
    check: (v) => (v === "" ? "No such file or directory" : undefined), merge: (current, given) => resolve(current, given),
    applyOrFail: (server, value) => directoryProblem(value) ?? server.enterDirectory(value),
    description: "Working directory for the dump, the AOF folder, the cluster's nodes file and relative log, pid and ACL files (created at start-up; CONFIG SET needs an existing one, relative to the current one)",
  },
  { name: "dbfilename", type: "string", default: "dump.rdb", mutable: true, protected: true, description: "RDB file name inside dir", check: checkFileName },
  {
    name: "requirepass", type: "string", default: "", mutable: true, description: "Password for the default user (empty: none)",
    apply: (server, value) => server.acl.setDefaultPassword(value),
  },
  { name: "aclfile", type: "string", default: "", mutable: false, description: "ACL file: users loaded at start-up and by ACL LOAD, written by ACL SAVE" },
  {
    name: "acllog-max-len", type: "int", default: "128", min: 0, max: LLONG_MAX, mutable: true, description: "Entries the ACL log keeps",
    apply: (server, value) => {
      if (server.acl.log.length > Number(value)) server.acl.log.length = Number(value);
    },
  },
  {
    name: "acl-pubsub-default", type: "enum", default: "resetchannels", values: ["allchannels", "resetchannels"], mutable: true,
    description: "Channels a new ACL user may use (allchannels or resetchannels)",
  },
  {
    name: "loglevel", type: "enum", default: "notice", values: ["debug", "verbose", "notice", "warning"], mutable: true, description: "Log verbosity",
    apply: (server, value) => (server.log.level = value as LogLevel),
  },
  {
    name: "maxclients", type: "int", default: "10000", min: 1, max: 4294967295, unsigned: true, mutable: true, description: "Most clients connected at once; more are refused",
    applyOrFail: (server, value) => server.fitMaxclients(Number(value)),
  },
  { name: "timeout", type: "int", default: "0", min: 0, max: 2147483647, mutable: true, description: "Close a client idle this many seconds (0: never)" },
  { name: "tcp-keepalive", type: "int", default: "300", min: 0, max: 2147483647, mutable: true, description: "TCP keepalive interval in seconds for new connections (0: off)" },
  {
    name: "protected-mode", type: "bool", default: "yes", mutable: true,
    description: "With no password for the default user, refuse clients that are not on the loopback interface",
  },
  {
    name: "client-query-buffer-limit", type: "memory", default: "1073741824", min: 1048576, max: LLONG_MAX, unsigned: true, mutable: true,
    description: "Most input a client may have waiting (an unfinished request, or requests behind a blocked command) before it is closed",
  },
  { name: "logfile", type: "string", default: "", mutable: false, description: "Log file (empty: standard output)" },
  { name: "databases", type: "int", default: "16", min: 1, max: 2147483647, mutable: false, description: "Number of databases" },
  { name: "stream-node-max-bytes", type: "memory", default: "4096", min: 0, max: LLONG_MAX, unsigned: true, mutable: true, description: "Largest stream node (listpack) in bytes" },
  ...encodingLimit("hash-max-listpack-entries", "hash-max-ziplist-entries", "int", 512, "hashMaxListpackEntries", "Most fields a hash reports as listpack"),
  ...encodingLimit("hash-max-listpack-value", "hash-max-ziplist-value", "memory", 64, "hashMaxListpackValue", "Longest field or value in a hash reported as listpack"),
  ...encodingLimit("zset-max-listpack-entries", "zset-max-ziplist-entries", "int", 128, "zsetMaxListpackEntries", "Most members a sorted set keeps as listpack"),
  ...encodingLimit("zset-max-listpack-value", "zset-max-ziplist-value", "memory", 64, "zsetMaxListpackValue", "Longest member a sorted set keeps as listpack (KVIS: at most 254)"),
  ...encodingLimit("set-max-intset-entries", undefined, "int", 512, "setMaxIntsetEntries", "Most members a set of integers reports as intset"),
  {
    name: "min-replicas-to-write", aliases: ["min-slaves-to-write"], type: "int", default: "0", min: 0, max: 2147483647, mutable: true,
    description: "Refuse writes (-NOREPLICAS) unless this many replicas are online and lagging at most min-replicas-max-lag (0: off)",
    applyAtStart: true,
    apply: (server, value) => {
      server.replication.minReplicasToWrite = Number(value);
    },
  },
  {
    name: "min-replicas-max-lag", aliases: ["min-slaves-max-lag"], type: "int", default: "10", min: 0, max: 2147483647, mutable: true,
    description: "Seconds since its last ACK under which a replica counts as good for min-replicas-to-write",
  },
  {
    name: "busy-reply-threshold", aliases: ["lua-time-limit"], type: "int", default: "5000", min: 0, max: LLONG_MAX, mutable: true,
    description: "Milliseconds a script or function runs before other clients are answered -BUSY (and SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE served)",
  },
  {
    name: "list-max-listpack-size", aliases: ["list-max-ziplist-size"], type: "int", default: "-2", min: -2147483648, max: 2147483647, mutable: true,
    description: "Largest list node: -1 to -5 for 4 to 64 KB, a positive count for that many elements (within 8 KB)",
    apply: (server, value) => (server.encodingLimits.listMaxListpackSize = Number(value)), applyAtStart: true,
  },
  {
    name: "list-compress-depth", type: "int", default: "0", min: 0, max: 2147483647, mutable: true,
    description: "List nodes left uncompressed at each end of a list; those between are LZF-compressed (0: none)",
    apply: (server, value) => (server.encodingLimits.listCompressDepth = Number(value)), applyAtStart: true,
  },
  { name: "stream-node-max-entries", type: "int", default: "100", min: 0, max: LLONG_MAX, mutable: true, description: "Most entries in one stream node" },
  {
    name: "slowlog-log-slower-than", type: "int", default: "10000", min: -1, max: LLONG_MAX, mutable: true,
    description: "Log commands slower than this many microseconds (negative: off)", apply: (server, value) => (server.slowlog.threshold = Number(value)),
  },
  {
    name: "slowlog-max-len", type: "int", default: "128", min: 0, max: LLONG_MAX, mutable: true, description: "Entries the slow log keeps",
    apply: (server, value) => {
      server.slowlog.maxLen = Number(value);
      server.slowlog.trim();
    },
  },
  {
    name: "latency-monitor-threshold", type: "int", default: "0", min: 0, max: LLONG_MAX, mutable: true,
    description: "Record commands slower than this many milliseconds for LATENCY (0: off)", apply: (server, value) => (server.latency.threshold = Number(value)),
  },
  {
    name: "latency-tracking", type: "bool", default: "yes", mutable: true, applyAtStart: true,
    description: "Keep each command's latency histogram (LATENCY HISTOGRAM)", apply: (server, value) => (server.latencyTracking = value === "yes"),
  },
  {
    name: "latency-tracking-info-percentiles", type: "string", default: "50 99 99.9", mutable: true, multiArg: true,
    description: "Percentiles INFO latencystats reports",
    // Words split at each space, as Redis splits a multi-argument value: "" is no percentiles.
    check: (value) => {
      for (const word of value === "" ? [] : value.split(" ")) {
        const n = parseDouble(word);
        if (n === undefined || n !== n) return "Invalid latency-tracking-info-percentiles parameters";
        if (n < 0 || n > 100) return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
      }
      return undefined;
    },
    // Printed as "%f" with the trailing zeros cut, as Redis prints them.
    merge: (_current, given) => (given === "" ? [] : given.split(" ")).map((w) => formatTrimmedFixed(parseDouble(w)!)).join(" "),
  },
  { name: "enable-debug-command", type: "enum", default: "no", values: ["no", "yes", "local"], mutable: false, description: "Allow DEBUG (no, yes, or local: loopback clients only)" },
  {
    name: "hz", type: "int", default: "10", min: 0, max: 2147483647, mutable: true, description: "Background task frequency (kept within 1..500, as Redis keeps it)",
    merge: (_current, given) => String(Math.min(MAX_HZ, Math.max(1, Number(given)))),
    apply: (server, value) => void (server.hz = Number(value)),
    applyAtStart: true,
  },
  {
    name: "proto-max-bulk-len", type: "memory", default: "536870912", min: 1048576, max: LLONG_MAX, mutable: true,
    description: "Largest bulk string accepted from clients",
    apply: (server, value) => {
      for (const c of server.clients.values()) c.parser.maxBulkLen = Number(value);
    },
  },
  {
    name: "replicaof", aliases: ["slaveof"], type: "string", default: "", mutable: false, multiArg: true, description: 'Replicate from a master: "HOST PORT"',
    // As Redis's setConfigReplicaOfOption: two arguments, "no one" or a host and a port
    // strtol reads whole (an empty one is 0).
    check: (v) => {
      const args = v.split(" ");
      if (args.length !== 2) return v === "" ? undefined : "wrong number of arguments";
      if (args[0]!.toLowerCase() === "no" && args[1]!.toLowerCase() === "one") return undefined;
      const port = Number(args[1]);
      return /^([+-]?\d+)?$/.test(args[1]!) && port >= 0 && port <= 65535 ? undefined : "Invalid master port";
    },
    merge: (_current, given) => {
      const [host, port] = given.split(" ");
      return given === "" || `${host} ${port}`.toLowerCase() === "no one" ? "" : `${host} ${Number(port)}`;
    },
  },
  { name: "masterauth", type: "string", default: "", mutable: true, description: "Password this replica sends to its master" },
  { name: "masteruser", type: "string", default: "", mutable: true, description: "User this replica authenticates as with its master" },
  {
    name: "repl-backlog-size", type: "memory", default: "1048576", min: 1, max: LLONG_MAX, mutable: true,
    description: "Bytes of replication stream kept for partial resyncs (16 KB at least)",
    // Redis raises a smaller size to its minimum, and resizes the backlog at once.
    merge: (_current, given) => String(Math.max(16384, Number(given))),
    apply: (server, value) => server.replication.resizeBacklog(Number(value)),
  },
  { name: "repl-ping-replica-period", aliases: ["repl-ping-slave-period"], type: "int", default: "10", min: 1, max: 2147483647, mutable: true, description: "Seconds between PINGs a master sends its replicas" },
  { name: "repl-diskless-sync", type: "bool", default: "yes", mutable: true, description: "Stream full syncs to replicas that can take it (else the $<len> form)" },
  {
    name: "notify-keyspace-events", type: "string", default: "", mutable: true,
    description: "Keyspace event classes to publish (Redis's letters: K E g $ l s h z x e t m d n A)",
    check: (v) => (parseNotifyFlags(v) === undefined ? "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." : undefined),
    merge: (_current, given) => formatNotifyFlags(parseNotifyFlags(given)!),
    apply: (server, value) => (server.notifier.flags = parseNotifyFlags(value)!),
  },
  { name: "replica-serve-stale-data", aliases: ["slave-serve-stale-data"], type: "bool", default: "yes", mutable: true, description: "Answer clients while the link to the master is down" },
  {
    name: "client-output-buffer-limit", type: "string", default: "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", mutable: true, multiArg: true,
    description: "Per class: hard limit, soft limit and soft seconds of unsent output (replicas enforced)",
    check: (v) => {
      const parsed = parseOutputLimits(v);
      return typeof parsed === "string" ? parsed : undefined;
    },
    merge: (current, given) => formatOutputLimits(new Map([...(parseOutputLimits(current) as OutputLimits), ...(parseOutputLimits(given) as OutputLimits)])),
  },
  { name: "replica-read-only", aliases: ["slave-read-only"], type: "bool", default: "yes", mutable: true, description: "Refuse writes from clients while a replica" },
  { name: "rdbcompression", type: "bool", default: "yes", mutable: true, description: "LZF-compress strings over 20 bytes in RDB files and DUMP payloads" },
  { name: "rdbchecksum", type: "bool", default: "yes", mutable: false, description: "End RDB files with a CRC64 checksum" },
  {
    name: "save", type: "string", default: "3600 1 300 100 60 10000", mutable: true, multiArg: true,
    description: 'Save points: BGSAVE after "SECONDS CHANGES" pairs ("" for none)',
    check: (v) => (parseSavePoints(v) === undefined ? "Invalid save parameters" : undefined),
  },
  {
    name: "maxmemory", type: "memory", default: "0", min: 0, max: ULLONG_MAX, unsigned: true, mutable: true,
    description: "Evict keys (or refuse writes) to keep the estimated memory in use under this many bytes (0: no limit)",
    apply: (server, value) => {
      server.maxmemory = Number(value);
      server.evictor.limitChanged();
    },
  },
  {
    name: "maxmemory-policy", type: "enum", default: "noeviction", mutable: true,
    values: ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"],
    description: "Which keys go when maxmemory is reached (noeviction: writes answer -OOM)", apply: (server) => server.evictor.policyChanged(),
  },
  { name: "maxmemory-samples", type: "int", default: "5", min: 1, max: 2147483647, mutable: true, description: "Keys sampled per database for each LRU, LFU or TTL eviction" },
  {
    name: "maxmemory-eviction-tenacity", type: "int", default: "10", min: 0, max: 100, mutable: true,
    description: "How long one command may spend evicting (50 µs a step to 10, then 15% more a step; 100: no limit)",
  },
  {
    name: "lfu-log-factor", type: "int", default: "10", min: 0, max: 2147483647, mutable: true, description: "How slowly the LFU access counter grows",
    apply: (server, value) => (server.keyspace.lfuLogFactor = Number(value)),
  },
  {
    name: "lfu-decay-time", type: "int", default: "1", min: 0, max: 2147483647, mutable: true, description: "Minutes for the LFU access counter to decay by one",
    apply: (server, value) => (server.keyspace.lfuDecayTime = Number(value)),
  },
  { name: "replica-ignore-maxmemory", aliases: ["slave-ignore-maxmemory"], type: "bool", default: "yes", mutable: true, description: "A replica leaves eviction to its master" },
  {
    name: "stop-writes-on-bgsave-error", type: "bool", default: "yes", mutable: true,
    description: "Refuse writes with -MISCONF while the last background save failed (with save points set)",
  },
  {
    name: "appendonly", type: "bool", default: "no", mutable: true, denyLoading: true, description: "Log every write to the append-only file; start-up loads it instead of the RDB",
    apply: (server, value) => (value === "yes" ? server.aof.enable() : server.aof.disable()),
  },
  {
    name: "appendfilename", type: "string", default: "appendonly.aof", mutable: false, description: "Prefix of the append-only files' names",
    check: (v) => (v.includes("/") ? "appendfilename can't be a path, just a filename" : undefined),
  },
  {
    name: "appenddirname", type: "string", default: "appendonlydir", mutable: false, description: "Directory inside dir holding the append-only files and their manifest",
    check: (v) => (v.includes("/") ? "appenddirname can't be a path, just a dirname" : undefined),
  },
  {
    name: "appendfsync", type: "enum", default: "everysec", values: ["everysec", "always", "no"], mutable: true,
    description: "When the append-only file is fsynced: before each reply, once a second, or by the kernel",
  },
  { name: "aof-use-rdb-preamble", type: "bool", default: "yes", mutable: true, description: "Write the append-only base file as an RDB image (else as commands)" },
  {
    name: "auto-aof-rewrite-percentage", type: "int", default: "100", min: 0, max: 2147483647, mutable: true,
    description: "Rewrite the append-only file when it grew by this percentage since the last rewrite (0: never)",
  },
  {
    name: "auto-aof-rewrite-min-size", type: "memory", default: "67108864", min: 0, max: LLONG_MAX, mutable: true,
    description: "No automatic rewrite below this append-only file size",
  },
  { name: "aof-load-truncated", type: "bool", default: "yes", mutable: true, description: "Load an append-only file whose last command is torn, cutting it off" },
  { name: "no-appendfsync-on-rewrite", type: "bool", default: "no", mutable: true, description: "Skip the append-only file's fsyncs while a rewrite or save runs" },
  ...encodingLimit("hll-sparse-max-bytes", undefined, "memory", 3000, "hllSparseMaxBytes", "Largest sparse HyperLogLog before it turns dense"),
  {
    name: "pidfile", type: "string", default: "", mutable: false,
    description: "Write the process id to this file at start-up, removed at shutdown (with daemonize yes and none given: /var/run/redis.pid, as Redis)",
  },
  {
    name: "daemonize", type: "bool", default: "no", mutable: false,
    description: "Run in the background, detached from the terminal: the command returns at once, the log goes to logfile (none when empty)",
  },
  { name: "replica-priority", aliases: ["slave-priority"], type: "int", default: "100", min: 0, max: 2147483647, mutable: true, description: "A replica's priority for Sentinel (INFO slave_priority)" },
  // Directives of Redis 7.0's redis.conf that tune what KVIS does not have (a fork, jemalloc,
  // lazy freeing threads, Linux OOM scores, a process title): accepted with Redis's types
  // and defaults so that a redis.conf starts KVIS, and shown by CONFIG GET.
  { name: "tcp-backlog", type: "int", default: "511", min: 0, max: 2147483647, mutable: false, description: "Queue of connections not yet accepted, for every listener (capped by the kernel's somaxconn)" },
  ...accepted("activerehashing", "bool", "yes", true, "a table's growth is copied a step an insert ahead of its switch, which is made at once: nothing is left half-moved for the cron to finish"),
  { name: "always-show-logo", type: "bool", default: "no", mutable: false, description: "Print the start-up banner (version, mode, port, PID) even when the log is not a terminal" },
  { name: "set-proc-title", type: "bool", default: "yes", mutable: false, description: "Rewrite the process's command line (as ps shows it) to proc-title-template" },
  {
    name: "proc-title-template", type: "string", default: "{title} {listen-addr} {server-mode}", mutable: true,
    description: "The process title set-proc-title shows: {title} (the binary as started), {listen-addr}, {server-mode}, {port}, {tls-port}, {unixsocket}, {config-file}",
    // Redis checks a template with an empty {title} and the other values as they might be.
    check: (value) => expandTitle(value, { title: "", "listen-addr": "*:6379", "server-mode": "", port: "6379", "tls-port": "0", unixsocket: "", "config-file": "" }) === undefined ? "template format is invalid or contains unknown variables" : undefined,
    apply: (server) => server.applyProcTitle(),
  },
  ...accepted("disable-thp", "bool", "yes", false, "KVIS does not fork: the copy-on-write latency Redis avoids by turning transparent huge pages off does not arise, so THP is left as the system sets it"),
  ...accepted("jemalloc-bg-thread", "bool", "yes", true, "no jemalloc"),
  { name: "dynamic-hz", type: "bool", default: "yes", mutable: true, description: "Run the cron faster with many clients: hz doubles while there are over 200 clients per tick" },
  {
    name: "oom-score-adj", type: "enum", default: "no", mutable: true, values: ["no", "yes", "relative", "absolute"],
    description: "Set the process's Linux OOM score from oom-score-adj-values (relative to the score it started with, or absolute)",
    applyOrFail: (server) => server.applyOomScore(),
  },
  {
    name: "oom-score-adj-values", type: "string", default: "0 200 800", mutable: true, multiArg: true, check: checkOomScores,
    description: "OOM scores for a master, a replica and a background child (KVIS has none: saves run in the process)",
    applyOrFail: (server) => server.applyOomScore(),
  },
  // The garbage collector frees values after the command whatever these say; they decide
  // what INFO's lazyfreed_objects counts, as in Redis.
  ...lazyFree("lazyfree-lazy-eviction", "evictions", (server, on) => (server.keyspace.lazyFree.eviction = on)),
  ...lazyFree("lazyfree-lazy-expire", "expired keys", (server, on) => (server.keyspace.lazyFree.expire = on)),
  ...lazyFree("lazyfree-lazy-server-del", "the server's own deletions and overwrites", (server, on) => (server.keyspace.lazyFree.serverDel = on)),
  ...lazyFree("lazyfree-lazy-user-del", "DEL (as UNLINK)"),
  ...lazyFree("lazyfree-lazy-user-flush", "FLUSHDB and FLUSHALL without SYNC or ASYNC (as ASYNC)"),
  ...accepted("replica-lazy-flush", "bool", "no", true, "values are freed at once", { aliases: ["slave-lazy-flush"] }),
  { name: "aof-rewrite-incremental-fsync", type: "bool", default: "yes", mutable: true, description: "An AOF rewrite syncs its file every 4 MB as it writes it, not all at its end" },
  { name: "rdb-save-incremental-fsync", type: "bool", default: "yes", mutable: true, description: "A background save syncs its file every 4 MB as it writes it, not all at its end" },
  {
    name: "aof-timestamp-enabled", type: "bool", default: "no", mutable: true, applyAtStart: true, apply: (server, value) => (server.aof.timestamps = value === "yes"),
    description: "Annotate the append-only file with #TS:<unix time> lines for redis-check-aof --truncate-to-timestamp",
  },
  {
    name: "rdb-del-sync-files", type: "bool", default: "no", mutable: true,
    description: "A replica deletes the snapshot a full sync wrote once loaded, if it persists nothing (save \"\", appendonly no); otherwise the snapshot becomes its dump file",
  },
  { name: "repl-disable-tcp-nodelay", type: "bool", default: "no", mutable: true, description: "Send a replica's stream without TCP_NODELAY after a full sync: fewer packets, more delay" },
  {
    name: "repl-diskless-load", type: "enum", values: ["disabled", "on-empty-db", "swapdb"], default: "disabled", mutable: true, denyLoading: true,
    description: "How a replica takes a full sync's snapshot: disabled writes it to a temp file in dir; on-empty-db (when it holds no keys) and swapdb load it as it arrives, never touching the disk; swapdb keeps the old data until the new has loaded, answering reads from it meanwhile when the master's history is the replica's own",
  },
  { name: "repl-diskless-sync-delay", type: "int", default: "5", min: 0, max: 2147483647, mutable: true, description: "Seconds a diskless full sync waits for more replicas to share its snapshot" },
  { name: "repl-diskless-sync-max-replicas", type: "int", default: "0", min: 0, max: 2147483647, mutable: true, description: "Start a delayed diskless sync as soon as this many replicas wait (0: wait the delay)" },
  // Active defragmentation needs an allocator that can move memory (Redis's jemalloc);
  // KVIS's memory is the JS runtime's, so `activedefrag yes` is refused as by a Redis
  // built without it, and its tuning is accepted.
  {
    name: "activedefrag", type: "bool", default: "no", mutable: true, description: "Refused (as by Redis built without jemalloc): KVIS's allocator cannot defragment",
    check: (v) => (v === "yes" ? "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution" : undefined),
  },
  ...accepted("active-defrag-cycle-max", "int", "25", true, "no active defragmentation", { min: 1, max: 99 }),
  ...accepted("active-defrag-cycle-min", "int", "1", true, "no active defragmentation", { min: 1, max: 99 }),
  ...accepted("active-defrag-ignore-bytes", "memory", "104857600", true, "no active defragmentation", { min: 1, max: LLONG_MAX, unsigned: true }),
  ...accepted("active-defrag-max-scan-fields", "int", "1000", true, "no active defragmentation", { min: 1, max: LLONG_MAX }),
  ...accepted("active-defrag-threshold-lower", "int", "10", true, "no active defragmentation", { min: 0, max: 1000 }),
  ...accepted("active-defrag-threshold-upper", "int", "100", true, "no active defragmentation", { min: 0, max: 1000 }),
  {
    name: "active-expire-effort", type: "int", default: "1", min: 1, max: 10, mutable: true,
    description: "Effort of the active expire cycle, 1-10: its time budget, keys per sample and the share of expired keys it goes on for follow it as Redis's do",
  },
  {
    name: "aof-disable-auto-gc", type: "bool", default: "no", mutable: true, apply: (server) => server.aof.deleteHistory(),
    description: "Keep the AOF files a rewrite replaced (history in the manifest); set back to no, they are removed",
  },
  ...accepted("aof_rewrite_cpulist", "string", "", false, "a rewrite runs in the server's thread, nothing to pin"),
  ...accepted("bgsave_cpulist", "string", "", false, "a save runs in the server's thread, nothing to pin"),
  { name: "bio_cpulist", type: "string", default: "", mutable: false, description: "CPUs for every thread but the server's (the JIT's, the collector's, the allocator's), as Redis places its background I/O threads" },
  { name: "server_cpulist", type: "string", default: "", mutable: false, description: "CPUs the server's thread runs on (\"0,2,4-7,8-15:2\"), as Redis pins its main thread; the runtime's threads started later follow it" },
  { name: "bind-source-addr", type: "string", default: "", mutable: true, description: "Address a replica's link to its master and the cluster bus links connect from (empty: the system's choice)" },
  // Redis Cluster (src/cluster/): read where they are used, so a CONFIG SET takes effect at once.
  { name: "cluster-enabled", type: "bool", default: "no", mutable: false, description: "Run as a Redis Cluster node (cluster bus, nodes.conf, redirections)" },
  { name: "cluster-config-file", type: "string", default: "nodes.conf", mutable: false, description: "The node's cluster configuration, written by the node (relative to dir)" },
  { name: "cluster-port", type: "int", default: "0", min: 0, max: 65535, mutable: false, description: "The cluster bus port (0: port + 10000, tls-port + 10000 under tls-cluster)" },
  { name: "cluster-node-timeout", type: "int", default: "15000", min: 0, max: LLONG_MAX, mutable: true, description: "Milliseconds a node may not answer before it is failing" },
  ...clusterAnnounce("cluster-announce-ip", "string", "", "The address other nodes and clients are told", {}),
  ...clusterAnnounce("cluster-announce-port", "int", "0", "The client port other nodes are told (0: port)", { min: 0, max: 65535 }),
  ...clusterAnnounce("cluster-announce-bus-port", "int", "0", "The bus port other nodes are told (0: the bus port)", { min: 0, max: 65535 }),
  ...clusterAnnounce("cluster-announce-hostname", "string", "", "The hostname sent to other nodes (CLUSTER SLOTS, MOVED with hostname endpoints)", { check: checkHostname }),
  ...clusterAnnounce("cluster-announce-tls-port", "int", "0", "The TLS port other nodes and clients are told under tls-cluster (0: tls-port)", { min: 0, max: 65535 }),
  {
    name: "cluster-require-full-coverage", type: "bool", default: "yes", mutable: true, description: "The cluster is down while any slot is unserved",
    apply: (server) => server.cluster?.changed(),
  },
  { name: "cluster-allow-reads-when-down", type: "bool", default: "no", mutable: true, description: "Serve reads while the cluster is down" },
  { name: "cluster-allow-pubsubshard-when-down", type: "bool", default: "yes", mutable: true, description: "Serve shard channels while the cluster is down" },
  { name: "cluster-allow-replica-migration", type: "bool", default: "yes", mutable: true, description: "A master that lost its last slot becomes a replica of the node that took it" },
  { name: "cluster-replica-no-failover", aliases: ["cluster-slave-no-failover"], type: "bool", default: "no", mutable: true, description: "This replica never starts an automatic failover" },
  { name: "cluster-replica-validity-factor", aliases: ["cluster-slave-validity-factor"], type: "int", default: "10", min: 0, max: INT_MAX, mutable: true, description: "A replica whose data is older than factor x node timeout does not fail over (0: always may)" },
  { name: "cluster-migration-barrier", type: "int", default: "1", min: 0, max: INT_MAX, mutable: true, description: "A replica migrates to an orphaned master only if its own master keeps more replicas than this" },
  { name: "cluster-link-sendbuf-limit", type: "memory", default: "0", min: 0, max: ULLONG_MAX, unsigned: true, mutable: true, description: "A bus link holding more unsent bytes is closed and made again (0: no limit)" },
  { name: "cluster-preferred-endpoint-type", type: "enum", values: ["ip", "hostname", "unknown-endpoint"], default: "ip", mutable: true, description: "What MOVED and ASK name a node by" },
  { name: "crash-log-enabled", type: "bool", default: "yes", mutable: true, description: "Log the whole of Redis's bug report (the stack, INFO, the clients) before DEBUG SEGFAULT, PANIC, ASSERT or OOM crashes the server; with no, SEGFAULT leaves none and the others only its start, cause and end, as in Redis; a crash of the runtime itself leaves the runtime's own report" },
  ...accepted("crash-memcheck-enabled", "bool", "yes", true, "a crash leaves the runtime's own report"),
  {
    name: "enable-module-command", type: "enum", default: "no", values: ["no", "yes", "local"], mutable: false,
    description: "Allow MODULE LOAD, LOADEX and UNLOAD (no, yes, or local: loopback clients only); KVIS loads no modules, so they fail as a module that cannot load fails",
  },
  { name: "enable-protected-configs", type: "enum", default: "no", values: ["no", "yes", "local"], mutable: false, description: "Allow CONFIG SET of the protected `dir` and `dbfilename` (no, yes, or local: loopback and Unix socket clients only), as Redis 7.0" },
  ...accepted("ignore-warnings", "string", "", true, "KVIS emits none of the warnings it silences"),
  ...accepted("io-threads", "int", "1", false, "one thread serves all clients", { min: 1, max: 128 }),
  ...accepted("io-threads-do-reads", "bool", "no", false, "one thread serves all clients"),
  {
    name: "maxmemory-clients", type: "string", default: "0", mutable: true, check: checkClientsMemory, merge: (_current, given) => normalizeClientsMemory(given),
    description: "Clients' memory (bytes, or a percentage of maxmemory) past which the largest are closed (0: never)",
    apply: (server) => server.evictClients(),
  },
  {
    name: "propagation-error-behavior", type: "enum", default: "ignore", values: ["ignore", "panic", "panic-on-replicas"], mutable: true,
    description: "A command from the master (or the AOF, with panic) that fails: logged and counted, or the server stops",
  },
  { name: "repl-backlog-ttl", type: "int", default: "3600", min: 0, max: LLONG_MAX, mutable: true, description: "Seconds without replicas after which a master frees its backlog (0: never)" },
  { name: "repl-timeout", type: "int", default: "60", min: 1, max: INT_MAX, mutable: true, description: "Seconds a replication link may stay silent before it is dropped (a replica then reconnects)" },
  { name: "replica-announce-ip", aliases: ["slave-announce-ip"], type: "string", default: "", mutable: true, description: "Address a replica asks its master to list it under (REPLCONF ip-address)" },
  {
    name: "replica-announce-port", aliases: ["slave-announce-port"], type: "int", default: "0", min: 0, max: 65535, mutable: true,
    description: "Port a replica asks its master to list it under (0: its own)",
  },
  { name: "replica-announced", type: "bool", default: "yes", mutable: true, description: "Whether Sentinel should announce this replica (INFO replication's replica_announced)" },
  { name: "replica-ignore-disk-write-errors", type: "bool", default: "no", mutable: true, description: "A replica that cannot write to disk applies its master's writes anyway (no: it stops, as Redis panics)" },
  ...accepted("sanitize-dump-payload", "enum", "no", true, "RESTORE payloads are always checked in full", { values: ["no", "yes", "clients"] }),
  { name: "shutdown-on-sigint", type: "string", default: "default", mutable: true, description: "SHUTDOWN's flags for SIGINT: default, or save|nosave, now, force", multiArg: true, check: checkShutdownFlags, merge: (_c, given) => normalizeShutdownFlags(given) },
  { name: "shutdown-on-sigterm", type: "string", default: "default", mutable: true, description: "SHUTDOWN's flags for SIGTERM: default, or save|nosave, now, force", multiArg: true, check: checkShutdownFlags, merge: (_c, given) => normalizeShutdownFlags(given) },
  { name: "shutdown-timeout", type: "int", default: "10", min: 0, max: INT_MAX, mutable: true, description: "Seconds a shutdown waits, writes paused, for lagging replicas to acknowledge the stream (0: none)" },
  { name: "socket-mark-id", type: "int", default: "0", min: 0, max: 4294967295, mutable: false, description: "SO_MARK on the listening sockets (Linux, needs CAP_NET_ADMIN) for firewall and routing rules (0: none)" },
  { name: "supervised", type: "enum", default: "no", mutable: false, values: ["upstart", "systemd", "auto", "no"], description: "Tell systemd (sd_notify: loading, READY=1, syncs, stopping) or upstart (SIGSTOP when started) how start-up goes; auto finds which" },
  { name: "syslog-enabled", type: "bool", default: "no", mutable: false, description: "Also send log lines to the system log (/dev/log), as Redis does with syslog(3)" },
  {
    name: "syslog-facility", type: "enum", default: "local0", mutable: false, values: ["user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"],
    description: "The system log's facility for KVIS's lines",
  },
  { name: "syslog-ident", type: "string", default: "redis", mutable: false, description: "The name KVIS's lines carry in the system log" },
  // TLS (server/tls.ts): a CONFIG SET of any of these reads TLS again, once (applyAfter).
  { name: "tls-port", type: "int", default: "0", min: 0, max: 65535, mutable: true, description: "TCP port for TLS connections (0: none)", applyAfter: readTls },
  { name: "tls-auth-clients", type: "enum", default: "yes", values: ["no", "yes", "optional"], mutable: true, description: "Require a client certificate the CAs vouch for (optional: check one if shown)", applyAfter: readTls },
  ...tls("tls-cert-file", "The server's certificate (PEM), also shown as a replica's when no client certificate is set"),
  ...tls("tls-key-file", "The server's private key (PEM)"),
  ...tls("tls-key-file-pass", "The passphrase of tls-key-file"),
  ...tls("tls-client-cert-file", "The certificate a replica shows its master (PEM)"),
  ...tls("tls-client-key-file", "The private key of tls-client-cert-file"),
  ...tls("tls-client-key-file-pass", "The passphrase of tls-client-key-file"),
  ...tls("tls-ca-cert-file", "CA certificates that client and master certificates are checked against"),
  ...tls("tls-ca-cert-dir", "A folder of CA certificates, as tls-ca-cert-file"),
  ...tls("tls-dh-params-file", "Diffie-Hellman parameters (PEM)"),
  ...tls("tls-protocols", "Protocols allowed, of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 (empty: TLSv1.2 and TLSv1.3)"),
  ...tls("tls-ciphers", "Ciphers allowed up to TLSv1.2 (OpenSSL's cipher-list syntax)"),
  ...accepted("tls-ciphersuites", "string", "", true, "TLSv1.3's ciphersuites are BoringSSL's own, not configurable"),
  {
    name: "tls-cluster", type: "bool", default: "no", mutable: true, description: "The cluster bus over TLS; nodes are announced by their TLS port (plain clients are told the plain one). A cluster node takes it at start-up",
    applyOrFail: (server, value) => (server.cluster === undefined || (value === "yes") === server.cluster.tlsBusAtStart ? undefined : "a cluster node's bus is TLS or not from its start"),
    applyAfter: readTls,
  },
  { name: "tls-prefer-server-ciphers", type: "bool", default: "no", mutable: true, description: "Choose the cipher by the server's order, not the client's", applyAfter: readTls },
  { name: "tls-replication", type: "bool", default: "no", mutable: true, description: "A replica connects to its master over TLS (the master's tls-port)", applyAfter: readTls },
  ...accepted("tls-session-cache-size", "int", "20480", true, "the runtime's TLS sessions are not configurable", { min: 0, max: INT_MAX }),
  ...accepted("tls-session-cache-timeout", "int", "300", true, "the runtime's TLS sessions are not configurable", { min: 0, max: INT_MAX }),
  ...accepted("tls-session-caching", "bool", "yes", true, "the runtime's TLS sessions are not configurable"),
  // Redis's hidden test knobs (delays and intervals its own tests slow things down with).
  ...accepted("use-exit-on-panic", "bool", "no", true, "a Redis test knob", { hidden: true }),
  {
    name: "rdb-key-save-delay", type: "int", default: "0", min: -INT_MAX - 1, max: INT_MAX, mutable: true, hidden: true,
    description: "A Redis test knob: microseconds each key adds to a background save, AOF rewrite or full sync (negative -N: 1 µs every N keys); the server serves meanwhile. `SAVE` is not slowed",
  },
  {
    name: "key-load-delay", type: "int", default: "0", min: -INT_MAX - 1, max: INT_MAX, mutable: true, hidden: true, applyAtStart: true,
    description: "A Redis test knob: microseconds each key loaded from a dump, or command replayed from an AOF, waits (negative -N: 1 µs every N); clients are answered between the load's steps",
    apply: (server, value) => (server.keyspace.keyLoadDelay = Number(value)),
  },
  ...accepted("watchdog-period", "int", "0", true, "a Redis test knob (no watchdog)", { hidden: true, min: 0, max: INT_MAX }),
  {
    name: "loading-process-events-interval-bytes", type: "int", default: "2097152", min: 1024, max: INT_MAX, mutable: true, hidden: true,
    description: "Bytes of the dump loaded at start-up between two turns of the event loop, which answer clients (-LOADING)",
  },
  {
    name: "tracking-table-max-keys", type: "int", default: "1000000", min: 0, max: LLONG_MAX, unsigned: true, mutable: true, applyAtStart: true,
    description: "Most keys CLIENT TRACKING remembers; beyond, the oldest are invalidated (0: no limit)",
    apply: (server, value) => (server.tracking.maxKeys = Number(value)),
  },
  { name: "unixsocket", type: "string", default: "", mutable: false, description: "Also listen on this Unix socket path (empty: none)" },
  {
    name: "unixsocketperm", type: "string", default: "0", mutable: false, description: "Octal mode of the Unix socket file (0: as created)",
    check: checkOctalPerm, merge: (_c, given) => parseInt(given || "0", 8).toString(8),
  },
];

/** maxmemory-clients: bytes (with units) or a percentage of maxmemory up to 100%. */
function checkClientsMemory(value: string): string | undefined {
  const percent = /^(\d+)%$/.exec(value);
  if (percent) return Number(percent[1]) > 100 ? "percentage argument must be less or equal to 100" : undefined;
  return parseMemory(value) === undefined ? "argument must be a memory or percent value" : undefined;
}

function normalizeClientsMemory(value: string): string {
  return value.endsWith("%") ? `${Number(value.slice(0, -1))}%` : String(parseMemory(value));
}

/** The cron's highest frequency (Redis's CONFIG_MAX_HZ). */
export const MAX_HZ = 500;

const SHUTDOWN_FLAGS = ["default", "save", "nosave", "now", "force"];

/** shutdown-on-sigint/sigterm: flags among default, save, nosave, now, force, never save with nosave. */
function checkShutdownFlags(value: string): string | undefined {
  const words = value.toLowerCase().split(" ").filter((w) => w !== "");
  if (words.length === 0 || words.some((w) => !SHUTDOWN_FLAGS.includes(w))) return `argument(s) must be one of the following: ${SHUTDOWN_FLAGS.join(", ")}`;
  if (words.includes("save") && words.includes("nosave")) return "shutdown options SAVE and NOSAVE can't be used simultaneously";
  return undefined;
}

/** The flags in Redis's order, "default" alone when none. */
function normalizeShutdownFlags(value: string): string {
  const words = new Set(value.toLowerCase().split(" "));
  const set = SHUTDOWN_FLAGS.slice(1).filter((f) => words.has(f));
  return set.length === 0 ? "default" : set.join(" ");
}

/** unixsocketperm as strtoll reads it in base 8, whole ("" is 0), then within 0-0777. */
function checkOctalPerm(value: string): string | undefined {
  if (!/^([+-]?[0-7]+)?$/.test(value)) return "argument couldn't be parsed as an octal number";
  const n = parseInt(value || "0", 8);
  return n < 0 || n > 0o777 ? "argument must be between 0 and 777 inclusive" : undefined;
}

const BY_NAME = new Map(PARAMS.flatMap((p) => [p.name, ...(p.aliases ?? [])].map((name) => [name, p] as const)));

/** lazyfree-lazy-*: kept (those Redis applies to its own deletions also in the keyspace) and counted. */
function lazyFree(name: string, what: string, apply?: (server: ConfigTarget, on: boolean) => void): Param[] {
  return [{
    name, type: "bool", default: "no", mutable: true, applyAtStart: apply !== undefined,
    description: `Count ${what} in INFO's lazyfreed_objects as Redis frees them in the background (the garbage collector frees values after the command either way)`,
    ...(apply === undefined ? {} : { apply: (server: ConfigTarget, value: string) => apply(server, value === "yes") }),
  }];
}

/** A tls-* parameter holding a path or text (server/tls.ts reads it). */
function tls(name: string, description: string): Param[] {
  return [{ name, type: "string", default: "", mutable: true, description, applyAfter: readTls }];
}

/** The applyAfter of the TLS parameters (and bind, which the TLS listeners follow): one function, so run once. */
function readTls(server: ConfigTarget): string | undefined {
  return server.reconfigureTls();
}

/** A Redis directive KVIS accepts and shows without acting on it; `why` says what it lacks. */
function accepted(name: string, type: ParamType, defaultValue: string, mutable: boolean, why: string, more: Partial<Param> = {}): Param[] {
  return [{ name, type, default: defaultValue, mutable, description: `Accepted for redis.conf, no effect: ${why}`, ...more }];
}

/** cluster-announce-hostname: what Redis lets through (isValidAnnouncedHostname). */
function checkHostname(value: string): string | undefined {
  if (value.length >= 256) return "Hostnames must be less than 256 characters";
  return /^[a-zA-Z0-9.-]*$/.test(value) ? undefined : "Hostnames may only contain alphanumeric characters, hyphens or dots";
}

/** cluster-announce-*: the node announces the new value from its next message on. */
function clusterAnnounce(name: string, type: ParamType, defaultValue: string, description: string, more: Partial<Param>): Param[] {
  return [{ name, type, default: defaultValue, mutable: true, description, apply: (server) => server.cluster?.applyAnnounced(), ...more }];
}

/** What a template may name, as Redis's expandProcTitleTemplate knows them. */
export interface TitleVariables {
  title: string;
  "listen-addr": string;
  "server-mode": string;
  port: string;
  "tls-port": string;
  unixsocket: string;
  "config-file": string;
}

/**
 * The template with its {variables} replaced ({{ and }} stand for braces, a lone } for
 * itself), blanks trimmed at both ends; undefined when it names an unknown variable, leaves
 * a { open, or comes out empty (Redis's validateProcTitleTemplate refuses those).
 */
export function expandTitle(template: string, vars: TitleVariables): string | undefined {
  let out = "";
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if ((ch === "{" || ch === "}") && template[i + 1] === ch) {
      out += ch;
      i++;
    } else if (ch === "{") {
      const end = template.indexOf("}", i);
      if (end < 0) return undefined;
      const name = template.slice(i + 1, end);
      if (!Object.hasOwn(vars, name)) return undefined;
      out += vars[name as keyof TitleVariables];
      i = end;
    } else out += ch;
  }
  out = out.replace(/ +$/, "").replace(/^ +/, "");
  return out === "" ? undefined : out;
}

/** oom-score-adj-values: three scores from -2000 to 2000 (Redis checks the same). */
function checkOomScores(value: string): string | undefined {
  const scores = value.trim().split(/\s+/);
  if (scores.length !== 3) return "wrong number of arguments";
  for (const s of scores) {
    const n = parseIntStrict(s);
    if (n === undefined || n < -2000 || n > 2000) return "Invalid oom-score-adj-values, elements must be between -2000 and 2000.";
  }
  return undefined;
}

/** One of the limits of store/encoding.ts, under its Redis 7.0 name and its older ziplist alias. */
function encodingLimit(name: string, alias: string | undefined, type: "int" | "memory", defaultValue: number, field: EncodingLimit, description: string): Param[] {
  return [{
    name, aliases: alias === undefined ? undefined : [alias], type, default: String(defaultValue), min: 0, max: LLONG_MAX, unsigned: true, mutable: true, description,
    apply: (server, value) => (server.encodingLimits[field] = Number(value)), applyAtStart: true,
  }];
}

export function findParam(name: string): Param | undefined {
  return BY_NAME.get(name.toLowerCase());
}

export interface OutputLimit {
  hard: number;
  soft: number;
  seconds: number;
}

export type OutputLimits = Map<"normal" | "slave" | "pubsub", OutputLimit>;

/** client-output-buffer-limit: "<class> <hard> <soft> <seconds>" repeated; an error text if invalid. */
export function parseOutputLimits(text: string): OutputLimits | string {
  const parts = text.split(/\s+/).filter(Boolean);
  if (parts.length % 4 !== 0) return "Wrong number of arguments in buffer limit configuration.";
  const limits: OutputLimits = new Map();
  for (let i = 0; i < parts.length; i += 4) {
    const name = parts[i]!.toLowerCase();
    const cls = name === "replica" ? "slave" : name;
    if (cls !== "normal" && cls !== "slave" && cls !== "pubsub") return "Invalid client class specified in buffer limit configuration.";
    const hard = parseMemory(parts[i + 1]!);
    const soft = parseMemory(parts[i + 2]!);
    const seconds = parseIntStrict(parts[i + 3]!);
    if (hard === undefined || soft === undefined || seconds === undefined || seconds < 0) return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    limits.set(cls, { hard, soft, seconds });
  }
  return limits;
}

function formatOutputLimits(limits: OutputLimits): string {
  return (["normal", "slave", "pubsub"] as const)
    .map((cls) => {
      const l = limits.get(cls)!;
      return `${cls} ${l.hard} ${l.soft} ${l.seconds}`;
    })
    .join(" ");
}

export interface SavePoint {
  seconds: number;
  changes: number;
}

/**
 * The `save` parameter: pairs of "seconds changes", space separated, seconds at least 1
 * and changes at least 0; the empty text means no save points. Undefined when invalid.
 */
export function parseSavePoints(text: string): SavePoint[] | undefined {
  if (text === "") return [];
  const parts = text.split(" ");
  if (parts.length % 2 !== 0) return undefined;
  const points: SavePoint[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const seconds = parseIntStrict(parts[i]!);
    const changes = parseIntStrict(parts[i + 1]!);
    if (seconds === undefined || changes === undefined || seconds < 1 || changes < 0) return undefined;
    points.push({ seconds, changes });
  }
  return points;
}

/** errno as strerror words it, for the errors opening a file or entering a folder can give (ENOENT when unknown). */
export function strerror(e: unknown): string {
  return ERRNO_TEXTS[(e as NodeJS.ErrnoException).code ?? ""] ?? "No such file or directory";
}

const ERRNO_TEXTS: Record<string, string> = {
  EACCES: "Permission denied", ENOTDIR: "Not a directory", ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long", EISDIR: "Is a directory", EMFILE: "Too many open files",
};

/** Why `dir` cannot be the working folder, as chdir's error text ("No such file or directory"); chdir also needs search permission. */
function directoryProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isDirectory()) return ERRNO_TEXTS.ENOTDIR;
    accessSync(path, constants.X_OK);
    return undefined;
  } catch (e) {
    return strerror(e);
  }
}

function checkFileName(v: string): string | undefined {
  return v.includes("/") ? "dbfilename can't be a path, just a filename" : undefined;
}

const MEMORY_UNITS: Record<string, bigint> = { "": 1n, b: 1n, k: 1000n, kb: 1024n, m: 1000n ** 2n, mb: 1024n ** 2n, g: 1000n ** 3n, gb: 1024n ** 3n };
const U64 = 2n ** 64n;

/**
 * Redis's memtoull: digits and an optional unit ("512mb", "1gb", "100k"), as a 64-bit
 * unsigned value. As in Redis, no digits read as 0 ("" and "kb" are 0), a count past 2^64-1
 * stops there (strtoull), and the product wraps.
 */
function memtoull(text: string): bigint | undefined {
  let digits = 0;
  while (digits < text.length && text.charCodeAt(digits) >= 48 && text.charCodeAt(digits) <= 57) digits++;
  const unit = MEMORY_UNITS[text.slice(digits).toLowerCase()];
  if (unit === undefined || digits >= 128) return undefined;
  const count = digits === 0 ? 0n : BigInt(text.slice(0, digits));
  return BigInt.asUintN(64, (count < U64 ? count : U64 - 1n) * unit);
}

/** memtoull as a number (exact below 2^53): "512mb", "1gb", "100k" or a plain byte count. */
export function parseMemory(text: string): number | undefined {
  const n = memtoull(text);
  return n === undefined ? undefined : Number(n);
}

/** A parameter's bound exactly: 2^63 and 2^64 stand for LLONG_MAX and ULLONG_MAX. */
function bigBound(n: number): bigint {
  return n >= LLONG_MAX ? BigInt(n) - 1n : BigInt(n);
}

/**
 * Redis's numeric parameters: a memory value or a plain integer (string2ll) held as a
 * 64-bit integer, then checked against the bounds as the parameter's C type compares
 * (unsigned ones see -1 as 2^64-1). The stored text, or the error Redis gives.
 */
function normalizeNumber(param: Param, raw: string): { value: string } | { error: string } {
  let n: bigint | undefined;
  if (param.type === "memory") {
    const u = memtoull(raw);
    if (u === undefined) return { error: "argument must be a memory value" };
    n = BigInt.asIntN(64, u);
  } else {
    n = stringToInt64(raw);
    if (n === undefined) return { error: "argument couldn't be parsed into an integer" };
  }
  if (param.min !== undefined && param.max !== undefined) {
    const [low, high] = [bigBound(param.min), bigBound(param.max)];
    const compared = param.unsigned ? BigInt.asUintN(64, n) : n;
    if (compared < low || compared > high) return { error: `argument must be between ${low} and ${high} inclusive` };
  }
  // CONFIG GET prints a memory parameter unsigned.
  return { value: String(param.type === "memory" ? BigInt.asUintN(64, n) : n) };
}

/**
 * Validate and normalise a value for a parameter: the stored text, or an error text. A
 * parameter that merges (client-output-buffer-limit) combines it with `current`.
 */
export function normalize(param: Param, raw: string, current = param.default): { value: string } | { error: string } {
  switch (param.type) {
    case "int":
    case "memory": {
      const number = normalizeNumber(param, raw);
      if ("error" in number) return number;
      raw = number.value;
      break;
    }
    case "bool": {
      const v = raw.toLowerCase();
      if (v !== "yes" && v !== "no") return { error: "argument must be 'yes' or 'no'" };
      raw = v;
      break;
    }
    case "enum": {
      const v = raw.toLowerCase();
      if (!param.values!.includes(v)) return { error: "argument(s) must be one of the following: " + param.values!.join(", ") };
      raw = v;
      break;
    }
    case "string":
      break;
  }
  const problem = param.check?.(raw);
  if (problem) return { error: problem };
  return { value: param.merge ? param.merge(current, raw) : raw };
}

/** The server's configuration: the current value of every parameter, as text. */
export class Config {
  private readonly values = new Map<string, string>();
  private readonly ints = new Map<string, number>();
  /** Called after a parameter changes at run time (the server applies loglevel, etc.). */
  onChange: (name: string, value: string) => string | undefined = () => undefined;
  /** Runs a parameter's applyAfter step against the server (set by it). */
  runAfter: (apply: NonNullable<Param["applyAfter"]>) => string | undefined = () => undefined;

  /**
   * CONFIG SET's last step: the applyAfter steps of the parameters `names`, each once, with
   * every value in place; the first that fails, with the parameter that brought it.
   */
  applyAfter(names: readonly string[]): { name: string; failure: string } | undefined {
    const steps = new Map<NonNullable<Param["applyAfter"]>, string>();
    for (const name of names) {
      const apply = findParam(name)?.applyAfter;
      if (apply !== undefined && !steps.has(apply)) steps.set(apply, name);
    }
    for (const [apply, name] of steps) {
      const failure = this.runAfter(apply);
      if (failure !== undefined) return { name, failure };
    }
    return undefined;
  }

  constructor(overrides: Record<string, string> = {}) {
    for (const p of PARAMS) this.values.set(p.name, p.default);
    for (const [name, raw] of Object.entries(overrides)) {
      const param = findParam(name);
      if (!param) throw new ConfigError(`unknown option '${name}'`);
      const result = normalize(param, raw);
      if ("error" in result) throw new ConfigError(`invalid value '${raw}' for '${param.name}': ${result.error}`);
      this.values.set(param.name, result.value);
    }
  }

  get(name: string): string {
    return this.values.get(name)!;
  }

  /** A numeric parameter; read on hot paths (proto-max-bulk-len per BITFIELD offset), so kept parsed. */
  int(name: string): number {
    let n = this.ints.get(name);
    if (n === undefined) this.ints.set(name, (n = Number(this.values.get(name))));
    return n;
  }

  /** Set at run time (CONFIG SET); the caller has validated with `normalize`. */
  /** Store and apply a value; the reason when applying it failed (the value is stored still). */
  set(name: string, value: string): string | undefined {
    this.values.set(name, value);
    this.ints.delete(name);
    return this.onChange(name, value);
  }

  /** CONFIG GET's view of a value: `dir` is reported as an absolute path, as Redis does. */
  reported(name: string): string {
    const v = this.get(name);
    return name === "dir" ? resolve(v) : v;
  }
}

export class ConfigError extends Error {}

export const REWRITE_SIGNATURE = "# Generated by CONFIG REWRITE";

/**
 * CONFIG REWRITE (Redis's rewriteConfig): the config file's text with every parameter set to
 * its current value. A directive's first line is replaced in place and its further lines
 * dropped; comments and other lines stay. Parameters not in the file are appended under
 * the signature line when they differ from their defaults; `dir` and `save` are always
 * written, and ACL users as `user` lines unless an ACL file keeps them.
 */
export function rewriteConfig(text: string, config: Config, users: readonly string[] | undefined, forceAll = false): string {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const found = new Map<string, number[]>();
  let hasSignature = false;
  lines.forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === REWRITE_SIGNATURE) hasSignature = true;
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const name = trimmed.split(/\s+/, 1)[0]!.toLowerCase();
    found.set(name, [...(found.get(name) ?? []), i]);
  });
  const processed = new Set<string>();
  const write = (name: string, line: string, force: boolean) => {
    processed.add(name);
    const at = found.get(name)?.shift();
    if (at !== undefined) lines[at] = line;
    else if (force) {
      if (!hasSignature) lines.push("", REWRITE_SIGNATURE);
      hasSignature = true;
      lines.push(line);
    }
  };
  for (const p of PARAMS) {
    const value = config.get(p.name);
    const changed = value !== p.default;
    if (p.name === "save") {
      const points = value.trim().split(/\s+/).filter(Boolean);
      if (points.length === 0) write("save", 'save ""', true);
      for (let i = 0; i + 1 < points.length; i += 2) write("save", `save ${points[i]} ${points[i + 1]}`, true);
    } else if (p.name === "dir") {
      write("dir", `dir ${quote(resolve(value))}`, true);
    } else if (p.name === "client-output-buffer-limit") {
      const defaults = p.default.split(/\s+/);
      const current = value.split(/\s+/);
      for (let i = 0; i + 3 < current.length; i += 4) {
        const [cls, hard, soft, secs] = current.slice(i, i + 4) as [string, string, string, string];
        const same = defaults.slice(i, i + 4).join(" ") === current.slice(i, i + 4).join(" ");
        write(p.name, `${p.name} ${cls === "slave" ? "replica" : cls} ${bytesText(hard)} ${bytesText(soft)} ${secs}`, !same || forceAll);
      }
    } else if (p.name === "replicaof") {
      if (value.trim() !== "") write(p.name, `replicaof ${value.trim()}`, true);
      else processed.add(p.name);
    } else {
      const text = p.type === "string" ? quote(value) : p.type === "memory" ? bytesText(value) : value;
      write(p.name, `${p.name} ${text}`, changed || forceAll);
    }
  }
  if (users !== undefined) for (const user of users) write("user", user, true);
  else processed.add("user");
  // Lines of a rewritten directive beyond the ones it needed are dropped.
  for (const name of processed) for (const at of found.get(name) ?? []) lines[at] = "";
  // Every run of empty lines becomes one.
  const out = lines.filter((line, i) => line !== "" || lines[i - 1] !== "");
  return out.join("\n") + "\n";
}

/** Redis's sdscatrepr of a byte string (one char per byte): a config line's argument reads it back. */
export function quote(value: string): string {
  return repr(Buffer.from(value, "latin1"));
}

/** A byte count as Redis writes it back: in gb, mb or kb when it divides evenly. */
function bytesText(value: string): string {
  const n = Number(value);
  if (!Number.isFinite(n) || n === 0) return value;
  for (const [unit, size] of [["gb", 1024 ** 3], ["mb", 1024 ** 2], ["kb", 1024]] as const) if (n % size === 0) return `${n / size}${unit}`;
  return value;
}
