/**
 * Redis Cluster, KVIS and Redis side by side, each as three masters and three replicas on
 * this machine made by redis-cli --cluster create (cluster-node-timeout 1000 for both):
 *
 * - throughput: redis-benchmark --cluster (SET and GET, 50 clients, -P 1 and -P 16) against
 *   each cluster in turn, reported as KVIS/Redis;
 * - failover: an ioredis Cluster client writes keys in a loop; the master of slot 0 is
 *   killed with SIGKILL; per round, the time until its replica is master, until every
 *   survivor reports cluster_state:ok, until the client's writes succeed again, and how
 *   many writes acknowledged before the kill the cluster lacks afterwards (what
 *   asynchronous replication loses).
 *
 *   bun scripts/cluster.ts [--rounds 2] [--requests 1000000]
 */
import { parseArgs } from "node:util";
import { Cluster } from "ioredis";
import { type ClusterNodeProcess, call, createCluster, shardOf, startClusterNode, text } from "../test/helpers/cluster.ts";
import { run, waitFor } from "../test/helpers/servers.ts";

const { values: opts } = parseArgs({ options: { rounds: { type: "string", default: "2" }, requests: { type: "string", default: "1000000" } } });

async function cluster(kind: "kvis" | "redis"): Promise<ClusterNodeProcess[]> {
  const nodes = await Promise.all([...Array(6)].map(() => startClusterNode(kind)));
  await createCluster(nodes, 1);
  return nodes;
}

async function throughput(nodes: ClusterNodeProcess[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const pipeline of ["1", "16"]) {
    const r = await run(["redis-benchmark", "--cluster", "-h", "127.0.0.1", "-p", String(nodes[0]!.port), "-t", "set,get", "-n", opts.requests, "-c", "50", "-P", pipeline, "-r", "100000", "-q"]);
    for (const m of (r.stdout + r.stderr).matchAll(/(SET|GET): ([\d.]+) requests per second/g)) out[`${m[1]} -P ${pipeline}`] = Number(m[2]);
  }
  return out;
}

async function failover(nodes: ClusterNodeProcess[]): Promise<Record<string, number>> {
  const client = new Cluster([{ host: "127.0.0.1", port: nodes[0]!.port }], {
    clusterRetryStrategy: () => 20, retryDelayOnClusterDown: 20, retryDelayOnFailover: 20, maxRedirections: 64, redisOptions: { maxRetriesPerRequest: 1000 },
  });
  client.on("error", () => {});
  const acked = new Map<number, number>();
  let running = true;
  try {
    let lastFailure = 0;
    const loop = (async () => {
      for (let i = 0; running; i++) {
        try {
          await client.set(`f:${i}`, String(i));
          acked.set(i, performance.now());
        } catch {
          lastFailure = performance.now();
        }
      }
    })();
    await waitFor(() => acked.size >= 2000, 30_000, "writes before the kill");
    const { master, replicas } = await shardOf(nodes[0]!.port, 0);
    const victim = nodes.find((n) => n.port === master.port)!;
    const heir = replicas[0]!;
    // A replica that never synced may not fail over (its data's age is unknown), in Redis
    // as in KVIS: kill the master once its replica's link is up.
    await waitFor(async () => text(await call(heir.port, "INFO", "replication")).includes("master_link_status:up"), 30_000, "the replica's link");
    const killedAt = performance.now();
    const ackedBefore = [...acked.keys()];
    await victim.stop();
    await waitFor(async () => (await call(heir.port, "ROLE")).includes("master"), 60_000, "promotion");
    const promoted = performance.now() - killedAt;
    const survivors = nodes.filter((n) => n !== victim);
    await waitFor(async () => {
      for (const n of survivors) if (!text(await call(n.port, "CLUSTER", "INFO")).includes("cluster_state:ok")) return false;
      return true;
    }, 60_000, "cluster_state:ok");
    const ok = performance.now() - killedAt;
    // Writes again: the first write sent after the kill that was acknowledged, to slot 0's
    // master (any key may land there; take the latest stall the client saw).
    await waitFor(() => [...acked.values()].some((t) => t > killedAt + promoted), 60_000, "writes again");
    running = false;
    await loop;
    const writesAgain = Math.max(0, lastFailure - killedAt);
    let lost = 0;
    for (const i of ackedBefore) if ((await client.get(`f:${i}`)) !== String(i)) lost++;
    return { promotedMs: Math.round(promoted), clusterOkMs: Math.round(ok), lastFailedWriteMs: Math.round(writesAgain), lostWrites: lost, ackedBeforeKill: ackedBefore.length };
  } finally {
    running = false;
    client.disconnect();
  }
}

const results: Record<string, Record<string, number[]>> = { redis: {}, kvis: {} };
for (let r = 0; r < Number(opts.rounds); r++) {
  for (const kind of ["redis", "kvis"] as const) {
    console.error(`round ${r + 1}: ${kind}`);
    const nodes = await cluster(kind);
    try {
      const measured = { ...(r === 0 ? await throughput(nodes) : {}), ...(await failover(nodes)) };
      for (const [k, v] of Object.entries(measured)) (results[kind]![k] ??= []).push(v);
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
    }
  }
}
console.log("Redis Cluster, 3 masters + 3 replicas, cluster-node-timeout 1000, side by side on this machine");
for (const key of Object.keys(results.redis!)) {
  const redis = results.redis![key]!;
  const kvis = results.kvis![key] ?? [];
  const ratio = key.includes("-P") ? `  ratio ${(kvis[0]! / redis[0]!).toFixed(2)}x` : "";
  console.log(`${key.padEnd(20)} redis ${redis.join(" / ").padEnd(24)} kvis ${kvis.join(" / ").padEnd(24)}${ratio}`);
}
process.exit(0);
