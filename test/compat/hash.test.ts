import { beforeEach, describe, expect, test } from "bun:test";
import { decodeReply } from "../helpers/resp.ts";
import { usePair } from "./harness.ts";

const pair = usePair();
beforeEach(async () => {
  await pair().same("FLUSHALL");
});

describe("HGETALL, HKEYS and HVALS of a hash table", () => {
  test("every pair from the table's bytes, binary and all", async () => {
    const p = pair();
    const pairs = Array.from({ length: 600 }, (_, i) => [`f${i}\u0000\u00ff`, `${"v".repeat(i % 70)}\r\n${i}`]);
    await p.same("HSET", "h", ...pairs.flat());
    await p.same("OBJECT", "ENCODING", "h");
    const sorted = (raw: string) => (decodeReply(raw) as string[]).map(String).sort();
    for (const command of ["HKEYS", "HVALS", "HGETALL"]) {
      const [k, r] = await p.both(command, "h");
      expect(sorted(k)).toEqual(sorted(r));
    }
    // HGETALL's pairs stay together.
    const [k] = await p.both("HGETALL", "h");
    const flat = decodeReply(k) as string[];
    for (let i = 0; i < flat.length; i += 2) expect(flat[i + 1]).toBe(pairs[Number(String(flat[i]).slice(1, -2))]![1]);
  });
});

describe("HSET, HMSET, HSETNX, HGET, HMGET", () => {
  test("set and read fields", async () => {
    await pair().script(`
      HSET h a 1 b 2
      HSET h a 10 c 3
      HMSET h d 4
      HSETNX h a x
      HSETNX h e 5
      HGET h a
      HGET h nope
      HGET missing a
      HMGET h a nope e
      HMGET missing a b
      HSET h b 9 a 77
      HGETALL h
      HSET h a
      HMSET h a 1 b
      HSETNX missing f v
      HGETALL missing
      TYPE h
      OBJECT ENCODING h
      SET s x
      HSET s a 1
      HGET s a
      HMGET s a`);
  });

  test("listpack order is insertion order, and big hashes become hashtables", async () => {
    const p = pair();
    await p.script(`
      HSET h z 1 y 2 x 3
      HDEL h y
      HSET h y 4
      HGETALL h
      HKEYS h
      HVALS h`);
    await p.same("HSET", "long", "f", "v".repeat(65));
    await p.same("OBJECT", "ENCODING", "long");
    for (let i = 0; i < 513; i++) await p.same("HSET", "many", `f${i}`, "v");
    await p.same("OBJECT", "ENCODING", "many");
    await p.same("HLEN", "many");
  });
});

describe("HSET and HGET of a small hash, on its bytes in the key's cell", () => {
  test("values replaced longer, shorter and alike, fields added and repeated, order kept, changes counted", async () => {
    await pair().sameDirtyGrowth(`
      HSET h a 1 b 22 c 333
      HSET h b 4444444 d 5
      HGETALL h
      HSET h b x a ""
      HGETALL h
      HSET h c 999 c 1 e 2 e 3
      HGETALL h
      HMSET h a 7
      HGET h a
      HGET h b
      HGET h nope
      HGET nokey a
      HSET new f 1 f 2
      HGETALL new
      HLEN h
      OBJECT ENCODING h`);
  });

  test("reads from its bytes: HMGET, HGETALL, HKEYS, HVALS, HEXISTS, HLEN, HSTRLEN, in RESP2 and RESP3", async () => {
    const p = pair();
    const reads = `
      HMGET h a nope c a
      HMGET h nope
      HGETALL h
      HKEYS h
      HVALS h
      HEXISTS h c
      HEXISTS h nope
      HLEN h
      HSTRLEN h b
      HSTRLEN h nope
      HGETALL nokey
      HMGET nokey a
      HLEN nokey
      HSTRLEN nokey a
      HEXISTS nokey a`;
    await p.script(`
      HSET h a 1 b "" c 333 d 4
      SET s x
      HMGET s a
      HGETALL s
      HLEN s
      HSTRLEN s a
      HEXISTS s a
      ${reads}`);
    await p.both("HELLO", "3");
    try {
      await p.script(reads);
    } finally {
      await p.both("HELLO", "2");
    }
  });

  test("HINCRBY on its bytes, and where it is not a small integer's job", async () => {
    await pair().sameDirtyGrowth(`
      HSET h a 1 b x c 9007199254740990 d 9223372036854775806 e 007
      HINCRBY h a 41
      HINCRBY h a -100
      HINCRBY h new 5
      HINCRBY h b 1
      HINCRBY h c 1
      HINCRBY h c 1
      HINCRBY h c 10
      HINCRBY h d 1
      HINCRBY h d 1
      HINCRBY h e 1
      HINCRBY h a x
      HINCRBY fresh f -3
      HGETALL h
      HGETALL fresh
      OBJECT ENCODING h`);
  });

  test("HGET and HINCRBY of a hash table on its cells' bytes, and where it is not a small integer's job", async () => {
    const p = pair();
    // A value past hash-max-listpack-value makes a hash table at once.
    await p.same("HSET", "t", "long", "v".repeat(100), "a", "1", "b", "x", "c", "9007199254740990", "d", "9223372036854775806", "e", "007", "\u00ff\u0000", "-5");
    await p.same("OBJECT", "ENCODING", "t");
    await p.sameDirtyGrowth(`
      HGET t a
      HGET t long
      HGET t nosuch
      HINCRBY t a 41
      HINCRBY t a -100
      HINCRBY t a 99999
      HINCRBY t new 5
      HINCRBY t b 1
      HINCRBY t c 1
      HINCRBY t c 1
      HINCRBY t c 10
      HINCRBY t d 1
      HINCRBY t d 1
      HINCRBY t e 1
      HINCRBY t a x
      HGET t a
      HGET t c
      HGET t new
      HSET t a 7 f1 v1 f2 v2 f1 v3
      HMSET t long short b 12
      HGET t a
      HGET t f1
      HGET t long
      HINCRBY t b 30
      HLEN t`);
    await p.same("HINCRBY", "t", "\u00ff\u0000", "-9");
    await p.same("HGET", "t", "\u00ff\u0000");
    await p.same("HLEN", "t");
    await p.same("OBJECT", "ENCODING", "t");
  });

  test("a field added or a value set past the listpack limits converts it as in Redis", async () => {
    const p = pair();
    try {
      await p.script(`
        CONFIG SET hash-max-listpack-entries 3 hash-max-listpack-value 8
        HSET h a 1 b 2 c 3
        HSET h a 4
        OBJECT ENCODING h
        HSET h d 4
        OBJECT ENCODING h
        HGET h a
        HLEN h
        HSET v a 1
        HSET v a 123456789
        OBJECT ENCODING v
        HSET w 12345678 1
        HSET w 123456789 1
        OBJECT ENCODING w
        HSET x a 1 b 2 c 3 d 4
        OBJECT ENCODING x
        HSET y 123456789 1
        OBJECT ENCODING y`);
    } finally {
      await p.same("CONFIG", "SET", "hash-max-listpack-entries", "128", "hash-max-listpack-value", "64");
    }
  });

  test("HDEL on its bytes: fields there, missing and repeated, the last one deleting the key, changes counted", async () => {
    await pair().sameDirtyGrowth(`
      HSET h a 1 bb 22 ccc 333 d ""
      HDEL h bb
      HGETALL h
      HDEL h nope
      HDEL h a a nope d
      HGETALL h
      HSET h e 5
      HDEL h e ccc
      EXISTS h
      HDEL h ccc
      HDEL missing f
      SET str v
      HDEL str f
      HSET t f v
      HDEL t f f
      EXISTS t`);
  });

  test("HSETNX on its bytes: a field there is kept, a new one added, a long value converts, changes counted", async () => {
    await pair().sameDirtyGrowth(`
      HSETNX h a 1
      HSETNX h a 2
      HSETNX h b 22
      HGETALL h
      HSETNX h c ${"x".repeat(65)}
      OBJECT ENCODING h
      HSETNX h c y
      HMGET h a b c
      HLEN h
      SET str v
      HSETNX str f v`);
  });

  test("every byte in fields and values", async () => {
    const p = pair();
    const bytes = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
    for (let i = 0; i < 256; i += 32) await p.same("HSET", "b", bytes.slice(i, i + 32), bytes.slice(255 - i - 31, 256 - i));
    await p.same("HSET", "b", bytes.slice(32, 64), bytes.slice(0, 5));
    for (let i = 0; i < 256; i += 32) await p.same("HGET", "b", bytes.slice(i, i + 32));
    await p.same("HGETALL", "b");
  });

  test("a key of another type, and one with a TTL, which stays", async () => {
    await pair().script(`
      SET s x
      HSET s a 1
      HGET s a
      HSET t a 1
      EXPIRE t 100
      HSET t b 2
      TTL t
      HGET t b`);
  });

  test("WATCH of a small hash: another client's HSET fails the EXEC", async () => {
    const p = pair();
    await p.same("HSET", "w", "a", "1");
    await p.sameAfterWatchedWrite("w", ["HSET", "w", "a", "2"], ["HGET", "w", "a"]);
  });
});

describe("HDEL, HEXISTS, HLEN, HSTRLEN", () => {
  test("deleting the last field deletes the key", async () => {
    await pair().script(`
      HSET h a 1 b 22
      HEXISTS h a
      HEXISTS h z
      HSTRLEN h b
      HSTRLEN h z
      HDEL h a z a
      HLEN h
      HDEL h b
      EXISTS h
      HDEL missing a
      HLEN missing`);
  });
});

describe("HINCRBY, HINCRBYFLOAT", () => {
  test("integer and float increments and their errors", async () => {
    await pair().script(`
      HINCRBY h n 5
      HINCRBY h n -10
      HINCRBY h n x
      HSET h s abc
      HINCRBY h s 1
      HSET h big 9223372036854775807
      HINCRBY h big 1
      HSET h edge 9007199254740990 z -0 lead 007 plus +1 space " 1"
      HINCRBY h edge 1
      HINCRBY h edge 1
      HINCRBY h edge 1
      HINCRBY h edge -9007199254740993
      HINCRBY h z 1
      HINCRBY h lead 1
      HINCRBY h plus 1
      HINCRBY h space 1
      HINCRBY h new 9223372036854775807
      HINCRBY h new -9223372036854775807
      HINCRBY h new2 -9223372036854775808
      HINCRBY h new2 -1
      HINCRBY h new3 9007199254740993
      HMGET h edge new new2 new3
      HINCRBYFLOAT h f 0.1
      HINCRBYFLOAT h f 0.2
      HINCRBYFLOAT h s 1
      HINCRBYFLOAT h f abc
      HINCRBYFLOAT h f inf
      HINCRBYFLOAT h f nan
      HSET h huge 1e4000
      HINCRBYFLOAT h huge 1
      HMGET h n s big f huge`);
  });
});

describe("HRANDFIELD", () => {
  test("counts, repeats and errors", async () => {
    const p = pair();
    await p.script(`
      HRANDFIELD missing
      HRANDFIELD missing 5
      HSET h a 1 b 2 c 3
      HRANDFIELD h 0
      HRANDFIELD h 5
      HRANDFIELD h 5 WITHVALUES
      HRANDFIELD h 1 bogus
      HRANDFIELD h x
      HRANDFIELD h 1 WITHVALUES x
      HRANDFIELD h -9223372036854775808`);
    for (const args of [["3"], ["2"], ["-7"], ["-4", "WITHVALUES"], ["2", "WITHVALUES"]]) {
      const [k, r] = await p.both("HRANDFIELD", "h", ...args);
      expect((decodeReply(k) as string[]).length).toBe((decodeReply(r) as string[]).length);
    }
    const one = decodeReply((await p.both("HRANDFIELD", "h"))[0]);
    expect(["a", "b", "c"]).toContain(one as string);
  });

  test("a hash table's fields are picked at random slots: distinct for a small count, repeats for a negative one, values their own", async () => {
    const p = pair();
    const fields = Array.from({ length: 2000 }, (_, i) => `f${i}`);
    await p.same("HSET", "big", ...fields.flatMap((f, i) => [f, `v${i}`]));
    await p.same("OBJECT", "ENCODING", "big");
    for (const args of [[], ["1"], ["5"], ["600"], ["-5"], ["-3000"], ["5", "WITHVALUES"], ["-5", "WITHVALUES"], ["700", "WITHVALUES"], ["2000"], ["2500"]]) {
      const [k, r] = (await p.both("HRANDFIELD", "big", ...args)).map((reply) => decodeReply(reply));
      const ours = (Array.isArray(k) ? k : [k]) as string[];
      expect(ours.length).toBe((Array.isArray(r) ? r : [r]).length);
      const withValues = args[1] === "WITHVALUES";
      const picked = withValues ? ours.filter((_, i) => i % 2 === 0) : ours;
      for (const [i, field] of picked.entries()) {
        expect(fields).toContain(field);
        if (withValues) expect(ours[2 * i + 1]).toBe(`v${field.slice(1)}`);
      }
      // A positive count gives distinct fields.
      if (!args[0]?.startsWith("-")) expect(new Set(picked).size).toBe(picked.length);
    }
    // Over many single picks, fields from all over the table come up.
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(decodeReply(await p.kvis.call("HRANDFIELD", "big")) as string);
    expect(seen.size).toBeGreaterThan(150);
  });
});

describe("HRANDFIELD of a small hash's bytes", () => {
  test("a field at random, each of them in time; one field, none, another type", async () => {
    const p = pair();
    await p.script(`
      HSET one \xff v
      HRANDFIELD one
      HRANDFIELD missing
      SET str v
      HRANDFIELD str`);
    const fields = ["1", "-20", "300000", "abc", "\x00\xff"];
    await p.same("HSET", "h", ...fields.flatMap((f) => [f, `v${f}`]));
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(decodeReply(await p.kvis.call("HRANDFIELD", "h")) as string);
    expect([...seen].sort()).toEqual([...fields].sort());
    await p.same("HLEN", "h");
  });
});

describe("HRANDFIELD with a count, of a small hash's bytes", () => {
  test("distinct picks under the size, repeats for a negative count, values with their fields, RESP3 pairs, every field in time", async () => {
    const p = pair();
    const fields = ["1", "-20", "300000", "abc", "\x00\xff", "f"];
    await p.same("HSET", "h", ...fields.flatMap((f) => [f, `v${f}`]));
    // Enough fields to reach the size: the whole hash, in its order, as Redis.
    await p.same("HRANDFIELD", "h", "6", "WITHVALUES");
    await p.same("HRANDFIELD", "h", "100");
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const picked = decodeReply(await p.kvis.call("HRANDFIELD", "h", "3")) as string[];
      expect(new Set(picked).size).toBe(3);
      for (const f of picked) seen.add(f);
      const flat = decodeReply(await p.kvis.call("HRANDFIELD", "h", "-4", "WITHVALUES")) as string[];
      expect(flat.length).toBe(8);
      for (let k = 0; k < 8; k += 2) expect(flat[k + 1]).toBe(`v${flat[k]}`);
    }
    expect([...seen].sort()).toEqual([...fields].sort());
    const [k] = await p.connectBoth();
    try {
      await k.call("HELLO", "3");
      const pairs = decodeReply(await k.call("HRANDFIELD", "h", "2", "WITHVALUES")) as string[][];
      expect(pairs.length).toBe(2);
      for (const [f, v] of pairs) expect(v).toBe(`v${f}`);
    } finally {
      k.close();
    }
  });
});

describe("HSCAN", () => {
  test("small hashes come back whole; big ones over several calls", async () => {
    const p = pair();
    await p.script(`
      HSET h a 1 b 2 c 3
      HSCAN h 0
      HSCAN h 0 MATCH b*
      HSCAN h 0 COUNT 1
      HSCAN missing 0
      HSCAN h 0 TYPE string
      HSCAN h x`);
    for (let i = 0; i < 600; i++) await p.same("HSET", "big", `f${i}`, `${i}`);
    for (const client of [p.kvis, p.redis]) {
      for (const match of [[], ["MATCH", "f1*"]]) {
        const seen = new Map<string, string>();
        let cursor = "0";
        do {
          const [next, items] = decodeReply(await client.call("HSCAN", "big", cursor, "COUNT", "50", ...match)) as [string, string[]];
          for (let i = 0; i < items.length; i += 2) seen.set(items[i]!, items[i + 1]!);
          cursor = next;
        } while (cursor !== "0");
        // Every field with its own value (a table hands them out together; MATCH skips some).
        const expected = Array.from({ length: 600 }, (_, i) => `f${i}`).filter((f) => match.length === 0 || f.startsWith("f1"));
        expect(seen.size).toBe(expected.length);
        for (const f of expected) expect(seen.get(f)).toBe(f.slice(1));
      }
    }
  });
});
