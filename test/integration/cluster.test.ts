/**
 * Redis Cluster with real processes and the tools users run: redis-cli --cluster create
 * of three masters and three replicas (KVIS only, and KVIS mixed with redis-server 7.0 on
 * one bus), check, reshard with keys while a client writes (both ways between KVIS and
 * Redis), add-node, rebalance and del-node; ioredis's Cluster and node-redis's
 * createCluster reading and writing through MOVED and ASK; a master killed with SIGKILL and
 * its replica elected in its place by the masters' votes, with no acknowledged write lost;
 * the old master restarting from its nodes.conf as the new master's replica.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Cluster as IORedisCluster } from "ioredis";
import { createCluster as createNodeRedisCluster } from "redis";
import {
  type ClusterNodeProcess, call, clusterAgrees, clusterNodes, clusterTool, createCluster, shardOf, startClusterNode, text, waitClusterOk,
} from "../helpers/cluster.ts";
import { RawClient } from "../helpers/resp.ts";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, serverTestTimeout, startKvisBinary, tempDir, waitFor } from "../helpers/servers.ts";

serverTestTimeout();

const nodes: ClusterNodeProcess[] = [];
const clients: Array<{ disconnect(): unknown } | { destroy(): unknown }> = [];
const writers: Array<{ stop(): Promise<unknown> }> = [];
afterEach(async () => {
  // A test that failed leaves its writers running: they stop before their clients go.
  await Promise.all(writers.splice(0).map((w) => w.stop()));
  for (const c of clients.splice(0)) "disconnect" in c ? c.disconnect() : c.destroy();
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function start(kinds: readonly ("kvis" | "redis")[], extra: string[] = []): Promise<ClusterNodeProcess[]> {
  const results = await Promise.allSettled(kinds.map((k) => startClusterNode(k, undefined, extra)));
  // Those that started are stopped after the test even if another failed to.
  for (const r of results) if (r.status === "fulfilled") nodes.push(r.value);
  const failed = results.find((r) => r.status === "rejected");
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  return results.map((r) => (r as PromiseFulfilledResult<ClusterNodeProcess>).value);
}

function ioredisCluster(port: number): IORedisCluster {
  const c = new IORedisCluster([{ host: "127.0.0.1", port }], {
    // Retry through the failover: a dead node, then CLUSTERDOWN until the replica wins.
    clusterRetryStrategy: () => 100, retryDelayOnClusterDown: 100, retryDelayOnFailover: 100, maxRedirections: 64,
    redisOptions: { maxRetriesPerRequest: 50 },
  });
  clients.push(c);
  return c;
}

/**
 * Write key prefix:i = i from 0 until stop() is called, one acknowledged write at a time,
 * through a cluster client (ioredis's or node-redis's); every write the client saw
 * acknowledged is recorded.
 */
function writer(c: { set(key: string, value: string): Promise<unknown> }, prefix: string): { stop(): Promise<number[]>; count(): number } {
  const acked: number[] = [];
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i++) {
      try {
        await c.set(`${prefix}:${i}`, String(i));
        acked.push(i);
      } catch {
        // A write that failed was not acknowledged: it need not be there. A client that
        // fails at once must not spin: the next try waits for the next turn.
        await Bun.sleep(1);
      }
    }
  })();
  const w = {
    count: () => acked.length,
    async stop() {
      running = false;
      await done;
      return acked;
    },
  };
  writers.push(w);
  return w;
}

async function expectAll(c: IORedisCluster, prefix: string, acked: readonly number[]): Promise<void> {
  const missing: number[] = [];
  for (const i of acked) if ((await c.get(`${prefix}:${i}`)) !== String(i)) missing.push(i);
  expect(missing).toEqual([]);
}

describe("a cluster of KVIS nodes", () => {
  test("redis-cli --cluster create and check; ioredis and node-redis read and write; READONLY replicas; PUBLISH and SPUBLISH over the bus; a killed master's replica takes over, a spare replica migrates to it, the old master returns as its replica", async () => {
    // Seven nodes: three masters, one of them with two replicas.
    const all = await start(["kvis", "kvis", "kvis", "kvis", "kvis", "kvis", "kvis"]);
    await createCluster(all, 1);
    const lines = await clusterNodes(all[0]!.port);
    expect(lines.filter((l) => l.flags.includes("master")).length).toBe(3);
    expect(lines.filter((l) => l.flags.includes("slave")).length).toBe(4);

    const io = ioredisCluster(all[0]!.port);
    for (let i = 0; i < 300; i++) await io.set(`io:${i}`, String(i));
    const nr = createNodeRedisCluster({ rootNodes: [{ url: `redis://127.0.0.1:${all[1]!.port}` }] });
    clients.push({ disconnect: () => nr.disconnect() });
    await nr.connect();
    for (let i = 0; i < 300; i++) expect(await nr.get(`io:${i}`)).toBe(String(i));
    for (let i = 0; i < 300; i++) await nr.set(`nr:${i}`, String(i));
    for (let i = 0; i < 300; i++) expect(await io.get(`nr:${i}`)).toBe(String(i));
    // Keys spread over the three masters; a replica holds its master's.
    for (const l of lines.filter((l) => l.flags.includes("master"))) expect(Number((await call(l.port, "DBSIZE")).slice(1))).toBeGreaterThan(100);
    // A replica serves reads of its master's slots after READONLY, and redirects before.
    const { master: m0, replicas: r0 } = await shardOf(all[0]!.port, 0);
    const slot0Key = "{06S}k"; // hash slot 0
    expect(await call(m0.port, "CLUSTER", "KEYSLOT", slot0Key)).toBe(":0\r\n");
    await io.set(slot0Key, "here");
    expect(await call(m0.port, "WAIT", "1", "0")).not.toBe(":0\r\n");
    const onReplica = await RawClient.connect(r0[0]!.port);
    try {
      expect(await onReplica.call("GET", slot0Key)).toBe(`-MOVED 0 127.0.0.1:${m0.port}\r\n`);
      expect(await onReplica.call("READONLY")).toBe("+OK\r\n");
      expect(await onReplica.call("GET", slot0Key)).toBe("$4\r\nhere\r\n");
      expect(await onReplica.call("SET", slot0Key, "x")).toBe(`-MOVED 0 127.0.0.1:${m0.port}\r\n`);
    } finally {
      onReplica.close();
    }

    // PUBLISH reaches subscribers on every node over the bus; SPUBLISH those of the shard.
    const subscribers = await Promise.all(all.map((n) => RawClient.connect(n.port)));
    try {
      for (const sub of subscribers) expect(await sub.call("SUBSCRIBE", "news")).toContain("subscribe");
      expect(await call(all[2]!.port, "PUBLISH", "news", "hello")).toBe(":1\r\n");
      for (const sub of subscribers) expect((await sub.readReplies(1))[0]).toBe("*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n");
    } finally {
      for (const sub of subscribers) sub.close();
    }
    const shardChannel = "{06S}chan";
    const shardSubscribers = await Promise.all([m0, r0[0]!].map((n) => RawClient.connect(n.port)));
    try {
      for (const sub of shardSubscribers) expect(await sub.call("SSUBSCRIBE", shardChannel)).toContain("ssubscribe");
      expect(await call(m0.port, "SPUBLISH", shardChannel, "hi")).toBe(":1\r\n");
      for (const sub of shardSubscribers) expect((await sub.readReplies(1))[0]).toBe(`*3\r\n$8\r\nsmessage\r\n$9\r\n${shardChannel}\r\n$2\r\nhi\r\n`);
      const other = all.find((n) => n.port !== m0.port && n.port !== r0[0]!.port)!;
      expect(await call(other.port, "SPUBLISH", shardChannel, "hi")).toBe(`-MOVED ${0} 127.0.0.1:${m0.port}\r\n`);
    } finally {
      for (const sub of shardSubscribers) sub.close();
    }

    // Every write so far reached the replicas before the kill (WAIT), so none may be lost.
    for (const l of lines.filter((l) => l.flags.includes("master"))) expect(await call(l.port, "WAIT", "1", "0")).not.toBe(":0\r\n");

    // The victim: a master with one replica, which will be left with none once promoted.
    const masters = (await clusterNodes(all[0]!.port)).filter((l) => l.flags.includes("master"));
    const master = masters.find((m) => lines.filter((l) => l.master === m.id).length === 1)!;
    const heir = lines.find((l) => l.master === master.id)!;
    const victim = all.find((n) => n.port === master.port)!;
    // ioredis writes through the failover. (node-redis's createCluster does not: against a
    // Redis cluster too, its commands for a killed master wait for that master to return.)
    const w = writer(io, "during");
    await waitFor(() => w.count() >= 50, 20_000, "writes before the kill");
    await victim.stop();
    await waitFor(async () => (await call(heir.port, "ROLE")).includes("master"), 30_000, "the replica to win the election");
    const survivors = all.filter((n) => n !== victim);
    await waitFor(async () => {
      for (const n of survivors) if (!text(await call(n.port, "CLUSTER", "INFO")).includes("cluster_state:ok")) return false;
      return true;
    }, 30_000, "cluster_state:ok without the old master");
    const before = w.count();
    await waitFor(() => w.count() >= before + 50, 30_000, "writes after the failover");
    const acked = await w.stop();
    await expectAll(io, "io", [...Array(300).keys()]);
    await expectAll(io, "nr", [...Array(300).keys()]);
    // Writes acknowledged by the old master just before it died may be lost (replication
    // is asynchronous, as in Redis); every write acknowledged after the heir took over is there.
    const afterTakeover = acked.filter((i) => i >= before);
    await expectAll(io, "during", afterTakeover);
    expect((await clusterNodes(heir.port)).find((l) => l.id === heir.id)!.flags).toContain("master");
    // The heir has no replica: after 5 s orphaned, one of the master with two migrates to it.
    await waitFor(async () => (await clusterNodes(heir.port)).some((l) => l.master === heir.id), 30_000, "a replica to migrate to the orphaned master");

    // The old master restarts from its nodes.conf (same id) and follows the heir.
    const back = await victim.restart();
    nodes.push(back);
    expect(text(await call(back.port, "CLUSTER", "MYID"))).toBe(master.id);
    await waitFor(async () => (await call(back.port, "ROLE")).includes(`slave`), 30_000, "the old master to become a replica");
    await waitFor(async () => (await call(back.port, "DBSIZE")) === (await call(heir.port, "DBSIZE")), 30_000, "the returning node to sync");
    await waitFor(() => clusterAgrees(heir.port), 30_000, "every node to agree");
    await expectAll(io, "during", afterTakeover);
  });

  test("manual CLUSTER FAILOVER swaps a master and its replica without losing a write; TAKEOVER needs no votes", async () => {
    const all = await start(["kvis", "kvis", "kvis", "kvis", "kvis", "kvis"]);
    await createCluster(all, 1);
    const io = ioredisCluster(all[0]!.port);
    const w = writer(io, "mf");
    await waitFor(() => w.count() >= 100, 20_000, "writes before the failover");
    const { master, replicas } = await shardOf(all[0]!.port, 0);
    const replica = replicas[0]!;
    expect(await call(master.port, "CLUSTER", "FAILOVER")).toBe("-ERR You should send CLUSTER FAILOVER to a replica\r\n");
    expect(await call(replica.port, "CLUSTER", "FAILOVER")).toBe("+OK\r\n");
    await waitFor(async () => (await call(replica.port, "ROLE")).includes("master") && (await call(master.port, "ROLE")).includes("slave"), 30_000, "the manual failover");
    const before = w.count();
    await waitFor(() => w.count() >= before + 100, 30_000, "writes after the failover");
    // A manual failover waits for the replica to have everything: no write is lost.
    await expectAll(io, "mf", await w.stop());
    expect(await call(master.port, "CLUSTER", "FAILOVER", "TAKEOVER")).toBe("+OK\r\n");
    await waitFor(async () => (await call(master.port, "ROLE")).includes("master") && (await call(replica.port, "ROLE")).includes("slave"), 30_000, "the takeover");
    await waitFor(() => clusterAgrees(master.port), 30_000, "every node to agree");
  });
});

describe("KVIS and redis-server nodes in one cluster", () => {
  test("resharded both ways with keys while ioredis and node-redis write; a Redis replica replaces a killed KVIS master, a KVIS replica a killed Redis master", async () => {
    const [k1, r1, k2, r2, k3, r3] = await start(["kvis", "redis", "kvis", "redis", "kvis", "redis"]);
    await createCluster([k1!, r1!, k2!], 0);
    const id = async (n: ClusterNodeProcess) => text(await call(n.port, "CLUSTER", "MYID"));
    // Replicas across kinds: Redis follows KVIS, KVIS follows Redis.
    for (const [replica, master] of [[r2!, k1!], [k3!, r1!], [r3!, k2!]] as const) {
      await clusterTool("add-node", `127.0.0.1:${replica.port}`, `127.0.0.1:${k1!.port}`, "--cluster-slave", "--cluster-master-id", await id(master));
    }
    await waitFor(() => clusterAgrees(k1!.port), 30_000, "every node to agree");
    await waitClusterOk([k1!, r1!, k2!, r2!, k3!, r3!]);
    for (const [replica, master] of [[r2!, k1!], [k3!, r1!], [r3!, k2!]] as const) {
      await waitFor(async () => (await call(replica.port, "ROLE")).includes(`:${master.port}\r\n`) || (await call(replica.port, "ROLE")).includes(`${master.port}`), 30_000, "replication");
    }
    const io = ioredisCluster(k1!.port);
    for (let i = 0; i < 500; i++) await io.set(`seed:${i}`, String(i));
    const nr = createNodeRedisCluster({ rootNodes: [{ url: `redis://127.0.0.1:${r1!.port}` }] });
    clients.push({ disconnect: () => nr.disconnect() });
    await nr.connect();
    const w = writer(io, "reshard");
    const wNr = writer(nr, "nr-reshard");
    await waitFor(() => w.count() >= 100 && wNr.count() >= 100, 20_000, "writes before resharding");
    // KVIS -> Redis, then Redis -> KVIS, each moving keys with MIGRATE while both writers
    // follow -ASK and -MOVED.
    await clusterTool("reshard", `127.0.0.1:${k1!.port}`, "--cluster-from", await id(k1!), "--cluster-to", await id(r1!), "--cluster-slots", "300", "--cluster-yes");
    await waitFor(() => clusterAgrees(k1!.port), 30_000, "every node to agree after the first reshard");
    await clusterTool("reshard", `127.0.0.1:${k1!.port}`, "--cluster-from", await id(r1!), "--cluster-to", await id(k1!), "--cluster-slots", "400", "--cluster-yes");
    await waitFor(() => clusterAgrees(k1!.port), 30_000, "every node to agree after the second reshard");
    const acked = await w.stop();
    const ackedNr = await wNr.stop();
    expect(acked.length).toBeGreaterThan(100);
    await expectAll(io, "seed", [...Array(500).keys()]);
    await expectAll(io, "reshard", acked);
    await expectAll(io, "nr-reshard", ackedNr);
    // node-redis reads everything too.
    for (let i = 0; i < 500; i += 7) expect(await nr.get(`seed:${i}`)).toBe(String(i));
    for (const m of [k1!, r1!, k2!]) expect(await call(m.port, "WAIT", "1", "0")).toBe(":1\r\n");

    // Kill the KVIS master: the masters (KVIS and Redis) vote its Redis replica in. Then
    // kill the Redis master: its KVIS replica is voted in.
    for (const [victim, heir] of [[k1!, r2!], [r1!, k3!]] as const) {
      await victim.stop();
      await waitFor(async () => (await call(heir.port, "ROLE")).includes("master"), 30_000, `the ${heir.kind} replica to be elected`);
    }
    await waitClusterOk([k2!, r2!, k3!, r3!], 6);
    await expectAll(io, "seed", [...Array(500).keys()]);
    await expectAll(io, "reshard", acked);
    await expectAll(io, "nr-reshard", ackedNr);
    await io.set("after", "both failovers");
    expect(await io.get("after")).toBe("both failovers");
  });
});

describe("growing and shrinking a KVIS cluster", () => {
  test("add-node, a blocked client redirected when its slot moves, rebalance onto the new node and empty it, del-node; a master restarts from nodes.conf and its dump", async () => {
    const [a, b, c, extra] = await start(["kvis", "kvis", "kvis", "kvis"]);
    await createCluster([a!, b!, c!], 0);
    const io = ioredisCluster(a!.port);
    for (let i = 0; i < 1000; i++) await io.set(`k:${i}`, String(i));
    await clusterTool("add-node", `127.0.0.1:${extra!.port}`, `127.0.0.1:${a!.port}`);
    await waitClusterOk([a!, b!, c!, extra!], 4);
    // A client blocked on a key whose slot moves away is released with -MOVED.
    const extraId = text(await call(extra!.port, "CLUSTER", "MYID"));
    const blocked = await RawClient.connect(a!.port);
    try {
      blocked.write("*3\r\n$5\r\nBLPOP\r\n$6\r\n{06S}q\r\n$1\r\n0\r\n");
      await waitFor(async () => text(await call(a!.port, "INFO", "clients")).includes("blocked_clients:1"), 20_000, "the client to block");
      await clusterTool("reshard", `127.0.0.1:${a!.port}`, "--cluster-from", text(await call(a!.port, "CLUSTER", "MYID")), "--cluster-to", extraId, "--cluster-slots", "1", "--cluster-yes");
      expect((await blocked.readReplies(1))[0]).toBe(`-MOVED 0 127.0.0.1:${extra!.port}\r\n`);
    } finally {
      blocked.close();
    }
    await waitFor(() => clusterAgrees(a!.port), 30_000, "every node to agree after moving slot 0");
    // A light weight for the new node: a tenth of the others' share keeps the test short.
    await clusterTool("rebalance", `127.0.0.1:${a!.port}`, "--cluster-use-empty-masters", "--cluster-weight", `${extraId}=0.1`);
    await waitFor(() => clusterAgrees(a!.port), 30_000, "every node to agree after the rebalance");
    const extraLine = (await clusterNodes(a!.port)).find((l) => l.id === extraId)!;
    expect(extraLine.slots.length).toBeGreaterThan(0);
    expect(Number((await call(extra!.port, "DBSIZE")).slice(1))).toBeGreaterThan(0);
    await expectAll(io, "k", [...Array(1000).keys()]);
    // Weight 0 empties it: with no slot left it follows the node that took its last one
    // (cluster-allow-replica-migration, as Redis 7.0 does); then it can leave.
    await clusterTool("rebalance", `127.0.0.1:${a!.port}`, "--cluster-weight", `${extraId}=0`);
    await waitFor(() => clusterAgrees(a!.port), 30_000, "every node to agree after emptying the node");
    expect((await clusterNodes(a!.port)).find((l) => l.id === extraId)!.slots).toEqual([]);
    await waitFor(async () => (await call(extra!.port, "ROLE")).includes("slave"), 30_000, "the emptied master to follow another");
    await clusterTool("del-node", `127.0.0.1:${a!.port}`, extraId);
    await waitClusterOk([a!, b!, c!], 3);
    await expectAll(io, "k", [...Array(1000).keys()]);

    // A master restarts from its nodes.conf and its dump: same id, same slots, same keys.
    const before = (await clusterNodes(b!.port)).find((l) => l.flags.includes("myself"))!;
    const keys = await call(b!.port, "DBSIZE");
    expect(await call(b!.port, "SAVE")).toBe("+OK\r\n");
    await b!.stop();
    nodes.splice(nodes.indexOf(b!), 1);
    const b2 = await b!.restart();
    nodes.push(b2);
    expect(await call(b2.port, "DBSIZE")).toBe(keys);
    const after = (await clusterNodes(b2.port)).find((l) => l.flags.includes("myself"))!;
    expect({ id: after.id, slots: after.slots }).toEqual({ id: before.id, slots: before.slots });
    await waitClusterOk([a!, b2, c!], 3);
    await expectAll(io, "k", [...Array(1000).keys()]);
  });
});

describe("nodes.conf", () => {
  test("a node killed with SIGKILL restarts from nodes.conf and its AOF: same id, slots and keys", async () => {
    const node = await startClusterNode("kvis", undefined, ["--appendonly", "yes"]);
    nodes.push(node);
    expect(await call(node.port, "CLUSTER", "ADDSLOTSRANGE", "0", "16383")).toBe("+OK\r\n");
    await waitClusterOk([node], 1);
    for (let i = 0; i < 200; i++) expect(await call(node.port, "SET", `{a}k${i}`, String(i))).toBe("+OK\r\n");
    const id = text(await call(node.port, "CLUSTER", "MYID"));
    await node.stop();
    nodes.splice(nodes.indexOf(node), 1);
    const back = await node.restart();
    nodes.push(back);
    expect(text(await call(back.port, "CLUSTER", "MYID"))).toBe(id);
    expect(await call(back.port, "DBSIZE")).toBe(":200\r\n");
    const slot = (await call(back.port, "CLUSTER", "KEYSLOT", "{a}")).slice(1, -2);
    expect(await call(back.port, "CLUSTER", "COUNTKEYSINSLOT", slot)).toBe(":200\r\n");
    await waitClusterOk([back], 1);
    expect(await call(back.port, "GET", "{a}k7")).toBe("$1\r\n7\r\n");
  });

  test("a replica restarted from nodes.conf and its own save resyncs partially, as Redis's does", async () => {
    const master = await startClusterNode("kvis");
    nodes.push(master);
    const replica = await startClusterNode("kvis");
    nodes.push(replica);
    expect(await call(master.port, "CLUSTER", "ADDSLOTSRANGE", "0", "16383")).toBe("+OK\r\n");
    expect(await call(replica.port, "CLUSTER", "MEET", "127.0.0.1", String(master.port), String(master.cport))).toBe("+OK\r\n");
    const masterId = text(await call(master.port, "CLUSTER", "MYID"));
    await waitFor(async () => (await clusterNodes(replica.port)).some((l) => l.id === masterId), 20_000, "the replica to know the master");
    expect(await call(replica.port, "CLUSTER", "REPLICATE", masterId)).toBe("+OK\r\n");
    const field = async (port: number, section: string, name: string) => new RegExp(`^${name}:(.*)\r$`, "m").exec(await call(port, "INFO", section))?.[1];
    const caughtUp = async (port: number) => {
      await waitFor(async () => (await field(port, "replication", "master_link_status")) === "up", 20_000, "the replica's link");
      await waitFor(async () => (await field(port, "replication", "slave_repl_offset")) === (await field(master.port, "replication", "master_repl_offset")), 20_000, "the replica to catch up");
    };
    await waitClusterOk([master, replica]);
    await caughtUp(replica.port);
    for (let i = 0; i < 100; i++) expect(await call(master.port, "SET", `{a}k${i}`, String(i))).toBe("+OK\r\n");
    await caughtUp(replica.port);
    expect(await call(replica.port, "SAVE")).toBe("+OK\r\n");
    await replica.stop();
    nodes.splice(nodes.indexOf(replica), 1);
    for (let i = 100; i < 150; i++) expect(await call(master.port, "SET", `{a}k${i}`, String(i))).toBe("+OK\r\n");
    const back = await replica.restart();
    nodes.push(back);
    await caughtUp(back.port);
    expect([await field(master.port, "stats", "sync_full"), await field(master.port, "stats", "sync_partial_ok")]).toEqual(["1", "1"]);
    expect(await call(back.port, "DBSIZE")).toBe(":150\r\n");
  });

  test("a corrupt nodes.conf stops start-up with the reason and is left as it was", async () => {
    const dir = tempDir();
    try {
      const bad = "07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 slave\nvars currentEpoch 1 lastVoteEpoch 0\n";
      writeFileSync(join(dir, "nodes.conf"), bad);
      const failed = await startKvisBinary(["--cluster-enabled", "yes", "--cluster-port", String(freePort())], { dir }).then(
        async (server) => {
          await server.stop();
          return "";
        },
        (e: Error) => e.message,
      );
      expect(failed).toContain("corrupted cluster config file");
      expect(readFileSync(join(dir, "nodes.conf"), "latin1")).toBe(bad);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the bus", () => {
  test("a link to a peer that stops reading is closed past cluster-link-sendbuf-limit, and made again", async () => {
    const [kvis, redis] = await start(["kvis", "redis"]);
    expect(await call(kvis!.port, "CLUSTER", "MEET", "127.0.0.1", String(redis!.port), String(redis!.cport))).toBe("+OK\r\n");
    await waitFor(async () => (await call(kvis!.port, "CLUSTER", "LINKS")).includes("to") && (await clusterNodes(kvis!.port)).every((l) => !l.flags.includes("handshake")) && (await clusterNodes(kvis!.port)).length === 2, 20_000, "the handshake");
    await call(kvis!.port, "CONFIG", "SET", "cluster-link-sendbuf-limit", "1mb");
    await call(kvis!.port, "CONFIG", "SET", "cluster-node-timeout", "60000");
    // A stopped process reads nothing: PUBLISH's broadcast piles up on the link to it.
    redis!.proc.kill("SIGSTOP");
    try {
      const payload = "x".repeat(1 << 20);
      await waitFor(async () => {
        await call(kvis!.port, "PUBLISH", "ch", payload);
        return text(await call(kvis!.port, "CLUSTER", "INFO")).match(/total_cluster_links_buffer_limit_exceeded:(\d+)/)![1] !== "0";
      }, 30_000, "the link to be closed over its limit");
    } finally {
      redis!.proc.kill("SIGCONT");
    }
    await waitFor(async () => (await call(kvis!.port, "CLUSTER", "LINKS")).includes("$2\r\nto\r\n"), 20_000, "the link to be made again");
  });

  test("DEBUG DROP-CLUSTER-PACKET-FILTER drops the bus messages of a type as they arrive, on a KVIS node as on a Redis node", async () => {
    const [kvis, redis] = await start(["kvis", "redis"], ["--enable-debug-command", "yes"]);
    expect(await call(kvis!.port, "CLUSTER", "MEET", "127.0.0.1", String(redis!.port), String(redis!.cport))).toBe("+OK\r\n");
    await waitFor(async () => (await clusterNodes(kvis!.port)).length === 2 && (await clusterNodes(redis!.port)).length === 2 && (await clusterNodes(kvis!.port)).every((l) => !l.flags.includes("handshake")) && (await clusterNodes(redis!.port)).every((l) => !l.flags.includes("handshake")), 20_000, "the handshake");
    const seen = [];
    // Each node in turn drops PUBLISH (type 4) from the other; a subscriber on it hears nothing until the filter is -1.
    for (const [node, other] of [[kvis!, redis!], [redis!, kvis!]] as const) {
      const sub = await RawClient.connect(node.port);
      try {
        expect(await sub.call("SUBSCRIBE", "ch")).toContain("subscribe");
        expect(await call(node.port, "DEBUG", "DROP-CLUSTER-PACKET-FILTER", "4")).toBe("+OK\r\n");
        await call(other.port, "PUBLISH", "ch", "dropped");
        await waitFor(async () => (await node.output()).includes("Dropping packet that matches debug drop filter"), 20_000, "the dropped PUBLISH");
        expect(await call(node.port, "DEBUG", "DROP-CLUSTER-PACKET-FILTER", "-1")).toBe("+OK\r\n");
        await call(other.port, "PUBLISH", "ch", "delivered");
        seen.push((await sub.readReplies(1))[0]);
      } finally {
        sub.close();
      }
    }
    expect(seen[0]).toBe("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$9\r\ndelivered\r\n");
    expect(seen[1]).toBe(seen[0]!);
    expect(await call(kvis!.port, "DEBUG", "DROP-CLUSTER-PACKET-FILTER", "x")).toBe(await call(redis!.port, "DEBUG", "DROP-CLUSTER-PACKET-FILTER", "x"));
  });
});
