import { describe, expect, test } from "bun:test";
import { bytesToString, globMatch, parseInt64, parseInt64Big } from "../../../src/resp/bytes.ts";

const b = (s: string) => Buffer.from(s, "latin1");

describe("parseInt64 (string2ll rules)", () => {
  test("accepts canonical integers across the 64-bit range", () => {
    expect(parseInt64(b("0"))).toBe(0);
    expect(parseInt64(b("-1"))).toBe(-1);
    expect(parseInt64(b("123456789"))).toBe(123456789);
    expect(parseInt64Big(b("9223372036854775807"))).toBe(9223372036854775807n);
    expect(parseInt64Big(b("-9223372036854775808"))).toBe(-9223372036854775808n);
  });

  test("rejects what Redis rejects", () => {
    for (const bad of ["", "-", "+1", "01", "-0", " 1", "1 ", "1.5", "9223372036854775808", "-9223372036854775809", "abc"]) {
      expect(parseInt64(b(bad))).toBeUndefined();
    }
  });
});

describe("bytesToString", () => {
  test("maps every byte to the char of the same code, unlike windows-1252", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const s = bytesToString(all);
    expect(Array.from(s, (ch) => ch.charCodeAt(0))).toEqual(Array.from(all));
    expect(bytesToString(all.subarray(0x80, 0x90)).charCodeAt(0)).toBe(0x80);
  });
});

describe("globMatch (stringmatchlen)", () => {
  const cases: Array<[string, string, boolean]> = [
    ["*", "anything", true],
    ["h?llo", "hello", true],
    ["h?llo", "hllo", false],
    ["h*llo", "heeeello", true],
    ["h[ae]llo", "hallo", true],
    ["h[ae]llo", "hillo", false],
    ["h[^e]llo", "hallo", true],
    ["h[^e]llo", "hello", false],
    ["h[a-b]llo", "hbllo", true],
    ["h[a-b]llo", "hcllo", false],
    ["h\\*llo", "h*llo", true],
    ["h\\*llo", "hello", false],
    ["*max-*", "proto-max-bulk-len", true],
    ["a*b*c", "aXXbYYc", true],
    ["a*b*c", "aXXbYY", false],
  ];
  for (const [pattern, subject, expected] of cases) {
    test(`${pattern} ${expected ? "matches" : "does not match"} ${subject}`, () => {
      expect(globMatch(pattern, subject)).toBe(expected);
    });
  }
  test("a pattern of many stars that cannot match ends at once, as Redis's skipLongerMatches makes it", () => {
    const run = "a".repeat(40);
    const stars = `${"a*".repeat(20)}b`;
    expect(globMatch(stars, run)).toBe(false);
    expect(globMatch(`${"a*".repeat(20)}a`, run)).toBe(true);
    expect(globMatch("*a*b*c", "xxaxxbxxc")).toBe(true);
    expect(globMatch("*a*b*c", "xxaxxcxxb")).toBe(false);
  });

  test("nocase folds ASCII letters", () => {
    expect(globMatch("*MAX*", "maxmemory", true)).toBe(true);
    expect(globMatch("*MAX*", "maxmemory", false)).toBe(false);
  });
});
