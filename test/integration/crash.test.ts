/**
 * Crash safety: ./kvis is killed with SIGKILL at seeded random moments while several
 * clients write and background saves and AOF rewrites run, then restarted on the same
 * folder. Every write a client saw acknowledged must be there (SIGKILL leaves the page
 * cache intact, so this holds for `always` and `everysec` alike; what `everysec` may lose
 * on a power cut cannot be produced by a test), nothing may be there that was never sent,
 * every file must stay readable (redis-check-aof, redis-check-rdb), and a save or rewrite
 * cut short must leave the previous files intact.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { seededRandom } from "../helpers/random.ts";
import { RawClient, encodeCommand } from "../helpers/resp.ts";
import { type ChildServer, freePort, run, serverTestTimeout, startChild, startKvisBinary, startRedis, tempDir, waitFor } from "../helpers/servers.ts";

serverTestTimeout();

const WRITERS = 4;

async function kill(server: ChildServer): Promise<void> {
  server.proc.kill("SIGKILL");
  await server.proc.exited;
}

/** A writer appending 0, 1, 2, ... to its own list, one acknowledged RPUSH at a time. */
function writer(port: number, id: number, start: number) {
  const state = { sent: start, acked: start, stopped: false, done: Promise.resolve() };
  state.done = (async () => {
    let c: RawClient;
    try {
      c = await RawClient.connect(port);
    } catch {
      return;
    }
    try {
      while (!c.closed) {
        const n = state.sent++;
        c.write(encodeCommand(["RPUSH", `log:${id}`, String(n), "x".repeat(100)]));
        const reply = await c.readReplies(1, 20_000).catch(() => undefined);
        if (reply === undefined) break;
        // Each RPUSH adds two elements; the reply is the new length.
        expect(reply[0]).toBe(`:${2 * (n + 1)}\r\n`);
        state.acked = n + 1;
      }
    } finally {
      c.close();
    }
  })();
  return state;
}

async function checkFiles(dir: string): Promise<void> {
  const manifest = join(dir, "appendonlydir", "appendonly.aof.manifest");
  if (existsSync(manifest)) {
    const checked = await run(["redis-check-aof", manifest]);
    expect(checked.stdout).toContain("All AOF files and manifest are valid");
  }
  if (existsSync(join(dir, "dump.rdb"))) {
    const checked = await run(["redis-check-rdb", join(dir, "dump.rdb")]);
    expect(checked.stdout).toContain("RDB looks OK");
  }
}

describe("SIGKILL", () => {
  for (const fsync of ["always", "everysec"]) {
    test(`appendfsync ${fsync}: killed at random moments during writes, saves and rewrites, no acknowledged write is lost`, async () => {
      const random = seededRandom(fsync === "always" ? 7 : 11);
      const dir = tempDir();
      // Small thresholds so that automatic rewrites and saves happen while the writers write,
      // and 10 µs a key so that each lasts half a second or more: a kill soon after one
      // starts catches it under way on any machine.
      const args = ["--appendonly", "yes", "--appendfsync", fsync, "--auto-aof-rewrite-min-size", "200kb", "--auto-aof-rewrite-percentage", "50", "--save", "1 100", "--rdb-key-save-delay", "10"];
      let acked = Array<number>(WRITERS).fill(0);
      let killedMidSave = 0;
      try {
        for (let round = 0; round < 4; round++) {
          const server = await startKvisBinary(args, { dir });
          try {
            const c = await RawClient.connect(server.port);
            // What survived the last kill: each list is exactly 0..n-1, with n at least what was acknowledged.
            const start: number[] = [];
            for (let id = 0; id < WRITERS; id++) {
              const len = Number((await c.call("LLEN", `log:${id}`)).slice(1, -2)) / 2;
              expect(len).toBeGreaterThanOrEqual(acked[id]!);
              if (len > 0) {
                expect(await c.call("LINDEX", `log:${id}`, "0")).toBe("$1\r\n0\r\n");
                expect(await c.call("LINDEX", `log:${id}`, "-2")).toBe(`$${String(len - 1).length}\r\n${len - 1}\r\n`);
              }
              start.push(len);
            }
            // Enough data that a save or rewrite takes a while.
            if (round === 0) await fill(c, "base", 50_000);
            const writers = start.map((n, id) => writer(server.port, id, n));
            // The moments are counted in acknowledged writes, not in time: as random, and the
            // same on a slow machine as on a fast one.
            const acks = () => writers.reduce((sum, w, id) => sum + w.acked - start[id]!, 0);
            const waitAcks = (n: number) => waitFor(() => acks() >= n, 30_000, `${n} acknowledged writes`);
            await waitAcks(100 + Math.floor(random() * 400));
            await c.call(random() < 0.5 ? "BGREWRITEAOF" : "BGSAVE");
            await waitAcks(acks() + Math.floor(random() * 50));
            const info = await c.call("INFO", "persistence");
            if (info.includes("aof_rewrite_in_progress:1") || info.includes("rdb_bgsave_in_progress:1")) killedMidSave++;
            c.close();
            await kill(server);
            await Promise.all(writers.map((w) => w.done));
            acked = writers.map((w) => w.acked);
            expect(acked.every((n, id) => n > start[id]!)).toBe(true);
          } finally {
            await server.stop();
          }
          await checkFiles(dir);
        }
        // The moments chosen did catch saves and rewrites under way.
        expect(killedMidSave).toBeGreaterThan(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test("killed during a BGSAVE, the previous dump is intact and loads", async () => {
    await killedAndRestarted(
      // At 100 µs a key the save lasts 10 s: it is under way, not over, when the server is killed.
      ["--save", "", "--rdb-key-save-delay", "100"],
      async (c) => {
        await fill(c, "old");
        expect(await c.call("SAVE")).toBe("+OK\r\n");
        await fill(c, "new");
        expect(await c.call("BGSAVE")).toBe("+Background saving started\r\n");
        await waitFor(async () => /current_save_keys_processed:[1-9]/.test(await c.call("INFO", "persistence")), 20_000, "the save to be under way");
      },
      () => {},
      [[["GET", "key:12345"], "$9\r\nold:12345\r\n"], [["DBSIZE"], ":100000\r\n"]],
    );
  });

  test("killed during an AOF rewrite, the files hold every write, those made during the rewrite included", async () => {
    await killedAndRestarted(
      // At 1 ms a key the rewrite of 100,000 keys lasts 100 s: it is still running when the
      // new writes come and when the server is killed, however fast the machine.
      ["--appendonly", "yes", "--save", "", "--rdb-key-save-delay", "1000"],
      async (c) => {
        await fill(c, "old");
        expect(await c.call("BGREWRITEAOF")).toBe("+Background append only file rewriting started\r\n");
        await fill(c, "new", 2000);
        expect(await c.call("INFO", "persistence")).toContain("aof_rewrite_in_progress:1");
      },
      // The rewrite's temporary file is left, as Redis leaves one; the manifest does not name it.
      (dir) => expect(readdirSync(dir).some((f) => f.startsWith("temp-rewriteaof-bg-"))).toBe(true),
      [[["GET", "key:1234"], "$8\r\nnew:1234\r\n"], [["GET", "key:12345"], "$9\r\nold:12345\r\n"], [["DBSIZE"], ":100000\r\n"]],
    );
  });
});

/**
 * Start ./kvis with `args` in a fresh folder, run `work` and SIGKILL it; look at the folder
 * (`left`), check its files, restart it with the same `args` and compare the replies to
 * `checks`.
 */
async function killedAndRestarted(
  args: string[], work: (c: RawClient) => Promise<void>, left: (dir: string) => void, checks: Array<[string[], string]>,
): Promise<void> {
  const dir = tempDir();
  try {
    const server = await startKvisBinary(args, { dir });
    const c = await RawClient.connect(server.port);
    try {
      await work(c);
    } finally {
      c.close();
      await kill(server);
    }
    left(dir);
    await checkFiles(dir);
    const again = await startKvisBinary(args, { dir });
    try {
      const c2 = await RawClient.connect(again.port);
      for (const [command, reply] of checks) expect(await c2.call(...command)).toBe(reply);
      c2.close();
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Keys `key:0` .. `key:<n-1>` = `<prefix>:N`, pipelined. */
async function fill(c: RawClient, prefix: string, n = 100_000): Promise<void> {
  const commands: Uint8Array[] = [];
  for (let i = 0; i < n; i++) commands.push(encodeCommand(["SET", `key:${i}`, `${prefix}:${i}`]));
  c.write(Buffer.concat(commands));
  await c.readReplies(n, 60_000);
}

describe("DEBUG SEGFAULT, PANIC, ASSERT and OOM, side by side with redis-server", () => {
  /** What each crash's report says in both servers' logs, besides its start and end. */
  const CAUSES: Record<string, string> = {
    segfault: "crashed by signal: 11",
    panic: "Guru Meditation: DEBUG PANIC called at Unix time",
    assert: "=== ASSERTION FAILED ===",
    oom: "Out Of Memory allocating 9223372036854775807 bytes!",
  };
  /** `sub` run on each server: how its process ended, and which of the report's parts (start, cause, stack, end) its log holds. */
  async function crashed(sub: string, cause: string, args: string[] = []) {
    const seen = [];
    for (const start of [startKvisBinary, startRedis]) {
      const server = await start(["--enable-debug-command", "yes", ...args]);
      server.expectFailure();
      try {
        const c = await RawClient.connect(server.port);
        c.write(encodeCommand(["DEBUG", sub]));
        await c.readUntilClose();
        c.close();
        await server.proc.exited;
        const log = await server.output();
        seen.push({
          signal: server.proc.signalCode,
          report: ["=== REDIS BUG REPORT START: Cut & paste starting from here ===", cause, "------ STACK TRACE ------", "=== REDIS BUG REPORT END. Make sure to include from START to END. ==="].map((l) => log.includes(l)),
        });
      } finally {
        await server.stop();
      }
    }
    return seen;
  }

  for (const [sub, cause] of Object.entries(CAUSES)) {
    test(`DEBUG ${sub.toUpperCase()}: the same signal ends the process, after a bug report saying why`, async () => {
      const seen = await crashed(sub, cause);
      // KVIS as Redis's crash handling means to end: SIGSEGV for SEGFAULT, SIGABRT for the
      // others, after the whole report. Redis's own report may crash in its middle (its memory
      // test, its stack walk: seen once, SIGSEGV without the report's end), so of Redis's
      // run only the start of the report, the cause and a death by signal are compared.
      expect(seen[0]).toEqual({ signal: sub === "segfault" ? "SIGSEGV" : "SIGABRT", report: [true, true, true, true] });
      expect(seen[1]!.signal).toMatch(/^SIG(SEGV|ABRT)$/);
      expect(seen[1]!.report.slice(0, 2)).toEqual([true, true]);
    });
  }

  test("with crash-log-enabled no, SEGFAULT leaves no report and PANIC and ASSERT only its start, cause and end, as Redis's", async () => {
    for (const sub of ["segfault", "panic", "assert"]) {
      const seen = await crashed(sub, CAUSES[sub]!, ["--crash-log-enabled", "no"]);
      expect(seen[1]).toEqual({ signal: sub === "segfault" ? "SIGSEGV" : "SIGABRT", report: sub === "segfault" ? [false, false, false, false] : [true, true, false, true] });
      expect(seen[0]).toEqual(seen[1]!);
    }
  });
});

describe("DEBUG RESTART and CRASH-AND-RECOVER, side by side with redis-server", () => {
  /** A new connection's reply to `args` once the server answers again (PING, and loading:0). */
  async function once(port: number, ...args: string[]): Promise<string> {
    return waitFor(async () => {
      try {
        const c = await RawClient.connect(port);
        try {
          if ((await c.call("PING")) !== "+PONG\r\n" || !(await c.call("INFO", "persistence")).includes("\r\nloading:0\r\n")) return undefined;
          return await c.call(...args);
        } finally {
          c.close();
        }
      } catch {
        return undefined;
      }
    }, 20_000, "the server to answer again");
  }

  /** redis-server by its absolute path: Redis restarts from argv[0], taken relative to its folder when it has no slash. */
  async function startRedisByPath(args: string[]): Promise<ChildServer> {
    const dir = tempDir("redis-test-");
    const port = freePort();
    return startChild([Bun.which("redis-server")!, "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "no", ...args], port, { dir, ownDir: true });
  }

  test("the server starts again in the same process: RESTART after saving, CRASH-AND-RECOVER without", async () => {
    const seen = [];
    for (const start of [startKvisBinary, startRedisByPath]) {
      const server = await start(["--enable-debug-command", "yes", "--save", "3600 1"]);
      try {
        const c = await RawClient.connect(server.port);
        await c.call("SET", "saved", "1");
        c.write(encodeCommand(["DEBUG", "RESTART"]));
        const restartReply = await c.readUntilClose();
        c.close();
        const afterRestart = await once(server.port, "GET", "saved");
        const d = await RawClient.connect(server.port);
        await d.call("SET", "unsaved", "2");
        d.write(encodeCommand(["DEBUG", "CRASH-AND-RECOVER", "50"]));
        await d.readUntilClose();
        d.close();
        const afterCrash = [await once(server.port, "GET", "saved"), await once(server.port, "GET", "unsaved")];
        const pid = /process_id:(\d+)/.exec(await once(server.port, "INFO", "server"))?.[1];
        seen.push({ restartReply, afterRestart, afterCrash, samePid: pid === String(server.proc.pid), running: server.proc.exitCode === null });
      } finally {
        await server.stop();
      }
    }
    expect(seen[1]).toEqual({ restartReply: "", afterRestart: "$1\r\n1\r\n", afterCrash: ["$1\r\n1\r\n", "$-1\r\n"], samePid: true, running: true });
    expect(seen[0]).toEqual(seen[1]!);
  });
});
