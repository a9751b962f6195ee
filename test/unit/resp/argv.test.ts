import { describe, expect, test } from "bun:test";
import { Argv } from "../../../src/resp/argv.ts";

describe("Argv.str", () => {
  test("decodes every byte, whatever was decoded before at the same length and place", () => {
    // One buffer rewritten in place, as a read buffer or the script engine's memory is.
    const buf = new Uint8Array(64);
    const argv = new Argv();
    const seen: string[] = [];
    const cases = [
      [1, 2, 3],
      [1, 2, 4],
      [0, 2, 4],
      [0, 0, 0],
      [0x80, 0x9f, 0xff],
      [0x80, 0x9f, 0xff],
      Array.from({ length: 48 }, (_, i) => i * 5),
      Array.from({ length: 48 }, (_, i) => (i === 0 ? 1 : i * 5)),
      Array.from({ length: 49 }, (_, i) => 255 - i),
      [],
    ];
    for (const bytes of cases) {
      buf.set(bytes, 7);
      argv.clear();
      argv.push(buf, 7, 7 + bytes.length);
      seen.push(argv.str(0));
    }
    expect(seen).toEqual(cases.map((bytes) => Buffer.from(bytes).toString("latin1")));
  });
});
