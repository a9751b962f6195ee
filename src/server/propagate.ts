/**
 * The one door for writes leaving the process. An executed write (as its handler rewrote
 * it, if it did) goes to the replication stream and to the append-only file; each frames
 * it the same way, with a SELECT whenever the database changes and MULTI ... EXEC around
 * the writes of a transaction (or of one command that became several), but each keeps its own framing state, since a replica's
 * full sync and a new AOF file each start over with a SELECT.
 */
import { encodeRequest } from "../resp/writer.ts";
import type { Client } from "./connection.ts";
import type { Server } from "./server.ts";

const MULTI = encodeRequest(["MULTI"]);
const EXEC = encodeRequest(["EXEC"]);

/** SELECT / MULTI / EXEC framing of a stream of commands. */
export class Framing {
  /** The database the stream last SELECTed; -1 forces a SELECT before the next write. */
  db = -1;
  private transaction: "none" | "open" | "sent" = "none";

  begin(): void {
    this.transaction = "open";
  }

  /** The EXEC that closes the transaction, if any write of it went out. */
  end(): Uint8Array | undefined {
    const sent = this.transaction === "sent";
    this.transaction = "none";
    return sent ? EXEC : undefined;
  }

  /** Hand `out` the commands, run in database `db`, with what must precede them. */
  encode(db: number, commands: ReadonlyArray<ReadonlyArray<string | Uint8Array>>, out: (bytes: Uint8Array) => void): void {
    if (db !== this.db) {
      out(encodeRequest(["SELECT", String(db)]));
      this.db = db;
    }
    if (this.transaction === "open") {
      out(MULTI);
      this.transaction = "sent";
    }
    // One command that propagates as several is wrapped in MULTI/EXEC of its own (as Redis
    // 7.0 does), so that replicas and the AOF apply it whole.
    const wrap = commands.length > 1 && this.transaction === "none";
    if (wrap) out(MULTI);
    for (const cmd of commands) out(encodeRequest(cmd));
    if (wrap) out(EXEC);
  }
}

export class Propagation {
  constructor(private readonly server: Server) {}

  /** Whether writes are recorded at all: handlers build a rewritten form only then. */
  get wanted(): boolean {
    return this.server.replication.active || this.server.aof.on;
  }

  /** An executed write, as one or more commands run in database `db`. */
  write(db: number, commands: ReadonlyArray<ReadonlyArray<string | Uint8Array>>, client?: Client): void {
    const { replication, aof } = this.server;
    if (replication.active) replication.propagate(db, commands, client);
    if (aof.on) aof.feed(db, commands);
  }

  /** EXEC is running: its writes go out between MULTI and EXEC. */
  beginTransaction(): void {
    this.server.replication.framing.begin();
    this.server.aof.framing.begin();
  }

  endTransaction(client: Client): void {
    this.server.replication.endTransaction(client);
    const exec = this.server.aof.framing.end();
    if (exec !== undefined) this.server.aof.append(exec);
  }
}
