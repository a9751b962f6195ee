/**
 * The context a command handler sees: its own connection's state, the reply writer, the
 * selected database, and the server's services by name (ACL, pub/sub, replication,
 * persistence, config...), each as the small interface commands need of it. server/
 * implements these (a Client is a Context, the Server is the Services); nothing in
 * commands/ imports server/, so the one arrow between the two runs from the dispatcher down
 * to the command table. A handler never sees a socket.
 */
import type { Config } from "../config.ts";
import type { NotifyClass } from "../keyspace-events.ts";
import type { Logger } from "../log.ts";
import type { Argv } from "../resp/argv.ts";
import type { ReplyWriter } from "../resp/writer.ts";
import type { Database, Keyspace } from "../store/keyspace.ts";
import type { ReplyError } from "../errors.ts";
import type { Command } from "./command.ts";

/** A connection as its commands see it (server/connection.ts's Client is one). */
export interface Context {
  readonly id: number;
  readonly addr: string;
  readonly laddr: string;
  readonly createdAt: number;
  /** The socket's file descriptor (CLIENT LIST's fd), -1 for a client with none (a script's, the AOF's, a master link's). */
  readonly fd: number;
  /** CLIENT LIST's qbuf and argv-mem (see server/connection.ts). */
  readonly queryBufferBytes: number;
  /** CLIENT LIST's qbuf-free: room allocated for the rest of a bulk being received. */
  readonly queryBufferFree: number;
  /** What input holds in memory (tot-mem): the unfinished request whole, the room for its bulk, input waiting. */
  readonly inputBytes: number;
  /** The arguments of an unfinished request parsed so far (argv-mem between reads). */
  readonly partialArgvBytes: number;
  /** Keys WATCHed. */
  readonly watchedKeys: number;
  readonly argvBytes: number;
  readonly lastInteraction: number;
  /** The selected database. */
  db: Database;
  resp: 2 | 3;
  /** Where this command's reply goes; RESP2 and RESP3 differ only inside it. */
  readonly reply: ReplyWriter;
  readonly server: Services;

  name: string;
  libName: string;
  libVer: string;
  /** The last command's full name, for CLIENT LIST's cmd=. */
  lastCommand: string;
  /** The ACL user this connection runs as, and whether it authenticated as that user. */
  readonly user: AclUser;
  readonly authenticated: boolean;
  setUser(user: AclUser, authenticated: boolean): void;

  /** Announce a keyspace event on `key` of the selected database. */
  notify(cls: NotifyClass, event: string, key: string): void;
  /** Whether `notify` of this class would announce anything (notify-keyspace-events). */
  notifies(cls: NotifyClass): boolean;
  /** Replicate this command as `commands` instead of as it was sent. */
  propagateAs(...commands: Array<Array<string | Uint8Array>>): void;
  /** Show argument i as "(redacted)" in the slow log and to MONITOR (a secret). */
  redactArgument(i: number): void;
  /** Replicate this write even if it changed nothing (Redis's forceCommandPropagation). */
  forcePropagation: boolean;
  /** With forcePropagation: to replicas only, not the AOF (PUBLISH). */
  replicasOnly: boolean;

  /** Commands queued since MULTI; undefined outside a transaction. */
  multi: Array<{ cmd: Command; argv: Argv }> | undefined;
  /** The queued commands' memory as Redis counts it (CLIENT LIST's multi-mem), summed as they queue. */
  multiBytes: number;
  /** A queued command was refused: EXEC will answer EXECABORT. */
  multiFailed: boolean;
  /** A WATCHed key changed: EXEC will answer a null array. */
  readonly dirtyCas: boolean;
  /** While EXEC runs the queue. */
  inExec: boolean;
  /**
   * While EXEC runs, what CLIENT INFO shows as Redis does until EXEC ends: its queue's
   * length (multi=) and EXEC's own arguments (argv-mem=).
   */
  execShown: { length: number; argvBytes: number } | undefined;
  /** The client scripts run their commands as (Redis's CLIENT_SCRIPT). */
  readonly fromScript: boolean;
  /**
   * SCRIPT DEBUG: its next EVAL runs in the Lua debugger (src/scripting/debugger.ts); after
   * YES, its changes are undone at the session's end (src/scripting/rollback.ts).
   */
  scriptDebug: "no" | "yes" | "sync";
  /** Whether replies wait to be written out (this read's, or what the socket did not take). */
  readonly repliesPending: boolean;
  watch(key: string): void;
  unwatchAll(): void;
  watchedKeyExpired(): boolean;
  discardTransaction(): void;
  /** Run a command EXEC took from the queue: its ACL checked again, then called. */
  callQueued(cmd: Command, argv: Argv): void;

  readonly channels: ReadonlySet<string>;
  readonly patterns: ReadonlySet<string>;
  readonly shardChannels: ReadonlySet<string>;
  /** Subscribed to anything: in RESP2 the connection then carries messages. */
  readonly subscribed: boolean;
  /** CLIENT TRACKING's state while it is on. */
  tracking: TrackingState | undefined;

  /** CLIENT REPLY: "skip-next" is set by SKIP and becomes "skip" for the command after it. */
  replyMode: "on" | "off" | "skip-next" | "skip";
  /** Cluster: READONLY was sent (reads of the master's slots are served here), ASKING for the next command. */
  readonlyCluster: boolean;
  asking: boolean;
  noEvict: boolean;
  noTouch: boolean;
  /** Whether a command holds this client (blocked on keys, WAIT, CLIENT PAUSE). */
  readonly isBlocked: boolean;
  /** Blocked on keys (BLPOP and the family, XREAD BLOCK), as opposed to WAIT or a pause. */
  readonly blockedOnKeys: object | undefined;
  /** Bytes waiting for the socket to drain (CLIENT LIST's omem). */
  readonly outputPending: number;

  /** Set when this connection is a replica's link to its master. */
  readonly masterLink?: { sendAck(): void };
  /** Connected through the Unix socket (unixsocket). */
  readonly unixSocket: boolean;
  /** Connected through tls-port. */
  readonly tls: boolean;
  /** The master's stream or the AOF being loaded: applied whatever the server's state (mustObeyClient). */
  readonly mustObey: boolean;
  /** Set once this connection has become a replica (REPLCONF, then PSYNC). */
  readonly replica: ReplicaInfo | undefined;

  /** Send what this read's replies hold so far, before anything the command writes directly. */
  flush(): void;
  /** Close once the pending replies are out (QUIT). */
  close(): void;
  /** Whether the reply being built passed the client's hard output limit (the client is then closed): long replies stop. */
  replyOverLimit(): boolean;
  /**
   * Closed by the server (CLIENT KILL, an ACL change): gone from the client list, its
   * subscriptions and waits at once, as Redis frees it, whatever the peer does next.
   */
  kill(): void;
  /** Close at once, dropping what waits to be sent. */
  terminate(): void;
  /** Set by QUIT and CLIENT KILL of oneself: close once the replies are out. */
  closeAfterReply: boolean;
}

/**
 * A connection as a service's method takes it: a handler passes its own Context, or another
 * client's. It is typed by its id alone so that the server's methods can take their Client:
 * Client -> Context -> Services -> Client is a loop the type checker cannot follow through
 * method parameters, and every Context the server receives is one of its Clients.
 */
export type ClientRef = { readonly id: number };

/** The server's services, by name, as commands use them (server/server.ts's Server is one). */
export interface Services {
  readonly keyspace: Keyspace;
  /** DEBUG PAUSE-CRON: the periodic job skips its work while set. */
  cronPaused: boolean;
  readonly config: Config;
  /** The command table (commands/table.ts), as COMMAND and ACL read it. */
  readonly commands: CommandTable;
  readonly log: Logger;
  /** The connected client with this id, if any. */
  client(id: number): Context | undefined;
  /** Every connected client, in the order they connected. */
  clientList(): Context[];
  /** DEBUG CLIENT-EVICTION: the clients eviction may close, by size, the caller left out; undefined while maxmemory-clients is off. */
  clientEvictionReport(callerId: number): string | undefined;
  readonly acl: AclService;
  readonly pubsub: PubSubService;
  readonly tracking: TrackingService;
  readonly notifier: { emit(cls: NotifyClass, event: string, key: string, db: number): void; emptied(key: string, db: number): void; flushDeleted(): void };
  readonly blocking: BlockingService;
  readonly pausing: { pause(ms: number, all: boolean): void; unpause(): void };
  /** MIGRATE: move or copy keys (all present in the client's database) to another server; the client gets the reply when it is done. */
  readonly migrator: { start(c: ClientRef, request: MigrateRequest): void };
  readonly propagation: {
    readonly wanted: boolean;
    beginTransaction(): void;
    endTransaction(c: ClientRef): void;
    /** DEBUG REPLICATE: `command` to the replicas alone, not run here (a master's only). */
    toReplicasOnly(db: number, command: Array<string | Uint8Array>): void;
  };
  readonly replication: ReplicationService;
  /** Set while this server is a replica. */
  readonly replicaLink: ReplicaLinkView | undefined;
  readonly persistence: PersistenceService;
  readonly aof: AofService;
  readonly slowlog: { entries: SlowlogEntry[] };
  readonly latency: LatencyService;
  readonly monitors: { add(c: ClientRef): void; has(c: ClientRef): boolean };
  /** Show a request to the MONITOR clients (commands hidden from MONITOR that show themselves, as EVAL). */
  feedMonitors(c: ClientRef, argv: Argv): void;
  readonly scripting: ScriptingService;
  /** The config file the server was started with ("" when none): CONFIG REWRITE writes it. */
  readonly configFile: string;
  /** DEBUG RESTART (graceful) and CRASH-AND-RECOVER: start again in this process (server/restart.ts); returns only when it cannot. */
  restart(graceful: boolean, delayMs: number, rewriteConfig: () => void): void;
  /** The TCP port listened on. */
  readonly port: number;
  /** While the dataset loads (start-up, a replica's sync): most commands are answered -LOADING. */
  readonly loadingDataset: boolean;
  /** CONFIG SET port/bind: listen on these, then stop the old listeners; the reason when it cannot. */
  listenAnew(bind: string, port: number): string | undefined;

  /** The text of INFO for the sections asked for (server/info.ts). */
  info(sections: string[]): string;
  /** MEMORY STATS's fields, in Redis's order (server/info.ts). */
  memoryStats(): StatField[];
  /** CONFIG RESETSTAT. */
  resetStats(): void;
  /** SHUTDOWN: the client waits while replicas catch up, gets an error if the shutdown fails; ABORT cancels one (false: none). */
  readonly shutdown: { command(c: ClientRef, flags: ShutdownFlags): void; abort(): boolean };
  /** REPLICAOF NO ONE (`why` for the log: a user's request by default). */
  promote(why?: string): void;
  /** FAILOVER (replication/failover.ts). */
  readonly failover: FailoverService;
  /** REPLICAOF host port. */
  follow(host: string, port: number, by?: string): void;
  /** Set with cluster-enabled yes (src/cluster/). */
  readonly cluster: ClusterService | undefined;
}

export interface CommandTable {
  /** The top-level commands, sorted by name. */
  all(): readonly Command[];
  /** Every command, each container followed by its subcommands. */
  every(): readonly Command[];
  /** A command by its full name ("get", "config|get"). */
  find(fullName: string): Command | undefined;
  /** The command a request names: a container's subcommand when it has them. */
  lookup(argv: Argv): Command | undefined;
}

/** SHUTDOWN's options (or those of shutdown-on-sigterm/sigint). */
export interface ShutdownFlags {
  save?: boolean;
  nosave?: boolean;
  now?: boolean;
  force?: boolean;
}

/** A field of MEMORY STATS: an integer, a double, or a map of fields. */
export type StatField = [name: string, value: number, kind: "integer" | "double"] | [name: string, fields: StatField[]];

/** Why an ACL check refused a request. */
export const enum Denied {
  None = 0,
  Command = 1,
  Key = 2,
  Auth = 3,
  Channel = 4,
}

export interface AclSelector {
  describeCommands(): string;
  describeKeys(): string[];
  describeChannels(): string[];
}

export interface AclUser {
  readonly name: string;
  /** No password needed (the default user until requirepass is set). */
  readonly nopass: boolean;
  /** Allowed everything: the dispatcher skips the check. */
  readonly unrestricted: boolean;
  readonly passwords: readonly string[];
  /** The root selector first, then the others. */
  readonly selectors: readonly AclSelector[];
  readonly root: AclSelector;
  flagNames(): string[];
  check(cmd: Command, argv: Argv): { denied: Denied; pos: number };
  /** Whether the request may read every key (SORT's BY and GET patterns). */
  readsEveryKey(cmd: Command, argv: Argv): boolean;
}

export interface AclLogEntry {
  count: number;
  reason: "command" | "key" | "channel" | "auth";
  context: "toplevel" | "multi" | "lua";
  object: string;
  username: string;
  ctime: number;
  clientInfo: string;
}

export interface AclService {
  readonly users: ReadonlyMap<string, AclUser>;
  readonly defaultUser: AclUser;
  readonly authRequired: boolean;
  log: AclLogEntry[];
  /** The user these credentials log in as, if any. */
  credentials(username: string, password: string): AclUser | undefined;
  /** Apply rules to a user (created if new); the first failing rule, if one fails. */
  setUser(name: string, rules: string[]): { rule: string; error: { reason: string } } | undefined;
  deleteUsers(names: string[]): number;
  /** Every user as an ACL file line. */
  describeAll(): string[];
  sortedUsers(): AclUser[];
  /** ACL LOAD: the error text when the file is refused. */
  loadFile(path: string): string | undefined;
  saveFile(path: string): boolean;
  addLog(c: ClientRef, reason: AclLogEntry["reason"], object: string, username?: string): void;
}

export type SubscriptionKind = "channel" | "pattern" | "shard";

export interface PubSubService {
  /** Subscribers by channel, pattern and shard channel: PUBSUB counts them. */
  readonly channels: ReadonlyMap<string, { readonly size: number }>;
  readonly patterns: ReadonlyMap<string, { readonly size: number }>;
  readonly shardChannels: ReadonlyMap<string, { readonly size: number }>;
  subscribe(c: ClientRef, kind: SubscriptionKind, name: string): void;
  unsubscribe(c: ClientRef, kind: SubscriptionKind, name: string): void;
  unsubscribeAll(c: ClientRef): void;
  /** The number of clients that received the message. */
  publish(channel: string, message: Uint8Array, from: ClientRef | undefined, shard?: boolean): number;
}

export interface TrackingState {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING YES (OPTIN) or NO (OPTOUT), for the next command only. */
  caching: boolean;
  brokenRedirect: boolean;
  prefixes: Set<string>;
}

export interface TrackingService {
  enable(c: ClientRef, redirect: number, opts: { bcast: boolean; optin: boolean; optout: boolean; noloop: boolean }, prefixes: string[]): void;
  disable(c: ClientRef): void;
  /** The whole keyspace changed (FLUSHALL, FLUSHDB). */
  flushed(): void;
}

export interface BlockingService {
  /**
   * Wait on `keys` until `attempt` serves the client or `timeoutMs` passes (0: forever).
   * `countsServe` false: what the serve changes is replicated but not counted for save
   * points, as Redis's serveClientBlockedOnList counts none for BLPOP, BRPOP, BLMOVE and
   * BRPOPLPUSH.
   */
  block(c: ClientRef, keys: string[], timeoutMs: number, attempt: (readyKey?: string) => boolean, triedWhenGone?: boolean, countsServe?: boolean): void;
  /** CLIENT UNBLOCK: release a client blocked on keys with a timeout's reply or an error; false if it was not. */
  unblock(c: ClientRef, withError: boolean): boolean;
}

/** What a replica told its master in REPLCONF, and where its sync stands. */
export interface ReplicaInfo {
  /** REPLCONF listening-port / ip-address, before and after PSYNC. */
  port: number;
  ip: string;
  capaEof: boolean;
  capaPsync2: boolean;
  /** REPLCONF rdb-only 1 (redis-cli --rdb): the snapshot alone, then the link closes. */
  rdbOnly: boolean;
  /** REPLCONF rdb-filter-only (redis-cli --functions-rdb): what the snapshot leaves out. */
  excludeData: boolean;
  excludeFunctions: boolean;
  /** Synced with SYNC, the form before PSYNC: it never sends REPLCONF ACK. */
  legacySync: boolean;
  state: "wait_bgsave" | "send_bulk" | "online";
  ackOffset: number;
  ackTime: number;
  /** Stream bytes held back while its snapshot is sent. */
  held: Uint8Array[];
  /** The snapshot went out in the EOF form: the first ACK puts the replica online. */
  onlineOnAck: boolean;
  /** PSYNC (told +FULLRESYNC when its snapshot starts), not SYNC. */
  announce: boolean;
  /** Waiting for a diskless snapshot to start (repl-diskless-sync-delay, or one in progress). */
  awaitingSnapshot: boolean;
}

/** A cluster node as CLUSTER's subcommands read it (cluster/nodes.ts's ClusterNode). */
export interface ClusterNodeView {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
  readonly hostname: string;
  readonly isMaster: boolean;
  readonly isReplica: boolean;
  readonly failed: boolean;
  readonly timedOut: boolean;
  readonly numSlots: number;
  readonly configEpoch: number;
  /** The config epoch that counts for its slots: its master's for a replica. */
  readonly effectiveEpoch: number;
  readonly replOffset: number;
  readonly master: ClusterNodeView | undefined;
  readonly replicas: readonly ClusterNodeView[];
  readonly link: { readonly ctime: number; readonly pendingBytes: number } | undefined;
  slotRanges(): ReadonlyArray<[number, number]>;
}

/** The cluster as commands/cluster.ts drives it (cluster/cluster.ts implements it). */
export interface ClusterService {
  readonly nodes: ReadonlyMap<string, ClusterNodeView>;
  readonly myself: ClusterNodeView;
  readonly currentEpoch: number;
  readonly stateOk: boolean;
  readonly size: number;
  /** Bus messages sent and received, by type, and the types' names. */
  readonly messageTypes: readonly string[];
  /** Links closed for holding more than cluster-link-sendbuf-limit. */
  readonly linksOverLimit: number;
  readonly sent: readonly number[];
  readonly received: readonly number[];
  readonly replicationOffset: number;
  /** DEBUG DROP-CLUSTER-PACKET-FILTER: bus messages of this type are dropped as they arrive (-1: none). */
  dropPacketFilter: number;
  /** The node serving each slot, and the slots being migrated to or imported from a node. */
  readonly slots: ReadonlyArray<ClusterNodeView | undefined>;
  readonly migratingTo: ReadonlyArray<ClusterNodeView | undefined>;
  readonly importingFrom: ReadonlyArray<ClusterNodeView | undefined>;
  lookup(name: string): ClusterNodeView | undefined;
  /** The endpoint clients are told for a node (cluster-preferred-endpoint-type). */
  preferredEndpoint(node: ClusterNodeView): string;
  /** The node's CLUSTER NODES line (the open slots on myself's), with the port a client over TLS (or not) is told. */
  describe(node: ClusterNodeView, tlsClient?: boolean): string;
  /** The port a client is told for a node: its plain one for a plain client under tls-cluster. */
  clientPort(node: ClusterNodeView, tlsClient: boolean): number;
  addSlot(node: ClusterNodeView, slot: number): boolean;
  delSlot(slot: number): boolean;
  delNodeSlots(node: ClusterNodeView): number;
  setMigrating(slot: number, to: ClusterNodeView | undefined): void;
  setImporting(slot: number, from: ClusterNodeView | undefined): void;
  setMyConfigEpoch(epoch: number): void;
  bumpEpochWithoutConsensus(): boolean;
  failureReports(node: ClusterNodeView): number;
  countKeysInSlot(slot: number): number;
  keysInSlot(slot: number, max: number): string[];
  meet(ip: string, port: number, cport: number): boolean;
  forget(node: ClusterNodeView): void;
  setMyMaster(master: ClusterNodeView): void;
  startManualFailover(mode: "default" | "force" | "takeover"): void;
  reset(hard: boolean): void;
  saveConfig(fsync?: boolean): string | undefined;
  links(): Array<{ direction: string; node: ClusterNodeView; link: { readonly ctime: number; readonly pendingBytes: number } }>;
  /** The configuration changed: save it and recompute the state. */
  changed(): void;
  /** DEBUG CLUSTERLINK KILL: close the bus link to the node, from it, or both. */
  killLinks(node: ClusterNodeView, direction: "to" | "from" | "all"): void;
  /** PUBLISH to every node over the bus; SPUBLISH (shard) to the nodes of this shard. */
  publish(channel: Uint8Array, message: Uint8Array, shard: boolean): void;
}

export interface ReplicationService {
  readonly offset: number;
  readonly replid: string;
  isReplica(c: ClientRef): boolean;
  /** The replicas' connections, in the order they attached. */
  replicaList(): Context[];
  /** A client's REPLCONF state, made on its first REPLCONF. */
  infoOf(c: ClientRef): ReplicaInfo;
  psync(c: ClientRef, replid: string, offset: string): void;
  /** SYNC: a full sync without the +FULLRESYNC line. */
  sync(c: ClientRef): void;
  ack(c: ClientRef, offset: number): void;
  /** WAIT: reply now or block until enough replicas acknowledge. */
  wait(c: ClientRef, wanted: number, timeoutMs: number): void;
  changeReplid(): void;
}

export interface FailoverService {
  readonly state: "no-failover" | "waiting-for-sync" | "failover-in-progress";
  start(request: { host: string | undefined; port: number; timeoutMs: number; force: boolean }): void;
  /** FAILOVER ABORT; false when none is in progress. */
  abortByUser(): boolean;
}

export interface ReplicaLinkView {
  readonly host: string;
  readonly port: number;
  /** ROLE's state word: connect, connecting, sync or connected. */
  readonly roleState: string;
  readonly reploff: number;
  /** Streaming from the master (its client exists). */
  readonly linkUp: boolean;
}

export interface PersistenceService {
  readonly lastSave: number;
  readonly bgsaveInProgress: boolean;
  bgsaveScheduled: boolean;
  save(): boolean;
  bgsave(): void;
  /** FLUSHALL done: with save points set, the empty dataset saved at once. */
  flushed(): void;
  /**
   * DEBUG RELOAD: save (unless told not to), empty (unless told not to) and load the dump,
   * then answer `c` (at once, or once loaded); throws Redis's error when the save fails.
   * `merge`: a function library already loaded is replaced rather than an error.
   */
  reload(c: ClientRef, flush: boolean, save: boolean, merge: boolean): void;
}

export interface AofService {
  readonly rewriting: boolean;
  /** DEBUG AOF-FLUSH-SLEEP: microseconds to wait before each write of the AOF buffer (0: none). */
  flushSleepUs: number;
  startRewrite(later?: boolean): "started" | "scheduled" | "in-progress";
  /** DEBUG LOADAOF: empty the dataset and replay the AOF, then answer `c` (at once, or once loaded); throws Redis's error when there is no AOF. */
  reload(c: ClientRef): void;
}

export interface SlowlogEntry {
  id: number;
  /** Unix time in seconds when the command ended. */
  time: number;
  usec: number;
  args: string[];
  addr: string;
  name: string;
}

export interface LatencyService {
  readonly events: ReadonlyMap<string, { samples: Array<{ time: number; latency: number }>; max: number }>;
  reset(events: string[]): number;
  doctor(): string;
  /** LATENCY GRAPH of an event; undefined when it has no samples. */
  graph(event: string, nowSeconds: number): string | undefined;
  /** LATENCY HISTOGRAM's calls and cumulative distribution of a command's latency buckets. */
  histogram(buckets: readonly number[]): { calls: number; cdf: Array<[usec: number, calls: number]> };
}

/**
 * What a handler of a command that may block does: serve at once, else wait for `keys`.
 * `attempt` looks at every key in order when called at once; woken, it is given the key
 * that became ready and must look at that one alone, as Redis serves a waiter from the key
 * signalled (an earlier key that now holds another type is no WRONGTYPE then).
 */
export function serveOrBlock(c: Context, keys: string[], timeoutMs: number, attempt: (readyKey?: string) => boolean, countsServe = true): void {
  if (attempt()) return;
  // Inside a transaction nothing blocks: the answer is null at once, as in Redis.
  if (c.inExec) return c.reply.nullArray();
  c.server.blocking.block(c, keys, timeoutMs, attempt, false, countsServe);
}

/** Script flags: a shebang's `flags=` and register_function's `flags` (lua-glue.c numbers them so too). */
export const SCRIPT_NO_WRITES = 1;
export const SCRIPT_ALLOW_OOM = 2;
export const SCRIPT_ALLOW_STALE = 4;
export const SCRIPT_NO_CLUSTER = 8;
export const SCRIPT_ALLOW_CROSS_SLOT = 16;
/** No shebang: an EVAL script as before Redis 7, with the old rules. */
export const SCRIPT_EVAL_COMPAT = 32;

/** The flags' names, in the order FUNCTION LIST shows them. */
export const SCRIPT_FLAG_NAMES: ReadonlyArray<[name: string, flag: number]> = [
  ["no-writes", SCRIPT_NO_WRITES],
  ["allow-oom", SCRIPT_ALLOW_OOM],
  ["allow-stale", SCRIPT_ALLOW_STALE],
  ["no-cluster", SCRIPT_NO_CLUSTER],
  ["allow-cross-slot-keys", SCRIPT_ALLOW_CROSS_SLOT],
];

/** A script in EVAL's cache. */
export interface EvalScript {
  /** Its sha1, lowercase hex. */
  sha: string;
  body: Uint8Array;
  flags: number;
  /** The compiled function in the EVAL engine. */
  ref: number;
}

/** A function a library registered (redis.register_function). */
export interface ScriptFunction {
  name: string;
  /** The callback's reference in the engine's registry. */
  ref: number;
  /** Script flags (no-writes, allow-oom...), as src/scripting/runtime.ts numbers them. */
  flags: number;
  description: string | undefined;
  library: ScriptLibrary;
}

export interface ScriptLibrary {
  name: string;
  /** The whole payload FUNCTION LOAD was given, shebang included (what DUMP and RDB keep). */
  code: Uint8Array;
  functions: Map<string, ScriptFunction>;
}

/** EVAL's script cache and FUNCTION's libraries (src/scripting/runtime.ts). */
export interface ScriptingService {
  /** Cache a script (SCRIPT LOAD, EVAL): the cached script, or its shebang or compile error. */
  loadScript(body: Uint8Array): EvalScript | ReplyError;
  hasScript(sha: string): boolean;
  /** How many scripts are cached. */
  readonly scriptCount: number;
  /** The cached script argv[1] names: its body (EVAL) or its sha1 in either case (EVALSHA). */
  findScript(argv: Argv, bySha: boolean): EvalScript | undefined;
  /** The function argv[1] names (FCALL), case-insensitively. */
  findFunction(argv: Argv): ScriptFunction | undefined;
  /** The flags of a script not cached yet, from its shebang; undefined when it has an invalid one. */
  shebangFlags(body: Uint8Array): number | undefined;
  flushScripts(): void;
  /** Run a cached script; its reply goes to the caller. Throws the errors that stop it from starting. */
  /** Run a cached script with argv[3...] as its keys (`nkeys` of them) and arguments. */
  evalScript(caller: ClientRef, script: EvalScript, argv: Argv, nkeys: number, readOnly: boolean): void;
  /** Whether the Lua debugger can run here: it reads and writes the client's socket through libc (glibc). */
  readonly canDebug: boolean;
  /** EVAL after SCRIPT DEBUG SYNC: the script runs in the Lua debugger, then the connection closes. */
  debugScript(caller: ClientRef, script: EvalScript, argv: Argv, nkeys: number, readOnly: boolean): void;
  readonly libraries: ReadonlyMap<string, ScriptLibrary>;
  readonly functions: ReadonlyMap<string, ScriptFunction>;
  loadLibrary(code: Uint8Array, replace: boolean): string | ReplyError;
  deleteLibrary(name: string): boolean;
  flushFunctions(): void;
  callFunction(caller: ClientRef, fn: ScriptFunction, argv: Argv, nkeys: number, readOnly: boolean): void;
  /** DEBUG SET-DISABLE-DENY-SCRIPTS. */
  allowNoscript: boolean;
  /** SCRIPT KILL (`isEval`) or FUNCTION KILL: the error that refuses it, or undefined. */
  kill(isEval: boolean): ReplyError | undefined;
  /** The script running past busy-reply-threshold (while its hook serves clients). */
  readonly timedOut: boolean;
  readonly runningScript: { name: string; argv: Argv; started: number } | undefined;
  /** SHUTDOWN NOSAVE during a busy script: the script stops so that the server can go. */
  abortForShutdown(): void;
  /** The -BUSY error for the running script. */
  busyError(): ReplyError;
  dump(compression: boolean): Uint8Array;
  restore(payload: Uint8Array, policy: "append" | "replace" | "flush"): ReplyError | "payload" | undefined;
}

/** What MIGRATE was asked to do, its arguments checked. */
export interface MigrateRequest {
  host: string;
  port: number;
  db: number;
  timeoutMs: number;
  copy: boolean;
  replace: boolean;
  username: string | undefined;
  password: string | undefined;
  keys: string[];
}

/** A peer as Redis names it (anetFormatAddr): ip:port, an IPv6 address in brackets ([::1]:6379). */
export function peerId(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The IP address in a peerId, without its port or brackets. */
export function peerIp(addr: string): string {
  const ip = addr.slice(0, addr.lastIndexOf(":"));
  return ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
}

/** A loopback address: 127.0.0.0/8, ::1, or IPv4 mapped into IPv6. */
export function isLoopback(address: string): boolean {
  return address === "::1" || /^(::ffff:)?127\./.test(address);
}

/**
 * Whether a client may do what `enable-debug-command` or `enable-protected-configs`
 * guards ("no", "yes", or "local": the Unix socket and loopback clients only), as Redis's
 * allowProtectedAction.
 */
export function protectedActionAllowed(setting: string, client: Context): boolean {
  if (setting === "yes") return true;
  return setting === "local" && (client.unixSocket || isLoopback(peerIp(client.addr)));
}
