/**
 * RDB files written by KVIS: accepted by redis-check-rdb, loaded by a real redis-server
 * with the same content, and loaded back by KVIS after SHUTDOWN SAVE.
 */
import { describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RawClient, decodeReply } from "../helpers/resp.ts";
import { run, serverTestTimeout, startAll, startKvis, startKvisBinary, startRedis, tempDir } from "../helpers/servers.ts";

serverTestTimeout();

const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));

/** Keys covering every string encoding the writer uses, TTLs and several databases. */
async function fill(c: RawClient): Promise<void> {
  for (const [k, v] of [["i8", "-7"], ["i16", "3000"], ["i32", "-2000000000"], ["big", "9223372036854775807"], ["lead0", "007"], ["raw", "x".repeat(20_000)], ["empty", ""], [all, all]]) {
    expect(await c.call("SET", k!, v!)).toBe("+OK\r\n");
  }
  await c.call("SET", "ttl", "v", "PXAT", "4102444800123");
  await c.call("SELECT", "9");
  await c.call("SET", "nine", "9");
  await c.call("SELECT", "0");
}

/** Every key of databases 0 and 9 with its value and absolute expiry, as raw replies. */
async function snapshot(c: RawClient): Promise<string[]> {
  const out: string[] = [];
  for (const db of ["0", "9"]) {
    await c.call("SELECT", db);
    for (const key of ["i8", "i16", "i32", "big", "lead0", "raw", "empty", all, "ttl", "nine"]) {
      out.push(db, await c.call("GET", key), await c.call("PEXPIRETIME", key));
    }
  }
  await c.call("SELECT", "0");
  return out;
}

describe("SAVE", () => {
  test("the dump passes redis-check-rdb and loads in real Redis with the same content", async () => {
    const kvis = await startKvis();
    const c = await RawClient.connect(kvis.port);
    try {
      await fill(c);
      const before = await snapshot(c);
      const usedMemory = /^used_memory:(\d+)/m.exec(await c.call("INFO", "memory"))![1];
      expect(await c.call("SAVE")).toBe("+OK\r\n");
      expect(await c.call("INFO", "persistence")).toContain("rdb_changes_since_last_save:0\r\n");
      const dump = join(kvis.dir, "dump.rdb");
      const check = await run(["redis-check-rdb", dump]);
      expect(check.stdout + check.stderr).toContain("RDB looks OK!");
      expect(check.code).toBe(0);
      // The header's used-mem is used_memory, as Redis writes it (it was the JavaScript heap).
      expect(check.stdout + check.stderr).toContain(`AUX FIELD used-mem = '${usedMemory}'`);

      const redisDir = tempDir("redis-load-");
      copyFileSync(dump, join(redisDir, "dump.rdb"));
      const redis = await startRedis([], { dir: redisDir });
      try {
        const r = await RawClient.connect(redis.port);
        expect(await snapshot(r)).toEqual(before);
        r.close();
      } finally {
        await redis.stop();
        rmSync(redisDir, { recursive: true, force: true });
      }
    } finally {
      c.close();
      await kvis.stop();
    }
  });

  test("SAVE into a folder that does not exist answers -ERR and leaves nothing behind", async () => {
    const kvis = await startKvis({ dir: "/nonexistent/kvis-test-dir" });
    const c = await RawClient.connect(kvis.port);
    try {
      expect(await c.call("SAVE")).toBe("-ERR\r\n");
      expect(existsSync("/nonexistent/kvis-test-dir")).toBe(false);
    } finally {
      c.close();
      await kvis.stop();
    }
  });
});

describe("SHUTDOWN SAVE", () => {
  test("saves, exits 0, and a restarted KVIS holds the same data", async () => {
    const dir = tempDir();
    try {
      const first = await startKvisBinary(["--dbfilename", "mydb.rdb"], { dir });
      let before: string[];
      try {
        const c = await RawClient.connect(first.port);
        await fill(c);
        before = await snapshot(c);
        c.write("*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n");
        expect(await c.readUntilClose()).toBe("");
        expect(await first.proc.exited).toBe(0);
      } finally {
        await first.stop(); // a no-op once it has exited; kills it if an assertion failed first
      }
      expect(readFileSync(join(dir, "mydb.rdb")).subarray(0, 9).toString()).toBe("REDIS0010");

      const second = await startKvisBinary(["--dbfilename", "mydb.rdb"], { dir });
      try {
        const d = await RawClient.connect(second.port);
        expect(await snapshot(d)).toEqual(before);
        d.close();
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("SAVE with every data type", () => {
  const tableFields = Array.from({ length: 600 }, (_, i) => `f${i}${all.slice(i % 256, (i % 256) + 3)}`);
  const tableMembers = Array.from({ length: 600 }, (_, i) => (i % 2 === 0 ? String(i) : `m${i}${all.slice(i % 256, (i % 256) + 2)}`));
  /** Commands that read every aggregate back; unordered replies are sorted by the caller. */
  const readBack: string[][] = [
    ["LRANGE", "list", "0", "-1"], ["LRANGE", "biglist", "0", "-1"], ["HGET", "hash", "f1"], ["HLEN", "bighash"], ["HGET", "bighash", "f299"],
    ["SMEMBERS", "intset"], ["SCARD", "strset"], ["OBJECT", "ENCODING", "tablehash"], ["HLEN", "tablehash"], ["SCARD", "tableset"],
    // Every field's value and every member, asked for in a fixed order (a table's own order is its own).
    ["HMGET", "tablehash", ...tableFields], ["SMISMEMBER", "tableset", ...tableMembers], ["SISMEMBER", "strset", "m7"], ["ZRANGE", "zset", "0", "-1", "WITHSCORES"],
    ["ZSCORE", "bigzset", "m199"], ["ZCARD", "bigzset"], ["PEXPIRETIME", "list"], ["TYPE", "hash"], ["GET", "hll"],
    ["XINFO", "STREAM", "stream", "FULL", "COUNT", "0"], ["XINFO", "STREAM", "emptystream", "FULL"],
    // Small sorted sets and lists, more than KVIS keeps open between commands: held packed.
    ...[0, 17, 39].flatMap((i) => [["ZRANGE", `sz:${i}`, "0", "-1", "WITHSCORES"], ["LRANGE", `sl:${i}`, "0", "-1"], ["PEXPIRETIME", `sz:${i}`]]),
  ];

  async function fillAggregates(c: RawClient): Promise<void> {
    await c.call("RPUSH", "list", "a", all, "3");
    await c.call("PEXPIREAT", "list", "4102444800123");
    for (let i = 0; i < 300; i++) await c.call("RPUSH", "biglist", `e${i}`);
    await c.call("HSET", "hash", "f1", "v1", all, all);
    for (let i = 0; i < 300; i++) await c.call("HSET", "bighash", `f${i}`, `v${i}`);
    // Hash-table sized, written from the tables' bytes: binary fields, integer-like values.
    for (const [i, field] of tableFields.entries()) await c.call("HSET", "tablehash", field, i % 3 === 0 ? String(i * 1000) : `v${i}${all.slice(0, i % 50)}`);
    await c.call("SADD", "tableset", ...tableMembers);
    await c.call("SADD", "intset", "3", "-1", "100");
    for (let i = 0; i < 50; i++) await c.call("SADD", "strset", `m${i}`);
    await c.call("ZADD", "zset", "1.5", "a", "-inf", "b", "1e300", all);
    for (let i = 0; i < 200; i++) await c.call("ZADD", "bigzset", String(i / 3), `m${i}`);
    await c.call("PFADD", "hll", "x", "y", "z");
    for (let i = 1; i <= 250; i++) {
      const fields = i % 9 === 0 ? ["other", all] : ["n", String(i * 77), "big", String(-(2 ** 40) * i)];
      await c.call("XADD", "stream", `${i % 50 === 0 ? 10 ** 6 * i : 1000 + i}-${(i * 13) % 7}`, ...fields);
    }
    await c.call("XDEL", "stream", "1003-4", "1100-2");
    await c.call("XGROUP", "CREATE", "stream", "g", "0");
    await c.call("XREADGROUP", "GROUP", "g", "alice", "COUNT", "20", "STREAMS", "stream", ">");
    await c.call("XREADGROUP", "GROUP", "g", "bob", "COUNT", "3", "STREAMS", "stream", ">");
    await c.call("XGROUP", "CREATE", "stream", "quiet", "$", "ENTRIESREAD", "12");
    await c.call("XADD", "emptystream", "18446744073709551615-18446744073709551614", "f", "v");
    await c.call("XDEL", "emptystream", "18446744073709551615-18446744073709551614");
    await c.call("XGROUP", "CREATE", "emptystream", "g", "$");
    for (let i = 0; i < 40; i++) {
      await c.call("ZADD", `sz:${i}`, String(i), all, "-2.5", `m${i}`);
      await c.call("RPUSH", `sl:${i}`, all, String(i), "");
    }
    await c.call("PEXPIREAT", "sz:17", "4102444800123");
  }

  async function readAll(c: RawClient): Promise<string[]> {
    const out: string[] = [];
    for (const args of readBack) out.push(await c.call(...args));
    return out;
  }

  test("the dump passes redis-check-rdb, loads in real Redis and in KVIS with the same content", async () => {
    const kvis = await startKvis();
    const c = await RawClient.connect(kvis.port);
    const redisDir = tempDir("redis-load-");
    const kvisDir = tempDir("kvis-load-");
    try {
      await fillAggregates(c);
      const before = await readAll(c);
      expect(await c.call("SAVE")).toBe("+OK\r\n");
      const dump = join(kvis.dir, "dump.rdb");
      const check = await run(["redis-check-rdb", dump]);
      expect(check.stdout + check.stderr).toContain("RDB looks OK!");

      copyFileSync(dump, join(redisDir, "dump.rdb"));
      const redis = await startRedis([], { dir: redisDir });
      try {
        const r = await RawClient.connect(redis.port);
        expect(await readAll(r)).toEqual(before);
        r.close();
      } finally {
        await redis.stop();
      }

      copyFileSync(dump, join(kvisDir, "dump.rdb"));
      const again = await startKvis({ dir: kvisDir });
      try {
        const k = await RawClient.connect(again.port);
        expect(await readAll(k)).toEqual(before);
        k.close();
      } finally {
        await again.stop();
      }
    } finally {
      c.close();
      await kvis.stop();
      rmSync(redisDir, { recursive: true, force: true });
      rmSync(kvisDir, { recursive: true, force: true });
    }
  });
});

describe("access times and frequencies (maxmemory-policy -lru and -lfu)", () => {
  for (const [policy, field] of [["allkeys-lru", "IDLETIME"], ["allkeys-lfu", "FREQ"]] as const) {
    test(`under ${policy} each key's OBJECT ${field} goes into the dump and comes back, between KVIS and Redis both ways`, async () => {
      // No decay: frequencies stay exact across minutes.
      const settings = { "maxmemory-policy": policy, "lfu-decay-time": "0" };
      const args = Object.entries(settings).flatMap(([k, v]) => [`--${k}`, v]);
      // A string, an aggregate and a key with a TTL, each given its idle time or counter; one left new.
      const given: Record<string, number> = policy === "allkeys-lru" ? { s: 5000, h: 7000, t: 9000 } : { s: 100, h: 50, t: 200 };
      const expected = { ...given, fresh: policy === "allkeys-lru" ? 0 : 5 };
      const fill = async (c: RawClient) => {
        await c.call("HSET", "src", "f", "v");
        const hash = decodeReply(await c.call("DUMP", "src")) as string;
        await c.call("SET", "src", "v");
        const string = decodeReply(await c.call("DUMP", "src")) as string;
        await c.call("DEL", "src");
        for (const [key, n] of Object.entries(given)) expect(await c.call("RESTORE", key, key === "t" ? "4102444800123" : "0", key === "h" ? hash : string, "ABSTTL", field, String(n))).toBe("+OK\r\n");
        await c.call("SET", "fresh", "v");
        expect(await c.call("SAVE")).toBe("+OK\r\n");
      };
      // Idle times count on in seconds while the test runs.
      const read = async (port: number, what: string) => {
        const c = await RawClient.connect(port);
        try {
          for (const [key, n] of Object.entries(expected)) {
            const got = Number((await c.call("OBJECT", field, key)).slice(1, -2));
            if (policy === "allkeys-lru") expect(got, `${what}: ${key}`).toBeWithin(n, n + 5);
            else expect(got, `${what}: ${key}`).toBe(n);
          }
        } finally {
          c.close();
        }
      };
      const [kvis, redis] = await startAll([() => startKvis(settings), () => startRedis(args)]);
      const [kvisDumpDir, redisDumpDir] = [tempDir("kvis-dump-"), tempDir("redis-dump-")];
      try {
        for (const server of [kvis!, redis!]) {
          const c = await RawClient.connect(server.port);
          await fill(c);
          c.close();
          await read(server.port, "as set");
        }
        copyFileSync(join(kvis!.dir, "dump.rdb"), join(kvisDumpDir, "dump.rdb"));
        copyFileSync(join(redis!.dir, "dump.rdb"), join(redisDumpDir, "dump.rdb"));
        const [redisOnKvis, kvisOnRedis] = await startAll([() => startRedis(args, { dir: kvisDumpDir }), () => startKvis({ ...settings, dir: redisDumpDir })]);
        try {
          await read(redisOnKvis!.port, "Redis loading KVIS's dump");
          await read(kvisOnRedis!.port, "KVIS loading Redis's dump");
        } finally {
          await Promise.all([redisOnKvis!.stop(), kvisOnRedis!.stop()]);
        }
      } finally {
        await Promise.all([kvis!.stop(), redis!.stop()]);
        for (const dir of [kvisDumpDir, redisDumpDir]) rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe("rdbcompression and rdbchecksum", () => {
  test("switched off, the dump is uncompressed and ends in a zero checksum; Redis accepts both forms", async () => {
    const value = "abc".repeat(5000);
    const sizes: number[] = [];
    // rdbchecksum is set at start-up (immutable, as in Redis), rdbcompression at run time.
    for (const [compression, checksum] of [["yes", "yes"], ["no", "no"]]) {
      const kvis = await startKvis({ rdbchecksum: checksum! });
      const c = await RawClient.connect(kvis.port);
      try {
        await c.call("SET", "big", value);
        expect(await c.call("CONFIG", "SET", "rdbcompression", compression!)).toBe("+OK\r\n");
        expect(await c.call("CONFIG", "SET", "rdbchecksum", checksum!)).toBe("-ERR CONFIG SET failed (possibly related to argument 'rdbchecksum') - can't set immutable config\r\n");
        expect(await c.call("SAVE")).toBe("+OK\r\n");
        const dump = readFileSync(join(kvis.dir, "dump.rdb"));
        sizes.push(dump.length);
        expect(dump.subarray(-8).every((b) => b === 0)).toBe(checksum === "no");
        const check = await run(["redis-check-rdb", join(kvis.dir, "dump.rdb")]);
        expect(check.stdout + check.stderr).toContain("RDB looks OK!");
        const redisDir = tempDir("redis-load-");
        copyFileSync(join(kvis.dir, "dump.rdb"), join(redisDir, "dump.rdb"));
        const redis = await startRedis([], { dir: redisDir });
        try {
          const r = await RawClient.connect(redis.port);
          expect(await r.call("GET", "big")).toBe(`$${value.length}\r\n${value}\r\n`);
          r.close();
        } finally {
          await redis.stop();
          rmSync(redisDir, { recursive: true, force: true });
        }
      } finally {
        c.close();
        await kvis.stop();
      }
    }
    expect(sizes[0]!).toBeLessThan(1000);
    expect(sizes[1]!).toBeGreaterThan(value.length);
  });
});
