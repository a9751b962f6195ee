/**
 * The clients our users use, against an in-process KVIS: redis-cli, Bun's RedisClient
 * (which opens with HELLO 3), ioredis and node-redis in RESP2 and RESP3.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import IORedis from "ioredis";
import { createClient } from "redis";
import { type InProcessKvis, run, startKvis } from "../helpers/servers.ts";

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
    expect((await cli("TTL", "greeting")).stdout).toBe("100\n");
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
    expect(kvis.server.keyspace.dbs[0]!.dict.get("bin")).toBe(all);
  });

  test("INFO, CONFIG GET with a glob, KEYS and CLIENT LIST", async () => {
    await cli("SET", "user:1", "a");
    await cli("SET", "user:2", "b");
    await cli("SET", "other", "c");
    const info = (await cli("INFO", "server", "keyspace")).stdout;
    expect(info).toContain("redis_version:");
    expect(info).toContain("db0:keys=3,expires=0");
    expect((await cli("CONFIG", "GET", "*max-*")).stdout).toBe("proto-max-bulk-len\n536870912\n");
    expect((await cli("KEYS", "user:*")).stdout.split("\n").filter(Boolean).sort()).toEqual(["user:1", "user:2"]);
    expect((await cli("CLIENT", "LIST")).stdout).toMatch(/^id=\d+ addr=127\.0\.0\.1:\d+ .*cmd=client\|list/);
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
