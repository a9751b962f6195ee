/**
 * How a maxmemory limit holds: ./kvis and a real redis-server, each started with the same
 * `maxmemory` and policy, are filled by redis-benchmark with more data than fits; the
 * report gives, side by side, the keys kept, evicted_keys, used_memory, the process's RSS
 * (and its ratio to maxmemory) right after the fill and once settled, the anonymous part of
 * the settled RSS (without the executable's pages) to maxmemory, and the fill rate.
 *
 *   bun scripts/maxmemory.ts [--maxmemory 200mb] [--policy allkeys-lru] [--requests 3000000] [--size 100]
 */
import { parseArgs } from "node:util";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseMemory } from "../src/config.ts";
import { ensureBinary, freePort, KVIS_BINARY, waitFor } from "../test/helpers/servers.ts";

const { values: opts } = parseArgs({
  options: {
    maxmemory: { type: "string", default: "200mb" },
    policy: { type: "string", default: "allkeys-lru" },
    requests: { type: "string", default: "3000000" },
    size: { type: "string", default: "100" },
  },
});

async function cli(port: number, ...args: string[]): Promise<string> {
  const proc = Bun.spawn(["redis-cli", "-p", String(port), ...args], { stdout: "pipe" });
  return new Response(proc.stdout).text();
}

/**
 * The process's anonymous resident memory (heap and buffers), from /proc: RSS less the
 * pages of the executable and libraries, which for the kvis binary are about 40 MB.
 */
function anonymousRss(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  return Number(/^Anonymous:\s+(\d+) kB/m.exec(rollup)?.[1] ?? NaN) * 1024;
}

function residentBytes(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) * 1024;
}

function field(info: string, name: string): number {
  return Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? NaN);
}

async function measure(name: string, cmd: string[], port: number): Promise<Record<string, string | number>> {
  const dir = mkdtempSync(join(tmpdir(), "kvis-maxmemory-"));
  const proc = Bun.spawn([...cmd, "--port", String(port), "--dir", dir, "--save", "", "--maxmemory", opts.maxmemory!, "--maxmemory-policy", opts.policy!], {
    cwd: dir, stdout: "ignore", stderr: "ignore",
  });
  try {
    await waitFor(async () => (await cli(port, "PING")).includes("PONG"), 15_000, name);
    const started = performance.now();
    const bench = Bun.spawn(
      ["redis-benchmark", "-p", String(port), "-t", "set", "-n", opts.requests!, "-r", String(Number(opts.requests) * 2), "-d", opts.size!, "-P", "16", "-q"],
      { stdout: "ignore", stderr: "ignore" },
    );
    await bench.exited;
    const seconds = (performance.now() - started) / 1000;
    console.error(`${name}: filled in ${seconds.toFixed(1)} s`);
    const after = await cli(port, "INFO", "everything");
    // Settled: ten seconds with no command, read from /proc (a command would end KVIS's
    // quiet spell, after which it lets the runtime's idle code pages go: server/code-pages.ts).
    await Bun.sleep(10_000);
    const settledRss = residentBytes(proc.pid);
    const anonymous = anonymousRss(proc.pid);
    const limit = parseMemory(opts.maxmemory!)!;
    const mb = (n: number) => (n / 1048576).toFixed(1);
    return {
      server: name,
      keys: Number((await cli(port, "DBSIZE")).trim()),
      evicted: field(after, "evicted_keys"),
      "used_memory MB": mb(field(after, "used_memory")),
      "RSS MB": mb(field(after, "used_memory_rss")),
      "RSS settled MB": mb(settledRss),
      "RSS / maxmemory": (settledRss / limit).toFixed(2),
      "anon / maxmemory": (anonymous / limit).toFixed(2),
      "SET/s": Math.round(Number(opts.requests) / seconds),
    };
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

await ensureBinary();
console.log(`maxmemory ${opts.maxmemory}, ${opts.policy}, ${opts.requests} SETs of ${opts.size}-byte values over ${Number(opts.requests) * 2} keys`);
const rows = [await measure("kvis", [KVIS_BINARY], freePort()), await measure("redis", ["redis-server", "--bind", "127.0.0.1"], freePort())];
console.table(rows);
