/**
 * The one place speed is measured: builds ./kvis, starts it and a real redis-server on
 * free ports with the same settings (no persistence), and runs redis-benchmark against
 * each in turn, A B A B, for several rounds, one case per run. Prints medians of ops/s,
 * p50/p99/max latency and server CPU time per request (from /proc, so the ratio holds
 * even when the load generator is the bottleneck) for both, and the kvis/Redis ratios, as
 * a markdown table; writes the ratios as an SVG chart to bench-results/ratios.svg; and
 * measures start-up to the first PONG.
 *
 * It then loads the same data into both and reports memory per key or element from RSS
 * and from INFO used_memory: string keys (16-byte keys, 32-byte values), hash fields in
 * 10k hashes of 100 fields, and members of one big set, sorted set and list.
 *
 *   bun run bench                 # 3 rounds, 100k requests per case, 1M keys for memory
 *   bun run bench --rounds 5 --requests 200000 --keys 500000
 *   bun run bench --memory-only   # skip the throughput cases
 *   bun run bench --memory-only --row list   # only the memory rows whose label has "list"
 *   bun run bench --throughput-only   # only the redis-benchmark cases
 *   bun run bench --throughput-only --case evalsha --case fcall   # only those cases
 *   bun run bench --persistence-only
 *   bun run bench --big-only      # only the big-keyspace runs
 *   bun run bench --big-values-only   # only the commands on big values
 *   bun run bench --big-values-only --case ZRANGE --case SINTERCARD   # the big-value cases starting so
 *   bun run bench --small-only    # only the small aggregates at random keys
 *
 * Then a big keyspace: with the 1M string keys present, pipelined SET and GET drawn over
 * all of them (redis-benchmark -r), while a probe client sends PING every millisecond:
 * throughput and the probe's p99 and worst round trip, the stalls a user would see.
 *
 * Then big values: commands that read or change one element of a 1 MB bitmap, a hash, set
 * and sorted set of 100,000 elements and a stream of 10,000 entries (-P 16), where a
 * command that walks or copies the whole value shows at once.
 *
 * Then small aggregates as applications use them: adds, reads, removals, capped lists,
 * queues and leaderboards of small hashes, sets, sorted sets and lists (SMALL_CASES) at
 * 100,000 random keys (-P 16), and the RSS the data they make grew by.
 *
 * Last, persistence: the time each server takes from spawn to its first PONG when
 * loading a dump of the 1M string keys that real Redis wrote, and, while a BGSAVE of those
 * keys runs under redis-benchmark load, the latency a probe client sees for SET and GET
 * (p99 and max, next to the same probe without a save) and the extra memory the save
 * takes (KVIS: its peak RSS over the peak of as long a time just before, without a save;
 * Redis: the forked child's copy-on-write, rdb_last_cow_size).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
const MEMORY_ROWS = args.flatMap((a, i) => (args[i - 1] === "--row" ? [a] : []));
const PERSISTENCE_ONLY = args.includes("--persistence-only");
const REPLICATION_ONLY = args.includes("--replication-only");
const THROUGHPUT_ONLY = args.includes("--throughput-only");
const BIG_ONLY = args.includes("--big-only");
const BIG_VALUES_ONLY = args.includes("--big-values-only");
const SMALL_ONLY = args.includes("--small-only");
/** The scripting cases' script (loaded by SCRIPT LOAD) and the same as a function library. */
const SCRIPT = "redis.call('incr', KEYS[1]) redis.call('expire', KEYS[1], 1000) return redis.call('get', KEYS[1])";
const LIBRARY = `#!lua name=bench\nredis.register_function('bench3', function(KEYS) ${SCRIPT} end)`;
/** redis-benchmark test names (or, in capitals, a command to send), and the command each needs from the server. */
const CASES: Array<[test: string, needs: string]> = [
  // redis-benchmark's "ping" runs both; each is a case of its own (CPU is measured per run).
  ["ping_inline", "ping"],
  ["ping_mbulk", "ping"],
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
  ["lrange_300", "lrange"],
  ["lrange_600", "lrange"],
  ["mset", "mset"],
  ["set -d 1024", "set"],
  ["get -d 1024", "get"],
  ["set -d 65536", "set"],
  ["get -d 65536", "get"],
  // A cache's write: SET with a TTL.
  ["SET key:__rand_int__ xxx EX 100", "set"],
  // Scripting: a script making three redis.call's, by EVALSHA and as a function by FCALL.
  [`EVALSHA ${new Bun.CryptoHasher("sha1").update(SCRIPT).digest("hex")} 1 bench:script`, "evalsha"],
  ["FCALL bench3 1 bench:function", "fcall"],
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

/** Whether a server answers PING on `port` right now (a raw socket: spawning redis-cli would take longer than the start-up being measured). */
async function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok: boolean, s?: { end(): void }) => {
      if (done) return;
      done = true;
      s?.end();
      resolve(ok);
    };
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          s.write("PING\r\n");
        },
        data(s, d) {
          finish(Buffer.from(d).toString().startsWith("+PONG"), s);
        },
        close() {
          finish(false);
        },
        error() {
          finish(false);
        },
      },
    }).catch(() => finish(false));
  });
}

async function startServer(name: string, cmd: (port: number, dir: string) => string[], pollMs = 25, dump?: string): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  if (dump !== undefined) copyFileSync(dump, join(dir, "dump.rdb"));
  const port = freePort();
  const proc = Bun.spawn(pin(0, cmd(port, dir)), { cwd: dir, stdout: "ignore", stderr: "inherit" });
  for (let i = 0; i < 60_000 / pollMs; i++) {
    if (await pingOnce(port)) return { name, port, proc, dir };
    await Bun.sleep(pollMs);
  }
  throw new Error(`${name} did not start`);
}

interface Result {
  rps: number;
  p50: number;
  p99: number;
  max: number;
  /** Server CPU time (user + system) per request, in microseconds. */
  cpuUs: number;
}

/**
 * Pipelined cases run 10x the requests: at -P 16 a 100k-request run lasts under 100 ms,
 * which would measure the JIT's warm-up rather than the server.
 */
const requestsFor = (pipeline: number) => (pipeline === 1 ? REQUESTS : REQUESTS * 10);

/** User plus system CPU time of a process so far, in microseconds (clock ticks are 10 ms). */
function cpuTimeUs(pid: number): number {
  const fields = (require("node:fs").readFileSync(`/proc/${pid}/stat`, "utf8") as string).split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** One benchmark case ("set", or "set -d 1024") against one server. */
async function runCase(target: Target, testCase: string, pipeline: number, requested = requestsFor(pipeline), randomKeys = 0): Promise<Result> {
  const [test, ...extra] = testCase.split(" ");
  // 64 KB values move 64x the bytes of the small cases: a tenth of the requests keeps
  // each run to seconds instead of a minute.
  const requests = testCase.endsWith("65536") ? Math.ceil(requested / 10) : requested;
  const cpu0 = cpuTimeUs(target.proc.pid);
  // A case in capitals is a command of its own; the others are redis-benchmark's tests.
  const what = /^[A-Z]/.test(testCase) ? [test!, ...extra] : ["-t", test!, ...extra];
  const common = ["-n", String(requests), "-c", String(CLIENTS), "-P", String(pipeline), "--csv", ...(randomKeys > 0 ? ["-r", String(randomKeys)] : [])];
  const csv = await sh(pin(1, ["redis-benchmark", "-p", String(target.port), ...(what[0] === "-t" ? [...what, ...common] : [...common, ...what])]));
  const cpu = cpuTimeUs(target.proc.pid) - cpu0;
  // LRANGE cases first run an LPUSH to fill the list; the case itself is the last line.
  const cells = csv.trim().split("\n").at(-1)!.split(",").map((c) => c.replace(/"/g, ""));
  return { rps: Number(cells[1]), p50: Number(cells[4]), p99: Number(cells[6]), max: Number(cells[7]), cpuUs: cpu / requests };
}

function rssOf(pid: number): number {
  const status = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8") as string;
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/**
 * RSS once it has settled: what the process holds after the garbage of loading is freed.
 * Freed pages go back to the system a few seconds later in Bun's allocator (at once in
 * Redis's, after MEMORY PURGE), so RSS is read every 0.5 s until three readings agree
 * within 1%, for at most 30 s.
 */
async function settledRss(pid: number): Promise<number> {
  const readings = [rssOf(pid)];
  for (let i = 0; i < 60; i++) {
    await Bun.sleep(500);
    readings.push(rssOf(pid));
    const last = readings.slice(-3);
    if (last.length === 3 && Math.max(...last) - Math.min(...last) <= 0.01 * Math.max(...last)) break;
  }
  return readings[readings.length - 1]!;
}

async function usedMemory(port: number): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await sh(["redis-cli", "-p", String(port), "INFO", "memory"]))![1]);
}

/**
 * Send `count` commands made by `make`, pipelined over one connection in batches; every
 * command must have a one-line reply (+OK or an integer), which is how replies are counted.
 */
/** Requests `load` sends before it waits for their replies. */
const LOAD_BATCH = 10_000;

async function load(port: number, count: number, make: (i: number) => string[], db = 0): Promise<void> {
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
  // Into database `db`: a SELECT first, its +OK counted with the batch's replies.
  const select = db === 0 ? 0 : 1;
  for (let start = 0; start < count; start += LOAD_BATCH) {
    let text = start === 0 && select === 1 ? `*2\r\n$6\r\nSELECT\r\n$${String(db).length}\r\n${db}\r\n` : "";
    const end = Math.min(count, start + LOAD_BATCH);
    for (let i = start; i < end; i++) {
      const args = make(i);
      text += `*${args.length}\r\n`;
      for (const a of args) text += `$${a.length}\r\n${a}\r\n`;
    }
    pending = end + select;
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
/** Items a memory case loads into database 9 before its baseline is read. */
const WARM_ITEMS = 10_000;

const MEMORY_CASES: Array<[label: string, make: (i: number) => string[]]> = [
  // Distinct values: equal ones would share one string in KVIS (Argv.str's memory) and flatter it.
  ["string keys (16-byte keys, 32-byte values)", (i) => ["SET", `key:${String(i).padStart(12, "0")}`, `val:${String(i).padStart(28, "0")}`]],
  ["hash fields (10k hashes of 100 fields, 8-byte values)", (i) => ["HSET", `hash:${i % 10_000}`, `field:${Math.floor(i / 10_000)}`, String(i).padStart(8, "0")]],
  ["hash fields (one hash, 16-byte fields, 16-byte values)", (i) => ["HSET", "hash", `field:${String(i).padStart(10, "0")}`, `value:${String(i).padStart(10, "0")}`]],
  ["set members (one set, 16-byte members)", (i) => ["SADD", "set", `member:${String(i).padStart(9, "0")}`]],
  ["sorted-set members (one zset, 16-byte members)", (i) => ["ZADD", "zset", String(i), `member:${String(i).padStart(9, "0")}`]],
  ["list elements (one list, 16-byte elements)", (i) => ["RPUSH", "list", `element:${String(i).padStart(8, "0")}`]],
  ["small sorted sets (5 members each), per member", (i) => ["ZADD", `zs:${Math.floor(i / 5)}`, String(i % 5), `member:${i % 5}`]],
  ["small lists (5 elements each), per element", (i) => ["RPUSH", `ls:${Math.floor(i / 5)}`, `element:${i % 5}`]],
  ["small hashes (5 fields each), per field", (i) => ["HSET", `hs:${Math.floor(i / 5)}`, `field:${i % 5}`, `value:${i % 5}`]],
  ["small sets (5 members each), per member", (i) => ["SADD", `ss:${Math.floor(i / 5)}`, `member:${i % 5}`]],
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function main(): Promise<void> {
  // The big keyspace's loader, run as a process of its own (bigKeyspace).
  const loadKeys = args.indexOf("--load-keys");
  if (loadKeys >= 0) return load(Number(args[loadKeys + 1]), Number(args[loadKeys + 2]), MEMORY_CASES[0]![1]);
  await sh(["bun", "run", "--cwd", ROOT, "build"]);
  if (PERSISTENCE_ONLY) return persistence();
  if (REPLICATION_ONLY) return replication();
  if (BIG_ONLY) return bigKeyspace();
  if (BIG_VALUES_ONLY) return bigValues();
  if (SMALL_ONLY) return smallAggregates();
  const kvis = await startKvis();
  const redis = await startRedis();
  try {
    if (!MEMORY_ONLY) await throughput(kvis, redis);
    if (THROUGHPUT_ONLY) return;
    const [kvisStart, redisStart] = await startupTimes();
    console.log(`\nStart-up to the first PONG (median of 5, polling every 2 ms): kvis ${kvisStart.toFixed(0)} ms, redis ${redisStart.toFixed(0)} ms`);
    console.log(`\nMemory for ${KEYS} keys or elements of each kind, each loaded into freshly started servers after ${WARM_ITEMS} of the same in database 9 (the baseline), then MEMORY PURGE and RSS read once settled:\n`);
    console.log("| data | kvis RSS B/item | redis RSS B/item | RSS ratio | kvis used_memory B/item | redis used_memory B/item |");
    console.log("|---|---|---|---|---|---|");
    for (const [label, make] of MEMORY_CASES) {
      if (MEMORY_ROWS.length > 0 && !MEMORY_ROWS.some((row) => label.includes(row))) continue;
      const row: number[] = [];
      // Fresh processes: memory freed by an earlier case would otherwise be reused and hide costs.
      for (const target of [await startKvis(), await startRedis()]) {
        try {
          // The same commands first, WARM_ITEMS of them in database 9 (kept): what the
          // server grows by on first use (the JIT's code, the runtime's code pages, a table's
          // first slots) is not the data's, and was counted as 11-15 B an item of every row.
          await load(target.port, WARM_ITEMS, make, 9);
          await sh(["redis-cli", "-p", String(target.port), "MEMORY", "PURGE"]);
          const [rss0, used0] = [await settledRss(target.proc.pid), await usedMemory(target.port)];
          await load(target.port, KEYS, make);
          // Both servers release what they can first (jemalloc's purge for Redis, a full
          // garbage collection and shrink for KVIS), so RSS shows the data rather than recent garbage.
          await sh(["redis-cli", "-p", String(target.port), "MEMORY", "PURGE"]);
          const [rss1, used1] = [await settledRss(target.proc.pid), await usedMemory(target.port)];
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
  if (!MEMORY_ONLY && !THROUGHPUT_ONLY) {
    await bigKeyspace();
    await bigValues();
    await smallAggregates();
    await persistence();
    await replication();
  }
}

const infoField = async (port: number, name: string) =>
  new RegExp(`^${name}:(.*)$`, "m").exec((await sh(["redis-cli", "-p", String(port), "INFO", "replication"])).replace(/\r/g, ""))?.[1];

/**
 * Replication: full-sync time of a real Redis replica from a master holding the 1M-key dump
 * (KVIS or Redis as the master), and how far behind the replica runs under redis-benchmark
 * SET load (master_repl_offset minus the replica's slave_repl_offset, sampled every 50 ms).
 */
async function replication(): Promise<void> {
  const source = await startRedis();
  const dumpDir = mkdtempSync(join(tmpdir(), "bench-dump-"));
  const dump = join(dumpDir, "dump.rdb");
  try {
    await load(source.port, KEYS, MEMORY_CASES[0]![1]);
    await sh(["redis-cli", "-p", String(source.port), "SAVE"]);
    copyFileSync(join(source.dir, "dump.rdb"), dump);
  } finally {
    await stop(source);
  }
  console.log(`\nReplication to a real Redis replica, master holding ${KEYS} keys:\n`);
  console.log("| master | full sync s | lag under SET load, median bytes | max bytes |");
  console.log("|---|---|---|---|");
  for (const start of [startKvis, startRedis]) {
    const master = await start(25, dump);
    // Both wait 5 s by default for more replicas before a diskless sync; measure the sync itself.
    await sh(["redis-cli", "-p", String(master.port), "CONFIG", "SET", "repl-diskless-sync-delay", "0"]);
    const replica = await startServer("replica", (port, dir) => ["redis-server", "--port", String(port), "--dir", dir, "--save", "", "--replicaof", `127.0.0.1 ${master.port}`], 5);
    try {
      const t0 = performance.now();
      while ((await infoField(replica.port, "master_link_status")) !== "up") await Bun.sleep(10);
      const syncSeconds = (performance.now() - t0) / 1000;
      const bench = Bun.spawn(pin(1, ["redis-benchmark", "-p", String(master.port), "-t", "set", "-n", "400000", "-r", "100000", "-c", "50", "-q"]), { stdout: "ignore", stderr: "ignore" });
      const lags: number[] = [];
      while (bench.exitCode === null) {
        const [m, r] = await Promise.all([infoField(master.port, "master_repl_offset"), infoField(replica.port, "slave_repl_offset")]);
        lags.push(Math.max(0, Number(m) - Number(r)));
        await Bun.sleep(50);
      }
      console.log(`| ${master.name} | ${syncSeconds.toFixed(2)} | ${median(lags)} | ${Math.max(...lags)} |`);
    } finally {
      await stop(replica);
      await stop(master);
    }
  }
  rmSync(dumpDir, { recursive: true, force: true });
}

/**
 * Round trips (ms) of the requests a probe client sends one at a time until `until`
 * resolves, sorted: `request(i)` is the i-th, and with `paceMs` they start that far apart.
 */
async function probeLatencies(port: number, until: Promise<unknown>, request: (i: number) => string, paceMs = 0): Promise<number[]> {
  let stop = false;
  until.then(() => (stop = true));
  const times: number[] = [];
  let wake: () => void = () => {};
  const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data: () => wake() } });
  for (let i = 0; !stop; i++) {
    const t0 = performance.now();
    const replied = new Promise<void>((r) => (wake = r));
    socket.write(request(i));
    await replied;
    const took = performance.now() - t0;
    times.push(took);
    if (took < paceMs) await Bun.sleep(paceMs - took);
  }
  socket.end();
  return times.sort((a, b) => a - b);
}

/** The persistence probe's requests: SET and GET in turn over 1000 keys. */
const setGet = (i: number) => (i % 2 === 0 ? `SET probe:${i % 1000} v\r\n` : `GET probe:${i % 1000}\r\n`);

/**
 * Issue 20's measure of a big keyspace: into fresh servers, KEYS string keys (the memory
 * case's, named as redis-benchmark -r draws them), then SET and GET over all of them at
 * -P 16 while a probe client PINGs every millisecond; last a cache's churn, SETs and DELs
 * at once over twice as many names, which keeps about KEYS keys while they come and go.
 */
async function bigKeyspace(): Promise<void> {
  const requests = 2 * KEYS;
  console.log(`
Loading ${KEYS} keys, then with them present redis-benchmark -t set|get -r ${KEYS} -n ${requests} -P 16 -c ${CLIENTS}, and a probe client's PING every ms meanwhile:\n`);
  console.log("| test | kvis ops/s | redis ops/s | ratio | kvis probe p99 / max ms | redis probe p99 / max ms |");
  console.log("|---|---|---|---|---|---|");
  const results = new Map<string, { rps: number; probe: number[] }>();
  for (const start of [startKvis, startRedis]) {
    const target = await start();
    try {
      // The load is measured too: a bulk load must not hold the other clients. The loader
      // is a process of its own (on redis-benchmark's core): building its pipelines in this
      // one held the probe's own event loop for milliseconds at a time.
      const t0 = performance.now();
      const loader = Bun.spawn(pin(1, [process.execPath, import.meta.path, "--load-keys", String(target.port), String(KEYS)]), { stdout: "ignore", stderr: "inherit" });
      const loading = loader.exited.then((code) => {
        if (code !== 0) throw new Error(`the loader exited with ${code}`);
      });
      const loadProbe = await probeLatencies(target.port, loading, () => "PING\r\n", 1);
      await loading;
      results.set(`${target.name}|load`, { rps: KEYS / ((performance.now() - t0) / 1000), probe: loadProbe });
      for (const test of ["set", "get"]) {
        const run = sh(pin(1, ["redis-benchmark", "-p", String(target.port), "-t", test, "-r", String(KEYS), "-n", String(requests), "-P", "16", "-c", String(CLIENTS), "--csv"]));
        const probe = await probeLatencies(target.port, run, () => "PING\r\n", 1);
        const cells = (await run).trim().split("\n").at(-1)!.split(",").map((c) => c.replace(/"/g, ""));
        results.set(`${target.name}|${test}`, { rps: Number(cells[1]), probe });
      }
      const t1 = performance.now();
      const churn = Promise.all(["SET key:__rand_int__ v", "DEL key:__rand_int__"].map((cmd) =>
        sh(pin(1, ["redis-benchmark", "-p", String(target.port), "-r", String(2 * KEYS), "-n", String(requests), "-P", "16", "-c", String(CLIENTS / 2), "-q", ...cmd.split(" ")]))));
      const churnProbe = await probeLatencies(target.port, churn, () => "PING\r\n", 1);
      await churn;
      results.set(`${target.name}|churn`, { rps: (2 * requests) / ((performance.now() - t1) / 1000), probe: churnProbe });
    } finally {
      await stop(target);
    }
  }
  const pct = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
  const labels: Record<string, string> = {
    load: `loading them (SETs in pipelines of ${LOAD_BATCH})`,
    set: "set -P 16",
    get: "get -P 16",
    churn: `churn: SET and DEL at once over ${2 * KEYS} names, -P 16`,
  };
  for (const test of ["load", "set", "get", "churn"]) {
    const k = results.get(`kvis|${test}`)!;
    const r = results.get(`redis|${test}`)!;
    const probe = (x: { probe: number[] }) => `${pct(x.probe, 0.99).toFixed(2)} / ${x.probe.at(-1)!.toFixed(2)}`;
    console.log(`| ${labels[test]} | ${Math.round(k.rps)} | ${Math.round(r.rps)} | ${(k.rps / r.rps).toFixed(2)} | ${probe(k)} | ${probe(r)} |`);
  }
}

/** The big values bigValues loads: what makes each, and how many commands (the list: 1,000 elements). */
const BIG_VALUES: Array<[count: number, make: (i: number) => string[]]> = [
  [1, () => ["SETBIT", "bitmap", "8000000", "1"]],
  [100_000, (i) => ["HSET", "hash", `field:${i}`, `value:${i}`]],
  [100_000, (i) => ["SADD", "set", `member:${i}`]],
  [100_000, (i) => ["ZADD", "zset", String(i), `member:${i}`]],
  [10_000, (i) => ["XADD", "stream", `${i + 1}-1`, "field", String(i)]],
  [1_000, (i) => ["RPUSH", "list", String(i)]],
];
/** Commands on one element of a big value (or on the value's header), as redis-benchmark sends them. */
const BIG_VALUE_CASES = [
  "SETBIT bitmap 4000000 1", "GETBIT bitmap 4000000", "BITCOUNT bitmap 0 10", "GETRANGE bitmap 0 10", "STRLEN bitmap", "APPEND bitmap x",
  "SETRANGE bitmap 100 abc", "BITFIELD bitmap INCRBY u8 100 1", "HGET hash field:5000", "HINCRBY hash counter 1", "HRANDFIELD hash",
  "HDEL hash nosuch", "SISMEMBER set member:5000", "SRANDMEMBER set", "ZSCORE zset member:5000", "ZRANK zset member:50000",
  "ZRANGE zset 0 5", "ZRANGEBYSCORE zset 100 105", "ZINCRBY zset 1 member:7", "ZRANDMEMBER zset", "XINFO STREAM stream",
  "XRANGE stream - + COUNT 10", "MEMORY USAGE hash", "OBJECT ENCODING bitmap", "SINTERCARD 1 set LIMIT 5", "PFADD hll a b c d e",
  "LPOS list 500", "ZLEXCOUNT zset [member:1 [member:2", "SSCAN set 0", "HSCAN hash 0",
];

/**
 * Commands on big values, -P 16: each case runs once to warm up and once measured, on
 * KVIS and then on Redis. A command that walked or copied the whole value for one element
 * (SETBIT on a 1 MB string, HRANDFIELD or MEMORY USAGE on a big hash) shows here as a
 * ratio in the thousandths.
 */
async function bigValues(): Promise<void> {
  console.log(`\nCommands on big values (a 1 MB bitmap, hash, set and sorted set of 100,000 elements, a 10,000-entry stream, a 1,000-element list), -P 16, ${REQUESTS * 5} requests after a warm-up:\n`);
  console.log("| command | kvis ops/s | redis ops/s | ratio | kvis CPU µs/req | redis CPU µs/req |");
  console.log("|---|---|---|---|---|---|");
  const kvis = await startKvis();
  const redis = await startRedis();
  try {
    for (const target of [kvis, redis]) for (const [count, make] of BIG_VALUES) await load(target.port, count, make);
    const only = args.flatMap((a, i) => (args[i - 1] === "--case" ? [a] : []));
    for (const testCase of BIG_VALUE_CASES.filter((c) => only.length === 0 || only.some((o) => c.startsWith(o)))) {
      const results: Result[] = [];
      for (const target of [kvis, redis]) {
        await runCase(target, testCase, 16, REQUESTS);
        results.push(await runCase(target, testCase, 16, REQUESTS * 5));
      }
      const [kr, rr] = results as [Result, Result];
      console.log(`| ${testCase} | ${Math.round(kr.rps)} | ${Math.round(rr.rps)} | ${(kr.rps / rr.rps).toFixed(2)} | ${kr.cpuUs.toFixed(2)} | ${rr.cpuUs.toFixed(2)} |`);
    }
  } finally {
    await stop(kvis);
    await stop(redis);
  }
}

/** How applications use small aggregates: commands on hashes, sets, sorted sets and lists at random keys, in this order. */
const SMALL_CASES = [
  "HSET user:__rand_int__ f:__rand_int__ v", "HGET user:__rand_int__ f:__rand_int__", "HGETALL user:__rand_int__", "HINCRBY user:__rand_int__ visits 1",
  "HDEL user:__rand_int__ f:__rand_int__", "EXISTS user:__rand_int__",
  "SADD set:__rand_int__ m:__rand_int__", "SISMEMBER set:__rand_int__ m:__rand_int__", "SREM set:__rand_int__ m:__rand_int__",
  "ZADD zset:__rand_int__ __rand_int__ m:__rand_int__", "ZSCORE zset:__rand_int__ m:__rand_int__", "ZINCRBY zset:__rand_int__ 1 m:__rand_int__",
  "ZREVRANGE zset:__rand_int__ 0 4 WITHSCORES",
  "RPUSH list:__rand_int__ v", "LRANGE list:__rand_int__ 0 -1", "LTRIM list:__rand_int__ 0 7", "RPOPLPUSH list:__rand_int__ list:__rand_int__",
  "LPOP list:__rand_int__",
];
const SMALL_KEYS = 100_000;

/**
 * Small aggregates at random keys (redis-benchmark -r): the cases in turn into fresh
 * servers, each after the other server's run of it, so each reads what the writes before
 * it made (about 10 fields, members or elements a key); then the RSS the data of both grew by.
 * A warm-up of every case first, as long and over as many other keys.
 */
async function smallAggregates(): Promise<void> {
  const requests = REQUESTS * 6;
  console.log(`\nSmall aggregates at ${SMALL_KEYS} random keys (redis-benchmark -r ${SMALL_KEYS} -n ${requests} -P 16 -c ${CLIENTS}), in this order:\n`);
  console.log("| command | kvis ops/s | redis ops/s | ratio | kvis CPU µs/req | redis CPU µs/req |");
  console.log("|---|---|---|---|---|---|");
  const kvis = await startKvis();
  const redis = await startRedis();
  try {
    const rss0: number[] = [];
    for (const target of [kvis, redis]) {
      // The baseline before the warm-up: a MEMORY PURGE after it would throw the JIT's code
      // away in KVIS (Bun's shrink), and the first cases measured would compile it again.
      await sh(["redis-cli", "-p", String(target.port), "MEMORY", "PURGE"]);
      rss0.push(await settledRss(target.proc.pid));
      // As many requests over as many keys as measured: pinned to one core, the JIT's
      // compiler threads share it, and a first run over 100,000 keys (a big table's paths,
      // prefetching among them) measured the JIT's warm-up at a third of the speed.
      for (const testCase of SMALL_CASES) await runCase(target, testCase.replaceAll(/(user|set|zset|list):/g, "warm$1:"), 16, requests, SMALL_KEYS);
    }
    for (const testCase of SMALL_CASES) {
      const [kr, rr] = [await runCase(kvis, testCase, 16, requests, SMALL_KEYS), await runCase(redis, testCase, 16, requests, SMALL_KEYS)];
      console.log(`| ${testCase} | ${Math.round(kr.rps)} | ${Math.round(rr.rps)} | ${(kr.rps / rr.rps).toFixed(2)} | ${kr.cpuUs.toFixed(2)} | ${rr.cpuUs.toFixed(2)} |`);
    }
    const grew: number[] = [];
    for (const [i, target] of [kvis, redis].entries()) {
      await sh(["redis-cli", "-p", String(target.port), "MEMORY", "PURGE"]);
      grew.push((await settledRss(target.proc.pid)) - rss0[i]!);
    }
    console.log(`\nRSS the warm-up's and the runs' data grew by: kvis ${(grew[0]! / 1e6).toFixed(1)} MB, redis ${(grew[1]! / 1e6).toFixed(1)} MB (${(grew[0]! / grew[1]!).toFixed(2)}x)`);
  } finally {
    await stop(kvis);
    await stop(redis);
  }
}

/** Load time of a 1M-key dump written by Redis, and BGSAVE's latency and memory cost. */
async function persistence(): Promise<void> {
  const source = await startRedis();
  const dumpDir = mkdtempSync(join(tmpdir(), "bench-dump-"));
  const dump = join(dumpDir, "dump.rdb");
  try {
    await load(source.port, KEYS, MEMORY_CASES[0]![1]);
    await sh(["redis-cli", "-p", String(source.port), "SAVE"]);
    copyFileSync(join(source.dir, "dump.rdb"), dump);
  } finally {
    await stop(source);
  }
  const loadMs: number[][] = [[], []];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [j, start] of [startKvis, startRedis].entries()) {
      const t0 = performance.now();
      const target = await start(5, dump);
      loadMs[j]!.push(performance.now() - t0);
      await stop(target);
    }
  }
  const [kLoad, rLoad] = [median(loadMs[0]!), median(loadMs[1]!)];
  console.log(`\nLoading a ${KEYS}-key dump written by Redis (spawn to first PONG, median of ${ROUNDS}): kvis ${kLoad.toFixed(0)} ms, redis ${rLoad.toFixed(0)} ms (${(kLoad / rLoad).toFixed(2)}x)`);

  console.log(`\nBGSAVE of ${KEYS} keys under redis-benchmark -c ${CLIENTS} SET/GET load; a probe client's SET/GET latency:\n`);
  console.log("| server | save s | probe p99 ms, no save | probe max ms, no save | probe p99 ms, saving | probe max ms, saving | extra memory MB (kvis: rise over the RSS at the start) |");
  console.log("|---|---|---|---|---|---|---|");
  for (const start of [startKvis, startRedis]) {
    const target = await start(25, dump);
    try {
      const cli = (...a: string[]) => sh(["redis-cli", "-p", String(target.port), ...a]);
      const background = Bun.spawn(pin(1, ["redis-benchmark", "-p", String(target.port), "-t", "set,get", "-n", "100000000", "-c", String(CLIENTS), "-q"]), { stdout: "ignore", stderr: "ignore" });
      try {
        await Bun.sleep(1000);
        // RSS moves under load with no save too (the collector's cycles): the save's cost is
        // its peak over the peak of as long a time just before it, without one.
        const quietRss: [number, number][] = [];
        const quietly = Bun.sleep(3000);
        let quietDone = false;
        quietly.then(() => (quietDone = true));
        const sampled = (async () => {
          while (!quietDone) {
            quietRss.push([performance.now(), rssOf(target.proc.pid)]);
            await Bun.sleep(10);
          }
        })();
        const quiet = await probeLatencies(target.port, quietly, setGet);
        await sampled;
        const rss0 = rssOf(target.proc.pid);
        let peak = rss0;
        const t0 = performance.now();
        await cli("BGSAVE");
        const saved = (async () => {
          while (!(await cli("INFO", "persistence")).includes("rdb_bgsave_in_progress:0")) {
            peak = Math.max(peak, rssOf(target.proc.pid));
            await Bun.sleep(10);
          }
        })();
        const saving = await probeLatencies(target.port, saved, setGet);
        const seconds = (performance.now() - t0) / 1000;
        const info = await cli("INFO", "persistence");
        const cow = Number(/rdb_last_cow_size:(\d+)/.exec(info)?.[1] ?? 0);
        const quietEnd = quietRss.at(-1)![0];
        const quietPeak = Math.max(...quietRss.filter(([t]) => t >= quietEnd - seconds * 1000).map(([, rss]) => rss));
        const extra = target.name === "kvis" ? Math.max(0, peak - quietPeak) : cow;
        const pct = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * q))]!.toFixed(2);
        console.log(`| ${target.name} | ${seconds.toFixed(2)} | ${pct(quiet, 0.99)} | ${quiet.at(-1)!.toFixed(2)} | ${pct(saving, 0.99)} | ${saving.at(-1)!.toFixed(2)} | ${(extra / 1e6).toFixed(1)}${target.name === "kvis" ? ` (${((peak - rss0) / 1e6).toFixed(1)})` : ""} |`);
      } finally {
        background.kill();
        await background.exited;
      }
    } finally {
      await stop(target);
    }
  }
  rmSync(dumpDir, { recursive: true, force: true });
}

/** The redis-benchmark cases, A B A B for ROUNDS rounds, printed as a markdown table. */
async function throughput(kvis: Target, redis: Target): Promise<void> {
  const supported = (await sh(["redis-cli", "-p", String(kvis.port), "COMMAND", "LIST"])).split("\n");
  const only = args.flatMap((a, i) => (args[i - 1] === "--case" ? [a] : []));
  const cases = CASES.filter(([, needs]) => supported.includes(needs) && (only.length === 0 || only.includes(needs))).map(([t]) => t);
  for (const target of [kvis, redis]) {
    await sh(["redis-cli", "-p", String(target.port), "SCRIPT", "LOAD", SCRIPT]);
    await sh(["redis-cli", "-p", String(target.port), "FUNCTION", "LOAD", "REPLACE", LIBRARY]);
  }
  const skipped = CASES.filter(([, needs]) => !supported.includes(needs)).map(([t]) => t);
  // samples["kvis|16|set"] = results per round
  const samples = new Map<string, Result[]>();
  // One unrecorded pass, so that both servers are measured warm, as users run them.
  for (const target of [kvis, redis]) for (const c of cases) await runCase(target, c, 16, REQUESTS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const pipeline of PIPELINES) {
      for (const c of cases) {
        for (const target of [kvis, redis]) {
          const key = `${target.name}|${pipeline}|${c}`;
          samples.set(key, [...(samples.get(key) ?? []), await runCase(target, c, pipeline)]);
        }
      }
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }
  const versions = `kvis ${(await sh(["redis-cli", "-p", String(kvis.port), "INFO", "server"])).match(/kvis_version:(\S+)/)?.[1]}, ${
    (await sh(["redis-server", "--version"])).trim().split(" ").slice(0, 3).join(" ")
  }, Bun ${Bun.version}`;
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${cores} cores, ${versions}; redis-benchmark -c ${CLIENTS} -n ${REQUESTS} (x10 pipelined), median of ${ROUNDS} rounds${hasTaskset ? ", servers and load pinned to separate cores" : ""}\n`);
  console.log("| test | pipeline | kvis ops/s | redis ops/s | ratio | kvis p50/p99/max ms | redis p50/p99/max ms | kvis CPU µs/req | redis CPU µs/req | CPU ratio |");
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  const bars: Array<[label: string, ratio: number]> = [];
  for (const pipeline of PIPELINES) {
    for (const c of cases) {
      const k = samples.get(`kvis|${pipeline}|${c}`)!;
      const r = samples.get(`redis|${pipeline}|${c}`)!;
      const m = (xs: Result[], f: (x: Result) => number) => median(xs.map(f));
      const [kr, rr] = [m(k, (x) => x.rps), m(r, (x) => x.rps)];
      const [kc, rc] = [m(k, (x) => x.cpuUs), m(r, (x) => x.cpuUs)];
      const lat = (xs: Result[]) => [m(xs, (x) => x.p50), m(xs, (x) => x.p99), m(xs, (x) => x.max)].map((v) => v.toFixed(3)).join("/");
      console.log(`| ${c} | ${pipeline} | ${Math.round(kr)} | ${Math.round(rr)} | ${(kr / rr).toFixed(2)} | ${lat(k)} | ${lat(r)} | ${kc.toFixed(2)} | ${rc.toFixed(2)} | ${(kc / rc).toFixed(2)} |`);
      bars.push([`${c} -P ${pipeline}`, kr / rr]);
    }
  }
  if (skipped.length > 0) console.log(`\nNot run (command not in kvis yet): ${skipped.join(", ")}`);
  writeChart(bars);
}

/** A horizontal bar chart of kvis/Redis throughput ratios, with the 1.0 line marked. */
function writeChart(bars: Array<[label: string, ratio: number]>): void {
  const rowHeight = 18;
  const left = 170;
  const scale = 300; // pixels for a ratio of 1.0
  const width = left + scale * 1.6 + 60;
  const height = bars.length * rowHeight + 40;
  const rows = bars.map(([label, ratio], i) => {
    const y = 20 + i * rowHeight;
    const color = ratio >= 1 ? "#2a9d3c" : ratio >= 0.8 ? "#d89b1c" : "#c8412f";
    return `<text x="${left - 6}" y="${y + 12}" text-anchor="end">${label}</text><rect x="${left}" y="${y}" width="${(Math.min(ratio, 1.6) * scale).toFixed(1)}" height="${rowHeight - 4}" fill="${color}"/><text x="${left + Math.min(ratio, 1.6) * scale + 4}" y="${y + 12}">${ratio.toFixed(2)}</text>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">
<text x="${left}" y="12">kvis / Redis throughput (1.0 = parity)</text>
${rows.join("\n")}
<line x1="${left + scale}" y1="16" x2="${left + scale}" y2="${height - 10}" stroke="#333" stroke-dasharray="4 3"/>
</svg>
`;
  mkdirSync(join(ROOT, "bench-results"), { recursive: true });
  writeFileSync(join(ROOT, "bench-results", "ratios.svg"), svg);
  console.log("\nChart: bench-results/ratios.svg");
}

/** Milliseconds from spawning a server until it answers PING, median of 5 starts. */
async function startupTimes(): Promise<[kvis: number, redis: number]> {
  const times: number[][] = [[], []];
  for (let i = 0; i < 5; i++) {
    for (const [j, start] of [startKvis, startRedis].entries()) {
      const t0 = performance.now();
      const target = await start(2);
      times[j]!.push(performance.now() - t0);
      await stop(target);
    }
  }
  return [median(times[0]!), median(times[1]!)];
}

const startKvis = (pollMs?: number, dump?: string) =>
  startServer("kvis", (port, dir) => [join(ROOT, "kvis"), "--port", String(port), "--dir", dir, "--save", ""], pollMs, dump);
const startRedis = (pollMs?: number, dump?: string) =>
  startServer("redis", (port, dir) => ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"], pollMs, dump);

async function stop(t: Target): Promise<void> {
  t.proc.kill("SIGKILL");
  await t.proc.exited;
  rmSync(t.dir, { recursive: true, force: true });
}

await main();
