import { describe, expect, test } from "bun:test";
import { crc64 } from "../../../src/persistence/crc64.ts";
import { PiecesWindow } from "../../../src/persistence/rdb-reader.ts";
import { lzfCompress, lzfCompressRange, lzfDecompress, lzfOutput } from "../../../src/store/lzf.ts";
import { seededRandom } from "../../helpers/random.ts";

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

describe("lzfCompress", () => {
  test("round-trips, whole or a range of a larger buffer, the same bytes either way", () => {
    const rand = seededRandom(7);
    const buf = new Uint8Array(200_000);
    // Runs of repeats among noise, every byte value 0-255.
    for (let i = 0; i < buf.length; i++) buf[i] = rand() < 0.7 && i > 300 ? buf[i - 1 - Math.floor(rand() * 300)]! : Math.floor(rand() * 256);
    for (let k = 0; k < 300; k++) {
      const start = Math.floor(rand() * 190_000);
      const end = start + 21 + Math.floor(rand() * (k % 10 === 0 ? 9000 : 200));
      const input = buf.slice(start, end);
      const whole = lzfCompress(input, 2 * input.length)!.slice();
      const n = lzfCompressRange(buf, start, end, 2 * input.length);
      expect(lzfOutput().slice(0, n)).toEqual(whole);
      expect(lzfDecompress(whole, input.length)).toEqual(input);
      // Over the limit: nothing.
      expect(lzfCompressRange(buf, start, end, 1)).toBe(-1);
    }
  });
});

describe("PiecesWindow", () => {
  const MB = 1 << 20;
  test("holds back a source that runs ahead of the load, never one the load waits for", async () => {
    const calls: string[] = [];
    const window = new PiecesWindow([], Infinity, true, 40);
    window.flow = { pause: () => calls.push("pause"), resume: () => calls.push("resume") };
    for (let i = 0; i < 4; i++) window.push(new Uint8Array(MB).fill(i));
    expect(calls).toEqual([]);
    // Past 4 MB unread, and nobody waiting: paused.
    window.push(new Uint8Array(MB).fill(4));
    expect(calls).toEqual(["pause"]);
    // Read past 1 MB, 4 MB are unread: still paused; past 4 MB, 1 MB: resumed.
    const into = new Uint8Array(MB);
    expect(window.read(into, 0, MB, 0)).toBe(MB);
    expect(window.read(into, 0, 1, MB)).toBe(1);
    expect(calls).toEqual(["pause"]);
    expect(window.read(into, 0, 1, 4 * MB)).toBe(1);
    expect(calls).toEqual(["pause", "resume"]);
    expect(into[0]).toBe(4);
    // A load waiting for bytes not in resumes a paused source at once.
    window.push(new Uint8Array(4 * MB));
    expect(calls).toEqual(["pause", "resume", "pause"]);
    let woken = false;
    void window.whenAvailable(10 * MB).then(() => (woken = true));
    expect(calls).toEqual(["pause", "resume", "pause", "resume"]);
    // While it waits, pieces are not held back; the end wakes it.
    window.push(new Uint8Array(MB));
    expect(calls.length).toBe(4);
    expect(woken).toBe(false);
    window.end();
    await Promise.resolve();
    expect(woken).toBe(true);
    // The end mark's 40 bytes are not the image's.
    expect(window.size).toBe(10 * MB - 40);
  });
});
