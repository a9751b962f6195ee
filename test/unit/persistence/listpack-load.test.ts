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
import { Keyspace, type StoredValue } from "../../../src/store/keyspace.ts";
import { SetValue } from "../../../src/store/set.ts";
import { SortedSet } from "../../../src/store/sorted-set.ts";
import { ListpackWriter } from "../../../src/store/listpack.ts";
import { ListValue } from "../../../src/store/list.ts";

/** An RDB image holding one key `h` of `type` whose value is a listpack of `elements` (or the blob given). */
function image(type: number, elements: string[] | Uint8Array): Uint8Array {
  return imageOf(type, (out) => {
    const body = elements instanceof Uint8Array ? elements : listpack(elements);
    out.stringBytes(body, 0, body.length);
  });
}

function listpack(elements: string[]): Uint8Array {
  const lp = new ListpackWriter();
  for (const e of elements) lp.string(e);
  return lp.finish();
}

function imageOf(type: number, value: (out: ByteSink) => void, expireAt?: number): Uint8Array {
  const out = new ByteSink(false);
  writeHeader(out);
  writeDbHeader(out, 0, 1, 0);
  if (expireAt !== undefined) {
    out.u8(F.RDB_OPCODE_EXPIRETIME_MS);
    out.u64le(BigInt(expireAt));
  }
  out.u8(type);
  out.string("h");
  value(out);
  out.u8(F.RDB_OPCODE_EOF);
  out.u64le(0n);
  return out.bytes();
}

function load(type: number, elements: string[] | Uint8Array): StoredValue {
  return loadImage(image(type, elements));
}

function loadImage(file: Uint8Array): StoredValue {
  const ks = new Keyspace(1);
  loadRdb(file, ks);
  return ks.dbs[0]!.peek("h")!;
}

const loadHash = (elements: string[]) => load(F.RDB_TYPE_HASH_LISTPACK, elements) as HashValue;

/** An intset blob of `width` bytes an integer. */
function intsetBlob(width: number, values: number[]): Uint8Array {
  const b = Buffer.alloc(8 + width * values.length);
  b.writeUInt32LE(width, 0);
  b.writeUInt32LE(values.length, 4);
  values.forEach((v, i) => (width === 2 ? b.writeInt16LE(v, 8 + 2 * i) : width === 4 ? b.writeInt32LE(v, 8 + 4 * i) : b.writeBigInt64LE(BigInt(v), 8 + 8 * i)));
  return b;
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

  test("with a TTL, stored the usual way, the same hash with its deadline", () => {
    const ks = new Keyspace(1);
    const deadline = Date.now() + 3_600_000;
    loadRdb(imageOf(F.RDB_TYPE_HASH_LISTPACK, (out) => {
      const body = listpack(["f", "1", "g", "two"]);
      out.stringBytes(body, 0, body.length);
    }, deadline), ks);
    const db = ks.dbs[0]!;
    expect([...(db.peek("h") as HashValue).entries()]).toEqual([["f", "1"], ["g", "two"]]);
    expect(db.getExpire("h")).toBe(deadline);
  });

  test("a field named twice keeps one, as setting it twice would", () => {
    const hash = loadHash(["f", "1", "g", "2", "f", "3"]);
    expect([...hash.entries()]).toEqual([["f", "3"], ["g", "2"]]);
    // Among more fields than are compared pair by pair.
    const fields = Array.from({ length: 20 }, (_, i) => [`field${i}`, String(i)]);
    const many = loadHash([...fields.flat(), "field3", "last"]);
    expect(many.size).toBe(20);
    expect(many.get("field3")).toBe("last");
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

describe("an intset", () => {
  test("keeps its width, as Redis keeps an intset's encoding after its wide members went", () => {
    const set = load(F.RDB_TYPE_SET_INTSET, intsetBlob(8, [-3, 1, 5])) as SetValue;
    expect(set.encoding).toBe("intset");
    expect(set.intsetWidth).toBe(8);
    expect(set.toArray()).toEqual(["-3", "1", "5"]);
  });

  test("members out of order or repeated load as a set of the distinct ones", () => {
    const set = load(F.RDB_TYPE_SET_INTSET, intsetBlob(2, [5, 1, 5])) as SetValue;
    expect(set.toArray()).toEqual(["1", "5"]);
  });

  test("past set-max-intset-entries it loads as a hash table, as Redis converts it; past 32 members into a table of its own", () => {
    encodingLimits.setMaxIntsetEntries = 40;
    const values = Array.from({ length: 50 }, (_, i) => i * 3);
    const set = load(F.RDB_TYPE_SET_INTSET, intsetBlob(2, values)) as SetValue;
    expect(set.encoding).toBe("hashtable");
    expect(set.size).toBe(50);
    expect(set.has("147")).toBe(true);
  });
});

describe("a listpack sorted set", () => {
  const zset = (elements: string[]) => load(F.RDB_TYPE_ZSET_LISTPACK, elements) as SortedSet;
  const pairs = (z: SortedSet) => [...z.entries()].map((e) => [e.member, e.score]);

  test("pairs in order, integer members and scores, infinities", () => {
    const z = zset(["a", "-inf", "7", "-3", "b", "0.5", "12", "12", "c", "inf"]);
    expect(pairs(z)).toEqual([["a", -Infinity], ["7", -3], ["b", 0.5], ["12", 12], ["c", Infinity]]);
    expect(z.encoding).toBe("listpack");
  });

  test("pairs out of order are put in order; a member twice keeps its last score", () => {
    expect(pairs(zset(["b", "2", "a", "1"]))).toEqual([["a", 1], ["b", 2]]);
    expect(pairs(zset(["a", "1", "b", "2", "a", "3"]))).toEqual([["b", 2], ["a", 3]]);
    // Among more members than are compared pair by pair, in order of score.
    const members = Array.from({ length: 20 }, (_, i) => [`m${i}`, String(i)]);
    const many = zset([...members.flat(), "m3", "20"]);
    expect(many.size).toBe(20);
    expect(many.score("m3")).toBe(20);
  });

  test("a NaN score fails the load, as before", () => {
    expect(() => zset(["a", "nan"])).toThrow(/invalid sorted set score/);
  });

  test("past zset-max-listpack-entries it loads as a skiplist, as Redis converts it", () => {
    encodingLimits.zsetMaxListpackEntries = 1;
    expect(zset(["a", "1", "b", "2"]).encoding).toBe("skiplist");
  });
});

describe("a quicklist", () => {
  /** A quicklist of listpack nodes, as Redis 7 saves a list. */
  const list = (nodes: string[][]) =>
    loadImage(
      imageOf(F.RDB_TYPE_LIST_QUICKLIST_2, (out) => {
        out.length(nodes.length);
        for (const node of nodes) {
          out.length(F.QUICKLIST_NODE_CONTAINER_PACKED);
          const body = listpack(node);
          out.stringBytes(body, 0, body.length);
        }
      }),
    ) as ListValue;
  const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");

  test("of one node: every element, integers as their text, in one node as pushes make it", () => {
    const elements = ["a", "-12", "0", all, "9223372036854775807", "", "x".repeat(200)];
    const l = list([elements]);
    expect([...l]).toEqual(elements);
    expect(l.layout).toMatchObject({ nodes: 1, fill: -2, compressed: false });
    const pushed = ListValue.from(elements);
    expect(l.layout).toEqual(pushed.layout);
    l.pushTail("after");
    expect(l.at(7)).toBe("after");
  });

  test("of one node that pushes would split (a smaller fill here): split as pushes split it", () => {
    encodingLimits.listMaxListpackSize = 3;
    const elements = ["1", "2", "3", "4", "5", "6", "7"];
    const l = list([elements]);
    expect([...l]).toEqual(elements);
    expect(l.layout).toEqual(ListValue.from(elements).layout);
    expect(l.layout.nodes).toBe(3);
  });

  test("of several nodes, one of them empty (skipped, as Redis skips it)", () => {
    const l = list([["a", "b"], [], ["c"]]);
    expect([...l]).toEqual(["a", "b", "c"]);
  });
});
