import { beforeEach, describe, expect, test } from "bun:test";
import { decodeReply } from "../helpers/resp.ts";
import { usePair } from "./harness.ts";

const pair = usePair();
beforeEach(async () => {
  await pair().same("FLUSHALL");
});

describe("PFADD, PFCOUNT, PFMERGE", () => {
  test("the sparse representation is byte-identical to Redis's, cache included", async () => {
    await pair().script(`
      PFADD h
      GET h
      PFADD h a b c d e f g
      GET h
      PFCOUNT h
      GET h
      PFADD h a
      PFADD h h1 h2 h3
      PFCOUNT h missing
      PFCOUNT missing
      PFADD other x y z a
      PFMERGE dest h other
      GET dest
      PFCOUNT dest
      PFMERGE dest
      PFCOUNT dest h other`);
  });

  test("counts agree through the move from sparse to dense", async () => {
    const p = pair();
    for (let batch = 0; batch < 30; batch++) {
      const elements = Array.from({ length: 100 }, (_, i) => `e${batch * 100 + i}`);
      await p.same("PFADD", "big", ...elements);
      if (batch % 5 === 4) {
        await p.same("PFCOUNT", "big");
        await p.same("GET", "big");
      }
    }
    await p.same("PFADD", "small", "a", "b", "c");
    await p.same("PFMERGE", "merged", "small", "big");
    await p.same("GET", "merged");
    await p.same("PFCOUNT", "merged", "small");
    await p.same("PFMERGE", "small2", "small");
    await p.same("GET", "small2");
  });

  test("binary elements hash as Redis hashes them", async () => {
    const p = pair();
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    for (let len = 0; len < 20; len++) await p.same("PFADD", "bin", all.slice(len * 7, len * 7 + len));
    await p.same("GET", "bin");
    await p.same("PFCOUNT", "bin");
  });

  test("values that are not HLLs answer Redis's errors", async () => {
    await pair().script(`
      SET s notanhll
      PFADD s a
      PFCOUNT s
      PFMERGE d s
      SET t HYLLxxxxxxxxxxxxxxxxx
      PFCOUNT t
      RPUSH l a
      PFADD l a
      PFCOUNT l
      PFMERGE l
      PFCOUNT h l`);
  });

  test("a cached count written into the header is answered exactly, past 2^53 too", async () => {
    const p = pair();
    await p.same("PFADD", "h", "a", "b");
    // Bytes 8-15: the count, little-endian; a clear top bit marks it valid.
    for (const cache of ["\x11\x22\x33\x44\x55\x66\x77\x38", "\xff\xff\xff\xff\xff\xff\x1f\x00", "\x01\x00\x00\x00\x00\x00\x20\x00"]) {
      await p.same("SETRANGE", "h", "8", cache);
      await p.same("PFCOUNT", "h");
    }
  });
});

describe("HLL values across servers", () => {
  test("an HLL made by Redis counts the same in KVIS, and one made by KVIS in Redis", async () => {
    const p = pair();
    const elements = Array.from({ length: 3000 }, (_, i) => `x${i}`);
    for (let i = 0; i < elements.length; i += 500) {
      await p.redis.call("PFADD", "from-redis", ...elements.slice(i, i + 500));
      await p.kvis.call("PFADD", "from-kvis", ...elements.slice(i, i + 500).map((e) => `${e}!`));
    }
    for (const [source, target, key] of [[p.redis, p.kvis, "from-redis"], [p.kvis, p.redis, "from-kvis"]] as const) {
      const value = decodeReply(await source.call("GET", key)) as string;
      expect(await target.call("SET", key, value)).toBe("+OK\r\n");
      expect(await target.call("PFCOUNT", key)).toBe(await source.call("PFCOUNT", key));
      expect(await target.call("PFADD", key, "one-more")).toBe(await source.call("PFADD", key, "one-more"));
      expect(await target.call("GET", key)).toBe(await source.call("GET", key));
    }
  });
});

describe("PFDEBUG and PFSELFTEST", () => {
  test("PFDEBUG shows and converts an HLL as Redis does", async () => {
    const p = pair();
    await p.same("PFADD", "h", "a", "b", "c", "d", "e");
    await p.script(`PFDEBUG ENCODING h
PFDEBUG DECODE h
PFDEBUG decode h
OBJECT ENCODING h
PFDEBUG TODENSE h
PFDEBUG ENCODING h
PFDEBUG DECODE h
PFDEBUG TODENSE h
GET h
PFCOUNT h
PFDEBUG FOO h
PFDEBUG ENCODING nokey
PFDEBUG FOO nokey
PFDEBUG GETREG
SET s notanhll
PFDEBUG ENCODING s
RPUSH l x
PFDEBUG ENCODING l`);
    await p.same("PFADD", "g", "x", "y");
    await p.same("PFDEBUG", "GETREG", "g");
    await p.same("PFDEBUG", "ENCODING", "g");
    await p.same("GET", "g");
  });

  test("PFSELFTEST passes", async () => {
    await pair().same("PFSELFTEST");
    await pair().same("PFSELFTEST", "extra");
  });
});
