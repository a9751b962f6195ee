/**
 * Redis Sentinel in front of KVIS, with real processes: three redis-server --sentinel
 * (quorum 2) monitor a KVIS master, find its KVIS replicas and each other through it (INFO,
 * the __sentinel__:hello channel), and when the master is killed with SIGKILL promote a
 * replica, point the other at it, and turn the old master into a replica when it comes
 * back; ioredis and node-redis (createSentinel), asking the sentinels for the master,
 * write again once they agree. Also
 * a real Redis master whose only replica, a KVIS, is promoted.
 */
import { afterEach, describe, expect, test } from "bun:test";
import IORedis from "ioredis";
import { createSentinel } from "redis";
import { RawClient } from "../helpers/resp.ts";
import {
  type ChildServer, KVIS_BINARY, ensureBinary, sentinelsDiscovered, sentinelsSwitched, serverTestTimeout, startChild, startKvisBinary, startRedis,
  startSentinels, waitFor,
} from "../helpers/servers.ts";

serverTestTimeout();

/** Replicas sync at once, as under Redis's own tests' configuration. */
const NO_SYNC_DELAY = ["--repl-diskless-sync-delay", "0"];

const NAME = "mymaster";

const running: Array<{ stop(): Promise<void> }> = [];
const clients: Array<RawClient | IORedis | { close(): unknown }> = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c instanceof IORedis ? c.disconnect() : c.close();
  for (const s of running.splice(0).reverse()) await s.stop();
});

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

/**
 * A server's ROLE as "master", or "slave <port>" with the port it follows; "killed" when the
 * connection was closed before the reply: a sentinel reconfiguring a server ends with CLIENT
 * KILL TYPE normal, which takes a poll that came at that moment with it (as on Redis).
 */
async function role(port: number): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    const lines = (await c.call("ROLE")).split("\r\n");
    return lines[2] === "slave" ? `slave ${lines[5]!.slice(1)}` : lines[2]!;
  } catch (e) {
    if (e instanceof Error && e.message.startsWith("connection closed")) return "killed";
    throw e;
  } finally {
    c.close();
  }
}

/** Three sentinels watching the master on `port` (startSentinels), stopped after the test. */
async function sentinels(port: number): Promise<ChildServer[]> {
  const started = await startSentinels(NAME, port);
  running.push(...started);
  return started;
}

const discovered = (all: ChildServer[], replicas: number) => sentinelsDiscovered(all, NAME, replicas);
const failedOver = (all: ChildServer[], old: number) => sentinelsSwitched(all, NAME, old);

function sentinelClient(all: ChildServer[]): IORedis {
  const c = new IORedis({
    sentinels: all.map((s) => ({ host: "127.0.0.1", port: s.port })),
    name: NAME,
    retryStrategy: () => 50,
    sentinelRetryStrategy: () => 50,
    maxRetriesPerRequest: null,
    lazyConnect: true,
  });
  c.on("error", () => {});
  clients.push(c);
  return c;
}

/** node-redis's sentinel client (createSentinel) for the master the sentinels name. */
async function nodeRedisSentinel(all: ChildServer[]) {
  const c = createSentinel({ name: NAME, sentinelRootNodes: all.map((s) => ({ host: "127.0.0.1", port: s.port })) });
  c.on("error", () => {});
  clients.push(c);
  await c.connect();
  return c;
}

/** Write through `c` until a write succeeds; returns the key written. */
/** WAIT for `n` replicas after a write of the asking connection's own, which follows every write before it in the stream. */
async function waitForReplicas(port: number, n: number): Promise<string> {
  const c = await client(port);
  await c.call("SET", "wait:marker", "1");
  return c.call("WAIT", String(n), "10000");
}

async function writeThrough(c: { set(key: string, value: string): Promise<string | null> }, tag: string): Promise<string> {
  let i = 0;
  return waitFor(async () => {
    const key = `${tag}:${i++}`;
    try {
      return (await c.set(key, "v")) === "OK" ? key : undefined;
    } catch {
      return undefined;
    }
  }, 30_000, `a write through the sentinels (${tag})`);
}

describe("Sentinel", () => {
  test("fails a killed KVIS master over to a KVIS replica; the old master returns as a replica", async () => {
    await ensureBinary();
    const master = await startKvisBinary(NO_SYNC_DELAY);
    running.push(master);
    const replicas = [await startKvisBinary([...NO_SYNC_DELAY, "--replicaof", `127.0.0.1 ${master.port}`]), await startKvisBinary([...NO_SYNC_DELAY, "--replicaof", `127.0.0.1 ${master.port}`])];
    running.push(...replicas);
    const all = await sentinels(master.port);
    await discovered(all, 2);

    const writer = sentinelClient(all);
    await writer.connect();
    const nodeRedis = await nodeRedisSentinel(all);
    expect(await nodeRedis.set("node-redis:before", "1")).toBe("OK");
    for (let i = 0; i < 100; i++) await writer.set(`before:${i}`, String(i));
    // Both replicas hold them before the master goes: those writes must survive. (WAIT
    // waits for the asking connection's own last write, so it writes one after them.)
    expect(await waitForReplicas(master.port, 2)).toBe(":2\r\n");

    master.proc.kill("SIGKILL");
    await master.proc.exited;
    const promoted = await failedOver(all, master.port);
    const other = replicas.find((r) => r.port !== promoted)!;
    expect(replicas.map((r) => r.port)).toContain(promoted);
    await waitFor(async () => (await role(promoted)) === "master", 30_000, "the promoted replica to be a master");
    await waitFor(async () => (await role(other.port)) === `slave ${promoted}`, 30_000, "the other replica to follow the new master");

    // Nothing acknowledged by both replicas was lost, and the clients write to the new
    // master: the one the sentinels name now (on a starved machine they may have failed
    // over a second time, to the other replica, which held the same data).
    const written = await writeThrough(writer, "after");
    const viaNodeRedis = await writeThrough(nodeRedis, "node-redis:after");
    const current = await failedOver(all, master.port);
    const fresh = await client(current);
    for (let i = 0; i < 100; i++) expect(await fresh.call("GET", `before:${i}`)).toBe(`$${String(i).length}\r\n${i}\r\n`);
    for (const key of [written, viaNodeRedis, "node-redis:before"]) expect({ key, on: current, exists: await fresh.call("EXISTS", key) }).toEqual({ key, on: current, exists: ":1\r\n" });

    // The old master comes back (empty, on its port): the sentinels make it a replica.
    const returned = await startChild([KVIS_BINARY, "--port", String(master.port), "--dir", master.dir, ...NO_SYNC_DELAY], master.port, { dir: master.dir });
    running.push(returned);
    // A sentinel converts it on an INFO reply at least 8 s after it came back (10-20 s
    // here); one that entered TILT mode (its timer stalled 2 s on a busy machine) acts on
    // nothing for 30 s more, so the deadline allows for both.
    await waitFor(async () => (await role(master.port)) === `slave ${await failedOver(all, master.port)}`, 90_000, "the old master to become a replica of the new one");
    const back = await client(master.port);
    await waitFor(async () => (await back.call("EXISTS", written)) === ":1\r\n", 30_000, "the returned master to sync from the new one");
  }, 150_000);

  test("promotes a KVIS replica of a killed Redis master", async () => {
    await ensureBinary();
    const master = await startRedis();
    running.push(master);
    const replica = await startKvisBinary([...NO_SYNC_DELAY, "--replicaof", `127.0.0.1 ${master.port}`]);
    running.push(replica);
    const all = await sentinels(master.port);
    await discovered(all, 1);
    const writer = sentinelClient(all);
    await writer.connect();
    await writer.set("from-redis", "1");
    expect(await waitForReplicas(master.port, 1)).toBe(":1\r\n");

    master.proc.kill("SIGKILL");
    await master.proc.exited;
    expect(await failedOver(all, master.port)).toBe(replica.port);
    await waitFor(async () => (await role(replica.port)) === "master", 30_000, "the KVIS replica to be a master");
    const written = await writeThrough(writer, "after");
    const kvis = await client(replica.port);
    expect(await kvis.call("GET", "from-redis")).toBe("$1\r\n1\r\n");
    expect(await kvis.call("EXISTS", written)).toBe(":1\r\n");
  }, 120_000);
});
