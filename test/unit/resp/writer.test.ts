import { describe, expect, test } from "bun:test";
import { ReplyWriter } from "../../../src/resp/writer.ts";

const text = (w: ReplyWriter) => Buffer.from(w.view()).toString("latin1");

describe("ReplyWriter", () => {
  test("RESP2 and RESP3 differ only in the bytes the writer picks", () => {
    const w = new ReplyWriter();
    for (const resp of [2, 3] as const) {
      w.reset();
      w.resp = resp;
      w.null();
      w.nullArray();
      w.map(1);
      w.bulkString("k");
      w.integer(-5);
      w.set(0);
      w.double(1.5);
      w.boolean(true);
      w.verbatim("hi");
      expect(text(w)).toBe(
        resp === 2
          ? "$-1\r\n*-1\r\n*2\r\n$1\r\nk\r\n:-5\r\n*0\r\n$3\r\n1.5\r\n:1\r\n$2\r\nhi\r\n"
          : "_\r\n_\r\n%1\r\n$1\r\nk\r\n:-5\r\n~0\r\n,1.5\r\n#t\r\n=6\r\ntxt:hi\r\n",
      );
    }
  });

  test("error texts have CR and LF replaced by spaces, as Redis does", () => {
    const w = new ReplyWriter();
    w.error("ERR a\r\nb");
    expect(text(w)).toBe("-ERR a  b\r\n");
  });

  test("bulk strings keep every byte and the buffer grows for large ones", () => {
    const w = new ReplyWriter();
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    const big = all.repeat(1000);
    w.bulkString(big);
    expect(text(w)).toBe(`$${big.length}\r\n${big}\r\n`);
  });

  test("truncate drops what was written after a mark", () => {
    const w = new ReplyWriter();
    w.ok();
    const mark = w.length;
    w.array(2);
    w.bulkString("half");
    w.truncate(mark);
    w.error("ERR failed");
    expect(text(w)).toBe("+OK\r\n-ERR failed\r\n");
  });
});

describe("ReplyWriter integers", () => {
  test("every integer prints as its decimal text, across the 32-bit fast path's edges", () => {
    const w = new ReplyWriter();
    const values = [0, 9, 10, 99, 100, -1, -9, -10, 2147483647, -2147483648, 2147483648, -2147483649, 9007199254740991, -9007199254740991, 1234567];
    for (const n of values) w.integer(n);
    w.array(1234567);
    expect(Buffer.from(w.view()).toString("latin1")).toBe(values.map((n) => `:${n}\r\n`).join("") + "*1234567\r\n");
  });
});
