import { describe, expect, test } from "bun:test";
import { crc64 } from "../../../src/persistence/crc64.ts";
import { lzfDecompress } from "../../../src/store/lzf.ts";

describe("crc64", () => {
  test("matches the CRC-64/Jones check value Redis's crc64.c tests", () => {
    expect(crc64(Buffer.from("123456789")).toString(16)).toBe("e9c6d914c4b8d9ca");
  });
  test("can be computed incrementally", () => {
    const whole = crc64(Buffer.from("hello world"));
    expect(crc64(Buffer.from(" world"), crc64(Buffer.from("hello")))).toBe(whole);
  });
});

describe("lzfDecompress", () => {
  test("expands literal runs and overlapping back references", () => {
    // literal "ab" (ctrl 1), then a back reference of length 6 at distance 2: "abababab".
    const compressed = Uint8Array.of(1, 0x61, 0x62, (4 << 5) | 0, 1);
    expect(Buffer.from(lzfDecompress(compressed, 8)!).toString()).toBe("abababab");
  });
  test("refuses references before the start and wrong lengths", () => {
    expect(lzfDecompress(Uint8Array.of((1 << 5) | 0, 5), 3)).toBeUndefined();
    expect(lzfDecompress(Uint8Array.of(1, 0x61, 0x62), 5)).toBeUndefined();
  });
});
