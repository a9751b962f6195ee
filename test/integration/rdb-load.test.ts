/**
 * Dumps written by a real redis-server 7 load in KVIS with the same content: every type in
 * its small (listpack, intset) and large encodings, quicklist nodes both packed and plain,
 * every integer width the compact encodings have, LZF-compressed and binary strings,
 * streams (several nodes, tombstones, consumer groups with pending entries), several
 * databases, TTLs, a key already expired (dropped) and a function library
 * (skipped with a warning). DUMP payloads move both ways between KVIS and Redis, and the
 * forms only older Redis versions wrote are checked by RESTOREing them into both.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, copyFileSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RdbError } from "../../src/errors.ts";
import { FileWindow, PiecesWindow, loadImageSteps, loadRdb } from "../../src/persistence/rdb-reader.ts";
import { dumpPayload as dumpOf } from "../../src/persistence/rdb-writer.ts";
import { Keyspace } from "../../src/store/keyspace.ts";
import { datasetOf } from "../helpers/dataset.ts";
import { seededRandom } from "../helpers/random.ts";
import { dumpPayload, rdbLength, rdbString, ziplist, zipmap } from "../helpers/legacy-rdb.ts";
import { RawClient, decodeReply } from "../helpers/resp.ts";
import { type ChildServer, serverTestTimeout, startKvis, startRedis, tempDir, waitExpired } from "../helpers/servers.ts";

serverTestTimeout();

const DBS = [0, 3, 15];
const INTS = ["0", "127", "128", "-1", "4095", "-4096", "4096", "32767", "-32768", "8388607", "-8388608", "2147483647", "-2147483648", "9223372036854775807", "-9223372036854775808", "12"];
const binary = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));

/** Fill a real Redis with one key of every shape the loader has to read. */
async function fill(c: RawClient): Promise<void> {
  const ok = async (...args: string[]) => {
    const reply = await c.call(...args);
    if (reply.startsWith("-")) throw new Error(`${args[0]}: ${reply}`);
  };
  await ok("SET", "int", "12345");
  await ok("SET", "negative", "-77");
  await ok("SET", "int64", "9223372036854775807");
  await ok("SET", "padded", "007");
  await ok("SET", "compressible", "abc".repeat(7000));
  await ok("SET", "binary", binary);
  await ok("SET", "empty", "");
  await ok("RPUSH", "list:small", ...INTS, "", "x".repeat(100), "y".repeat(5000), binary);
  await ok("RPUSH", "list:big", ...range(3000, (i) => `element-${i}`));
  await ok("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1000");
  await ok("RPUSH", "list:plain", "a", "p".repeat(1500), "b");
  await ok("SADD", "set:int16", "1", "2", "-3");
  await ok("SADD", "set:int64", ...INTS);
  await ok("SADD", "set:bigints", ...range(600, (i) => String(i * 7)));
  await ok("SADD", "set:strings", "a", "b", binary);
  await ok("SADD", "set:big", ...range(1000, (i) => `member-${i}`));
  await ok("HSET", "hash:small", ...INTS.flatMap((n, i) => [`f${i}`, n]), "bin", binary);
  await ok("HSET", "hash:big", ...range(1000, (i) => `field-${i}`).flatMap((f, i) => [f, String(i)]));
  await ok("HSET", "hash:longvalue", "f", "v".repeat(100));
  await ok("ZADD", "zset:small", "1", "one", "-2.5", "neg", "inf", "top", "-inf", "bottom", "3.141592653589793", "pi", "1e100", "huge", "0", binary);
  await ok("ZADD", "zset:big", ...range(500, (i) => `m-${i}`).flatMap((m, i) => [String(i / 3), m]));
  await ok("XADD", "stream:small", "1-1", "f", "v", "int", "-4096", "bin", binary);
  await ok("XADD", "stream:small", "5-10", "f", "w", "int", "9223372036854775807", "bin", "");
  await ok("XADD", "stream:small", "6-0", "other", "x");
  for (let i = 1; i <= 250; i++) await ok("XADD", "stream:big", `${1000 + i}-${i % 5}`, "n", String(i * 1000), ...(i % 10 === 0 ? ["extra", "y".repeat(i)] : []));
  await ok("XDEL", "stream:big", "1005-0", "1150-0", "1151-1");
  await ok("XTRIM", "stream:big", "MAXLEN", "240");
  await ok("XGROUP", "CREATE", "stream:big", "readers", "0");
  await ok("XREADGROUP", "GROUP", "readers", "alice", "COUNT", "30", "STREAMS", "stream:big", ">");
  await ok("XREADGROUP", "GROUP", "readers", "bob", "COUNT", "5", "STREAMS", "stream:big", ">");
  await ok("XACK", "stream:big", "readers", "1020-0", "1021-1");
  await ok("XGROUP", "CREATECONSUMER", "stream:big", "readers", "idle");
  await ok("XGROUP", "CREATE", "stream:big", "noack", "$", "ENTRIESREAD", "7");
  await ok("XGROUP", "CREATE", "stream:big", "unknown", "1100-0");
  await ok("XREADGROUP", "GROUP", "noack", "carol", "NOACK", "STREAMS", "stream:big", ">");
  await ok("XADD", "stream:empty", "18446744073709551615-5", "f", "v");
  await ok("XDEL", "stream:empty", "18446744073709551615-5");
  await ok("XGROUP", "CREATE", "stream:empty", "g", "$");
  await ok("SET", "ttl:ms", "v", "PXAT", "4102444800123");
  await ok("SET", "ttl:int", "42", "PXAT", "4102444800789");
  await ok("HSET", "ttl:hash", "f", "v");
  await ok("PEXPIREAT", "ttl:hash", "4102444800456");
  await ok("DEBUG", "SET-ACTIVE-EXPIRE", "0");
  await ok("SET", "expired", "gone", "PX", "1");
  await ok("FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('f', function() return 1 end)");
  for (const db of [3, 15]) {
    await ok("SELECT", String(db));
    await ok("SET", `in-${db}`, String(db));
    await ok("RPUSH", `list-${db}`, "a", "b");
  }
  await ok("SELECT", "0");
  // The dump holds a key whose time is past.
  await waitExpired(c, "expired");
}

describe("loading dumps written by real Redis", () => {
  let redis: ChildServer;
  let r: RawClient;
  let expected: Awaited<ReturnType<typeof datasetOf>>;

  beforeAll(async () => {
    redis = await startRedis(["--enable-debug-command", "yes"]);
    r = await RawClient.connect(redis.port);
    await fill(r);
    expect(await r.call("SAVE")).toBe("+OK\r\n");
    expected = await datasetOf(r, DBS);
  });

  afterAll(async () => {
    r?.close();
    await redis?.stop();
  });

  test("every type and encoding loads with the same content, encodings and TTLs", async () => {
    const dir = tempDir();
    copyFileSync(join(redis.dir, "dump.rdb"), join(dir, "dump.rdb"));
    const kvis = await startKvis({ dir });
    const c = await RawClient.connect(kvis.port);
    try {
      expect(await datasetOf(c, DBS)).toEqual(expected);
      expect(Object.keys(expected)).toContain("0:zset:small");
      expect(Object.keys(expected)).not.toContain("0:expired");
      const info = await c.call("INFO", "persistence");
      expect(info).toContain(`rdb_last_load_keys_loaded:${Object.keys(expected).length}\r\n`);
      expect(info).toContain("rdb_last_load_keys_expired:1\r\n");
      // The keys with TTLs are counted (INFO keyspace's expires): ttl:ms, ttl:int, ttl:hash.
      const db0 = Object.keys(expected).filter((k) => k.startsWith("0:")).length;
      expect(await c.call("INFO", "keyspace")).toContain(`db0:keys=${db0},expires=3,`);
      // The function library the dump holds (a FUNCTION2 record) is loaded and callable.
      expect(await c.call("FCALL", "f", "0")).toBe(":1\r\n");
    } finally {
      c.close();
      await kvis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The dump's function library is read and accepted: this test is about the reader. */
const acceptFunctions = () => undefined;

/**
 * A diskless sync's image, loaded as it arrives in pieces of `size` bytes: in the `$<len>`
 * form (the size known from the start), or with `mark` in the `$EOF:` form (an end mark of
 * 40 bytes follows, the size known at the end). Each piece comes when the load waits for
 * it. The keys loaded before the last piece came are counted in `early`.
 */
interface Arrival {
  size: number;
  mark: boolean;
  early?: number;
}

/** What loading `image` as it arrives gives, as loaded() tells it. */
async function arrived(image: Uint8Array, pieces: Arrival): Promise<string[] | string> {
  const keyspace = new Keyspace(16);
  try {
    const received = pieces.mark ? Buffer.concat([image, Buffer.from("m".repeat(40))]) : image;
    const arriving = new PiecesWindow([], pieces.mark ? Infinity : image.length, true, pieces.mark ? 40 : 0);
    let sent = 0;
    const steps = loadImageSteps(arriving, keyspace, "dump.rdb", undefined, acceptFunctions, 4096);
    for (let step = steps.next(); !step.done; step = steps.next()) {
      if (step.value.until === undefined) continue;
      // Pieces come until the load has what it waits for.
      let ready = false;
      void step.value.until.then(() => (ready = true));
      while (!ready) {
        pieces.early = step.value.keys;
        arriving.push(received.subarray(sent, sent + pieces.size));
        sent += pieces.size;
        if (sent >= received.length) arriving.end(image.length);
        await Promise.resolve();
      }
    }
  } catch (e) {
    return e instanceof RdbError ? e.message : `crashed: ${(e as Error).stack}`;
  }
  return contents(keyspace);
}

/**
 * What loading `image` gives: in memory, or from the file of it (a window of `window`
 * bytes). Every key's DUMP and TTL, or the error.
 */
function loaded(image: Uint8Array, window?: number): string[] | string {
  const keyspace = new Keyspace(16);
  let fd: number | undefined;
  try {
    if (window === undefined) loadRdb(image, keyspace, "dump.rdb", undefined, acceptFunctions);
    else {
      const dir = tempDir();
      const path = join(dir, "dump.rdb");
      writeFileSync(path, image);
      fd = openSync(path, "r");
      rmSync(dir, { recursive: true, force: true });
      loadRdb(new FileWindow(fd, image.length, window), keyspace, "dump.rdb", undefined, acceptFunctions);
    }
  } catch (e) {
    return e instanceof RdbError ? e.message : `crashed: ${(e as Error).stack}`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return contents(keyspace);
}

function contents(keyspace: Keyspace): string[] {
  return keyspace.dbs.flatMap((db) =>
    [...db.entries()].map(([key, value]) => `${db.id} ${key} ${db.getExpire(key)} ${Buffer.from(dumpOf(value, false)).toString("hex")}`),
  ).sort();
}

describe("a dump read a window at a time, from its file or from pieces", () => {
  test("loads as it does read whole, through windows and pieces smaller than its keys; truncation and damage fail alike", async () => {
    const redis = await startRedis(["--enable-debug-command", "yes"]);
    const r = await RawClient.connect(redis.port);
    try {
      await fill(r);
      expect(await r.call("SAVE")).toBe("+OK\r\n");
      const image = new Uint8Array(await Bun.file(join(redis.dir, "dump.rdb")).arrayBuffer());
      const whole = loaded(image);
      expect(whole.length).toBeGreaterThan(20);
      // A 1-byte window grows for every read; "compressible" (21,000 bytes) outgrows 1000.
      for (const window of [1, 7, 64, 1000, 1 << 20]) expect(loaded(image, window)).toEqual(whole);
      // The same as a replica's diskless sync receives it, loaded as it arrives, in both forms.
      for (const size of [1, 13, 4096, image.length]) {
        for (const mark of [false, true]) {
          const pieces: Arrival = { size, mark };
          expect(await arrived(image, pieces)).toEqual(whole);
          // Keys were in before the last piece was (as the load waited for it, in a step).
          if (size === 4096) expect(pieces.early).toBeGreaterThan(0);
        }
      }
      // Cut short anywhere, the file fails with the same error, at the same offset.
      for (let n = 0; n < image.length; n += 211) {
        const cut = image.subarray(0, n);
        expect(loaded(cut, 64)).toEqual(loaded(cut));
        expect(await arrived(cut, { size: 97, mark: true })).toEqual(loaded(cut));
        expect(await arrived(cut, { size: 97, mark: false })).toEqual(loaded(cut));
      }
      // A byte changed inside the 256-byte string: only the checksum, computed as the window moves, finds it.
      const damaged = image.slice();
      const at = Buffer.from(image).indexOf("\x06binary\x41\x00", 0, "latin1") + 100;
      expect(at).toBeGreaterThan(100);
      damaged[at] = damaged[at]! ^ 1;
      expect(loaded(damaged)).toContain("wrong RDB checksum");
      for (const window of [7, 1000]) expect(loaded(damaged, window)).toEqual(loaded(damaged));
    } finally {
      r.close();
      await redis.stop();
    }
  });
});

describe("a damaged dump from real Redis", () => {
  test("every truncation and random byte damage fails with RdbError, never another exception", async () => {
    const redis = await startRedis(["--enable-debug-command", "yes", "--rdbcompression", "no", "--rdbchecksum", "no"]);
    const r = await RawClient.connect(redis.port);
    try {
      await fill(r);
      expect(await r.call("SAVE")).toBe("+OK\r\n");
      const good = new Uint8Array(await Bun.file(join(redis.dir, "dump.rdb")).arrayBuffer());
      expect(loadRdb(good, new Keyspace(16), undefined, undefined, acceptFunctions).keys).toBeGreaterThan(20);
      const outcome = (bytes: Uint8Array): string => {
        try {
          loadRdb(bytes, new Keyspace(16), undefined, undefined, acceptFunctions);
          return "loaded";
        } catch (e) {
          return e instanceof RdbError ? "refused" : `crashed: ${(e as Error).stack}`;
        }
      };
      for (let n = 0; n < good.length; n += 97) expect(outcome(good.subarray(0, n))).toBe("refused");
      // With rdbchecksum off nothing catches the damage before the decoders see it.
      const random = seededRandom(7);
      for (let i = 0; i < 300; i++) {
        const bad = good.slice();
        for (let k = 0; k < 3; k++) bad[Math.floor(random() * bad.length)] = Math.floor(random() * 256);
        expect(outcome(bad)).not.toStartWith("crashed");
      }
    } finally {
      r.close();
      await redis.stop();
    }
  });
});

describe("DUMP and RESTORE between KVIS and real Redis", () => {
  test("every key of the dataset moves both ways with the same content", async () => {
    const redis = await startRedis(["--enable-debug-command", "yes"]);
    const kvis = await startKvis();
    const r = await RawClient.connect(redis.port);
    const k = await RawClient.connect(kvis.port);
    try {
      await fill(r);
      const expected = await datasetOf(r, DBS);
      const move = async (from: RawClient, to: RawClient) => {
        for (const name of Object.keys(expected)) {
          const [db, key] = [name.slice(0, name.indexOf(":")), name.slice(name.indexOf(":") + 1)];
          await from.call("SELECT", db);
          await to.call("SELECT", db);
          const payload = decodeReply(await from.call("DUMP", key)) as string;
          const ttl = decodeReply(await from.call("PEXPIRETIME", key)) as number;
          expect(await to.call("RESTORE", key, ttl > 0 ? String(ttl) : "0", payload, "ABSTTL", "REPLACE")).toBe("+OK\r\n");
        }
      };
      await move(r, k);
      expect(await datasetOf(k, DBS)).toEqual(expected);
      expect(await r.call("FLUSHALL")).toBe("+OK\r\n");
      await move(k, r);
      expect(await datasetOf(r, DBS)).toEqual(expected);
    } finally {
      r.close();
      k.close();
      await redis.stop();
      await kvis.stop();
    }
  });

  test("the encodings only older Redis writes restore the same in KVIS as in Redis 7", async () => {
    const redis = await startRedis();
    const kvis = await startKvis();
    const r = await RawClient.connect(redis.port);
    const k = await RawClient.connect(kvis.port);
    const ints = INTS.map(BigInt);
    const long = "z".repeat(300);
    const payloads: Record<string, string> = {
      "list:linked": dumpPayload(1, [...rdbLength(3), ...rdbString("a"), ...rdbString(long), ...rdbString("-5")]),
      "list:ziplist": dumpPayload(10, rdbString(String.fromCharCode(...ziplist(["a", ...ints, long, ""])))),
      "list:quicklist": dumpPayload(14, [...rdbLength(2), ...rdbString(String.fromCharCode(...ziplist(["a", 1n]))), ...rdbString(String.fromCharCode(...ziplist([long, -3n])))]),
      "hash:zipmap": dumpPayload(9, rdbString(String.fromCharCode(...zipmap([["f", "v"], ["n", "12"], ["long", long]])))),
      "hash:zipmap-small": dumpPayload(9, rdbString(String.fromCharCode(...zipmap([["f", "v"], ["g", ""]])))),
      "hash:ziplist": dumpPayload(13, rdbString(String.fromCharCode(...ziplist(["f", 7n, "g", "text", "h", -100000n])))),
      "zset:ziplist": dumpPayload(12, rdbString(String.fromCharCode(...ziplist(["a", 1n, "b", "2.5", "d", 9007199254740993n, "c", "inf"])))),
      "zset:text": dumpPayload(3, [...rdbLength(4), ...rdbString("a"), ...rdbString("1.5"), ...rdbString("b"), 254, ...rdbString("c"), 255, ...rdbString("d"), ...rdbString("-3")]),
    };
    try {
      for (const [key, payload] of Object.entries(payloads)) {
        expect(await r.call("RESTORE", key, "0", payload)).toBe("+OK\r\n");
        expect(await k.call("RESTORE", key, "0", payload)).toBe("+OK\r\n");
      }
      const expected = await datasetOf(r, [0]);
      expect(Object.keys(expected)).toHaveLength(Object.keys(payloads).length);
      expect(await datasetOf(k, [0])).toEqual(expected);
    } finally {
      r.close();
      k.close();
      await redis.stop();
      await kvis.stop();
    }
  });
});
