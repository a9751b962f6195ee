/**
 * DEBUG OBJECT and DEBUG RELOAD against Redis 7.0 (both with enable-debug-command yes):
 * encodings, refcounts and serialized lengths of every type and encoding, and a dataset
 * that reads back the same after being saved and loaded again.
 */
import { describe, expect, test } from "bun:test";
import { encodeCommand } from "../helpers/resp.ts";
import { waitFor } from "../helpers/servers.ts";
import { req, sameScene, usePair } from "./harness.ts";

const pair = usePair({ "enable-debug-command": "yes" }, ["--enable-debug-command", "yes"]);

const SEED = `FLUSHALL
SET int 1234
SET bigint 123456789012
SET short hello
SET long ${"x".repeat(60)}
SET compressible ${"ab".repeat(100)}
RPUSH list a b c 1 2
RPUSH biglist ${Array.from({ length: 200 }, (_, i) => `item-${i}`).join(" ")}
HSET hash f1 v1 f2 2
HSET bighash ${Array.from({ length: 150 }, (_, i) => `f${i} v${i}`).join(" ")}
SADD ints 1 2 3
SADD smallset a b
SADD bigset ${Array.from({ length: 200 }, (_, i) => `m${i}`).join(" ")}
ZADD zset 1 a 2.5 b
ZADD bigzset ${Array.from({ length: 200 }, (_, i) => `${i} z${i}`).join(" ")}
XADD stream 1-1 f v
XADD stream 2-1 f v2 g w
PFADD hll a b c
SET ttl v PX 100000`;

const KEYS = ["int", "bigint", "short", "long", "compressible", "list", "biglist", "hash", "bighash", "ints", "smallset", "bigset", "zset", "bigzset", "stream", "hll", "ttl"];

/**
 * DEBUG OBJECT with what differs by nature masked: the address and the LRU clock. The
 * serialized length is Redis's for every key, dumps being written in Redis's encodings (a
 * hash table's order differs, not its length).
 */
async function sameObject(key: string): Promise<void> {
  const [a, b] = await pair().both("DEBUG", "OBJECT", key);
  const mask = (s: string) =>
    s
      .replace(/Value at:0x[0-9a-f]+/, "Value at:X")
      .replace(/ lru:\d+ lru_seconds_idle:\d+/, " lru:L")
      .replace(/ ql_[^\r]*/, "");
  expect({ key, reply: mask(a) }).toEqual({ key, reply: mask(b) });
}

describe("DEBUG OBJECT", () => {
  test("encoding, refcount and serialized length of every type", async () => {
    await pair().script(SEED);
    for (const key of KEYS) await sameObject(key);
    await pair().same("DEBUG", "OBJECT", "nosuchkey");
  });
});

describe("list-max-listpack-size and list-compress-depth", () => {
  test("set the nodes DEBUG OBJECT reports as Redis's, and MEMORY USAGE counts them as Redis does, compressed or not", async () => {
    const p = pair();
    const values = Array.from({ length: 3000 }, (_, i) => `value-${i % 100}`);
    const fields = (reply: string) => Object.fromEntries([...reply.matchAll(/ (ql_\w+):(\S+)/g)].map((m) => [m[1], m[2]]));
    try {
      for (const [fill, depth] of [["-2", "0"], ["-2", "1"], ["5", "1"], ["-1", "2"], ["-5", "3"]] as const) {
        await p.same("CONFIG", "SET", "list-max-listpack-size", fill, "list-compress-depth", depth);
        await p.same("DEL", "l");
        for (let i = 0; i < values.length; i += 500) await p.same("RPUSH", "l", ...values.slice(i, i + 500));
        const [a, b] = await p.both("DEBUG", "OBJECT", "l");
        const ours = fields(a);
        const theirs = fields(b);
        expect({ fill, depth, ...ours }).toEqual({ fill, depth, ...theirs });
        // Each node's allocation as Redis's: its listpack, or its LZF form when compressed.
        await p.same("MEMORY", "USAGE", "l");
        await p.same("MEMORY", "USAGE", "l", "SAMPLES", "0");
        // Reads from anywhere, and a save and load, see the same list.
        await p.same("LINDEX", "l", "1234");
        await p.same("LRANGE", "l", "1490", "1530");
        await p.same("LSET", "l", "1500", "changed");
        await p.same("LINSERT", "l", "BEFORE", "changed", "inserted");
        await p.same("LRANGE", "l", "0", "-1");
      }
      await p.same("DEBUG", "RELOAD");
      await p.same("LRANGE", "l", "0", "-1");
    } finally {
      await p.same("CONFIG", "SET", "list-max-listpack-size", "-2", "list-compress-depth", "0");
    }
  });
});

describe("pushes to a list of one node held packed in its key's cell", () => {
  test("start its second node where quicklist does, one push at a time, at either end", async () => {
    const p = pair();
    const values = ["123", "x".repeat(60), "-4096", "y".repeat(300), "9007199254740993", "z".repeat(700), "w".repeat(1500)];
    const nodes = (reply: string) => / ql_nodes:(\d+)/.exec(reply)?.[1];
    try {
      for (const fill of ["-2", "-1", "5", "1"]) {
        await p.same("CONFIG", "SET", "list-max-listpack-size", fill);
        // DEBUG OBJECT opens the list into its object: each length is pushed afresh.
        for (let pushes = 1; pushes <= 40; pushes++) {
          await p.same("DEL", "l");
          for (let i = 0; i < pushes; i++) {
            await p.same(i % 3 === 0 ? "LPUSH" : "RPUSH", "l", values[i % values.length]!, ...(i % 7 === 0 ? ["a", "77"] : []));
          }
          const [a, b] = await p.both("DEBUG", "OBJECT", "l");
          expect({ fill, pushes, nodes: nodes(a) }).toEqual({ fill, pushes, nodes: nodes(b) });
        }
        await p.same("LRANGE", "l", "0", "-1");
      }
    } finally {
      await p.same("CONFIG", "SET", "list-max-listpack-size", "-2");
    }
  });
});

describe("a list of one node held packed keeps its count and listpack size in its header", () => {
  test("through pushes, pops, trims, removals and moves: DEBUG OBJECT's sizes and LLEN as Redis's", async () => {
    const p = pair();
    const values = ["123", "x".repeat(60), "-4096", "y".repeat(300), "9007199254740993", "77", "z".repeat(130)];
    const fields = (reply: string) => Object.fromEntries([...reply.matchAll(/ (ql_\w+):(\S+)/g)].map((m) => [m[1], m[2]]));
    const edits = ["LPOP l", "RPOP l", "LTRIM l 1 -2", "LTRIM l 2 4", "LREM l 0 77", "LREM l -1 123", "LMOVE l m LEFT RIGHT", "RPOPLPUSH l m", "LPUSH l 5 abc"];
    for (const edit of edits) {
      await p.same("DEL", "l", "m");
      // Pushed one at a time, so that each push goes to the bytes in the key's cell.
      for (let i = 0; i < 12; i++) await p.same(i % 2 === 0 ? "RPUSH" : "LPUSH", "l", values[i % values.length]!);
      await p.same(...(edit.split(" ") as [string, ...string[]]));
      await p.same("LLEN", "l");
      // DEBUG OBJECT opens the list from its header: its size is the header's.
      const [a, b] = await p.both("DEBUG", "OBJECT", "l");
      expect({ edit, ...fields(a) }).toEqual({ edit, ...fields(b) });
      await p.same("LRANGE", "l", "0", "-1");
    }
  });
});

describe("LINSERT into a list of one node held packed", () => {
  test("keeps the count and listpack size in its header: DEBUG OBJECT's sizes as Redis's", async () => {
    const p = pair();
    const fields = (reply: string) => Object.fromEntries([...reply.matchAll(/ (ql_\w+):(\S+)/g)].map((m) => [m[1], m[2]]));
    await p.same("DEL", "l");
    await p.same("RPUSH", "l", "a", "b", "c");
    for (const [i, element] of ["v0", "123", "y".repeat(70), "-9", "z".repeat(200), "4294967296"].entries()) {
      await p.same("LINSERT", "l", i % 2 === 0 ? "AFTER" : "BEFORE", "b", element);
      await p.same("LLEN", "l");
      // DEBUG OBJECT opens the list from its header: its size is the header's.
      const [a, b] = await p.both("DEBUG", "OBJECT", "l");
      expect(fields(a).ql_nodes).toBe("1");
      expect({ i, ...fields(a) }).toEqual({ i, ...fields(b) });
    }
  });
});

describe("LSET on a list of one node held packed", () => {
  test("longer, shorter, binary and integer elements at either end and between, errors; DEBUG OBJECT's sizes as Redis's", async () => {
    const p = pair();
    const fields = (reply: string) => Object.fromEntries([...reply.matchAll(/ (ql_\w+):(\S+)/g)].map((m) => [m[1], m[2]]));
    await p.same("DEL", "l");
    await p.same("RPUSH", "l", "a", "bb", "123", "c");
    const binary = String.fromCharCode(0, 255, 128);
    for (const [index, element] of [["0", "x".repeat(200)], ["-1", "7"], ["1", binary], ["2", ""], ["0", "z"], ["-2", "y".repeat(70)], ["4", "no"], ["-5", "no"], ["x", "no"]] as const) {
      await p.same("LSET", "l", index, element);
      await p.same("LRANGE", "l", "0", "-1");
      const [a, b] = await p.both("DEBUG", "OBJECT", "l");
      expect({ index, ...fields(a) }).toEqual({ index, ...fields(b) });
    }
    await p.same("LSET", "missing", "x", "v");
    await p.same("LSET", "missing", "0", "v");
  });
});

describe("DEBUG DIGEST and DIGEST-VALUE", () => {
  test("the dataset's and each value's signature are Redis's, for every type, TTLs and databases included", async () => {
    const p = pair();
    await p.same("FLUSHALL");
    await p.same("DEBUG", "DIGEST");
    await p.script(SEED);
    await p.script(`ZADD zfloat 0.1 a -2.5e-7 b 1e20 c inf d
SELECT 3
SET moved here
LPUSH l3 x y z
SELECT 0`);
    await p.same("DEBUG", "DIGEST");
    await p.same("DEBUG", "DIGEST-VALUE", ...KEYS, "zfloat", "nosuchkey");
    await p.same("DEBUG", "DIGEST-VALUE");
    // Any change shows: an element, an order, a TTL, a database.
    for (const change of ["LSET list 0 changed", "LPUSH list a", "PERSIST ttl", "EXPIRE short 100", "MOVE int 5", "HSET hash f1 other", "XADD stream 3-1 x y"]) {
      const before = await p.same("DEBUG", "DIGEST");
      await p.script(change);
      expect({ change, digest: await p.same("DEBUG", "DIGEST") }).not.toEqual({ change, digest: before });
    }
  });
});

describe("DEBUG PROTOCOL", () => {
  test("each RESP type in RESP2 and RESP3, as Redis sends it", async () => {
    const p = pair();
    const types = ["string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push", "verbatim", "true", "false", "foo"];
    for (const t of types) await p.same("DEBUG", "PROTOCOL", t);
    await p.same("DEBUG", "PROTOCOL");
    const [k, r] = await p.connectBoth();
    try {
      for (const c of [k, r]) await c.call("HELLO", "3");
      for (const t of types) {
        // The attribute and the push come with a reply of their own behind them.
        const n = t === "push" || t === "attrib" ? 1 : 0;
        const [a, b] = await Promise.all([k.call("DEBUG", "PROTOCOL", t), r.call("DEBUG", "PROTOCOL", t)]);
        const [a2, b2] = n === 0 ? ["", ""] : await Promise.all([k.readReplies(1), r.readReplies(1)]).then(([x, y]) => [x[0]!, y[0]!]);
        expect({ t, reply: a + a2 }).toEqual({ t, reply: b + b2 });
      }
    } finally {
      k.close();
      r.close();
    }
  });
});

describe("DEBUG QUICKLIST-PACKED-THRESHOLD", () => {
  test("sizes are checked as Redis checks them", async () => {
    for (const size of ["100", "1k", "0", "-1", "abc", "5000000000", "1gb", "4294967296", "4293918720"]) await pair().same("DEBUG", "QUICKLIST-PACKED-THRESHOLD", size);
    await pair().same("DEBUG", "QUICKLIST-PACKED-THRESHOLD");
  });
});

describe("DEBUG HTSTATS, HTSTATS-KEY, SDSLEN, LISTPACK, QUICKLIST, CLIENT-EVICTION, REPLYBUFFER and HELP", () => {
  test("errors, replies and the figures a table and a string are described by, as Redis's", async () => {
    const p = pair();
    await p.script(`FLUSHALL
DEBUG HTSTATS 0
DEBUG HTSTATS 16
DEBUG HTSTATS -1
DEBUG HTSTATS abc
DEBUG HTSTATS
SET int 1234
SET s hello
RPUSH list a b c
HSET hash f v
SADD ints 1 2
SADD bigset ${Array.from({ length: 200 }, (_, i) => `m${i}`).join(" ")}
ZADD zset 1 a 2 b
DEBUG HTSTATS-KEY nosuchkey
DEBUG HTSTATS-KEY s
DEBUG HTSTATS-KEY ints
DEBUG HTSTATS-KEY hash
DEBUG SDSLEN nosuchkey
DEBUG SDSLEN int
DEBUG SDSLEN hash
DEBUG LISTPACK nosuchkey
DEBUG LISTPACK hash
DEBUG LISTPACK zset
DEBUG LISTPACK list
DEBUG LISTPACK bigset
DEBUG QUICKLIST nosuchkey
DEBUG QUICKLIST list
DEBUG QUICKLIST list 1
DEBUG QUICKLIST hash
DEBUG CLIENT-EVICTION
DEBUG REPLYBUFFER peak-reset-time 100
DEBUG REPLYBUFFER peak-reset-time never
DEBUG REPLYBUFFER peak-reset-time reset
DEBUG REPLYBUFFER peak-reset-time abc
DEBUG REPLYBUFFER resizing 0
DEBUG REPLYBUFFER resizing 1
DEBUG REPLYBUFFER other 1
DEBUG REPLYBUFFER resizing`);
    // Redis's help, less the lines of MALLCTL and MALLCTL-STR (jemalloc's, which KVIS has not).
    const [kHelp, rHelp] = await p.both("DEBUG", "HELP");
    const rLines = rHelp.split("\r\n").slice(1, -1);
    const mallctl = rLines.findIndex((l) => l.startsWith("+MALLCTL "));
    rLines.splice(mallctl, 4);
    expect(kHelp).toBe([`*${rLines.length}`, ...rLines, ""].join("\r\n"));
    await p.same("SET", "ttl", "x".repeat(100), "EX", "100");
    // The keyspace: as many keys, and keys with a TTL, as Redis counts in its dicts (in both
    // tables while Redis rehashes one).
    const elements = (reply: string) => [...reply.matchAll(/number of elements: (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    const [kh, rh] = await p.both("DEBUG", "HTSTATS", "0");
    const [kd, ke] = kh.split("[Expires HT]");
    const [rd, re] = rh.split("[Expires HT]");
    expect([elements(kd!), elements(ke!)]).toEqual([8, 1]);
    expect([elements(kd!), elements(ke!)]).toEqual([elements(rd!), elements(re!)]);
    // A set's table: its members, and the lines of Redis's reply, in its order.
    const [ks, rs] = await p.both("DEBUG", "HTSTATS-KEY", "bigset");
    const names = (reply: string) => [...reply.split("Hash table 1")[0]!.matchAll(/^ ?([a-z][a-z ()]*):/gm)].map((m) => m[1]).filter((n) => !n!.includes("probe") && n !== "deleted slots");
    expect(elements(ks)).toBe(200);
    expect(elements(ks)).toBe(elements(rs));
    expect(names(ks)).toEqual(names(rs));
    // A string: the key's and the value's lengths.
    const [kl, rl] = await p.both("DEBUG", "SDSLEN", "ttl");
    const lengths = (reply: string) => [...reply.matchAll(/(\w+_sds_len):(\d+)/g)].map((m) => `${m[1]}=${m[2]}`);
    expect(lengths(kl)).toEqual(["key_sds_len=3", "val_sds_len=100"]);
    expect(lengths(kl)).toEqual(lengths(rl));
    expect(kl.replace(/\d+/g, "N")).toBe(rl.replace(/\d+/g, "N"));
  });

  test("CLIENT-EVICTION lists the other evictable clients in Redis's buckets", async () => {
    const p = pair();
    const [k2, r2] = await p.connectBoth();
    // Clients' memory differs (Redis's hold 16 KB query and reply buffers, KVIS's none), so
    // the buckets they fall in do too: the lines are compared with the figures masked, and
    // KVIS's count is checked against its CLIENT LIST, the caller left out.
    const masked = (reply: string) => reply.replace(/tot-mem: +\d+, clients: \d+/g, "N");
    const counted = (reply: string) => [...reply.matchAll(/clients: (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    const others = async () => (await p.kvis.call("CLIENT", "LIST")).split("\n").filter((l) => l.includes("id=")).length - 1;
    try {
      await p.same("CONFIG", "SET", "maxmemory-clients", "1mb");
      await Promise.all([k2.call("PING"), r2.call("PING")]);
      const [k, r] = await p.both("DEBUG", "CLIENT-EVICTION");
      expect(masked(k)).toBe(masked(r));
      expect(counted(k)).toBe(await others());
      await k2.call("CLIENT", "NO-EVICT", "on");
      expect(counted(await p.kvis.call("DEBUG", "CLIENT-EVICTION"))).toBe((await others()) - 1);
    } finally {
      k2.close();
      r2.close();
      await p.same("CONFIG", "SET", "maxmemory-clients", "0");
    }
  });
});

describe("DEBUG AOF-FLUSH-SLEEP, LEAK, REPLICATE and DROP-CLUSTER-PACKET-FILTER", () => {
  test("take their arguments as Redis does (REPLICATE with no replica sends nothing anywhere)", async () => {
    const p = pair();
    for (const args of [["AOF-FLUSH-SLEEP", "0"], ["AOF-FLUSH-SLEEP", "abc"], ["AOF-FLUSH-SLEEP"], ["LEAK", "x"], ["LEAK"], ["REPLICATE", "SET", "k", "v"], ["REPLICATE"], ["DROP-CLUSTER-PACKET-FILTER", "-1"], ["DROP-CLUSTER-PACKET-FILTER", "x"]]) {
      await p.same("DEBUG", ...args);
    }
    await p.same("EXISTS", "k");
  });
});

describe("DEBUG POPULATE, ERROR, LOG, STRUCTSIZE, STRINGMATCH-TEST, SET-SKIP-CHECKSUM-VALIDATION", () => {
  test("answer as Redis does, and POPULATE makes the keys Redis makes", async () => {
    const p = pair();
    await p.same("FLUSHALL");
    await p.same("SET", "key:3", "mine");
    await p.script(`DEBUG POPULATE 5
DEBUG POPULATE 3 p 10
DEBUG POPULATE 2 q 3
DEBUG POPULATE -1
DEBUG POPULATE x
DEBUG POPULATE 2 p -5
DEBUG POPULATE 1 a 2 3
DBSIZE
MGET key:0 key:3 key:4 p:0 p:2 q:1
DEBUG DIGEST
DEBUG ERROR "oops: bad thing"
DEBUG LOG hello
DEBUG STRUCTSIZE`);
    // Redis's fuzzer takes two seconds; its answer is known.
    expect(await p.kvis.call("DEBUG", "STRINGMATCH-TEST")).toBe("+Apparently Redis did not crash: test passed\r\n");
    // Populated keys are no change for the save points.
    const dirty = async () => (await p.both("INFO", "persistence")).map((info) => /rdb_changes_since_last_save:\d+/.exec(info)![0]);
    const before = await dirty();
    await p.same("DEBUG", "POPULATE", "100", "more");
    expect(await dirty()).toEqual(before);
    // A payload whose checksum is wrong is refused, unless checksums are skipped.
    await p.same("SET", "src", "v");
    const good = (await p.same("DUMP", "src")).split("\r\n")[1]!;
    const bad = good.slice(0, -1) + String.fromCharCode(good.charCodeAt(good.length - 1) ^ 1);
    await p.same("RESTORE", "r1", "0", bad);
    await p.same("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1");
    await p.same("RESTORE", "r1", "0", bad);
    await p.same("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0");
    await p.same("GET", "r1");
  });
});

describe("DEBUG SLEEP inside a transaction", () => {
  test("a key that expired while EXEC ran serves no waiter; the next push does", async () => {
    await pair().same("FLUSHALL");
    await sameScene(pair(), 2, [
      [0, "BRPOP k 0\r\n"], [1, "MULTI\r\nRPUSH k hello\r\nPEXPIRE k 100\r\nDEBUG SLEEP 0.2\r\nEXEC\r\n"], [1, "EXISTS k\r\n"], [1, "RPUSH k again\r\n"],
    ]);
  });
});

describe("DEBUG SET-ACTIVE-EXPIRE 0", () => {
  test("a small hash or a string past its deadline reads as missing, and an HSET or APPEND makes it afresh without a TTL", async () => {
    const p = pair();
    await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    try {
      // DEBUG SLEEP makes sure the 1 ms deadline has passed on the server's own clock.
      await p.script(`
        HSET t a 1 b 2
        PEXPIRE t 1
        DEBUG SLEEP 0.002
        HGET t a
        HSET t a 1
        PEXPIRE t 1
        DEBUG SLEEP 0.002
        HSET t c 3
        HGETALL t
        TTL t
        SET s abc PX 1
        SET s2 abc PX 1
        DEBUG SLEEP 0.002
        STRLEN s
        EXISTS s
        APPEND s2 x
        GET s2
        TTL s2`);
    } finally {
      await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    }
  });

  test("a key past its deadline is deleted, counted and announced when a write finds it: a RENAME's or a store's destination", async () => {
    const p = pair();
    await p.same("FLUSHALL");
    await p.same("CONFIG", "RESETSTAT");
    await p.same("CONFIG", "SET", "notify-keyspace-events", "KEA");
    await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    try {
      // DEBUG SLEEP makes sure the 1 ms deadline has passed on the server's own clock.
      const writes = ["RENAME s d", "RENAMENX s d", "ZUNIONSTORE d 1 z", "SUNIONSTORE d s", "SORT l STORE d", "BITOP OR d b", "ZRANGESTORE d z 0 -1", "COPY s d", "MSET d v", "SETRANGE d 0 x"];
      await sameScene(p, 2, [
        [0, req("PSUBSCRIBE", "__key*__:*")],
        ...writes.flatMap((w): Array<[number, string]> => [
          [1, req("DEL", "s", "z", "l", "b")], [1, req("SADD", "s", "a")], [1, req("ZADD", "z", "1", "a")], [1, req("RPUSH", "l", "a")], [1, req("SET", "b", "x")],
          [1, req("SET", "d", "old", "PX", "1")], [1, req("DEBUG", "SLEEP", "0.002")], [1, req(...w.split(" "))],
        ]),
      ]);
      const expired = async () => (await p.both("INFO", "stats")).map((info) => /expired_keys:\d+/.exec(info)![0]);
      const [k, r] = await expired();
      expect(k).toBe(r);
    } finally {
      await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "1");
      await p.same("CONFIG", "SET", "notify-keyspace-events", "");
    }
  });
});

describe("DEBUG SLEEP in a pipeline", () => {
  test("the next command of the same read sees the time it took: a key that expired meanwhile is gone, after EXEC too, and for a script inside it", async () => {
    const p = pair();
    await p.same("FLUSHALL");
    await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    try {
      const steps = [
        ["SET", "k", "v", "PX", "5"], ["DEBUG", "SLEEP", "0.02"], ["GET", "k"],
        ["SET", "k2", "v", "PX", "5"], ["MULTI"], ["DEBUG", "SLEEP", "0.02"], ["GET", "k2"], ["EXEC"], ["GET", "k2"],
        // Inside EXEC commands see the time it started at; a script the time it starts at.
        ["MULTI"], ["SET", "k4", "v", "PX", "5"], ["DEBUG", "SLEEP", "0.02"], ["GET", "k4"], ["EVAL", "return redis.call('get', KEYS[1])", "1", "k4"], ["GET", "k4"], ["EXEC"],
        ["CONFIG", "SET", "slowlog-log-slower-than", "-1"], ["SET", "k3", "v", "PX", "5"], ["DEBUG", "SLEEP", "0.02"], ["GET", "k3"],
      ];
      await p.sameRaw(steps.map((s) => req(...s)).join(""), steps.length);
    } finally {
      await p.same("CONFIG", "SET", "slowlog-log-slower-than", "10000");
      await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    }
  });
});

describe("DEBUG RELOAD", () => {
  test("the dataset reads back the same after a save and load; options are checked", async () => {
    const p = pair();
    await p.script(SEED);
    await p.same("DEBUG", "RELOAD");
    for (const key of KEYS) await sameObject(key);
    await p.script(`DBSIZE
GET int
GET compressible
LRANGE biglist 0 -1
HGETALL hash
SMEMBERS ints
ZRANGE bigzset 0 -1 WITHSCORES
XRANGE stream - +
PFCOUNT hll
DEBUG RELOAD BOGUS
SET added 1
DEBUG RELOAD NOSAVE
EXISTS added
DEBUG RELOAD NOFLUSH MERGE NOSAVE
DBSIZE`);
    // Neither the emptying nor the load counts as a change; what was changed before still is.
    await p.script("DEBUG RELOAD\nSET one 1\nSET two 2\nDEBUG RELOAD NOSAVE");
    const changes = (await p.both("INFO", "persistence")).map((info) => /rdb_changes_since_last_save:(\d+)/.exec(info)![1]);
    expect(changes).toEqual(["2", "2"]);
    const [k, r] = await p.both("PTTL", "ttl");
    expect(Number(k.slice(1))).toBeGreaterThan(90000);
    expect(Number(r.slice(1))).toBeGreaterThan(90000);
  });

  test("RELOAD and LOADAOF load in steps: another client is answered -LOADING meanwhile, the caller waits for its +OK, as in Redis", async () => {
    const p = pair();
    await p.script(`FLUSHALL
DEBUG POPULATE 5000 k
CONFIG SET appendonly yes`);
    // Both rewrite their AOF on turning it on; LOADAOF replays what that wrote.
    for (const c of [p.kvis, p.redis]) await waitFor(async () => (await c.call("INFO", "persistence")).includes("\r\naof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\n"), 20_000, "the AOF rewrite");
    await p.script("CONFIG SET key-load-delay 200\nCONFIG SET loading-process-events-interval-bytes 1024");
    const [k2, r2] = await p.connectBoth();
    try {
      for (const sub of ["RELOAD", "LOADAOF"]) {
        const seen = [];
        for (const [caller, other] of [[p.kvis, k2], [p.redis, r2]] as const) {
          // What the caller sends after it waits, as a blocked client's requests do. Both go
          // in one write and are read as one: two calls awaited at once can take each other's reply.
          caller.write(Buffer.concat([encodeCommand(["DEBUG", sub]), encodeCommand(["DBSIZE"])]));
          const replies = caller.readReplies(2);
          await waitFor(async () => (await other.call("PING")).startsWith("-LOADING"), 20_000, `${sub}'s load`);
          const during = [await other.call("GET", "k:1"), await other.call("INFO", "persistence").then((i) => i.includes("\r\nloading:1\r\n"))];
          // Redis runs a second DEBUG RELOAD inside the first; KVIS refuses it while one loads.
          if (other === k2) expect(await other.call("DEBUG", sub)).toBe("-LOADING Redis is loading the dataset in memory\r\n");
          seen.push([...during, ...(await replies), await other.call("GET", "k:1")]);
        }
        expect(seen[0]).toEqual(seen[1]!);
        expect(seen[0]).toEqual(["-LOADING Redis is loading the dataset in memory\r\n", true, "+OK\r\n", ":5000\r\n", "$7\r\nvalue:1\r\n"]);
      }
    } finally {
      await p.script("CONFIG SET key-load-delay 0\nCONFIG SET loading-process-events-interval-bytes 2097152\nCONFIG SET appendonly no");
      k2.close();
      r2.close();
    }
  });
});

describe("LATENCY", () => {
  test("HISTOGRAM counts every call per command, in Redis's buckets and shape", async () => {
    const p = pair();
    // Redis's bucket ends: the highest value HdrHistogram holds as 1024 * 2^k ns, in µs.
    const buckets = new Set(Array.from({ length: 21 }, (_, k) => String(Math.floor((1024 * 2 ** k * (129 / 128) - 1) / 1000))));
    for (const resp of ["2", "3"]) {
      await p.both("HELLO", resp);
      await p.same("CONFIG", "RESETSTAT");
      await p.script("SET a b\nSET c d\nGET a\nHSET h f v");
      await p.both("CLIENT", "ID");
      for (const args of [[], ["set", "CLIENT", "nosuchcommand"], ["client|id"], ["hgetall", "hset"]]) {
        const [k, r] = await p.both("LATENCY", "HISTOGRAM", ...args);
        // Latencies differ by nature: the bucket ends must be Redis's, the calls the same.
        const shape = (raw: string) => {
          const lines = raw.split("\r\n");
          for (let i = 0; i < lines.length; i++) if (lines[i] === "histogram_usec") {
            // A map's length: pairs in RESP3 (%n), elements in RESP2 (*2n).
            const n = Number(lines[i + 1]!.slice(1)) / (lines[i + 1]![0] === "*" ? 2 : 1);
            for (let j = 0; j < n; j++) {
              expect({ bucket: lines[i + 2 + 2 * j], known: buckets.has(lines[i + 2 + 2 * j]!.slice(1)) }).toEqual({ bucket: lines[i + 2 + 2 * j], known: true });
              lines[i + 2 + 2 * j] = ":B";
              lines[i + 3 + 2 * j] = ":N";
            }
            lines[i + 1] = lines[i + 1]![0] + "n";
            lines.splice(i + 2, 2 * n);
          }
          // Each command with its calls, in name order (Redis lists them in hash-table order).
          const masked = lines.join("\r\n");
          const entries = [...masked.matchAll(/\$\d+\r\n([a-z|_-]+)\r\n[*%][24]\r\n\$5\r\ncalls\r\n:(\d+)/g)].map((m) => `${m[1]} ${m[2]}`).sort();
          return { header: masked.slice(0, masked.indexOf("\r\n")), entries };
        };
        expect({ args, ...shape(k) }).toEqual({ args, ...shape(r) });
      }
    }
    await p.both("HELLO", "2");
    await p.same("CONFIG", "SET", "latency-tracking", "no");
    await p.same("CONFIG", "RESETSTAT");
    await p.same("SET", "a", "b");
    await p.same("LATENCY", "HISTOGRAM", "set");
    await p.same("CONFIG", "SET", "latency-tracking", "yes");
    await p.same("CONFIG", "GET", "latency-tracking");
    await p.same("CONFIG", "GET", "latency-tracking-info-percentiles");
    await p.same("CONFIG", "SET", "latency-tracking-info-percentiles", "0.5 99.99999 1e1");
    await p.same("CONFIG", "GET", "latency-tracking-info-percentiles");
    await p.same("CONFIG", "SET", "latency-tracking-info-percentiles", "50 101");
    await p.same("CONFIG", "SET", "latency-tracking-info-percentiles", "abc");
    await p.same("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9");
    await p.same("LATENCY", "HELP");
  });

  test("LATEST, HISTORY, RESET and DOCTOR follow the commands slower than latency-monitor-threshold", async () => {
    const p = pair();
    try {
      await p.script(`LATENCY DOCTOR
LATENCY LATEST
LATENCY HISTORY command
LATENCY RESET
LATENCY RESET command other
LATENCY NOSUCH
LATENCY HISTORY
CONFIG SET latency-monitor-threshold 1000
LATENCY DOCTOR
DEBUG SLEEP 0
LATENCY LATEST
CONFIG SET latency-monitor-threshold 20
CONFIG GET latency-monitor-threshold`);
      // One sample of a 30-ms sleep, in LATEST, HISTORY and GRAPH. The sample's time and
      // duration differ by nature: compare their shape and bounds. Any command the machine
      // holds up for 20 ms (another process on the core, the in-process server's collector)
      // is a sample too, as it would be in Redis: a round that caught one is run again.
      const mask = (s: string) => s.replace(/:(\d+)\r\n/g, (_, n: string) => (Number(n) > 1e9 ? ":T\r\n" : Number(n) >= 30 && Number(n) < 1000 ? ":MS\r\n" : `:${n}\r\n`));
      const maskGraph = (s: string) => s.replace(/\d+ ms/g, "N ms").replace(/^\$\d+/, "$L");
      // LATEST's entry for the command event (an expire cycle held up may add its own).
      const commandEntry = (latest: string) => /\*4\r\n\$7\r\ncommand\r\n(?::\d+\r\n){3}/.exec(latest)?.[0] ?? latest;
      const views = async () => {
        const [latest, history, graph] = [await p.both("LATENCY", "LATEST"), await p.both("LATENCY", "HISTORY", "command"), await p.both("LATENCY", "GRAPH", "command")];
        return {
          kvis: [mask(commandEntry(latest[0])), mask(history[0]), maskGraph(graph[0])],
          redis: [mask(commandEntry(latest[1])), mask(history[1]), maskGraph(graph[1])],
        };
      };
      let sampled: Awaited<ReturnType<typeof views>> | undefined;
      for (let round = 0; round < 5 && (sampled === undefined || !Bun.deepEquals(sampled.kvis, sampled.redis)); round++) {
        await p.both("LATENCY", "RESET");
        await p.both("DEBUG", "SLEEP", "0.03");
        sampled = await views();
      }
      expect(sampled!.kvis).toEqual(sampled!.redis);
      expect(sampled!.kvis[0]).toContain(":T\r\n:MS\r\n");
      expect(sampled!.kvis[1]).toContain(":T\r\n:MS\r\n");
      await p.script(`LATENCY GRAPH nosuchevent
LATENCY GRAPH
LATENCY GRAPH a b`);
      // Samples in three different seconds (one per second is kept): the curve and its
      // labels as Redis draws them. The ages in the labels may differ by a second. The
      // middle sample falls half way through one of the graph's twelve steps (6.5 of them
      // above the lowest), and the curves are compared once both servers measured each
      // sleep within 50 ms of the other's: they are then drawn from the same samples to
      // within a quarter step. On a machine kept busy (a spinning process beside the
      // parallel suite) the in-process server, which shares its process with the test
      // runner, measured the 100-ms sleep at 142 ms and more, moving its scale: such a
      // round is measured again, the differing samples shown if none agrees.
      const latencies = (history: string) => [...history.matchAll(/\*2\r\n:\d+\r\n:(\d+)\r\n/g)].map((m) => Number(m[1]));
      let drawn: [kvis: string, redis: string] | undefined;
      const rounds: string[] = [];
      for (let round = 0; round < 5 && drawn === undefined; round++) {
        await p.same("LATENCY", "RESET");
        for (const seconds of ["0.1", "2.5", "1.4"]) {
          const second = Math.floor(Date.now() / 1000);
          await waitFor(() => Math.floor(Date.now() / 1000) > second, 20_000, "the next second");
          await p.both("DEBUG", "SLEEP", seconds);
        }
        const [kh, rh] = await p.both("LATENCY", "HISTORY", "command");
        const [kl, rl] = [latencies(kh), latencies(rh)];
        rounds.push(`kvis ${kl.join("/")} ms, redis ${rl.join("/")} ms`);
        if (kl.length === 3 && rl.length === 3 && kl.every((ms, i) => Math.abs(ms - rl[i]!) <= 50)) drawn = await p.both("LATENCY", "GRAPH", "command");
      }
      expect({ agreed: drawn !== undefined, rounds }).toEqual({ agreed: true, rounds });
      const [k3, r3] = drawn!;
      const curve = (s: string) => s.split("\n").slice(2, 7).join("\n");
      expect(curve(k3)).toBe(curve(r3));
      expect(k3).toContain("\nsss\n");
      await p.same("LATENCY", "RESET", "command");
      // The command event is gone. (A busy machine may have made another: a cron's expire
      // cycle held up past the threshold is an "expire-cycle" sample, in Redis too.)
      for (const latest of await p.both("LATENCY", "LATEST")) expect(latest).not.toContain("$7\r\ncommand\r\n");
    } finally {
      await p.same("CONFIG", "SET", "latency-monitor-threshold", "0");
    }
  });
});

describe("MEMORY USAGE", () => {
  test("reports Redis's own estimate: exact for strings and compact encodings, close for hash tables and skiplists", async () => {
    const p = pair();
    await p.script(SEED);
    await p.script(`SADD mixedset a b 1
HSET bighashtable ${Array.from({ length: 600 }, (_, i) => `field:${i} ${"v".repeat(i % 50)}`).join(" ")}
MEMORY USAGE nosuchkey
MEMORY USAGE int SAMPLES x
MEMORY USAGE int SAMPLES -1
MEMORY USAGE int FOO
MEMORY USAGE int SAMPLES 0`);
    // (HyperLogLogs are left out: Redis grows their sparse form with spare room.)
    const exact = ["int", "bigint", "short", "long", "compressible", "list", "biglist", "hash", "ints", "smallset", "mixedset", "zset", "ttl"];
    const got: Record<string, string[]> = {};
    const want: Record<string, string[]> = {};
    for (const key of exact) [got[key], want[key]] = (await p.both("MEMORY", "USAGE", key, "SAMPLES", "0")).map((x) => [x]) as [string[], string[]];
    expect(got).toEqual(want);
    // An expired key not yet reclaimed is still costed, with no hit or miss counted: Redis
    // looks in the dict itself.
    await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    try {
      await p.same("SET", "gone", "v", "PX", "1");
      const set = Date.now();
      await waitFor(() => Date.now() > set + 5, 1_000, "the key's deadline to pass");
      await p.same("CONFIG", "RESETSTAT");
      await p.same("MEMORY", "USAGE", "gone");
      const stats = async () => (await p.both("INFO", "stats")).map((info) => info.match(/keyspace_(hits|misses):\d+/g)!.join(" "));
      const [k, r] = await stats();
      expect(k).toBe(r);
      await p.same("DBSIZE");
    } finally {
      await p.same("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    }
    // By default an aggregate is costed from five elements and their average, as Redis
    // does: exact where every element has the same size (once Redis's tables are done
    // rehashing: lookups move it along).
    const lookups = Array.from({ length: 400 }, () => "SISMEMBER uniformset m1000\nHEXISTS uniformhash f1000").join("\n");
    await p.script(`SADD uniformset ${Array.from({ length: 300 }, (_, i) => `m${1000 + i}`).join(" ")}
HSET uniformhash ${Array.from({ length: 300 }, (_, i) => `f${1000 + i} v${1000 + i}`).join(" ")}
${lookups}
MEMORY USAGE uniformset
MEMORY USAGE uniformhash
MEMORY USAGE uniformset SAMPLES 3
MEMORY USAGE uniformhash SAMPLES 1000`);
    for (const [key, samples] of [["bighash", "0"], ["bigset", "0"], ["bigzset", "0"], ["bighashtable", "0"], ["stream", "0"], ["bigzset", "5"], ["bighashtable", "5"]]) {
      const [k, r] = await p.both("MEMORY", "USAGE", key!, "SAMPLES", samples!);
      // Redis's count depends on history KVIS does not replay: a hash table caught in an
      // incremental rehash has both its tables, skiplist nodes have random levels.
      const [ours, theirs] = [Number(k.slice(1)), Number(r.slice(1))];
      expect({ key, samples, ratio: Math.abs(ours / theirs - 1) < 0.15 }).toEqual({ key, samples, ratio: true });
    }
  });

  test("of a stream is Redis's to the byte: its tree, listpacks, groups, consumers and PELs", async () => {
    const p = pair();
    const usage = async () => {
      await p.same("MEMORY", "USAGE", "s");
      await p.same("MEMORY", "USAGE", "s", "SAMPLES", "0");
    };
    await p.same("DEL", "s");
    await p.same("XADD", "s", "5-1", "a", "1");
    await usage();
    for (let i = 6; i < 2000; i += i < 1000 ? 50 : 1) await p.same("XADD", "s", `${i}-${i % 7}`, "f", `value-${i}`);
    await usage();
    await p.same("XGROUP", "CREATE", "s", "g", "0");
    await usage();
    await p.same("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">");
    await usage();
    await p.same("XREADGROUP", "GROUP", "g", "alice", "COUNT", "299", "STREAMS", "s", ">");
    await p.same("XREADGROUP", "GROUP", "g", "bob", "COUNT", "200", "STREAMS", "s", ">");
    await usage();
    await p.same("XACK", "s", "g", "1005-4", "1006-5", "1100-1", "1499-1", "6-6");
    await p.same("XDEL", "s", "1001-0", "1002-1", "56-0");
    await usage();
    await p.same("XTRIM", "s", "MINID", "1250");
    await usage();
  });
});

describe("MEMORY STATS", () => {
  test("lists Redis 7.0's fields in its order, with the same kinds of values", async () => {
    const p = pair();
    await p.script(SEED);
    for (const resp of ["2", "3"]) {
      await p.both("HELLO", resp);
      const [k, r] = await p.both("MEMORY", "STATS");
      // Field names and the shape of every value; numbers themselves differ by nature.
      const shape = (raw: string) => raw.replace(/(^|\r\n)([:,])[-\d.e+]+(?=\r\n)/g, "$1$2N").replace(/\$(\d+)\r\n[-\d.e+]+\r\n/g, "$$L\r\nN\r\n");
      expect(shape(k)).toBe(shape(r));
    }
    const [k] = await p.both("MEMORY", "STATS");
    expect(k).toContain(`keys.count\r\n:${KEYS.length}\r\n`);
    await p.both("HELLO", "2");
  });

  test("reports the figures INFO memory does, and leaves its peak alone", async () => {
    const p = pair();
    await p.script(SEED);
    const info = await p.kvis.call("INFO", "memory");
    const stats = await p.kvis.call("MEMORY", "STATS");
    const infoField = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1]);
    const statsField = (name: string) => Number(new RegExp(`\\$\\d+\r\n${name.replaceAll(".", "\\.")}\r\n:(\\d+)`).exec(stats)?.[1]);
    expect({
      total: statsField("total.allocated"), peak: statsField("peak.allocated"),
      dataset: statsField("dataset.bytes"), overhead: statsField("overhead.total"),
    }).toEqual({
      total: infoField("used_memory"), peak: infoField("used_memory_peak"),
      dataset: infoField("used_memory_dataset"), overhead: infoField("used_memory_overhead"),
    });
    // MEMORY STATS had read the heap as the allocation and raised used_memory_peak to it.
    expect(infoField("used_memory_peak")).toBe(Number(/^used_memory_peak:(\d+)/m.exec(await p.kvis.call("INFO", "memory"))?.[1]));
  });
});

describe("INFO memory's allocator figures", () => {
  test("the heap's allocation fits its capacity and holds the dataset's buffers", async () => {
    const p = pair();
    expect(await p.kvis.call("DEBUG", "POPULATE", "100000", "alloc", "64")).toBe("+OK\r\n");
    const info = await p.kvis.call("INFO", "memory");
    const field = (name: string) => Number(new RegExp(`^${name}:([-\\d.]+)`, "m").exec(info)?.[1]);
    // The buffers were counted twice in allocator_allocated: it came out above
    // allocator_active, and allocator_frag_bytes negative.
    expect(field("allocator_allocated")).toBeLessThanOrEqual(field("allocator_active"));
    expect(field("allocator_frag_bytes")).toBeGreaterThanOrEqual(0);
    expect(field("allocator_frag_ratio")).toBeGreaterThanOrEqual(1);
    expect(field("allocator_allocated")).toBeGreaterThanOrEqual(field("used_memory_dataset"));
    await p.kvis.call("FLUSHALL");
  });
});

describe("DEBUG LOADAOF", () => {
  test("empties the dataset and replays the AOF: what was written comes back, TTLs as absolute times", async () => {
    const p = pair();
    try {
      await p.same("FLUSHALL");
      await p.same("CONFIG", "SET", "appendonly", "yes");
      // The first rewrite (the base) must be done before the AOF holds everything.
      await waitFor(async () => (await p.both("INFO", "persistence")).every((info) => /aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info) && /aof_last_bgrewrite_status:ok/.test(info) && /aof_enabled:1/.test(info)), 20_000, "the first AOF rewrite");
      await p.script(`SET foo bar EX 100
SET foo bar2 KEEPTTL
SET plain v
RPUSH l a b c
GETEX plain PERSIST
DEL nosuchkey`);
      await p.same("DEBUG", "LOADAOF");
      await p.script(`GET foo
GET plain
LRANGE l 0 -1
TTL plain
DBSIZE`);
      const [k, r] = await p.both("TTL", "foo");
      expect([Number(k.slice(1)) > 90, Number(r.slice(1)) > 90]).toEqual([true, true]);
      await p.same("DEBUG", "LOADAOF", "extra");
      // A trim cut short by LIMIT is replayed as it happened, whatever the node size now.
      await p.same("CONFIG", "SET", "stream-node-max-entries", "10");
      for (let j = 1; j <= 100; j++) await p.both("XADD", "s", `${j}-1`, "f", "v");
      await p.same("XADD", "s", "MAXLEN", "~", "55", "LIMIT", "30", "200-1", "f", "v");
      await p.same("XADD", "s", "MINID", "~", "60", "LIMIT", "10", "201-1", "f", "v");
      await p.same("XLEN", "s");
      await p.same("CONFIG", "SET", "stream-node-max-entries", "1");
      await p.same("DEBUG", "LOADAOF");
      await p.same("XLEN", "s");
      await p.same("XRANGE", "s", "-", "+", "COUNT", "2");
      // A client waiting on a stream the reload empties and brings back keeps waiting: the
      // load is done before anyone is served (Redis's emptyData signals after it).
      await p.script(`XGROUP CREATE ms g $ MKSTREAM
XADD ms 1-1 f v
XREADGROUP GROUP g alice NOACK STREAMS ms >`);
      const [kw, rw] = await p.connectBoth();
      for (const w of [kw, rw]) w.write("XREADGROUP GROUP g bob BLOCK 0 NOACK STREAMS ms >\r\n");
      await p.blocked(1);
      await p.same("XGROUP", "CREATECONSUMER", "ms", "g", "charlie");
      await p.same("DEBUG", "LOADAOF");
      await p.blocked(1);
      await p.same("XINFO", "GROUPS", "ms");
      await p.same("XADD", "ms", "2-1", "f", "w");
      expect(await kw.readReplies(1)).toEqual(await rw.readReplies(1));
      kw.close();
      rw.close();
    } finally {
      await p.same("CONFIG", "SET", "stream-node-max-entries", "100");
      await p.same("CONFIG", "SET", "appendonly", "no");
    }
  });
});
