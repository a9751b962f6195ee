/**
 * Libraries built on Redis scripting, run as their users run them, against an in-process
 * KVIS and against a real redis-server the same way: BullMQ (every queue operation is an
 * EVALSHA of its Lua scripts), redlock (locks by SET NX and scripts), rate-limiter-flexible
 * (a script per consume), and the clients' own script helpers (ioredis's defineCommand,
 * node-redis's defineScript).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Queue, QueueEvents, Worker, type Job } from "bullmq";
import IORedis from "ioredis";
import { RateLimiterRedis } from "rate-limiter-flexible";
import { createClient, defineScript } from "redis";
import Redlock from "redlock";
import { type ChildServer, type InProcessKvis, serverTestTimeout, startAll, startKvis, startRedis, waitFor } from "../helpers/servers.ts";

serverTestTimeout();

let kvis: InProcessKvis;
let redis: ChildServer;
beforeAll(async () => {
  [kvis, redis] = await startAll([startKvis, () => startRedis()]);
});
afterAll(async () => {
  await Promise.all([kvis?.stop(), redis?.stop()]);
});

const targets: Array<[name: string, port: () => number]> = [
  ["KVIS", () => kvis.port],
  ["redis-server", () => redis.port],
];

/** ioredis clients opened by a test, all closed at its end; none reconnects after a test. */
function clients() {
  const open: IORedis[] = [];
  return {
    connect(port: number, options: Record<string, unknown> = {}): IORedis {
      const c = new IORedis({ port, host: "127.0.0.1", retryStrategy: () => null, ...options });
      c.on("error", () => {});
      open.push(c);
      return c;
    },
    async close(): Promise<void> {
      await Promise.all(open.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

describe.each(targets)("BullMQ on %s", (_, port) => {
  test("a worker processes jobs, a delayed job, a job retried with backoff and a repeatable job; QueueEvents sees them", async () => {
    const conn = clients();
    const connection = () => conn.connect(port(), { maxRetriesPerRequest: null });
    const name = `q${Date.now()}`;
    const queue = new Queue(name, { connection: connection() });
    const events = new QueueEvents(name, { connection: connection() });
    const attempts = new Map<string, number>();
    const done: string[] = [];
    const worker = new Worker(
      name,
      async (job: Job) => {
        const n = (attempts.get(job.id!) ?? 0) + 1;
        attempts.set(job.id!, n);
        if (job.name === "flaky" && n < 3) throw new Error(`attempt ${n} fails`);
        return { doubled: (job.data.n as number) * 2 };
      },
      { connection: connection(), concurrency: 2 },
    );
    const completedEvents: string[] = [];
    events.on("completed", ({ jobId }) => completedEvents.push(jobId));
    worker.on("completed", (job) => done.push(job.name));
    try {
      await events.waitUntilReady();
      await worker.waitUntilReady();
      const plain = await Promise.all([1, 2, 3].map((n) => queue.add("plain", { n })));
      const delayed = await queue.add("delayed", { n: 10 }, { delay: 300 });
      const flaky = await queue.add("flaky", { n: 5 }, { attempts: 3, backoff: { type: "fixed", delay: 100 } });
      // A repeatable job, as BullMQ 6 makes them: a job scheduler.
      await queue.upsertJobScheduler("every-150ms", { every: 150, limit: 3 }, { name: "repeat", data: { n: 7 } });
      await waitFor(() => done.filter((d) => d === "repeat").length >= 3 && done.includes("delayed") && done.includes("flaky") || undefined, 20_000, "every job");
      for (const job of plain) expect((await queue.getJob(job.id!))?.returnvalue).toEqual({ doubled: (job.data.n as number) * 2 });
      const flakyJob = await queue.getJob(flaky.id!);
      expect(flakyJob?.attemptsMade).toBe(3);
      expect(flakyJob?.returnvalue).toEqual({ doubled: 10 });
      const delayedJob = await queue.getJob(delayed.id!);
      expect(delayedJob!.processedOn! - delayedJob!.timestamp).toBeGreaterThanOrEqual(300);
      const counts = await queue.getJobCounts("completed", "failed", "waiting", "delayed");
      expect(counts.completed).toBeGreaterThanOrEqual(8);
      expect(counts.failed).toBe(0);
      await waitFor(() => completedEvents.includes(flaky.id!) || undefined, 20_000, "the completed event");
      expect(completedEvents).toEqual(expect.arrayContaining(plain.map((j) => j.id!)));
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      await conn.close();
    }
  });
});

describe.each(targets)("redlock on %s", (_, port) => {
  test("locks exclude each other under contention, extend, and release", async () => {
    const conn = clients();
    try {
      const resource = `lock:${Date.now()}`;
      const counter = `${resource}:count`;
      const lockers = [0, 1, 2, 3].map(() => new Redlock([conn.connect(port())], { retryCount: 200, retryDelay: 5, retryJitter: 5 }));
      const plain = conn.connect(port());
      // Each worker reads, waits a turn of the event loop, then writes: without mutual
      // exclusion increments would be lost.
      await Promise.all(
        lockers.map(async (redlock) => {
          for (let i = 0; i < 10; i++) {
            await redlock.using([resource], 2000, async () => {
              const n = Number((await plain.get(counter)) ?? 0);
              await new Promise((resolve) => setImmediate(resolve));
              await plain.set(counter, String(n + 1));
            });
          }
        }),
      );
      expect(await plain.get(counter)).toBe("40");
      const lock = await lockers[0]!.acquire([resource], 1000);
      const extended = await lock.extend(5000);
      expect(await plain.pttl(resource)).toBeGreaterThan(1000);
      // Another holder cannot take it, and cannot release what it does not hold.
      await expect(lockers[1]!.acquire([resource], 1000, { retryCount: 0 })).rejects.toThrow();
      await extended.release();
      expect(await plain.exists(resource)).toBe(0);
    } finally {
      await conn.close();
    }
  });
});

describe.each(targets)("rate-limiter-flexible on %s", (_, port) => {
  test("RateLimiterRedis allows the points, then refuses with the time to wait", async () => {
    const conn = clients();
    try {
      const limiter = new RateLimiterRedis({ storeClient: conn.connect(port()), keyPrefix: `rl${Date.now()}`, points: 5, duration: 10 });
      for (let i = 1; i <= 5; i++) expect((await limiter.consume("user")).remainingPoints).toBe(5 - i);
      const refused = await limiter.consume("user").then(
        () => undefined,
        (r: { remainingPoints: number; msBeforeNext: number }) => r,
      );
      expect(refused?.remainingPoints).toBe(0);
      expect(refused!.msBeforeNext).toBeGreaterThan(0);
      expect(refused!.msBeforeNext).toBeLessThanOrEqual(10_000);
      expect((await limiter.get("user"))?.consumedPoints).toBe(6);
      await limiter.delete("user");
      expect((await limiter.consume("user", 2)).remainingPoints).toBe(3);
    } finally {
      await conn.close();
    }
  });
});

describe.each(targets)("client script helpers on %s", (_, port) => {
  test("ioredis defineCommand and node-redis defineScript run through EVALSHA, loading the script on NOSCRIPT", async () => {
    const conn = clients();
    const io = conn.connect(port()) as IORedis & { incrBy2(key: string, by: number): Promise<number> };
    const node = createClient({
      socket: { port: port(), host: "127.0.0.1", reconnectStrategy: false },
      scripts: {
        getSet: defineScript({
          SCRIPT: "local old = redis.call('GET', KEYS[1]) redis.call('SET', KEYS[1], ARGV[1]) return old",
          NUMBER_OF_KEYS: 1,
          parseCommand(parser, key: string, value: string) {
            parser.pushKey(key);
            parser.pushVariadic([value]);
          },
          transformReply: (reply: unknown) => reply as string | null,
        }),
      },
    });
    node.on("error", () => {});
    await node.connect();
    try {
      await io.script("FLUSH");
      io.defineCommand("incrBy2", { numberOfKeys: 1, lua: "return redis.call('INCRBY', KEYS[1], ARGV[1] * 2)" });
      const key = `helpers:${Date.now()}`;
      expect(await io.incrBy2(key, 3)).toBe(6);
      expect(await io.incrBy2(key, 1)).toBe(8);
      expect(await node.getSet(key, "x")).toBe("8");
      expect(await node.getSet(key, "y")).toBe("x");
    } finally {
      node.destroy();
      await conn.close();
    }
  });
});
