/**
 * The one place speed is measured: builds ./kvis, starts it and a real redis-server on
 * free ports with the same settings (no persistence), and runs redis-benchmark against
 * each in turn, A B A B, for several rounds. Prints medians of ops/s and p50/p99 latency
 * for both, and the kvis/Redis ratio, as a markdown table.
 *
 * It then loads the same data into both and reports memory per key or element from RSS
 * and from INFO used_memory: string keys (16-byte keys, 32-byte values), hash fields in
 * 10k hashes of 100 fields, and members of one big set, sorted set and list.
 *
 *   bun run bench                 # 3 rounds, 100k requests per case, 1M keys for memory
 *   bun run bench --rounds 5 --requests 200000 --keys 500000
 *   bun run bench --memory-only   # skip the throughput cases
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROUNDS = option("rounds", 3);
const REQUESTS = option("requests", 100_000);
const KEYS = option("keys", 1_000_000);
const CLIENTS = 50;
const MEMORY_ONLY = args.includes("--memory-only");
/** redis-benchmark test names, and the command each needs from the server. */
const CASES: Array<[test: string, needs: string]> = [
  ["ping", "ping"],
  ["set", "set"],
  ["get", "get"],
  ["incr", "incr"],
  ["lpush", "lpush"],
  ["rpush", "rpush"],
  ["lpop", "lpop"],
  ["rpop", "rpop"],
  ["sadd", "sadd"],
  ["hset", "hset"],
  ["spop", "spop"],
  ["zadd", "zadd"],
  ["zpopmin", "zpopmin"],
  ["lrange_100", "lrange"],
  ["mset", "mset"],
];
const PIPELINES = [1, 16];

async function sh(cmd: string[]): Promise<string> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} failed (${code}): ${err}`);
  return out;
}

function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** Pin servers and the load generator to separate cores where the machine allows it. */
const cores = navigator.hardwareConcurrency;
const hasTaskset = Bun.which("taskset") !== null && cores >= 2;
const pin = (core: number, cmd: string[]) => (hasTaskset ? ["taskset", "-c", String(core % cores), ...cmd] : cmd);

interface Target {
  name: string;
  port: number;
  proc: import("bun").Subprocess;
  dir: string;
}

async function startServer(name: string, cmd: (port: number, dir: string) => string[]): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const port = freePort();
  const proc = Bun.spawn(pin(0, cmd(port, dir)), { cwd: dir, stdout: "ignore", stderr: "inherit" });
  for (let i = 0; i < 200; i++) {
    try {
      const out = await sh(["redis-cli", "-p", String(port), "PING"]);
      if (out.trim() === "PONG") return { name, port, proc, dir };
    } catch {}
    await Bun.sleep(25);
  }
  throw new Error(`${name} did not start`);
}

interface Result {
  rps: number;
  p50: number;
  p99: number;
}

/**
 * Pipelined cases run 10x the requests: at -P 16 a 100k-request run lasts under 100 ms,
 * which would measure the JIT's warm-up rather than the server.
 */
const requestsFor = (pipeline: number) => (pipeline === 1 ? REQUESTS : REQUESTS * 10);

async function runCase(port: number, test: string, pipeline: number, requests = requestsFor(pipeline)): Promise<Map<string, Result>> {
  const csv = await sh(
    pin(1, ["redis-benchmark", "-p", String(port), "-t", test, "-n", String(requests), "-c", String(CLIENTS), "-P", String(pipeline), "--csv"]),
  );
  const results = new Map<string, Result>();
  for (const line of csv.trim().split("\n").slice(1)) {
    const cells = line.split(",").map((c) => c.replace(/"/g, ""));
    results.set(cells[0]!, { rps: Number(cells[1]), p50: Number(cells[4]), p99: Number(cells[6]) });
  }
  return results;
}

function rssOf(pid: number): number {
  const status = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8") as string;
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

async function usedMemory(port: number): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await sh(["redis-cli", "-p", String(port), "INFO", "memory"]))![1]);
}

/**
 * Send `count` commands made by `make`, pipelined over one connection in batches; every
 * command must have a one-line reply (+OK or an integer), which is how replies are counted.
 */
async function load(port: number, count: number, make: (i: number) => string[]): Promise<void> {
  const BATCH = 10_000;
  let pending = 0;
  let resolveBatch: () => void = () => {};
  let received = 0;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, data) {
        for (const b of data) if (b === 0x0a) received++;
        if (received >= pending) resolveBatch();
      },
      drain() {},
    },
  });
  for (let start = 0; start < count; start += BATCH) {
    let text = "";
    const end = Math.min(count, start + BATCH);
    for (let i = start; i < end; i++) {
      const args = make(i);
      text += `*${args.length}\r\n`;
      for (const a of args) text += `$${a.length}\r\n${a}\r\n`;
    }
    pending = end;
    const done = new Promise<void>((r) => (resolveBatch = r));
    let bytes: Uint8Array = Buffer.from(text);
    while (bytes.length > 0) {
      const n = socket.write(bytes);
      bytes = bytes.subarray(Math.max(0, n));
      if (bytes.length > 0) await Bun.sleep(1);
    }
    if (received < pending) await done;
  }
  socket.end();
}

/** The memory cases: what is loaded, and how many keys or elements it makes. */
const MEMORY_CASES: Array<[label: string, make: (i: number) => string[]]> = [
  ["string keys (16-byte keys, 32-byte values)", (i) => ["SET", `key:${String(i).padStart(12, "0")}`, "v".repeat(32)]],
  ["hash fields (10k hashes of 100 fields, 8-byte values)", (i) => ["HSET", `hash:${i % 10_000}`, `field:${Math.floor(i / 10_000)}`, String(i).padStart(8, "0")]],
  ["set members (one set, 16-byte members)", (i) => ["SADD", "set", `member:${String(i).padStart(9, "0")}`]],
  ["sorted-set members (one zset, 16-byte members)", (i) => ["ZADD", "zset", String(i), `member:${String(i).padStart(9, "0")}`]],
  ["list elements (one list, 16-byte elements)", (i) => ["RPUSH", "list", `element:${String(i).padStart(8, "0")}`]],
  ["small sorted sets (5 members each), per member", (i) => ["ZADD", `zs:${Math.floor(i / 5)}`, String(i % 5), `member:${i % 5}`]],
  ["small lists (5 elements each), per element", (i) => ["RPUSH", `ls:${Math.floor(i / 5)}`, `element:${i % 5}`]],
  ["small sets (5 members each), per member", (i) => ["SADD", `ss:${Math.floor(i / 5)}`, `member:${i % 5}`]],
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function main(): Promise<void> {
  await sh(["bun", "run", "--cwd", ROOT, "build"]);
  const kvis = await startKvis();
  const redis = await startRedis();
  try {
    if (!MEMORY_ONLY) await throughput(kvis, redis);
    console.log(`\nMemory for ${KEYS} keys or elements of each kind, each loaded into freshly started servers:\n`);
    console.log("| data | kvis RSS B/item | redis RSS B/item | RSS ratio | kvis used_memory B/item | redis used_memory B/item |");
    console.log("|---|---|---|---|---|---|");
    for (const [label, make] of MEMORY_CASES) {
      const row: number[] = [];
      // Fresh processes: memory freed by an earlier case would otherwise be reused and hide costs.
      for (const target of [await startKvis(), await startRedis()]) {
        try {
          const [rss0, used0] = [rssOf(target.proc.pid), await usedMemory(target.port)];
          await load(target.port, KEYS, make);
          const [rss1, used1] = [rssOf(target.proc.pid), await usedMemory(target.port)];
          row.push((rss1 - rss0) / KEYS, (used1 - used0) / KEYS);
        } finally {
          await stop(target);
        }
      }
      const [kRss, kUsed, rRss, rUsed] = row as [number, number, number, number];
      console.log(`| ${label} | ${kRss.toFixed(1)} | ${rRss.toFixed(1)} | ${(kRss / rRss).toFixed(2)} | ${kUsed.toFixed(1)} | ${rUsed.toFixed(1)} |`);
    }
  } finally {
    await stop(kvis);
    await stop(redis);
  }
}

/** The redis-benchmark cases, A B A B for ROUNDS rounds, printed as a markdown table. */
async function throughput(kvis: Target, redis: Target): Promise<void> {
  const supported = (await sh(["redis-cli", "-p", String(kvis.port), "COMMAND", "LIST"])).split("\n");
  const cases = CASES.filter(([, needs]) => supported.includes(needs)).map(([t]) => t);
  const skipped = CASES.filter(([, needs]) => !supported.includes(needs)).map(([t]) => t);
  // samples[target][pipeline][testName] = results per round
  const samples = new Map<string, Result[]>();
  // One unrecorded pass, so that both servers are measured warm, as users run them.
  for (const target of [kvis, redis]) await runCase(target.port, cases.join(","), 16, REQUESTS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const pipeline of PIPELINES) {
      for (const target of [kvis, redis]) {
        const results = await runCase(target.port, cases.join(","), pipeline);
        for (const [test, r] of results) {
          const key = `${target.name}|${pipeline}|${test}`;
          samples.set(key, [...(samples.get(key) ?? []), r]);
        }
      }
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }
  const versions = `kvis ${(await sh(["redis-cli", "-p", String(kvis.port), "INFO", "server"])).match(/kvis_version:(\S+)/)?.[1]}, ${
    (await sh(["redis-server", "--version"])).trim().split(" ").slice(0, 3).join(" ")
  }, Bun ${Bun.version}`;
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${cores} cores, ${versions}; redis-benchmark -c ${CLIENTS} -n ${REQUESTS} (x10 pipelined), median of ${ROUNDS} rounds${hasTaskset ? ", servers and load pinned to separate cores" : ""}\n`);
  console.log("| test | pipeline | kvis ops/s | redis ops/s | ratio | kvis p50/p99 ms | redis p50/p99 ms |");
  console.log("|---|---|---|---|---|---|---|");
  const tests = [...new Set([...samples.keys()].map((k) => k.split("|")[2]!))];
  for (const pipeline of PIPELINES) {
    for (const test of tests) {
      const k = samples.get(`kvis|${pipeline}|${test}`);
      const r = samples.get(`redis|${pipeline}|${test}`);
      if (!k || !r) continue;
      const [kr, rr] = [median(k.map((x) => x.rps)), median(r.map((x) => x.rps))];
      const lat = (xs: Result[]) => `${median(xs.map((x) => x.p50)).toFixed(3)}/${median(xs.map((x) => x.p99)).toFixed(3)}`;
      console.log(`| ${test} | ${pipeline} | ${Math.round(kr)} | ${Math.round(rr)} | ${(kr / rr).toFixed(2)} | ${lat(k)} | ${lat(r)} |`);
    }
  }
  if (skipped.length > 0) console.log(`\nNot run (command not in kvis yet): ${skipped.join(", ")}`);
}

const startKvis = () => startServer("kvis", (port, dir) => [join(ROOT, "kvis"), "--port", String(port), "--dir", dir]);
const startRedis = () =>
  startServer("redis", (port, dir) => ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"]);

async function stop(t: Target): Promise<void> {
  t.proc.kill("SIGKILL");
  await t.proc.exited;
  rmSync(t.dir, { recursive: true, force: true });
}

await main();
