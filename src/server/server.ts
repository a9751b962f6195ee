/**
 * Server: owns the listening socket, the client registry, the keyspace, the shared reply
 * writer, statistics and the cron timer, and performs graceful shutdown. Start-up order is
 * Redis's: load the dataset, then listen, then log "Ready to accept connections".
 */
import { Cluster } from "../cluster/cluster.ts";
import { KVIS_VERSION, REDIS_VERSION } from "../version.ts";
import type { TCPSocketListener } from "bun";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Config, type OutputLimit, type OutputLimits, PARAMS, type TitleVariables, expandTitle, findParam, parseOutputLimits } from "../config.ts";
import { ConfigAbort } from "../config-file.ts";
import { adjustOpenFilesLimit } from "./open-files.ts";
import { encodingLimits } from "../store/encoding.ts";
import { type Renames, allCommands, everyCommand, findCommand, lookupRequest } from "../commands/table.ts";
import { Logger, type LogLevel, stdoutIsTerminal } from "../log.ts";
import { MAX_CLIENTS, PROTECTED_MODE, type ReplyError } from "../errors.ts";
import { ReplyWriter, encodeReply } from "../resp/writer.ts";
import { Keyspace } from "../store/keyspace.ts";
import { type LoadStep, loadRdbSteps } from "../persistence/rdb-reader.ts";
import { Scripting } from "../scripting/runtime.ts";
import type { Argv } from "../resp/argv.ts";
import { monitorLine } from "./monitor.ts";
import { acceptNow, rawSocket, setBacklog, setSocketMark } from "./poll.ts";
import { type RdbOptions, accessSaved } from "../persistence/rdb-writer.ts";
import { Client } from "./connection.ts";
import { startCron } from "./cron.ts";
import { Persistence } from "./persistence.ts";
import { Blocking } from "./blocking.ts";
import { parseNotifyFlags } from "../keyspace-events.ts";
import { Notifier } from "./notify.ts";
import { Pausing } from "./pausing.ts";
import { Shutdown } from "./shutdown.ts";
import { restartServer } from "./restart.ts";
import { OPENSSL_REASONS, type TlsContexts, TlsConfigError, handshakeFailure, tlsContexts, tlsWanted } from "./tls.ts";
import { notifySystemd } from "./supervised.ts";
import { Slowlog } from "./slowlog.ts";
import { mergeSelectorArgs } from "../commands/acl.ts";
import { type CommandTable, type Services, type StatField, isLoopback, peerId } from "../commands/context.ts";
import { Acl } from "./acl.ts";
import { buildInfo, memoryStats } from "./info.ts";
import { Tracking } from "./tracking.ts";
import { InstantaneousMetrics } from "./metrics.ts";
import { Failover } from "../replication/failover.ts";
import { randomHex } from "../resp/bytes.ts";
import { Syslog } from "./syslog.ts";
import { LatencyMonitor } from "./latency.ts";
import { PubSub } from "./pubsub.ts";
import { ReplicationMaster } from "../replication/master.ts";
import { ReplicaLink } from "../replication/replica.ts";
import { AppendOnly } from "./aof.ts";
import { TurnOutput } from "./turn-output.ts";
import { Propagation } from "./propagate.ts";
import { Evictor } from "./evict.ts";
import { Migrator } from "./migrate.ts";
import { join } from "node:path";
import { CLIENT_BYTES } from "../store/memory-usage.ts";
import { setProcTitle, startedAs } from "./proc-title.ts";
import { clientEvictionBuckets, clientEvictionLimit, evictClients } from "./client-eviction.ts";

export interface ServerStats {
  totalConnections: number;
  rejectedConnections: number;
  /** Errors answered to the master's stream or the AOF (unexpected_error_replies). */
  unexpectedErrorReplies: number;
  /** Clients closed for maxmemory-clients (evicted_clients). */
  evictedClients: number;
  totalCommands: number;
  netInputBytes: number;
  netOutputBytes: number;
  /** What the master sent (on a replica) and what replicas were sent (on a master). */
  netReplInputBytes: number;
  netReplOutputBytes: number;
  /** Socket reads, and writes of replies (INFO total_reads_processed, total_writes_processed). */
  readsProcessed: number;
  writesProcessed: number;
  totalErrorReplies: number;
  /** Full and partial resyncs served to replicas (INFO sync_full, sync_partial_ok/err). */
  syncFull: number;
  syncPartialOk: number;
  syncPartialErr: number;
  /** Error replies by their first word (ERR, WRONGTYPE...), for INFO errorstats. */
  errors: Map<string, number>;
}

export interface StartOptions {
  /** Silence logging (tests running servers in-process). */
  quiet?: boolean;
}

export class Server implements Services {
  readonly config: Config;
  readonly commands: CommandTable = { all: allCommands, every: everyCommand, find: findCommand, lookup: lookupRequest };
  readonly log = new Logger();
  readonly keyspace: Keyspace;
  readonly clients = new Map<number, Client>();
  /** The reply buffer of the read being served (another one while a long script runs: processEventsWhileBlocked). */
  writer = new ReplyWriter();
  private busyWriter = new ReplyWriter();
  readonly startTime = Date.now();
  readonly runId = randomHex(40);
  nextClientId = 1;
  readonly persistence = new Persistence(this);
  readonly replication: ReplicationMaster;
  readonly aof = new AppendOnly(this);
  /** Small replies held to the end of the event loop's turn, written after the AOF. */
  readonly turnOutput = new TurnOutput(() => this.aof.write());
  /** Set while other clients are served during a long script: their replies go at once. */
  servingWhileBusy = false;
  readonly propagation = new Propagation(this);
  readonly evictor = new Evictor(this);
  /** MIGRATE's transfers and cached connections. */
  readonly migrator = new Migrator(this);
  /** maxmemory in bytes (0: no limit), kept as a number for the check before every command. */
  maxmemory = 0;
  /** Memory was over maxmemory before the running command, after evictions (Redis's pre_command_oom_state). */
  preCommandOom = false;
  readonly pubsub = new PubSub();
  readonly blocking = new Blocking(this);
  readonly notifier = new Notifier(this);
  readonly pausing: Pausing;
  /** SHUTDOWN and the signals: waiting for replicas, the final save, SHUTDOWN ABORT (server/shutdown.ts). */
  readonly shutdown = new Shutdown(this);
  readonly slowlog: Slowlog;
  readonly acl: Acl;
  readonly tracking = new Tracking(this);
  readonly latency = new LatencyMonitor();
  readonly failover = new Failover(this);
  /** Set with cluster-enabled yes. */
  readonly cluster: Cluster | undefined;
  /** INFO's instantaneous_* rates, sampled by the cron. */
  readonly metrics = new InstantaneousMetrics();
  /** latency-tracking: keep each command's latency histogram. */
  latencyTracking = true;
  readonly scripting = new Scripting(this);
  /** Clients in MONITOR mode. */
  readonly monitors = new Set<Client>();
  /**
   * The client whose command is running: the caller of a script or EXEC, not the script
   * client (Redis's current_client). Its own notifications go into its reply buffer.
   */
  executing: Client | undefined;
  stats: ServerStats = newStats();
  /** The config file given on the command line, for INFO's config_file and CONFIG REWRITE. */
  configFile = "";
  /** `user` lines of the config file: ACL users created at start-up. */
  configUsers: string[][] = [];
  /** rename-command: commands reachable under new names, and those no longer under their own. */
  /** rename-command's lines, applied while the config was read (main.ts). */
  renamed: Renames | undefined;
  lastLoad = { keys: 0, expired: 0 };
  /** Set while this server is a replica (`replicaof`). */
  replicaLink: ReplicaLink | undefined;
  private memoryPeak = 0;
  /** The process's encoding limits (store/encoding.ts), set from this server's configuration. */
  readonly encodingLimits = encodingLimits;
  /** DEBUG PAUSE-CRON: the cron skips its work (Redis's pause_cron). */
  cronPaused = false;
  /** How many times the cron has run (Redis's cronloops): tests wait on it for "a tick passed". */
  cronLoops = 0;
  /** The cron's frequency now: hz, or more under dynamic-hz (INFO's hz). */
  hz = 10;
  private listeners: TCPSocketListener<Client>[] = [];
  private stopCron: (() => void) | undefined;
  private shutdownHooks: Array<() => void> = [];

  constructor(config: Config) {
    this.config = config;
    this.keyspace = new Keyspace(config.int("databases"));
    this.pausing = new Pausing(this.keyspace);
    this.slowlog = new Slowlog(config.int("slowlog-log-slower-than"), config.int("slowlog-max-len"));
    this.replication = new ReplicationMaster(this);
    this.acl = new Acl(this);
    this.cluster = config.get("cluster-enabled") === "yes" ? new Cluster(this) : undefined;
    this.keyspace.mayGrow = (bytes) => this.maxmemory === 0 || this.memoryCountedForEvict() + bytes <= this.maxmemory;
    this.keyspace.masterRunning = () => this.executing?.masterLink !== undefined;
    this.keyspace.clientWritesExpire = () => this.executing !== undefined && this.executing.masterLink === undefined && !this.replicaReadOnly;
    this.keyspace.onExpired = (db, key) => {
      if (this.propagation.wanted) this.propagation.expired(db.id, key, this.keyspace.lazyFree.expire);
    };
    this.latency.threshold = config.int("latency-monitor-threshold");
    this.notifier.flags = parseNotifyFlags(config.get("notify-keyspace-events")) ?? 0;
    this.log.level = config.get("loglevel") as LogLevel;
    this.log.file = config.get("logfile");
    if (config.get("syslog-enabled") === "yes") this.log.syslog = new Syslog(config.get("syslog-ident"), config.get("syslog-facility"));
    this.maxmemory = config.int("maxmemory");
    this.keyspace.lfuLogFactor = config.int("lfu-log-factor");
    this.keyspace.lfuDecayTime = config.int("lfu-decay-time");
    this.evictor.policyChanged();
    for (const p of PARAMS) if (p.applyAtStart) p.apply?.(this, config.get(p.name));
    config.onChange = (name, value) => {
      const param = findParam(name);
      param?.apply?.(this, value);
      return param?.applyOrFail?.(this, value);
    };
    config.runAfter = (apply) => apply(this);
  }

  get port(): number {
    return this.listeners[0]?.port ?? this.config.int("port");
  }

  get rdbPath(): string {
    return join(this.config.get("dir"), this.config.get("dbfilename"));
  }

  /**
   * While start() loads the dataset: commands without the `loading` flag are answered
   * -LOADING (server/dispatch.ts), and INFO says loading:1.
   */
  loadingDataset = false;
  /**
   * While a replica loads its master's snapshot aside (repl-diskless-load swapdb, within the
   * same history): the old data still answers, and only commands flagged no-async-loading
   * are answered -LOADING. INFO says async_loading:1.
   */
  asyncLoading = false;
  /** Where loading the dump has got to (INFO's loading_* fields), with when it began. */
  loadingStep: LoadStep | undefined;
  loadingStarted = 0;

  /** The dataset starts loading, `async`ly or not, unless it already is. */
  beginLoading(async = false): void {
    if (this.loadingDataset || this.asyncLoading) return;
    if (async) this.asyncLoading = true;
    else this.loadingDataset = true;
    this.loadingStarted = Math.floor(Date.now() / 1000);
  }

  endLoading(): void {
    this.loadingDataset = this.asyncLoading = false;
    this.loadingStep = undefined;
    // Clients whose keys changed while the data loaded are looked at now it is whole.
    if (this.blocking.hasReady) this.blocking.serveReady();
  }

  /** Listen, then load the dataset. Throws a listen error or RdbError (corrupt file). */
  async start(options: StartOptions = {}): Promise<void> {
    this.log.silent = options.quiet ?? false;
    this.log.notice(`KVIS version=${KVIS_VERSION}, bits=64, pid=${process.pid}, just started`);
    this.banner();
    // Users come before the data, as in Redis: a bad ACL file stops start-up.
    const aclfile = this.config.get("aclfile");
    if (aclfile !== "" && this.configUsers.length > 0) {
      throw new ConfigAbort([
        "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.",
      ]);
    }
    for (const [name, ...rules] of this.configUsers) {
      const merged = mergeSelectorArgs(rules);
      // The default user is reset first (sanitize-payload with it); a new user starts as
      // ACL SETUSER makes one, as in Redis.
      const failed = typeof merged === "number" ? { rule: rules[merged]!, error: { reason: "Unmatched parenthesis" } } : this.acl.setUser(name!, name === "default" ? ["reset", ...merged] : merged);
      if (failed !== undefined) throw new ConfigAbort([`Error loading ACL rule '${failed.rule}' for the user named '${name}': ${failed.error.reason}`, "Critical error while loading ACLs. Exiting."]);
    }
    if (aclfile !== "") {
      const errors = this.acl.loadFile(aclfile);
      if (errors !== undefined) throw new ConfigAbort([`Aborting Redis startup because of ACL errors: ${errors}`]);
    }
    this.fitMaxclients(this.config.int("maxclients"), true);
    // nodes.conf comes before the data, as in Redis: a corrupt one stops start-up.
    this.cluster?.load();
    // The binary starts with the JIT 100 times as reluctant (package.json's build,
    // --compile-jit-policy): the modules' evaluation and the configuration's parsing run
    // once, and compiling them took the core from start-up. From here the server runs what
    // it will run again, the dataset's load first.
    Bun.unsafe.setJITPolicy(1);
    // Listening starts before the data loads, as in Redis: a client that connects meanwhile
    // waits, or is answered -LOADING where the load lets the event loop run, rather than
    // being refused; a port in use fails start-up before a long load.
    this.beginLoading();
    // Like Redis, listen on every address `bind` names (listenOn), plain and TLS.
    const hosts = this.bindHosts();
    const port = this.config.int("port");
    try {
      // Port 0 listens on no TCP port, as in Redis (TLS or the Unix socket alone).
      if (port !== 0) {
        this.listeners = this.listenOn(hosts, port, "TCP");
        if (hosts.length > 0 && this.listeners.length === 0) throw new Error("Failed listening on port " + port + " (tcp), aborting.");
      }
      this.configureTlsAtStart();
      const tlsPort = this.config.int("tls-port");
      if (tlsPort !== 0) {
        this.tlsListeners = this.listenOn(hosts, tlsPort, "TLS");
        if (this.tlsListeners.length === 0) throw new Error(`Failed listening on port ${tlsPort} (tls), aborting.`);
      }
      this.listenUnix();
      // An empty `bind` listens on no address, as in Redis: then the Unix socket must be set.
      if (this.listeners.length === 0 && this.tlsListeners.length === 0 && this.unixListener === undefined) throw new ConfigAbort(["Configured to not listen anywhere, exiting."]);
      this.applyProcTitle();
      this.checkBacklog();
      this.applyBacklog([...this.listeners, ...this.tlsListeners, ...(this.unixListener === undefined ? [] : [this.unixListener])]);
    } catch (e) {
      this.stopListening();
      throw e;
    }
    try {
      await this.loadDataset();
    } catch (e) {
      this.stopListening();
      throw e;
    } finally {
      this.endLoading();
    }
    if (this.cluster !== undefined) {
      try {
        this.cluster.checkData();
        this.cluster.listen();
      } catch (e) {
        this.cluster.stop();
        this.stopListening();
        throw e;
      }
    }
    this.stopCron = startCron(this);
    this.log.notice(`Server initialized`);
    this.writePidFile();
    this.applyOomScore();
    if (this.listeners.length > 0) this.log.notice(`Ready to accept connections tcp (${hosts.join(" ")} port ${this.port})`);
    if (this.tlsListeners.length > 0) this.log.notice(`Ready to accept connections tls (${hosts.join(" ")} port ${this.tlsListeners[0]!.port})`);
    if (this.unixPath !== undefined) this.log.notice(`Ready to accept connections unix (${this.unixPath})`);
    const master = this.config.get("replicaof").trim();
    this.notifySupervisor(master === "" ? "STATUS=Ready to accept connections\n" : "STATUS=Ready to accept connections in read-only mode. Waiting for MASTER <-> REPLICA sync\n");
    this.notifySupervisor("READY=1\n");
    if (master !== "") {
      const [host, port] = master.split(/\s+/) as [string, string];
      this.follow(host, Number(port), undefined, true);
    }
  }

  /**
   * The start-up banner, as Redis shows its logo: with always-show-logo yes, or when the
   * log goes to a terminal; else one line. Redis's own test suite finds a server's PID in it.
   */
  private banner(): void {
    const mode = this.cluster !== undefined ? "cluster" : "standalone";
    const port = this.config.int("port");
    const showLogo = this.config.get("always-show-logo") === "yes" || (this.log.file === "" && this.log.syslog === undefined && stdoutIsTerminal());
    if (!showLogo) return this.log.notice(`Running mode=${mode}, port=${port}.`);
    this.log.raw("notice", `\n    KVIS ${KVIS_VERSION} (Redis ${REDIS_VERSION} compatible) 64 bit\n    Running in ${mode} mode\n    Port: ${port}\n    PID: ${process.pid}\n\n`);
  }

  /**
   * Become a replica of host:port (replicaof, REPLICAOF). The data stays until the new
   * master's snapshot replaces it; the PSYNC offers this server's own history, so a former
   * master re-pointed at its promoted replica continues partially, as in Redis: a master
   * turned replica always offers it (Redis's replicationCacheMasterUsingMyself, its offset
   * 0 if it never had a stream), a server started as a replica only the history its dump
   * gave it.
   */
  follow(host: string, port: number, by?: string, atStart = false): void {
    const previous = this.replicaLink;
    previous?.stop();
    this.keyspace.replicaMode = true;
    this.log.role = "S";
    const link = new ReplicaLink(this, host, port);
    if (previous !== undefined ? previous.reploff >= 0 : !atStart || this.replication.offset > 0) {
      link.masterReplid = this.replication.replid;
      link.reploff = this.replication.offset;
    }
    if (this.restoredStreamDb !== undefined) link.pendingDb = this.restoredStreamDb;
    this.restoredStreamDb = undefined;
    this.replicaLink = link;
    this.applyOomScore();
    if (by !== undefined) this.log.notice(`REPLICAOF ${host}:${port} enabled (user request from '${by}')`);
    link.start();
  }

  /** REPLICAOF NO ONE: stop following, keep the data, start a new replication history. */
  promote(why = "user request"): void {
    const link = this.replicaLink;
    if (link === undefined) return;
    link.stop();
    this.replicaLink = undefined;
    this.keyspace.replicaMode = false;
    this.log.role = "M";
    this.applyOomScore();
    this.replication.promote();
    this.log.notice(`MASTER MODE enabled (${why}); new replication ID ${this.replication.replid}, previous ${this.replication.replid2} up to offset ${this.replication.secondOffset - 1}`);
  }

  private readonly socketHandlers: import("bun").SocketHandler<Client> = {
    binaryType: "uint8array",
    open: (socket) => this.accept(socket),
    data: (socket, chunk) => {
      // A handler's own failures are answered by call(); this catches bugs anywhere else
      // on the read path, so one bad connection can never take the server down.
      try {
        socket.data.onData(chunk, true);
      } catch (e) {
        this.log.warning(`Internal error serving client id=${socket.data.id}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        socket.data.terminate();
      }
    },
    drain: (socket) => socket.data.onDrain(),
    close: (socket) => socket.data?.onClosed(),
    error: (socket) => socket.data?.onClosed(),
  };

  /**
   * CONFIG SET port/bind: open listeners on every address of `bind` at `port` first; only
   * when all of them open do the old ones stop (their connections stay). Undefined when it
   * worked (or nothing changes), else Redis's reason.
   */
  listenAnew(bind: string, port: number): string | undefined {
    if (bind === this.config.get("bind") && port === this.config.int("port")) return undefined;
    const hosts = this.bindHosts(bind);
    let opened: TCPSocketListener<Client>[] = [];
    try {
      if (port !== 0) opened = this.listenOn(hosts, port, "TCP");
      if (port !== 0 && opened.length === 0) throw new Error("no address could be bound");
    } catch (e) {
      const reason = (e as Error).message;
      return this.config.get("bind") === bind ? `Unable to listen on this port: ${reason}` : "Failed to bind to specified addresses.";
    }
    this.applyBacklog(opened);
    for (const l of this.listeners) l.stop(false);
    this.listeners = opened;
    if (port !== 0) this.log.notice(`Listening anew: tcp (${hosts.join(" ")} port ${this.port})`);
    return undefined;
  }

  /**
   * unixsocket: listen on a Unix socket too, as Redis does (a stale file at the path is
   * removed first; unixsocketperm sets its mode). Its clients' address is "<path>:0".
   */
  private listenUnix(): void {
    const path = this.config.get("unixsocket");
    if (path === "") return;
    rmSync(path, { force: true });
    const unixHandlers: import("bun").SocketHandler<Client> = { ...this.socketHandlers, open: (socket) => this.accept(socket, path) };
    this.unixListener = Bun.listen<Client>({ unix: path, socket: unixHandlers });
    this.unixPath = path;
    const perm = parseInt(this.config.get("unixsocketperm"), 8);
    if (perm !== 0) chmodSync(path, perm);
  }

  private unixListener: import("bun").UnixSocketListener<Client> | undefined;

  /** The tls-port listeners, one per `bind` address. */
  private tlsListeners: TCPSocketListener<Client>[] = [];
  /** TLS as the tls-* parameters set it, read when TLS is wanted (server/tls.ts). */
  tls: TlsContexts | undefined;

  /** At start-up: TLS configured if anything needs it, or start-up ends as Redis's does. */
  private configureTlsAtStart(): void {
    if (!tlsWanted(this.config)) return;
    try {
      this.tls = tlsContexts(this.config);
    } catch (e) {
      if (!(e instanceof TlsConfigError)) throw e;
      throw new ConfigAbort([e.message, "Failed to configure TLS. Check logs for more info."]);
    }
  }

  /**
   * CONFIG SET of tls-* parameters: TLS read again and the tls-port listeners made anew
   * with it (their connections stay); Redis's reason when it cannot be.
   */
  reconfigureTls(): string | undefined {
    let contexts: TlsContexts | undefined;
    if (tlsWanted(this.config)) {
      try {
        contexts = tlsContexts(this.config);
      } catch (e) {
        if (!(e instanceof TlsConfigError)) throw e;
        this.log.warning(e.message);
        return "Unable to update TLS configuration. Check server logs.";
      }
    }
    const port = this.config.int("tls-port");
    const hosts = this.bindHosts();
    const previous = this.tls;
    this.tls = contexts;
    let opened: TCPSocketListener<Client>[] = [];
    if (port !== 0) {
      // The old ones stop first: the new ones take the same port.
      const old = this.tlsListeners;
      for (const l of old) l.stop(false);
      try {
        opened = this.listenOn(hosts, port, "TLS");
        if (opened.length === 0) throw new Error("no address could be bound");
      } catch (e) {
        this.tls = previous;
        if (previous !== undefined && old.length > 0) this.tlsListeners = this.listenOn(hosts, old[0]!.port, "TLS");
        return `Unable to listen on this port: ${(e as Error).message}`;
      }
      this.applyBacklog(opened);
    } else {
      for (const l of this.tlsListeners) l.stop(false);
    }
    this.tlsListeners = opened;
    return undefined;
  }

  /**
   * Listen at `port` on every address of `hosts` (plain TCP, or TLS with the TLS contexts).
   * An address written with a leading "-" is optional: when it cannot be bound (no IPv6,
   * say) it is skipped with a warning, as in Redis 7; any other failure closes those opened
   * and throws.
   */
  private listenOn(hosts: string[], port: number, kind: "TCP" | "TLS"): TCPSocketListener<Client>[] {
    const tls = kind === "TLS" ? this.tls!.server : undefined;
    const handlers: import("bun").SocketHandler<Client> = tls === undefined ? this.socketHandlers : {
      ...this.socketHandlers,
      open: (socket) => this.accept(socket, undefined, port),
      handshake: (socket, success, error) => {
        if (this.refusesHandshake(socket, success, error)) socket.data?.terminate();
      },
    };
    const opened: TCPSocketListener<Client>[] = [];
    for (const entry of hosts) {
      const optional = entry.startsWith("-");
      const hostname = optional ? entry.slice(1) : entry;
      try {
        opened.push(Bun.listen<Client>({ hostname, port, ...(tls === undefined ? {} : { tls }), socket: handlers }));
      } catch (e) {
        if (!optional) {
          for (const l of opened) l.stop(true);
          throw e;
        }
        this.log.warning(`Could not create server ${kind} listening socket ${hostname}:${port}: ${(e as Error).message} (optional, skipped)`);
      }
    }
    return opened;
  }

  /**
   * A TLS handshake (a client's, or a cluster bus peer's) that failed (a client speaking
   * plain text to the TLS port, say), or one tls-auth-clients refuses: a peer without a
   * certificate the CAs vouch for (yes), or one that shows a certificate they do not vouch
   * for (optional), as OpenSSL's SSL_VERIFY_PEER refuses it in Redis. Logged in Redis's
   * words (OpenSSL's, and the connection for a failed handshake); the caller closes it
   * before anything it sent is read.
   */
  refusesHandshake(socket: import("bun").Socket<unknown>, success: boolean, error: Error | null): boolean {
    if (!success) {
      const fd = (socket as { fd?: number }).fd;
      this.log.warning(`Error accepting a client connection: ${handshakeFailure(error?.message)}${fd === undefined ? "" : ` (conn: fd=${fd})`}`);
      return true;
    }
    const mode = this.tls?.authClients ?? "no";
    if (mode === "no" || socket.authorized) return false;
    const shown = Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
    if (mode === "optional" && !shown) return false;
    const reason = OPENSSL_REASONS[shown ? "CERTIFICATE_VERIFY_FAILED" : "PEER_DID_NOT_RETURN_A_CERTIFICATE"];
    this.log.warning(`Error accepting a client connection: ${reason}`);
    return true;
  }

  /** Redis's start-up warning when the kernel's somaxconn caps tcp-backlog. */
  private checkBacklog(): void {
    const backlog = this.config.int("tcp-backlog");
    try {
      const somaxconn = Number.parseInt(readFileSync("/proc/sys/net/core/somaxconn", "latin1"), 10);
      if (somaxconn > 0 && somaxconn < backlog) {
        this.log.warning(`WARNING: The TCP backlog setting of ${backlog} cannot be enforced because /proc/sys/net/core/somaxconn is set to the lower value of ${somaxconn}.`);
      }
    } catch {
      // No /proc: nothing to check, as in Redis.
    }
  }

  /** tcp-backlog on listeners (Redis passes it to listen(2) for TCP and the Unix socket), and socket-mark-id on the TCP ones. */
  private applyBacklog(listeners: readonly object[]): void {
    const backlog = this.config.int("tcp-backlog");
    for (const listener of listeners) {
      const fd = (listener as { fd?: number }).fd;
      if (fd !== undefined && !setBacklog(fd, backlog)) this.log.warning(`Could not set the listen backlog to ${backlog}: libc is not reachable`);
      if (fd !== undefined && listener !== this.unixListener) this.markListener(fd);
    }
  }

  /** socket-mark-id on a TCP listener (clients', the cluster bus's). */
  markListener(fd: number): void {
    const mark = this.config.int("socket-mark-id");
    if (mark > 0) setSocketMark(fd, mark);
  }
  private unixPath: string | undefined;

  private stopListening(): void {
    for (const l of [...this.listeners, ...this.tlsListeners]) l.stop(true);
    this.listeners = [];
    this.tlsListeners = [];
    if (this.unixListener !== undefined) {
      this.unixListener.stop(true);
      this.unixListener = undefined;
      this.log.notice("Removing the unix socket file.");
      rmSync(this.unixPath!, { force: true });
    }
  }

  private accept(socket: import("bun").Socket<Client>, unixPath?: string, tlsPort?: number): void {
    const client = unixPath !== undefined
      ? new Client(this, socket, `${unixPath}:0`, `${unixPath}:0`)
      : new Client(this, socket, peerId(socket.remoteAddress, socket.remotePort ?? 0), peerId(socket.localAddress ?? "", tlsPort ?? this.port));
    client.unixSocket = unixPath !== undefined;
    client.tls = tlsPort !== undefined;
    socket.data = client;
    // Unix-socket clients are local: protected mode never refuses them.
    const refused = this.refusal(unixPath !== undefined ? "127.0.0.1" : socket.remoteAddress);
    if (refused !== undefined) {
      // As Redis: the error is written straight away and the connection closed.
      this.stats.rejectedConnections++;
      client.closed = true;
      socket.end(`-${refused.text}\r\n`);
      return;
    }
    this.clients.set(client.id, client);
    this.stats.totalConnections++;
    const keepalive = this.config.int("tcp-keepalive");
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
  }

  /**
   * Why a new connection from `remote` is refused, if it is (acceptCommonHandler):
   * `maxclients` reached, or protected mode with no password for the default user and a
   * client that is not on the loopback interface.
   */
  refusal(remote: string): ReplyError | undefined {
    if (this.clients.size >= this.config.int("maxclients")) return MAX_CLIENTS;
    if (this.config.get("protected-mode") === "yes" && this.acl.defaultUser.nopass && !isLoopback(remote)) return PROTECTED_MODE;
    return undefined;
  }

  /**
   * A replica's dump (a replicaof server's, or a cluster replica's) says where it was in
   * its master's stream (repl-id, repl-offset, repl-stream-db: a sync's snapshot, or its
   * own save): it then offers its master a partial resync from there, as a restarted Redis
   * replica does. Only when all three are there and sound (Redis's rsi_is_valid).
   */
  private restoreReplicationInfo(aux: Map<string, string>): void {
    const replid = aux.get("repl-id") ?? "";
    const offset = Number(aux.get("repl-offset"));
    const streamDb = Number(aux.get("repl-stream-db"));
    if (!/^[0-9a-f]{40}$/.test(replid) || !Number.isSafeInteger(offset) || offset < 0 || !Number.isInteger(streamDb) || streamDb < 0) return;
    this.replication.adoptHistory(replid, offset);
    this.restoredStreamDb = streamDb;
  }

  /** The stream's database a dump loaded at start-up gave (restoreReplicationInfo), for the first link. */
  private restoredStreamDb: number | undefined;

  /**
   * Run a load's steps (a dump's, an AOF's, a sync's snapshot's), letting the event loop
   * turn between them as Redis processes events while it loads: commands without the
   * `loading` flag are answered -LOADING (server/dispatch.ts; when begun asyncLoading, only
   * those flagged no-async-loading), INFO shows loading:1 with
   * the step's figures (`onStep` hears them too), and loaded keys are not changes to save
   * (a save point must not start a BGSAVE of half a dataset). When `stop` says so after a
   * turn, the walk is closed and undefined returned.
   */
  async loadInSteps<T>(steps: Generator<LoadStep, T>, onStep?: (step: LoadStep) => void, stop?: () => boolean): Promise<T | undefined> {
    this.beginLoading();
    try {
      for (;;) {
        const step = steps.next();
        if (step.done) return step.value;
        this.loadingStep = step.value;
        this.keyspace.dirty = 0;
        onStep?.(step.value);
        // An image still arriving waits for its next bytes (the event loop turns meanwhile).
        await (step.value.until ?? new Promise((resolve) => setImmediate(resolve)));
        if (stop?.()) {
          steps.return(undefined as T);
          return undefined;
        }
      }
    } finally {
      this.endLoading();
    }
  }

  /**
   * DEBUG RELOAD's or LOADAOF's load for `client`: in steps, others answered -LOADING (as
   * Redis answers them while it loads) and the client blocked until it ends; in one piece
   * where nothing may wait (inside EXEC or a script) or where -LOADING holds nothing back (a
   * replica's master stream would write between the steps). `end` runs after it either way,
   * with the load's error if it failed, and gives the error to answer.
   */
  debugLoad(client: Client, steps: Generator<LoadStep, unknown>, end: (failure: Error | undefined) => ReplyError | undefined): void {
    if (client.inExec || client.fromScript || this.replicaLink !== undefined) {
      let failure: Error | undefined;
      try {
        while (!steps.next().done);
      } catch (e) {
        failure = e as Error;
      }
      const error = end(failure);
      if (error !== undefined) throw error;
      return client.reply.ok();
    }
    const answer = (failure: Error | undefined) => {
      const error = end(failure);
      client.unblock(encodeReply(client.resp, (w) => (error === undefined ? w.ok() : w.error(error.text))));
    };
    client.block();
    this.loadInSteps(steps).then(() => answer(undefined), (e: Error) => answer(e));
  }

  private async loadDataset(): Promise<void> {
    // With AOF on, the AOF is the dataset and the RDB file is not read, as in Redis.
    if (this.config.get("appendonly") === "yes") {
      await this.aof.load();
      this.aof.openAtStart();
      return;
    }
    const path = this.rdbPath;
    if (!(await Bun.file(path).exists())) return;
    const start = performance.now();
    const steps = loadRdbSteps(path, this.keyspace, (keys, read, total) => {
      this.log.notice(`Loading RDB: ${keys} keys so far, ${((100 * read) / total).toFixed(0)}% of ${path}`);
    }, this.scripting.loadFromImage, this.config.int("loading-process-events-interval-bytes"));
    // INFO's rdb_last_load_keys_* count the keys so far while it loads, as Redis's do.
    const loaded = await this.loadInSteps(steps, (step) => (this.lastLoad = { keys: step.keys, expired: step.expired }));
    if (loaded === undefined) return;
    this.lastLoad = { keys: loaded.keys, expired: loaded.expired };
    const producer = loaded.aux.get("redis-ver");
    if (producer !== undefined) this.log.notice(`Loading RDB produced by version ${producer}`);
    const ctime = Number(loaded.aux.get("ctime"));
    if (Number.isFinite(ctime)) this.log.notice(`RDB age ${Math.floor(Date.now() / 1000) - ctime} seconds`);
    for (const w of loaded.warnings) this.log.warning(`While loading ${path}: ${w}`);
    const seconds = ((performance.now() - start) / 1000).toFixed(3);
    if (this.config.get("replicaof").trim() !== "" || this.cluster?.myself.isReplica) this.restoreReplicationInfo(loaded.aux);
    this.log.notice(`Done loading RDB, keys loaded: ${loaded.keys}, keys expired: ${loaded.expired}.`);
    this.log.notice(`DB loaded from disk: ${seconds} seconds`);
    this.keyspace.dirty = 0;
  }

  /**
   * INFO's used_memory, in bytes: the keyspace's running estimate of its data
   * (store/memory-usage.ts, estimateBytes) and its tables' slots as allocated, the
   * replication backlog, the connected clients (as Redis counts its client structures:
   * CLIENT_BYTES each, measured as the heap an idle connection holds; it is read before
   * every command under maxmemory, so it stays cheap and leaves unsent output out), and the
   * scripts' cache and libraries, a replica's snapshot loading aside, and the output
   * waiting for replicas and the AOF, which maxmemory leaves out (memoryCountedForEvict).
   * The JavaScript heap cannot be read cheaply before every command, and it counts garbage
   * until the collector runs; INFO shows the process's RSS beside this.
   */
  usedMemory(): number {
    return this.memoryCountedForEvict() + this.notCountedForEvict();
  }

  /** used_memory without what eviction leaves out (notCountedForEvict): what maxmemory is held to. */
  memoryCountedForEvict(): number {
    return (
      this.keyspace.heldBytes + this.replication.backlogAllocated + this.clients.size * CLIENT_BYTES + this.clientBuffers + this.scripting.scriptsMemory +
      this.scripting.functionsOverhead + (this.replicaLink?.loadingAside?.heldBytes ?? 0)
    );
  }

  /**
   * The clients' unfinished requests, input waiting and output waiting for their sockets,
   * kept current by each client (Client.account): Redis's used_memory counts its clients'
   * query and reply buffers, so slow readers and half-sent requests make keys go.
   */
  clientBuffers = 0;

  /** A client's output waiting for its socket passed EVICTION_MIN_LIMIT: client eviction looks after this read. */
  clientGrew = false;

  clientEvictionReport(callerId: number): string | undefined {
    return this.clientEvictionLimit === 0 ? undefined : clientEvictionBuckets(this.clients.values(), callerId);
  }

  /** maxmemory-clients set (ConfigTarget): clients over it go at once. */
  evictClients(): void {
    this.clientEvictionLimit = clientEvictionLimit(this.config);
    evictClients(this);
  }

  /** maxmemory-clients in bytes (0: off), kept by the applies of it and of maxmemory (a percentage of it). */
  clientEvictionLimit = 0;

  /**
   * What used_memory holds that eviction leaves out (Redis's freeMemoryGetNotCountedMemory):
   * the output waiting for replicas and the AOF buffer, which evicting keys would only grow.
   */
  notCountedForEvict(): number {
    let bytes = this.aof.bufferBytes;
    for (const r of this.replication.replicas) bytes += r.outputPending;
    return bytes;
  }

  /** supervised systemd (or auto, finding systemd): start-up, syncs and shutdown are told to it (server/supervised.ts). */
  supervisedBySystemd = false;

  /** A state for systemd, as Redis's redisCommunicateSystemd sends it. */
  notifySupervisor(message: string): void {
    if (this.supervisedBySystemd) notifySystemd(this.log, message);
  }

  /** The highest memory use seen so far (INFO used_memory_peak). */
  peakMemory(used: number): number {
    if (used > this.memoryPeak) this.memoryPeak = used;
    return this.memoryPeak;
  }

  /**
   * The save before exiting (SHUTDOWN, SIGTERM): with save points set or SAVE given, and
   * not NOSAVE, a background save is stopped and the dataset saved synchronously. False
   * when that save failed and FORCE was not given: the server then stays up. While the
   * dataset is still loading nothing is saved (Redis forces NOSAVE): half of it would
   * replace the whole.
   */
  finalSave(save = false, nosave = false, force = false): boolean {
    this.persistence.abortBgsave();
    if (this.loadingDataset) return true;
    if (nosave || !(save || this.persistence.hasSavePoints)) return true;
    this.log.notice("Saving the final RDB snapshot before exiting.");
    this.notifySupervisor("STATUS=Saving the final RDB snapshot\n");
    if (this.persistence.save()) return true;
    if (force) {
      this.log.warning("Error trying to save the DB. Exit anyway.");
      return true;
    }
    this.log.warning("Error trying to save the DB, can't exit.");
    this.notifySupervisor("STATUS=Error trying to save the DB, can't exit.\n");
    return false;
  }

  private limitsText = "";
  private limits: OutputLimits | undefined;

  /** client-output-buffer-limit for a class, parsed once per change of the parameter. */
  outputLimit(cls: "normal" | "slave" | "pubsub"): OutputLimit {
    const text = this.config.get("client-output-buffer-limit");
    if (text !== this.limitsText || this.limits === undefined) {
      this.limitsText = text;
      this.limits = parseOutputLimits(text) as OutputLimits;
    }
    return this.limits.get(cls)!;
  }

  /** rdbcompression, rdbchecksum, rdb-key-save-delay and what the header records (used_memory), as they are now. */
  rdbOptions(): RdbOptions {
    return {
      compression: this.config.get("rdbcompression") === "yes",
      checksum: this.config.get("rdbchecksum") === "yes",
      functions: [...this.scripting.libraries.values()].map((l) => l.code),
      keySaveDelay: this.config.int("rdb-key-save-delay"),
      replication: this.replicaLink?.saveInfo(),
      usedMemory: this.usedMemory(),
      access: accessSaved(this.config.get("maxmemory-policy"), this.keyspace.lfuDecayTime),
    };
  }

  /** Count an error reply for INFO errorstats. */
  countError(text: string): void {
    this.stats.totalErrorReplies++;
    const space = text.indexOf(" ");
    const prefix = space < 0 ? text : text.slice(0, space);
    this.stats.errors.set(prefix, (this.stats.errors.get(prefix) ?? 0) + 1);
    if (this.unexpectedFrom !== undefined) this.unexpectedErrorReply(this.unexpectedFrom, `-${text}`, this.unexpectedArgv!.str(0).toLowerCase());
  }

  /**
   * Set by its caller while a command of the master's stream or of the AOF runs (and unset
   * after): every error reply it gives, one inside EXEC too, is told and counted as Redis's
   * afterErrorReply does. Two fields, so that no command allocates for it.
   */
  unexpectedFrom: "master" | "aof" | undefined;
  unexpectedArgv: { str(i: number): string } | undefined;

  /**
   * A script has run past busy-reply-threshold (Redis's processEventsWhileBlocked): serve
   * what the other clients sent meanwhile. The caller's replies so far stay in the writer
   * set aside here.
   */
  processEventsWhileBlocked(caller: Client): void {
    // Replies the turn held from before the script go now, as Redis's beforeSleep writes
    // them while it processes events; unless they wait for an AOF write, which would write
    // the script's writes so far (they wait for its end, as before).
    if (this.aof.bufferBytes === 0) this.turnOutput.release();
    const saved = this.writer;
    this.writer = this.busyWriter;
    this.servingWhileBusy = true;
    try {
      for (const listener of this.listeners) {
        const fd = (listener as { fd?: number }).fd;
        for (let accepted = fd === undefined ? undefined : acceptNow(fd); accepted !== undefined; accepted = acceptNow(fd!)) {
          const client = new Client(this, rawSocket(accepted), `fd:${accepted}`, `${listener.hostname}:${this.port}`);
          this.clients.set(client.id, client);
          this.busyAccepted.push(client);
          this.stats.totalConnections++;
        }
      }
      for (const c of this.clients.values()) if (c !== caller) c.readWhileBusy();
    } finally {
      this.servingWhileBusy = false;
      this.busyWriter = this.writer;
      this.writer = saved;
    }
  }

  /** Connections accepted while a script held the event loop, closed when it ends (server/poll.ts). */
  private busyAccepted: Client[] = [];

  /** The long script ended: the connections accepted meanwhile are closed; their clients reconnect. */
  endBusy(): void {
    for (const c of this.busyAccepted) {
      c.terminate();
      c.onClosed();
    }
    this.busyAccepted = [];
  }

  /** Show a request to the MONITOR clients (the monitor that sent it sees it in its own reply). */
  feedMonitors(c: Client, argv: Argv): void {
    if (this.monitors.size === 0) return;
    const line = monitorLine(c, argv);
    for (const m of this.monitors) {
      if (m === c) c.reply.raw(line);
      else m.send(line);
    }
  }

  /** CONFIG RESETSTAT: the server's counters and every command's. */
  client(id: number): Client | undefined {
    return this.clients.get(id);
  }

  clientList(): Client[] {
    return [...this.clients.values()];
  }

  /** The text of INFO for the sections asked for. */
  info(sections: string[]): string {
    return buildInfo(this, sections);
  }

  memoryStats(): StatField[] {
    return memoryStats(this);
  }

  resetStats(): void {
    for (const cmd of allCommands()) for (const sub of [cmd, ...(cmd.subcommands?.values() ?? [])]) {
      sub.calls = sub.usec = sub.rejectedCalls = sub.failedCalls = 0;
      sub.latencyBuckets = undefined;
    }
    this.stats = newStats();
    this.keyspace.stats.expiredKeys = 0;
    this.keyspace.stats.lazyfreedObjects = 0;
    this.keyspace.stats.expireTimeCapReached = 0;
    this.keyspace.stats.expireCycleMs = 0;
    this.keyspace.stats.keyspaceHits = 0;
    this.keyspace.stats.keyspaceMisses = 0;
    this.evictor.evictedKeys = 0;
  }

  /** Run when the server stops (the CLI exits the process). */
  onShutdown(hook: () => void): void {
    this.shutdownHooks.push(hook);
  }

  get replicaReadOnly(): boolean {
    return this.config.get("replica-read-only") === "yes";
  }

  restart(graceful: boolean, delayMs: number, rewriteConfig: () => void): void {
    restartServer(this, graceful, delayMs, rewriteConfig);
  }

  /** Stop listening, close every client and the cron. Idempotent. */
  stop(): void {
    this.replicaLink?.stop();
    // Everything acknowledged is written and synced before the process goes.
    this.aof.disable();
    this.stopCron?.();
    this.stopCron = undefined;
    this.cluster?.stop();
    this.stopListening();
    for (const c of this.clients.values()) c.terminate();
    this.clients.clear();
    const hooks = this.shutdownHooks;
    this.shutdownHooks = [];
    for (const hook of hooks) hook();
    if (this.pidFile !== undefined) {
      this.log.notice("Removing the pid file.");
      rmSync(this.pidFile, { force: true });
      this.pidFile = undefined;
    }
  }

  /** The pid file written at start-up (pidfile), removed at shutdown as Redis removes it. */
  private pidFile: string | undefined;

  /** pidfile: like Redis, a file that cannot be written is logged and start-up goes on. */
  /** The OOM score the process had before oom-score-adj changed it, while it has. */
  private oomScoreBase: number | undefined;

  /**
   * oom-score-adj (Redis's setOOMScoreAdj): the score of the current role from
   * oom-score-adj-values, relative to the score the process started with or absolute; back
   * to that score when switched off. Why it failed, if it did (logged as Redis does).
   */
  /**
   * Whether this is the binary's server, which owns the process (main.ts sets it): `dir` is
   * the process's working folder (main.ts enters it at start-up), so CONFIG SET dir moves
   * into the new one, as Redis's chdir, and relative log, pid and ACL files follow; and
   * set-proc-title rewrites the process's command line. In-process servers (tests) leave
   * the process alone.
   */
  ownsProcess = false;

  enterDirectory(dir: string): string | undefined {
    if (!this.ownsProcess) return undefined;
    try {
      process.chdir(dir);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  }

  /** The addresses `bind` names, in order ("-" marks one that may be missing). */
  bindHosts(bind = this.config.get("bind")): string[] {
    return bind.split(/\s+/).filter(Boolean);
  }

  /** set-proc-title: the command line shows proc-title-template, expanded (server/proc-title.ts). */
  applyProcTitle(): void {
    if (!this.ownsProcess || this.config.get("set-proc-title") !== "yes") return;
    const title = expandTitle(this.config.get("proc-title-template"), this.titleVariables(startedAs()));
    if (title !== undefined) setProcTitle(title);
  }

  /** What a proc-title-template may name, as Redis fills them in. */
  titleVariables(title: string): TitleVariables {
    const port = this.config.int("port");
    const tlsPort = this.config.int("tls-port");
    const bind = this.bindHosts()[0] ?? "*";
    return {
      title,
      "listen-addr": `${bind}:${port !== 0 ? port : tlsPort}`,
      "server-mode": this.cluster !== undefined ? "[cluster]" : "",
      port: String(port),
      "tls-port": String(tlsPort),
      unixsocket: this.config.get("unixsocket"),
      "config-file": this.configFile,
    };
  }

  /**
   * A command of the master's stream or of the AOF answered an error (Redis's
   * afterErrorReply): logged as critical and counted (INFO's unexpected_error_replies).
   * With propagation-error-behavior panic, or panic-on-replicas for a read-only replica's
   * master, the server stops there, as Redis panics, rather than drift from its source.
   */
  unexpectedErrorReply(source: "master" | "aof", error: string, command: string): void {
    const [from, to] = source === "master" ? ["replica", "master"] : ["server", "AOF-loading-client"];
    this.log.warning(`== CRITICAL == This ${from} is sending an error to its ${to}: '${error}' after processing the command '${command}'`);
    this.stats.unexpectedErrorReplies++;
    const behavior = this.config.get("propagation-error-behavior");
    const panic = source === "master" ? behavior !== "ignore" && this.config.get("replica-read-only") === "yes" : behavior === "panic";
    if (!panic) return;
    this.log.warning(`Guru Meditation: This ${from} panicked sending an error to its ${to} after processing the command '${command}'`);
    process.exit(1);
  }

  /** When the last "applying a command even though" line was logged (once in 10 s at most, as Redis). */
  private diskErrorLoggedAt = 0;

  /**
   * A write from the master (or the AOF) while writes cannot reach the disk (Redis 7.0's
   * processCommand): the replica stops, as Redis panics, rather than hold data its disk
   * does not; with replica-ignore-disk-write-errors yes it applies it and says so.
   */
  applyDespiteDiskError(): void {
    if (this.config.get("replica-ignore-disk-write-errors") !== "yes") {
      this.log.warning("Guru Meditation: Replica was unable to write command to disk.");
      process.exit(1);
    }
    const now = Date.now();
    if (now <= this.diskErrorLoggedAt + 10_000) return;
    this.diskErrorLoggedAt = now;
    this.log.warning("Replica is applying a command even though it is unable to write to disk.");
  }

  /**
   * maxclients against the open-files limit (open-files.ts): the limit raised where it can
   * be, Redis's warnings logged where it cannot. At start-up a maxclients that does not fit
   * is lowered; at CONFIG SET it is refused with the number that would fit.
   */
  fitMaxclients(maxclients: number, starting = false): string | undefined {
    const outcome = adjustOpenFilesLimit(maxclients);
    if (outcome === undefined) return undefined;
    if (outcome.fatal !== undefined) throw new ConfigAbort([outcome.fatal]);
    for (const line of outcome.warnings) this.log.warning(line);
    if (outcome.notice !== undefined) this.log.notice(outcome.notice);
    if (outcome.maxclients === maxclients) return undefined;
    if (starting) {
      this.config.set("maxclients", String(outcome.maxclients));
      return undefined;
    }
    this.log.warning("Failed applying new configuration. Possibly related to new maxclients setting. Restoring previous settings.");
    return `The operating system is not able to handle the specified number of clients, try with ${outcome.maxclients}`;
  }

  applyOomScore(): string | undefined {
    const mode = this.config.get("oom-score-adj");
    const path = "/proc/self/oom_score_adj";
    let value: number;
    try {
      if (mode !== "no") {
        this.oomScoreBase ??= Number.parseInt(readFileSync(path, "latin1"), 10);
        const values = this.config.get("oom-score-adj-values").trim().split(/\s+/).map(Number);
        value = values[this.replicaLink === undefined ? 0 : 1]!;
        if (mode !== "absolute") value += this.oomScoreBase;
        value = Math.max(-1000, Math.min(1000, value));
      } else if (this.oomScoreBase !== undefined) {
        value = this.oomScoreBase;
        this.oomScoreBase = undefined;
      } else return undefined;
      writeFileSync(path, `${value}\n`);
      return undefined;
    } catch (e) {
      this.log.warning(`Unable to write oom_score_adj: ${(e as Error).message}`);
      return "Failed to set current oom_score_adj. Check server logs.";
    }
  }

  private writePidFile(): void {
    // A daemon always leaves its pid somewhere (Redis's CONFIG_DEFAULT_PID_FILE).
    const path = this.config.get("pidfile") || (this.config.get("daemonize") === "yes" ? "/var/run/redis.pid" : "");
    if (path === "") return;
    try {
      writeFileSync(path, `${process.pid}\n`);
      this.pidFile = path;
    } catch (e) {
      this.log.warning(`Failed to write PID file: ${(e as Error).message}`);
    }
  }

}

function newStats(): ServerStats {
  return {
    totalConnections: 0,
    rejectedConnections: 0,
    unexpectedErrorReplies: 0,
    evictedClients: 0,
    totalCommands: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    netReplInputBytes: 0,
    netReplOutputBytes: 0,
    readsProcessed: 0,
    writesProcessed: 0,
    totalErrorReplies: 0,
    syncFull: 0,
    syncPartialOk: 0,
    syncPartialErr: 0,
    errors: new Map(),
  };
}
