import { describe, expect, test } from "bun:test";
import { addLongDouble, bitLength, formatLongDouble, parseLongDouble } from "../../../src/resp/long-double.ts";

describe("long double arithmetic (INCRBYFLOAT)", () => {
  test("bitLength agrees with the binary text's length around every power of two and at random", () => {
    const expected = (a: bigint) => (a === 0n ? 0 : a.toString(2).length);
    const wrong: bigint[] = [];
    const check = (a: bigint) => bitLength(a) !== expected(a) && wrong.push(a);
    check(0n);
    for (let k = 0; k < 1200; k++) {
      const p = 1n << BigInt(k);
      for (const a of [p, p - 1n, p + 1n, p - (p >> 53n), p - (p >> 54n), p + (p >> 53n), p - (p >> 60n)]) if (a > 0n) check(a);
    }
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed);
    for (let i = 0; i < 20_000; i++) {
      let a = 0n;
      for (let j = rand() % 40; j >= 0; j--) a = (a << 31n) | BigInt(rand());
      check(a);
    }
    expect(wrong).toEqual([]);
  });

  test("a text parsed again gives the same value, whatever was parsed between", () => {
    const texts = ["0.1", "0.2", "1e300", "-3.5", "12345678901234567890.123"];
    const first = texts.map((t) => formatLongDouble(parseLongDouble(t)!));
    expect(first.slice(0, 2)).toEqual(["0.1", "0.2"]);
    // Parsed again in other orders (the last two parsed are remembered), each gives what it gave.
    for (const order of [[4, 0, 4, 1, 0], [2, 2, 3, 1, 3, 0, 4]]) {
      for (const i of order) expect(formatLongDouble(parseLongDouble(texts[i]!)!)).toBe(first[i]!);
    }
    expect(formatLongDouble(addLongDouble(parseLongDouble("0.1")!, parseLongDouble("0.2")!)!)).toBe("0.3");
    expect(parseLongDouble("abc")).toBeUndefined();
    expect(parseLongDouble("abc")).toBeUndefined();
  });
});
