/**
 * The value types of src/store/ against naive models under seeded random operations:
 * the deque against an array, the hash against a Map, the set against a Set and the
 * sorted set (skip list with spans) against a sorted array.
 */
import { describe, expect, test } from "bun:test";
import { encodingLimits } from "../../../src/store/encoding.ts";
import { HashValue } from "../../../src/store/hash.ts";
import { ListValue } from "../../../src/store/list.ts";
import { SetValue } from "../../../src/store/set.ts";
import { SortedSet } from "../../../src/store/sorted-set.ts";
import { seededRandom as rng } from "../../helpers/random.ts";
import { serverTestTimeout } from "../../helpers/servers.ts";

serverTestTimeout();

describe("ListValue", () => {
  test("pushes, pops, inserts, trims and filters agree with an array", () => {
    const rand = rng(1);
    const list = new ListValue();
    const model: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const op = Math.floor(rand() * 8);
      const v = String(Math.floor(rand() * 50));
      if (op === 0) (list.pushHead(v), model.unshift(v));
      else if (op === 1) (list.pushTail(v), model.push(v));
      else if (op === 2) expect(list.popHead()).toBe(model.shift());
      else if (op === 3) expect(list.popTail()).toBe(model.pop());
      else if (op === 4 && model.length > 0) {
        const at = Math.floor(rand() * (model.length + 1));
        list.insert(at, v);
        model.splice(at, 0, v);
      } else if (op === 5 && model.length > 0) {
        const at = Math.floor(rand() * model.length);
        list.set(at, v);
        model[at] = v;
      } else if (op === 6 && rand() < 0.05) {
        const removed = list.filter((x) => x !== v);
        const kept = model.filter((x) => x !== v);
        expect(removed).toBe(model.length - kept.length);
        model.splice(0, model.length, ...kept);
      } else if (op === 7 && rand() < 0.05 && model.length > 2) {
        list.trim(1, model.length - 2);
        model.splice(0, 1);
        model.pop();
      }
      expect(list.length).toBe(model.length);
    }
    expect([...list]).toEqual(model);
  });
});

describe("ListValue across many chunks", () => {
  test("a long list grown at both ends indexes, sets and drains like an array", () => {
    const list = new ListValue();
    const model: string[] = [];
    for (let i = 0; i < 5000; i++) {
      if (i % 3 === 0) (list.pushHead(`h${i}`), model.unshift(`h${i}`));
      else (list.pushTail(`t${i}`), model.push(`t${i}`));
    }
    for (let i = 0; i < model.length; i += 97) expect(list.at(i)).toBe(model[i]!);
    list.set(1234, "x");
    model[1234] = "x";
    expect([...list]).toEqual(model);
    list.trim(300, 4000);
    model.splice(4001);
    model.splice(0, 300);
    expect([...list]).toEqual(model);
    while (model.length > 0) expect(model.length % 2 ? list.popHead() : list.popTail()).toBe(model.length % 2 ? model.shift() : model.pop());
    expect(list.length).toBe(0);
    list.pushTail("again");
    expect([...list]).toEqual(["again"]);
  });
});

/**
 * Random pushes and pops at both ends, inserts, sets, walks both ways (LRANGE's writeRange,
 * LREM -N's backward indexes), trims and filters on `list` and on an array; returns the array.
 */
function runListModel(list: ListValue, rand: () => number, element: () => string, steps: number, afterEach?: () => void): string[] {
  const model: string[] = [];
  for (let i = 0; i < steps; i++) {
    const op = Math.floor(rand() * 12);
    const v = element();
    if (op < 3) (list.pushTail(v), model.push(v));
    else if (op < 5) (list.pushHead(v), model.unshift(v));
    else if (op === 5) expect(list.popHead()).toBe(model.shift());
    else if (op === 6) expect(list.popTail()).toBe(model.pop());
    else if (op === 7 && model.length > 0) {
      const at = Math.floor(rand() * (model.length + 1));
      list.insert(at, v);
      model.splice(at, 0, v);
    } else if (op === 8 && model.length > 0) {
      const at = Math.floor(rand() * model.length);
      expect(list.at(at)).toBe(model[at]!);
      list.set(at, v);
      model[at] = v;
    } else if (op === 9 && model.length > 0) {
      const from = Math.floor(rand() * model.length);
      const to = Math.min(model.length - 1, from + Math.floor(rand() * 400));
      expect(list.range(from, to)).toEqual(model.slice(from, to + 1));
      const written: string[] = [];
      list.writeRange(from, to, { bulkFrom: (b, s, e) => written.push(Buffer.from(b.buffer, b.byteOffset + s, e - s).toString("latin1")), bulkString: (x) => written.push(x) });
      expect(written).toEqual(model.slice(from, to + 1));
      for (let k = to; k >= from; k -= 7) expect(list.at(k)).toBe(model[k]!);
    } else if (op === 10 && rand() < 0.02 && model.length > 4) {
      const from = Math.floor(rand() * 3);
      list.trim(from, model.length - 2);
      model.splice(model.length - 1);
      model.splice(0, from);
    } else if (op === 11 && rand() < 0.02) {
      const removed = list.filter((x) => x !== model[0]);
      const kept = model.filter((x) => x !== model[0]);
      expect(removed).toBe(model.length - kept.length);
      model.splice(0, model.length, ...kept);
    }
    expect(list.length).toBe(model.length);
    afterEach?.();
  }
  return model;
}

describe("ListValue in packed nodes", () => {
  test("elements of every length class and every byte survive pushes, indexes, inserts, sets and trims over many nodes", () => {
    const rand = rng(3);
    // Lengths around the 1-, 2- and 5-byte length fields, and past a node's 8 KB.
    const lengths = [0, 1, 127, 128, 200, 16383, 16384, 20000];
    const element = (): string => {
      const n = rand() < 0.9 ? Math.floor(rand() * 40) : lengths[Math.floor(rand() * lengths.length)]!;
      let s = "";
      for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(rand() * 256));
      return s;
    };
    const list = new ListValue();
    const model = runListModel(list, rand, element, 6000);
    expect([...list]).toEqual(model);
    expect([...list.clone()]).toEqual(model);
    list.trim(10, model.length - 10);
    expect([...list]).toEqual(model.slice(10, model.length - 9));
  });
});

describe("ListValue with list-compress-depth and list-max-listpack-size", () => {
  /** A list made under the given settings (a list keeps those it was made with). */
  function listWith(fill: number, depth: number): ListValue {
    const saved = { ...encodingLimits };
    try {
      encodingLimits.listMaxListpackSize = fill;
      encodingLimits.listCompressDepth = depth;
      return new ListValue();
    } finally {
      Object.assign(encodingLimits, saved);
    }
  }

  for (const [fill, depth] of [[-2, 1], [-2, 2], [-1, 3], [5, 1], [-5, 0], [-5, 1]] as const) {
    test(`fill ${fill}, depth ${depth}: every operation agrees with an array, and the nodes between the ends are compressed`, () => {
      const rand = rng(10 + depth - fill);
      // Compressible elements (repeated text) and incompressible ones (random bytes).
      const element = (): string => {
        if (rand() < 0.5) return `element:${Math.floor(rand() * 1000)}:`.repeat(1 + Math.floor(rand() * 8));
        let s = "";
        const n = rand() < 0.98 ? Math.floor(rand() * 60) : 9000;
        for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(rand() * 256));
        return s;
      };
      const list = listWith(fill, depth);
      let compressedSeen = false;
      const model = runListModel(list, rand, element, 8000, () => {
        if (list.compressedSavings > 0) compressedSeen = true;
      });
      expect([...list]).toEqual(model);
      const copy = list.clone();
      expect([...copy]).toEqual(model);
      expect(copy.layout).toEqual(list.layout);
      expect(list.layout.compressed).toBe(depth > 0);
      expect(compressedSeen).toBe(depth > 0);
      // Node sizes: a count fill holds at most that many per node; a byte fill its size
      // (an element bigger than the limit alone).
      const { nodes, rawBytes } = list.layout;
      if (fill > 0) expect(nodes).toBeGreaterThanOrEqual(Math.ceil(model.length / (2 * fill)));
      else expect(rawBytes / nodes).toBeLessThanOrEqual(2 * (4096 << (-fill - 1)));
    });
  }

  test("a long compressible list takes a fraction of its bytes; pops from the ends reopen the nodes as they arrive", () => {
    const list = listWith(-2, 1);
    const model: string[] = [];
    for (let i = 0; i < 20000; i++) (list.pushTail(`value-${i % 100}`), model.push(`value-${i % 100}`));
    const raw = list.layout.rawBytes;
    expect(list.compressedSavings).toBeGreaterThan(raw / 2);
    while (model.length > 0) {
      expect(list.popHead()).toBe(model.shift()!);
      expect(list.popTail()).toBe(model.pop()!);
    }
    expect(list.length).toBe(0);
    expect(list.compressedSavings).toBe(0);
  });
});

describe("HashValue", () => {
  test("set, get and delete agree with a Map, through the move from flat array to Map", () => {
    const rand = rng(2);
    const hash = new HashValue();
    const model = new Map<string, string>();
    for (let i = 0; i < 20000; i++) {
      const f = `f${Math.floor(rand() * 80)}`;
      if (rand() < 0.6) {
        const v = String(i);
        expect(hash.set(f, v)).toBe(!model.has(f));
        model.set(f, v);
      } else {
        expect(hash.delete(f)).toBe(model.delete(f));
      }
      expect(hash.get(f)).toBe(model.get(f));
      expect(hash.size).toBe(model.size);
    }
    expect([...hash.entries()]).toEqual([...model.entries()]);
  });
});

describe("HashValue packing", () => {
  test("binary fields and values of every length up to 64 survive updates, deletes and the move to a Map", () => {
    const hash = new HashValue();
    const model = new Map<string, string>();
    const bytes = (len: number, seed: number) => String.fromCharCode(...Array.from({ length: len }, (_, i) => (i * 31 + seed) & 0xff));
    for (let i = 0; i < 65; i++) {
      const f = bytes(i, i);
      hash.set(f, bytes(64 - i, i + 7));
      model.set(f, bytes(64 - i, i + 7));
    }
    for (let i = 0; i < 65; i += 3) {
      const f = bytes(i, i);
      hash.set(f, bytes(i, 1));
      model.set(f, bytes(i, 1));
    }
    for (let i = 1; i < 65; i += 5) {
      expect(hash.delete(bytes(i, i))).toBe(true);
      model.delete(bytes(i, i));
    }
    expect(hash.encoding).toBe("listpack");
    expect([...hash.entries()]).toEqual([...model.entries()]);
    for (let i = 0; i < 100; i++) {
      hash.set(`extra${i}`, "v");
      model.set(`extra${i}`, "v");
    }
    expect(hash.size).toBe(model.size);
    expect([...hash.entries()]).toEqual([...model.entries()]);
    hash.set("long", "x".repeat(65));
    expect(hash.encoding).toBe("hashtable");
    expect(hash.get("long")).toBe("x".repeat(65));
    expect(hash.get(bytes(0, 0))).toBe(model.get(bytes(0, 0)));
  });
});

describe("SetValue", () => {
  test("add, delete, pop and membership agree with a Set", () => {
    const rand = rng(3);
    const set = new SetValue(true);
    const model = new Set<string>();
    for (let i = 0; i < 20000; i++) {
      const m = String(Math.floor(rand() * 100));
      const op = rand();
      if (op < 0.5) expect(set.add(m, true)).toBe(!model.has(m)), model.add(m);
      else if (op < 0.9) expect(set.delete(m)).toBe(model.delete(m));
      else if (model.size > 0) {
        const popped = set.pop();
        expect(model.delete(popped)).toBe(true);
      }
      expect(set.has(m)).toBe(model.has(m));
      expect(set.size).toBe(model.size);
    }
    expect(set.toArray()).toEqual([...model].sort((a, b) => Number(a) - Number(b)));
  });
});

describe("SortedSet", () => {
  test("the small form and the skip list agree with each other and with a sorted array", () => {
    const rand = rng(5);
    const small = new SortedSet();
    const large = new SortedSet();
    large.convertToSkiplist();
    for (let i = 0; i < 3000; i++) {
      const m = `m${Math.floor(rand() * 100)}`;
      const score = Math.floor(rand() * 10);
      if (rand() < 0.6) expect(small.set(m, score)).toBe(large.set(m, score));
      else expect(small.delete(m)).toBe(large.delete(m));
      // Stay under the listpack limit so that `small` keeps its compact form.
      while (small.size > 120) {
        const first = small.at(0).member;
        small.delete(first);
        large.delete(first);
      }
      expect(small.encoding).toBe("listpack");
      expect(small.rank(m)).toBe(large.rank(m));
      expect(small.scoreRange({ min: 3, max: 6, minex: false, maxex: true })).toEqual(large.scoreRange({ min: 3, max: 6, minex: false, maxex: true }));
    }
    expect([...small.entries()].map((e) => [e.member, e.score])).toEqual([...large.entries()].map((e) => [e.member, e.score]));
  });

  test("ranks, ranges and order agree with a sorted array", () => {
    const rand = rng(4);
    const zset = new SortedSet();
    const model = new Map<string, number>();
    const sorted = () => [...model].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (let i = 0; i < 5000; i++) {
      const m = `m${Math.floor(rand() * 300)}`;
      if (rand() < 0.7) {
        const score = Math.floor(rand() * 50);
        expect(zset.set(m, score)).toBe(!model.has(m));
        model.set(m, score);
      } else {
        expect(zset.delete(m)).toBe(model.delete(m));
      }
      if (i % 100 === 0) {
        const order = sorted();
        expect([...zset.walk(0, zset.size)].map((n) => n.member)).toEqual(order.map(([k]) => k));
        for (let r = 0; r < order.length; r += 7) {
          expect(zset.at(r).member).toBe(order[r]![0]);
          expect(zset.rank(order[r]![0])).toBe(r);
        }
        const [start, end] = zset.scoreRange({ min: 10, max: 20, minex: true, maxex: false });
        expect(end - start).toBe(order.filter(([, s]) => s > 10 && s <= 20).length);
      }
    }
  });
});
