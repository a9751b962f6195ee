import { beforeEach, describe, test } from "bun:test";
import { usePair } from "./harness.ts";

const pair = usePair();
beforeEach(async () => {
  await pair().same("FLUSHALL");
});

describe("GET", () => {
  test("GET of a missing key, a string, and the wrong arity", async () => {
    const p = pair();
    await p.same("GET", "missing");
    await p.same("SET", "k", "v");
    await p.same("GET", "k");
    await p.same("GET");
    await p.same("GET", "a", "b");
  });

  test("every byte 0-255 round-trips in keys and values", async () => {
    const p = pair();
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    await p.same("SET", all, all);
    await p.same("GET", all);
    await p.same("EXISTS", all);
  });
});

describe("SET", () => {
  test("NX and XX set only when the key is missing or present", async () => {
    const p = pair();
    await p.same("SET", "k", "1", "XX");
    await p.same("SET", "k", "1", "NX");
    await p.same("SET", "k", "2", "NX");
    await p.same("SET", "k", "3", "XX");
    await p.same("GET", "k");
  });

  test("GET returns the old value, also with NX and XX", async () => {
    const p = pair();
    await p.same("SET", "k", "1", "GET");
    await p.same("SET", "k", "2", "GET");
    await p.same("SET", "k", "3", "NX", "GET");
    await p.same("SET", "nokey", "3", "XX", "GET");
    await p.same("GET", "k");
  });

  test("EX, PX, EXAT, PXAT and KEEPTTL set or keep the TTL", async () => {
    const p = pair();
    await p.same("SET", "k", "v", "EX", "100");
    await p.same("TTL", "k");
    await p.same("SET", "k", "v", "PX", "100000");
    await p.same("TTL", "k");
    await p.same("SET", "k", "v", "EXAT", "4102444800");
    await p.same("EXPIRETIME", "k");
    await p.same("SET", "k", "v", "PXAT", "4102444800123");
    await p.same("PEXPIRETIME", "k");
    await p.same("SET", "k", "w", "KEEPTTL");
    await p.same("PEXPIRETIME", "k");
    await p.same("SET", "k", "x");
    await p.same("TTL", "k");
  });

  test("SET with conflicting or incomplete options is a syntax error", async () => {
    const p = pair();
    for (const opts of [
      ["NX", "XX"], ["XX", "NX"], ["EX", "10", "PX", "10"], ["KEEPTTL", "EX", "10"], ["EX", "10", "KEEPTTL"],
      ["EX"], ["PXAT"], ["FOO"], ["EX", "10", "EX", "10"], ["nx", "get", "ex", "10", "bogus"],
    ]) {
      await p.same("SET", "k", "v", ...opts);
    }
  });

  test("SET with a bad expire time answers Redis's errors in Redis's order", async () => {
    const p = pair();
    for (const opts of [
      ["EX", "0"], ["EX", "-5"], ["PX", "0"], ["EX", "abc"], ["EX", "1.5"], ["PX", "9223372036854775807"],
      ["EX", "9223372036854775807"], ["EXAT", "0"], ["EX", "abc", "NX", "XX"],
    ]) {
      await p.same("SET", "k", "v", ...opts);
    }
  });

  test("SET GET on a key of another type is WRONGTYPE", async () => {
    const p = pair();
    await p.same("SET", "k", "v");
    await p.same("SET", "k", "v", "GET");
  });

  test("SET with the wrong arity", async () => {
    await pair().same("SET", "k");
  });
});
