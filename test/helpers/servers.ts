/**
 * Servers for tests: an in-process KVIS on port 0, the compiled ./kvis as a child
 * process, and a real redis-server, each on a free port in its own temporary folder, each
 * with a stop() that always cleans up. Children are started with Bun.spawn (never spawnSync:
 * it would block the event loop an in-process server needs).
 */
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Config } from "../../src/config.ts";
import { Server } from "../../src/server/server.ts";

export const ROOT = resolve(import.meta.dir, "../..");
export const KVIS_BINARY = join(ROOT, "kvis");

export function tempDir(prefix = "kvis-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A port nobody listens on right now. */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** Poll `check` until it returns a truthy value; fail after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10000, what = "condition"): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
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
  const server = new Server(new Config({ port: "0", dir, save: "", ...options }));
  await server.start({ quiet: true });
  return {
    port: server.port,
    dir,
    server,
    async stop() {
      server.stop();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function canConnect(port: number): Promise<boolean> {
  try {
    const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}

export interface ChildServer extends RunningServer {
  proc: import("bun").Subprocess;
  output(): Promise<string>;
}

async function spawnServer(cmd: string[], port: number, dir: string, ownDir: boolean, env?: Record<string, string>): Promise<ChildServer> {
  const proc = Bun.spawn(cmd, { cwd: dir, stdout: "pipe", stderr: "pipe", env: env ?? process.env });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGKILL");
      await proc.exited;
    }
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => proc.exitCode !== null || (await canConnect(port)), 15000, `${cmd[0]} on port ${port}`);
    if (proc.exitCode !== null) {
      const err = await new Response(proc.stderr).text();
      const out = await new Response(proc.stdout).text();
      throw new Error(`${cmd[0]} exited with ${proc.exitCode}: ${err}${out}`);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, dir, proc, stop, output: () => new Response(proc.stdout).text() };
}

let binaryReady: Promise<void> | undefined;

/**
 * Build ./kvis unless it is newer than every source file. CI builds it before the tests;
 * this spares a developer running `bun test` alone from testing a stale binary.
 */
export function ensureBinary(): Promise<void> {
  binaryReady ??= (async () => {
    let newest = 0;
    for (const f of new Bun.Glob("src/**/*.ts").scanSync(ROOT)) newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
    if (existsSync(KVIS_BINARY) && statSync(KVIS_BINARY).mtimeMs >= newest) return;
    const built = await run(["bun", "run", "--cwd", ROOT, "build"]);
    if (built.code !== 0) throw new Error(`build failed: ${built.stderr}`);
  })();
  return binaryReady;
}

/** The compiled ./kvis as a child process, built first if stale. */
export async function startKvisBinary(args: string[] = [], opts: { dir?: string; env?: Record<string, string> } = {}): Promise<ChildServer> {
  await ensureBinary();
  const dir = opts.dir ?? tempDir();
  const port = freePort();
  return spawnServer([KVIS_BINARY, "--port", String(port), "--dir", dir, ...args], port, dir, opts.dir === undefined, opts.env);
}

/** A real redis-server with no persistence, on a free port in a temporary folder. */
export async function startRedis(args: string[] = [], opts: { dir?: string } = {}): Promise<ChildServer> {
  const dir = opts.dir ?? tempDir("redis-test-");
  const port = freePort();
  return spawnServer(
    ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", ...args],
    port,
    dir,
    opts.dir === undefined,
  );
}

/** Run a command-line tool to completion (asynchronously) and return its output. */
export async function run(cmd: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(cmd, { stdin: input === undefined ? "ignore" : new TextEncoder().encode(input), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}
