/**
 * The master side of Redis's replication protocol, which every server runs: a master
 * feeds it the writes it executes, a replica the stream it receives from its own master
 * (so replicas can have replicas). It keeps the replication ID and offset, the backlog
 * that PSYNC continues from, and the connected replicas:
 *
 * - PSYNC answers +CONTINUE with what the backlog holds after the replica's offset when
 *   the ID matches (or the previous ID, up to where it ended: PSYNC2 after a failover),
 *   else +FULLRESYNC and a point-in-time snapshot, streamed in the diskless `$EOF:` form
 *   to replicas that offered `capa eof`, or as `$<len>` otherwise. Writes during the
 *   snapshot wait in the replica's buffer and follow it.
 * - Writes go out as RESP with a SELECT whenever the database changes; commands whose
 *   effect depends on time or chance are rewritten by their handlers (c.propagateAs).
 * - REPLCONF ACK records each replica's offset; WAIT counts replicas that reached a
 *   client's last write, asking them with REPLCONF GETACK.
 */
import { streamSnapshot, Snapshot } from "../persistence/snapshot.ts";
import { ReplyWriter } from "../resp/writer.ts";
import { copyBytes, randomHex } from "../resp/bytes.ts";
import { EXEC, Framing } from "../server/propagate.ts";
import { type ReplicaInfo, peerIp } from "../commands/context.ts";
import type { Client } from "../server/connection.ts";
import type { Server } from "../server/server.ts";

/** A connected replica, as INFO and ROLE describe it. */

/** A client blocked in WAIT. */
interface Waiter {
  client: Client;
  offset: number;
  wanted: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** While streaming a snapshot, wait for the replica to drain beyond this much. */
const SNAPSHOT_PENDING_MAX = 8 * 1024 * 1024;
const EOF_MARK_LEN = 40;

export function randomReplid(): string {
  return randomHex(40);
}

export class ReplicationMaster {
  replid = randomReplid();
  replid2 = "0".repeat(40);
  secondOffset = -1;
  /** master_repl_offset: bytes of stream produced (or, on a replica, received and applied). */
  offset = 0;
  private backlog: Uint8Array | undefined;
  /** Next write position in the ring, and how many bytes of history it holds. */
  private head = 0;
  private history = 0;
  /**
   * The stream this turn produced, counted in `offset` but not yet in the ring nor sent:
   * encoded in place, it goes into the backlog and out to the replicas once per turn
   * (flushPending), one copy and one write per replica instead of a buffer per command.
   * With a replica attached that halved pipelined SET throughput.
   */
  private readonly pending = new ReplyWriter();
  private pendingScheduled = false;
  readonly replicas = new Set<Client>();
  /** min-replicas-to-write, kept as a number for the check before every write. */
  minReplicasToWrite = 0;

  /**
   * Whether writes may go ahead under min-replicas-to-write (Redis's
   * checkGoodReplicasStatus): always on a replica or with the option off; else when enough
   * replicas are online and acknowledged within min-replicas-max-lag seconds.
   */
  enoughGoodReplicas(): boolean {
    const needed = this.minReplicasToWrite;
    if (needed === 0) return true;
    const maxLag = this.server.config.int("min-replicas-max-lag");
    if (maxLag === 0 || this.server.replicaLink !== undefined) return true;
    const now = Date.now();
    let good = 0;
    for (const r of this.replicas) if (r.replica?.state === "online" && now - r.replica.ackTime <= maxLag * 1000) good++;
    return good >= needed;
  }
  private waiters: Waiter[] = [];
  private ackRequested = false;

  constructor(private readonly server: Server) {}

  /** Whether writes are recorded: once a replica has connected, as in Redis. */
  get active(): boolean {
    return this.backlog !== undefined;
  }

  /** Bytes held for the backlog: none until the first replica connects. */
  get backlogAllocated(): number {
    return this.backlog?.length ?? 0;
  }

  get backlogSize(): number {
    return this.server.config.int("repl-backlog-size");
  }

  /** How many bytes of history the backlog holds. */
  get histlen(): number {
    this.flushPending();
    return this.history;
  }

  /** The offset of the oldest byte the backlog holds. */
  get backlogFirstByte(): number {
    return this.offset - this.histlen + 1;
  }

  /** CONFIG SET repl-backlog-size: keep the newest bytes that fit in the new size. */
  resizeBacklog(size: number): void {
    if (this.backlog === undefined || size === this.backlog.length) return;
    const keep = Math.min(this.histlen, size);
    const newest = keep > 0 ? this.backlogFrom(this.offset - keep + 1) : new Uint8Array(0);
    this.backlog = new Uint8Array(size);
    this.backlog.set(newest);
    this.head = newest.length % size;
    this.history = newest.length;
  }

  private createBacklog(): void {
    if (this.backlog !== undefined) return;
    this.backlog = new Uint8Array(this.backlogSize);
    this.head = 0;
    this.history = 0;
  }

  /** SELECT and MULTI/EXEC framing of the stream. */
  readonly framing = new Framing();

  /** The end of EXEC: its EXEC goes out if any of its writes did. */
  endTransaction(client: Client): void {
    const before = this.offset;
    if (this.framing.end(this.feedFn)) this.feedFn(EXEC);
    // WAIT after EXEC waits for what the transaction wrote, if it wrote anything.
    if (this.offset !== before) client.replOffset = this.offset;
  }

  /** A master's executed write, as one or more commands run in database `db`. */
  propagate(db: number, commands: ReadonlyArray<ReadonlyArray<string | Uint8Array>>, client?: Client): void {
    if (this.backlog === undefined || this.server.replicaLink !== undefined) return;
    this.framing.encode(db, commands, this.feedFn);
    if (client !== undefined) client.replOffset = this.offset;
  }

  private readonly feedFn = (request: ReadonlyArray<string | Uint8Array>) => {
    const before = this.pending.length;
    this.pending.request(request);
    this.offset += this.pending.length - before;
    this.schedule();
  };

  /** Bytes of the stream (a replica passing its master's on): they go out with the turn's. */
  feed(bytes: Uint8Array): void {
    if (this.backlog === undefined) return;
    this.pending.raw(bytes);
    this.offset += bytes.length;
    this.schedule();
  }

  /** A request of the master's own (PING, REPLCONF GETACK) into the stream. */
  feedRequest(request: ReadonlyArray<string | Uint8Array>): void {
    if (this.backlog !== undefined) this.feedFn(request);
  }

  private schedule(): void {
    if (this.pendingScheduled) return;
    this.pendingScheduled = true;
    setImmediate(() => this.flushPending());
  }

  /**
   * The turn's stream into the backlog and out to every replica (held for those still
   * syncing). Whatever reads the backlog, or changes who receives the stream, flushes first.
   */
  flushPending(): void {
    this.pendingScheduled = false;
    const backlog = this.backlog;
    if (this.pending.length === 0) return;
    if (backlog === undefined) return this.pending.reset();
    // One copy: the writer's buffer is reused, and a socket may keep what it did not take.
    const bytes = copyBytes(this.pending.view());
    this.pending.reset();
    // Into the ring: only the last backlog.length bytes can matter.
    const size = backlog.length;
    let src = bytes.length > size ? bytes.subarray(bytes.length - size) : bytes;
    while (src.length > 0) {
      const n = Math.min(src.length, size - this.head);
      backlog.set(src.subarray(0, n), this.head);
      this.head = (this.head + n) % size;
      src = src.subarray(n);
    }
    this.history = Math.min(size, this.history + bytes.length);
    for (const replica of this.replicas) {
      const info = replica.replica!;
      if (info.state === "online" && !info.onlineOnAck) this.sendTo(replica, bytes);
      // One waiting for its snapshot to start gets the stream from that point on.
      else if (!info.awaitingSnapshot) info.held.push(bytes);
    }
  }

  private sendTo(replica: Client, bytes: Uint8Array): void {
    replica.send(bytes);
    replica.enforceOutputLimit("slave");
  }

  /** The backlog's bytes from `from` (an offset) to the end. */
  private backlogFrom(from: number): Uint8Array {
    this.flushPending();
    const backlog = this.backlog!;
    const size = backlog.length;
    const count = this.offset - from + 1;
    const out = new Uint8Array(count);
    let pos = (this.head - count + size) % size;
    for (let done = 0; done < count; ) {
      const n = Math.min(count - done, size - pos);
      out.set(backlog.subarray(pos, pos + n), done);
      done += n;
      pos = (pos + n) % size;
    }
    return out;
  }

  /** PSYNC from `client`: continue from the backlog, or start a full sync. */
  psync(client: Client, replid: string, offsetText: string): void {
    this.flushPending();
    const info = this.infoOf(client);
    const offset = Number(offsetText);
    const sameHistory = replid === this.replid || (replid === this.replid2 && offset <= this.secondOffset);
    if (sameHistory && this.backlog !== undefined && Number.isInteger(offset) && offset >= this.backlogFirstByte && offset <= this.offset + 1) {
      const missing = this.backlogFrom(offset);
      client.send(encodeLine(info.capaPsync2 ? `+CONTINUE ${this.replid}` : "+CONTINUE"));
      if (missing.length > 0) client.send(missing);
      info.state = "online";
      info.ackTime = Date.now();
      this.replicas.add(client);
      this.server.stats.syncPartialOk++;
      this.server.log.notice(`Partial resynchronization request from ${this.replicaName(client)} accepted. Sending ${missing.length} bytes of backlog starting from offset ${offset}.`);
      return;
    }
    if (replid !== "?") {
      this.server.stats.syncPartialErr++;
      this.server.log.notice(`Partial resynchronization not accepted: replication ID or offset mismatch (asked ${replid}:${offsetText}, have ${this.replid}:${this.offset})`);
    }
    this.fullSync(client, info, true);
  }

  /**
   * SYNC, the form before PSYNC (old replicas, and `redis-cli --rdb`): a full sync whose
   * snapshot comes without a +FULLRESYNC line, as Redis sends it.
   */
  sync(client: Client): void {
    const info = this.infoOf(client);
    info.legacySync = true;
    this.fullSync(client, info, false);
  }

  private fullSync(client: Client, info: ReplicaInfo, announce: boolean): void {
    // What was written before the snapshot is in it: it must not reach this replica again.
    this.flushPending();
    this.createBacklog();
    this.server.stats.syncFull++;
    // As Redis's syncCommand: a replica's stream may wait for fuller packets (Nagle's algorithm).
    if (this.server.config.get("repl-disable-tcp-nodelay") === "yes") client.disableNoDelay();
    info.state = "wait_bgsave";
    info.held = [];
    info.announce = announce;
    this.replicas.add(client);
    // A filtered snapshot is nobody else's: it goes to the socket, as Redis sends it.
    const filtered = info.excludeData || info.excludeFunctions;
    const disklessSync = this.server.config.get("repl-diskless-sync") === "yes";
    if (!info.capaEof || !(filtered || disklessSync)) return this.startSnapshot([client], false);
    // To the socket: replicas gather for one snapshot (startPendingSnapshot), as Redis's
    // forked child streams one to every replica waiting when it starts.
    info.awaitingSnapshot = true;
    if (this.socketTransfers > 0) this.server.log.notice("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC");
    else if (disklessSync && this.server.config.int("repl-diskless-sync-delay") > 0) this.server.log.notice("Delay next BGSAVE for diskless SYNC");
    else this.startPendingSnapshot(true);
  }

  /** A diskless snapshot streaming to replicas: those that ask meanwhile wait for the next. */
  private socketTransfers = 0;

  /**
   * Start the snapshot the replicas waiting for one share (Redis's
   * replicationStartPendingFork), from the cron or at once: when repl-diskless-sync-delay
   * seconds have passed since one of them last spoke, or repl-diskless-sync-max-replicas
   * of them wait, or `now` (no delay). Those asking for another filter wait for the next.
   */
  startPendingSnapshot(now = false): void {
    if (this.socketTransfers > 0) return;
    const waiting = [...this.replicas].filter((r) => r.replica!.awaitingSnapshot && !r.closed);
    if (waiting.length === 0) return;
    const first = waiting[0]!.replica!;
    const group = waiting.filter((r) => r.replica!.excludeData === first.excludeData && r.replica!.excludeFunctions === first.excludeFunctions);
    if (!now && this.server.config.get("repl-diskless-sync") === "yes") {
      const seconds = Math.floor(Date.now() / 1000);
      const idle = Math.max(...group.map((r) => seconds - Math.floor(r.lastInteraction / 1000)));
      const enough = this.server.config.int("repl-diskless-sync-max-replicas");
      if (idle < this.server.config.int("repl-diskless-sync-delay") && !(enough > 0 && group.length >= enough)) return;
    }
    for (const r of group) r.replica!.awaitingSnapshot = false;
    this.startSnapshot(group, true);
  }

  /** One point-in-time snapshot for `targets` (replicas asking for the same filter), told +FULLRESYNC now. */
  private startSnapshot(targets: Client[], diskless: boolean): void {
    this.flushPending();
    // The stream after the snapshot starts with a SELECT, whatever the replica assumes.
    this.framing.db = -1;
    const startOffset = this.offset;
    const info = targets[0]!.replica!;
    // The snapshot records where the stream resumes (the next write SELECTs its database), for
    // a replica restarted on it to resync partially, as Redis's rdbSaveInfo does.
    const replication = { streamDb: 0, replid: this.replid, offset: startOffset };
    const options = { ...this.server.rdbOptions(), replication, noData: info.excludeData };
    if (info.excludeFunctions) options.functions = undefined;
    const snapshot = new Snapshot(this.server.keyspace, options);
    for (const r of targets) {
      r.replica!.held = [];
      if (r.replica!.announce) r.send(encodeLine(`+FULLRESYNC ${this.replid} ${startOffset}`));
    }
    this.server.log.notice(`Starting BGSAVE for SYNC with target: ${diskless ? "replicas sockets" : "disk"}`);
    if (diskless) this.socketTransfers++;
    this.sendSnapshot(targets, snapshot, diskless).then(
      () => {
        for (const client of targets) {
          if (client.closed) continue;
          // REPLCONF rdb-only (redis-cli --rdb) wanted the snapshot alone: the link ends here.
          if (client.replica!.rdbOnly) {
            this.replicas.delete(client);
            client.close();
          } else if (diskless) {
            // After the EOF form the replica cannot tell the stream from the snapshot until
            // it has found the end mark, so, as in Redis, the stream waits for its first ACK.
            const info = client.replica!;
            info.state = "online";
            info.onlineOnAck = true;
            info.ackTime = Date.now();
            const name = this.replicaName(client);
            this.server.log.notice(`Streamed RDB transfer with replica ${name} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming`);
            this.server.log.notice(`Synchronization with replica ${name} succeeded`);
          } else {
            this.putOnline(client, client.replica!);
          }
        }
      },
      (e) => {
        for (const client of targets) {
          this.server.log.warning(`Full sync to replica ${this.replicaName(client)} failed: ${(e as Error).message}`);
          client.terminate();
        }
      },
    ).finally(() => {
      if (!diskless) return;
      this.socketTransfers--;
      // Those that came meanwhile: at once without a delay, else from the cron.
      if (this.server.config.int("repl-diskless-sync-delay") === 0) this.startPendingSnapshot(true);
    });
  }

  private async sendSnapshot(targets: Client[], snapshot: Snapshot, diskless: boolean): Promise<void> {
    const checksum = this.server.rdbOptions().checksum;
    const trailer = (crc: bigint) => {
      const t = new Uint8Array(8);
      new DataView(t.buffer).setBigUint64(0, crc, true);
      return t;
    };
    const send = (bytes: Uint8Array) => {
      for (const client of targets) if (!client.closed) client.send(bytes);
    };
    const aborted = () => targets.every((client) => client.closed);
    const served = () => this.server.stats.readsProcessed;
    if (diskless) {
      const mark = randomHex(EOF_MARK_LEN);
      send(encodeLine(`$EOF:${mark}`));
      const crc = await streamSnapshot(this.server.keyspace, snapshot, async (bytes) => {
        send(copyBytes(bytes));
        // As fast as the slowest replica takes it.
        for (const client of targets) while (client.outputPending > SNAPSHOT_PENDING_MAX && !client.closed) await client.drained();
      }, checksum, aborted, served);
      send(trailer(crc));
      send(Buffer.from(mark, "latin1"));
      return;
    }
    // The disk form needs the length first: the image is gathered, then sent (the state
    // Redis shows while it sends the file; a diskless transfer shows wait_bgsave).
    for (const client of targets) client.replica!.state = "send_bulk";
    const chunks: Uint8Array[] = [];
    const crc = await streamSnapshot(this.server.keyspace, snapshot, (bytes) => void chunks.push(copyBytes(bytes)), checksum, aborted, served);
    chunks.push(trailer(crc));
    const image = Buffer.concat(chunks);
    send(encodeLine(`$${image.length}`));
    send(image);
  }

  private putOnline(client: Client, info: ReplicaInfo): void {
    info.state = "online";
    info.ackTime = Date.now();
    this.startStream(client, info);
    this.server.log.notice(`Synchronization with replica ${this.replicaName(client)} succeeded`);
  }

  /** The stream held back during the snapshot goes out, and what follows it. */
  private startStream(client: Client, info: ReplicaInfo): void {
    info.onlineOnAck = false;
    const held = info.held;
    info.held = [];
    for (const bytes of held) this.sendTo(client, bytes);
  }

  /** REPLCONF ACK <offset> from a replica. */
  ack(client: Client, offset: number): void {
    const info = client.replica;
    if (info === undefined) return;
    if (info.onlineOnAck) this.startStream(client, info);
    info.ackOffset = Math.max(info.ackOffset, offset);
    info.ackTime = Date.now();
    this.serveWaiters();
    this.server.failover.update();
  }

  /** A replica's connection closed. */
  removeReplica(client: Client): void {
    if (this.replicas.delete(client)) this.server.log.notice(`Connection with replica ${this.replicaName(client)} lost.`);
  }

  /** Close every replica's link (a replica changing masters resyncs its own replicas). */
  disconnectReplicas(): void {
    for (const r of this.replicas) r.terminate();
    this.replicas.clear();
  }

  /** Replicas whose acknowledged offset reached `offset`. */
  countAcked(offset: number): number {
    let n = 0;
    for (const r of this.replicas) if (r.replica!.state === "online" && r.replica!.ackOffset >= offset) n++;
    return n;
  }

  /** A replica as Redis's log lines name it (replicationGetSlaveName): its announced address and listening port. */
  replicaName(client: Client): string {
    const info = this.infoOf(client);
    return `${info.ip}:${info.port !== 0 ? info.port : "<unknown-replica-port>"}`;
  }

  isReplica(client: Client): boolean {
    return this.replicas.has(client);
  }

  replicaList(): Client[] {
    return [...this.replicas];
  }

  /** The replica record REPLCONF fills before PSYNC, made on first use. */
  infoOf(client: Client): ReplicaInfo {
    return (client.replica ??= newReplicaInfo(client));
  }

  /** WAIT: reply now if enough replicas have the client's writes, else block until they do or time runs out. */
  wait(client: Client, wanted: number, timeoutMs: number): void {
    const offset = client.replOffset;
    const acked = this.countAcked(offset);
    // Inside EXEC nothing may block: the count is the answer, as in Redis.
    if (acked >= wanted || client.inExec) return client.reply.integer(acked);
    const waiter: Waiter = { client, offset, wanted, timer: undefined };
    if (timeoutMs > 0) waiter.timer = setTimeout(() => this.release(waiter), timeoutMs);
    this.waiters.push(waiter);
    client.block();
    this.requestAcks();
  }

  /** Ask every replica for its offset (once per turn of the event loop, as Redis batches it). */
  private requestAcks(): void {
    if (this.ackRequested) return;
    this.ackRequested = true;
    setImmediate(() => {
      this.ackRequested = false;
      this.feedRequest(["REPLCONF", "GETACK", "*"]);
    });
  }

  private serveWaiters(): void {
    for (const w of [...this.waiters]) if (this.countAcked(w.offset) >= w.wanted) this.release(w);
  }

  private release(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    clearTimeout(w.timer);
    w.client.unblock(encodeLine(`:${this.countAcked(w.offset)}`));
  }

  /**
   * From the cron, once a second (Redis's replicationCron): a replica online whose ACKs
   * stopped for repl-timeout seconds is disconnected. One synced with the old SYNC never
   * ACKs and is left alone, as in Redis.
   */
  closeTimedOut(now: number): void {
    // In whole seconds, as Redis counts.
    const timeout = this.server.config.int("repl-timeout");
    for (const r of this.replicas) {
      const info = r.replica!;
      if (info.state !== "online" || info.legacySync || Math.floor(now / 1000) - Math.floor(info.ackTime / 1000) <= timeout) continue;
      this.server.log.warning(`Disconnecting timedout replica (streaming sync): ${this.replicaName(r)}`);
      r.terminate();
    }
  }

  /** When this master last had a replica, or was a replica (Redis's repl_no_slaves_since), as the cron saw it. */
  private lastReplicaSeen = Date.now();

  /**
   * From the cron, once a second: a master with no replica for repl-backlog-ttl whole
   * seconds frees its backlog and takes a new replication ID, as Redis does (the offsets
   * stop moving without a backlog, so the old history could not be continued). A replica
   * keeps its backlog, for it may be promoted; 0 keeps it always.
   */
  freeIdleBacklog(now: number): void {
    if (this.replicas.size > 0 || this.backlog === undefined || this.server.replicaLink !== undefined) {
      this.lastReplicaSeen = now;
      return;
    }
    const ttl = this.server.config.int("repl-backlog-ttl");
    if (ttl === 0 || Math.floor(now / 1000) - Math.floor(this.lastReplicaSeen / 1000) <= ttl) return;
    this.flushPending();
    this.changeReplid();
    this.backlog = undefined;
    this.head = this.history = 0;
    this.server.log.notice(`Replication backlog freed after ${ttl} seconds without connected replicas.`);
  }

  /** From the cron: keep replicas' links alive with a PING in the stream. */
  pingReplicas(): void {
    if (this.replicas.size === 0 || this.server.replicaLink !== undefined) return;
    // A PING would move the offset a failing-over master waits for its replica to reach.
    if (this.server.failover.state !== "no-failover") return;
    this.feedRequest(["PING"]);
  }

  /** DEBUG CHANGE-REPL-ID: a new history, with no second ID to continue from. */
  changeReplid(): void {
    this.replid = randomReplid();
    this.replid2 = "0".repeat(40);
    this.secondOffset = -1;
  }

  /** A replica that follows a new master takes on its history (full sync). */
  adoptHistory(replid: string, offset: number): void {
    this.flushPending();
    this.replid = replid;
    this.replid2 = "0".repeat(40);
    this.secondOffset = -1;
    this.offset = offset;
    this.backlog = undefined;
    this.createBacklog();
    this.disconnectReplicas();
  }

  /** +CONTINUE with another ID: the master failed over; keep the old ID as the second. */
  switchReplid(replid: string): void {
    if (replid === this.replid) return;
    this.flushPending();
    this.replid2 = this.replid;
    this.secondOffset = this.offset + 1;
    this.replid = replid;
    this.disconnectReplicas();
  }

  /** REPLICAOF NO ONE: a new history begins here; replicas of the old one may continue. */
  promote(): void {
    this.flushPending();
    this.replid2 = this.replid;
    this.secondOffset = this.offset + 1;
    this.replid = randomReplid();
    this.framing.db = -1;
    this.createBacklog();
  }
}

function newReplicaInfo(client: Client): ReplicaInfo {
  const ip = peerIp(client.addr);
  return {
    port: 0, ip, capaEof: false, capaPsync2: false, rdbOnly: false, excludeData: false, excludeFunctions: false, legacySync: false,
    state: "wait_bgsave", ackOffset: 0, ackTime: Date.now(), held: [], onlineOnAck: false, announce: true, awaitingSnapshot: false,
  };
}

function encodeLine(line: string): Uint8Array {
  return Buffer.from(`${line}\r\n`, "latin1");
}
