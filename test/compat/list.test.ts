import { beforeEach, describe, expect, test } from "bun:test";
import { usePair } from "./harness.ts";

const pair = usePair();
beforeEach(async () => {
  await pair().same("FLUSHALL");
});

describe("LPUSH, RPUSH, LPUSHX, RPUSHX", () => {
  test("push at either end, create only without X, reply the length", async () => {
    await pair().script(`
      LPUSH l a b c
      RPUSH l d e
      LRANGE l 0 -1
      LPUSHX l z
      RPUSHX l y
      LPUSHX missing a
      RPUSHX missing a
      EXISTS missing
      LLEN l
      LLEN missing
      OBJECT ENCODING l
      TYPE l
      SET s x
      LPUSH s a
      RPUSHX s a
      LLEN s
      LPUSH l`);
  });
});

describe("LPUSH, RPUSH, LRANGE, LINDEX and LLEN of a list of one node, on its bytes in the key's cell", () => {
  test("pushes at either end and reads of every range", async () => {
    const p = pair();
    await p.sameDirtyGrowth(`
      RPUSH l a b
      LPUSH l c d
      RPUSH l 1 -2 ""
      LPUSH l e
      LRANGE l 0 -1
      LRANGE l 2 4
      LRANGE l -3 -1
      LRANGE l -100 100
      LRANGE l 5 2
      LRANGE l 9 20
      LRANGE l 0 0
      LINDEX l 0
      LINDEX l -1
      LINDEX l 4
      LINDEX l 9
      LINDEX l -10
      LINDEX l x
      LRANGE l x 1
      LLEN l
      LRANGE missing 0 -1
      LINDEX missing 0
      LINDEX missing x
      LLEN missing
      SET s v
      RPUSH s a
      LRANGE s 0 -1
      LINDEX s 0
      LLEN s
      OBJECT ENCODING l`);
    const long = "q".repeat(200);
    for (let i = 0; i < 60; i++) await p.same(i % 2 ? "RPUSH" : "LPUSH", "big", `${long}${i}`);
    await p.same("LRANGE", "big", "0", "-1");
    await p.same("LINDEX", "big", "45");
    await p.same("LLEN", "big");
  });

  test("every byte in elements", async () => {
    const p = pair();
    const bytes = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
    for (let i = 0; i < 256; i += 32) await p.same(i % 64 ? "LPUSH" : "RPUSH", "b", bytes.slice(i, i + 32), bytes.slice(i, i + 1));
    await p.same("LRANGE", "b", "0", "-1");
    await p.same("LINDEX", "b", "3");
    for (let i = 0; i < 17; i++) await p.same(i % 2 ? "LPOP" : "RPOP", "b");
    await p.same("EXISTS", "b");
  });

  test("LPOP and RPOP of one element, the last one deleting the key, changes counted", async () => {
    await pair().sameDirtyGrowth(`
      RPUSH l a bb ccc 1 -2000 ${"x".repeat(200)}
      LPOP l
      RPOP l
      RPOP l
      LRANGE l 0 -1
      LPOP l
      LPOP l
      RPOP l
      EXISTS l
      LPOP l
      RPOP missing
      SET s v
      LPOP s
      RPOP s`);
  });
});

describe("LTRIM and LREM of a list of one node, on its bytes in the key's cell", () => {
  test("every range LTRIM takes, from either end, the empty one deleting the key, changes counted", async () => {
    const p = pair();
    const ranges = [[0, -1], [1, -1], [0, 0], [-2, -1], [2, 3], [3, 2], [5, 10], [-10, 1], [-10, -8], [1, 100], [-1, -1], [4, 4]];
    for (const [start, end] of ranges) {
      await p.sameDirtyGrowth(`
        DEL l
        RPUSH l a bb ccc ${"d".repeat(130)} 5
        LTRIM l ${start} ${end}
        LRANGE l 0 -1
        EXISTS l`);
    }
    await p.sameDirtyGrowth(`
      LTRIM missing 0 1
      SET str v
      LTRIM str 0 1
      LTRIM l x 1`);
  });

  test("LREM from the head, from the tail and all, binary elements, the last one deleting the key, changes counted", async () => {
    const p = pair();
    for (const count of [0, 1, 2, -1, -2, 5, -5]) {
      await p.sameDirtyGrowth(`
        DEL l
        RPUSH l x a x \xff x b x
        LREM l ${count} x
        LRANGE l 0 -1
        LREM l ${count} \xff
        LREM l ${count} nope
        LRANGE l 0 -1`);
    }
    await p.sameDirtyGrowth(`
      DEL l
      RPUSH l z z z
      LREM l 0 z
      EXISTS l
      LREM missing 0 z
      SET str v
      LREM str 0 z
      LREM l x z`);
  });
});

describe("LMOVE and RPOPLPUSH between lists of one node, on their bytes in the keys' cells", () => {
  test("every pair of ends, into a new key, the source emptied, the same key, wrong types, changes counted", async () => {
    const p = pair();
    for (const [from, to] of [["LEFT", "LEFT"], ["LEFT", "RIGHT"], ["RIGHT", "LEFT"], ["RIGHT", "RIGHT"]]) {
      await p.sameDirtyGrowth(`
        DEL a b
        RPUSH a 1 two \xff ${"x".repeat(100)}
        RPUSH b q
        LMOVE a b ${from} ${to}
        LMOVE a b ${from} ${to}
        LRANGE a 0 -1
        LRANGE b 0 -1
        LMOVE a new ${from} ${to}
        LMOVE a b ${from} ${to}
        EXISTS a
        LMOVE a b ${from} ${to}
        LRANGE b 0 -1
        LRANGE new 0 -1
        LMOVE b b ${from} ${to}
        LRANGE b 0 -1`);
    }
    await p.sameDirtyGrowth(`
      DEL a b
      RPUSH a x y
      SET str v
      RPOPLPUSH a str
      LRANGE a 0 -1
      RPOPLPUSH str a
      RPOPLPUSH missing a
      RPOPLPUSH a b
      RPOPLPUSH a b
      EXISTS a
      LRANGE b 0 -1`);
  });

  test("a push that would start the destination's second node goes where quicklist puts it", async () => {
    const p = pair();
    await p.same("CONFIG", "SET", "list-max-listpack-size", "3");
    try {
      await p.sameDirtyGrowth(`
        DEL a b
        RPUSH a 1 2 3
        RPUSH b x y z
        LMOVE a b LEFT RIGHT
        LMOVE a b LEFT LEFT
        LRANGE b 0 -1
        OBJECT ENCODING b
        LRANGE a 0 -1`);
    } finally {
      await p.same("CONFIG", "SET", "list-max-listpack-size", "-2");
    }
  });
});

describe("LPOP, RPOP", () => {
  test("pop one or a count; the emptied list disappears", async () => {
    await pair().script(`
      RPUSH l a b c d e
      LPOP l
      RPOP l
      LPOP l 2
      RPOP l 0
      RPOP l 5
      EXISTS l
      LPOP l
      LPOP l 2
      RPOP l 0
      RPUSH l a
      LPOP l -1
      LPOP l abc
      LPOP l 1 2
      SET s x
      LPOP s
      RPOP s 1`);
  });
});

describe("LPUSH, RPUSH, LPOP and RPOP of a large list, found from the request's bytes", () => {
  test("pushes and pops at either end, counts and errors, changes counted, emptied by the usual way", async () => {
    const p = pair();
    await p.same("RPUSH", "big", ...Array.from({ length: 300 }, (_, i) => `element:${i}`));
    await p.same("OBJECT", "ENCODING", "big");
    await p.sameDirtyGrowth(`
      LPUSH big a b c
      RPUSH big x
      LPUSHX big y
      RPUSHX big z
      LPOP big
      RPOP big
      LPOP big 2
      RPOP big 0
      RPOP big 3
      LPOP big -1
      LLEN big
      LRANGE big 0 3
      LRANGE big -3 -1
      LPUSH big "\x00\xff"
      LPOP big`);
    // Popped down to nothing: the last pops empty it and the key goes, as in Redis.
    await p.sameDirtyGrowth(`
      RPOP big 295
      LLEN big
      RPOP big 10
      EXISTS big`);
  });

  test("a watched large list: another client's push or pop fails the EXEC", async () => {
    const p = pair();
    await p.same("RPUSH", "big", ...Array.from({ length: 300 }, (_, i) => `element:${i}`));
    await p.sameAfterWatchedWrite("big", ["LPUSH", "big", "v"], ["LLEN", "big"]);
    await p.sameAfterWatchedWrite("big", ["RPOP", "big"], ["LLEN", "big"]);
  });
});

describe("LRANGE, LINDEX, LSET", () => {
  test("indexes clamp and count from the tail as in Redis", async () => {
    const p = pair();
    await p.same("RPUSH", "l", "0", "1", "2", "3", "4", "5");
    for (const [a, b] of [["0", "-1"], ["-3", "-1"], ["2", "1"], ["-100", "100"], ["5", "10"], ["6", "10"], ["-1", "-2"], ["0", "0"]]) {
      await p.same("LRANGE", "l", a!, b!);
    }
    await p.script(`
      LRANGE l x 1
      LRANGE missing 0 -1
      LINDEX l 0
      LINDEX l -1
      LINDEX l 6
      LINDEX l -7
      LINDEX l x
      LINDEX missing 0
      LSET l 0 zero
      LSET l -1 last
      LSET l 6 x
      LSET l x x
      LSET missing 0 x
      LRANGE l 0 -1
      SET s x
      LRANGE s 0 -1
      LINDEX s 0
      LSET s 0 x`);
  });
});

describe("LINSERT on a list of one node held packed in its key's cell", () => {
  test("at either end, in the middle, binary pivots, a missing pivot or key, changes counted", async () => {
    const p = pair();
    const binary = String.fromCharCode(0, 200, 255);
    await p.sameDirtyGrowth(`
      DEL l
      RPUSH l a ${JSON.stringify(binary)} c 12
      LINSERT l BEFORE a first
      LINSERT l AFTER 12 last
      LINSERT l AFTER ${JSON.stringify(binary)} mid
      LINSERT l BEFORE 12 -5
      LINSERT l BEFORE nope x
      LINSERT missing AFTER a x
      LRANGE l 0 -1
      LLEN l`);
  });
});

describe("LINSERT, LREM, LTRIM", () => {
  test("LINSERT before and after a pivot", async () => {
    await pair().script(`
      RPUSH l a b c
      LINSERT l BEFORE b x
      LINSERT l after c y
      LINSERT l BEFORE nope z
      LINSERT l MIDDLE b z
      LINSERT missing BEFORE a b
      LRANGE l 0 -1`);
  });

  test("LREM from the head, from the tail, or all", async () => {
    await pair().script(`
      RPUSH l a b a c a b a
      LREM l 2 a
      LRANGE l 0 -1
      LREM l -1 b
      LRANGE l 0 -1
      LREM l 0 a
      LRANGE l 0 -1
      LREM l 0 zz
      LREM l x a
      LREM l 0 c
      EXISTS l
      LREM missing 0 a`);
  });

  test("LTRIM keeps a range, and an empty range deletes the key", async () => {
    await pair().script(`
      RPUSH l a b c d e f
      LTRIM l 1 -2
      LRANGE l 0 -1
      LTRIM l -2 100
      LRANGE l 0 -1
      LTRIM l 5 10
      EXISTS l
      LTRIM missing 0 1
      LTRIM l x 1`);
  });
});

describe("LPOS", () => {
  test("RANK, COUNT and MAXLEN, and their errors", async () => {
    await pair().script(`
      RPUSH l a b c 1 2 3 c c
      LPOS l c
      LPOS l c RANK 2
      LPOS l c RANK -1
      LPOS l c RANK -3
      LPOS l c RANK -9223372036854775808
      LPOS l c RANK -9223372036854775808 COUNT 0
      LPOS l c RANK -9223372036854775807
      LPOS l c RANK 9223372036854775807
      LPOS l c COUNT 2
      LPOS l c COUNT 0
      LPOS l c RANK -1 COUNT 2
      LPOS l c COUNT 0 MAXLEN 3
      LPOS l c MAXLEN 2
      LPOS l nope
      LPOS l nope COUNT 1
      LPOS missing a
      LPOS missing a COUNT 1
      LPOS l c RANK 0
      LPOS l c COUNT -1
      LPOS l c MAXLEN -1
      LPOS l c COUNT x
      LPOS l c RANK x
      LPOS l c BOGUS 1
      LPOS l c RANK`);
  });

  test("a list of one node, searched on its bytes in the key's cell: binary and long elements, from either end", async () => {
    const p = pair();
    const binary = String.fromCharCode(0, 200, 255, 13, 10);
    const elements = ["c", binary, "y".repeat(200), "c", "12", binary, "c", "z".repeat(130), "c"];
    await p.same("DEL", "l");
    for (const e of elements) await p.same("RPUSH", "l", e);
    for (const args of [
      ["c"], ["c", "RANK", "2"], ["c", "RANK", "-1"], ["c", "RANK", "-4"], ["c", "RANK", "5"], ["c", "COUNT", "0"], ["c", "RANK", "-2", "COUNT", "0"],
      ["c", "COUNT", "0", "MAXLEN", "4"], ["c", "RANK", "-1", "COUNT", "0", "MAXLEN", "3"], [binary, "COUNT", "0"], [binary, "RANK", "-1"],
      ["y".repeat(200)], ["z".repeat(130), "RANK", "-1"], ["12", "COUNT", "2"], ["nope", "COUNT", "0"], [binary.slice(0, 4)],
    ]) await p.same("LPOS", "l", ...args);
  });

  test("across many nodes, compressed ones and long elements, from either end", async () => {
    const p = pair();
    await p.same("CONFIG", "SET", "list-max-listpack-size", "5");
    await p.same("CONFIG", "SET", "list-compress-depth", "1");
    // Elements of 1, 2 and 5 length bytes (under 128, under 16384, longer), "c" every seventh.
    const elements = Array.from({ length: 300 }, (_, i) => (i % 7 === 3 ? "c" : i % 50 === 0 ? "x".repeat(20000) : i % 11 === 0 ? "y".repeat(200 + i) : `e${i}`));
    await p.same("RPUSH", "l", ...elements);
    for (const args of [
      ["c"], ["c", "RANK", "5"], ["c", "RANK", "-1"], ["c", "RANK", "-7"], ["c", "COUNT", "0"], ["c", "RANK", "-2", "COUNT", "0"],
      ["c", "COUNT", "0", "MAXLEN", "100"], ["c", "RANK", "-1", "COUNT", "3", "MAXLEN", "50"], ["x".repeat(20000), "COUNT", "0"],
      ["y".repeat(200 + 121), "RANK", "-1"], ["e299", "RANK", "-1"], ["e299", "MAXLEN", "299"], ["e1"], ["e", "COUNT", "0"], ["c", "RANK", "100"],
    ]) {
      await p.same("LPOS", "l", ...args);
    }
    // LINSERT at the pivot LPOS's walk found; LREM a few in place, many in one pass; LSET in place.
    for (const args of [
      ["LINSERT", "l", "BEFORE", "c", "new1"], ["LINSERT", "l", "AFTER", "e299", "new2"], ["LINSERT", "l", "AFTER", "e1", "x".repeat(300)],
      ["LINSERT", "l", "BEFORE", "e0", "head"], ["LINSERT", "l", "BEFORE", "nope", "z"], ["LREM", "l", "2", "c"], ["LREM", "l", "-3", "c"],
      ["LREM", "l", "1", "new2"], ["LREM", "l", "-1", "head"], ["LSET", "l", "150", "y".repeat(1000)], ["LSET", "l", "151", "s"], ["LREM", "l", "0", "c"],
      ["LREM", "l", "0", "nope"], ["LRANGE", "l", "0", "-1"], ["LLEN", "l"], ["OBJECT", "ENCODING", "l"],
      // A middle node emptied by removals goes; the ends stay.
      ["RPUSH", "m", "a", "a", "a", "a", "a", "b", "b", "b", "b", "b", "a", "a", "a", "a", "a"], ["LREM", "m", "5", "b"], ["LRANGE", "m", "0", "-1"],
      ["LINSERT", "m", "AFTER", "a", "q"], ["LREM", "m", "-5", "a"], ["LRANGE", "m", "0", "-1"], ["LINDEX", "m", "3"], ["LPOP", "m", "9"], ["EXISTS", "m"],
    ]) {
      await p.same(...args);
    }
    // Single pops (their bytes go from the node into the reply) drain every node, compressed
    // ones included, from both ends, binary elements too, until the key goes.
    const binary = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
    await p.same("RPUSH", "l", binary, "x".repeat(20000));
    await p.same("LPUSH", "l", binary.slice(100));
    const length = Number((await p.same("LLEN", "l")).slice(1, -2));
    expect(length).toBeGreaterThan(250);
    for (let i = 0; i <= length; i++) await p.same(i % 3 === 0 ? "RPOP" : "LPOP", "l");
    await p.same("EXISTS", "l");
  });
});

describe("LMOVE, RPOPLPUSH, LMPOP", () => {
  test("move between lists and rotate one list", async () => {
    await pair().script(`
      RPUSH a 1 2 3
      LMOVE a b LEFT RIGHT
      LMOVE a b RIGHT LEFT
      LRANGE a 0 -1
      LRANGE b 0 -1
      RPOPLPUSH a a
      RPOPLPUSH b b
      LRANGE b 0 -1
      LMOVE a b left left
      EXISTS a
      LMOVE missing b LEFT LEFT
      LMOVE b b UP LEFT
      SET s x
      LMOVE b s LEFT LEFT
      LMOVE s b LEFT LEFT
      LRANGE b 0 -1`);
  });

  test("LMPOP pops from the first non-empty list", async () => {
    await pair().script(`
      RPUSH b 1 2 3
      RPUSH c x
      LMPOP 3 a b c LEFT
      LMPOP 3 a b c RIGHT COUNT 5
      LMPOP 2 a b LEFT
      LMPOP 1 c LEFT COUNT 1
      LMPOP 0 a LEFT
      LMPOP -1 a LEFT
      LMPOP 2 a LEFT
      LMPOP 1 a MIDDLE
      LMPOP 1 a LEFT COUNT 0
      LMPOP 1 a LEFT COUNT 1 COUNT 1
      LMPOP 1 a LEFT BOGUS
      SET s x
      LMPOP 1 s LEFT`);
  });
});

describe("binary elements", () => {
  test("every byte 0-255 round-trips through a list", async () => {
    const p = pair();
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    await p.same("RPUSH", "l", all, "", all.slice(128));
    await p.same("LRANGE", "l", "0", "-1");
    await p.same("LPOS", "l", all);
  });
});
