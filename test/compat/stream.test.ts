import { beforeEach, describe, expect, test } from "bun:test";
import { type Pair, sameScene, usePair } from "./harness.ts";

// Small nodes so that a few dozen entries span several, as millions would by default.
const pair = usePair({ "stream-node-max-entries": "5" }, ["--stream-node-max-entries", "5"]);
beforeEach(async () => {
  await pair().same("FLUSHALL");
});

/**
 * Compare replies that carry times (idle, delivery and seen times): each value named in
 * `fields`, or each PEL row's elapsed time, becomes "T" before comparing.
 */
async function sameTimed(p: Pair, ...args: string[]): Promise<void> {
  const [a, b] = await p.both(...args);
  const mask = (s: string) =>
    s
      .replace(/((?:idle|seen-time|inactive)\r\n):\d+/g, "$1:T")
      .replace(/(\*4\r\n\$\d+\r\n\d+-\d+\r\n\$\d+\r\n[^\r]*\r\n):\d+/g, "$1:T")
      .replace(/(\*3\r\n\$\d+\r\n\d+-\d+\r\n):\d+/g, "$1:T");
  expect(mask(a)).toBe(mask(b));
}

/** Add `n` entries with IDs 1-1 .. n-1 and a few field layouts (same and other fields). */
async function fill(p: Pair, key: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    const fields = i % 4 === 0 ? ["other", String(i)] : i % 7 === 0 ? ["f", String(i), "g", "x".repeat(i)] : ["f", String(i)];
    await p.same("XADD", key, `${i}-1`, ...fields);
  }
}

describe("XADD, XLEN, XRANGE, XREVRANGE", () => {
  test("IDs: explicit, partial, <ms>-*, and the errors", async () => {
    await pair().script(`XADD s 1-1 a 1
XADD s 1-1 a 1
XADD s 1 a 1
XADD s 1-* a 1
XADD s 1-* a 1
XADD s 2-* a 1
XADD s 0-0 a 1
XADD s 0 a 1
XADD s x a 1
XADD s 1-x a 1
XADD s 18446744073709551616-0 a 1
XADD s -1 a 1
XADD s 1-1 a
XADD s 1-1
XADD s 5-5 a 1 b
XADD s 9007199254740992-9007199254740993 a 1
XADD s 9007199254740993-0 a 1
XADD s 18446744073709551615-18446744073709551615 a 1
XADD s 18446744073709551615-* a 1
XLEN s
XRANGE s - +
XREVRANGE s + -
XADD missing NOMKSTREAM 1-1 a 1
EXISTS missing
XADD s NOMKSTREAM 7-7 a 1
SET str x
XADD str 1-1 a 1
XLEN str
XRANGE str - +
XLEN nosuch
XRANGE nosuch - +`);
  });

  test("auto IDs grow from the clock and never go back", async () => {
    const p = pair();
    const id = await p.kvis.call("XADD", "auto", "*", "a", "1");
    const [ms] = id.split("\r\n")[1]!.split("-");
    expect(Math.abs(Number(ms) - Date.now())).toBeLessThan(5000);
    await p.kvis.call("XADD", "auto", `${Number(ms) + 100000}-5`, "a", "1");
    expect(await p.kvis.call("XADD", "auto", "*", "a", "1")).toBe(`$${String(Number(ms) + 100000).length + 2}\r\n${Number(ms) + 100000}-6\r\n`);
  });

  test("ranges: inclusive, exclusive, partial IDs, COUNT, bad bounds", async () => {
    const p = pair();
    await fill(p, "s", 20);
    await p.script(`XRANGE s - +
XRANGE s 3 7
XRANGE s (3-1 (7-1
XRANGE s 3-1 3-1
XRANGE s (3-1 3-1
XREVRANGE s 7 3
XREVRANGE s (7-1 (3-1
XRANGE s - + COUNT 3
XREVRANGE s + - COUNT 3
XRANGE s - + COUNT 0
XRANGE s - + COUNT -1
XRANGE s - + COUNT x
XRANGE s - + LIMIT 3
XRANGE s - + COUNT
XRANGE s (- +
XRANGE s - (+
XRANGE s (18446744073709551615-18446744073709551615 +
XRANGE s - (0-0
XRANGE s 5 3
XRANGE s x +
XRANGE s 18446744073709551615 +`);
  });

  test("RESP3 replies", async () => {
    const p = pair();
    await p.both("HELLO", "3");
    await fill(p, "s", 3);
    await p.script(`XRANGE s - + COUNT 0
XRANGE s - +
XREAD STREAMS s 0
XREAD STREAMS s nosuch 0 0
XREAD STREAMS nosuch 0
XGROUP CREATE s g 0
XINFO STREAM s
XINFO GROUPS s`);
    await p.both("HELLO", "2");
  });
});

describe("XDEL, XTRIM, XSETID and trimming on XADD", () => {
  test("XDEL tombstones, counters and first/last IDs", async () => {
    const p = pair();
    await fill(p, "s", 12);
    await p.script(`XDEL s 1-1 5-1 5-1 99-1
XDEL s x
XDEL s 1-1 x
XDEL nosuch 1-1
XLEN s
XRANGE s - +
XREVRANGE s + - COUNT 2
XINFO STREAM s
XDEL s 2-1 3-1 4-1
XINFO STREAM s
XDEL s 12-1
XINFO STREAM s
XADD s 13-1 f 1
XINFO STREAM s`);
    // Deleting every entry leaves an empty stream, not a missing key.
    await p.same("XDEL", "s", "6-1", "7-1", "8-1", "9-1", "10-1", "11-1", "13-1");
    await p.script(`EXISTS s
XLEN s
XINFO STREAM s
XADD s 5-1 f 1
XADD s 14-1 f 1
XINFO STREAM s FULL`);
  });

  test("XTRIM MAXLEN and MINID, exact and ~ (whole nodes), with LIMIT", async () => {
    const p = pair();
    for (const trim of [
      "MAXLEN 30", "MAXLEN = 17", "MAXLEN ~ 17", "MAXLEN ~ 3", "MAXLEN 0", "MAXLEN ~ 0", "MINID 9", "MINID = 9-1", "MINID ~ 9",
      "MINID ~ 100", "MINID 100", "MAXLEN ~ 3 LIMIT 5", "MAXLEN ~ 3 LIMIT 4", "MAXLEN ~ 3 LIMIT 0", "MINID ~ 30 LIMIT 10",
    ]) {
      await p.same("DEL", "s");
      await fill(p, "s", 25);
      await p.same("XDEL", "s", "2-1", "12-1");
      await p.same("XTRIM", "s", ...trim.split(" "));
      await p.same("XINFO", "STREAM", "s");
      await p.same("XRANGE", "s", "-", "+");
    }
    await p.script(`XTRIM s
XTRIM s FOO 1
XTRIM s MAXLEN
XTRIM s MAXLEN -1
XTRIM s MAXLEN x
XTRIM s MAXLEN 1 LIMIT 10
XTRIM s MAXLEN ~ 1 LIMIT -1
XTRIM s MAXLEN 1 MINID 1
XTRIM s MINID -
XTRIM s LIMIT 5
XTRIM nosuch MAXLEN 1
XTRIM nosuch FOO`);
  });

  test("XINFO STREAM's radix-tree-nodes follows one stream as nodes empty, trim and grow", async () => {
    const p = pair();
    await fill(p, "s", 25);
    await p.same("XINFO", "STREAM", "s");
    // Empty a middle node (five entries a node here), then the first, then add and trim.
    for (const change of ["XDEL s 11-1 12-1 13-1 14-1 15-1", "XDEL s 1-1 2-1 3-1 4-1 5-1", "XADD s 300-1 f v", "XTRIM s MAXLEN ~ 8", "XADD s MAXLEN ~ 8 301-1 f v", "XADD s 0x10000000000-1 f v"]) {
      await p.same(...change.replace("0x10000000000", String(0x10000000000)).split(" "));
      await p.same("XINFO", "STREAM", "s");
    }
  });

  test("XADD with MAXLEN/MINID trims after adding", async () => {
    const p = pair();
    await fill(p, "s", 12);
    await p.script(`XADD s MAXLEN 10 13-1 f 1
XADD s MAXLEN ~ 4 14-1 f 1
XINFO STREAM s
XADD s MINID 12 15-1 f 1
XADD s MAXLEN = 2 LIMIT 10 16-1 f 1
XADD s LIMIT 10 16-1 f 1
XADD s MAXLEN 1 MINID 1 17-1 f 1
XADD s MAXLEN -1 17-1 f 1
XRANGE s - +`);
  });

  test("node boundaries follow stream-node-max-bytes, as Redis splits them", async () => {
    const p = pair();
    await p.same("CONFIG", "SET", "stream-node-max-bytes", "120");
    try {
      for (let i = 1; i <= 40; i++) await p.same("XADD", "s", `${i * 1000}-${i % 3}`, "field", "v".repeat(i % 9), "n", String(i * 37));
      await p.same("XINFO", "STREAM", "s");
      await p.same("XTRIM", "s", "MAXLEN", "~", "20");
      await p.same("XINFO", "STREAM", "s");
    } finally {
      await p.same("CONFIG", "SET", "stream-node-max-bytes", "4096");
    }
  });

  test("XSETID", async () => {
    const p = pair();
    await fill(p, "s", 3);
    await p.script(`XSETID s 2-1
XSETID s 3-1
XSETID s 10-0 ENTRIESADDED 2
XSETID s 10-0 ENTRIESADDED -1
XSETID s 10-0 ENTRIESADDED 9 MAXDELETEDID 11-0
XSETID s 10-0 ENTRIESADDED 9 MAXDELETEDID 2-0
XINFO STREAM s
XSETID s 1-0
XSETID s 10-0 FOO 1
XSETID s -
XSETID nosuch 1-1
XADD s 10-0 f 1
XADD s 10-1 f 1
XDEL s 10-1
XSETID s 10-0
XTRIM s MAXLEN 0
XSETID s 0-0
XINFO STREAM s`);
  });

  test("arguments and the key are checked in Redis's order: XDEL's key first, XTRIM's arguments first", async () => {
    await pair().script(`SET str v
XDEL nosuch x
XDEL str x
XTRIM str MAXLEN = x
XTRIM str MAXLEN 1
XTRIM nosuch MAXLEN x`);
  });
});

describe("XREAD", () => {
  test("reads after IDs, $ and COUNT, across streams", async () => {
    const p = pair();
    await fill(p, "a", 6);
    await fill(p, "b", 3);
    await p.script(`XREAD STREAMS a 0
XREAD COUNT 2 STREAMS a b 3 0-0
XREAD STREAMS a b $ $
XREAD STREAMS a 6-1
XREAD STREAMS a nosuch 0 0
XREAD COUNT -5 STREAMS a 5
XREAD STREAMS a
XREAD STREAMS a b 0
XREAD COUNT STREAMS a 0
XREAD GROUP g c STREAMS a 0
XREAD NOACK STREAMS a 0
XREAD STREAMS a >
XREAD BLOCK -1 STREAMS a 0
XREAD BLOCK x STREAMS a 0
XREAD FOO STREAMS a 0
XREAD STREAMS a x`);
  });

  test("BLOCK waits for XADD, serves in order, times out with null; MULTI does not block", async () => {
    const p = pair();
    await fill(p, "s", 2);
    await sameScene(p, 3, [
      [0, "XREAD BLOCK 0 STREAMS s $\r\n"],
      [1, "XREAD COUNT 1 BLOCK 0 STREAMS other s $ 2-1\r\n"],
      [2, "XADD s 3-1 f 3\r\n"],
      [0, "XREAD BLOCK 10 STREAMS s $\r\n"],
      [0, "PING\r\n"],
      [1, "XREAD BLOCK 0 STREAMS s other $ $\r\n"],
      [2, "MULTI\r\nXADD other 1-1 f 1\r\nXADD s 4-1 f 4\r\nEXEC\r\n"],
      [0, "MULTI\r\nXREAD BLOCK 0 STREAMS s $\r\nEXEC\r\n"],
      [2, "XADD s 5-1 f 5\r\n"],
    ]);
  });
});

describe("consumer groups", () => {
  test("XGROUP CREATE/SETID/DESTROY/CREATECONSUMER/DELCONSUMER and their errors", async () => {
    const p = pair();
    await fill(p, "s", 5);
    await p.script(`XGROUP CREATE s g $
XGROUP CREATE s g $
XGROUP CREATE s h 0 ENTRIESREAD 2
XGROUP CREATE s i 3-1 ENTRIESREAD -2
XGROUP CREATE s i 3-1 FOO
XGROUP CREATE s i 3-1 MKSTREAM ENTRIESREAD 1 X
XGROUP CREATE s i -
XGROUP CREATE nosuch g $
XGROUP CREATE nosuch g $ MKSTREAM
XINFO STREAM nosuch
XGROUP SETID s g 2-1
XGROUP SETID s g $ ENTRIESREAD 3
XGROUP SETID s g 0 MKSTREAM
XGROUP SETID s nog 0
XGROUP SETID nosuch2 g 0
XGROUP CREATECONSUMER s g alice
XGROUP CREATECONSUMER s g alice
XGROUP CREATECONSUMER s nog alice
XGROUP DELCONSUMER s g bob
XGROUP DELCONSUMER s g alice
XINFO GROUPS s
XGROUP DESTROY s h
XGROUP DESTROY s h
XGROUP DESTROY nosuch2 h
XGROUP FOO
XGROUP HELP
XINFO HELP
XINFO GROUPS s`);
  });

  test("XREADGROUP: new entries, history, NOACK, XACK, XPENDING, lag", async () => {
    const p = pair();
    await fill(p, "s", 8);
    await p.same("XGROUP", "CREATE", "s", "g", "0");
    await p.script(`XREADGROUP GROUP g alice COUNT 3 STREAMS s >
XREADGROUP GROUP g bob COUNT 2 STREAMS s >
XINFO GROUPS s
XREADGROUP GROUP g alice STREAMS s 0
XREADGROUP GROUP g alice COUNT 1 STREAMS s 2-1
XREADGROUP GROUP g carol STREAMS s 0
XPENDING s g
XACK s g 1-1 4-1 99-1
XACK s g x
XACK s nog 1-1
XACK nosuch g 1-1
XPENDING s g
XDEL s 2-1
XREADGROUP GROUP g alice STREAMS s 0
XREADGROUP GROUP g dave NOACK STREAMS s >
XINFO GROUPS s
XPENDING s g
XREADGROUP GROUP g alice STREAMS s >
XREADGROUP GROUP g alice STREAMS s $
XREADGROUP GROUP nog alice STREAMS s >
XREADGROUP GROUP g alice STREAMS nosuch >
XREADGROUP STREAMS s >
XREADGROUP GROUP g alice STREAMS s
XPENDING s nog
XPENDING s g - + x
XPENDING s g - +
XPENDING s g IDLE 0 - + 10 alice extra
XADD s 9-1 f 9
XINFO GROUPS s
XDEL s 9-1
XINFO GROUPS s`);
    await sameTimed(p, "XPENDING", "s", "g", "-", "+", "10");
    await sameTimed(p, "XPENDING", "s", "g", "(1-1", "+", "1", "alice");
    await sameTimed(p, "XPENDING", "s", "g", "IDLE", "0", "-", "+", "10", "bob");
    await sameTimed(p, "XPENDING", "s", "g", "-", "+", "10", "nobody");
    await sameTimed(p, "XINFO", "CONSUMERS", "s", "g");
    await p.same("XINFO", "CONSUMERS", "s", "nog");
    await sameTimed(p, "XINFO", "STREAM", "s", "FULL");
    await sameTimed(p, "XINFO", "STREAM", "s", "FULL", "COUNT", "1");
  });

  test("XCLAIM and XAUTOCLAIM move pending entries; deleted entries leave the PEL", async () => {
    const p = pair();
    await fill(p, "s", 6);
    await p.same("XGROUP", "CREATE", "s", "g", "0");
    await p.same("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">");
    await p.same("XDEL", "s", "3-1");
    await p.script(`XCLAIM s g bob 0 1-1 2-1
XCLAIM s g bob 0 3-1 JUSTID
XCLAIM s g bob 3600000 4-1
XCLAIM s g bob 0 4-1 RETRYCOUNT 7 JUSTID
XCLAIM s g bob 0 99-1 FORCE
XCLAIM s g bob 0 5-1 IDLE x
XCLAIM s g bob 0 5-1 BAR
XCLAIM s g bob x 5-1
XCLAIM s nog bob 0 5-1
XCLAIM s g carol 0 6-1 FORCE JUSTID LASTID 50-0
XINFO GROUPS s
XPENDING s g
XAUTOCLAIM s g dave 0 0 COUNT 2
XAUTOCLAIM s g dave 0 0 COUNT 2 JUSTID
XAUTOCLAIM s g erin 3600000 0
XAUTOCLAIM s g erin 0 (1-1 COUNT 1
XAUTOCLAIM s g erin 0 0 COUNT 0
XAUTOCLAIM s g erin 0 0 FOO
XAUTOCLAIM s g erin x 0
XAUTOCLAIM s nog erin 0 0
XPENDING s g`);
    await p.same("XDEL", "s", "1-1", "2-1");
    await p.same("XAUTOCLAIM", "s", "g", "frank", "0", "0");
    await p.same("XPENDING", "s", "g");
  });

  test("XREADGROUP BLOCK is served by XADD; destroying the group answers NOGROUP", async () => {
    const p = pair();
    await p.same("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
    await sameScene(p, 3, [
      [0, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >\r\n"],
      [1, "XREADGROUP GROUP g bob COUNT 1 BLOCK 0 STREAMS s >\r\n"],
      [2, "XADD s 1-1 f 1\r\n"],
      [2, "XADD s 2-1 f 2\r\n"],
      [0, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >\r\n"],
      [2, "XGROUP DESTROY s g\r\n"],
      [2, "XINFO STREAM s\r\n"],
    ]);
  });

  test("a blocked XREADGROUP fails when its stream goes: DEL, SET, MULTI, FLUSHALL, SWAPDB", async () => {
    const p = pair();
    await p.same("CONFIG", "RESETSTAT");
    const setup = "DEL s\r\nXADD s 1-1 f v\r\nXGROUP CREATE s g $\r\n";
    const wait = "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >\r\n";
    await sameScene(p, 2, [
      [1, setup], [0, wait], [1, "DEL s\r\n"],
      [1, setup], [0, wait], [1, "SET s v\r\n"],
      [1, setup], [0, wait], [1, "MULTI\r\nDEL s\r\nSADD s e\r\nEXEC\r\n"],
      [1, setup], [0, wait], [1, "FLUSHALL\r\n"],
      // Swapped away for a list, and for another stream without the group (-NOGROUP).
      [1, "SELECT 4\r\nFLUSHDB\r\nLPUSH s e\r\nSELECT 0\r\n"], [1, setup], [0, wait], [1, "SWAPDB 4 0\r\n"],
      [1, "FLUSHALL\r\nSELECT 4\r\nXADD s 1-1 f v\r\nSELECT 0\r\n"], [1, setup], [0, wait], [1, "SWAPDB 4 0\r\n"],
      // A list waiter on the same key keeps waiting through a DEL.
      [1, "FLUSHALL\r\n"], [0, "BLPOP s 0\r\n"], [1, "DEL s\r\n"], [1, "RPUSH s x\r\n"],
      [1, "INFO errorstats\r\n"],
    ]);
    const [a, b] = await p.both("INFO", "commandstats");
    const row = (s: string) => s.match(/cmdstat_xreadgroup:calls=\d+,.*(rejected_calls=\d+,failed_calls=\d+)/)![1];
    expect(row(a)).toBe(row(b));
  });

  test("XREADGROUP BLOCK waits when the group's newer entries were all deleted", async () => {
    const p = pair();
    await p.script(`XGROUP CREATE s g $ MKSTREAM
XADD s 666 f v
XREADGROUP GROUP g alice STREAMS s >
XADD s 667 f2 v2
XDEL s 667
XREADGROUP GROUP g alice STREAMS s >`);
    await sameScene(p, 1, [[0, "XREADGROUP GROUP g alice BLOCK 10 STREAMS s >\r\n"]]);
  });

  test("WRONGTYPE and keyspace events", async () => {
    const p = pair();
    await p.script(`SET str x
XREAD STREAMS str 0
XREADGROUP GROUP g c STREAMS str >
XGROUP CREATE str g 0
XINFO STREAM str
XACK str g 1-1
XPENDING str g
XCLAIM str g c 0 1-1
XDEL str 1-1
XTRIM str MAXLEN 1
XSETID str 1-1
TYPE str
XADD s 1-1 f 1
TYPE s
OBJECT ENCODING s
SCAN 0 TYPE stream
COPY s s2
XRANGE s2 - +`);
  });
});

describe("stream lookups as Redis makes them", () => {
  test("the key's type is checked before an XREAD ID, after XAUTOCLAIM's arguments; XACK without key or group reads no ID", async () => {
    const p = pair();
    await p.script(`SET str v
DEL xk
XADD xk 1-1 a 1
XGROUP CREATE xk g 0
XREAD STREAMS str badid
XREAD STREAMS nosuch badid
XREADGROUP GROUP g c STREAMS str badid
XAUTOCLAIM str g c bad 0
XAUTOCLAIM str g c 0 0
XCLAIM str g c bad 1-1
XACK nosuch g bad
XACK xk nogroup bad
XACK xk g bad
XACK str g 1-1`);
  });

  test("hits and misses: XREAD and XREADGROUP count each stream twice, XACK, XCLAIM and XAUTOCLAIM once", async () => {
    const p = pair();
    const stats = async () => (await p.both("INFO", "stats")).map((info) => /keyspace_hits:\d+\r\nkeyspace_misses:\d+/.exec(info)![0].split("\r\n").map((l) => Number(l.split(":")[1])));
    await p.script("DEL xs\nXADD xs 1-1 a 1\nXGROUP CREATE xs g 0");
    for (const command of [
      "XREAD STREAMS xs 0", "XREAD STREAMS xs nosuch 0 0", "XREAD STREAMS xs nosuch $ $", "XREAD COUNT 1 STREAMS xs 5-0",
      "XREADGROUP GROUP g c STREAMS xs >", "XREADGROUP GROUP g c STREAMS xs 0", "XREADGROUP GROUP g c STREAMS nosuch >",
      "XACK xs g 1-1", "XACK nosuch g 1-1", "XCLAIM xs g c2 0 1-1", "XCLAIM nosuch g c 0 1-1", "XAUTOCLAIM xs g c3 0 0", "XAUTOCLAIM nosuch g c 0 0",
    ]) {
      const before = await stats();
      await p.script(command);
      const after = await stats();
      expect({ command, kvis: after[0]!.map((n, i) => n - before[0]![i]!) }).toEqual({ command, kvis: after[1]!.map((n, i) => n - before[1]![i]!) });
    }
  });
});
