import { describe, expect, test } from "bun:test";
import { ExpireIndex } from "../../../src/store/expire.ts";

/** A tiny seeded generator so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

describe("ExpireIndex", () => {
  test("pops keys in deadline order, matching a sorted model under random operations", () => {
    const rand = rng(42);
    const heap = new ExpireIndex();
    const model: Array<[number, string]> = [];
    for (let step = 0; step < 20_000; step++) {
      if (rand() < 0.6 || model.length === 0) {
        const deadline = Math.floor(rand() * 1_000_000);
        const key = `k${step}`;
        heap.add(key, deadline);
        model.push([deadline, key]);
      } else {
        model.sort((a, b) => a[0] - b[0]);
        const expected = model.shift()!;
        expect(heap.peekDeadline()).toBe(expected[0]);
        const key = heap.pop();
        // Ties may come out in either order; the deadline must match.
        expect(model.some(([d, k]) => k === key && d === expected[0]) || key === expected[1]).toBe(true);
        if (key !== expected[1]) {
          const i = model.findIndex(([, k]) => k === key);
          model.splice(i, 1, expected);
        }
      }
      expect(heap.size).toBe(model.length);
    }
  });

  test("rebuild keeps only live entries", () => {
    const heap = new ExpireIndex();
    for (let i = 0; i < 3000; i++) heap.add(`k${i % 10}`, i);
    expect(heap.needsCompaction(10)).toBe(true);
    const live = new Map(Array.from({ length: 10 }, (_, i) => [`k${i}`, 2990 + i] as [string, number]));
    heap.rebuild(live);
    expect(heap.size).toBe(10);
    expect(heap.peekDeadline()).toBe(2990);
  });
});
