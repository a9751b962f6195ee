/**
 * The replica side of Redis's replication protocol: the link a replica keeps to its
 * master. An explicit state machine drives the handshake (PING, AUTH, REPLCONF
 * listening-port, REPLCONF capa eof capa psync2, PSYNC), receives the snapshot in either
 * form (`$<len>` from disk, or `$EOF:<mark>` when the master syncs disklessly), loads it,
 * then applies the command stream through a master Client whose replies are dropped. The
 * offset advances request by request exactly as Redis counts it, and is acknowledged with
 * REPLCONF ACK every second and on GETACK. A broken link reconnects and asks to continue
 * from where it stopped (PSYNC <replid> <offset+1>), falling back to a full sync.
 */
import { closeSync, fsyncSync, ftruncateSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { type LoadResult, type LoadStep, PiecesWindow, loadImageSteps, loadRdbSteps } from "../persistence/rdb-reader.ts";
import { type ReplicationInfo, syncDirectory } from "../persistence/rdb-writer.ts";
import { bytesToString, copyBytes } from "../resp/bytes.ts";
import { encodeRequest } from "../resp/writer.ts";
import { Client, type MasterLink } from "../server/connection.ts";
import { peerId } from "../commands/context.ts";
import type { Keyspace } from "../store/keyspace.ts";
import { connectOutgoing, type OutgoingSocket } from "../server/outgoing.ts";
import type { Server } from "../server/server.ts";

export const enum LinkState {
  /** Waiting to (re)connect. */
  Connect,
  Connecting,
  /** Connected, exchanging PING/AUTH/REPLCONF/PSYNC. */
  Handshake,
  /** Receiving the snapshot. */
  Transfer,
  /**
   * Loading the snapshot received, the event loop turning between steps (clients are
   * answered -LOADING); what the master sends meanwhile waits.
   */
  Loading,
  /** Applying the command stream. */
  Connected,
}

const enum Step {
  Ping,
  Auth,
  Port,
  Ip,
  Capa,
  Psync,
}

const RECONNECT_MS = 1000;
const EOF_MARK_LEN = 40;

/**
 * A full sync's snapshot as it arrives: written to a temp file in the server's dir, as
 * Redis does, or with repl-diskless-load loaded as it arrives (`window`), as Redis's
 * replica parses it from the socket. `swap` (swapdb): loaded aside while the old data
 * stays, and kept if the new does not load. `cut`: the link went before all of it came.
 */
interface Transfer {
  size: number;
  eofMark: string | undefined;
  received: number;
  tail: string;
  file: { fd: number; path: string } | undefined;
  window: PiecesWindow | undefined;
  swap: boolean;
  cut: boolean;
}

export class ReplicaLink implements MasterLink {
  state = LinkState.Connect;
  /** The master's replication ID, "?" until the first sync. */
  masterReplid = "?";
  /** Offset of the last request applied: Redis's master->reploff. -1 before any sync. */
  reploff = -1;
  /** Offset of the last byte read from the master (slave_read_repl_offset). */
  readOffset = -1;
  lastIoMs = 0;
  syncStartedMs = 0;
  /**
   * The full sync's payload, for INFO's master_sync_* fields as Redis keeps them: its size
   * (-1 before the header, 0 in the diskless `$EOF:` form), the bytes read, and when.
   */
  syncTotalBytes = -1;
  syncReadBytes = 0;
  syncLastIoMs = 0;
  /** When the link last went down after being up (0: never up), for master_link_down_since_seconds. */
  downSinceMs = 0;
  private socket: OutgoingSocket | undefined;
  private step = Step.Ping;
  private pending: Uint8Array = new Uint8Array(0);
  private transfer: Transfer | undefined;
  /** The keyspace a swapdb load fills while the old one answers: its bytes count in used_memory, as Redis's temp db does. */
  loadingAside: Keyspace | undefined;
  private masterClient: Client | undefined;
  /** The stream offset the master client's input starts at (its requests' ends count from it). */
  private streamStart = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
  ) {}

  /** INFO's master_link_status. */
  get linkUp(): boolean {
    return this.state === LinkState.Connected;
  }

  /** ROLE's name for the state, as Redis reports it. */
  get roleState(): string {
    switch (this.state) {
      case LinkState.Connect:
        return "connect";
      case LinkState.Connecting:
        return "connecting";
      case LinkState.Handshake:
        return "handshake";
      case LinkState.Transfer:
      case LinkState.Loading:
        return "sync";
      case LinkState.Connected:
        return "connected";
    }
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.socket?.terminate();
  }

  private log(message: string): void {
    this.server.log.notice(message);
  }

  /** Counts connection attempts: one given up on (repl-timeout) is closed if it opens late. */
  private attempt = 0;

  private connect(): void {
    if (this.stopped) return;
    this.state = LinkState.Connecting;
    this.lastIoMs = Date.now();
    const attempt = ++this.attempt;
    this.log(`Connecting to MASTER ${this.host}:${this.port}`);
    const tls = this.server.config.get("tls-replication") === "yes" ? this.server.tls?.client : undefined;
    const lost = () => this.lostAttempt(attempt);
    connectOutgoing({ host: this.host, port: this.port, source: this.server.config.get("bind-source-addr"), tls }, {
      open: (socket) => {
        if (attempt !== this.attempt) return void socket.terminate();
        this.socket = socket;
        this.state = LinkState.Handshake;
        this.step = Step.Ping;
        this.pending = new Uint8Array(0);
        this.lastIoMs = Date.now();
        this.log("MASTER <-> REPLICA sync started");
        this.send(["PING"]);
      },
      data: (chunk) => {
        if (attempt === this.attempt) this.onData(chunk);
      },
      closed: lost,
      failed: lost,
    });
  }

  private lostAttempt(attempt: number): void {
    if (attempt === this.attempt) this.onLinkLost();
  }

  /**
   * From the cron, once a second (Redis's replicationCron): a link silent for repl-timeout
   * seconds is given up and made again, whether connecting, in the handshake, receiving the
   * snapshot or streaming (where the master PINGs every repl-ping-replica-period). Not while
   * the snapshot loads: nothing is read then.
   */
  checkTimeout(now: number): void {
    // Silent while this replica does not read (a load catching up with its snapshot) is not late.
    if (this.transfer?.window?.paused) this.lastIoMs = now;
    // In whole seconds, as Redis counts: a master PINGing every repl-timeout seconds is not late.
    if (Math.floor(now / 1000) - Math.floor(this.lastIoMs / 1000) <= this.server.config.int("repl-timeout")) return;
    const log = this.server.log;
    if (this.state === LinkState.Connecting || this.state === LinkState.Handshake) log.warning("Timeout connecting to the MASTER...");
    else if (this.state === LinkState.Transfer) log.warning("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.");
    else if (this.state === LinkState.Connected) log.warning("MASTER timeout: no data nor PING received...");
    else return;
    const socket = this.socket;
    // The attempt is over whatever its socket does later.
    this.attempt++;
    this.onLinkLost();
    socket?.terminate();
  }

  /** The master's stream read while the snapshot loads, in order. */
  private loadingInput: Uint8Array[] = [];
  /** Whether the link went (or stop() was called) while the snapshot was loading: handled once it is loaded. */
  private lostWhileLoading = false;

  private onLinkLost(): void {
    if (this.state === LinkState.Connect) return;
    if (this.state === LinkState.Loading) {
      this.lostWhileLoading = true;
      this.socket = undefined;
      return;
    }
    if (this.state === LinkState.Connected) {
      this.log("Connection with master lost.");
      this.downSinceMs = Date.now();
    }
    else this.server.log.warning(`Error condition on socket for SYNC: link to ${this.host}:${this.port} closed`);
    this.state = LinkState.Connect;
    this.socket = undefined;
    this.dropTransfer();
    if (this.masterClient) {
      this.masterClient.onClosed();
      this.masterClient = undefined;
    }
    if (!this.stopped) this.reconnectTimer = setTimeout(() => this.connect(), RECONNECT_MS);
  }

  private send(args: string[]): void {
    this.socket?.write(encodeRequest(args));
  }

  /** REPLCONF ACK <offset>: every second from the cron, on GETACK, and after a sync. */
  sendAck(): void {
    if (this.state === LinkState.Connected) this.send(["REPLCONF", "ACK", String(this.reploff)]);
  }

  /**
   * The master client applied a request ending at `requestEnd` of its input: the offset
   * moves on, and the request's bytes pass on to this server's own replicas.
   */
  applied(requestEnd: number): void {
    const end = this.streamStart + requestEnd;
    this.toForward += end - this.reploff;
    this.reploff = end;
    if (!this.forwardScheduled) {
      this.forwardScheduled = true;
      queueMicrotask(this.forward);
    }
  }

  /** Stream bytes received but not yet passed on; the first `toForward` of them are applied. */
  private unforwarded = new Uint8Array(0);
  private toForward = 0;
  private forwardScheduled = false;

  /** What a read applied goes on to this server's replicas at once, not request by request. */
  private readonly forward = () => {
    this.forwardScheduled = false;
    const n = this.toForward;
    this.toForward = 0;
    if (n > 0 && this.unforwarded.length >= n) {
      this.server.replication.feed(this.unforwarded.subarray(0, n));
      this.unforwarded = this.unforwarded.subarray(n);
    }
  };

  /** Give up this attempt (the link is tried again), logging `message` as Redis words it. */
  private fail(message: string, level: "warning" | "notice" = "warning"): void {
    this.server.log[level](message);
    this.socket?.end();
  }

  private onData(chunk: Uint8Array): void {
    this.lastIoMs = Date.now();
    if (this.state === LinkState.Connected) return this.feedStream(chunk);
    if (this.state === LinkState.Loading) {
      // Each read is a buffer of its own (test/unit/server/connection.test.ts): kept as it is.
      this.loadingInput.push(chunk);
      return;
    }
    if (this.pending.length === 0) this.pending = chunk;
    else {
      const merged = new Uint8Array(this.pending.length + chunk.length);
      merged.set(this.pending);
      merged.set(chunk, this.pending.length);
      this.pending = merged;
    }
    while (this.pending.length > 0 && this.state === LinkState.Handshake) {
      const line = this.takeLine();
      if (line === undefined) return;
      this.onHandshakeReply(line);
    }
    // The replies above move the state on; re-read it rather than trust the loop's narrowing.
    const state = this.state as LinkState;
    if (state === LinkState.Transfer) this.onTransferData();
    else if (state === LinkState.Connected && this.pending.length > 0) {
      const rest = this.pending;
      this.pending = new Uint8Array(0);
      this.feedStream(rest);
    }
  }

  private takeLine(): string | undefined {
    const nl = this.pending.indexOf(0x0a);
    if (nl < 0) return undefined;
    const end = nl > 0 && this.pending[nl - 1] === 0x0d ? nl - 1 : nl;
    const line = bytesToString(this.pending.subarray(0, end));
    this.pending = this.pending.subarray(nl + 1);
    return line;
  }

  private onHandshakeReply(line: string): void {
    // A master busy preparing the snapshot sends bare newlines to keep the link alive.
    if (line === "") return;
    const config = this.server.config;
    switch (this.step) {
      case Step.Ping:
        // NOAUTH is expected here when the master wants a password: AUTH comes next.
        if (line.startsWith("-") && !line.startsWith("-NOAUTH") && !line.startsWith("-NOPERM")) return this.fail(`Error reply to PING from master: '${line}'`);
        this.log("Master replied to PING, replication can continue...");
        if (config.get("masterauth") !== "") {
          this.step = Step.Auth;
          const user = config.get("masteruser");
          return this.send(user === "" ? ["AUTH", config.get("masterauth")] : ["AUTH", user, config.get("masterauth")]);
        }
        return this.sendPort();
      case Step.Auth:
        if (!line.startsWith("+")) return this.fail(`Unable to AUTH to MASTER: ${line}`);
        return this.sendPort();
      case Step.Port:
        // Like Redis, a master that does not understand REPLCONF is not a reason to stop.
        if (line.startsWith("-")) this.log(`(Non critical) Master does not understand REPLCONF listening-port: ${line}`);
        // replica-announce-ip: the address the master lists for this replica (behind NAT, say).
        if (config.get("replica-announce-ip") !== "") {
          this.step = Step.Ip;
          return this.send(["REPLCONF", "ip-address", config.get("replica-announce-ip")]);
        }
        return this.sendCapa();
      case Step.Ip:
        if (line.startsWith("-")) this.log(`(Non critical) Master does not understand REPLCONF ip-address: ${line}`);
        return this.sendCapa();
      case Step.Capa:
        if (line.startsWith("-")) this.log(`(Non critical) Master does not understand REPLCONF capa: ${line}`);
        this.step = Step.Psync;
        if (this.reploff < 0) this.log("Partial resynchronization not possible (no cached master)");
        else this.log(`Trying a partial resynchronization (request ${this.masterReplid}:${this.reploff + 1}).`);
        // A master failing over to its replica asks it to take over (PSYNC ... FAILOVER).
        return this.send([
          // Without a place in a stream, Redis's "PSYNC ? -1": a full sync.
          "PSYNC", this.reploff < 0 ? "?" : this.masterReplid, String(this.reploff < 0 ? -1 : this.reploff + 1),
          ...(this.server.failover.state === "failover-in-progress" ? ["FAILOVER"] : []),
        ]);
      case Step.Psync:
        return this.onPsyncReply(line);
    }
  }

  private sendPort(): void {
    this.step = Step.Port;
    // replica-announce-port: the port the master lists (a forwarded one), else the real one.
    const announced = this.server.config.int("replica-announce-port");
    this.send(["REPLCONF", "listening-port", String(announced !== 0 ? announced : this.server.port)]);
  }

  private sendCapa(): void {
    this.step = Step.Capa;
    this.send(["REPLCONF", "capa", "eof", "capa", "psync2"]);
  }

  private onPsyncReply(line: string): void {
    const parts = line.split(" ");
    // A failover ends with the target's answer: any sync means it took over.
    this.server.failover.psyncAnswered(parts[0] === "+FULLRESYNC" || parts[0] === "+CONTINUE");
    if (this.server.replicaLink !== this) return;
    if (parts[0] === "+FULLRESYNC" && parts.length >= 3) {
      this.masterReplid = parts[1]!;
      this.readOffset = Number(parts[2]);
      this.log(`Full resync from master: ${this.masterReplid}:${this.readOffset}`);
      this.state = LinkState.Transfer;
      this.syncStartedMs = this.syncLastIoMs = Date.now();
      this.syncTotalBytes = -1;
      this.syncReadBytes = 0;
      this.dropTransfer();
      return;
    }
    if (parts[0] === "+CONTINUE") {
      if (parts[1] !== undefined && parts[1] !== this.masterReplid) {
        this.log(`Master replication ID changed to ${parts[1]}`);
        this.masterReplid = parts[1];
        this.server.replication.switchReplid(parts[1]);
      }
      this.log("Successful partial resynchronization with master.");
      this.readOffset = this.reploff;
      this.unforwarded = new Uint8Array(0);
      this.toForward = 0;
      this.startStream();
      this.log("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
      this.server.notifySupervisor("STATUS=MASTER <-> REPLICA sync: Partial Resynchronization accepted. Ready to accept connections in read-write mode.\n");
      return;
    }
    if (line.startsWith("-NOMASTERLINK") || line.startsWith("-LOADING")) this.fail(`Master is currently unable to PSYNC but should be in the future: ${line}`, "notice");
    else if (line.startsWith("-ERR")) this.fail(`Master does not support PSYNC or is in error state (reply: ${line})`, "notice");
    else this.fail(`Unexpected reply to PSYNC from master: ${line}`);
  }

  /** Collect the snapshot, in the `$<len>` form or the diskless `$EOF:<mark>` form. */
  private onTransferData(): void {
    if (this.transfer === undefined && !this.startTransfer()) return;
    const t = this.transfer!;
    // In the `$<len>` form, bytes past the snapshot are the stream's first (kept for after the load).
    let rest = new Uint8Array(0);
    if (this.pending.length > 0) {
      let piece = this.pending;
      if (t.size >= 0 && piece.length > t.size - t.received) {
        rest = copyBytes(piece, t.size - t.received);
        piece = piece.subarray(0, t.size - t.received);
      }
      if (t.window !== undefined) t.window.push(piece);
      else {
        try {
          for (let at = 0; at < piece.length; ) at += writeSync(t.file!.fd, piece, at, piece.length - at);
        } catch (e) {
          this.server.log.warning(`Write error saving the MASTER synchronization DB on disk: ${(e as Error).message}`);
          this.dropTransfer();
          this.socket?.end();
          return;
        }
      }
      t.received += piece.length;
      // A snapshot read into memory is not counted, as Redis's reads to its parser are not.
      if (t.file !== undefined) this.syncReadBytes = t.received;
      this.syncLastIoMs = Date.now();
      // Only the last bytes matter for spotting the end mark: no re-scan of the payload.
      t.tail = (t.tail + bytesToString(piece.subarray(Math.max(0, piece.length - EOF_MARK_LEN)))).slice(-EOF_MARK_LEN);
      this.pending = new Uint8Array(0);
    }
    if (t.eofMark === undefined ? t.received < t.size : t.tail !== t.eofMark) return;
    // The diskless form's end mark is not the snapshot's; the master sends nothing more until our first ACK.
    if (t.eofMark !== undefined) t.size = t.received - EOF_MARK_LEN;
    t.window?.end(t.size);
    if (t.file !== undefined) {
      try {
        ftruncateSync(t.file.fd, t.size);
        // On disk before it replaces the dump, as Redis fsyncs it.
        fsyncSync(t.file.fd);
      } catch (e) {
        this.server.log.warning(`Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: ${(e as Error).message}`);
        this.dropTransfer();
        this.socket?.end();
        return;
      }
      closeSync(t.file.fd);
    }
    this.transfer = undefined;
    // What follows the snapshot, and what comes while it loads, waits.
    this.pending = new Uint8Array(0);
    this.loadingInput = rest.length > 0 ? [rest] : [];
    this.state = LinkState.Loading;
    // One loaded as it arrives is loading already.
    if (t.file !== undefined) void this.loadSnapshot(t);
  }

  /**
   * The snapshot's header: where it goes. As Redis's useDisklessLoad, it is loaded as it
   * arrives with repl-diskless-load swapdb, or on-empty-db when there are no keys; a load
   * aside keeps answering from the old data while the master's history is this replica's
   * own (async loading), else clients are answered -LOADING from now on.
   */
  private startTransfer(): boolean {
    // Newlines may still arrive before the payload header.
    while (this.pending[0] === 0x0a) this.pending = this.pending.subarray(1);
    const header = this.takeLine();
    if (header === undefined) return false;
    if (!header.startsWith("$")) {
      if (header.startsWith("-")) this.fail(`MASTER aborted replication with an error: ${header.slice(1)}`);
      else this.fail(`Bad protocol from MASTER, the first byte is not '$' (we received '${header}'), are you sure the host and port are right?`);
      return false;
    }
    const server = this.server;
    const eofMark = header.startsWith("$EOF:") ? header.slice(5, 5 + EOF_MARK_LEN) : undefined;
    const size = eofMark === undefined ? Number(header.slice(1)) : -1;
    const mode = server.config.get("repl-diskless-load");
    const diskless = mode === "swapdb" || (mode === "on-empty-db" && server.keyspace.dbs.every((db) => db.size === 0));
    let file: Transfer["file"];
    if (!diskless) {
      const path = join(dirname(server.rdbPath), `temp-${Math.floor(Date.now() / 1000)}.${process.pid}.rdb`);
      try {
        file = { fd: openSync(path, "w"), path };
      } catch (e) {
        server.log.warning(`Opening the temp file needed for MASTER <-> REPLICA synchronization: ${(e as Error).message}`);
        this.socket?.end();
        return false;
      }
    }
    const swap = mode === "swapdb";
    const window = diskless ? new PiecesWindow([], eofMark === undefined ? size : Infinity, true, eofMark === undefined ? 0 : EOF_MARK_LEN) : undefined;
    // The master's bytes wait in the sockets' buffers while the load catches up.
    if (window !== undefined) window.flow = this.socket;
    const t: Transfer = { size, eofMark, received: 0, tail: "", file, window, swap, cut: false };
    this.transfer = t;
    this.syncTotalBytes = Math.max(0, size);
    const to = diskless ? "to parser" : "to disk";
    if (eofMark !== undefined) this.log(`MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF ${to}`);
    else this.log(`MASTER <-> REPLICA sync: receiving ${size} bytes from master ${to}`);
    if (diskless) {
      if (!swap) this.flushOldData();
      this.log("MASTER <-> REPLICA sync: Loading DB in memory");
      server.beginLoading(swap && server.replication.replid === this.masterReplid);
      void this.loadSnapshot(t);
    }
    return true;
  }

  /**
   * The data goes before a snapshot loads into its place, and with it the place in the old
   * stream: a link lost now must not resync partially onto an empty dataset (Redis discards
   * its cached master here).
   */
  private flushOldData(): void {
    this.reploff = -1;
    this.log("MASTER <-> REPLICA sync: Flushing old data");
    this.server.keyspace.flushAll();
    this.server.scripting.flushFunctions();
  }

  /** A transfer cut off: its temp file goes, or the load from memory finds the snapshot cut short (loadSnapshot). */
  private dropTransfer(): void {
    const t = this.transfer;
    this.transfer = undefined;
    if (t === undefined) return;
    t.cut = true;
    if (t.file !== undefined) {
      closeSync(t.file.fd);
      rmSync(t.file.path, { force: true });
    } else t.window!.end();
  }

  /**
   * Replace the dataset with the snapshot received: from the temp file, which then becomes
   * the server's dump (Redis's rdb file after a sync) unless rdb-del-sync-files asks for it
   * gone on a server that persists nothing, or as it arrives (diskless: started with the
   * transfer, waiting for the bytes not yet in), where no file is written. Then apply the
   * stream. The event loop turns every
   * loading-process-events-interval-bytes of the snapshot, as Redis's does while a replica
   * loads: clients are answered -LOADING and INFO shows loading:1 (or async_loading:1,
   * reads answered from the old data, Transfer.swap). If it cannot load, the link is closed
   * (retried later) and the dump left as it was; a load aside leaves the old data in place,
   * any other leaves the replica empty rather than half-loaded.
   */
  private async loadSnapshot(t: Transfer): Promise<void> {
    const server = this.server;
    const path = t.file?.path;
    if (path !== undefined) {
      this.flushOldData();
      this.log("MASTER <-> REPLICA sync: Loading DB in memory");
    }
    const keyspace = t.swap ? server.keyspace.scratch() : server.keyspace;
    if (t.swap) this.loadingAside = keyspace;
    // A load aside keeps the libraries for the swap; the live ones serve until then.
    const libraries: Uint8Array[] = [];
    const onFunction = t.swap ? (code: Uint8Array) => void libraries.push(copyBytes(code)) : server.scripting.loadFromImage;
    const stepBytes = server.config.int("loading-process-events-interval-bytes");
    const start = performance.now();
    let loaded: LoadResult | undefined;
    let steps: Generator<LoadStep, LoadResult>;
    if (path !== undefined) steps = loadRdbSteps(path, keyspace, undefined, onFunction, stepBytes);
    else steps = loadImageSteps(t.window!, keyspace, "received from the master", undefined, onFunction, stepBytes);
    const failed = (reason: string) => {
      if (path !== undefined) rmSync(path, { force: true });
      server.log.warning(reason);
      server.log.warning(`Failed trying to load the MASTER synchronization DB from ${path !== undefined ? "disk" : "socket"}, check server logs.`);
      this.discardLoad(t);
      // A link already lost was handled then (onLinkLost); else it goes now.
      if (!t.cut) this.afterLoad(false);
    };
    try {
      loaded = await server.loadInSteps(steps, undefined, () => this.stopped);
    } catch (e) {
      return failed((e as Error).message);
    } finally {
      this.loadingAside = undefined;
    }
    // The image's end came before the transfer's (in the `$EOF:` form, bytes before the mark).
    if (loaded !== undefined && this.transfer === t) return failed("the snapshot ended before the end of the transfer");
    if (loaded === undefined) {
      // Stopped meanwhile (promoted, or following another master): half a snapshot is no
      // dataset to keep; the file goes with it.
      if (path !== undefined) rmSync(path, { force: true });
      this.discardLoad(t);
      this.loadingInput = [];
      this.lostWhileLoading = false;
      this.state = LinkState.Connect;
      this.log("MASTER <-> REPLICA sync: loading stopped, the link was closed meanwhile");
      return;
    }
    this.log(`Done loading RDB, keys loaded: ${loaded.keys}, keys expired: ${loaded.expired}.`);
    if (t.swap) {
      const error = server.scripting.replaceLibraries(libraries);
      if (error !== undefined) return failed(`Failed loading a function library of the snapshot: ${error}`);
      this.log("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
      server.keyspace.swapWith(keyspace);
      this.log("MASTER <-> REPLICA sync: Discarding old DB in background");
    }
    if (path !== undefined) {
      try {
        // Redis's allPersistenceDisabled: no save points and no AOF.
        if (server.config.get("rdb-del-sync-files") === "yes" && !server.persistence.hasSavePoints && !server.aof.on) rmSync(path, { force: true });
        else {
          renameSync(path, server.rdbPath);
          syncDirectory(dirname(server.rdbPath));
        }
      } catch (e) {
        server.log.warning(`Failed trying to rename the temp DB into ${server.rdbPath}: ${(e as Error).message}`);
      }
    }
    // The dump now holds what memory does (unless nothing persists): no changes to save.
    server.keyspace.dirty = 0;
    this.reploff = this.readOffset;
    this.unforwarded = new Uint8Array(0);
    this.toForward = 0;
    // This server's own replicas must now resync from the new history.
    server.replication.adoptHistory(this.masterReplid, this.reploff);
    this.pendingDb = Number(loaded.aux.get("repl-stream-db") ?? 0);
    this.log(`MASTER <-> REPLICA sync: Finished with success (${((performance.now() - start) / 1000).toFixed(3)} seconds)`);
    this.server.notifySupervisor("STATUS=MASTER <-> REPLICA sync: Finished with success. Ready to accept connections in read-write mode.\n");
    this.afterLoad(true);
  }

  /** A load that failed or was stopped: one aside is dropped, the old data kept; any other leaves nothing. */
  private discardLoad(t: Transfer): void {
    if (t.swap) this.log("MASTER <-> REPLICA sync: Discarding temporary DB in background");
    else this.server.keyspace.flushAll();
  }

  /**
   * The snapshot is loaded (or failed to): the stream starts, with what waited, unless the
   * link went meanwhile (it is then handled as lost now; the next sync may be partial).
   */
  private afterLoad(ok: boolean): void {
    const waiting = this.loadingInput;
    this.loadingInput = [];
    if (this.lostWhileLoading || !ok) {
      this.lostWhileLoading = false;
      // The link goes now: what its socket still sends (the rest of a snapshot that did not
      // load as it arrived) is not read.
      this.state = LinkState.Transfer;
      const socket = this.socket;
      this.attempt++;
      this.onLinkLost();
      socket?.end();
      return;
    }
    this.startStream();
    // The first ACK puts this replica online on the master (needed after a diskless sync).
    this.sendAck();
    for (const chunk of waiting) this.feedStream(chunk);
  }

  /**
   * The database the stream continues in after a sync: a full sync's snapshot's
   * repl-stream-db, or at start-up the dump's, for a partial resync (Server.follow).
   */
  pendingDb = 0;

  /** Where this replica is in its master's stream, for a dump saved now (undefined before its first sync). */
  saveInfo(): ReplicationInfo | undefined {
    if (this.reploff < 0) return undefined;
    return { streamDb: this.masterClient?.db.id ?? this.pendingDb, replid: this.masterReplid, offset: this.reploff };
  }

  private startStream(): void {
    this.state = LinkState.Connected;
    // A long load read nothing: the master's silence counts from now.
    this.lastIoMs = Date.now();
    const socket = this.socket!;
    const client = new Client(
      this.server,
      { write: (d) => d.length, end: () => socket.end(), terminate: () => socket.terminate() },
      peerId(this.host, this.port),
      `:${this.server.port}`,
      this,
    );
    // The master's stream runs with every permission (Redis gives it no user at all).
    client.setUser(this.server.acl.superuser, true);
    client.db = this.server.keyspace.dbs[this.pendingDb] ?? client.db;
    this.server.clients.set(client.id, client);
    this.masterClient = client;
    this.streamStart = this.readOffset;
  }

  private feedStream(chunk: Uint8Array): void {
    this.unforwarded = this.unforwarded.length === 0 ? copyBytes(chunk) : Buffer.concat([this.unforwarded, chunk]);
    this.readOffset += chunk.length;
    this.masterClient?.onData(chunk);
  }
}
