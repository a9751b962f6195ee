/**
 * Servers for tests: an in-process KVIS on port 0, the compiled ./kvis as a child
 * process, and a real redis-server, each on a free port in its own temporary folder, each
 * with a stop() that always cleans up. Children are started with Bun.spawn (never spawnSync:
 * it would block the event loop an in-process server needs).
 */
import { setDefaultTimeout } from "bun:test";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Config } from "../../src/config.ts";
import { Server } from "../../src/server/server.ts";
import { RawClient } from "./resp.ts";

export const ROOT = resolve(import.meta.dir, "../..");

/**
 * Every test file that starts servers or does seconds of work calls this at its top: their
 * tests take longer than bun's 5 s default on two busy cores (`bun test --parallel` keeps both busy). bun applies setDefaultTimeout to the file whose
 * loading calls it (a preload reaches only the first file), hence one call per file. The
 * limit turns a hang into a failure; it never measures speed.
 */
export function serverTestTimeout(): void {
  setDefaultTimeout(60_000);
}
export const KVIS_BINARY = join(ROOT, "kvis");

export function tempDir(prefix = "kvis-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Ports this process handed out: servers started side by side never get the same one.
 * Under `bun test --parallel` each file runs in a fresh global (this set starts empty)
 * and several worker processes pick ports at once; a worker takes only ports in its own
 * stripe (port % PORT_STRIPES, from BUN_TEST_WORKER_ID), so two workers never race for
 * the same port between the check below and the server's listen.
 */
const handedOut = new Set<number>();
const PORT_STRIPES = 16;

/** The start of the kernel's range for outgoing connections' ports (ip_local_port_range). */
const EPHEMERAL_START = (() => {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "latin1").trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
})();

/**
 * A port nobody listens on right now, below the kernel's range for outgoing connections (a
 * client's socket could otherwise take a port a server is about to listen on, or listen
 * on again after a restart), and never one this process handed out before: port 0 could
 * give two servers started at once the same port.
 */
export function freePort(): number {
  const low = 10_000;
  const stripe = Number(process.env.BUN_TEST_WORKER_ID ?? 0) % PORT_STRIPES;
  for (;;) {
    const port = low + Math.floor(Math.random() * ((EPHEMERAL_START - low) / PORT_STRIPES)) * PORT_STRIPES + stripe;
    if (handedOut.has(port)) continue;
    try {
      Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } }).stop(true);
    } catch {
      continue;
    }
    handedOut.add(port);
    return port;
  }
}

/**
 * Poll `check` until it returns a truthy value; fail after `timeoutMs`. The deadline only
 * turns a hang into a loud failure: it is generous, and never measures speed.
 */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 20_000, what = "condition"): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/**
 * The one definition of a server being ready, for KVIS and redis-server alike: it answers
 * PING with +PONG and INFO persistence shows loading:0. A port that accepts connections is
 * not enough: a server still loading its files answers -LOADING. (A replica started with
 * replica-serve-stale-data no and no master answers PING with -MASTERDOWN for as long as
 * that lasts: that answer is its ready state.)
 */
export async function isReady(port: number, password?: string): Promise<boolean> {
  let c: RawClient | undefined;
  try {
    c = await RawClient.connect(port);
    if (password !== undefined && (await c.call("AUTH", password)) !== "+OK\r\n") return false;
    const pong = await c.call("PING");
    if (pong !== "+PONG\r\n" && !pong.startsWith("-MASTERDOWN ")) return false;
    return (await c.call("INFO", "persistence")).includes("\r\nloading:0\r\n");
  } catch {
    return false;
  } finally {
    c?.close();
  }
}

/** Wait until the server on `port` is ready (see isReady). */
export async function waitReady(port: number, what = "server", password?: string): Promise<void> {
  await waitFor(() => isReady(port, password), 30_000, `${what} on port ${port} to be ready`);
}

export interface RunningServer {
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export interface InProcessKvis extends RunningServer {
  server: Server;
}

/** An in-process KVIS (quiet) on a free port in a fresh temporary folder. */
export async function startKvis(options: Record<string, string> = {}): Promise<InProcessKvis> {
  const dir = options.dir ?? tempDir();
  // No save points unless a test asks: a test's writes should not start background saves.
  // Replicas sync at once, as Redis's own tests have them (its default.conf).
  const server = new Server(new Config({ port: String(freePort()), dir, save: "", "repl-diskless-sync-delay": "0", ...options }));
  await server.start({ quiet: true });
  const stop = async () => {
    server.stop();
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(server.port, "KVIS", options.requirepass);
  } catch (e) {
    await stop();
    throw e;
  }
  return { port: server.port, dir, server, stop };
}

/**
 * `send` writes `n` bytes to the in-process server; resolves once the server has read them,
 * so that whatever is written next arrives as a read of its own.
 */
export async function sendAsOwnRead(kvis: InProcessKvis, n: number, send: () => void): Promise<void> {
  const target = kvis.server.stats.netInputBytes + n;
  send();
  await waitFor(() => kvis.server.stats.netInputBytes >= target, 20_000, "the server to read what was sent");
}

export interface ChildServer extends RunningServer {
  proc: import("bun").Subprocess;
  /** The test makes it exit with an error on purpose: its log is not shown for it. */
  expectFailure(): void;
  /** Everything the child wrote to stdout and stderr so far (or until it was stopped). */
  output(): Promise<string>;
}

/**
 * Start a server process and wait until it is ready. Its stdout and stderr go to a log file
 * of their own (never a pipe nobody reads: a chatty server would block on a full pipe); a
 * server that exits before it is ready fails the start with that log.
 */
export async function startChild(
  cmd: string[],
  port: number,
  opts: { dir: string; ownDir?: boolean; env?: Record<string, string>; password?: string; cwd?: string; ready?: (port: number) => Promise<boolean> },
): Promise<ChildServer> {
  const logDir = tempDir("kvis-log-");
  const logPath = join(logDir, "server.log");
  const fd = openSync(logPath, "a");
  const proc = Bun.spawn(cmd, { cwd: opts.cwd ?? opts.dir, stdin: "ignore", stdout: fd, stderr: fd, env: opts.env ?? process.env });
  closeSync(fd);
  let finalLog: string | undefined;
  let failureExpected = false;
  const output = async () => finalLog ?? readFileSync(logPath, "latin1");
  const stop = async () => {
    const running = proc.exitCode === null && proc.signalCode === null;
    if (running) proc.kill("SIGKILL");
    await proc.exited;
    finalLog ??= readFileSync(logPath, "latin1");
    // A server that failed on its own is the likeliest cause of the test's failure: show
    // why. TEST_SERVER_LOGS=1 shows every child's log, to look into any failing test.
    const failed = !running && proc.exitCode !== 0 && proc.signalCode !== "SIGKILL" && !failureExpected;
    if (failed || process.env.TEST_SERVER_LOGS === "1") console.error(`${cmd[0]} on port ${port} ended with ${proc.exitCode ?? proc.signalCode}; its log:\n${finalLog}`);
    rmSync(logDir, { recursive: true, force: true });
    if (opts.ownDir) rmSync(opts.dir, { recursive: true, force: true });
  };
  try {
    const ready = opts.ready ?? ((port: number) => isReady(port, opts.password));
    await waitFor(async () => proc.exitCode !== null || proc.signalCode !== null || (await ready(port)), 30_000, `${cmd[0]} on port ${port} to be ready`);
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${cmd[0]} exited with ${proc.exitCode ?? proc.signalCode}: ${await output()}`);
  } catch (e) {
    await stop();
    if (e instanceof Error && !e.message.includes(" exited with ")) e.message += `\n${cmd[0]}'s log:\n${finalLog}`;
    throw e;
  }
  return { port, dir: opts.dir, proc, stop, output, expectFailure: () => void (failureExpected = true) };
}

/**
 * Start servers at once; if one fails to start, those that did are stopped before the
 * error goes on, so that no failure leaves a server running.
 */
export async function startAll<T extends { stop(): Promise<void> }[]>(starts: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(starts.map((start) => start()));
  const failed = results.find((r) => r.status === "rejected");
  if (failed === undefined) return results.map((r) => (r as PromiseFulfilledResult<T[number]>).value) as T;
  for (const r of results) if (r.status === "fulfilled") await r.value.stop();
  throw failed.reason;
}

let binaryReady: Promise<void> | undefined;

/**
 * Build ./kvis unless it is newer than every source file. CI builds it before the tests;
 * this spares a developer running `bun test` alone from testing a stale binary. Workers of
 * `bun test --parallel` build one at a time (a lock folder): the others wait and find it fresh.
 */
export function ensureBinary(): Promise<void> {
  binaryReady ??= (async () => {
    const lock = join(ROOT, ".kvis-build.lock");
    for (;;) {
      let newest = 0;
      for (const f of new Bun.Glob("src/**/*.ts").scanSync(ROOT)) newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
      if (existsSync(KVIS_BINARY) && statSync(KVIS_BINARY).mtimeMs >= newest) return;
      try {
        mkdirSync(lock);
      } catch {
        await waitFor(() => !existsSync(lock), 120_000, `another worker's build of ./kvis (remove ${lock} if no build runs)`);
        continue;
      }
      try {
        const built = await run(["bun", "run", "--cwd", ROOT, "build"]);
        if (built.code !== 0) throw new Error(`build failed: ${built.stderr}`);
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
      return;
    }
  })();
  return binaryReady;
}

/** The compiled ./kvis as a child process, built first if stale. */
export async function startKvisBinary(args: string[] = [], opts: { dir?: string; env?: Record<string, string>; password?: string } = {}): Promise<ChildServer> {
  await ensureBinary();
  const dir = opts.dir ?? tempDir();
  const port = freePort();
  // A config file comes first, as on redis-server's command line.
  const file = args[0] !== undefined && !args[0].startsWith("--") ? args.slice(0, 1) : [];
  return startChild([KVIS_BINARY, ...file, "--port", String(port), "--dir", dir, ...args.slice(file.length)], port, { dir, ownDir: opts.dir === undefined, env: opts.env, password: opts.password ?? passwordIn(args) });
}

/** A real redis-server with no persistence, on a free port in a temporary folder. */
export async function startRedis(args: string[] = [], opts: { dir?: string } = {}): Promise<ChildServer> {
  const dir = opts.dir ?? tempDir("redis-test-");
  const port = freePort();
  return startChild(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", ...args], port, {
    dir,
    ownDir: opts.dir === undefined,
    password: passwordIn(args),
  });
}

/**
 * A real Redis Sentinel (redis-server --sentinel) on a free port, with `config` lines after
 * its port (`sentinel monitor ...`); it rewrites its file in its own temporary folder. Ready
 * when it answers PING (a sentinel has no INFO persistence).
 */
export async function startSentinel(config: string[]): Promise<ChildServer> {
  const dir = tempDir("sentinel-test-");
  const port = freePort();
  const file = join(dir, "sentinel.conf");
  writeFileSync(file, [`port ${port}`, "bind 127.0.0.1", `dir ${dir}`, ...config, ""].join("\n"));
  const pongs = async (port: number) => {
    const c = await RawClient.connect(port).catch(() => undefined);
    try {
      return c !== undefined && (await c.call("PING")) === "+PONG\r\n";
    } finally {
      c?.close();
    }
  };
  return startChild(["redis-server", file, "--sentinel"], port, { dir, ownDir: true, ready: pongs });
}

/**
 * Three sentinels watching master `name` on `port`, as the Sentinel tests and
 * scripts/sentinel.ts run them: down after one second, quorum 2, failover timeout 4 s.
 */
export function startSentinels(name: string, port: number): Promise<ChildServer[]> {
  const config = [`sentinel monitor ${name} 127.0.0.1 ${port} 2`, `sentinel down-after-milliseconds ${name} 1000`, `sentinel failover-timeout ${name} 4000`];
  return Promise.all([0, 1, 2].map(() => startSentinel(config)));
}

/** Poll each sentinel with `check` (given a connection to it) until it returns a value; returns the last. */
async function askEachSentinel<T>(sentinels: RunningServer[], what: string, check: (c: RawClient) => Promise<T | undefined>): Promise<T> {
  let value!: T;
  for (const s of sentinels) {
    const c = await RawClient.connect(s.port);
    try {
      value = (await waitFor(() => check(c), 60_000, `sentinel ${s.port} ${what}`)) as T;
    } finally {
      c.close();
    }
  }
  return value;
}

/** Wait until every sentinel knows `replicas` replicas of master `name` and the other sentinels. */
export async function sentinelsDiscovered(sentinels: RunningServer[], name: string, replicas: number): Promise<void> {
  const count = async (c: RawClient, ...args: string[]) => (await c.call("SENTINEL", ...args, name)).match(/\r\nname\r\n/g)?.length ?? 0;
  await askEachSentinel(sentinels, `to find ${replicas} replicas and the other sentinels`, async (c) =>
    (await count(c, "REPLICAS")) === replicas && (await count(c, "SENTINELS")) === sentinels.length - 1 ? true : undefined,
  );
}

/** Wait until every sentinel names a master of `name` other than the one on port `old`; returns its port. */
export function sentinelsSwitched(sentinels: RunningServer[], name: string, old: number): Promise<number> {
  return askEachSentinel(sentinels, `to switch ${name} away from ${old}`, async (c) => {
    const port = Number((await c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)).split("\r\n")[4]);
    return port !== old ? port : undefined;
  });
}

/** The password a server started with `args` wants before PING (--requirepass). */
function passwordIn(args: string[]): string | undefined {
  const at = args.indexOf("--requirepass");
  return at >= 0 ? args[at + 1] : undefined;
}

/** Run a command-line tool to completion (asynchronously) and return its output. */
export async function run(cmd: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(cmd, { stdin: input === undefined ? "ignore" : new TextEncoder().encode(input), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/**
 * Wait until `n` clients of the server on `port` are blocked (INFO clients' blocked_clients,
 * as Redis's own tests wait): the state that a push, a timeout or an UNBLOCK is meant for.
 */
export async function waitBlocked(port: number, n = 1): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    await waitFor(async () => (await c.call("INFO", "clients")).includes(`\r\nblocked_clients:${n}\r\n`), 20_000, `${n} blocked client(s)`);
  } finally {
    c.close();
  }
}

/**
 * Wait until `key` has expired on the server behind `c` without touching it: KEYS skips an
 * expired key without deleting it (a lookup would delete it, and propagate a DEL).
 */
export async function waitExpired(c: RawClient, key: string): Promise<void> {
  await waitFor(async () => (await c.call("KEYS", key)) === "*0\r\n", 20_000, `${key} to expire`);
}
