/**
 * FAILOVER [TO host port [FORCE]] [TIMEOUT ms] | ABORT, with real processes: a KVIS master
 * hands over to its KVIS replica (a real Redis replica beside it follows), a real Redis
 * master to a KVIS replica and a KVIS master to a real Redis replica, and a replica that
 * cannot catch up (stopped with SIGSTOP) makes a TIMEOUT abort, an ABORT put things back,
 * and FORCE go ahead anyway.
 */
import { describe, expect, test } from "bun:test";
import { datasetOf } from "../helpers/dataset.ts";
import { RawClient } from "../helpers/resp.ts";
import { type RunningServer, serverTestTimeout, startKvis, startKvisBinary, startRedis, waitBlocked, waitFor } from "../helpers/servers.ts";

serverTestTimeout();

const field = (info: string, name: string) => new RegExp(`^${name}:(.*)$`, "m").exec(info.replace(/\r/g, ""))?.[1];

const role = async (c: RawClient) => (await c.call("ROLE")).split("\r\n")[2];

async function failoverState(c: RawClient): Promise<string | undefined> {
  return field(await c.call("INFO", "replication"), "master_failover_state");
}

/** Wait until the master lists `n` online replicas that acknowledged all it sent. */
async function caughtUp(master: RawClient, n: number): Promise<void> {
  await waitFor(async () => {
    const info = await master.call("INFO", "replication");
    const offset = field(info, "master_repl_offset");
    for (let i = 0; i < n; i++) {
      const slave = field(info, `slave${i}`);
      if (slave === undefined || !slave.includes("state=online") || !slave.includes(`offset=${offset},`)) return undefined;
    }
    return true;
  }, 20_000, `${n} replicas to acknowledge the master's offset`);
}

/** Wait until `replica` has applied what `master` sent, then compare their data. */
async function converged(master: RawClient, replica: RawClient): Promise<void> {
  await waitFor(async () => {
    const offset = field(await master.call("INFO", "replication"), "master_repl_offset");
    return offset === field(await replica.call("INFO", "replication"), "slave_repl_offset") || undefined;
  }, 20_000, "the replica to reach the master's offset");
  expect(await datasetOf(replica, [0])).toEqual(await datasetOf(master, [0]));
}

async function stopAll(servers: RunningServer[], clients: RawClient[]): Promise<void> {
  for (const c of clients) c.close();
  for (const s of servers) await s.stop();
}

describe("FAILOVER", () => {
  test("a KVIS master hands over to its KVIS replica: held writes meet READONLY, the old master follows partially", async () => {
    const master = await startKvis();
    const target = await startKvis({ replicaof: `127.0.0.1 ${master.port}` });
    const other = await startRedis(["--replicaof", `127.0.0.1 ${master.port}`]);
    const m = await RawClient.connect(master.port);
    const writer = await RawClient.connect(master.port);
    const t = await RawClient.connect(target.port);
    const o = await RawClient.connect(other.port);
    try {
      for (let i = 0; i < 100; i++) await m.call("SET", `k${i}`, `v${i}`);
      await caughtUp(m, 2);
      expect(await m.call("FAILOVER", "TO", "127.0.0.1", String(target.port))).toBe("+OK\r\n");
      // A write sent now waits for the failover's end, then finds a replica.
      expect(await writer.call("SET", "late", "x")).toBe("-READONLY You can't write against a read only replica.\r\n");
      await waitFor(async () => (await role(t)) === "master" || undefined, 20_000, "the target to become master");
      await waitFor(async () => (await role(m)) === "slave" || undefined, 20_000, "the old master to follow it");
      expect(await failoverState(m)).toBe("no-failover");
      expect(await m.call("ROLE")).toStartWith(`*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:${target.port}\r\n`);
      // The old master continued the target's history without a full sync.
      expect(field(await t.call("INFO", "stats"), "sync_partial_ok")).toBe("1");
      expect(field(await t.call("INFO", "stats"), "sync_full")).toBe("0");
      for (let i = 0; i < 50; i++) await t.call("SET", `after${i}`, String(i));
      await converged(t, m);
      // The Redis replica of the old master now hangs from it, and sees the new writes too.
      await waitFor(async () => (await o.call("GET", "after49")) === "$2\r\n49\r\n" || undefined, 20_000, "the writes to reach the Redis replica");
      expect(await datasetOf(o, [0])).toEqual(await datasetOf(t, [0]));
    } finally {
      await stopAll([other, target, master], [m, writer, t, o]);
    }
  }, 60_000);

  test("a real Redis master hands over to a KVIS replica", async () => {
    const redis = await startRedis(["--repl-diskless-sync-delay", "0"]);
    const kvis = await startKvis({ replicaof: `127.0.0.1 ${redis.port}` });
    const m = await RawClient.connect(redis.port);
    const k = await RawClient.connect(kvis.port);
    try {
      for (let i = 0; i < 100; i++) await m.call("RPUSH", "list", String(i));
      await caughtUp(m, 1);
      expect(await m.call("FAILOVER", "TO", "127.0.0.1", String(kvis.port))).toBe("+OK\r\n");
      await waitFor(async () => (await role(k)) === "master" || undefined, 20_000, "KVIS to become master");
      await waitFor(async () => (await failoverState(m)) === "no-failover" || undefined, 20_000, "Redis to end the failover");
      expect(await role(m)).toBe("slave");
      expect(await k.call("RPUSH", "list", "new")).toBe(":101\r\n");
      await converged(k, m);
    } finally {
      await stopAll([kvis, redis], [m, k]);
    }
  }, 60_000);

  test("a KVIS master hands over to a real Redis replica", async () => {
    const kvis = await startKvis();
    const redis = await startRedis(["--replicaof", "127.0.0.1", String(kvis.port)]);
    const k = await RawClient.connect(kvis.port);
    const r = await RawClient.connect(redis.port);
    try {
      for (let i = 0; i < 100; i++) await k.call("HSET", "h", `f${i}`, String(i));
      await caughtUp(k, 1);
      expect(await k.call("FAILOVER")).toBe("+OK\r\n");
      await waitFor(async () => (await role(r)) === "master" || undefined, 20_000, "Redis to become master");
      await waitFor(async () => (await failoverState(k)) === "no-failover" || undefined, 20_000, "KVIS to end the failover");
      expect(await role(k)).toBe("slave");
      expect(await r.call("HSET", "h", "new", "1")).toBe(":1\r\n");
      await converged(r, k);
    } finally {
      await stopAll([redis, kvis], [k, r]);
    }
  }, 60_000);

  test("with a replica that cannot catch up: ABORT and TIMEOUT release the held writes, FORCE goes ahead", async () => {
    const master = await startKvis();
    const target = await startKvisBinary(["--replicaof", `127.0.0.1 ${master.port}`]);
    const m = await RawClient.connect(master.port);
    const t = await RawClient.connect(target.port);
    const writer = await RawClient.connect(master.port);
    try {
      await m.call("SET", "a", "1");
      await caughtUp(m, 1);
      // Stopped, the replica acknowledges nothing more.
      target.proc.kill("SIGSTOP");
      await m.call("SET", "b", "2");
      const to = ["TO", "127.0.0.1", String(target.port)];
      expect(await m.call("FAILOVER", ...to)).toBe("+OK\r\n");
      expect(await failoverState(m)).toBe("waiting-for-sync");
      expect(await m.call("FAILOVER", ...to)).toBe("-ERR FAILOVER already in progress.\r\n");
      expect(await m.call("REPLICAOF", "NO", "ONE")).toBe("-ERR REPLICAOF not allowed while failing over.\r\n");
      // No new replica may sync meanwhile.
      expect(await m.call("PSYNC", "?", "-1")).toBe("-NOMASTERLINK Can't SYNC while failing over\r\n");
      expect(await m.call("SYNC")).toBe("-NOMASTERLINK Can't SYNC while failing over\r\n");
      writer.write("*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n");
      await waitBlocked(master.port, 1);
      expect(await m.call("GET", "a")).toBe("$1\r\n1\r\n");
      expect(await m.call("FAILOVER", "ABORT")).toBe("+OK\r\n");
      expect((await writer.readReplies(1))[0]).toBe("+OK\r\n");
      expect(await failoverState(m)).toBe("no-failover");

      expect(await m.call("FAILOVER", ...to, "TIMEOUT", "200")).toBe("+OK\r\n");
      expect(await writer.call("SET", "d", "4")).toBe("+OK\r\n");
      expect(await failoverState(m)).toBe("no-failover");
      expect(await role(m)).toBe("master");

      expect(await m.call("FAILOVER", ...to, "TIMEOUT", "200", "FORCE")).toBe("+OK\r\n");
      await waitFor(async () => (await failoverState(m)) === "failover-in-progress" || undefined, 20_000, "the forced failover");
      expect(await role(m)).toBe("slave");
      // The target wakes, receives PSYNC ... FAILOVER and takes over.
      target.proc.kill("SIGCONT");
      await waitFor(async () => (await role(t)) === "master" || undefined, 20_000, "the target to take over");
      await waitFor(async () => (await failoverState(m)) === "no-failover" || undefined, 20_000, "the failover to end");
      // What it had not acknowledged was still in its stream: nothing written before is lost.
      expect(await t.call("MGET", "a", "b", "c", "d")).toBe("*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n");
      await t.call("SET", "e", "5");
      await converged(t, m);
    } finally {
      target.proc.kill("SIGCONT");
      await stopAll([target, master], [m, t, writer]);
    }
  }, 60_000);
});
