/**
 * Client: the state of one connection and its read -> dispatch -> single write loop.
 * Every read is parsed to its end, each complete request is dispatched in order, and all
 * the replies the read produced leave in one socket write, at the end of the event loop's
 * turn when they are small (server/turn-output.ts). When the kernel takes only part
 * of it, the tail is kept and sent on `drain` before anything newer, so bytes are never
 * lost or reordered. Handlers see a Client as their context but never its socket.
 */
import { ProtocolError } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import { copyBytes, repr } from "../resp/bytes.ts";
import { RequestParser } from "../resp/parser.ts";
import { ReplyWriter } from "../resp/writer.ts";
import type { Database } from "../store/keyspace.ts";
import { updateClock } from "../clock.ts";
import type { Command } from "../commands/command.ts";
import { clientInfoLine, clientMemory } from "../commands/connection.ts";
import type { Context, ReplicaInfo, TrackingState } from "../commands/context.ts";
import { aclCheck, call, processCommand, settleCommandTime } from "./dispatch.ts";
import type { BlockedOnKeys } from "./blocking.ts";
import type { NotifyClass } from "../keyspace-events.ts";
import { readNow } from "./poll.ts";
import { EVICTION_MIN_LIMIT, evictClients } from "./client-eviction.ts";
import type { Server } from "./server.ts";
import type { User } from "./acl.ts";

/** What a Client needs of its socket: a listener's socket, or a replica's link to its master. */
export interface ClientSocket {
  /** The file descriptor, read directly while a long script holds the event loop (server/poll.ts). */
  readonly fd?: number;
  write(data: Uint8Array): number;
  end(): void;
  terminate(): void;
  /** Stop and restart reading (Bun's sockets; see Client.yieldTurn). */
  pause?(): void;
  resume?(): void;
  /** TCP_NODELAY (on for Bun's sockets). */
  setNoDelay?(on: boolean): boolean;
}

/**
 * The requests of one read a client is served in one turn of the event loop; the rest of
 * the read waits for the next turn (Client.yieldTurn). Five hundred small commands take
 * about a millisecond; a read of big values (eight 64 KB SETs in Bun's 512 KB) is never
 * split by count, as splitting it cost a third more CPU in turns and writes. Reads up to
 * 64 KB, ordinary pipelines, are split by count only past SMALL_READ_REQUESTS, which no read
 * reaches: only TURN_MS ends their turn.
 */
const TURN_REQUESTS = 500;
const SMALL_READ_REQUESTS = 2 ** 30;
/**
 * A read's turn also ends once it has run this long (ms; the clock read every 64 requests):
 * a turn's thousand SETs of new keys took 4-25 ms while a bulk load of 1M keys grew the
 * table and faulted in fresh memory. A probe client's worst round trip during such a load
 * fell from 26-39 ms to 13-20 in four alternated runs, the load taking as long. Reads under
 * 64 KB end their turn so too: the first 64 KB of a fresh server's first bulk load, 1,600
 * SETs in code not yet compiled, took 8-20 ms in one turn (split: 4-8 ms). Halving both
 * (from 2 ms and 1,000 requests), 2026-12-06: the worst round trip during a 1M-key load,
 * in seven alternated pairs, 11.8-20.1 ms (median 15.9) -> 9.0-16.9 (12.6), the load's
 * time and CPU the same within their noise (2.3-2.8 s and 2.1-2.6 s either way); in two
 * `bun run bench --big-only` runs each, 15.0-16.4 -> 9.7-12.3 ms (Redis 5.5-9.0). A server
 * warmed by an earlier load stalled as long as a fresh one: the stalls are not the JIT's
 * warm-up.
 */
const TURN_MS = 1;
const TURN_MIN_BYTES = 64 * 1024;

/**
 * A client that is a replica's link to its master: its commands are applied without
 * replies (Redis answers its master only for REPLCONF GETACK, which the link sends itself),
 * and each applied request advances the replication offset.
 */
export interface MasterLink {
  /** Called after each request from the master, with where it ended in the current read. */
  applied(requestEnd: number): void;
  /** REPLCONF GETACK: acknowledge the offset now. */
  sendAck(): void;
}

/** Redis's PROTO_REPLY_CHUNK_BYTES: a client's own reply buffer, which output limits leave out. */
const REPLY_BUFFER_BYTES = 16 * 1024;

export class Client implements Context {
  readonly id: number;
  readonly parser = new RequestParser();
  readonly createdAt = Date.now();

  get fd(): number {
    return this.socket.fd ?? -1;
  }

  /** repl-disable-tcp-nodelay: a replica's stream goes out in fewer, bigger packets. */
  disableNoDelay(): void {
    this.socket.setNoDelay?.(false);
  }
  lastInteraction = this.createdAt;
  db: Database;
  resp: 2 | 3 = 2;
  name = "";
  libName = "";
  libVer = "";
  /** CLIENT TRACKING's state while it is on. */
  tracking: TrackingState | undefined;
  /**
   * CLIENT NO-TOUCH: this client's commands leave keys' access times alone (TOUCH excepted).
   * Access times are kept only under an LRU or LFU maxmemory policy (store/access.ts).
   */
  noTouch = false;
  /** The ACL user this connection runs as, and whether it authenticated as that user. */
  user: User;
  authenticated: boolean;
  /** The last command's full name, for CLIENT LIST's cmd=. */
  lastCommand = "NULL";
  /** When the time of `timedCommand` was last settled in this read: see call(). */
  commandClock = 0;
  /** When the clock was last read for this client's commands: a command the slow log times runs from there. */
  callClock = 0;
  /** Whether callClock was read at the end of the last call, with no call since. */
  callClockFresh = false;
  /** The command whose calls in this read the clock is running for, and how many ran. */
  timedCommand: Command | undefined;
  timedCalls = 0;
  /** Set by QUIT, a protocol error or CLIENT KILL: close once the replies are out. */
  closeAfterReply = false;
  closed = false;
  /** Set once this connection has become a replica (REPLCONF, then PSYNC). */
  replica: ReplicaInfo | undefined;
  /**
   * Set by a handler whose command must reach replicas in another form: relative TTLs as
   * absolute ones, random or float results as their effect (Redis's alsoPropagate).
   */
  propagation: Array<Array<string | Uint8Array>> | undefined;
  /** Commands queued since MULTI; undefined outside a transaction. */
  multi: Array<{ cmd: Command; argv: Argv }> | undefined;
  /** A queued command was refused: EXEC will answer EXECABORT. */
  multiFailed = false;
  multiBytes = 0;
  /** A WATCHed key changed: EXEC will answer a null array. */
  dirtyCas = false;
  /** While EXEC runs the queue. */
  inExec = false;
  execShown: { length: number; argvBytes: number } | undefined;
  /** Set on the client scripts run their commands as (src/scripting/runtime.ts). */
  fromScript = false;
  /** WATCHed keys, with whether each had already expired when watched. */
  private watching: Array<{ db: Database; key: string; expired: boolean }> = [];
  /** The replication offset just after this client's last write (what WAIT waits for). */
  replOffset = 0;
  /**
   * While blocked (keys, WAIT, CLIENT PAUSE), requests are not read: what arrives waits
   * here, in order.
   */
  private blocked = false;
  private deferredInput: Uint8Array[] = [];
  /** Their bytes: client-query-buffer-limit counts them, as Redis counts a blocked client's unread input. */
  private deferredBytes = 0;
  private pendingOut: Uint8Array[] | null = null;
  private pendingBytes = 0;
  /** Whether `pendingOut` holds only views of the turn's buffer (server/turn-output.ts), and this client is among its holders. */
  private holdsTurn = false;
  private drainWaiters: Array<() => void> = [];
  /** Bytes of the unfinished request received so far (client-query-buffer-limit). */
  private queryBytes = 0;
  /** Where the last request completed in the current read ended, -1 when none did. */
  private lastRequestEnd = -1;
  /**
   * The master link's input served before the read being served (its requests' ends count
   * from there), and where the request CLIENT PAUSE holds ends: the stream offsets the
   * replica has applied (MasterLink.applied) follow the requests actually run.
   */
  private inputPos = 0;
  private heldEnd = 0;
  /** Bytes of the read being served (with an unfinished request carried from the one before), 0 between reads. */
  private readBytes = 0;

  /**
   * CLIENT LIST's qbuf, as Redis's query buffer: the read being served, or between reads
   * the part of an unfinished request that is no argument yet, and what waits for a
   * blocked command or for the next turn.
   */
  get queryBufferBytes(): number {
    return (this.readBytes > 0 ? this.readBytes : this.parser.partialBytes) + this.deferredBytes;
  }

  /** The memory input holds (tot-mem): the read being served or the whole unfinished request, the room for its bulk, what waits. */
  get inputBytes(): number {
    return (this.readBytes > 0 ? this.readBytes : this.queryBytes) + this.parser.reservedBytes + this.deferredBytes;
  }

  /** CLIENT LIST's argv-mem between reads: the arguments of an unfinished request parsed so far. */
  get partialArgvBytes(): number {
    return this.parser.pending ? this.parser.partialArgBytes : 0;
  }

  /** Keys WATCHed (client memory counts them). */
  get watchedKeys(): number {
    return this.watching.length;
  }

  /** CLIENT LIST's qbuf-free: room allocated for the rest of a bulk argument being received. */
  get queryBufferFree(): number {
    return this.parser.reservedBytes;
  }

  /** What Server.clientBuffers holds of this client's: its input and output waiting. */
  private accounted = 0;

  /**
   * Keep Server.clientBuffers (the buffers used_memory counts, as Redis counts clients'
   * query and reply buffers) current with this client's unfinished request, the input
   * waiting for it and the output waiting for its socket. A replica's output is counted
   * apart (Server.notCountedForEvict), and the master's link not at all.
   */
  private account(): void {
    const bytes = this.closed || this.replica !== undefined || this.masterLink !== undefined ? 0 : this.queryBytes + this.parser.reservedBytes + this.deferredBytes + this.pendingBytes;
    if (bytes !== this.accounted) {
      this.server.clientBuffers += bytes - this.accounted;
      this.accounted = bytes;
    }
  }

  /** CLIENT LIST's argv-mem: the bytes of the arguments of the command running now, or of the one it is blocked in. */
  get argvBytes(): number {
    return (this.blockedOnKeys?.argv ?? this.argv)?.byteLength() ?? 0;
  }

  private readonly sink = (argv: Argv) => {
    this.lastRequestEnd = this.parser.requestEnd;
    const keepGoing = this.masterLink === undefined ? processCommand(this, argv) : this.applyFromMaster(argv, this.inputPos + this.parser.requestEnd);
    if (!keepGoing || this.blocked) return false;
    if (--this.turnLeft > 0 && (this.turnLeft === Infinity || (this.turnLeft & 63) !== 0 || performance.now() - this.turnStart < TURN_MS)) return true;
    this.yielding = true;
    return false;
  };

  /**
   * Run a request of the master's stream ending at `end` (of this client's input). Replies
   * to the master are dropped; an error among them (one inside EXEC too) means a command the
   * master sent could not be applied, which must not pass silently. A write CLIENT PAUSE
   * holds counts as applied only once it runs (runHeld), as Redis's paused master client
   * reads on while its offset stays.
   */
  private applyFromMaster(argv: Argv, end: number, held = false): boolean {
    const server = this.server;
    server.unexpectedFrom = "master";
    server.unexpectedArgv = argv;
    let keepGoing: boolean;
    try {
      keepGoing = processCommand(this, argv);
    } finally {
      server.unexpectedFrom = server.unexpectedArgv = undefined;
    }
    // Held, the client is blocked until the command has run (runHeld).
    if (this.blocked && !held) this.heldEnd = end;
    else this.masterLink!.applied(end);
    return keepGoing;
  }

  /**
   * The command a pause held runs now (Pausing.runWaiting), checked anew from the start as
   * Redis reprocesses a postponed command (after a FAILOVER a write meets -READONLY), and
   * then what the client sent meanwhile, before the next held client's turn, as Redis goes
   * through its unblocked clients. A command that blocks again (BLPOP of an empty list,
   * MIGRATE, WAIT) holds the rest until it is served.
   */
  runHeld(argv: Argv): void {
    const writer = new ReplyWriter();
    writer.resp = this.resp;
    this.replyOverride = writer;
    this.blocked = false;
    try {
      if (this.masterLink === undefined) processCommand(this, argv);
      else this.applyFromMaster(argv, this.heldEnd, true);
    } finally {
      this.replyOverride = undefined;
    }
    // The writer is this command's own: its bytes go out as they are.
    const reply = writer.view();
    if (reply.length > 0) this.send(reply);
    if (!this.blocked) this.serveDeferred();
  }

  /** Serve what waited while this client was blocked; a command that blocks it again leaves the rest waiting. */
  private serveDeferred(): void {
    for (const chunk of this.takeDeferred()) this.serve(chunk, true);
  }

  constructor(
    readonly server: Server,
    private readonly socket: ClientSocket,
    readonly addr: string,
    readonly laddr: string,
    /** Set for the client that carries a replica's stream from its master. */
    readonly masterLink?: MasterLink,
  ) {
    this.id = server.nextClientId++;
    this.db = server.keyspace.dbs[0]!;
    this.user = server.acl.defaultUser;
    this.authenticated = !server.acl.authRequired;
    this.parser.maxBulkLen = server.config.int("proto-max-bulk-len");
  }

  /** The client that replays the AOF (set by the AOF loader). */
  aofLoader = false;
  /** Connected through tls-port (set by the server when it accepts it). */
  tls = false;
  scriptDebug: "no" | "yes" | "sync" = "no";

  get repliesPending(): boolean {
    return this.server.writer.length > 0 || this.pendingBytes > 0;
  }
  /** Connected through the Unix socket (set by the server when it accepts it). */
  unixSocket = false;

  /**
   * Whether this client's writes must be applied whatever the server's state (Redis's
   * mustObeyClient): the master's stream on a replica, and the AOF being loaded. Neither is
   * refused for memory, read-only, stale or MISCONF reasons, nor cut short by limits the
   * original command already applied.
   */
  get mustObey(): boolean {
    return this.masterLink !== undefined || this.aofLoader;
  }

  /**
   * Whether commands other than AUTH and HELLO are refused (Redis's authRequired): the
   * default user's password is checked whenever it changes, not only when a client connects.
   */
  get authRequired(): boolean {
    return !this.authenticated && this.server.acl.authRequired;
  }

  setUser(user: User, authenticated: boolean): void {
    this.user = user;
    this.authenticated = authenticated;
    this.parser.authRequired = this.authRequired;
  }

  /** Set while a blocked command is retried on behalf of this client (server/blocking.ts). */
  replyOverride: ReplyWriter | undefined;

  /** The shared reply buffer; its protocol is this client's while its commands run. */
  get reply(): ReplyWriter {
    return this.replyOverride ?? this.server.writer;
  }

  /** Bytes waiting for the socket to drain (CLIENT LIST's omem). */
  get outputPending(): number {
    return this.pendingBytes;
  }

  /**
   * A read from the socket. `own`: the chunk is the caller's to give away, as the server's
   * sockets' reads are (Bun hands each read over in an ArrayBuffer of its own, which
   * test/unit/server/connection.test.ts pins), so what must wait for a later turn is kept as
   * it is: copying the rest of 512 KB reads cost a bulk load a tenth of its time, nearly
   * all of it faulting in the copies' fresh pages.
   */
  onData(chunk: Uint8Array, own = false): void {
    if (this.closeAfterReply) return;
    const stats = this.server.stats;
    stats.readsProcessed++;
    if (this.masterLink === undefined) stats.netInputBytes += chunk.length;
    else stats.netReplInputBytes += chunk.length;
    this.serve(chunk, own);
  }

  /**
   * Serve the requests in `chunk`: a read, copied if it must wait unless `owned` (a read of
   * its own, or what waited of one), which is kept as it is.
   */
  private serve(chunk: Uint8Array, owned = false): void {
    if (this.closeAfterReply) return;
    // Output that piled up since the last read (a tracking broadcast, say) is looked at
    // before this read's commands, as Redis evicts clients before each command.
    this.evictIfGrown(false);
    if (this.closed) return;
    if (this.blocked || this.yielding) {
      this.defer(owned ? chunk : copyBytes(chunk));
      // The master's stream waits whole while a pause holds it, as Redis exempts its master.
      if (this.deferredBytes > this.server.config.int("client-query-buffer-limit") && this.masterLink === undefined) this.closeForQueryBuffer(this.deferredInput[0]!);
      return;
    }
    // A read is served a turn's worth at a time; the master's stream (whose offsets count
    // within each read) always whole.
    this.turnLeft = this.masterLink !== undefined ? Infinity : chunk.length > TURN_MIN_BYTES ? TURN_REQUESTS : SMALL_READ_REQUESTS;
    this.lastInteraction = updateClock();
    // Before AUTH the parser caps request sizes, as Redis does.
    this.parser.authRequired = this.authRequired;
    this.turnStart = this.commandClock = this.callClock = performance.now();
    this.timedCommand = undefined;
    const writer = this.server.writer;
    writer.reset();
    writer.resp = this.resp;
    this.readBytes = chunk.length + (this.parser.pending ? this.queryBytes : 0);
    try {
      this.lastRequestEnd = -1;
      if (!this.parser.pending) this.db.prefetchKeys(chunk);
      this.parser.feed(chunk, this.sink);
      if (!this.parser.pending) this.queryBytes = 0;
      else if (this.queryBufferExceeded(chunk)) return;
      // A command blocked the client, or the turn's share is served: the rest of this read
      // waits until it is released, or for the next turn.
      if ((this.blocked || this.yielding) && this.parser.requestEnd < chunk.length) {
        this.defer(owned ? chunk.subarray(this.parser.requestEnd) : copyBytes(chunk, this.parser.requestEnd));
        this.inputPos += this.parser.requestEnd;
      } else this.inputPos += chunk.length;
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      writer.error(e.reply);
      this.server.log.verbose(`Protocol error (${e.text}) from client: id=${this.id} addr=${this.addr}`);
      this.closeAfterReply = true;
    }
    this.readBytes = 0;
    settleCommandTime(this);
    this.flush();
    // The clock read once the read's last command was timed (settleCommandTime).
    this.server.turnOutput.releaseIfLong(this.callClock);
    this.account();
    this.evictIfGrown(true);
    if (this.closeAfterReply) this.close();
    else if (this.yielding) this.yieldTurn();
  }

  /**
   * A client grown big (a request half-read, output waiting, many watched keys or
   * subscriptions), this one (`lookAtSelf`) or one written to (Server.clientGrew), may put the
   * clients over maxmemory-clients: looked at now, as Redis looks around every command,
   * rather than at the cron's next look.
   */
  private evictIfGrown(lookAtSelf: boolean): void {
    const server = this.server;
    // Off (the default): nothing to look at, and no client's memory is added up.
    if (server.clientEvictionLimit === 0) return;
    if (!server.clientGrew && !(lookAtSelf && clientMemory(this) >= EVICTION_MIN_LIMIT)) return;
    server.clientGrew = false;
    evictClients(server);
  }

  /** Requests of the current read still to serve this turn (TURN_REQUESTS), and when it began. */
  private turnLeft = Infinity;
  private turnStart = 0;
  /** Set while the rest of a big read waits in deferredInput for the next turn. */
  private yielding = false;
  /** Whether the socket is paused for that. */
  private readsPaused = false;

  /**
   * The turn's share of a big read is served: stop reading the socket and go on at the
   * event loop's next turn, once the other clients have had theirs. Bun reads a socket again
   * at once while each read fills its 512 KB buffer, so a client streaming requests
   * (redis-cli --pipe, a bulk load) had the socket's whole backlog, 5.7 MB or 80,000 SETs,
   * served in one turn while every other client waited: a PING every millisecond saw stalls
   * of 200-550 ms during such a load (Redis, which reads 16 KB a client a turn: 8-9 ms).
   */
  private yieldTurn(): void {
    if (!this.readsPaused) this.socket.pause?.();
    this.readsPaused = true;
    setImmediate(() => {
      this.yielding = false;
      if (this.closed) return;
      const waiting = this.takeDeferred();
      for (let i = 0; i < waiting.length; i++) {
        this.serve(waiting[i]!, true);
        if (this.yielding || this.blocked) {
          // What this read left is first in the queue now; the reads after it follow.
          for (let j = i + 1; j < waiting.length; j++) this.defer(waiting[j]!);
          // A next turn was scheduled; a blocked client reads on (its input waits in the queue).
          if (this.yielding) return;
          break;
        }
      }
      this.readsPaused = false;
      if (!this.closed) this.socket.resume?.();
    });
  }

  /**
   * While a script runs past busy-reply-threshold: serve what this client sent meanwhile
   * (its commands are answered -BUSY unless allowed while busy), reading its socket directly.
   */
  readWhileBusy(): void {
    const fd = this.socket.fd;
    // A TLS client's bytes need its session to be read: it waits for the script's end.
    if (fd === undefined || this.closed || this.tls) return;
    for (let reads = 0; reads < 16 && !this.closed; reads++) {
      const chunk = readNow(fd);
      if (chunk === undefined) return;
      // The peer closed: the client goes now, as Redis frees it while a script is busy (a
      // replica gone is then missing from INFO, which the script may be waiting for).
      if (chunk === null) return this.kill();
      this.onData(chunk);
    }
  }

  /**
   * Whether the unfinished request has grown past client-query-buffer-limit; the client is
   * then closed at once, as Redis closes it, so a client that never ends a request cannot
   * make the server hold unbounded input.
   */
  private queryBufferExceeded(chunk: Uint8Array): boolean {
    this.queryBytes = this.lastRequestEnd < 0 ? this.queryBytes + chunk.length : chunk.length - this.lastRequestEnd;
    if (this.queryBytes <= this.server.config.int("client-query-buffer-limit")) return false;
    this.closeForQueryBuffer(chunk.subarray(Math.max(0, this.lastRequestEnd)));
    return true;
  }

  /** Close the client, logged as Redis logs it: its CLIENT LIST line and the first 64 bytes of its waiting input. */
  private closeForQueryBuffer(input: Uint8Array): void {
    this.server.log.warning(`Closing client that reached max query buffer length: ${clientInfoLine(this, Date.now())} (qbuf initial bytes: ${repr(input.subarray(0, 64))})`);
    this.terminate();
  }

  /** Keep input to serve later (a blocked command's release, or the next turn), in order. */
  private defer(bytes: Uint8Array): void {
    this.deferredInput.push(bytes);
    this.deferredBytes += bytes.length;
    this.account();
  }

  private takeDeferred(): Uint8Array[] {
    const waiting = this.deferredInput;
    this.deferredInput = [];
    this.deferredBytes = 0;
    this.account();
    return waiting;
  }

  /** Send what the shared writer holds, keeping any tail the socket did not take. */
  flush(): void {
    const writer = this.server.writer;
    if (writer.length === 0) return;
    if (this.masterLink !== undefined) {
      // Replies to the master are dropped (errors among them were told as they came).
      writer.reset();
      return;
    }
    // Replies over the hard output limit close the client before any of them is written,
    // as Redis's reply buffers reach the limit before the socket sees them.
    if (this.replyOverLimit()) {
      writer.reset();
      return;
    }
    this.send(writer.view());
    writer.reset();
    // Replies a client does not read wait here; the normal class's limit (none by default,
    // as in Redis) bounds them.
    if (this.pendingOut !== null) this.enforceOutputLimit();
  }

  /**
   * Whether the replies of this read and the output still waiting have passed the hard
   * client-output-buffer-limit of the client's class: the client is then closed at once,
   * and a command building a reply without bound (HRANDFIELD with a count of a billion)
   * stops, as Redis's stop when their client is to be closed. Scripts' replies are the
   * script's, and never close anything.
   */
  replyOverLimit(): boolean {
    if (this.closed) return true;
    // Redis counts the reply blocks past its client's 16 KB reply buffer, each allocated
    // whole (reply_bytes): replies that fit the buffer count nothing, longer ones about
    // their whole length. The usual read (a small reply, nothing waiting) needs no look at
    // the limits.
    const replies = this.reply.length > REPLY_BUFFER_BYTES ? this.reply.length : 0;
    if ((replies === 0 && this.pendingBytes === 0) || this.fromScript || this.replica !== undefined) return false;
    const hard = this.server.outputLimit(this.outputClass).hard;
    if (hard === 0 || replies + this.pendingBytes <= hard) return false;
    this.server.log.warning(`Client ${clientInfoLine(this, Date.now())} closed for overcoming of output buffer limits.`);
    this.kill();
    return true;
  }

  /** Write bytes in order after anything still pending; copies only what must wait. */
  send(bytes: Uint8Array): void {
    if (this.closed) return;
    const stats = this.server.stats;
    stats.writesProcessed++;
    if (this.replica === undefined) stats.netOutputBytes += bytes.length;
    else stats.netReplOutputBytes += bytes.length;
    // Small replies wait for the end of the event loop's turn, and go after the AOF is
    // written (server/turn-output.ts); but not while a long script holds the loop. A client
    // already holding the turn's bytes adds to them (a subscriber's or a tracking client's
    // messages): those bytes are bounded by the turn's buffer, as Redis's by its clients'
    // 16 KB reply buffers, and do not count as output waiting.
    if ((this.pendingOut === null || this.holdsTurn) && bytes.length <= REPLY_BUFFER_BYTES && !this.server.servingWhileBusy) {
      const held = this.server.turnOutput.take(bytes, this.holdsTurn ? null : this);
      if (held !== undefined) {
        if (this.pendingOut === null) this.pendingOut = [held];
        else this.pendingOut.push(held);
        this.holdsTurn = true;
        return;
      }
    }
    if (this.pendingOut === null) {
      // Bigger replies wait too when a write waits for the AOF, as if the socket had not
      // taken them: the AOF is written (and fsynced, with `always`) once for every client of
      // this turn of the event loop, and then their replies go (server/aof.ts, `release`).
      if (this.server.aof.bufferBytes !== 0) {
        this.pendingOut = [];
        this.server.aof.hold(this);
      }
    }
    if (this.pendingOut !== null) {
      this.pendingOut.push(copyBytes(bytes));
      this.pendingBytes += bytes.length;
      this.account();
      // Output piling up for a client that does not read (a subscriber, a tracking
      // redirection): the clients' memory is looked at when the current read is served.
      if (this.pendingBytes >= EVICTION_MIN_LIMIT) this.server.clientGrew = true;
      return;
    }
    // A negative count means nothing was taken: the bytes wait like any unsent tail (if the
    // socket is closing, `onClosed` drops them).
    const written = Math.max(0, this.socket.write(bytes));
    if (written < bytes.length) {
      this.pendingOut = [copyBytes(bytes, written)];
      this.pendingBytes = bytes.length - written;
      this.account();
    }
  }

  /** WATCH a key of the selected database. */
  watch(key: string): void {
    const db = this.db;
    if (this.watching.some((w) => w.db === db && w.key === key)) return;
    let watchers = db.watchers.get(key);
    if (watchers === undefined) db.watchers.set(key, (watchers = new Set()));
    watchers.add(this);
    this.watching.push({ db, key, expired: db.isExpired(key) });
  }

  /** UNWATCH, and what EXEC, DISCARD, RESET and closing do. */
  unwatchAll(): void {
    for (const { db, key } of this.watching) {
      const watchers = db.watchers.get(key);
      watchers?.delete(this);
      if (watchers?.size === 0) db.watchers.delete(key);
    }
    this.watching = [];
    this.dirtyCas = false;
  }

  /**
   * A watched key changed: the transaction fails, unless the key had already expired when it
   * was watched and is now simply gone (Redis's touchWatchedKey: no logical change).
   */
  keyTouched(db: Database, key: string): void {
    const entry = this.watching.find((w) => w.db === db && w.key === key);
    if (entry?.expired && !db.has(key)) {
      entry.expired = false;
      return;
    }
    this.dirtyCas = true;
  }

  /** FLUSHDB or SWAPDB replaced the watched key's database: Redis's touchAllWatchedKeysInDb. */
  keyReplaced(db: Database, key: string, existed: boolean, replacedWith: Database | undefined): void {
    const entry = this.watching.find((w) => w.db === db && w.key === key);
    if (entry === undefined) return;
    if (entry.expired) {
      // An expired key gone (or replaced by another expired one) is no logical change.
      if (replacedWith === undefined || !replacedWith.has(key)) {
        entry.expired = false;
        return;
      }
      if (replacedWith.isExpired(key)) return;
    } else if (!existed && replacedWith?.isExpired(key)) {
      // A missing key replaced by an expired one: still missing.
      entry.expired = true;
      return;
    }
    this.dirtyCas = true;
  }

  /** Whether a key that was live when WATCHed has expired since (EXEC then fails, as in Redis 7). */
  watchedKeyExpired(): boolean {
    return this.watching.some((w) => !w.expired && w.db.isExpired(w.key));
  }

  /** EXEC runs each queued command here: the ACL rules are checked again (they may have changed since), then call(). */
  callQueued(cmd: Command, argv: Argv): void {
    const denied = this.user.unrestricted ? undefined : aclCheck(this, cmd, argv);
    if (denied === undefined) call(this, cmd, argv);
    else this.reply.error(denied.text);
  }

  /** Leave MULTI, dropping the queue and the watched keys. */
  discardTransaction(): void {
    this.multi = undefined;
    this.multiFailed = false;
    this.unwatchAll();
  }

  /** Since when unsent output has been over the soft client-output-buffer-limit. */
  private softLimitSince: number | undefined;

  /** client-output-buffer-limit's class of this client. */
  get outputClass(): "normal" | "slave" | "pubsub" {
    return this.replica !== undefined ? "slave" : this.subscribed ? "pubsub" : "normal";
  }

  /**
   * client-output-buffer-limit for a replica, a pub/sub subscriber or a normal client: over
   * the hard limit, or over the soft one for longer than its seconds, the connection is
   * closed at once.
   */
  enforceOutputLimit(cls: "normal" | "slave" | "pubsub" = this.outputClass): void {
    const pending = this.pendingBytes;
    if (pending === 0) {
      this.softLimitSince = undefined;
      return;
    }
    const limit = this.server.outputLimit(cls);
    let over = limit.hard > 0 && pending > limit.hard;
    if (!over && limit.soft > 0 && pending > limit.soft) {
      this.softLimitSince ??= Date.now();
      over = Date.now() - this.softLimitSince > limit.seconds * 1000;
    } else if (!over) {
      this.softLimitSince = undefined;
    }
    if (over) {
      this.server.log.warning(`Client ${clientInfoLine(this, Date.now())} scheduled to be closed ASAP for overcoming of output buffer limits.`);
      this.kill();
    }
  }

  /** Channels, patterns and shard channels this connection is subscribed to. */
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  readonly shardChannels = new Set<string>();

  /** In RESP2 a subscribed connection accepts only the pub/sub commands, PING, QUIT and RESET. */
  get subscribed(): boolean {
    return this.channels.size + this.patterns.size + this.shardChannels.size > 0;
  }

  /** Announce a keyspace event on `key` of the selected database (notify-keyspace-events). */
  notify(cls: NotifyClass, event: string, key: string): void {
    if (this.server.notifier.flags !== 0) this.server.notifier.emit(cls, event, key, this.db.id);
  }

  notifies(cls: NotifyClass): boolean {
    return this.server.notifier.announces(cls);
  }

  /** Set by a write that must reach replicas and the AOF even when it changed nothing. */
  forcePropagation = false;
  /** With forcePropagation: to replicas only, not the AOF (PUBLISH, as Redis's PROPAGATE_REPL). */
  replicasOnly = false;

  /** The running command's arguments while call() runs it (views of the read: copy to keep them). */
  argv: Argv | undefined;
  /** Arguments of the running command shown as "(redacted)" in the slow log and to MONITOR. */
  redacted: number[] | undefined;

  redactArgument(i: number): void {
    (this.redacted ??= []).push(i);
  }

  /** Replicate this command as `commands` instead of as it was sent. */
  propagateAs(...commands: Array<Array<string | Uint8Array>>): void {
    this.propagation = commands;
  }

  /** Whether a command holds this client (INFO's blocked_clients counts these, as Redis does). */
  get isBlocked(): boolean {
    return this.blocked;
  }

  /** Stop reading requests after the current one until unblock (WAIT). */
  block(): void {
    this.blocked = true;
  }

  /** CLIENT REPLY: "skip-next" is set by SKIP and becomes "skip" for the command after it. */
  replyMode: "on" | "off" | "skip-next" | "skip" = "on";
  readonlyCluster = false;
  asking = false;
  /** Cluster: the hash slot of the running command's keys (-1: none), which a script's commands must share. */
  clusterSlot = -1;
  /** CLIENT NO-EVICT (shown in CLIENT LIST; KVIS does not evict clients). */
  noEvict = false;

  /** The keys this client is blocked on (BLPOP and family). */
  blockedOnKeys: BlockedOnKeys | undefined;

  /**
   * Send the blocked command's reply, then go on with the requests that waited. Those run
   * after the current task (another client's command may be what released this one).
   */
  unblock(reply: Uint8Array): void {
    if (!this.blocked) return;
    // CLIENT REPLY OFF or SKIP silences a blocked command's reply when it comes, as Redis
    // checks its flags when a reply is added (processCommand left a skip in force for it).
    if (this.replyMode === "on") this.send(reply);
    else if (this.replyMode === "skip") this.replyMode = "on";
    queueMicrotask(() => {
      this.blocked = false;
      this.serveDeferred();
    });
  }

  /** Resolves once the output that waited for the socket has gone (or the socket closed). */
  drained(): Promise<void> {
    if (this.pendingOut === null || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * The turn is over (server/turn-output.ts): send the replies held in the turn's buffer,
   * keeping a copy of what the socket did not take, since the buffer is reused.
   */
  releaseTurn(): void {
    const views = this.pendingOut?.length ?? 0;
    this.holdsTurn = false;
    this.onDrain();
    // onDrain leaves one element: a copy already when it joined several.
    const tail = this.pendingOut;
    if (tail !== null && views === 1) tail[0] = copyBytes(tail[0]!);
  }

  /** The socket can take more (or the AOF has what held the replies back): send what waited, in order. */
  onDrain(): void {
    const pending = this.pendingOut;
    if (pending === null || this.closed) return;
    const joined = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
    const written = Math.max(0, this.socket.write(joined));
    if (written < joined.length) {
      this.pendingOut = [joined.subarray(written)];
      this.pendingBytes = joined.length - written;
      this.account();
      return;
    }
    this.pendingOut = null;
    this.pendingBytes = 0;
    this.account();
    this.wakeDrainWaiters();
    if (this.closeAfterReply) this.close();
  }

  /** Close once pending output is flushed (QUIT, protocol errors, CLIENT KILL). */
  close(): void {
    this.closeAfterReply = true;
    if (this.pendingOut === null && !this.closed) this.socket.end();
  }

  /** Close at once, dropping pending output (shutdown). */
  terminate(): void {
    if (!this.closed) this.socket.terminate();
  }

  kill(): void {
    if (this.closed) return;
    // Nothing more of its input runs (the rest of a read being served).
    this.closeAfterReply = true;
    // Output still waiting for the peer is dropped, as Redis's freeClient drops it.
    if (this.pendingOut === null) this.socket.end();
    else this.socket.terminate();
    this.onClosed();
  }

  /** Called by the socket's close handler (and by kill, before it). */
  onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.account();
    this.pendingOut = null;
    this.wakeDrainWaiters();
    this.server.clients.delete(this.id);
    if (this.watching.length > 0) this.unwatchAll();
    if (this.subscribed) this.server.pubsub.unsubscribeAll(this);
    this.server.tracking.disable(this);
    this.server.monitors.delete(this);
    if (this.blockedOnKeys !== undefined) this.server.blocking.forget(this.blockedOnKeys);
    if (this.replica !== undefined) this.server.replication.removeReplica(this);
  }
}
