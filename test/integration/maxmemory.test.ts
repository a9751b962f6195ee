/**
 * maxmemory and its policies: -OOM as Redis answers it (compared with redis-server), each
 * policy evicting the keys it should (only keys with a TTL for volatile-*, the coldest for
 * LRU, the least used for LFU, the nearest deadline for volatile-ttl), used_memory held
 * under the limit, evicted_keys, `evicted` keyspace events, and evictions reaching a
 * replica and the AOF as DELs.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { useClockSource } from "../../src/clock.ts";
import { RawClient, encodeCommand } from "../helpers/resp.ts";
import { type RunningServer, serverTestTimeout, startKvis, startRedis, waitFor } from "../helpers/servers.ts";

serverTestTimeout();

async function send(c: RawClient, commands: string[][]): Promise<string[]> {
  c.write(Buffer.concat(commands.map((cmd) => encodeCommand(cmd))));
  return c.readReplies(commands.length, 60_000);
}

async function info(c: RawClient, field: string): Promise<number> {
  const text = await c.call("INFO", "everything");
  return Number(new RegExp(`\\r\\n${field}:(\\d+)`).exec(text)![1]);
}

/** A server `start` makes, given to `body` with a client, then stopped (started only here: one left unawaited would outlive a failure). */
async function withServer<T>(start: () => Promise<RunningServer>, body: (c: RawClient, s: RunningServer) => Promise<T>): Promise<T> {
  const server = await start();
  const c = await RawClient.connect(server.port);
  try {
    return await body(c, server);
  } finally {
    c.close();
    await server.stop();
  }
}

// A key with this value holds a 448-byte cell and its slots: about 9,000 fit in 4 MB.
const VALUE = "v".repeat(400);

/** Write `n` keys `<prefix>:<i>` (with a TTL of `ttl` seconds if given), in pipelines of 500. */
async function fill(c: RawClient, prefix: string, n: number, ttl?: number): Promise<string[]> {
  const replies: string[] = [];
  for (let from = 0; from < n; from += 500) {
    const batch: string[][] = [];
    for (let i = from; i < Math.min(n, from + 500); i++) batch.push(ttl === undefined ? ["SET", `${prefix}:${i}`, VALUE] : ["SET", `${prefix}:${i}`, VALUE, "EX", String(ttl)]);
    replies.push(...(await send(c, batch)));
  }
  return replies;
}

async function count(c: RawClient, prefix: string, n: number): Promise<number> {
  const replies = await send(c, Array.from({ length: n }, (_, i) => ["EXISTS", `${prefix}:${i}`]));
  return replies.filter((r) => r === ":1\r\n").length;
}

describe("maxmemory", () => {
  test("noeviction: writes that need memory get Redis's -OOM (in MULTI too); reads and DEL go on", async () => {
    const seen: string[][] = [];
    for (const start of [() => startKvis({ maxmemory: "2mb" }), () => startRedis(["--maxmemory", "2mb"])]) {
      seen.push(
        await withServer(start, async (c) => {
          const replies = await fill(c, "k", 20_000);
          const refused = replies.find((r) => r !== "+OK\r\n")!;
          const out = [
            refused,
            await c.call("GET", "k:0"),
            await c.call("MULTI"),
            await c.call("SET", "x", "1"),
            await c.call("EXEC"),
            await c.call("DEL", "k:0"),
            await c.call("CONFIG", "GET", "maxmemory-policy"),
          ];
          expect(await info(c, "evicted_keys")).toBe(0);
          return out;
        }),
      );
    }
    expect(seen[0]![0]).toBe("-OOM command not allowed when used memory > 'maxmemory'.\r\n");
    expect(seen[0]).toEqual(seen[1]!);
  });

  test("OBJECT IDLETIME and FREQ answer, or refuse, as Redis does under each kind of policy", async () => {
    const seen: string[][] = [];
    for (const start of [() => startKvis(), () => startRedis()]) {
      seen.push(
        await withServer(start, async (c) => {
          const out: string[] = [];
          for (const policy of ["allkeys-lfu", "allkeys-lru"]) {
            // A key made under the policy: one made before has whatever the other kind left.
            await c.call("CONFIG", "SET", "maxmemory-policy", policy);
            // One transaction: both servers read their clocks once for it, so a second (or a
            // minute) turning between the SET and the reads cannot age the key.
            c.write(encodeCommand(["MULTI"]));
            for (const args of [["SET", "k", "hello"], ["OBJECT", "IDLETIME", "k"], ["OBJECT", "FREQ", "k"], ["OBJECT", "FREQ", "missing"]]) c.write(encodeCommand(args));
            c.write(encodeCommand(["EXEC"]));
            out.push(...(await c.readReplies(6)));
          }
          return out;
        }),
      );
    }
    expect(seen[0]).toEqual(seen[1]!);
  });

  test("OBJECT IDLETIME counts under noeviction too; TTL, TYPE and EXISTS leave it, TOUCH and GET reset it", async () => {
    let fakeNow = Date.now();
    const restoreClock = useClockSource(() => fakeNow);
    try {
      await withServer(() => startKvis(), async (c) => {
        await c.call("SET", "k", "v");
        await c.call("HSET", "h", "f", "v");
        fakeNow += 3000;
        for (const args of [["TTL", "k"], ["TYPE", "k"], ["EXISTS", "k"], ["TTL", "h"]]) await c.call(...args);
        expect(await c.call("OBJECT", "IDLETIME", "k")).toBe(":3\r\n");
        expect(await c.call("OBJECT", "IDLETIME", "h")).toBe(":3\r\n");
        await c.call("TOUCH", "k");
        await c.call("HGET", "h", "f");
        expect(await c.call("OBJECT", "IDLETIME", "k")).toBe(":0\r\n");
        expect(await c.call("OBJECT", "IDLETIME", "h")).toBe(":0\r\n");
        // Swapped away and back, a key keeps its access time.
        fakeNow += 5000;
        await c.call("SWAPDB", "0", "1");
        await c.call("SWAPDB", "0", "1");
        expect(await c.call("OBJECT", "IDLETIME", "k")).toBe(":5\r\n");
      });
    } finally {
      restoreClock();
    }
  });

  test("volatile-* with no key to evict refuses writes as Redis does", async () => {
    const seen: string[] = [];
    for (const start of [() => startKvis({ maxmemory: "2mb", "maxmemory-policy": "volatile-lru" }), () => startRedis(["--maxmemory", "2mb", "--maxmemory-policy", "volatile-lru"])]) {
      seen.push(await withServer(start, async (c) => (await fill(c, "k", 20_000)).find((r) => r !== "+OK\r\n")!));
    }
    expect(seen[0]).toBe("-OOM command not allowed when used memory > 'maxmemory'.\r\n");
    expect(seen[0]).toBe(seen[1]!);
  });

  for (const policy of ["allkeys-random", "allkeys-lru", "allkeys-lfu", "volatile-random", "volatile-lru", "volatile-lfu", "volatile-ttl"]) {
    test(`${policy}: writes keep succeeding, memory stays under the limit, and the right keys go`, async () => {
      await withServer(() => startKvis({ maxmemory: "4mb", "maxmemory-policy": policy, "notify-keyspace-events": "Ee" }), async (c, s) => {
        const events = await RawClient.connect(s.port);
        try {
          expect(await events.call("SUBSCRIBE", "__keyevent@0__:evicted")).toContain("subscribe");
          // Keys without a TTL: volatile policies must never touch them.
          expect((await fill(c, "plain", 2000)).every((r) => r === "+OK\r\n")).toBe(true);
          const replies = await fill(c, "ttl", 40_000, 100_000);
          expect(replies.every((r) => r === "+OK\r\n")).toBe(true);
          expect(await info(c, "used_memory")).toBeLessThanOrEqual(4 * 1024 * 1024);
          const evicted = await info(c, "evicted_keys");
          expect(evicted).toBeGreaterThan(10_000);
          const plain = await count(c, "plain", 2000);
          if (policy.startsWith("volatile")) expect(plain).toBe(2000);
          else expect(plain).toBeLessThan(2000);
          expect(await info(c, "used_memory")).toBeLessThanOrEqual(4 * 1024 * 1024);
          // One `evicted` event per eviction.
          const messages = await events.readReplies(evicted, 30_000);
          expect(messages[0]).toMatch(/^\*3\r\n\$7\r\nmessage\r\n\$22\r\n__keyevent@0__:evicted\r\n/);
        } finally {
          events.close();
        }
      });
    });
  }

  test("the invalidation messages an eviction sends to tracking clients do not set off more evictions", async () => {
    // Ten RESP3 clients track 300 keys with 1000-byte names; a limit 40,000 bytes under the
    // memory in use evicts a few dozen, each sending every client its name. Those messages
    // wait for the end of the turn, in a buffer bounded as Redis's 16 KB client buffers
    // bound them: counted as output waiting, they made the eviction go on until the
    // database was empty.
    for (const start of [() => startKvis(), () => startRedis()]) {
      await withServer(start, async (c, s) => {
        const trackers = await Promise.all(Array.from({ length: 10 }, () => RawClient.connect(s.port)));
        try {
          for (const t of trackers) {
            expect(await t.call("HELLO", "3")).toContain("proto");
            expect(await t.call("CLIENT", "TRACKING", "on")).toBe("+OK\r\n");
          }
          const keys = Array.from({ length: 300 }, (_, i) => `${i}${"x".repeat(1000)}`);
          await send(c, keys.map((k) => ["SET", k, "x"]));
          for (const t of trackers) {
            t.write(Buffer.concat(keys.map((k) => encodeCommand(["GET", k]))));
            expect(await t.readReplies(keys.length)).toEqual(keys.map(() => "$1\r\nx\r\n"));
          }
          const used = await info(c, "used_memory");
          expect(await c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru", "maxmemory-eviction-tenacity", "100")).toBe("+OK\r\n");
          expect(await c.call("CONFIG", "SET", "maxmemory", String(used - 40_000))).toBe("+OK\r\n");
          const evicted = await info(c, "evicted_keys");
          const dbsize = Number(/^:(\d+)/.exec(await c.call("DBSIZE"))![1]);
          expect(evicted).toBeGreaterThan(0);
          expect(dbsize).toBeGreaterThanOrEqual(200);
          // Every tracker is told of the keys evicted.
          for (const t of trackers) expect((await t.readReplies(1))[0]).toStartWith(">2\r\n$10\r\ninvalidate\r\n");
        } finally {
          for (const t of trackers) t.close();
        }
      });
    }
  });

  test("allkeys-lru evicts the keys idle longest, allkeys-lfu the least used, volatile-ttl the nearest deadline", async () => {
    // The server's clock is moved, not waited for, and stands still otherwise: the LRU clock
    // counts seconds and LFU counters decay by the minute, so a second or a minute turning
    // during the test would change what it reads.
    let fakeNow = Date.now();
    const restoreClock = useClockSource(() => fakeNow);
    try {
      // LRU: cold keys idle two seconds longer than hot ones.
      await withServer(() => startKvis({ maxmemory: "4mb", "maxmemory-policy": "allkeys-lru" }), async (c) => {
        await fill(c, "cold", 2000);
        fakeNow += 2000;
        await fill(c, "hot", 2000);
        expect(await c.call("OBJECT", "IDLETIME", "cold:0")).toBe(":2\r\n");
        expect(await c.call("OBJECT", "IDLETIME", "hot:0")).toBe(":0\r\n");
        // About 9,000 keys fit: some 1,000 must go. The LRU is approximated from samples
        // (five neighbouring slots a pick, a pool of 16), so a few hot or new keys go when a
        // pick's samples hold no cold key: 120 runs lost 56-100 hot keys of 1,233 evicted
        // (the most with every core busy); random eviction would lose about 250 of each kind.
        await fill(c, "new", 6000);
        expect(await info(c, "evicted_keys")).toBeGreaterThan(500);
        expect(await count(c, "hot", 2000)).toBeGreaterThan(1850);
        expect(await count(c, "cold", 2000)).toBeLessThan(1500);
      });
      // LFU: hot keys read many times; cold keys never, for three minutes, so their
      // counters decayed from 5 to 2, below the new keys' 5 (evicted at random among equals).
      await withServer(() => startKvis({ maxmemory: "4mb", "maxmemory-policy": "allkeys-lfu" }), async (c) => {
        await fill(c, "cold", 2000);
        await fill(c, "hot", 2000);
        fakeNow += 3 * 60_000;
        for (let round = 0; round < 30; round++) await send(c, Array.from({ length: 2000 }, (_, i) => ["GET", `hot:${i}`]));
        expect(Number((await c.call("OBJECT", "FREQ", "hot:0")).slice(1, -2))).toBeGreaterThan(5);
        expect(await c.call("OBJECT", "FREQ", "cold:0")).toBe(":2\r\n");
        // About 9,000 keys fit: some 1,000 must go.
        await fill(c, "new", 6000);
        expect(await info(c, "evicted_keys")).toBeGreaterThan(500);
        expect(await count(c, "hot", 2000)).toBeGreaterThan(1900);
        expect(await count(c, "cold", 2000)).toBeLessThan(1500);
      });
      // TTL: the keys that would expire first go first.
      await withServer(() => startKvis({ maxmemory: "4mb", "maxmemory-policy": "volatile-ttl" }), async (c) => {
        await fill(c, "long", 2000, 100_000);
        await fill(c, "short", 2000, 1000);
        // About 9,000 keys fit: some 2,000 must go.
        await fill(c, "new", 7000, 50_000);
        expect(await info(c, "evicted_keys")).toBeGreaterThan(500);
        expect(await count(c, "long", 2000)).toBeGreaterThan(1900);
        expect(await count(c, "short", 2000)).toBeLessThan(1500);
      });
    } finally {
      restoreClock();
    }
  });

  test("evictions reach a replica and the AOF as DELs", async () => {
    const master = await startKvis({ maxmemory: "4mb", "maxmemory-policy": "allkeys-random", appendonly: "yes" });
    const replica = await startKvis({ replicaof: `127.0.0.1 ${master.port}` });
    const c = await RawClient.connect(master.port);
    const r = await RawClient.connect(replica.port);
    try {
      await waitFor(async () => (await r.call("INFO", "replication")).includes("master_link_status:up"), 20_000, "the replica's link");
      await fill(c, "k", 30_000);
      expect(await info(c, "evicted_keys")).toBeGreaterThan(10_000);
      const size = await c.call("DBSIZE");
      await waitFor(async () => (await r.call("DBSIZE")) === size, 20_000, "the replica to catch up");
      // The replica holds exactly the master's keys, and does not evict on its own.
      expect((await r.call("KEYS", "*")).split("\r\n").sort()).toEqual((await c.call("KEYS", "*")).split("\r\n").sort());
      expect(await info(r, "evicted_keys")).toBe(0);
      const aof = readFileSync(join(master.dir, "appendonlydir", "appendonly.aof.1.incr.aof"), "latin1");
      expect(aof).toContain("*2\r\n$3\r\nDEL\r\n$3\r\nk:");
    } finally {
      c.close();
      r.close();
      await replica.stop();
      await master.stop();
    }
  });
});
