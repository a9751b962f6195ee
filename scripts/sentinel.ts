/**
 * Failover under Redis Sentinel, KVIS and Redis side by side: a master with two replicas of
 * the same server, three sentinels (quorum 2, down-after-milliseconds 1000, the same for
 * both), and an ioredis client asking them for the master that writes keys in a loop. The
 * master is killed with SIGKILL; the report gives, per round, the time until every
 * sentinel names the new master, the time until the client's writes succeed again, and
 * how many acknowledged writes the new master lacks (what asynchronous replication loses).
 *
 *   bun scripts/sentinel.ts [--rounds 3]
 */
import { parseArgs } from "node:util";
import IORedis from "ioredis";
import { RawClient } from "../test/helpers/resp.ts";
import { type ChildServer, ensureBinary, sentinelsDiscovered, sentinelsSwitched, startKvisBinary, startRedis, startSentinels, waitFor } from "../test/helpers/servers.ts";

const { values: opts } = parseArgs({ options: { rounds: { type: "string", default: "3" } } });
const NAME = "mymaster";

async function call(port: number, ...args: string[]): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

async function round(name: string, start: (args?: string[]) => Promise<ChildServer>): Promise<Record<string, string | number>> {
  const servers: ChildServer[] = [];
  const master = await start();
  servers.push(master);
  for (let i = 0; i < 2; i++) servers.push(await start(["--replicaof", `127.0.0.1 ${master.port}`]));
  const sentinels = await startSentinels(NAME, master.port);
  const client = new IORedis({
    sentinels: sentinels.map((s) => ({ host: "127.0.0.1", port: s.port })),
    name: NAME, retryStrategy: () => 20, sentinelRetryStrategy: () => 20, maxRetriesPerRequest: null,
  });
  client.on("error", () => {});
  try {
    await sentinelsDiscovered(sentinels, NAME, 2);
    // Both replicas in sync first (Redis's diskless sync waits 5 s for more replicas).
    await waitFor(async () => (await call(master.port, "INFO", "replication")).match(/state=online/g)?.length === 2 || undefined, 60_000, "replicas online");
    // The writer: one key at a time, remembering which the server acknowledged.
    const acknowledged: string[] = [];
    let writing = true;
    let killedAt = 0;
    let deadAt = 0;
    let recoveredAt = 0;
    // ioredis queues a command while it looks for the master, so a write does not fail: it
    // waits. A write sent once the old master's process is gone can only be acknowledged
    // by the new one (one sent just before may still be by the old).
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const sentAt = performance.now();
        try {
          await client.set(`k:${i}`, "v");
          acknowledged.push(`k:${i}`);
          if (deadAt > 0 && sentAt > deadAt && recoveredAt === 0) recoveredAt = performance.now();
        } catch {
          // Not acknowledged: never counted as lost.
        }
      }
    })();
    await waitFor(() => acknowledged.length > 1000, 30_000, "writes before the kill");
    killedAt = performance.now();
    master.proc.kill("SIGKILL");
    await master.proc.exited;
    deadAt = performance.now();
    const promoted = await sentinelsSwitched(sentinels, NAME, master.port);
    const switchedAt = performance.now();
    const before = acknowledged.length;
    await waitFor(() => acknowledged.length > before + 1000, 60_000, "writes after the switch");
    writing = false;
    await writer;
    // Writes the client saw fail never count; an acknowledged one the new master lacks is lost.
    let lost = 0;
    const c = await RawClient.connect(promoted);
    for (let i = 0; i < acknowledged.length; i += 500) {
      const keys = acknowledged.slice(i, i + 500);
      lost += keys.length - Number((await c.call("EXISTS", ...keys)).slice(1, -2));
    }
    c.close();
    return {
      server: name,
      "switch s": ((switchedAt - killedAt) / 1000).toFixed(2),
      "writes again s": ((recoveredAt - killedAt) / 1000).toFixed(2),
      "acknowledged writes": acknowledged.length,
      lost,
    };
  } finally {
    client.disconnect();
    for (const s of [...sentinels, ...servers].reverse()) await s.stop();
  }
}

await ensureBinary();
const rows = [];
for (let r = 0; r < Number(opts.rounds); r++) {
  rows.push(await round("kvis", (args) => startKvisBinary(args)));
  rows.push(await round("redis", (args) => startRedis(args)));
}
console.log("Sentinel failover after SIGKILL of the master (down-after-milliseconds 1000, quorum 2 of 3):");
console.table(rows);
