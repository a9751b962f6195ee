import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../src/errors.ts";
import { RequestParser, secondArguments, splitInlineArgs } from "../../../src/resp/parser.ts";
import { serverTestTimeout } from "../../helpers/servers.ts";

serverTestTimeout();

const bytes = (s: string) => Buffer.from(s, "latin1");
const text = (b: Uint8Array) => Buffer.from(b).toString("latin1");

/** Feed `chunks` and collect each request as strings (copied while valid). */
function parse(chunks: Uint8Array[], setup?: (p: RequestParser) => void): { requests: string[][]; error?: string } {
  const p = new RequestParser();
  setup?.(p);
  const requests: string[][] = [];
  try {
    for (const c of chunks) {
      // Copy into a fresh buffer and scribble over it afterwards, as a runtime reusing its
      // read buffer would: any view kept past the read would then show garbage.
      const chunk = new Uint8Array(c);
      p.feed(chunk, (argv) => {
        requests.push(argv.views().map(text));
        return true;
      });
      chunk.fill(0x21);
    }
  } catch (e) {
    if (e instanceof ProtocolError) return { requests, error: e.text };
    throw e;
  }
  return { requests };
}

/** Every way to deliver `input`: one chunk, byte by byte, and split at every offset. */
function deliveries(input: string): Uint8Array[][] {
  const b = bytes(input);
  const ways: Uint8Array[][] = [[b], Array.from(b, (x) => Uint8Array.of(x))];
  for (let i = 1; i < b.length; i++) ways.push([b.subarray(0, i), b.subarray(i)]);
  return ways;
}

function expectEverySplit(input: string, expected: string[][], error?: string): void {
  for (const chunks of deliveries(input)) {
    const result = parse(chunks);
    expect(result.requests).toEqual(expected);
    expect(result.error).toBe(error);
  }
}

describe("multibulk requests", () => {
  test("a single request parses identically however it is split", () => {
    expectEverySplit("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n", [["SET", "key", "value"]]);
  });

  test("pipelined requests parse in order however the stream is split", () => {
    expectEverySplit("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", [
      ["PING"],
      ["ECHO", ""],
      ["GET", "k"],
    ]);
  });

  test("empty and null multibulks are skipped silently", () => {
    expectEverySplit("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n", [["PING"]]);
  });

  test("every byte value 0-255 survives inside a bulk", () => {
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    expectEverySplit(`*2\r\n$4\r\nECHO\r\n$256\r\n${all}\r\n`, [["ECHO", all]]);
  });

  test("a large bulk split across many reads is assembled exactly", () => {
    const big = "x".repeat(300_000) + "end";
    const input = bytes(`*2\r\n$4\r\nECHO\r\n$${big.length}\r\n${big}\r\n`);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < input.length; i += 7_777) chunks.push(input.subarray(i, i + 7_777));
    expect(parse(chunks).requests).toEqual([["ECHO", big]]);
  });

  test("a bulk over 1 MB grows as it arrives and is assembled exactly, pipelined with the next request", () => {
    const big = Array.from({ length: 3_000_000 }, (_, i) => String.fromCharCode(i % 251)).join("");
    const input = bytes(`*2\r\n$4\r\nECHO\r\n$${big.length}\r\n${big}\r\n*1\r\n$4\r\nPING\r\n`);
    const chunks: Uint8Array[] = [];
    for (let i = 0, step = 1; i < input.length; i += step, step = step * 3 + 1) chunks.push(input.subarray(i, i + step));
    expect(parse(chunks).requests).toEqual([["ECHO", big], ["PING"]]);
  });

  test("arguments complete within a read are ranges of it, not copies", () => {
    const p = new RequestParser();
    const chunk = bytes("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    let sameBuffer = false;
    p.feed(chunk, (argv) => {
      sameBuffer = [0, 1].every((i) => argv.buffer(i) === chunk);
      return true;
    });
    expect(sameBuffer).toBe(true);
  });

  test("the two bytes after a bulk are skipped unchecked, as Redis does", () => {
    expect(parse([bytes("*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n")]).requests).toEqual([["PING"], ["PING"]]);
  });

  test("the sink can stop parsing the rest of the read", () => {
    const p = new RequestParser();
    const seen: string[] = [];
    p.feed(bytes("*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n"), (argv) => {
      seen.push(argv.str(0));
      return false;
    });
    expect(seen).toEqual(["QUIT"]);
  });
});

describe("inline requests", () => {
  test("inline commands split on whitespace, with CRLF or a bare LF", () => {
    expectEverySplit("PING\r\nECHO  hello   world\nGET k\r\n", [["PING"], ["ECHO", "hello", "world"], ["GET", "k"]]);
  });

  test("plain words split as sdssplitargs splits them: tabs, CRs, runs of blanks; NUL, \\v and \\f as it takes them", () => {
    expectEverySplit("\tSET\t k \r v\r\n  GET   k  \n", [["SET", "k", "v"], ["GET", "k"]]);
    for (const line of ["a\x00b c", "\x00 a", "a\vb", "a\fb c"]) {
      const b = bytes(line);
      expectEverySplit(`${line}\n`, [splitInlineArgs(b, 0, b.length)!.map(text)]);
    }
  });

  test("empty inline lines are ignored", () => {
    expectEverySplit("\r\n\nPING\r\n", [["PING"]]);
  });

  test("quotes and escapes follow sdssplitargs", () => {
    expectEverySplit(`SET "a b" 'c\\'d' "\\x41\\n\\t"\r\n`, [["SET", "a b", "c'd", "A\n\t"]]);
  });

  test("unbalanced quotes are a protocol error", () => {
    expectEverySplit(`SET "abc\r\n`, [], "unbalanced quotes in request");
    expectEverySplit(`SET "a"b\r\n`, [], "unbalanced quotes in request");
  });

  test("splitInlineArgs returns undefined for an unterminated single quote", () => {
    const b = bytes("a 'b");
    expect(splitInlineArgs(b, 0, b.length)).toBeUndefined();
  });
});

describe("protocol errors", () => {
  const cases: Array<[string, string]> = [
    ["*x\r\n", "invalid multibulk length"],
    ["*+1\r\n", "invalid multibulk length"],
    ["*01\r\n", "invalid multibulk length"],
    ["*3000000000\r\n", "invalid multibulk length"],
    ["*1\r\nx\r\n", "expected '$', got 'x'"],
    ["*1\r\n$-1\r\n", "invalid bulk length"],
    ["*1\r\n$+4\r\n", "invalid bulk length"],
    ["*1\r\n$abc\r\n", "invalid bulk length"],
    ["*1\r\n$600000000\r\n", "invalid bulk length"],
    ["*1\r\n$04\r\n", "invalid bulk length"],
    ["*1\r\n$1000000000\r\n", "invalid bulk length"],
    ["*1\r\n$4x\r\n", "invalid bulk length"],
  ];
  for (const [input, error] of cases) {
    test(`${JSON.stringify(input)} answers "${error}"`, () => {
      expectEverySplit(input, [], error);
    });
  }

  test("requests before the bad one are still dispatched", () => {
    expectEverySplit("*1\r\n$4\r\nPING\r\n*x\r\n", [["PING"]], "invalid multibulk length");
  });

  test("an inline request over 64 KB without a newline is too big", () => {
    expect(parse([bytes("A".repeat(70_000))]).error).toBe("too big inline request");
  });

  test("a multibulk count line over 64 KB is too big", () => {
    expect(parse([bytes("*" + "1".repeat(70_000))]).error).toBe("too big mbulk count string");
  });

  test("a bulk length line over 64 KB is too big", () => {
    expect(parse([bytes("*1\r\n$" + "1".repeat(70_000))]).error).toBe("too big bulk count string");
  });

  test("bulks above proto-max-bulk-len are refused", () => {
    const r = parse([bytes("*1\r\n$2000\r\n")], (p) => (p.maxBulkLen = 1000));
    expect(r.error).toBe("invalid bulk length");
  });

  test("before AUTH, more than 10 arguments or bulks over 16 KB are refused", () => {
    expect(parse([bytes("*11\r\n")], (p) => (p.authRequired = true)).error).toBe("unauthenticated multibulk length");
    expect(parse([bytes("*1\r\n$16385\r\n")], (p) => (p.authRequired = true)).error).toBe("unauthenticated bulk length");
  });

  test("a multibulk with over a million arguments is accepted, as in Redis 7", () => {
    const n = 1_100_000;
    const input = bytes(`*${n}\r\n` + "$1\r\na\r\n".repeat(n));
    const r = parse([input]);
    expect(r.error).toBeUndefined();
    expect(r.requests.length).toBe(1);
    expect(r.requests[0]!.length).toBe(n);
  });
});

describe("requestEnd", () => {
  test("points just past each request in the current read, however the stream is split", () => {
    const input = bytes("*1\r\n$4\r\nPING\r\nECHO x\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    for (const chunks of deliveries(Buffer.from(input).toString("latin1"))) {
      const p = new RequestParser();
      const ends: number[] = [];
      let base = 0;
      for (const c of chunks) {
        p.feed(c, () => {
          ends.push(base + p.requestEnd);
          return true;
        });
        base += c.length;
      }
      expect(ends).toEqual([14, 22, input.length]);
    }
  });
});

describe("secondArguments", () => {
  const ranges = (chunk: Uint8Array, room = 16) => {
    const out = new Int32Array(2 * room);
    const n = secondArguments(chunk, out);
    return Array.from({ length: n }, (_, k) => text(chunk.subarray(out[2 * k]!, out[2 * k + 1]!)));
  };

  test("gives the second argument of each complete request, skipping one-argument requests", () => {
    const chunk = bytes("*2\r\n$3\r\nGET\r\n$4\r\nk\r\n1\r\n*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$0\r\n\r\n$2\r\n\x00\xff\r\n*2\r\n$3\r\nGET\r\n$12\r\n");
    // The last request is cut by the read's end: the parser keeps it, the look ahead stops.
    expect(ranges(chunk)).toEqual(["k\r\n1", ""]);
  });

  test("stops at an inline request, a malformed header or a full output", () => {
    expect(ranges(bytes("*2\r\n$3\r\nGET\r\n$1\r\na\r\nGET b\r\n*2\r\n$3\r\nGET\r\n$1\r\nc\r\n"))).toEqual(["a"]);
    expect(ranges(bytes("*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n:3\r\n"))).toEqual(["a"]);
    expect(ranges(bytes("*2x\r\n$3\r\nGET\r\n$1\r\na\r\n"))).toEqual([]);
    const many = bytes("*2\r\n$3\r\nGET\r\n$1\r\nx\r\n".repeat(5));
    expect(ranges(many, 3)).toEqual(["x", "x", "x"]);
  });
});
