import { beforeEach, describe, expect, test } from "bun:test";
import { crc64 } from "../../src/persistence/crc64.ts";
import { seededRandom } from "../helpers/random.ts";
import { decodeReply, encodeCommand } from "../helpers/resp.ts";
import { usePair } from "./harness.ts";

const pair = usePair();
beforeEach(async () => {
  await pair().same("FLUSHALL");
});

describe("DEL and UNLINK", () => {
  test("count only the keys that existed", async () => {
    const p = pair();
    await p.same("SET", "a", "1");
    await p.same("SET", "b", "2");
    await p.same("DEL", "a", "b", "c", "a");
    await p.same("SET", "a", "1");
    await p.same("UNLINK", "a", "z");
    await p.same("DEL");
  });
});

describe("EXISTS and TYPE", () => {
  test("EXISTS counts repeats; TYPE names the type", async () => {
    const p = pair();
    await p.same("SET", "a", "1");
    await p.same("EXISTS", "a", "a", "b");
    await p.same("TYPE", "a");
    await p.same("TYPE", "nope");
    await p.same("TYPE");
  });

  test("EXISTS, TYPE, TTL and PTTL of small aggregates held in their keys' cells, with and without a TTL, counted as reads", async () => {
    const p = pair();
    await p.same("FLUSHALL");
    await p.same("CONFIG", "RESETSTAT");
    await p.script(`
      HSET h f v
      SADD s 1 2
      SADD t a
      ZADD z 1 m
      RPUSH l a b
      XADD x 1-1 f v
      SET str v
      PEXPIREAT z 4102444800123
      EXPIREAT l 4102444800
      TYPE h
      TYPE s
      TYPE t
      TYPE z
      TYPE l
      TYPE x
      TYPE str
      EXISTS h s t z l x str nope h
      TTL h
      PTTL s
      EXPIRETIME z
      PEXPIRETIME z
      PEXPIRETIME l
      TTL nope
      DBSIZE`);
    // A relative TTL is read at each server's own moment: the two agree within a second.
    const ttls = (await p.both("TTL", "z")).map((reply) => decodeReply(reply) as number);
    expect(ttls[0]! > 0 && Math.abs(ttls[0]! - ttls[1]!) <= 1).toBe(true);
    const stats = async () => (await p.both("INFO", "stats")).map((info) => /keyspace_hits:\d+\r\nkeyspace_misses:\d+/.exec(info)![0]);
    const [k, r] = await stats();
    expect(k).toBe(r);
  });
});

describe("KEYS", () => {
  test("glob patterns match as in Redis", async () => {
    const p = pair();
    for (const k of ["hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "other"]) await p.same("SET", k, "1");
    await p.same("SET", "a".repeat(40), "1");
    // The last one is Redis's regression for patterns that used to take exponential time.
    for (const pattern of ["h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h\\*llo", "nomatch*", "*o*", `${"a*".repeat(20)}b`, `${"a*".repeat(20)}a`]) {
      const [a, b] = await p.both("KEYS", pattern);
      const sorted = (reply: string) => reply.split("\r\n").slice(1).filter((_, i) => i % 2 === 1).sort();
      if (JSON.stringify(sorted(a)) !== JSON.stringify(sorted(b))) throw new Error(`KEYS ${pattern}: ${a} vs ${b}`);
    }
  });
});

describe("EXPIRE family", () => {
  test("EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT on present and missing keys", async () => {
    const p = pair();
    await p.same("EXPIRE", "missing", "100");
    await p.same("SET", "k", "v");
    await p.same("EXPIRE", "k", "100");
    await p.same("TTL", "k");
    await p.same("PEXPIRE", "k", "200000");
    await p.same("TTL", "k");
    await p.same("EXPIREAT", "k", "4102444800");
    await p.same("EXPIRETIME", "k");
    await p.same("PEXPIREAT", "k", "4102444800555");
    await p.same("PEXPIRETIME", "k");
    await p.same("PERSIST", "k");
    await p.same("PERSIST", "k");
    await p.same("TTL", "k");
    await p.same("PTTL", "k");
    await p.same("TTL", "missing");
    await p.same("EXPIRETIME", "missing");
  });

  test("NX, XX, GT and LT decide whether the TTL changes", async () => {
    const p = pair();
    await p.same("SET", "k", "v");
    await p.same("EXPIRE", "k", "100", "XX");
    await p.same("EXPIRE", "k", "100", "GT");
    await p.same("EXPIRE", "k", "100", "LT");
    await p.same("EXPIRE", "k", "200", "NX");
    await p.same("EXPIRE", "k", "300", "NX");
    // Not 100 again: a millisecond passing between the two would make "100 GT" succeed on
    // one server and not the other.
    await p.same("EXPIRE", "k", "50", "GT");
    await p.same("EXPIRE", "k", "300", "GT");
    await p.same("EXPIRE", "k", "400", "LT");
    await p.same("EXPIRE", "k", "100", "LT");
    await p.same("EXPIRE", "k", "150", "XX", "GT");
    await p.same("TTL", "k");
  });

  test("option and time errors come in Redis's order", async () => {
    const p = pair();
    await p.same("SET", "k", "v");
    for (const args of [
      ["k", "10", "FOO"], ["k", "abc", "FOO"], ["k", "abc", "NX", "XX"], ["k", "10", "NX", "GT"], ["k", "10", "GT", "LT"],
      ["k", "abc"], ["k", "9223372036854775807"], ["k", "-9223372036854775808"], ["k"],
    ]) {
      await p.same("EXPIRE", ...args);
    }
    await p.same("PEXPIRE", "k", "9223372036854775807");
    await p.same("EXPIREAT", "k", "9223372036854775807");
    // The bounds of seconds converted to ms are exact, beyond a double's 2^53.
    for (const seconds of ["-9223372036854776", "-9223372036854775", "9223372036854775", "9223372036854776", "-9999999999999999"]) {
      await p.same("SET", "s", "v");
      await p.same("EXPIRE", "s", seconds);
      await p.same("EXISTS", "s");
      await p.same("SET", "s", "v", "EX", seconds);
      await p.same("GETEX", "s", "EX", seconds);
    }
    await p.same("TTL", "k");
  });

  test("a deadline in the past deletes the key", async () => {
    const p = pair();
    await p.same("SET", "k", "v");
    await p.same("EXPIRE", "k", "-1");
    await p.same("EXISTS", "k");
    await p.same("SET", "k", "v");
    await p.same("PEXPIREAT", "k", "1");
    await p.same("GET", "k");
  });
});

describe("RENAME and RENAMENX", () => {
  test("the value and its TTL move; errors for a missing key", async () => {
    await pair().script(`
      SET a 1
      EXPIRE a 100
      RENAME a b
      TTL b
      EXISTS a
      RENAME a b
      RENAME b b
      RENAMENX b b
      SET c 3
      RENAMENX b c
      RENAMENX b d
      RPUSH l x
      RENAME l d
      TYPE d
      LRANGE d 0 -1
      RENAMENX missing x
      RENAME missing missing`);
  });
});

describe("COPY and MOVE", () => {
  test("COPY duplicates every type, with DB and REPLACE", async () => {
    await pair().script(`
      SET s v
      EXPIRE s 100
      COPY s t
      TTL t
      COPY s t
      COPY s t REPLACE
      RPUSH l a b
      COPY l l2
      RPUSH l2 c
      LRANGE l 0 -1
      LRANGE l2 0 -1
      COPY l l DB 0
      COPY l l DB 1
      SELECT 1
      LRANGE l 0 -1
      SELECT 0
      COPY l x DB 99
      COPY l x DB abc
      COPY l x BOGUS
      COPY missing x
      COPY s`);
  });

  test("MOVE moves to another database unless the key is there", async () => {
    await pair().script(`
      SET k v
      MOVE k 1
      EXISTS k
      SELECT 1
      GET k
      SET k other
      SELECT 0
      SET k mine
      MOVE k 1
      MOVE k 0
      MOVE k 16
      MOVE k -1
      MOVE k abc
      MOVE missing 1`);
  });
});

describe("RANDOMKEY, TOUCH, OBJECT", () => {
  test("RANDOMKEY on an empty and a one-key database, TOUCH counts", async () => {
    await pair().script(`
      RANDOMKEY
      SET only v
      RANDOMKEY
      TOUCH only missing only
      RANDOMKEY extra`);
  });

  test("OBJECT ENCODING names Redis's encodings", async () => {
    const p = pair();
    await p.script(`
      SET int 12345
      SET neg -5
      SET emb hello
      SET big 123456789012345678901
      OBJECT ENCODING int
      OBJECT ENCODING neg
      OBJECT ENCODING emb
      OBJECT ENCODING big
      OBJECT ENCODING missing
      OBJECT REFCOUNT int
      OBJECT REFCOUNT emb
      OBJECT REFCOUNT missing
      OBJECT FREQ emb
      OBJECT IDLETIME missing
      OBJECT HELP
      OBJECT BOGUS x
      OBJECT ENCODING`);
    await p.same("SET", "raw", "x".repeat(45));
    await p.same("SET", "emb44", "x".repeat(44));
    await p.same("OBJECT", "ENCODING", "raw");
    await p.same("OBJECT", "ENCODING", "emb44");
  });

  test("OBJECT REFCOUNT: COPY makes an integer of its own, which RENAME and MOVE keep and a new value drops", async () => {
    await pair().script(`
      SET small 7
      COPY small copied
      OBJECT REFCOUNT copied
      OBJECT REFCOUNT small
      RENAME copied renamed
      OBJECT REFCOUNT renamed
      MOVE renamed 1
      SELECT 1
      OBJECT REFCOUNT renamed
      SELECT 0
      COPY small again
      INCR again
      OBJECT REFCOUNT again
      COPY small third
      SET third 5
      OBJECT REFCOUNT third`);
  });

  test("OBJECT REFCOUNT: small integers are shared, but not under maxmemory with an LRU or LFU policy", async () => {
    try {
      await pair().script(`
      SET small 1
      OBJECT REFCOUNT small
      CONFIG SET maxmemory 1073741824
      CONFIG SET maxmemory-policy allkeys-random
      SET a 1
      OBJECT REFCOUNT a
      CONFIG SET maxmemory-policy allkeys-lru
      SET b 2
      OBJECT REFCOUNT b
      CONFIG SET maxmemory-policy volatile-lfu
      SET c 9999
      OBJECT REFCOUNT c
      SET d 10000
      OBJECT REFCOUNT d`);
    } finally {
      await pair().script(`CONFIG SET maxmemory 0
CONFIG SET maxmemory-policy noeviction`);
    }
  });
});

describe("SORT and SORT_RO", () => {
  test("numeric and ALPHA order, DESC, LIMIT, and errors", async () => {
    await pair().script(`
      RPUSH l 3 1 2 10 -5 2.5
      SORT l
      SORT l DESC
      SORT l LIMIT 1 3
      SORT l LIMIT -1 2
      SORT l LIMIT 2 -1
      SORT l LIMIT 10 2
      SORT l ALPHA
      SORT l ALPHA DESC LIMIT 0 2
      RPUSH words banana apple cherry
      SORT words
      SORT words ALPHA
      SADD s 5 3 9
      SORT s
      ZADD z 3 c 1 a 2 b
      SORT z ALPHA
      SORT z BY nosort
      SORT z BY nosort DESC LIMIT 1 1
      SORT l BY nosort
      SORT l BY nosort DESC LIMIT 1 2
      SORT missing
      SORT l LIMIT x 1
      SORT l LIMIT 1
      SORT l BOGUS
      SET str v
      SORT str
      SORT_RO l STORE dst
      SORT_RO l DESC`);
  });

  test("BY and GET patterns, hash fields, and STORE", async () => {
    await pair().script(`
      RPUSH ids 1 2 3
      MSET w_1 30 w_2 10 w_3 20 name_1 one name_2 two
      HSET h_1 f c
      HSET h_2 f a
      HSET h_3 f b
      SORT ids BY w_*
      SORT ids BY w_* GET name_* GET #
      SORT ids BY h_*->f ALPHA
      SORT ids BY h_*->f ALPHA GET h_*->f
      SORT ids BY missing_* GET missing_*
      SORT ids GET noasterisk
      SORT ids BY w_* STORE out
      LRANGE out 0 -1
      TYPE out
      SORT ids BY w_* GET name_* STORE out
      LRANGE out 0 -1
      SORT missing STORE out
      EXISTS out
      SADD st b a c
      SORT st BY nosort STORE out2
      LRANGE out2 0 -1
      RPUSH bad 1 x
      SORT bad`);
  });
});

describe("DUMP and RESTORE", () => {
  const footer = (body: number[]): string => {
    const bytes = new Uint8Array([...body, 10, 0]);
    const crc = crc64(bytes);
    const tail = new Uint8Array(8);
    new DataView(tail.buffer).setBigUint64(0, crc, true);
    return String.fromCharCode(...bytes, ...tail);
  };

  test("payloads of strings are byte-identical and restore with TTLs and options", async () => {
    const p = pair();
    await p.script(`SET s hello
SET n 123
SET neg -70000
SET e ""
DUMP missing
DUMP
DUMP a b`);
    for (const key of ["s", "n", "neg", "e"]) {
      const raw = await p.same("DUMP", key);
      const payload = decodeReply(raw) as string;
      await p.same("RESTORE", key, "0", payload);
      await p.same("RESTORE", `${key}2`, "0", payload);
      await p.same("GET", `${key}2`);
      await p.same("RESTORE", `${key}2`, "100000", payload, "REPLACE", "IDLETIME", "10");
      await p.same("TTL", `${key}2`);
      await p.same("RESTORE", `${key}2`, "4102444800123", payload, "REPLACE", "ABSTTL", "FREQ", "5");
      await p.same("PEXPIRETIME", `${key}2`);
      await p.same("RESTORE", `${key}2`, "1000", payload, "REPLACE", "ABSTTL");
      await p.same("EXISTS", `${key}2`);
    }
  });

  test("payloads of aggregates are byte-identical: listpack hashes and sorted sets, intsets, lists of one node or many, skiplists", async () => {
    const p = pair();
    const long = "chunk of text ".repeat(4);
    await p.script(`HSET h f v n 123 big 12345678901234567890 neg -0 long ${long.replace(/ /g, "_")}
HDEL h n
HSET h n -7 f v2
ZADD z -0 a 1.5 b 0.1 c 3 d 1e20 e -inf f 12345678901 g
ZADD z 2 a
SADD s16 1 5 -3
SADD s32 1 70000
SADD s64 1 7000000000
SREM s64 7000000000
RPUSH l a b c 12 -5 99999999999 -0 ${long.replace(/ /g, "_")}
LPUSH l head`);
    for (let i = 0; i < 300; i++) await p.both("ZADD", "big", String((i * 7) % 50 / 4), `member:${i}`);
    for (let i = 0; i < 300; i++) await p.both("RPUSH", "ints", String(i * 1000 - 150_000));
    // Lists of many nodes, pushed at both ends, the middle ones compressed in one: the
    // nodes split where quicklist splits them.
    const rnd = seededRandom(11);
    try {
      for (const [key, depth] of [["nodes", "0"], ["compressed", "1"]] as const) {
        await p.same("CONFIG", "SET", "list-compress-depth", depth);
        for (let i = 0; i < 1500; i++) {
          const element = i % 3 === 0 ? String(Math.floor(rnd() * 1e9)) : "e".repeat(Math.floor(rnd() * 90));
          await p.both(rnd() < 0.5 ? "LPUSH" : "RPUSH", key, element);
        }
      }
    } finally {
      await p.same("CONFIG", "SET", "list-compress-depth", "0");
    }
    // (DEBUG OBJECT's serializedlength is the payload's length: it matches with them.)
    for (const key of ["h", "z", "s16", "s32", "s64", "l", "big", "ints", "nodes", "compressed"]) await p.same("DUMP", key);
  });

  test("LZF-compressed strings: payloads are byte-identical to Redis's (its liblzf's choices of matches)", async () => {
    const p = pair();
    const rnd = seededRandom(7);
    for (let i = 0; i < 150; i++) {
      // Repeated words over a small or a full alphabet, now and then a random byte: text,
      // runs and binary, from just over 20 bytes (the least Redis compresses) to 20 KB.
      const length = 21 + Math.floor(rnd() * (i % 5 === 0 ? 20_000 : 300));
      const alphabet = i % 2 === 0 ? 3 : 256;
      const words = Array.from({ length: 1 + Math.floor(rnd() * 8) }, () =>
        Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => String.fromCharCode(Math.floor(rnd() * alphabet))).join(""),
      );
      let value = "";
      while (value.length < length) value += rnd() < 0.8 ? words[Math.floor(rnd() * words.length)] : String.fromCharCode(Math.floor(rnd() * 256));
      await p.same("SET", "lzf", value.slice(0, length));
      await p.same("DUMP", "lzf");
    }
  });

  test("errors in Redis's order", async () => {
    const p = pair();
    const payload = decodeReply(await p.same("DUMP", "x")) ?? "";
    await p.same("SET", "s", "v");
    const good = decodeReply(await p.same("DUMP", "s")) as string;
    await p.same("RESTORE", "s", "0", good);
    await p.same("RESTORE", "s", "0", "junk");
    await p.same("RESTORE", "t", "-1", good);
    await p.same("RESTORE", "t", "abc", good);
    await p.same("RESTORE", "t", "0", good, "IDLETIME", "-1");
    await p.same("RESTORE", "t", "0", good, "IDLETIME", "x");
    await p.same("RESTORE", "t", "0", good, "FREQ", "256");
    await p.same("RESTORE", "t", "0", good, "FREQ", "1", "IDLETIME", "1");
    await p.same("RESTORE", "t", "0", good, "IDLETIME");
    await p.same("RESTORE", "t", "0", good, "BOGUS");
    await p.same("RESTORE", "t", "0", "junk");
    await p.same("RESTORE", "t", "0", String(payload));
    await p.same("RESTORE", "t", "0", good.slice(0, -1) + String.fromCharCode(good.charCodeAt(good.length - 1) ^ 1));
    await p.same("RESTORE", "t", "0", footer([0, 5, 104]));
    await p.same("RESTORE", "t", "0", footer([99, 1, 104]));
    await p.same("RESTORE", "t", "0");
    await p.same("EXISTS", "t");
  });

  test("IDLETIME and FREQ set the key's access time or counter under an LRU or LFU policy", async () => {
    const p = pair();
    await p.same("SET", "src", "bar");
    const payload = decodeReply(await p.same("DUMP", "src")) as string;
    try {
      await p.same("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
      await p.same("RESTORE", "lfu", "0", payload, "FREQ", "100");
      await p.same("OBJECT", "FREQ", "lfu");
      await p.same("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
      await p.same("RESTORE", "lru", "0", payload, "IDLETIME", "1000");
      for (const idle of await p.both("OBJECT", "IDLETIME", "lru")) expect(Number(idle.slice(1, -2))).toBeWithin(1000, 1002);
      await p.same("GET", "lru");
      // Touched just now: 0, or 1 when the clock's second ticked between the two calls.
      for (const idle of await p.both("OBJECT", "IDLETIME", "lru")) expect(Number(idle.slice(1, -2))).toBeWithin(0, 2);
    } finally {
      await p.same("CONFIG", "SET", "maxmemory-policy", "noeviction");
    }
  });

  test("keys made before the policy turned to LFU have no accesses counted yet: OBJECT FREQ 0, then 1", async () => {
    const p = pair();
    try {
      await p.same("SET", "before", "x");
      await p.same("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
      await p.same("OBJECT", "FREQ", "before");
      await p.same("GET", "before");
      await p.same("OBJECT", "FREQ", "before");
      // A key made under LFU starts at LFU_INIT_VAL.
      await p.same("SET", "after", "x");
      await p.same("OBJECT", "FREQ", "after");
    } finally {
      await p.same("CONFIG", "SET", "maxmemory-policy", "noeviction");
    }
  });

  test("the LFU counter: each command's lookups count once, RENAME and MOVE carry it, an overwrite keeps it", async () => {
    const p = pair();
    // With lfu-log-factor 0 every access counts and no time decays it, so counters are
    // exact; with maxmemory set Redis keeps no shared integers (their counter is everyone's).
    const settings = [["maxmemory-policy", "allkeys-lfu"], ["lfu-log-factor", "0"], ["lfu-decay-time", "0"], ["maxmemory", "1gb"]];
    try {
      for (const [name, value] of settings) await p.same("CONFIG", "SET", name!, value!);
      await p.same("FLUSHALL");
      const freq = async (...keys: string[]) => {
        for (const key of keys) await p.same("OBJECT", "FREQ", key);
      };
      await p.script(`SET s 10
GET s
INCR s
INCRBY s 5
INCRBYFLOAT s 1.5
SET s x XX
SET s y GET
GETSET s z
APPEND s more
RENAME s r
MOVE r 1
SELECT 1
RENAMENX r s
SELECT 0
PFADD h a b c
PFADD h d
XADD x 1-1 f v
XGROUP CREATE x g 0
XREADGROUP GROUP g c STREAMS x >
XACK x g 1-1
XCLAIM x g c 0 1-1
XAUTOCLAIM x g c 0 0
SADD a 1
SINTERSTORE d a a
ZADD z 1 m
ZUNIONSTORE d 2 z a`);
      await freq("h", "x", "a", "d", "z");
      await p.same("SELECT", "1");
      await freq("s");
    } finally {
      await p.same("SELECT", "0");
      for (const [name, value] of [["maxmemory-policy", "noeviction"], ["lfu-log-factor", "10"], ["lfu-decay-time", "1"], ["maxmemory", "0"]]) await p.same("CONFIG", "SET", name!, value!);
    }
  });
});

describe("what counts as a change (rdb_changes_since_last_save, which save points count)", () => {
  test("FLUSHALL with save points saves the empty dataset at once and zeroes the counter (not a save INFO counts); without them it counts", async () => {
    const p = pair();
    const figures = async () =>
      (await p.both("INFO", "persistence")).map((info) => ({
        changes: /rdb_changes_since_last_save:(-?\d+)/.exec(info)![1],
        saves: Number(/rdb_saves:(\d+)/.exec(info)![1]),
        at: Number(/rdb_last_save_time:(\d+)/.exec(info)![1]),
      }));
    try {
      await p.same("CONFIG", "SET", "save", "");
      // SAVE zeroes both counters first.
      await p.script(`SAVE
SET key value
FLUSHALL`);
      const [kOff, rOff] = await figures();
      expect(kOff!.changes).toBe(rOff!.changes);
      expect(Number(kOff!.changes)).toBeGreaterThan(0);
      await p.same("CONFIG", "SET", "save", "3600 1 300 100 60 10000");
      await p.script(`SET key value
FLUSHALL`);
      const [kOn, rOn] = await figures();
      expect([kOn!.changes, kOn!.saves - kOff!.saves]).toEqual(["0", 0]);
      expect([rOn!.changes, rOn!.saves - rOff!.saves]).toEqual(["0", 0]);
      // The save happened: its time is now.
      expect(kOn!.at).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 5);
    } finally {
      await p.same("CONFIG", "SET", "save", "");
    }
  });

  test("a command counts what Redis's counts: a TTL set with the value, a key moved, an emptied key's removal", async () => {
    const p = pair();
    // [setup, the command measured]
    const cases: Array<[string, string]> = [
      ["", "SET k v EX 100"], ["", "SET k v PX 100000 GET"], ["", "SETEX k 100 v"], ["", "PSETEX k 100000 v"],
      ["SET src v EX 100", "COPY src dst"], ["SET src v\nSET dst x", "COPY src dst REPLACE"],
      ["SET a v EX 100\nSET b x", "RENAME a b"], ["SET a v", "RENAME a b"], ["SET m v EX 100", "MOVE m 1"],
      ["RPUSH l a", "LPOP l"], ["RPUSH l a b", "LPOP l 2"], ["SADD s a", "SREM s a"], ["HSET h a 1", "HDEL h a"],
      ["ZADD z 1 a", "ZREM z a"], ["SADD s a", "SPOP s"], ["SADD s 1 2 3", "SPOP s 10"], ["ZADD z 1 a", "ZPOPMAX z"],
      ["RPUSH l a b c", "LTRIM l 5 10"], ["ZADD z 1 a 2 b", "ZREMRANGEBYRANK z 0 -1"], ["SADD s a", "SMOVE s t a"],
      ["RPUSH a x\nRPUSH b y", "LMOVE a b LEFT LEFT"], ["RPUSH a x", "RPOPLPUSH a a"], ["RPUSH a x y", "BRPOPLPUSH a b 1"],
      ["ZADD z 1 a", "BZPOPMIN z 1"], ["RPUSH a x", "BLPOP a 1"],
      ["GEOADD g 13 38 a 14 39 b", "GEORADIUS g 13 38 500 km STORE gs"], ["GEOADD g 13 38 a 14 39 b", "GEOSEARCHSTORE gs g FROMMEMBER a BYRADIUS 500 km"],
      // A consumer created counts one; XREADGROUP counts one a stream served, history included.
      ["XADD st 1-1 a 1\nXADD st 2-1 a 1\nXGROUP CREATE st g 0", "XREADGROUP GROUP g c1 COUNT 10 STREAMS st >"],
      ["XADD st 1-1 a 1\nXGROUP CREATE st g 0\nXREADGROUP GROUP g c1 STREAMS st >", "XREADGROUP GROUP g c1 COUNT 10 STREAMS st 0"],
      ["XADD st 1-1 a 1\nXGROUP CREATE st g 0", "XREADGROUP GROUP g c2 COUNT 10 STREAMS st 0"],
      ["XADD st 1-1 a 1\nXGROUP CREATE st g 0\nXREADGROUP GROUP g c1 STREAMS st >", "XCLAIM st g c2 0 1-1"],
      ["XADD st 1-1 a 1\nXGROUP CREATE st g 0\nXREADGROUP GROUP g c1 STREAMS st >", "XAUTOCLAIM st g c3 0 0"],
      ["XADD st 1-1 a 1\nXGROUP CREATE st g 0", "XGROUP CREATECONSUMER st g c1"],
      ["RPUSH l 3 1 2", "SORT l STORE dst"], ["RPUSH l 3 1 2\nSET dst x", "SORT l LIMIT 0 0 STORE dst"],
    ];
    for (const [setup, command] of cases) {
      await p.same("FLUSHALL");
      await p.script(setup);
      await p.sameDirtyGrowth(command);
    }
  });

  test("a pop served to a client that waited counts as Redis's serve does (none for a single list element)", async () => {
    const p = pair();
    const cases: Array<[string[], string]> = [
      [["BLPOP", "bl", "0"], "LPUSH bl x"], [["BRPOP", "br", "0"], "RPUSH br a b"], [["BLMOVE", "bm", "dst", "LEFT", "LEFT", "0"], "RPUSH bm y z"],
      [["BRPOPLPUSH", "bq", "dq", "0"], "RPUSH bq a"], [["BLMPOP", "0", "1", "bl", "LEFT", "COUNT", "2"], "RPUSH bl a b c"],
      [["BZPOPMIN", "bz", "0"], "ZADD bz 1 a"], [["BZMPOP", "0", "1", "bz", "MIN", "COUNT", "2"], "ZADD bz 1 a 2 b 3 c"],
    ];
    for (const [block, write] of cases) {
      await p.same("FLUSHALL");
      const [k2, r2] = await p.connectBoth();
      try {
        k2.write(encodeCommand(block));
        r2.write(encodeCommand(block));
        await p.blocked(1);
        await p.sameDirtyGrowth(write);
        const [served] = await k2.readReplies(1);
        expect(served).toBe((await r2.readReplies(1))[0]!);
      } finally {
        k2.close();
        r2.close();
      }
    }
  });
});
