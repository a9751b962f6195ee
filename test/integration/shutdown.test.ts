/**
 * Shutting down as Redis 7.0 does, each scenario played against a KVIS master and a real
 * Redis master (each with a real Redis replica) and compared: SHUTDOWN waits for a lagging
 * replica (stopped with SIGSTOP) while writes wait and reads go on; SHUTDOWN ABORT cancels
 * it; shutdown-timeout ends the wait with the lag logged; a replica that catches up lets the
 * shutdown finish with nothing lost; NOW does not wait. Signals: a SIGTERM is acted on by
 * the cron (SHUTDOWN ABORT cancels it under DEBUG PAUSE-CRON), a second SIGINT exits at
 * once with code 1, and shutdown-on-sigterm's flags decide the final save.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RawClient, encodeCommand } from "../helpers/resp.ts";
import { type ChildServer, serverTestTimeout, startKvisBinary, startRedis, tempDir, waitBlocked, waitFor } from "../helpers/servers.ts";

serverTestTimeout();

const field = (info: string, name: string) => new RegExp(`^${name}:(.*)$`, "m").exec(info.replace(/\r/g, ""))?.[1];

type Kind = "kvis" | "redis";
const KINDS: Kind[] = ["kvis", "redis"];

function startMaster(kind: Kind, args: string[] = [], opts: { dir?: string } = {}): Promise<ChildServer> {
  // Redis's master delays a diskless sync 5 s by default; the test's replica need not wait.
  // No PINGs in the stream: the lag each server logs is then the same number of bytes.
  const all = ["--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "3600", "--enable-debug-command", "yes", ...args];
  return kind === "kvis" ? startKvisBinary(all, opts) : startRedis(all, opts);
}

/** A master of `kind` with a real Redis replica that has caught up; `play` gets both and a client of the master. */
async function withReplica(kind: Kind, play: (master: ChildServer, replica: ChildServer, m: RawClient) => Promise<void>, args: string[] = []): Promise<void> {
  const master = await startMaster(kind, args);
  let replica: ChildServer | undefined;
  let m: RawClient | undefined;
  try {
    replica = await startRedis(["--replicaof", `127.0.0.1 ${master.port}`]);
    m = await RawClient.connect(master.port);
    const acknowledged = async () => {
      const info = await m!.call("INFO", "replication");
      return field(info, "slave0")?.includes(`state=online,offset=${field(info, "master_repl_offset")},`) || undefined;
    };
    await waitFor(acknowledged, 20_000, "the replica to come online");
    // A write after the sync, so that its SELECT is in the stream already.
    await m.call("SET", "before", "1");
    await waitFor(acknowledged, 20_000, "the replica to acknowledge the master's offset");
    await play(master, replica, m);
  } finally {
    m?.close();
    replica?.proc.kill("SIGCONT");
    await replica?.stop();
    await master.stop();
  }
}

/** The offset the master logged for its lagging replica, and the summary line after it. */
async function lagLines(master: ChildServer, replica: ChildServer): Promise<string[]> {
  const log = await master.output();
  const lag = new RegExp(`Lagging replica 127\\.0\\.0\\.1:${replica.port} reported offset (\\d+) behind master, lag=\\d+, state=(\\w+)\\.`).exec(log);
  const summary = /(\d+ of \d+ replicas are in sync when shutting down\.)/.exec(log);
  return [lag ? `offset ${lag[1]} ${lag[2]}` : "no lag line", summary?.[1] ?? "no summary"];
}

describe("SHUTDOWN with replicas", () => {
  test("waits for a lagging replica with writes held, ABORT cancels it, shutdown-timeout ends it; as Redis", async () => {
    const seen: Record<Kind, unknown[]> = { kvis: [], redis: [] };
    for (const kind of KINDS) {
      const out = seen[kind];
      await withReplica(kind, async (master, replica, m) => {
        const shutdowner = await RawClient.connect(master.port);
        const writer = await RawClient.connect(master.port);
        try {
          replica.proc.kill("SIGSTOP");
          out.push(await m.call("SET", "a", "1"));
          shutdowner.write(encodeCommand(["SHUTDOWN"]));
          await waitBlocked(master.port, 1);
          writer.write(encodeCommand(["SET", "b", "2"]));
          await waitBlocked(master.port, 2);
          // Reads go on; another SHUTDOWN joins the one in progress.
          out.push(await m.call("GET", "a"), shutdowner.pendingReplies(), writer.pendingReplies());
          out.push(await m.call("SHUTDOWN", "ABORT"), (await shutdowner.readReplies(1))[0], (await writer.readReplies(1))[0]);
          out.push(await m.call("SHUTDOWN", "ABORT"), await m.call("GET", "b"));
          out.push(await m.call("CONFIG", "SET", "shutdown-timeout", "1"));
          // No reply: the connection closes once the timeout has passed, the lag logged. (A
          // new client: Redis 7.0.15 fails an assertion on the next command of a client
          // whose SHUTDOWN was aborted.)
          m.write(encodeCommand(["SHUTDOWN", "NOSAVE"]));
          out.push(await m.readUntilClose(), await master.proc.exited);
          out.push(...(await lagLines(master, replica)));
        } finally {
          shutdowner.close();
          writer.close();
        }
      });
    }
    expect(seen.kvis).toEqual(seen.redis);
    expect(seen.kvis).toContain("0 of 1 replicas are in sync when shutting down.");
    expect(seen.kvis).toContain("-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
  });

  test("a replica that catches up lets the shutdown finish with every write on it; NOW does not wait", async () => {
    const seen: Record<Kind, unknown[]> = { kvis: [], redis: [] };
    for (const kind of KINDS) {
      const out = seen[kind];
      await withReplica(kind, async (master, replica, m) => {
        replica.proc.kill("SIGSTOP");
        for (let i = 0; i < 100; i++) m.write(encodeCommand(["SET", `k${i}`, "x".repeat(i)]));
        await m.readReplies(100);
        m.write(encodeCommand(["SHUTDOWN"]));
        await waitBlocked(master.port, 1);
        replica.proc.kill("SIGCONT");
        out.push(await m.readUntilClose(), await master.proc.exited);
        out.push((await lagLines(master, replica))[1]);
        // The replica, its master gone, holds every write.
        const r = await RawClient.connect(replica.port);
        out.push(await r.call("DBSIZE"), await r.call("STRLEN", "k99"));
        r.close();
      });
      await withReplica(kind, async (master, replica, m) => {
        replica.proc.kill("SIGSTOP");
        await m.call("SET", "late", "1");
        m.write(encodeCommand(["SHUTDOWN", "NOW", "NOSAVE"]));
        out.push(await m.readUntilClose(), await master.proc.exited, ...(await lagLines(master, replica)));
      });
    }
    expect(seen.kvis).toEqual(seen.redis);
    expect(seen.kvis.slice(0, 5)).toEqual(["", 0, "1 of 1 replicas are in sync when shutting down.", ":101\r\n", ":99\r\n"]);
  });
});

describe("shutdown signals", () => {
  test("SIGTERM waits for the cron, SHUTDOWN ABORT cancels it, and a second SIGINT exits at once with code 1; as Redis", async () => {
    const seen: Record<Kind, unknown[]> = { kvis: [], redis: [] };
    for (const kind of KINDS) {
      const out = seen[kind];
      const server = await startMaster(kind);
      const c = await RawClient.connect(server.port);
      try {
        out.push(await c.call("DEBUG", "PAUSE-CRON", "1"));
        server.proc.kill("SIGTERM");
        await waitFor(async () => (await server.output()).includes("Received SIGTERM scheduling shutdown...") || undefined, 20_000, "the signal to be noted");
        out.push(await c.call("SHUTDOWN", "ABORT"), await c.call("SHUTDOWN", "ABORT"), await c.call("DEBUG", "PAUSE-CRON", "0"), await c.call("PING"));
        out.push((await server.output()).includes("Shutdown manually aborted."));
        // Written as a signal handler's line, as Redis's serverLogFromHandler writes it.
        out.push(/^\d+:signal-handler \(\d+\) Received SIGTERM scheduling shutdown\.\.\.\r?$/m.test(await server.output()));
        out.push(await c.call("DEBUG", "PAUSE-CRON", "1"));
        server.proc.kill("SIGINT");
        await waitFor(async () => (await server.output()).includes("Received SIGINT scheduling shutdown...") || undefined, 20_000, "the signal to be noted");
        server.expectFailure();
        server.proc.kill("SIGINT");
        out.push(await server.proc.exited, /^\d+:signal-handler \(\d+\) You insist\.\.\. exiting now\.\r?$/m.test(await server.output()));
      } finally {
        c.close();
        await server.stop();
      }
    }
    expect(seen.kvis).toEqual(seen.redis);
    expect(seen.kvis).toEqual(["+OK\r\n", "+OK\r\n", "-ERR No shutdown in progress.\r\n", "+OK\r\n", "+PONG\r\n", true, true, "+OK\r\n", 1, true]);
  });

  test("shutdown-on-sigterm and shutdown-on-sigint decide the final save, as Redis", async () => {
    const seen: Record<Kind, unknown[]> = { kvis: [], redis: [] };
    for (const kind of KINDS) {
      for (const [signal, flags] of [["SIGTERM", "nosave"], ["SIGTERM", "default"], ["SIGINT", "save"]] as const) {
        const dir = tempDir();
        try {
          // No save points: only "save" writes a dump.
          const server = await startMaster(kind, ["--save", "", `--shutdown-on-${signal.toLowerCase()}`, flags], { dir });
          const c = await RawClient.connect(server.port);
          await c.call("SET", "k", "v");
          c.close();
          server.proc.kill(signal);
          seen[kind].push(`${signal} ${flags}`, await server.proc.exited, existsSync(join(dir, "dump.rdb")));
          await server.stop();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
    expect(seen.kvis).toEqual(seen.redis);
    expect(seen.kvis).toEqual(["SIGTERM nosave", 0, false, "SIGTERM default", 0, false, "SIGINT save", 0, true]);
  });
});
