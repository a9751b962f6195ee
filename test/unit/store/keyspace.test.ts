import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { heapStats } from "bun:jsc";
import { useClockSource } from "../../../src/clock.ts";
import { Argv } from "../../../src/resp/argv.ts";
import { encodingLimits } from "../../../src/store/encoding.ts";
import { HashValue } from "../../../src/store/hash.ts";
import { ByteSlice, Keyspace, SetOnly } from "../../../src/store/keyspace.ts";
import { ListValue } from "../../../src/store/list.ts";
import { SetValue } from "../../../src/store/set.ts";
import { SortedSet } from "../../../src/store/sorted-set.ts";
import { serverTestTimeout } from "../../helpers/servers.ts";

serverTestTimeout();

let fakeNow = 1_000_000;
let restore: () => void;
beforeEach(() => {
  fakeNow = 1_000_000;
  restore = useClockSource(() => fakeNow);
});
afterEach(() => restore());

function advance(ms: number): void {
  fakeNow += ms;
  useClockSource(() => fakeNow);
}

describe("SET from the request's bytes", () => {
  test("stores as setKey does while nothing listens, and declines when something does", () => {
    const ks = new Keyspace(1);
    const db = ks.dbs[0]!;
    const value = (s: string) => new ByteSlice().of(Buffer.from(s, "latin1"), 0, s.length);
    const key = Buffer.from("<k\xff>", "latin1");
    expect(db.setStringBytes(key, 1, 3, value("one"))).toBe(1);
    expect(db.peek("k\xff")).toBe("one");
    expect(db.setStringBytes(key, 1, 3, 42)).toBe(1);
    expect(db.peek("k\xff")).toBe(42);
    expect(db.setStringBytes(key, 1, 3, value("x".repeat(5000)))).toBe(1);
    expect(db.peek("k\xff")).toBe("x".repeat(5000));
    expect(db.size).toBe(1);
    expect(ks.dirty).toBe(3);
    // The same bytes through setKey count the same memory.
    const other = new Keyspace(1).dbs[0]!;
    other.setKey("k\xff", "x".repeat(5000));
    expect(db.bytes).toBe(other.bytes);
    // Keys with TTLs: the key set loses its own, the others keep theirs; a key past its
    // deadline takes the string path (its expiry is an event).
    db.setKey("t", "v");
    db.setExpire("t", fakeNow + 1000);
    db.setExpire("k\xff", fakeNow + 1000);
    expect(db.setStringBytes(key, 1, 3, value("two"))).toBe(1);
    expect([db.getExpire("k\xff"), db.getExpire("t"), db.expiresCount]).toEqual([-1, fakeNow + 1000, 1]);
    const t = Buffer.from("t");
    advance(1000);
    expect(db.setStringBytes(t, 0, 1, value("late"))).toBe(-1);
    expect(db.peek("t")).toBe("v");
    // A waiter on keys (or a watcher) hears of keys by name: the string path is needed.
    ks.onReady = () => {};
    expect(db.setStringBytes(key, 1, 3, value("two"))).toBe(-1);
    ks.onReady = undefined;
    expect(db.setStringBytes(key, 1, 3, value("two"))).toBe(1);
    expect(db.peek("k\xff")).toBe("two");
  });

  test("with a deadline (SET EX) and a condition (NX, XX): 0 when the condition forbids it, nothing changed", () => {
    const ks = new Keyspace(1);
    const db = ks.dbs[0]!;
    const value = (s: string) => new ByteSlice().of(Buffer.from(s, "latin1"), 0, s.length);
    const key = Buffer.from("lock");
    expect(db.setStringBytes(key, 0, 4, value("a"), NaN, SetOnly.IfPresent)).toBe(0);
    expect(db.has("lock")).toBe(false);
    expect(db.setStringBytes(key, 0, 4, value("a"), fakeNow + 30_000, SetOnly.IfAbsent)).toBe(1);
    expect([db.peek("lock"), db.getExpire("lock")]).toEqual(["a", fakeNow + 30_000]);
    expect(db.setStringBytes(key, 0, 4, value("b"), fakeNow + 60_000, SetOnly.IfAbsent)).toBe(0);
    expect([db.peek("lock"), db.getExpire("lock")]).toEqual(["a", fakeNow + 30_000]);
    expect(db.setStringBytes(key, 0, 4, value("c"), NaN, SetOnly.IfPresent)).toBe(1);
    expect([db.peek("lock"), db.getExpire("lock")]).toEqual(["c", -1]);
    expect(ks.dirty).toBe(2);
  });
});

describe("lazy expiry", () => {
  test("GET from the request's bytes reads, misses and expires as the string lookup does", () => {
    const ks = new Keyspace(1);
    const db = ks.dbs[0]!;
    const replies: string[] = [];
    const out = {
      null: () => replies.push("nil"),
      bulkNumber: (n: number) => replies.push(`n${n}`),
      bulkFrom: (b: Buffer, s: number, e: number) => replies.push(b.toString("latin1", s, e)),
    };
    const get = (key: string) => {
      const b = Buffer.from(`*${key}*`, "latin1");
      db.readStringBytes(b, 1, 1 + key.length, out);
    };
    db.setKey("s", "v\xff");
    db.setKey("n", 42);
    db.setKey("t", "soon");
    db.setExpire("t", fakeNow + 10);
    get("s");
    get("n");
    get("t");
    get("missing");
    advance(10);
    get("t");
    expect(replies).toEqual(["v\xff", "n42", "soon", "nil", "nil"]);
    expect(db.has("t")).toBe(false);
    expect(ks.stats).toMatchObject({ expiredKeys: 1, keyspaceHits: 3, keyspaceMisses: 2 });
  });

  test("a key is readable until its deadline and gone at it", () => {
    const ks = new Keyspace(16);
    const db = ks.dbs[0]!;
    db.setKey("k", "v");
    db.setExpire("k", fakeNow + 100);
    advance(99);
    expect(db.lookupKeyRead("k")).toBe("v");
    advance(1);
    expect(db.lookupKeyRead("k")).toBeUndefined();
    expect(db.size).toBe(0);
    expect(ks.stats.expiredKeys).toBe(1);
  });

  test("setKey clears the TTL unless asked to keep it", () => {
    const db = new Keyspace(1).dbs[0]!;
    db.setKey("k", "v");
    db.setExpire("k", fakeNow + 100);
    db.setKey("k", "w", true);
    expect(db.getExpire("k")).toBe(fakeNow + 100);
    db.setKey("k", "x");
    expect(db.getExpire("k")).toBe(-1);
  });

  test("keys are binary-safe: every byte value is a distinct key", () => {
    const db = new Keyspace(1).dbs[0]!;
    for (let i = 0; i < 256; i++) db.setKey(String.fromCharCode(i), String.fromCharCode(255 - i));
    expect(db.size).toBe(256);
    for (let i = 0; i < 256; i++) expect(db.lookupKeyRead(String.fromCharCode(i))).toBe(String.fromCharCode(255 - i));
  });
});

describe("activeExpireCycle", () => {
  test("reclaims expired keys without any access and leaves live ones", () => {
    const ks = new Keyspace(2);
    const [db0, db1] = ks.dbs as [typeof ks.dbs[0], typeof ks.dbs[0]];
    for (let i = 0; i < 1000; i++) {
      db0.setKey(`short${i}`, "v");
      db0.setExpire(`short${i}`, fakeNow + 10);
      db1.setKey(`long${i}`, "v");
      db1.setExpire(`long${i}`, fakeNow + 100_000);
    }
    db0.setKey("forever", "v");
    advance(11);
    expect(ks.activeExpireCycle(1000)).toBe(1000);
    expect(db0.size).toBe(1);
    expect(db0.expiresCount).toBe(0);
    expect(db1.size).toBe(1000);
  });

  test("a key whose TTL was extended or removed is not expired by its old deadline", () => {
    const ks = new Keyspace(1);
    const db = ks.dbs[0]!;
    db.setKey("extended", "v");
    db.setExpire("extended", fakeNow + 10);
    db.setExpire("extended", fakeNow + 1000);
    db.setKey("persisted", "v");
    db.setExpire("persisted", fakeNow + 10);
    db.removeExpire("persisted");
    advance(20);
    expect(ks.activeExpireCycle(1000)).toBe(0);
    expect(db.lookupKeyRead("extended")).toBe("v");
    expect(db.lookupKeyRead("persisted")).toBe("v");
    advance(1000);
    expect(ks.activeExpireCycle(1000)).toBe(1);
  });

  test("a key refreshed many times keeps one deadline, its last", () => {
    const ks = new Keyspace(1);
    const db = ks.dbs[0]!;
    db.setKey("session", "v");
    for (let i = 0; i < 100_000; i++) db.setExpire("session", fakeNow + 1_000_000 + i);
    ks.activeExpireCycle(1000);
    expect(db.expiresCount).toBe(1);
    expect(db.getExpire("session")).toBe(fakeNow + 1_099_999);
  });

  test("active-expire-effort samples more and goes on while fewer have expired", () => {
    // A quarter of 4,000 TTL keys expired, spread over the table by the hash. At effort 1 a
    // cycle stops at its first sample of 20 with 2 or fewer expired (about one sample in
    // eleven); at effort 10 only at a sample of 65 with none, so it sweeps the whole table.
    const deleted = (effort: number): number => {
      const ks = new Keyspace(1);
      const db = ks.dbs[0]!;
      for (let i = 0; i < 4000; i++) {
        db.setKey(`k${i}`, "v");
        db.setExpire(`k${i}`, fakeNow + (i % 4 === 0 ? 10 : 100_000));
      }
      advance(11);
      const n = ks.activeExpireCycle(1_000_000, effort);
      advance(-11);
      return n;
    };
    expect(deleted(10)).toBe(1000);
    expect(deleted(1)).toBeLessThan(900);
  });

  test("keys with a TTL among many without one are all reclaimed, a sample at a time", () => {
    const ks = new Keyspace(1);
    const db = ks.dbs[0]!;
    for (let i = 0; i < 20_000; i++) db.setKey(`plain${i}`, "v");
    for (let i = 0; i < 500; i++) {
      db.setKey(`ttl${i}`, "v");
      db.setExpire(`ttl${i}`, fakeNow + 10);
    }
    advance(11);
    // Each cycle looks at a bounded part of the table; the sweep goes on where it stopped.
    let cycles = 0;
    while (db.expiresCount > 0 && cycles < 10_000) (ks.activeExpireCycle(1000), cycles++);
    expect(db.expiresCount).toBe(0);
    expect(db.size).toBe(20_000);
    expect(ks.stats.expiredKeys).toBe(500);
  });
});

describe("SWAPDB", () => {
  test("swaps contents while databases keep their numbers", () => {
    const ks = new Keyspace(2);
    const [a, b] = ks.dbs as [typeof ks.dbs[0], typeof ks.dbs[0]];
    a.setKey("in-a", "1");
    b.setKey("in-b", "2");
    b.setExpire("in-b", fakeNow + 10);
    ks.swap(0, 1);
    expect(a.id).toBe(0);
    expect(a.lookupKeyRead("in-b")).toBe("2");
    expect(b.lookupKeyRead("in-a")).toBe("1");
    advance(11);
    ks.activeExpireCycle(1000);
    expect(a.size).toBe(0);
  });
});

describe("copies of keys (SCRIPT DEBUG YES's journal)", () => {
  test("copyOf is deep and keeps the TTL and a raw string's encoding; restoreCopy puts them back or deletes", () => {
    const ks = new Keyspace(1);
    const db = ks.dbs[0]!;
    const list = new ListValue();
    list.pushTail("a");
    list.pushTail("b");
    db.setKey("l", list);
    db.setExpire("l", fakeNow + 5000);
    db.setRawString("r", Buffer.from("12"));
    const copies = { l: db.copyOf("l"), r: db.copyOf("r"), none: db.copyOf("none") };
    expect(copies.none).toBeUndefined();
    (db.lookupKeyWrite("l") as ListValue).pushTail("c");
    db.removeExpire("l");
    db.setKey("r", "34");
    db.setKey("none", "new");
    for (const [key, copy] of Object.entries(copies)) db.restoreCopy(key, copy);
    const restored = db.lookupKeyRead("l") as ListValue;
    expect(restored.range(0, restored.length - 1)).toEqual(["a", "b"]);
    expect(db.getExpire("l")).toBe(fakeNow + 5000);
    expect(db.lookupKeyRead("r")).toBe("12");
    expect(db.encodingOf("r")).toBe("raw");
    expect(db.has("none")).toBe(false);
  });

  test("a swapdb load's scratch keyspace asks the server's keyspace before its tables grow", () => {
    const ks = new Keyspace(1);
    const asked: number[] = [];
    ks.mayGrow = (bytes) => (asked.push(bytes), false);
    const scratch = ks.scratch();
    expect(scratch.mayGrow(100)).toBe(false);
    expect(asked).toEqual([100]);
  });
});

describe("used memory", () => {
  test("the keyspace's running total is every database's bytes and slots, through writes, growth, TTLs, SWAPDB and flushes", () => {
    const ks = new Keyspace(3);
    const sum = () => ks.dbs.reduce((n, db) => n + db.bytes + db.slotBytes, 0);
    expect(ks.heldBytes).toBe(sum());
    let seed = 5;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed / 0x7fffffff);
    for (let step = 0; step < 200_000; step++) {
      const db = ks.dbs[Math.floor(rand() * 3)]!;
      const key = `k${Math.floor(rand() * 50_000)}`;
      const r = rand();
      if (r < 0.6) db.setKey(key, "v".repeat(Math.floor(rand() * 40)));
      else if (r < 0.8) db.delete(key);
      else if (r < 0.9) db.has(key) && db.setExpire(key, fakeNow + 1000);
      else if (r < 0.9999) db.setKey(key, new ListValue());
      else if (r < 0.99995) ks.swap(0, 2);
      else db.flush();
      if (step % 1000 === 0) expect(ks.heldBytes).toBe(sum());
    }
    expect(ks.heldBytes).toBe(sum());
    for (const db of ks.dbs) db.flush();
    expect(ks.heldBytes).toBe(sum());
  });
});

describe("used memory of a large set or hash table", () => {
  test("counts for the buffers its table holds (as the collector sees them), and the objects around them", () => {
    const fill = (kind: "hash" | "set") => {
      const db = new Keyspace(1).dbs[0]!;
      Bun.gc(true);
      const [buffers, counted] = [heapStats().extraMemorySize, db.bytes];
      if (kind === "hash") {
        const hash = db.writeOrCreate("big", HashValue, () => new HashValue());
        for (let i = 0; i < 100_000; i++) hash.set(`field:${String(i).padStart(10, "0")}`, `value:${String(i).padStart(26, "0")}`);
      } else {
        const set = db.writeOrCreate("big", SetValue, () => new SetValue(false));
        for (let i = 0; i < 100_000; i++) set.add(`member:${String(i).padStart(9, "0")}`, false);
      }
      db.modified("big", 100_000);
      Bun.gc(true);
      return { held: heapStats().extraMemorySize - buffers, counted: db.bytes - counted };
    };
    for (const kind of ["hash", "set"] as const) {
      // A first fill makes what the modules allocate once (scratch buffers), not counted per key.
      fill(kind);
      const { held, counted } = fill(kind);
      // The table's slots and its cells' chunks (4-10 MB), and a few hundred bytes of objects.
      expect(held).toBeGreaterThan(4_000_000);
      expect(Math.abs(counted - held)).toBeLessThan(held * 0.03 + 1000);
    }
  });
});

describe("small aggregates held packed between commands", () => {
  const binary = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");

  test("a small sorted set, list, hash and set are packed by settle and come back equal, as often as opened", () => {
    const ks = new Keyspace(1);
    const db = ks.dbs[0]!;
    const zset = db.writeOrCreate("z", SortedSet, () => new SortedSet());
    zset.set(binary.slice(0, 40), -0);
    zset.set("b", 2.5);
    zset.set("a", 2.5);
    db.modified("z", 3);
    const list = db.writeOrCreate("l\xff", ListValue, () => new ListValue());
    for (const s of [binary.slice(200), "", "x"]) list.pushTail(s);
    db.modified("l\xff", 3);
    const hash = db.writeOrCreate("h", HashValue, () => new HashValue());
    hash.set(binary.slice(100, 140), binary.slice(0, 30));
    hash.set("", "empty field");
    hash.set("f", "");
    db.modified("h", 3);
    const ints = db.writeOrCreate("i", SetValue, () => new SetValue(true));
    for (const m of ["5", "-70000", "12"]) ints.add(m, true);
    const set = db.writeOrCreate("s", SetValue, () => new SetValue(false));
    for (const m of [binary.slice(0, 50), "", "7"]) set.add(m, m === "7");
    db.modified("i", 3);
    db.modified("s", 3);
    const bytes = db.bytes;
    ks.settle();
    // The last few stay open: a key used again at once is not unpacked again.
    expect(db.writeAs("z", SortedSet)).toBe(zset);
    db.settle();
    expect(db.openCount).toBe(0);
    for (let round = 0; round < 3; round++) {
      const z = db.writeAs("z", SortedSet)!;
      expect(z).not.toBe(zset);
      expect([...z.entries()].map((e) => [e.member, e.score])).toEqual([[binary.slice(0, 40), 0], ["a", 2.5], ["b", 2.5]]);
      const l = db.readAs("l\xff", ListValue)!;
      expect(l).not.toBe(list);
      expect([...l]).toEqual([binary.slice(200), "", "x"]);
      const h = db.readAs("h", HashValue)!;
      expect(h).not.toBe(hash);
      expect([...h.entries()]).toEqual([[binary.slice(100, 140), binary.slice(0, 30)], ["", "empty field"], ["f", ""]]);
      expect([h.size, h.encoding]).toEqual([3, "listpack"]);
      const i = db.readAs("i", SetValue)!;
      expect(i).not.toBe(ints);
      expect([i.toArray(), i.encoding, i.intsetWidth]).toEqual([["-70000", "5", "12"], "intset", 4]);
      const s = db.readAs("s", SetValue)!;
      expect([s.toArray(), s.encoding]).toEqual([[binary.slice(0, 50), "", "7"], "hashtable"]);
      expect(db.bytes).toBe(bytes);
      // A change made while it is open is what the next opening finds.
      z.set("c", round);
      z.delete("c");
      db.modified("z");
      db.settle();
    }
    // Reading every entry (a save, a digest) does not open anything.
    expect([...db.entries()].map(([k]) => k).sort()).toEqual(["h", "i", "l\xff", "s", "z"]);
    expect(db.openCount).toBe(0);
  });

  test("counts for the bytes of its cell", () => {
    const ks = new Keyspace(1);
    const db = ks.dbs[0]!;
    const hash = db.writeOrCreate("h", HashValue, () => new HashValue());
    hash.set("field1", "value1");
    hash.set("field2", "value2");
    db.modified("h", 2);
    db.settle();
    // The cell's header (8), the key (1), the packed value's header (5) and two pairs of
    // 6-byte strings after their length bytes (28): 42 bytes, in a cell of 48.
    expect(db.bytes).toBe(48);
  });

  test("a hash changed on its bytes counts for its cell as one packed by settle does", () => {
    const ks = new Keyspace(1);
    const db = ks.dbs[0]!;
    const hset = (...args: string[]) => {
      const argv = Argv.of("hset", ...args);
      return db.editPacked(argv.buffer(1), argv.start(1), argv.end(1), "hash", (args.length - 1) / 2, HashValue.setPacked, argv);
    };
    expect(hset("h", "field1", "value1")).toBe(1);
    expect(hset("h", "field2", "value2", "field1", "value1")).toBe(1);
    // As above: 42 bytes, in a cell of 48, and two changes a pair.
    expect([db.bytes, ks.dirty, db.openCount]).toEqual([48, 3, 0]);
    expect(hset("h", "field1", "a longer value")).toBe(0);
    expect(db.bytes).toBe(56);
    expect([...db.readAs("h", HashValue)!.entries()]).toEqual([["field1", "a longer value"], ["field2", "value2"]]);
    // Not a hash held packed: nothing done, for the usual way.
    db.setKey("s", "x");
    expect(hset("s", "f", "v")).toBe(-1);
    expect(db.lookupString("s")).toBe("x");
  });

  test("TYPE and EXISTS of small aggregates read their cells: nothing is opened", () => {
    const ks = new Keyspace(1);
    const db = ks.dbs[0]!;
    db.writeOrCreate("h", HashValue, () => new HashValue()).set("f", "v");
    db.writeOrCreate("l", ListValue, () => new ListValue()).pushTail("a");
    db.writeOrCreate("z", SortedSet, () => new SortedSet()).set("m", 1);
    db.writeOrCreate("s", SetValue, () => new SetValue(false)).add("m", false);
    db.modified("h");
    db.settle();
    expect(db.openCount).toBe(0);
    expect(["h", "l", "z", "s", "nope"].map((k) => db.typeForRead(k))).toEqual(["hash", "list", "zset", "set", undefined]);
    expect(["h", "l", "z", "s", "nope"].map((k) => [db.findForRead(k, false, true), db.peekType(k)])).toEqual([[true, "hash"], [true, "list"], [true, "zset"], [true, "set"], [false, undefined]]);
    expect(db.openCount).toBe(0);
  });

  test("a pop on a list's bytes that takes its last element deletes the key; one of no list makes nothing", () => {
    const ks = new Keyspace(1);
    const db = ks.dbs[0]!;
    const popped: string[] = [];
    const reply = { bulkFrom: (b: Uint8Array, from: number, to: number) => popped.push(Buffer.from(b.subarray(from, to)).toString("latin1")), bulkString: (s: string) => popped.push(s) };
    const edit = (name: string, ...args: string[]) => {
      const argv = Argv.of(name, ...args);
      const head = name === "lpush" || name === "lpop";
      const push = name.endsWith("push");
      return db.editPacked(argv.buffer(1), argv.start(1), argv.end(1), "list", push ? args.length - 1 : 1,
        push ? (out, a: Argv) => ListValue.pushPacked(out, a, head) : (out) => ListValue.popPacked(out, head, reply), argv);
    };
    expect(edit("lpop", "none")).toBe(0);
    expect([db.size, db.bytes, ks.dirty]).toEqual([0, 0, 0]);
    expect(edit("rpush", "l", "a", "b\xff")).toBe(2);
    expect(db.bytes).toBeGreaterThan(0);
    expect([edit("rpop", "l"), edit("lpop", "l"), edit("lpop", "l")]).toEqual([1, 1, 0]);
    expect(popped).toEqual(["b\xff", "a"]);
    expect([db.size, db.bytes, ks.dirty, db.exists("l")]).toEqual([0, 0, 4, false]);
  });

  test("a list keeps its settings, a value replaced or deleted while open is left alone, a large one stays an object", () => {
    const ks = new Keyspace(2);
    const db = ks.dbs[0]!;
    const limits = { ...encodingLimits };
    try {
      encodingLimits.listMaxListpackSize = 3;
      encodingLimits.listCompressDepth = 1;
      db.writeOrCreate("l", ListValue, () => new ListValue()).pushTail("a");
      encodingLimits.listMaxListpackSize = -2;
      encodingLimits.listCompressDepth = 0;
      db.settle();
      expect(db.readAs("l", ListValue)!.layout).toMatchObject({ fill: 3, compressed: true });
      // Replaced by a string while open: settle leaves the string.
      db.setKey("l", "now a string");
      db.settle();
      expect(db.peek("l")).toBe("now a string");
      // A sorted set past the small form's limits stays in its large form.
      const big = db.writeOrCreate("big", SortedSet, () => new SortedSet());
      for (let i = 0; i < 200; i++) big.set(`m${i}`, i);
      db.settle();
      expect(db.readAs("big", SortedSet)).toBe(big);
      // So does a hash once a hash table, even with few fields left.
      const table = db.writeOrCreate("ht", HashValue, () => new HashValue());
      table.set("f", "x".repeat(100));
      table.set("f", "short");
      db.settle();
      expect(db.readAs("ht", HashValue)).toBe(table);
      expect(table.encoding).toBe("hashtable");
      // SWAPDB moves what waits to be packed along with the keys.
      db.writeOrCreate("s", SortedSet, () => new SortedSet()).set("m", 1);
      db.swapContents(ks.dbs[1]!);
      ks.settle();
      ks.dbs[1]!.settle();
      expect(ks.dbs[1]!.readAs("s", SortedSet)!.score("m")).toBe(1);
    } finally {
      Object.assign(encodingLimits, limits);
    }
  });
});
