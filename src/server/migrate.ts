/**
 * MIGRATE's transfer, as Redis 7.0's migrateCommand does it: the keys go to the target as
 * RESTORE requests (after AUTH and a SELECT when needed) over a connection kept per
 * host:port for 10 seconds of idleness (at most 64), the target's replies decide which keys
 * are deleted here, and the deletions reach replicas and the AOF as one DEL.
 *
 * Redis does this with blocking socket calls, so no other command runs meanwhile. KVIS has
 * one event loop it must not block, so it holds every other client's commands (as CLIENT
 * PAUSE ALL does) from the start of the transfer to its end: nothing can change the keys
 * between their serialization and their deletion, as in Redis. The calling client waits
 * for its reply, as WAIT's does.
 */
import type { Socket } from "bun";
import type { MigrateRequest } from "../commands/context.ts";
import { dumpPayload } from "../persistence/rdb-writer.ts";
import { encodeRequest } from "../resp/writer.ts";
import { NotifyClass } from "../keyspace-events.ts";
import type { Client } from "./connection.ts";
import type { Server } from "./server.ts";

const CACHE_ITEMS = 64;
const CACHE_TTL_MS = 10_000;

/** A cached connection to a target, and the database its last SELECT chose. */
interface Target {
  name: string;
  socket: Socket<Target>;
  lastDb: number;
  lastUse: number;
  /** Bytes received and not yet taken as reply lines. */
  input: string;
  closed: boolean;
  /** Called when input arrives, the socket drains or the connection closes. */
  wake: (() => void) | undefined;
  /** Bytes the socket has not taken yet. */
  outbox: Uint8Array | undefined;
}

class TransferError extends Error {
  constructor(
    readonly stage: "connecting" | "writing" | "reading",
    readonly timedOut: boolean,
  ) {
    super(stage);
  }
}

export class Migrator {
  private readonly targets = new Map<string, Target>();

  constructor(private readonly server: Server) {}

  /** INFO's migrate_cached_sockets. */
  get cachedSockets(): number {
    return this.targets.size;
  }

  /** From the cron: close connections idle for 10 seconds, as Redis does. */
  closeIdle(now: number): void {
    for (const t of [...this.targets.values()]) if (now - t.lastUse > CACHE_TTL_MS) this.close(t);
  }

  /**
   * Move (or copy) the keys of `c`'s database that `request` names, all of which exist:
   * `c` waits, other clients' commands are held, and `c` gets +OK or Redis's error.
   */
  start(c: Client, request: MigrateRequest): void {
    c.block();
    const pausing = this.server.pausing;
    pausing.hold();
    this.transfer(c, request).then(
      (reply) => {
        pausing.release();
        c.unblock(Buffer.from(`${reply}\r\n`, "latin1"));
      },
      (e) => {
        pausing.release();
        this.server.log.warning(`MIGRATE failed: ${e instanceof Error ? e.message : String(e)}`);
        c.unblock(Buffer.from("-ERR internal error\r\n", "latin1"));
      },
    );
  }

  private async transfer(c: Client, req: MigrateRequest): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      let target: Target;
      try {
        target = await this.connect(req.host, req.port, req.timeoutMs);
      } catch (e) {
        if (e instanceof TransferError) return "-IOERR error or timeout connecting to the client";
        // Refused: Redis's blocking connect only waits for the socket to be writable, so it
        // learns of the refusal when it writes (and tries once more), and says so.
        if (attempt === 0) continue;
        return "-IOERR error or timeout writing to target instance";
      }
      target.lastUse = Date.now();
      const requests: Array<ReadonlyArray<string | Uint8Array>> = [];
      if (req.password !== undefined) requests.push(req.username !== undefined ? ["AUTH", req.username, req.password] : ["AUTH", req.password]);
      const select = target.lastDb !== req.db;
      if (select) requests.push(["SELECT", String(req.db)]);
      // Keys that expired since they were found are left out.
      const keys: string[] = [];
      const now = Date.now();
      const compress = this.server.config.get("rdbcompression") === "yes";
      for (const key of req.keys) {
        const value = c.db.peek(key);
        if (value === undefined) continue;
        const expireAt = c.db.getExpire(key);
        let ttl = 0;
        if (expireAt !== -1) {
          ttl = expireAt - now;
          if (ttl < 0) continue;
          if (ttl < 1) ttl = 1;
        }
        keys.push(key);
        const restore: Array<string | Uint8Array> = [this.server.cluster === undefined ? "RESTORE" : "RESTORE-ASKING", key, String(ttl), dumpPayload(value, compress)];
        if (req.replace) restore.push("REPLACE");
        requests.push(restore);
      }
      let lines: string[];
      try {
        lines = await this.exchange(target, requests, req.timeoutMs);
      } catch (e) {
        this.close(target);
        const err = e as TransferError;
        // A cached connection the target closed meanwhile: once more, on a new one.
        if (attempt === 0 && !err.timedOut) continue;
        return `-IOERR error or timeout ${err.stage} to target instance`;
      }
      return this.settle(c, req, target, select, keys, lines);
    }
  }

  /**
   * The target's replies: the first error is the answer (and the next MIGRATE selects
   * again); each key restored is deleted here unless COPY, and replicated as one DEL.
   */
  private settle(c: Client, req: MigrateRequest, target: Target, select: boolean, keys: string[], lines: string[]): string {
    let at = 0;
    const authReply = req.password !== undefined ? lines[at++]! : "+OK";
    const selectReply = select ? lines[at++]! : "+OK";
    let error: string | undefined;
    const deleted: string[] = [];
    for (const key of keys) {
      const reply = lines[at++]!;
      if (authReply.startsWith("-") || selectReply.startsWith("-") || reply.startsWith("-")) {
        if (error === undefined) {
          target.lastDb = -1;
          const text = authReply.startsWith("-") ? authReply : selectReply.startsWith("-") ? selectReply : reply;
          error = `-ERR Target instance replied with error: ${text.slice(1)}`;
        }
      } else if (!req.copy && c.db.delete(key)) {
        c.notify(NotifyClass.Generic, "del", key);
        deleted.push(key);
      }
    }
    if (deleted.length > 0 && this.server.propagation.wanted) this.server.propagation.write(c.db.id, [["DEL", ...deleted]], c);
    if (error !== undefined) return error;
    target.lastDb = req.db;
    return "+OK";
  }

  /** The cached connection to host:port, or a new one (the cache keeps 64 at most). */
  private async connect(host: string, port: number, timeoutMs: number): Promise<Target> {
    const name = `${host}:${port}`;
    const cached = this.targets.get(name);
    if (cached !== undefined && !cached.closed) return cached;
    if (this.targets.size >= CACHE_ITEMS) this.close(this.targets.values().next().value!);
    const target: Target = { name, socket: undefined as unknown as Socket<Target>, lastDb: -1, lastUse: Date.now(), input: "", closed: false, wake: undefined, outbox: undefined };
    // Under tls-cluster the other node is reached over TLS, as Redis's MIGRATE reaches it.
    const tls = this.server.config.get("tls-cluster") === "yes" ? this.server.tls?.client : undefined;
    const connecting = Bun.connect<Target>({
      hostname: host,
      port,
      ...(tls === undefined ? {} : { tls }),
      data: target,
      socket: {
        data: (socket, chunk: Uint8Array) => {
          socket.data.input += Buffer.from(chunk).toString("latin1");
          socket.data.wake?.();
        },
        drain: (socket) => {
          const t = socket.data;
          if (t.outbox !== undefined) {
            const n = Math.max(0, socket.write(t.outbox));
            t.outbox = n < t.outbox.length ? t.outbox.subarray(n) : undefined;
          }
          t.wake?.();
        },
        close: (socket) => {
          socket.data.closed = true;
          socket.data.wake?.();
        },
        error: (socket) => {
          socket.data.closed = true;
          socket.data.wake?.();
        },
      },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new TransferError("connecting", true)), timeoutMs)));
    try {
      target.socket = await Promise.race([connecting, timeout]);
    } finally {
      clearTimeout(timer);
    }
    target.socket.setNoDelay(true);
    this.targets.set(name, target);
    return target;
  }

  /** Send the requests and read one reply line for each, allowing `timeoutMs` for each wait. */
  private async exchange(target: Target, requests: Array<ReadonlyArray<string | Uint8Array>>, timeoutMs: number): Promise<string[]> {
    target.input = "";
    const bytes = Buffer.concat(requests.map(encodeRequest));
    if (target.closed) throw new TransferError("writing", false);
    const written = Math.max(0, target.socket.write(bytes));
    target.outbox = written < bytes.length ? bytes.subarray(written) : undefined;
    while (target.outbox !== undefined) {
      if (target.closed) throw new TransferError("writing", false);
      if (!(await this.wait(target, timeoutMs))) throw new TransferError("writing", true);
    }
    const lines: string[] = [];
    while (lines.length < requests.length) {
      const end = target.input.indexOf("\r\n");
      if (end >= 0) {
        lines.push(target.input.slice(0, end));
        target.input = target.input.slice(end + 2);
        continue;
      }
      if (target.closed) throw new TransferError("reading", false);
      if (!(await this.wait(target, timeoutMs))) throw new TransferError("reading", true);
    }
    return lines;
  }

  /** Until the target sends, drains or closes (true), or `timeoutMs` passes (false). */
  private wait(target: Target, timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        target.wake = undefined;
        resolve(false);
      }, timeoutMs);
      target.wake = () => {
        target.wake = undefined;
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  private close(target: Target): void {
    this.targets.delete(target.name);
    target.closed = true;
    target.socket?.end();
  }
}
