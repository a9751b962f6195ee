/**
 * The large sorted set's order in chunks of bytes (src/store/score-order.ts) against a sorted
 * array, under seeded random inserts and removals that split and merge chunks: members of
 * every byte and of many lengths, scores tied, negative, infinite; ranks, pairs at ranks,
 * walks both ways and countBefore.
 */
import { describe, expect, test } from "bun:test";
import { ScoreOrder } from "../../../src/store/score-order.ts";
import { SortedSet } from "../../../src/store/sorted-set.ts";
import { seededRandom as rng } from "../../helpers/random.ts";
import { serverTestTimeout } from "../../helpers/servers.ts";

serverTestTimeout();

type Pair = [member: string, score: number];

/** Redis's order: score, then member bytes as memcmp. */
function compare(a: Pair, b: Pair): number {
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

describe("ScoreOrder", () => {
  test("inserts and removals that split and merge chunks keep ranks, pairs at ranks, walks and score counts right; re-scoring in place or moving", () => {
    const rand = rng(21);
    const scores = [-Infinity, Infinity, -1.5, 0, 1, 2, 2, 2, 1e300, -1e-300];
    const member = (): string => {
      const n = rand() < 0.05 ? 100 + Math.floor(rand() * 300) : Math.floor(rand() * 12);
      let s = "";
      // A small alphabet makes shared prefixes and ties on the score common.
      for (let i = 0; i < n; i++) s += String.fromCharCode(rand() < 0.7 ? 97 + Math.floor(rand() * 3) : Math.floor(rand() * 256));
      return s;
    };
    const order = new ScoreOrder();
    const model = new Map<string, number>();
    const sorted: Pair[] = [];
    /** Where `pair` is or would go in `sorted`. */
    const place = (pair: Pair): number => {
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compare(sorted[mid]!, pair) < 0) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const add = (m: string, s: number) => (model.set(m, s), sorted.splice(place([m, s]), 0, [m, s]));
    const drop = (m: string) => (sorted.splice(place([m, model.get(m)!]), 1), model.delete(m));
    const check = () => {
      expect(order.size).toBe(sorted.length);
      expect([...order.walk(0, order.size, false)].map((e) => [e.member, e.score])).toEqual(sorted);
      if (sorted.length > 0) expect([...order.walk(sorted.length - 1, sorted.length, true)].map((e) => [e.member, e.score])).toEqual([...sorted].reverse());
      for (let r = 0; r < sorted.length; r += 1 + Math.floor(rand() * 40)) {
        const [m, s] = sorted[r]!;
        expect(order.rank(s, m)).toBe(r);
        expect(order.at(r)).toEqual({ member: m, score: s });
        const from = [...order.walk(r, 5, rand() < 0.5)];
        expect(from.length).toBeGreaterThan(0);
      }
      const pivot = scores[Math.floor(rand() * scores.length)]!;
      expect(order.countScoresBefore((s) => s < pivot)).toBe(sorted.filter(([, s]) => s < pivot).length);
      expect(order.countScoresBefore(() => true)).toBe(sorted.length);
      expect(order.countScoresBefore(() => false)).toBe(0);
    };
    for (let round = 0; round < 6; round++) {
      // Grow to a few thousand, then shrink most of the way: chunks split, then merge and go.
      const target = round % 2 === 0 ? 3000 : 200;
      while (round % 2 === 0 ? model.size < target : model.size > target) {
        const m = member();
        const old = model.get(m);
        if (round % 2 === 0 || rand() < 0.2) {
          const s = scores[Math.floor(rand() * scores.length)]! + (rand() < 0.5 ? 0 : Math.floor(rand() * 10));
          // A member already there is re-scored (in place when it keeps its neighbours).
          if (old !== undefined) (order.rescore(old, s, m), drop(m));
          else order.insert(s, m);
          add(m, s);
        } else {
          const victim = old !== undefined ? m : sorted[Math.floor(rand() * sorted.length)]![0];
          order.remove(model.get(victim)!, victim);
          drop(victim);
        }
        if (rand() < 0.003) check();
      }
      check();
    }
    while (model.size > 0) {
      const [m, s] = sorted[0]!;
      expect(order.at(0)).toEqual({ member: m, score: s });
      order.remove(s, m);
      drop(m);
    }
    expect(order.size).toBe(0);
    expect([...order.walk(0, 1, false)]).toEqual([]);
  });

  test("members counted before a bound by their bytes, where all scores tie (lex ranges)", () => {
    const rand = rng(5);
    const order = new ScoreOrder();
    const members = new Set<string>();
    while (members.size < 2000) members.add(String.fromCharCode(...Array.from({ length: 1 + Math.floor(rand() * 4) }, () => Math.floor(rand() * 256))));
    for (const m of members) order.insert(0, m);
    const all = [...members];
    for (let k = 0; k < 300; k++) {
      const bound = k % 2 === 0 ? all[Math.floor(rand() * all.length)]! : String.fromCharCode(Math.floor(rand() * 256), Math.floor(rand() * 256));
      expect(order.countMembersBefore(bound, false)).toBe(all.filter((m) => m < bound).length);
      expect(order.countMembersBefore(bound, true)).toBe(all.filter((m) => m <= bound).length);
    }
  });

  test("pairs arriving in order at either end fill whole chunks and stay ranked", () => {
    const order = new ScoreOrder();
    for (let i = 0; i < 1000; i++) order.insert(i, `up${i}`);
    for (let i = 0; i < 1000; i++) order.insert(-1 - i, `down${i}`);
    expect(order.size).toBe(2000);
    // 2,000 pairs in full chunks of 128 (and two partly filled at the ends): 16 chunks' arrays.
    expect(order.heldBytes).toBeLessThan(17 * (8 * 128 + 4 * 129) + 2000 * 8 * 2);
    const all = [...order.walk(0, 2000, false)];
    expect(all.map((e) => e.score)).toEqual([...Array.from({ length: 1000 }, (_, i) => i - 1000), ...Array.from({ length: 1000 }, (_, i) => i)]);
    for (let r = 0; r < 2000; r += 37) expect(order.rank(all[r]!.score, all[r]!.member)).toBe(r);
    order.insert(0.5, "middle");
    expect(order.rank(0.5, "middle")).toBe(1001);
    expect(order.at(1001)).toEqual({ member: "middle", score: 0.5 });
  });

  test("the small form (pairs in one buffer) orders binary members and tied scores as the large form does", () => {
    const rand = rng(22);
    const small = new SortedSet();
    const large = new SortedSet();
    large.convertToSkiplist();
    for (let i = 0; i < 4000; i++) {
      let m = "";
      const n = Math.floor(rand() * 6) + (rand() < 0.1 ? 58 : 0);
      for (let k = 0; k < n; k++) m += String.fromCharCode(rand() < 0.5 ? 0x61 + Math.floor(rand() * 2) : Math.floor(rand() * 256));
      const score = [0, -0, 1, -1.5, Infinity, -Infinity][Math.floor(rand() * 6)]!;
      // The small form stores -0 as 0, as a listpack does (test/compat/sorted-set.test.ts
      // checks both forms against Redis); the large form is given what the small one keeps.
      if (rand() < 0.65) expect(small.set(m, score)).toBe(large.set(m, score === 0 ? 0 : score));
      else expect(small.delete(m)).toBe(large.delete(m));
      while (small.size > 100) {
        const last = small.at(small.size - 1).member;
        expect(small.delete(last)).toBe(large.delete(last));
      }
      expect(small.encoding).toBe("listpack");
      expect(small.score(m)).toBe(large.score(m));
      expect(small.rank(m)).toBe(large.rank(m));
    }
    expect([...small.entries()]).toEqual([...large.entries()]);
    for (let r = 0; r < small.size; r++) expect(small.at(r)).toEqual(large.at(r));
    expect([...small.walk(small.size - 1, small.size, true)]).toEqual([...large.walk(large.size - 1, large.size, true)]);
  });

  test("a large SortedSet ranks, ranges and pops as Redis's skip list does, with scores in a table", () => {
    const zset = new SortedSet();
    for (let i = 0; i < 10_000; i++) zset.set(`member:${String(i).padStart(6, "0")}`, i % 100);
    expect(zset.encoding).toBe("skiplist");
    expect(zset.size).toBe(10_000);
    expect(zset.score("member:000123")).toBe(23);
    expect(zset.rank("member:000000")).toBe(0);
    expect(zset.rank("member:000100")).toBe(1);
    expect(zset.at(9999)).toEqual({ member: "member:009999", score: 99 });
    expect(zset.scoreRange({ min: 10, max: 20, minex: false, maxex: true })).toEqual([1000, 2000]);
    // Re-scoring moves a member; -0 is the same score as 0, as in Redis.
    expect(zset.set("member:000000", -0)).toBe(false);
    expect(Object.is(zset.score("member:000000"), 0)).toBe(true);
    expect(zset.set("member:000000", 1000)).toBe(false);
    expect(zset.at(9999)).toEqual({ member: "member:000000", score: 1000 });
    expect(zset.delete("member:000000")).toBe(true);
    expect(zset.delete("member:000000")).toBe(false);
    expect(zset.size).toBe(9999);
    const copy = zset.clone();
    expect([...copy.entries()]).toEqual([...zset.entries()]);
    expect(copy.scanTarget!.size).toBe(9999);
  });
});
