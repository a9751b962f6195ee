import { beforeEach, describe, test } from "bun:test";
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
});

describe("KEYS", () => {
  test("glob patterns match as in Redis", async () => {
    const p = pair();
    for (const k of ["hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "other"]) await p.same("SET", k, "1");
    for (const pattern of ["h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h\\*llo", "nomatch*", "*o*"]) {
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
    await p.same("EXPIRE", "k", "100", "GT");
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
