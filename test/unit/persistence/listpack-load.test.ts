/**
 * Small aggregates loaded from their listpacks (Redis 7's form, and KVIS's): packed at once
 * from the blob's bytes where they stay packed, built the usual way where they do not (a
 * limit crossed, a field named twice), with the same content either way.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { loadRdb } from "../../../src/persistence/rdb-reader.ts";
import * as F from "../../../src/persistence/rdb-format.ts";
import { ByteSink, writeDbHeader, writeHeader } from "../../../src/persistence/rdb-writer.ts";
import { encodingLimits } from "../../../src/store/encoding.ts";
import { HashValue } from "../../../src/store/hash.ts";
import { Keyspace } from "../../../src/store/keyspace.ts";
import { ListpackWriter } from "../../../src/store/listpack.ts";

/** An RDB image holding one key `h` of `type` whose value is a listpack of `elements`. */
function image(type: number, elements: string[]): Uint8Array {
  const lp = new ListpackWriter();
  for (const e of elements) lp.string(e);
  const body = lp.finish();
  const out = new ByteSink(false);
  writeHeader(out);
  writeDbHeader(out, 0, 1, 0);
  out.u8(type);
  out.string("h");
  out.stringBytes(body, 0, body.length);
  out.u8(F.RDB_OPCODE_EOF);
  out.u64le(0n);
  return out.bytes();
}

function loadHash(elements: string[]): HashValue {
  const ks = new Keyspace(1);
  loadRdb(image(F.RDB_TYPE_HASH_LISTPACK, elements), ks);
  return ks.dbs[0]!.peek("h") as HashValue;
}

const saved = { ...encodingLimits };
afterEach(() => Object.assign(encodingLimits, saved));

describe("a listpack hash", () => {
  test("integers and strings, in the listpack's order", () => {
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i)).slice(0, 60);
    const hash = loadHash(["name", "ada", "age", "36", "big", "-9223372036854775808", "bin", all, "7", "-0"]);
    expect([...hash.entries()]).toEqual([["name", "ada"], ["age", "36"], ["big", "-9223372036854775808"], ["bin", all], ["7", "-0"]]);
    expect(hash.encoding).toBe("listpack");
    // Packed: its elements' bytes known without a walk.
    expect(hash.elementBytes).toBe(4 + 3 + 3 + 2 + 3 + 20 + 3 + 60 + 1 + 2);
  });

  test("a field named twice keeps one, as setting it twice would", () => {
    const hash = loadHash(["f", "1", "g", "2", "f", "3"]);
    expect([...hash.entries()]).toEqual([["f", "3"], ["g", "2"]]);
  });

  test("past the configured listpack limits it loads as a hash table, as Redis converts it", () => {
    encodingLimits.hashMaxListpackEntries = 2;
    expect(loadHash(["a", "1", "b", "2", "c", "3"]).encoding).toBe("hashtable");
    encodingLimits.hashMaxListpackEntries = 512;
    encodingLimits.hashMaxListpackValue = 3;
    const hash = loadHash(["a", "1", "b", "long"]);
    expect(hash.encoding).toBe("hashtable");
    expect(hash.get("b")).toBe("long");
  });

  test("a value over 255 bytes under a raised limit still loads, in full", () => {
    encodingLimits.hashMaxListpackValue = 1000;
    const long = "v".repeat(300);
    const hash = loadHash(["a", "1", "b", long]);
    expect(hash.encoding).toBe("listpack");
    expect(hash.get("b")).toBe(long);
  });
});
