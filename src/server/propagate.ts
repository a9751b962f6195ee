/**
 * The one door for writes leaving the process. An executed write (as its handler rewrote
 * it, if it did) goes to the replication stream and to the append-only file; each frames
 * it the same way, with a SELECT whenever the database changes and MULTI ... EXEC around
 * the writes of a transaction (or of one command that became several), but each keeps its
 * own framing state, since a replica's full sync and a new AOF file each start over with a
 * SELECT. As in Redis 7.0, a transaction that wrote once goes out as that write alone.
 */
import type { Client } from "./connection.ts";
import type { Server } from "./server.ts";

type Request = ReadonlyArray<string | Uint8Array>;
export const MULTI: Request = ["MULTI"];
export const EXEC: Request = ["EXEC"];

/** SELECT / MULTI / EXEC framing of a stream of commands. */
export class Framing {
  /** The database the stream last SELECTed; -1 forces a SELECT before the next write. */
  db = -1;
  /**
   * A transaction's state: "open" until it writes, "one" while its first write waits (a
   * transaction that writes once needs no MULTI), "sent" once MULTI went out.
   */
  private transaction: "none" | "open" | "one" | "sent" = "none";
  /** The transaction's first write, held until a second one comes or EXEC ends. */
  private first: { db: number; commands: ReadonlyArray<Request> } | undefined;

  begin(): void {
    this.transaction = "open";
  }

  /** Between begin() and end(): a transaction's writes are being framed. */
  get inTransaction(): boolean {
    return this.transaction !== "none";
  }

  /**
   * The transaction is over: a lone write goes out now, through `out`; true when MULTI went
   * out, so an EXEC must follow.
   */
  end(out: (request: Request) => void): boolean {
    const state = this.transaction;
    this.transaction = "none";
    if (state === "one") {
      const { db, commands } = this.first!;
      this.first = undefined;
      this.encode(db, commands, out);
    }
    return state === "sent";
  }

  /** Hand `out` the commands, run in database `db`, with what must precede them. */
  encode(db: number, commands: ReadonlyArray<Request>, out: (request: Request) => void): void {
    if (this.transaction === "open") {
      this.first = { db, commands };
      this.transaction = "one";
      return;
    }
    if (this.transaction === "one") {
      const first = this.first!;
      this.first = undefined;
      this.select(first.db, out);
      out(MULTI);
      this.transaction = "sent";
      for (const cmd of first.commands) out(cmd);
    }
    this.select(db, out);
    // One command that propagates as several is wrapped in MULTI/EXEC of its own (as Redis
    // 7.0 does), so that replicas and the AOF apply it whole.
    const wrap = commands.length > 1 && this.transaction === "none";
    if (wrap) out(MULTI);
    for (const cmd of commands) out(cmd);
    if (wrap) out(EXEC);
  }

  private select(db: number, out: (request: Request) => void): void {
    if (db === this.db) return;
    out(["SELECT", String(db)]);
    this.db = db;
  }
}

export class Propagation {
  constructor(private readonly server: Server) {}

  /**
   * Where writes go: 1 the AOF, 2 replicas (both by default). A script's redis.set_repl
   * narrows it for the commands the script runs.
   */
  targets = 3;

  /**
   * Whether writes are recorded at all: handlers build a rewritten form only then. A
   * replica passes its master's stream on as it came, so only its AOF records writes.
   * Nothing is while a SCRIPT DEBUG YES session runs: its changes are undone at its end.
   */
  get wanted(): boolean {
    return ((this.server.replication.active && this.server.replicaLink === undefined) || this.server.aof.on) && !this.server.keyspace.sandboxed;
  }

  /** An executed write, as one or more commands run in database `db`. */
  write(db: number, commands: ReadonlyArray<ReadonlyArray<string | Uint8Array>>, client?: Client): void {
    const { replication, aof } = this.server;
    // A write replicated as nothing (an XREADGROUP of history) sends no SELECT either.
    if (this.server.keyspace.sandboxed || commands.length === 0) return;
    if (replication.active && (this.targets & 2) !== 0) replication.propagate(db, commands, client);
    if (aof.on && (this.targets & 1) !== 0) aof.feed(db, commands);
  }

  toReplicasOnly(db: number, command: Array<string | Uint8Array>): void {
    const { replication } = this.server;
    if (replication.active && this.server.replicaLink === undefined && !this.server.keyspace.sandboxed) replication.propagate(db, [command]);
  }

  /** The client whose command opened a transaction with a key it found expired (expired()). */
  expiryTransactionOf: Client | undefined;

  /**
   * A key past its deadline was deleted: a DEL goes out (UNLINK with lazyfree-lazy-expire).
   * Redis 7.0 sends the deletions a command causes with the command's own writes, as one
   * MULTI/EXEC when there are several; so the first during a command outside a transaction
   * opens one, and the command's end (endCommand) closes it. A lone DEL (a GET that found
   * its key expired) still goes out alone, as do those of a command flagged expiredAlone
   * (the running command is its client's timedCommand: see dispatch's call()).
   */
  expired(db: number, key: string, lazily: boolean): void {
    const running = this.server.executing;
    if (
      running !== undefined && this.expiryTransactionOf === undefined && !this.server.replication.framing.inTransaction &&
      running.timedCommand?.expiredAlone !== true
    ) {
      this.beginTransaction();
      this.expiryTransactionOf = running;
    }
    this.write(db, [[lazily ? "UNLINK" : "DEL", key]]);
  }

  /** The end of `c`'s command: the transaction its expired keys opened ends with it. */
  endCommand(c: Client): void {
    if (this.expiryTransactionOf !== c) return;
    this.expiryTransactionOf = undefined;
    this.endTransaction(c);
  }

  /** EXEC is running: its writes go out between MULTI and EXEC. */
  beginTransaction(): void {
    this.server.replication.framing.begin();
    this.server.aof.framing.begin();
  }

  endTransaction(client: Client): void {
    this.server.replication.endTransaction(client);
    this.server.aof.endTransaction();
  }
}
