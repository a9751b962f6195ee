/**
 * Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN and the rest of the family). A blocked
 * client waits in a first-come first-served queue on each of its keys. A command that
 * changes a key someone waits on marks it ready (Database.signalReady); when that command is
 * done (or the EXEC around it), the waiters on each ready key get their turn in order: the
 * waiting command is tried again, writing its reply into a writer of its own, and the first
 * waiter it serves is released with that reply, its effect replicated as the equivalent
 * non-blocking command. A timeout releases a waiter with a null reply.
 */
import { FinalReplyError, ReplyError, UNBLOCKED } from "../errors.ts";
import { updateClock } from "../clock.ts";
import { ReplyWriter, encodeReply } from "../resp/writer.ts";
import { copyBytes } from "../resp/bytes.ts";
import { findCommand } from "../commands/table.ts";
import type { Command } from "../commands/command.ts";
import type { Argv } from "../resp/argv.ts";
import type { Database } from "../store/keyspace.ts";
import type { Client } from "./connection.ts";
import type { Server } from "./server.ts";

export interface BlockedOnKeys {
  client: Client;
  /** The blocked command and a copy of its arguments: the slow log shows it once served. */
  cmd: Command | undefined;
  argv: Argv;
  db: Database;
  keys: string[];
  /**
   * The command again: true (its reply written) when it could be served. `readyKey` is the
   * key whose change woke it (XREAD answers with that stream alone, as Redis does).
   */
  attempt: (readyKey?: string) => boolean;
  /**
   * The command is also tried when its key is gone (XREADGROUP, which answers an error then,
   * as its group went with the key); others wait for the key to come back.
   */
  triedWhenGone: boolean;
  /** Whether the serve counts its changes for save points (see BlockingService.block). */
  countsServe: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class Blocking {
  private ready: Array<[Database, string]> = [];
  /** Each database's queues of waiters, by key. */
  private readonly queues = new Map<Database, Map<string, BlockedOnKeys[]>>();
  /** Clients waiting on keys: while there are any, the keyspace reports changed keys. */
  private waiting = 0;

  constructor(private readonly server: Server) {}

  /** Block `c` on `keys` until `attempt` succeeds or `timeoutMs` passes (0: forever). */
  block(c: Client, keys: string[], timeoutMs: number, attempt: (readyKey?: string) => boolean, triedWhenGone = false, countsServe = true): void {
    const entry: BlockedOnKeys = { client: c, cmd: findCommand(c.lastCommand), argv: c.argv!.copy(), db: c.db, keys, attempt, triedWhenGone, countsServe, timer: undefined };
    let queues = this.queues.get(c.db);
    if (queues === undefined) this.queues.set(c.db, (queues = new Map()));
    for (const key of new Set(keys)) {
      let queue = queues.get(key);
      if (queue === undefined) queues.set(key, (queue = []));
      queue.push(entry);
    }
    if (this.waiting++ === 0) this.listen(true);
    c.blockedOnKeys = entry;
    c.block();
    if (timeoutMs > 0) entry.timer = setTimeout(() => this.release(entry, nullReply(c)), timeoutMs);
  }

  /** While anyone waits, the keyspace reports changed keys and replaced databases. */
  private listen(on: boolean): void {
    const keyspace = this.server.keyspace;
    keyspace.onReady = on ? (db, key) => this.signal(db, key) : undefined;
    keyspace.onReplaced = on ? (db) => this.replaced(db) : undefined;
  }

  /**
   * FLUSHDB, FLUSHALL, SWAPDB: every waited key of `db` is ready, whether it came in (Redis's
   * scanDatabaseForReadyKeys) or went away (scanDatabaseForDeletedStreams).
   */
  private replaced(db: Database): void {
    for (const key of this.queues.get(db)?.keys() ?? []) this.ready.push([db, key]);
  }

  /** A key changed while clients wait (called by the keyspace): it is ready if any wait on it. */
  private signal(db: Database, key: string): void {
    if (this.queues.get(db)?.has(key)) this.ready.push([db, key]);
  }

  get hasReady(): boolean {
    return this.ready.length > 0;
  }

  /** Give the waiters on every ready key their turn, first come first served. */
  serveReady(): void {
    // The clock is read again first, as Redis's handleClientsBlockedOnKeys does: a key that
    // expired while the command ran (a DEBUG SLEEP inside EXEC) serves no one.
    updateClock();
    // An error a waiter gets (a stream deleted by the master's DEL) is the waiter's, not a
    // reply to the master's link or the AOF being applied, which must have none.
    const server = this.server;
    const from = server.unexpectedFrom;
    server.unexpectedFrom = undefined;
    try {
      this.serveReadyKeys();
    } finally {
      server.unexpectedFrom = from;
    }
  }

  private serveReadyKeys(): void {
    while (this.ready.length > 0) {
      const [db, key] = this.ready.shift()!;
      const queue = this.queues.get(db)?.get(key);
      if (queue === undefined) continue;
      for (const entry of [...queue]) {
        if (!entry.triedWhenGone && !db.has(key)) continue;
        const started = performance.now();
        const reply = this.tryServe(entry, key);
        if (reply === undefined) continue;
        this.release(entry, reply, Math.floor((performance.now() - started) * 1000));
        // Its invalidations of keys it tracks (a BLMOVE's destination) follow its reply.
        this.server.tracking.flushPending(entry.client);
      }
    }
  }

  /** Run a waiter's command with its own reply writer; its reply when it was served. */
  private tryServe(entry: BlockedOnKeys, key: string): Uint8Array | undefined {
    const c = entry.client;
    const writer = new ReplyWriter();
    writer.resp = c.resp;
    c.replyOverride = writer;
    const selected = c.db;
    c.db = entry.db;
    // The waiter is the client whose command runs now (Redis's current_client).
    const outer = this.server.executing;
    this.server.executing = c;
    const dirty = this.server.keyspace.dirty;
    try {
      if (!entry.attempt(key)) return undefined;
      if (this.server.keyspace.dirty !== dirty && c.propagation !== undefined) this.server.propagation.write(entry.db.id, c.propagation, c);
      if (!entry.countsServe) this.server.keyspace.dirty = dirty;
      return copyBytes(writer.view());
    } catch (e) {
      // An error that ends the wait is the waiter's answer (BLMOVE into a key of another type).
      if (e instanceof FinalReplyError) {
        writer.truncate(0);
        writer.error(e.text);
        // Counted as the failure of the call that blocked (INFO commandstats, errorstats).
        this.server.countError(e.text);
        if (entry.cmd !== undefined) entry.cmd.failedCalls++;
        return copyBytes(writer.view());
      }
      // The key now holds another type: the waiter keeps waiting, as in Redis.
      if (e instanceof ReplyError) return undefined;
      throw e;
    } finally {
      // Keys the waiter found expired went out with its writes (Propagation.expired).
      if (this.server.propagation.expiryTransactionOf !== undefined) this.server.propagation.endCommand(c);
      c.replyOverride = undefined;
      c.propagation = undefined;
      c.db = selected;
      this.server.executing = outer;
    }
  }

  /**
   * Leave every queue and send `reply`: the client goes on with what it sent meanwhile.
   * Served or CLIENT UNBLOCKed, the command enters the slow log now, for the `usec` serving
   * it took (Redis's updateStatsOnUnblock); timed out, it does not (nor in Redis 7.0).
   */
  release(entry: BlockedOnKeys, reply: Uint8Array, usec?: number): void {
    this.forget(entry);
    entry.client.unblock(reply);
    const slowlog = this.server.slowlog;
    if (usec !== undefined && entry.cmd !== undefined && slowlog.wants(entry.cmd.flagBits)) slowlog.record(entry.client, entry.argv, usec);
  }

  /**
   * CLIENT UNBLOCK: release `c` if it waits on keys, with what its timeout would answer or
   * with -UNBLOCKED; false when it was not waiting on keys.
   */
  unblock(c: Client, withError: boolean): boolean {
    const entry = c.blockedOnKeys;
    if (entry === undefined) return false;
    // Counted as a failed call either way, as Redis counts it; the error, as every error
    // reply is (errorstats, total_error_replies).
    if (entry.cmd !== undefined) entry.cmd.failedCalls++;
    if (withError) this.server.countError(UNBLOCKED.text);
    this.release(entry, withError ? encodeReply(c.resp, (w) => w.error(UNBLOCKED.text)) : nullReply(c), 0);
    return true;
  }

  /**
   * Release with an error every waiter `check` gives one (a cluster node no longer serving
   * the slot of the keys waited on: Redis's clusterRedirectBlockedClientIfNeeded).
   */
  releaseWithErrors(check: (entry: BlockedOnKeys) => ReplyError | undefined): void {
    if (this.waiting === 0) return;
    const entries = new Set<BlockedOnKeys>();
    for (const queues of this.queues.values()) for (const queue of queues.values()) for (const entry of queue) entries.add(entry);
    for (const entry of entries) {
      const error = check(entry);
      if (error !== undefined) this.release(entry, encodeReply(entry.client.resp, (w) => w.error(error.text)));
    }
  }

  /** Drop a waiter without a reply (its connection closed). */
  forget(entry: BlockedOnKeys): void {
    clearTimeout(entry.timer);
    if (entry.client.blockedOnKeys !== entry) return;
    entry.client.blockedOnKeys = undefined;
    const queues = this.queues.get(entry.db)!;
    for (const key of new Set(entry.keys)) {
      const queue = queues.get(key);
      if (queue === undefined) continue;
      const i = queue.indexOf(entry);
      if (i >= 0) queue.splice(i, 1);
      if (queue.length === 0) queues.delete(key);
    }
    if (queues.size === 0) this.queues.delete(entry.db);
    if (--this.waiting === 0) this.listen(false);
  }
}

/** What a timed-out blocking command answers: a null array, in the client's protocol. */
function nullReply(c: Client): Uint8Array {
  return encodeReply(c.resp, (w) => w.nullArray());
}

