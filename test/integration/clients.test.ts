/**
 * The clients our users use, against an in-process KVIS: redis-cli, Bun's RedisClient
 * (which opens with HELLO 3), ioredis and node-redis in RESP2 and RESP3.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import IORedis from "ioredis";
import { createClient } from "redis";
import { type InProcessKvis, run, serverTestTimeout, startKvis, waitBlocked, waitFor } from "../helpers/servers.ts";

serverTestTimeout();

let kvis: InProcessKvis;
beforeAll(async () => {
  kvis = await startKvis();
});
afterAll(async () => {
  await kvis.stop();
});
beforeEach(() => {
  kvis.server.keyspace.flushAll();
});

const cli = (...args: string[]) => run(["redis-cli", "-p", String(kvis.port), ...args]);

describe("redis-cli", () => {
  test("PING, SET, GET, TTL and errors print as they do against Redis", async () => {
    expect((await cli("PING")).stdout).toBe("PONG\n");
    expect((await cli("SET", "greeting", "hello world", "EX", "100")).stdout).toBe("OK\n");
    expect((await cli("GET", "greeting")).stdout).toBe("hello world\n");
    // An integer reply, printed bare; seconds pass between the spawns on a busy machine.
    const ttl = (await cli("TTL", "greeting")).stdout;
    expect(ttl).toMatch(/^\d+\n$/);
    expect(Number(ttl)).toBeGreaterThan(50);
    expect(Number(ttl)).toBeLessThanOrEqual(100);
    expect((await cli("GET", "nope")).stdout).toBe("\n");
    expect((await cli("--no-raw", "GET", "nope")).stdout).toBe("(nil)\n");
    expect((await cli("--no-raw", "GET")).stdout).toBe("(error) ERR wrong number of arguments for 'get' command\n");
  });

  test("commands typed into an interactive session, including inline quoting", async () => {
    const out = await run(["redis-cli", "-p", String(kvis.port)], 'SET "two words" "a\\tb"\nGET "two words"\nDBSIZE\n');
    expect(out.stdout).toBe("OK\na\tb\n1\n");
  });

  test("binary values from stdin (-x) round-trip exactly", async () => {
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    const proc = Bun.spawn(["redis-cli", "-p", String(kvis.port), "-x", "SET", "bin"], {
      stdin: Buffer.from(all, "latin1"),
      stdout: "pipe",
    });
    expect(await new Response(proc.stdout).text()).toBe("OK\n");
    expect(kvis.server.keyspace.dbs[0]!.peek("bin")).toBe(all);
  });

  test("INFO, CONFIG GET with a glob, KEYS and CLIENT LIST", async () => {
    await cli("SET", "user:1", "a");
    await cli("SET", "user:2", "b");
    await cli("SET", "other", "c");
    const info = (await cli("INFO", "server", "keyspace")).stdout;
    expect(info).toContain("redis_version:");
    expect(info).toContain("db0:keys=3,expires=0");
    expect((await cli("CONFIG", "GET", "*-max-bulk-*")).stdout).toBe("proto-max-bulk-len\n536870912\n");
    expect((await cli("KEYS", "user:*")).stdout.split("\n").filter(Boolean).sort()).toEqual(["user:1", "user:2"]);
    expect((await cli("CLIENT", "LIST")).stdout).toMatch(/^id=\d+ addr=127\.0\.0\.1:\d+ .*cmd=client\|list/);
    // A connection's fd is its socket's, as in Redis (-1 is for clients with none).
    expect((await cli("CLIENT", "INFO")).stdout).toMatch(/ fd=([3-9]|[1-9]\d+) /);
  });

  test("redis-cli --resp3 (HELLO 3) prints RESP3 types", async () => {
    await cli("SET", "k", "v");
    expect((await cli("-3", "--no-raw", "GET", "missing")).stdout).toBe("(nil)\n");
    expect((await cli("-3", "--no-raw", "CONFIG", "GET", "hz")).stdout).toBe('1# "hz" => "10"\n');
  });
});

describe("Bun RedisClient (RESP3)", () => {
  test("set, get, expire, ttl, exists, del", async () => {
    const client = new Bun.RedisClient(`redis://127.0.0.1:${kvis.port}`);
    try {
      await client.set("name", "kvis");
      expect(await client.get("name")).toBe("kvis");
      expect(await client.exists("name")).toBe(true);
      await client.expire("name", 100);
      expect(await client.ttl("name")).toBe(100);
      expect(await client.send("PERSIST", ["name"])).toBe(1);
      expect(await client.del("name")).toBe(1);
      expect(await client.get("name")).toBeNull();
      expect(await client.send("CONFIG", ["GET", "databases"])).toEqual({ databases: "16" });
      await expect(client.send("NOSUCH", [])).rejects.toThrow("unknown command");
    } finally {
      client.close();
    }
  });
});

describe("ioredis", () => {
  test("commands and a pipeline", async () => {
    const client = new IORedis({ port: kvis.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await client.connect();
      expect(await client.set("a", "1", "PX", 100000)).toBe("OK");
      expect(await client.get("a")).toBe("1");
      const results = await client.pipeline().set("b", "2").get("b").del("a", "b").exists("a").exec();
      expect(results).toEqual([[null, "OK"], [null, "2"], [null, 2], [null, 0]]);
      await expect(client.call("EXPIRE", "k", "abc")).rejects.toThrow("ERR value is not an integer or out of range");
    } finally {
      client.disconnect();
    }
  });
});

describe("node-redis", () => {
  for (const RESP of [2, 3] as const) {
    test(`commands in RESP${RESP}`, async () => {
      const client = createClient({ socket: { port: kvis.port, host: "127.0.0.1", reconnectStrategy: false }, RESP });
      client.on("error", () => {});
      await client.connect();
      try {
        expect(await client.set("k", "v", { expiration: { type: "EX", value: 50 } })).toBe("OK");
        expect(await client.get("k")).toBe("v");
        expect(await client.ttl("k")).toBe(50);
        expect(await client.dbSize()).toBe(1);
        expect((await client.sendCommand(["SELECT", "1"])) as unknown).toBe("OK");
        expect((await client.sendCommand(["DBSIZE"])) as unknown).toBe(0);
      } finally {
        client.destroy();
      }
    });
  }
});

describe("the data types through real clients", () => {
  test("redis-cli prints lists, hashes, sets and sorted sets as it does against Redis", async () => {
    await cli("RPUSH", "l", "a", "b", "c");
    expect((await cli("--no-raw", "LRANGE", "l", "0", "-1")).stdout).toBe('1) "a"\n2) "b"\n3) "c"\n');
    await cli("HSET", "h", "f", "v");
    expect((await cli("-3", "--no-raw", "HGETALL", "h")).stdout).toBe('1# "f" => "v"\n');
    await cli("SADD", "s", "3", "1", "2");
    expect((await cli("--no-raw", "SMEMBERS", "s")).stdout).toBe('1) "1"\n2) "2"\n3) "3"\n');
    await cli("ZADD", "z", "1.5", "m");
    expect((await cli("-3", "--no-raw", "ZSCORE", "z", "m")).stdout).toBe("(double) 1.5\n");
    expect((await cli("--no-raw", "LPUSH", "h", "x")).stdout).toBe("(error) WRONGTYPE Operation against a key holding the wrong kind of value\n");
  });

  test("Bun RedisClient: list, hash, set and sorted-set helpers in RESP3", async () => {
    const client = new Bun.RedisClient(`redis://127.0.0.1:${kvis.port}`);
    try {
      expect(await client.send("RPUSH", ["queue", "a", "b", "c"])).toBe(3);
      expect(await client.send("LPOP", ["queue"])).toBe("a");
      expect(await client.send("LRANGE", ["queue", "0", "-1"])).toEqual(["b", "c"]);
      expect(await client.hset("user:1", "name", "Ada")).toBe(1);
      expect(await client.hget("user:1", "name")).toBe("Ada");
      expect(await client.send("HGETALL", ["user:1"])).toEqual({ name: "Ada" });
      expect(await client.sadd("tags", "x")).toBe(1);
      expect(await client.sismember("tags", "x")).toBe(true);
      expect(await client.send("ZADD", ["board", "10", "p1", "20", "p2"])).toBe(2);
      expect(await client.send("ZRANGE", ["board", "0", "-1", "WITHSCORES"])).toEqual([["p1", 10], ["p2", 20]]);
      expect(await client.incr("counter")).toBe(1);
      await expect(client.send("LPUSH", ["user:1", "x"])).rejects.toThrow("WRONGTYPE");
    } finally {
      client.close();
    }
  });

  test("ioredis: a pipeline over every type and SCAN streams", async () => {
    const client = new IORedis({ port: kvis.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await client.connect();
      const results = await client
        .pipeline()
        .rpush("l", "1", "2")
        .hset("h", { a: "1", b: "2" })
        .sadd("s", "m")
        .zadd("z", 3, "c", 1, "a")
        .incrbyfloat("f", 0.1)
        .hgetall("h")
        .zrange("z", 0, -1, "WITHSCORES")
        .exec();
      expect(results).toEqual([[null, 2], [null, 2], [null, 1], [null, 2], [null, "0.1"], [null, { a: "1", b: "2" }], [null, ["a", "1", "c", "3"]]]);
      for (let i = 0; i < 250; i++) await client.set(`scan:${i}`, "v");
      const seen = new Set<string>();
      await new Promise<void>((resolve, reject) => {
        const stream = client.scanStream({ match: "scan:*", count: 20 });
        stream.on("data", (keys: string[]) => keys.forEach((k) => seen.add(k)));
        stream.on("end", resolve);
        stream.on("error", reject);
      });
      expect(seen.size).toBe(250);
    } finally {
      client.disconnect();
    }
  });

  for (const RESP of [2, 3] as const) {
    test(`node-redis: hashes, sets, sorted sets and lists in RESP${RESP}`, async () => {
      const client = createClient({ socket: { port: kvis.port, host: "127.0.0.1", reconnectStrategy: false }, RESP });
      client.on("error", () => {});
      await client.connect();
      try {
        expect(await client.hSet("h", { a: "1", b: "2" })).toBe(2);
        expect(await client.hGetAll("h")).toEqual({ a: "1", b: "2" });
        expect(await client.hIncrBy("h", "a", 5)).toBe(6);
        expect(await client.sAdd("s", ["x", "y"])).toBe(2);
        expect((await client.sMembers("s")).sort()).toEqual(["x", "y"]);
        expect(await client.zAdd("z", [{ score: 2, value: "b" }, { score: 1, value: "a" }])).toBe(2);
        expect(await client.zRangeWithScores("z", 0, -1)).toEqual([{ value: "a", score: 1 }, { value: "b", score: 2 }]);
        expect(await client.zScore("z", "b")).toBe(2);
        expect(await client.lPush("l", ["1", "2"])).toBe(2);
        expect(await client.lRange("l", 0, -1)).toEqual(["2", "1"]);
        expect(await client.pfAdd("hll", ["a", "b", "c"])).toBe(1);
        expect(await client.pfCount("hll")).toBe(3);
      } finally {
        client.destroy();
      }
    });
  }
});

describe("transactions through real clients", () => {
  test("ioredis: MULTI/EXEC with a runtime error inside, and WATCH that fails on a concurrent change", async () => {
    const client = new IORedis({ port: kvis.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
    const other = new IORedis({ port: kvis.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await client.connect();
      await other.connect();
      const results = await client.multi().set("tx", "1").incr("tx").lpush("tx", "x").get("tx").exec();
      expect(results![0]).toEqual([null, "OK"]);
      expect(results![1]).toEqual([null, 2]);
      expect(String(results![2]![0])).toContain("WRONGTYPE");
      expect(results![3]).toEqual([null, "2"]);
      await client.watch("tx");
      await other.set("tx", "changed");
      expect(await client.multi().incr("tx").exec()).toBeNull();
      await client.watch("tx");
      expect(await client.multi().set("tx", "mine").exec()).toEqual([[null, "OK"]]);
      expect(await other.get("tx")).toBe("mine");
    } finally {
      client.disconnect();
      other.disconnect();
    }
  });

  for (const RESP of [2, 3] as const) {
    test(`node-redis RESP${RESP}: multi().exec() and a WATCH conflict`, async () => {
      const client = createClient({ socket: { port: kvis.port, host: "127.0.0.1", reconnectStrategy: false }, RESP });
      const other = createClient({ socket: { port: kvis.port, host: "127.0.0.1", reconnectStrategy: false }, RESP });
      client.on("error", () => {});
      other.on("error", () => {});
      await client.connect();
      await other.connect();
      try {
        expect((await client.multi().set("n", "1").incr("n").hSet("h", "f", "v").exec()) as unknown).toEqual(["OK", 2, 1]);
        await client.watch("n");
        await other.set("n", "9");
        await expect(client.multi().incr("n").exec()).rejects.toThrow();
        expect(await client.get("n")).toBe("9");
      } finally {
        client.destroy();
        other.destroy();
      }
    });
  }
});

describe("pub/sub through real clients", () => {
  test("ioredis: subscribe, psubscribe, and resubscription after the connection is killed", async () => {
    const sub = new IORedis({ port: kvis.port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => 50 });
    const pub = new IORedis({ port: kvis.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
    const got: string[] = [];
    sub.on("message", (channel, message) => got.push(`${channel}:${message}`));
    sub.on("pmessage", (pattern, channel, message) => got.push(`${pattern}>${channel}:${message}`));
    sub.on("error", () => {});
    try {
      await sub.connect();
      await pub.connect();
      expect(await sub.subscribe("news", "sports")).toBe(2);
      expect(await sub.psubscribe("n*")).toBe(3);
      expect(await pub.publish("news", "one")).toBe(2);
      expect(await pub.publish("sports", "two")).toBe(1);
      await waitFor(() => got.length === 3, 20_000, "messages");
      expect(got.sort()).toEqual(["n*>news:one", "news:one", "sports:two"]);
      // Kill the subscriber's connection (a pubsub client, as Redis types it): ioredis reconnects and subscribes again.
      expect(await pub.client("KILL", "TYPE", "pubsub", "SKIPME", "yes")).toBeGreaterThan(0);
      await waitFor(async () => (await pub.pubsub("NUMSUB", "news"))[1] === 1 || undefined, 20_000, "the resubscription");
      got.length = 0;
      expect(await pub.publish("news", "three")).toBe(2);
      await waitFor(() => got.length === 2, 20_000, "messages after reconnecting");
      expect(got.sort()).toEqual(["n*>news:three", "news:three"]);
    } finally {
      sub.disconnect();
      pub.disconnect();
    }
  });

  for (const RESP of [2, 3] as const) {
    test(`node-redis RESP${RESP}: subscribe and pSubscribe listeners`, async () => {
      const sub = createClient({ socket: { port: kvis.port, host: "127.0.0.1", reconnectStrategy: false }, RESP });
      const pub = createClient({ socket: { port: kvis.port, host: "127.0.0.1", reconnectStrategy: false }, RESP });
      sub.on("error", () => {});
      pub.on("error", () => {});
      await sub.connect();
      await pub.connect();
      const got: string[] = [];
      try {
        await sub.subscribe("ch", (message, channel) => void got.push(`${channel}:${message}`));
        await sub.pSubscribe("c*", (message, channel) => void got.push(`p ${channel}:${message}`));
        expect(await pub.publish("ch", "hello")).toBe(2);
        await waitFor(() => got.length === 2, 20_000, "messages");
        expect(got.sort()).toEqual(["ch:hello", "p ch:hello"]);
        await sub.unsubscribe("ch");
        await sub.pUnsubscribe("c*");
        expect(await pub.publish("ch", "again")).toBe(0);
      } finally {
        sub.destroy();
        pub.destroy();
      }
    });
  }

  test("Bun RedisClient: subscribe and publish", async () => {
    const sub = new Bun.RedisClient(`redis://127.0.0.1:${kvis.port}`);
    const pub = new Bun.RedisClient(`redis://127.0.0.1:${kvis.port}`);
    const got: string[] = [];
    try {
      await sub.subscribe("bun", (message, channel) => void got.push(`${channel}:${message}`));
      expect(await pub.publish("bun", "hi")).toBe(1);
      await waitFor(() => got.length === 1, 20_000, "the message");
      expect(got).toEqual(["bun:hi"]);
    } finally {
      sub.close();
      pub.close();
    }
  });
});

describe("blocking pops through real clients", () => {
  test("ioredis BLPOP and node-redis BZPOPMIN wait for a push", async () => {
    const io = new IORedis({ port: kvis.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
    const nr = createClient({ socket: { port: kvis.port, host: "127.0.0.1", reconnectStrategy: false }, RESP: 3 });
    const pusher = new IORedis({ port: kvis.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
    nr.on("error", () => {});
    try {
      await io.connect();
      await nr.connect();
      await pusher.connect();
      const popped = io.blpop("jobs", 20);
      const zpopped = nr.bzPopMin("ranks", 20);
      expect(await pusher.blpop("nothing", 0.05)).toBeNull();
      await waitBlocked(kvis.port, 2);
      await pusher.rpush("jobs", "job-1");
      await pusher.zadd("ranks", 3, "c", 1, "a");
      expect(await popped).toEqual(["jobs", "job-1"]);
      expect((await zpopped) as unknown).toEqual({ key: "ranks", value: "a", score: 1 });
    } finally {
      io.disconnect();
      pusher.disconnect();
      nr.destroy();
    }
  });
});

describe("streams through real clients", () => {
  test("ioredis: producer, a consumer group with a blocked reader, XACK, XPENDING, XCLAIM", async () => {
    const consumer = new IORedis({ port: kvis.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
    const producer = new IORedis({ port: kvis.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await consumer.connect();
      await producer.connect();
      expect(await producer.xgroup("CREATE", "orders", "workers", "$", "MKSTREAM")).toBe("OK");
      const read = consumer.xreadgroup("GROUP", "workers", "w1", "COUNT", 10, "BLOCK", 20_000, "STREAMS", "orders", ">");
      await waitBlocked(kvis.port);
      const id = await producer.xadd("orders", "*", "item", "book", "qty", "2");
      expect(id).toMatch(/^\d+-\d+$/);
      expect(await read).toEqual([["orders", [[id!, ["item", "book", "qty", "2"]]]]]);
      const pending = (await producer.xpending("orders", "workers")) as unknown[];
      expect(pending.slice(0, 3)).toEqual([1, id, id]);
      expect(pending[3]).toEqual([["w1", "1"]]);
      const claimed = await producer.xclaim("orders", "workers", "w2", 0, id!);
      expect(claimed).toEqual([[id, ["item", "book", "qty", "2"]]]);
      expect(await producer.xack("orders", "workers", id!)).toBe(1);
      expect(await producer.xlen("orders")).toBe(1);
      expect(await producer.xrange("orders", "-", "+")).toEqual([[id!, ["item", "book", "qty", "2"]]]);
      const info = (await producer.xinfo("STREAM", "orders")) as unknown[];
      expect(info.slice(0, 2)).toEqual(["length", 1]);
    } finally {
      consumer.disconnect();
      producer.disconnect();
    }
  });

  for (const RESP of [2, 3] as const) {
    test(`node-redis RESP${RESP}: xAdd, xReadGroup, xAck, xAutoClaim, xInfoGroups, blocking xRead`, async () => {
      // node-redis marks its RESP3 stream replies as unstable and wants them asked for.
      const options = { socket: { port: kvis.port, host: "127.0.0.1", reconnectStrategy: false as const }, RESP, unstableResp3: true };
      const client = createClient(options);
      const reader = createClient(options);
      client.on("error", () => {});
      reader.on("error", () => {});
      const key = `events${RESP}`;
      // RESP2 replies are parsed into objects; the RESP3 ones come as sent.
      const entry = (id: string, message: Record<string, string>) => (RESP === 2 ? { id, message } : [id, Object.entries(message).flat()]);
      try {
        await client.connect();
        await reader.connect();
        const first = await client.xAdd(key, "*", { type: "click", x: "10" });
        await client.xGroupCreate(key, "g", "0");
        const messages = (await client.xReadGroup("g", "c1", { key, id: ">" }, { COUNT: 5 })) as unknown;
        const entries = RESP === 2 ? (messages as Array<{ name: string; messages: unknown[] }>)[0]!.messages : (messages as Record<string, unknown[]>)[key];
        expect(entries).toEqual([entry(first, { type: "click", x: "10" })]);
        const claimed = await client.xAutoClaim(key, "g", "c2", 0, "0-0");
        expect(claimed.nextId).toBe("0-0");
        expect(claimed.messages).toEqual([{ id: first, message: { type: "click", x: "10" } }]);
        expect(await client.xAck(key, "g", first)).toBe(1);
        const groups = await client.xInfoGroups(key);
        expect(groups[0]).toMatchObject({ name: "g", consumers: 2, pending: 0, "last-delivered-id": first });
        const waiting = reader.xRead({ key, id: "$" }, { BLOCK: 20_000 });
        await waitBlocked(kvis.port);
        const second = await client.xAdd(key, "*", { type: "scroll" });
        const got = (await waiting) as unknown;
        const gotEntries = RESP === 2 ? (got as Array<{ messages: unknown[] }>)[0]!.messages : (got as Record<string, unknown[]>)[key];
        expect(gotEntries).toEqual([entry(second, { type: "scroll" })]);
      } finally {
        client.destroy();
        reader.destroy();
      }
    });
  }

  test("Bun RedisClient (RESP3): XADD, XRANGE and XREAD through send", async () => {
    const client = new Bun.RedisClient(`redis://127.0.0.1:${kvis.port}`);
    try {
      const id = (await client.send("XADD", ["bunstream", "1-1", "k", "v"])) as string;
      expect(id).toBe("1-1");
      expect(await client.send("XRANGE", ["bunstream", "-", "+"])).toEqual([["1-1", ["k", "v"]]]);
      expect(await client.send("XREAD", ["STREAMS", "bunstream", "0"])).toEqual({ bunstream: [["1-1", ["k", "v"]]] });
      expect(await client.send("XLEN", ["bunstream"])).toBe(1);
    } finally {
      client.close();
    }
  });
});

describe("client-side caching through a real client", () => {
  test("node-redis RESP3 clientSideCache serves repeats from its cache until KVIS invalidates the key", async () => {
    const cached = createClient({ socket: { port: kvis.port }, RESP: 3, clientSideCache: { ttl: 0, maxEntries: 0 } });
    const writer = createClient({ socket: { port: kvis.port } });
    await cached.connect();
    await writer.connect();
    try {
      await writer.set("cached", "1");
      const hitsBefore = kvis.server.keyspace.stats.keyspaceHits;
      expect(await cached.get("cached")).toBe("1");
      expect(await cached.get("cached")).toBe("1");
      // The second GET never reached the server.
      expect(kvis.server.keyspace.stats.keyspaceHits - hitsBefore).toBe(1);
      await writer.set("cached", "2");
      await waitFor(async () => (await cached.get("cached")) === "2", 20_000, "the invalidated key to be read again");
      expect(kvis.server.keyspace.stats.keyspaceHits - hitsBefore).toBe(2);
    } finally {
      cached.destroy();
      writer.destroy();
    }
  });
});
