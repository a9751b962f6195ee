import { beforeEach, describe, expect, test } from "bun:test";
import { decodeReply } from "../helpers/resp.ts";
import { usePair } from "./harness.ts";

const pair = usePair();
beforeEach(async () => {
  await pair().same("FLUSHALL");
});

/** Send to both and compare the replies as sets of members (hash-table order is Redis's own). */
async function sameMembers(...args: string[]): Promise<void> {
  const [k, r] = await pair().both(...args);
  const sort = (raw: string) => {
    const d = decodeReply(raw);
    return Array.isArray(d) ? [...d].map(String).sort() : d;
  };
  expect({ args, reply: sort(k) }).toEqual({ args, reply: sort(r) });
}

describe("SADD, SREM, SISMEMBER, SMISMEMBER, SCARD, SMEMBERS", () => {
  test("integer sets are intsets and come back sorted", async () => {
    await pair().script(`
      SADD s 5 3 -1 10 3
      SMEMBERS s
      SCARD s
      OBJECT ENCODING s
      SISMEMBER s 3
      SISMEMBER s 4
      SMISMEMBER s 3 4 5
      SMISMEMBER missing a
      SREM s 3 4
      SMEMBERS s
      SADD s x
      OBJECT ENCODING s
      SREM s 5 -1 10 x
      EXISTS s
      SMEMBERS missing
      SCARD missing
      SET str v
      SADD str a
      SMEMBERS str
      SISMEMBER str a
      SADD s`);
  });

  test("string members and conversions", async () => {
    const p = pair();
    await p.same("SADD", "s", "a", "b", "c", "a");
    await sameMembers("SMEMBERS", "s");
    for (let i = 0; i < 513; i++) await p.same("SADD", "ints", String(i));
    await p.same("OBJECT", "ENCODING", "ints");
    await p.same("SADD", "small", "1", "2");
    await p.same("OBJECT", "ENCODING", "small");
    // Large sets: an intset in its table replies sorted, as Redis's; a hash table's
    // members come from its cells, binary bytes and all.
    for (let i = 0; i < 300; i++) await p.same("SADD", "intset", String(1000 - 7 * i));
    await p.same("OBJECT", "ENCODING", "intset");
    await p.same("SMEMBERS", "intset");
    await sameMembers("SMEMBERS", "ints");
    const members = Array.from({ length: 700 }, (_, i) => `m${i}\u0000\u00ff${"x".repeat(i % 40)}`);
    await p.same("SADD", "big", ...members);
    await sameMembers("SMEMBERS", "big");
    await sameMembers("SUNION", "big", "small");
  });
});

describe("SADD of a large set, found from the request's bytes", () => {
  test("members added, repeated and already there, an intset grown past its size, changes counted", async () => {
    const p = pair();
    await p.same("SADD", "big", ...Array.from({ length: 200 }, (_, i) => `m${i}`));
    await p.same("SADD", "ints", ...Array.from({ length: 600 }, (_, i) => String(i)));
    await p.sameDirtyGrowth(`
      SADD big m1 new new2 new
      SADD big m2
      SADD ints 1 2 3
      SADD ints 9999
      SADD ints abc
      OBJECT ENCODING ints
      SCARD big
      SCARD ints
      SISMEMBER big new2
      SISMEMBER ints abc`);
  });
});

describe("SADD, SISMEMBER, SMISMEMBER and SCARD of a small set, on its bytes in the key's cell", () => {
  test("an intset's width and encoding as it grows, members repeated, changes counted, the dump Redis writes", async () => {
    await pair().sameDirtyGrowth(`
      SADD i 5 3 5
      SADD i 3
      SADD i 70000 -2
      DUMP i
      SADD i 5000000000
      DUMP i
      SMEMBERS i
      OBJECT ENCODING i
      SADD i x 1 x
      OBJECT ENCODING i
      SCARD i
      SISMEMBER i 70000
      SISMEMBER i 7
      SMISMEMBER i x 5000000000 y
      SADD s a b
      OBJECT ENCODING s
      SADD s 1
      SCARD s
      SADD n 007
      OBJECT ENCODING n
      SADD n 7
      OBJECT ENCODING n
      SCARD missing
      SISMEMBER missing a
      SET str v
      SADD str a
      SISMEMBER str a
      SCARD str
      SMISMEMBER str a`);
  });

  test("SREM on its bytes: an intset keeps its width, members missing and repeated, the last one deleting the key, changes counted", async () => {
    await pair().sameDirtyGrowth(`
      SADD i 1 70000 -5 3
      SREM i 70000
      SMEMBERS i
      DUMP i
      SREM i 1 1 nope
      SREM i x
      OBJECT ENCODING i
      SREM i -5 3
      EXISTS i
      SADD s a bb ccc 1
      SREM s bb 1
      SMISMEMBER s a bb ccc 1
      SREM s a ccc
      EXISTS s
      SREM missing a
      SET str v
      SREM str a`);
  });

  test("past set-max-intset-entries, and past the members held packed", async () => {
    const p = pair();
    try {
      await p.same("CONFIG", "SET", "set-max-intset-entries", "3");
      await p.script(`
        SADD i 1 2 3
        OBJECT ENCODING i
        SADD i 4
        OBJECT ENCODING i`);
      await sameMembers("SMEMBERS", "i");
      for (let i = 0; i < 40; i++) await p.same("SADD", "many", `m${i}`, String(i));
      await p.same("SCARD", "many");
      await p.same("SISMEMBER", "many", "m39");
      await sameMembers("SMEMBERS", "many");
    } finally {
      await p.same("CONFIG", "SET", "set-max-intset-entries", "512");
    }
  });

  test("every byte in members", async () => {
    const p = pair();
    const bytes = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
    for (let i = 0; i < 256; i += 16) await p.same("SADD", "b", bytes.slice(i, i + 16), bytes.slice(i, i + 3));
    for (let i = 0; i < 256; i += 16) await p.same("SMISMEMBER", "b", bytes.slice(i, i + 16), bytes.slice(i, i + 4));
    await sameMembers("SMEMBERS", "b");
  });
});

/** Members of a small set that is not an intset: integers of three widths, a word and two binary bytes. */
const MIXED_MEMBERS = ["1", "-20", "300000", "abc", "\x00\xff"];

describe("SPOP and SRANDMEMBER", () => {
  test("counts, the whole set, and errors", async () => {
    const p = pair();
    await p.script(`
      SPOP missing
      SPOP missing 3
      SRANDMEMBER missing
      SRANDMEMBER missing 3
      SADD s 1 2 3
      SPOP s 0
      SRANDMEMBER s 0
      SRANDMEMBER s 10
      SPOP s -1
      SPOP s x
      SPOP s 1 2
      SRANDMEMBER s x
      SRANDMEMBER s 1 2
      SRANDMEMBER s -9223372036854775808
      SPOP s 10
      EXISTS s`);
    await p.same("SADD", "t", "1", "2", "3", "4", "5");
    for (const args of [["SRANDMEMBER", "t", "3"], ["SRANDMEMBER", "t", "-8"], ["SPOP", "t", "2"]]) {
      const [k, r] = await p.both(...args);
      expect((decodeReply(k) as string[]).length).toBe((decodeReply(r) as string[]).length);
    }
    await p.same("SCARD", "t");
  });

  test("SRANDMEMBER with a count, of a small set's bytes: the whole set as Redis's, distinct picks, repeats, every member in time", async () => {
    const p = pair();
    await p.same("SADD", "i", "9", "-2", "5", "9007199254740993", "3");
    // Enough to reach the size: the whole set as a set reply, an intset's by value.
    await p.same("SRANDMEMBER", "i", "5");
    await p.same("SRANDMEMBER", "i", "50");
    await p.same("SADD", "s", ...MIXED_MEMBERS);
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const picked = decodeReply(await p.kvis.call("SRANDMEMBER", "s", "2")) as string[];
      expect(new Set(picked).size).toBe(2);
      const repeated = decodeReply(await p.kvis.call("SRANDMEMBER", "s", "-7")) as string[];
      expect(repeated.length).toBe(7);
      for (const m of [...picked, ...repeated]) seen.add(m);
    }
    expect([...seen].sort()).toEqual([...MIXED_MEMBERS].sort());
  });

  test("SPOP of one member from a small set's bytes: each member once, the last deleting the key, changes counted", async () => {
    const p = pair();
    // A set of one member answers alike on both servers.
    await p.sameDirtyGrowth(`
      SADD one \xff
      SPOP one
      EXISTS one
      SPOP one
      SADD i 7
      SPOP i
      SET str v
      SPOP str`);
    const members = MIXED_MEMBERS;
    await p.same("SADD", "s", ...members);
    const popped: string[] = [];
    for (let i = 0; i < members.length; i++) {
      const [reply] = await p.both("SPOP", "s");
      popped.push(decodeReply(reply) as string);
      await p.same("SCARD", "s");
    }
    expect(popped.sort()).toEqual([...members].sort());
    await p.same("EXISTS", "s");
  });
});

describe("SRANDMEMBER of a small set's bytes", () => {
  test("a member at random, each of them in time; one member, none, another type", async () => {
    const p = pair();
    await p.script(`
      SADD one \xff
      SRANDMEMBER one
      SRANDMEMBER missing
      SET str v
      SRANDMEMBER str`);
    const members = MIXED_MEMBERS;
    await p.same("SADD", "s", ...members);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(decodeReply(await p.kvis.call("SRANDMEMBER", "s")) as string);
    expect([...seen].sort()).toEqual([...members].sort());
    await p.same("SCARD", "s");
  });
});

describe("SMOVE between small sets, on their bytes in the keys' cells", () => {
  test("moved, missing, made, emptied, converted, past the packed size, wrong types; changes counted", async () => {
    const p = pair();
    const many = Array.from({ length: 31 }, (_, i) => `m${i}`);
    await p.sameDirtyGrowth(`
      SADD a 1 2 x
      SADD b 3
      SMOVE a b 1
      SMOVE a b 9
      SMOVE a b x
      OBJECT ENCODING b
      SMOVE a c 2
      EXISTS a
      SMEMBERS c
      SMOVE nosuch b 1
      SET str v
      SMOVE str b 1
      SMOVE c str 2
      SMOVE nosuch str 1
      SADD d 5
      SMOVE d d 5
      SADD big ${many.join(" ")}
      SMOVE d big 5
      SCARD big
      SISMEMBER big 5`);
    await sameMembers("SMEMBERS", "b");
    await sameMembers("SMEMBERS", "big");
  });
});

describe("SMOVE", () => {
  test("moves a member, creating and deleting keys", async () => {
    await pair().script(`
      SADD a 1 2
      SMOVE a b 1
      SMOVE a b 9
      SMOVE a a 2
      SMOVE a a 9
      SMOVE a b 2
      EXISTS a
      SMEMBERS b
      SMOVE missing b 1
      SET str v
      SMOVE b str 1
      SMOVE str b 1
      SMEMBERS b`);
  });
});

describe("SINTER, SUNION, SDIFF, SINTERCARD and the STORE forms", () => {
  test("integer sets give Redis's exact replies", async () => {
    await pair().script(`
      SADD a 1 2 3 4 5
      SADD b 4 5 6 7
      SADD c 5 7 9
      SINTER a b
      SINTER a b c
      SINTER a missing
      SUNION a b c
      SUNION a missing
      SDIFF a b
      SDIFF a b c
      SDIFF missing a
      SINTERSTORE d a b
      SMEMBERS d
      SUNIONSTORE d a c
      SMEMBERS d
      SDIFFSTORE d a b c
      SMEMBERS d
      SINTERSTORE d a missing
      EXISTS d
      SINTERCARD 2 a b
      SINTERCARD 1 a
      SINTERCARD 1 a LIMIT 2
      SINTERCARD 1 a LIMIT 100
      SINTERCARD 1 a LIMIT 0
      SINTERCARD 1 missing LIMIT 3
      SET str x
      SINTERCARD 1 str
      SINTERCARD 3 a b c LIMIT 1
      SINTERCARD 2 a missing
      SINTERCARD 0 a
      SINTERCARD 3 a b
      SINTERCARD 2 a b LIMIT -1
      SINTERCARD 2 a b LIMIT
      SINTERCARD 2 a b BOGUS 1
      SET str v
      SINTER missing str
      SINTER str missing
      SUNION a str
      SDIFF a str
      SUNIONSTORE str a
      TYPE str
      EXPIRE str 100
      SDIFFSTORE str a b
      TTL str`);
  });

  test("small sets read on their bytes: SMEMBERS and SINTER of intsets added out of order, by value as Redis, SINTERCARD; hits counted alike", async () => {
    const p = pair();
    const hits = async () => (await p.both("INFO", "stats")).map((info) => /keyspace_hits:\d+\r\nkeyspace_misses:\d+/.exec(info)![0].split("\r\n").map((l) => Number(l.split(":")[1])));
    await p.same("DEL", "a", "b", "c", "s", "t");
    await p.same("SADD", "a", "9", "-2", "5", "9007199254740993", "3", "9007199254740992", "-9223372036854775808", "1");
    await p.same("SADD", "b", "1", "9007199254740992", "3", "9007199254740993", "77", "-2", "-9223372036854775808");
    await p.same("SADD", "c", "3", "-2", "9007199254740993", "1");
    await p.same("SADD", "s", "x", "1", "3", "y");
    await p.same("SADD", "t", "3", "x", "zz", "1");
    const before = await hits();
    await p.same("SMEMBERS", "a");
    await p.same("SMEMBERS", "c");
    await p.same("SINTER", "a", "b");
    await p.same("SINTER", "b", "a", "c");
    // The smallest holds strings: Redis's order is its hash table's, which varies.
    await sameMembers("SINTER", "a", "s");
    await p.same("SINTER", "c", "c");
    await p.same("SINTER", "a");
    await sameMembers("SINTER", "s", "t");
    await sameMembers("SINTER", "t", "s", "a");
    await sameMembers("SMEMBERS", "s");
    await p.same("SINTER", "a", "missing", "b");
    for (const args of [["3", "a", "b", "c"], ["2", "s", "t"], ["2", "s", "t", "LIMIT", "1"], ["2", "a", "b", "LIMIT", "4"], ["1", "s", "LIMIT", "3"], ["2", "a", "missing"]]) await p.same("SINTERCARD", ...args);
    const after = await hits();
    expect(after[0]!.map((n, i) => n - before[0]![i]!)).toEqual(after[1]!.map((n, i) => n - before[1]![i]!));
  });

  test("SUNION and SDIFF of small sets on their bytes: an all-integer result by value as Redis's intset, others as sets", async () => {
    const p = pair();
    await p.same("DEL", "a", "b", "c", "s", "t");
    await p.same("SADD", "a", "9", "-2", "5", "9007199254740993", "3");
    await p.same("SADD", "b", "3", "100", "-2", "-9223372036854775808");
    // A set that held a string: Redis keeps it a hash table, though only integers are left.
    await p.same("SADD", "c", "x", "1", "77");
    await p.same("SREM", "c", "x");
    await p.same("SADD", "s", "x", "1", "3", "y");
    await p.same("SADD", "t", "3", "x", "zz", "007");
    for (const args of [["a", "b"], ["b", "a"], ["a", "c"], ["c", "b", "a"], ["a"], ["c"], ["a", "a"]]) {
      await p.same("SUNION", ...args);
      await p.same("SDIFF", ...args);
    }
    for (const args of [["a", "s"], ["s", "t"], ["t", "s", "a"], ["s", "a", "b"]]) {
      await sameMembers("SUNION", ...args);
      await sameMembers("SDIFF", ...args);
    }
    await sameMembers("SUNION", "a", "missing", "s");
    await p.same("SDIFF", "a", "missing");
  });

  test("string members compare as sets", async () => {
    const p = pair();
    await p.same("SADD", "a", "x", "y", "z", "1");
    await p.same("SADD", "b", "y", "z", "w");
    await sameMembers("SINTER", "a", "b");
    await sameMembers("SUNION", "a", "b");
    await sameMembers("SDIFF", "a", "b");
    await p.same("SUNIONSTORE", "u", "a", "b");
    await sameMembers("SMEMBERS", "u");
    await p.same("OBJECT", "ENCODING", "u");
  });
});

describe("SSCAN", () => {
  test("intsets come back whole and sorted; big sets over several calls", async () => {
    const p = pair();
    await p.script(`
      SADD s 3 1 2
      SSCAN s 0
      SSCAN s 0 MATCH 1*
      SSCAN missing 0`);
    // Binary members in a hash table: SSCAN writes them from the table's bytes.
    const members = Array.from({ length: 300 }, (_, i) => `m${i}\u0000\u00ff\r\n`);
    for (const m of members) await p.same("SADD", "big", m);
    for (const client of [p.kvis, p.redis]) {
      const seen = new Set<string>();
      let cursor = "0";
      do {
        const [next, items] = decodeReply(await client.call("SSCAN", "big", cursor, "COUNT", "25")) as [string, string[]];
        for (const m of items) seen.add(String(m));
        cursor = next;
      } while (cursor !== "0");
      expect([...seen].sort()).toEqual([...members].sort());
    }
  });
});
