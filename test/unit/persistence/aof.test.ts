/** The AOF's command reader and manifest format (persistence/aof.ts), without a server. */
import { describe, expect, test } from "bun:test";
import { AofError, formatManifest, parseManifest, readCommands } from "../../../src/persistence/aof.ts";

const enc = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));
const cmd = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`;

function read(text: string) {
  const seen: string[][] = [];
  const result = readCommands(enc(text), 0, (args) => seen.push(args.map((a) => Buffer.from(a).toString("latin1"))));
  return { seen, ...result };
}

describe("readCommands", () => {
  test("reads commands and skips # annotations", () => {
    const text = cmd("SELECT", "0") + "#TS:1700000000\r\n" + cmd("SET", "k", "v\r\nx");
    const r = read(text);
    expect(r.seen).toEqual([["SELECT", "0"], ["SET", "k", "v\r\nx"]]);
    expect(r).toMatchObject({ truncated: false, validUpTo: text.length, commands: 2 });
  });

  test("a file ending inside a command is truncated at the last whole one", () => {
    const whole = cmd("SET", "a", "1");
    for (const cut of ["*3\r\n$3\r\nSET", "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$5\r\nval", "*", "*3\r"]) {
      const r = read(whole + cut);
      expect(r).toMatchObject({ truncated: true, validUpTo: whole.length, commands: 1 });
    }
  });

  test("an unfinished MULTI is cut back to before it; DISCARD and EXEC close it", () => {
    const before = cmd("SET", "a", "1");
    const r = read(before + cmd("MULTI") + cmd("SET", "b", "2"));
    expect(r).toMatchObject({ truncated: true, validOutsideMulti: before.length });
    const closed = before + cmd("MULTI") + cmd("SET", "b", "2") + cmd("DISCARD");
    expect(read(closed)).toMatchObject({ truncated: false, validOutsideMulti: closed.length });
  });

  test("read in steps, it stops past each step's end only outside MULTI and resumes there, reading the same commands", () => {
    const text = cmd("SET", "a", "1") + cmd("MULTI") + cmd("SET", "b", "2") + cmd("SET", "c", "3") + cmd("EXEC") + cmd("SET", "d", "4");
    const data = enc(text);
    const whole: string[][] = [];
    readCommands(data, 0, (args) => whole.push(args.map((a) => Buffer.from(a).toString("latin1"))));
    for (const step of [1, 7, 30, text.length]) {
      const seen: string[][] = [];
      const stops: number[] = [];
      let result;
      for (let at = 0; ; at = result.stoppedAt) {
        result = readCommands(data, at, (args) => seen.push(args.map((a) => Buffer.from(a).toString("latin1"))), at + step);
        if (result.stoppedAt === undefined) break;
        stops.push(result.stoppedAt);
      }
      expect(seen).toEqual(whole);
      expect(result).toMatchObject({ truncated: false, validUpTo: text.length });
      // Never between MULTI and EXEC: a step ending inside the transaction stops after its EXEC.
      const multiAt = cmd("SET", "a", "1").length;
      const execEnd = text.length - cmd("SET", "d", "4").length;
      for (const at of stops) expect(at <= multiAt || at >= execEnd).toBe(true);
    }
  });

  test("malformed input throws with its offset", () => {
    const good = cmd("SET", "a", "1");
    expect(() => read(good + "SET a 1\r\n")).toThrow(new AofError(`Bad file format reading the append only file (expected '*' at offset ${good.length})`));
    expect(() => read("*1\r\n$-1\r\n")).toThrow(AofError);
    expect(() => read("*1\r\n$1\r\nab\r\n")).toThrow(AofError);
    expect(() => read("*0\r\n")).toThrow(AofError);
  });
});

describe("manifest", () => {
  test("round-trips Redis's format, quoted names included", () => {
    const text = 'file appendonly.aof.2.base.rdb seq 2 type b\nfile "my aof.1.incr.aof" seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\n';
    const m = parseManifest(text);
    expect(m.base).toEqual({ name: "appendonly.aof.2.base.rdb", seq: 2, type: "b" });
    expect(m.history[0]!.name).toBe("my aof.1.incr.aof");
    expect(formatManifest(m)).toBe(text);
  });

  test("refuses what Redis refuses", () => {
    expect(() => parseManifest("")).toThrow("Found an empty AOF manifest");
    expect(() => parseManifest("file a seq 1 type x\n")).toThrow("Invalid AOF manifest file format");
    expect(() => parseManifest("file a seq 1 type b\nfile b seq 2 type b\n")).toThrow("Found duplicate base file information");
    expect(() => parseManifest("file a seq 2 type i\nfile b seq 1 type i\n")).toThrow("Found a non-monotonic sequence number");
  });
});
