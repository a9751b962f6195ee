import { describe, expect, test } from "bun:test";
import { HashValue } from "../../../src/store/hash.ts";
import { CellHeap, IndexStack } from "../../../src/store/cells.ts";
import { KeyTable } from "../../../src/store/table.ts";
import { stringSlot } from "../../../src/store/slots.ts";
import { ByteSlice, type StoredValue, toStringValue } from "../../../src/store/value.ts";
import { serverTestTimeout } from "../../helpers/servers.ts";

serverTestTimeout();

/** A tiny seeded generator so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

/** A byte string of `n` random bytes, 0-255 each. */
function bytes(rand: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(rand() * 256));
  return s;
}

/** What a model of a KeyTable holds for a key. */
type Want = { value: StoredValue; expiry: number; access: number; raw: boolean };

/** Every key of the model in the table with its value, deadline, access word and raw flag, and no mark left. */
function checkModel(table: KeyTable, model: Map<string, Want>): void {
  expect(table.size).toBe(model.size);
  for (const [key, want] of model) {
    const slot = table.find(key);
    expect(slot).toBeGreaterThanOrEqual(0);
    expect([key, table.valueAt(slot), table.expiryAt(slot), table.accessAt(slot), table.isRaw(slot), table.isMarked(slot, 1)])
      .toEqual([key, want.value, want.expiry, want.access, want.raw, false]);
  }
}

/**
 * One random change made to the table and its model alike: a new key (a share `insert` of
 * the changes), a delete (a share `remove`), or to a known key, evenly, a new value, a
 * deadline set or removed, an access word, the raw flag, or a snapshot's mark set and swept.
 */
function randomChange(table: KeyTable, model: Map<string, Want>, names: string[], rand: () => number, step: number, insert: number, remove: number): void {
  const r = rand();
  if (r < insert || names.length === 0) {
    const key = `new:${step}`;
    const slot = table.set(key, `v${step}`);
    table.setAccessAt(slot, 7);
    model.set(key, { value: `v${step}`, expiry: NaN, access: 7, raw: false });
    names.push(key);
    return;
  }
  const key = names[Math.floor(rand() * names.length)]!;
  const want = model.get(key);
  if (want === undefined) return;
  const slot = table.find(key);
  const other = (r - insert - remove) / (1 - insert - remove);
  if (r < insert + remove) {
    table.delete(key);
    model.delete(key);
  } else if (other < 0.2) {
    const value = rand() < 0.5 ? Math.floor(rand() * 1000) : bytes(rand, Math.floor(rand() * 60));
    table.set(key, value);
    want.value = value;
    want.raw = false;
  } else if (other < 0.4) {
    want.expiry = rand() < 0.5 ? NaN : 3e12 + step;
    table.setExpiryAt(slot, want.expiry);
  } else if (other < 0.6) {
    want.access = step;
    table.setAccessAt(slot, step);
  } else if (other < 0.8) {
    table.setRaw(slot);
    want.raw = true;
  } else {
    table.mark(slot, 1);
    table.clearMarks(1, slot, 1);
  }
}

describe("KeyTable", () => {
  test("holds what a Map holds under random sets, replacements and deletes, every byte and size", () => {
    const rand = rng(7);
    const table = new KeyTable();
    const model = new Map<string, StoredValue>();
    const keys: string[] = [];
    for (let step = 0; step < 30_000; step++) {
      const r = rand();
      const key = keys.length > 0 && r < 0.5 ? keys[Math.floor(rand() * keys.length)]! : bytes(rand, Math.floor(rand() * 40));
      if (r < 0.75) {
        // Strings short and long (past the 4 KB cells), numbers, and an aggregate.
        const kind = rand();
        const value: StoredValue =
          kind < 0.5 ? bytes(rand, Math.floor(rand() * 100))
          : kind < 0.6 ? bytes(rand, 4000 + Math.floor(rand() * 9000))
          : kind < 0.9 ? Math.floor(rand() * 2 ** 53) * (rand() < 0.5 ? -1 : 1)
          : new HashValue();
        // A string may come as the bytes of a request, copied in without a string made of it.
        if (typeof value === "string" && rand() < 0.3) {
          const b = Buffer.from(`<${value}>`, "latin1");
          table.set(key, new ByteSlice().of(b, 1, 1 + value.length));
        } else table.set(key, value);
        if (!model.has(key)) keys.push(key);
        model.set(key, value);
      } else {
        expect(table.delete(key)).toBe(model.delete(key));
      }
      expect(table.size).toBe(model.size);
    }
    for (const [key, value] of model) expect(table.get(key)).toBe(value);
    expect(new Map(table.entries())).toEqual(model);
    expect(table.get("absent")).toBeUndefined();
    // A key is found from its bytes as from its string.
    for (const key of keys.slice(0, 200)) {
      const b = Buffer.from(`xx${key}yy`, "latin1");
      expect(table.findBytes(b, 2, 2 + key.length)).toBe(table.find(key));
    }
  });

  test("the key findBytes remembers is forgotten when its slot may hold another: delete, growth, churn, clear", () => {
    const table = new KeyTable();
    const at = (key: string) => {
      const b = Buffer.from(`<${key}>`, "latin1");
      return table.findBytes(b, 1, 1 + key.length);
    };
    table.add("a", "v");
    expect(at("a")).toBe(table.find("a"));
    table.delete("a");
    expect(at("a")).toBe(-1);
    // A key remembered across other keys' changes, which may move it: growth rebuilds the
    // table at each doubling (a key moves when its hash has the new bit) ...
    table.add("anchor", "v");
    for (let i = 0; i < 30_000; i++) {
      expect(at("anchor")).toBe(table.find("anchor"));
      table.add(`k${i}`, "v");
      expect(at("anchor")).toBe(table.find("anchor"));
    }
    // ... and churn at 5/8 of a big table empties tombstones in place, moving keys back.
    const rand = rng(11);
    const churn: string[] = [];
    for (let i = 0; i < 10_900; i++) table.add(churn[i] = `c${i}`, "v");
    const generation = table.generation;
    for (let step = 0; step < 30_000; step++) {
      const anchor = `k${Math.floor(rand() * 30_000)}`;
      expect(at(anchor)).toBe(table.find(anchor));
      const j = Math.floor(rand() * churn.length);
      table.delete(churn[j]!);
      table.add(churn[j] = `c${10_900 + step}`, "v");
      expect(at(anchor)).toBe(table.find(anchor));
    }
    expect(table.generation).toBeGreaterThan(generation);
    table.add("b", "v");
    expect(at("b")).toBeGreaterThanOrEqual(0);
    table.clear();
    expect(at("b")).toBe(-1);
  });

  test("eviction's sample is a run of distinct occupied slots, as many as asked while keys last, reaching nearly every key", () => {
    const table = new KeyTable();
    const out = new Int32Array(8);
    expect(table.sampleRun(5, out)).toBe(0);
    for (let i = 0; i < 3; i++) table.set(`k${i}`, "v");
    // Fewer keys than asked: all of them, wherever the run starts.
    for (let round = 0; round < 20; round++) {
      expect(table.sampleRun(5, out)).toBe(3);
      expect(new Set([...out.subarray(0, 3)].map((slot) => table.keyAt(slot)))).toEqual(new Set(["k0", "k1", "k2"]));
    }
    for (let i = 3; i < 10_000; i++) table.set(`k${i}`, "v");
    for (let i = 0; i < 10_000; i += 2) table.delete(`k${i}`);
    const seen = new Set<string>();
    for (let round = 0; round < 20_000; round++) {
      expect(table.sampleRun(5, out)).toBe(5);
      const keys = [...out.subarray(0, 5)].map((slot) => table.keyAt(slot));
      expect(new Set(keys).size).toBe(5);
      for (const key of keys) seen.add(key);
    }
    // A key after a crowded run is reached from fewer starts (so in Redis's dictGetSomeKeys
    // too); 100,000 samples of 5,000 keys in 16,384 slots miss a few at most.
    expect(seen.size).toBeGreaterThan(table.size * 0.9);
  });

  test("a request's bytes are stored as the number an integer is, as toStringValue decides", () => {
    for (const text of ["0", "-1", "12345678901234", "9007199254740991", "9007199254740992", "-0", "01", "1a", "", "-", " 1", "12345678901234567"]) {
      const b = Buffer.from(text, "latin1");
      const expected = toStringValue(text);
      expect(new ByteSlice().of(b, 0, b.length).integer()).toBe(typeof expected === "number" ? expected : undefined);
    }
  });

  test("the empty key is a key like any other, first or after others", () => {
    const first = new KeyTable();
    first.add("", "v");
    expect(first.get("")).toBe("v");
    expect([...first.keys()]).toEqual([""]);
    const later = new KeyTable();
    later.set("a", 1);
    later.set("", 2);
    expect(later.get("")).toBe(2);
    expect(later.delete("")).toBe(true);
    expect(later.has("")).toBe(false);
  });

  test("shrinks when emptied and grows again; clear empties it", () => {
    const table = new KeyTable();
    for (let i = 0; i < 10_000; i++) table.set(`k${i}`, `v${i}`);
    const grown = table.capacity;
    expect(grown).toBeGreaterThanOrEqual(16_384);
    for (let i = 0; i < 9_990; i++) table.delete(`k${i}`);
    expect(table.capacity).toBeLessThan(grown / 8);
    expect([...table.keys()].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `k${9_990 + i}`).sort());
    table.clear();
    expect(table.size).toBe(0);
    expect([...table.keys()]).toEqual([]);
  });

  test("churn at a steady size drops tombstones without growing; under maxmemory it fills to 7/8 first", () => {
    // 600 live keys in 1,024 slots (past 5/8 would grow); deleting one and adding another
    // fills the probe sequences with tombstones, which are dropped in place.
    const churn = (table: KeyTable, live: number) => {
      for (let i = 0; i < live; i++) table.set(`k${i}`, "v");
      const capacity = table.capacity;
      for (let i = live; i < live + 20_000; i++) {
        table.delete(`k${i - live}`);
        table.set(`k${i}`, "v");
      }
      expect(table.size).toBe(live);
      for (let i = 20_000; i < live + 20_000; i++) expect(table.get(`k${i}`)).toBe("v");
      return capacity;
    };
    const free = new KeyTable();
    expect(churn(free, 600)).toBe(1_024);
    expect(free.capacity).toBe(1_024);
    expect(free.slotBytes).toBe(1_024 * 16);

    // 700 live keys (over 5/8): a table that may grow doubles; one that may not keeps its
    // slots until live keys leave less than 3/16 of them free.
    expect(churn(new KeyTable(), 700)).toBe(1_024);
    const grows = new KeyTable();
    churn(grows, 700);
    expect(grows.capacity).toBe(2_048);
    const held = new KeyTable();
    const asked: number[] = [];
    held.mayGrow = (bytes) => {
      asked.push(bytes);
      return false;
    };
    churn(held, 700);
    expect(held.capacity).toBe(1_024);
    expect(asked.at(-1)).toBe(1_024 * 16);
    for (let i = 20_700; held.size < 832; i++) held.set(`k${i}`, "v");
    expect(held.capacity).toBe(1_024);
    held.set("one more", "v");
    expect(held.capacity).toBe(2_048);
  });

  test("a deleted key before an empty slot leaves no tombstone, so churn rebuilds the table less often", () => {
    const table = new KeyTable();
    for (let i = 0; i < 200; i++) table.set(`k${i}`, "v");
    const capacity = table.capacity;
    const generation = table.generation;
    for (let i = 200; i < 50_000; i++) {
      table.delete(`k${i - 200}`);
      table.set(`k${i}`, "v");
    }
    // 50 rebuilds; 176 when every delete left a tombstone.
    expect(table.capacity).toBe(capacity);
    expect(table.generation - generation).toBeLessThan(100);
    for (let i = 49_800; i < 50_000; i++) expect(table.get(`k${i}`)).toBe("v");
    expect(table.size).toBe(200);
  });

  /**
   * 36,000 live keys with deadlines in 65,536 slots (under 9/16, so no growth is
   * prepared, and the tombstones churn leaves are cleared at the same size), then 200,000
   * replacements: returns the table, the rebuilds and the most slot bytes meanwhile, and
   * the keys a SCAN begun before the churn returned.
   */
  function bigChurn(snapshotInProgress: boolean) {
    const table = new KeyTable();
    const live = 36_000;
    for (let i = 0; i < live; i++) table.setExpiryAt(table.set(`k${i}`, "v"), 1e12 + i);
    table.add("stays", "v");
    table.indexSlots();
    const rebuildsBefore = table.rebuilds;
    // A snapshot's mark bit: what Database.markNewKeys sets while one is in progress.
    if (snapshotInProgress) table.newMarks = 1;
    let mostBytes = 0;
    let cursor = 0;
    const scanned: string[] = [];
    for (let i = live; i < live + 200_000; i++) {
      mostBytes = Math.max(mostBytes, table.slotBytes);
      table.delete(`k${i - live}`);
      table.setExpiryAt(table.set(`k${i}`, "v"), 1e12 + i);
      if (i % 1_000 === 0 && (cursor !== 0 || scanned.length === 0)) cursor = table.scan(cursor, 5, scanned);
    }
    while (cursor !== 0) cursor = table.scan(cursor, 100, scanned);
    let found = 0;
    for (let i = 0; i < live + 200_000; i++) {
      const slot = table.find(`k${i}`);
      if (slot < 0) continue;
      found++;
      expect(table.expiryAt(slot)).toBe(1e12 + i);
      expect(table.slotIndex!.keysOf(stringSlot(`k${i}`), Infinity)).toContain(slot);
    }
    expect(found).toBe(live);
    expect(table.size).toBe(live + 1);
    return { table, mostBytes, scanned, rebuilds: table.rebuilds - rebuildsBefore };
  }

  test("churn at a steady size in a big table empties its tombstones in place, with no rebuild and no spare slots", () => {
    const { table, mostBytes, scanned, rebuilds } = bigChurn(false);
    expect(table.capacity).toBe(1 << 16);
    expect(rebuilds).toBe(0);
    // Slots, deadlines and the cluster's slot index: 34 bytes a slot, and never more.
    expect(mostBytes).toBe(table.capacity * 34);
    expect(table.slotBytes).toBe(table.capacity * 34);
    // Keys moved back along their runs: a SCAN begun before the churn still saw the one
    // that stayed throughout.
    expect(scanned).toContain("stays");
  });

  test("a big table churning at a steady size between 9/16 and 5/8 full prepares no growth", () => {
    // 39,000 live keys in 65,536 slots: a growth would come past 40,960.
    const table = new KeyTable();
    for (let i = 0; i < 39_000; i++) table.set(`k${i}`, "v");
    const fill = table.slotBytes;
    expect(fill).toBeGreaterThan(table.capacity * 16);
    for (let i = 39_000; i < 100_000; i++) {
      table.delete(`k${i - 39_000}`);
      table.set(`k${i}`, "v");
    }
    // The spare is as the fill left it, then let go once inserts pause.
    expect(table.slotBytes).toBe(fill);
    table.releaseIdleSpare();
    table.releaseIdleSpare();
    expect(table.slotBytes).toBe(table.capacity * 16);
    // Adding before deleting: live keys pass their last high once, by one (a step's 32 slots).
    for (let i = 100_000; i < 150_000; i++) {
      table.set(`k${i}`, "v");
      table.delete(`k${i - 39_000}`);
    }
    expect(table.slotBytes).toBe(table.capacity * 16 + 32 * 16);
    // Live keys rising again: the growth's slots are made, all of them before it comes.
    for (let i = 0; table.slotBytes < table.capacity * 48; i++) table.set(`more${i}`, "v");
    expect(table.capacity).toBe(1 << 16);
    while (table.capacity === 1 << 16) table.set(`more${table.size}`, "v");
    expect(table.slotBytes).toBe((1 << 17) * 16);
    // The first deadline adds 8 bytes a slot; a cleared table is back to its 8 slots.
    table.setExpiryAt(table.find("more0"), 1e12);
    expect(table.slotBytes).toBe((1 << 17) * 24);
    table.clear();
    expect(table.slotBytes).toBe(8 * 16);
  });

  test("keys moved by compaction drop the marks of finished snapshots, as a rebuild does", () => {
    // A finished snapshot's marks are swept off the slots a slice at a time; a key moved
    // back behind the sweep keeping its mark would look already written to a later
    // snapshot reusing the bit. Moved keys lose them, keys left in place keep them.
    const table = new KeyTable();
    const live = 38_000;
    const before = new Map<string, number>();
    for (let i = 0; i < live; i++) table.set(`k${i}`, "v");
    for (let i = 0; i < live; i++) {
      const slot = table.find(`k${i}`);
      table.mark(slot, 1 | 2);
      before.set(`k${i}`, slot);
    }
    // Bit 1's snapshot has finished (its marks are stale); bit 2 stands for any other
    // mark, which moves with its key.
    table.staleMarks = 1;
    for (let i = live; i < live + 20_000; i++) {
      table.delete(`k${i - live}`);
      table.set(`k${i}`, "v");
    }
    let moved = 0;
    for (let i = 20_000; i < live; i++) {
      const slot = table.find(`k${i}`);
      if (slot !== before.get(`k${i}`)) moved++;
      expect(table.isMarked(slot, 1)).toBe(slot === before.get(`k${i}`));
      expect(table.isMarked(slot, 2)).toBe(true);
    }
    expect(moved).toBeGreaterThan(1_000);
  });

  test("while a snapshot walks the slots, churn in a big table rebuilds it at once into slots prepared ahead", () => {
    const { table, mostBytes, scanned, rebuilds } = bigChurn(true);
    expect(table.capacity).toBe(1 << 16);
    expect(rebuilds).toBeGreaterThan(0);
    // The spare's slots and deadlines were made before the rebuild used them.
    expect(mostBytes).toBe(table.capacity * (34 + 24));
    expect(scanned).toContain("stays");
  });

  test("SCAN returns every key present throughout, while others come and go and the table resizes", () => {
    const rand = rng(11);
    const table = new KeyTable();
    for (let i = 0; i < 2_000; i++) table.set(`stay:${i}`, "x");
    const seen = new Set<string>();
    let cursor = 0;
    let calls = 0;
    let churn = 0;
    do {
      const out: string[] = [];
      cursor = table.scan(cursor, 10, out);
      for (const k of out) seen.add(k);
      // Between calls: many keys come (the table doubles) and go (it shrinks, tombstones are cleared).
      for (let i = 0; i < 50; i++) table.set(`churn:${churn++}`, "y");
      if (calls % 40 === 39) for (let i = churn - 1000; i < churn; i++) table.delete(`churn:${i}`);
      if (rand() < 0.01) for (let i = 0; i < churn; i++) table.delete(`churn:${i}`);
      calls++;
    } while (cursor !== 0);
    for (let i = 0; i < 2_000; i++) expect(seen.has(`stay:${i}`)).toBe(true);
    expect(calls).toBeLessThan(10_000);
  });

  test("a walk by keys() suspended across changes still visits every key present throughout", () => {
    const table = new KeyTable();
    for (let i = 0; i < 5_000; i++) table.set(`stay:${i}`, i);
    const walk = table.keys();
    const seen = new Set<string>();
    for (let step = 0; ; step++) {
      const next = walk.next();
      if (next.done) break;
      seen.add(next.value);
      if (step % 7 === 0) table.set(`new:${step}`, "v");
      if (step % 11 === 0) table.delete(`new:${step - 77}`);
    }
    for (let i = 0; i < 5_000; i++) expect(seen.has(`stay:${i}`)).toBe(true);
  });

  test("random slots reach every key", () => {
    const table = new KeyTable();
    for (let i = 0; i < 50; i++) table.set(`k${i}`, "v");
    const drawn = new Set<string>();
    for (let i = 0; i < 5_000; i++) drawn.add(table.keyAt(table.randomSlot()));
    expect(drawn.size).toBe(50);
    expect(new KeyTable().randomSlot()).toBe(-1);
  });
  test("a big table grows into slots prepared ahead of it, keys and deadlines intact", () => {
    const table = new KeyTable();
    const capacities = new Set<number>();
    for (let i = 0; i < 150_000; i++) {
      const slot = table.set(`k${i}`, i % 2 === 0 ? i : `v${i}`);
      if (i % 7 === 0) table.setExpiryAt(slot, 1e12 + i);
      if (i % 1000 === 999) table.delete(`k${i - 500}`);
      capacities.add(table.capacity);
    }
    expect([...capacities].filter((c) => c >= 1 << 16).length).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < 150_000; i++) {
      const slot = table.find(`k${i}`);
      if (i % 1000 === 499) {
        expect(slot).toBe(-1);
        continue;
      }
      expect(table.valueAt(slot)).toBe(i % 2 === 0 ? i : `v${i}`);
      expect(table.expiryAt(slot)).toBe(i % 7 === 0 ? 1e12 + i : NaN);
    }
    // 150,000 keys fill more than 9/16 of 262,144 slots: the next growth's slots are being
    // made, and counted (16 bytes a slot and 8 for its deadline).
    expect(table.capacity).toBe(1 << 18);
    expect(table.slotBytes).toBeGreaterThan(table.capacity * 24);
    // A table that stopped growing lets them go (no insert between two calls), and makes
    // them again when inserts resume.
    table.releaseIdleSpare();
    expect(table.slotBytes).toBeGreaterThan(table.capacity * 24);
    table.releaseIdleSpare();
    expect(table.slotBytes).toBe(table.capacity * 24);
    table.set("one more", "v");
    expect(table.slotBytes).toBeGreaterThan(table.capacity * 24);
  });

  test("a big table's growth is copied ahead a step an insert, every change to a copied key made in both", () => {
    const rand = rng(11);
    const table = new KeyTable();
    const model = new Map<string, Want>();
    const names: string[] = [];
    const check = () => checkModel(table, model);
    // Past 9/16 of 65,536 slots: the growth's spare is being cleared.
    for (let i = 0; i < 40_000; i++) {
      const key = `key:${i}`;
      const slot = table.set(key, i);
      if (i % 5 === 0) table.setExpiryAt(slot, 2e12 + i);
      table.setAccessAt(slot, i);
      model.set(key, { value: i, expiry: i % 5 === 0 ? 2e12 + i : NaN, access: i, raw: false });
      names.push(key);
    }
    expect(table.capacity).toBe(1 << 16);
    const rebuilds = table.rebuilds;
    // Through the copy: new keys, and every kind of change to keys old and new (replaced
    // values, deletes, deadlines set and removed, access words, raw flags, a snapshot's
    // marks set and swept off), checked against the model as it goes.
    for (let step = 0; step < 10_000; step++) {
      randomChange(table, model, names, rand, step, 0.45, 0.1);
      if (step % 1000 === 0) check();
    }
    // It grew, by copying: live keys never reached the 3/4 of the old slots where a table
    // grows at once, and the copy left no tombstones behind.
    expect(table.capacity).toBe(1 << 17);
    expect(table.rebuilds).toBe(rebuilds + 1);
    check();
    expect(new Map(table.entries())).toEqual(new Map([...model].map(([k, v]) => [k, v.value])));
    // Keys keep coming and going as usual in the grown table.
    for (const key of names.slice(0, 5000)) if (model.delete(key)) table.delete(key);
    check();
  });

  test("a snapshot's marks that go stale during a growth's copy are gone once it is done, as after a rebuild", () => {
    const table = new KeyTable();
    // A snapshot in progress: every key marked, new ones as they come.
    table.newMarks = 1;
    for (let i = 0; i < 42_000; i++) table.mark(table.set(`k${i}`, i), 1);
    // It ends while the copy is under way (finished snapshots' marks go stale).
    table.newMarks = 0;
    table.staleMarks = 1;
    for (let i = 42_000; i < 44_000; i++) table.set(`k${i}`, i);
    expect(table.capacity).toBe(1 << 17);
    let marked = 0;
    for (let i = 0; i < 44_000; i++) if (table.isMarked(table.find(`k${i}`), 1)) marked++;
    expect(marked).toBe(0);
  });

  test("churn below the peak while a growth is being copied drops the spare before its tombstones fill it", () => {
    const table = new KeyTable();
    // Past 5/8 of 65,536 slots: the spare is cleared and the copy under way.
    for (let i = 0; i < 41_500; i++) table.set(`k${i}`, i);
    // Keys deleted and set again (no new peak, so the copy waits): each takes its old slot
    // back, but in the spare leaves a tombstone and takes an empty slot.
    for (let n = 0; n < 500_000; n++) {
      const key = `k${n % 41_500}`;
      table.delete(key);
      table.set(key, n);
    }
    expect(table.size).toBe(41_500);
    const last = (i: number) => i + 41_500 * Math.floor((499_999 - i) / 41_500);
    for (let i = 0; i < 41_500; i++) expect(table.get(`k${i}`)).toBe(last(i));
    // Still growing as keys rise.
    for (let i = 41_500; i < 50_000; i++) table.set(`k${i}`, i);
    expect(table.capacity).toBe(1 << 17);
    for (let i = 0; i < 50_000; i++) expect(table.get(`k${i}`)).toBe(i < 41_500 ? last(i) : i);
  });

  test("a growth being copied is finished at once when the table must grow before it is done, and dropped when the table shrinks", () => {
    const table = new KeyTable();
    for (let i = 0; i < 40_000; i++) table.set(`k${i}`, i);
    // Tombstones fill the old slots to 3/4 while live keys rise slowly: the growth comes
    // before its copy is done.
    for (let i = 40_000; i < 60_000; i++) {
      table.set(`k${i}`, i);
      if (i % 4 !== 0) table.delete(`k${i}`);
    }
    expect(table.capacity).toBe(1 << 17);
    for (let i = 0; i < 60_000; i++) expect(table.get(`k${i}`)).toBe(i < 40_000 || i % 4 === 0 ? i : undefined);
    // Emptied during the next growth's copy, it shrinks as ever.
    const live = [...table.keys()];
    for (let i = 0; i < 40_000; i++) table.set(`m${i}`, i);
    for (const key of [...table.keys()]) if (!key.startsWith("m1")) table.delete(key);
    expect(table.capacity).toBeLessThan(1 << 17);
    for (let i = 0; i < 40_000; i++) expect(table.get(`m${i}`)).toBe(String(i).startsWith("1") ? i : undefined);
    expect(live.length).toBe(45_000);
  });

  test("a database's big table shrinks a step a delete, every change to a copied key made in both; the cron finishes it", () => {
    const rand = rng(29);
    const table = new KeyTable();
    table.shrinksInSteps = true;
    const model = new Map<string, Want>();
    const check = () => checkModel(table, model);
    for (let i = 0; i < 300_000; i++) {
      const key = `key:${i}`;
      const slot = table.set(key, i);
      if (i % 5 === 0) table.setExpiryAt(slot, 2e12 + i);
      model.set(key, { value: i, expiry: i % 5 === 0 ? 2e12 + i : NaN, access: table.accessAt(slot), raw: false });
    }
    expect(table.capacity).toBe(1 << 19);
    const rebuilds = table.rebuilds;
    // Deleted down past 1/8 of the slots: no delete moves the survivors all at once.
    let i = 0;
    while (model.size >= 65_536) {
      table.delete(`key:${i}`);
      model.delete(`key:${i++}`);
    }
    expect(table.shrinkPending).toBe(true);
    expect(table.capacity).toBe(1 << 19);
    // Through the shrink: deletes, new keys, and every kind of change to keys old and new.
    const names = [...model.keys()];
    for (let step = 0; step < 20_000; step++) {
      randomChange(table, model, names, rand, step, 0.1, 0.4);
      if (step % 2000 === 0) check();
    }
    check();
    // What the deletes left, the cron's steps finish: one rebuild, into a table at most half full.
    table.shrinkFor(1000);
    expect(table.shrinkPending).toBe(false);
    expect(table.capacity).toBeLessThan(1 << 19);
    expect(table.capacity).toBeGreaterThanOrEqual(2 * model.size);
    expect(table.rebuilds).toBe(rebuilds + 1);
    check();
    expect(new Map(table.entries())).toEqual(new Map([...model].map(([k, v]) => [k, v.value])));
  });

  test("a shrink under way is given up when keys come back, and a value's table shrinks at once", () => {
    const table = new KeyTable();
    table.shrinksInSteps = true;
    for (let i = 0; i < 300_000; i++) table.set(`k${i}`, i);
    for (let i = 0; i < 240_000; i++) table.delete(`k${i}`);
    expect(table.shrinkPending).toBe(true);
    // Back over 1/8 before the copy is done: the old slots stay, every key in them.
    for (let i = 300_000; i < 330_000; i++) table.set(`k${i}`, i);
    table.shrinkFor(1000);
    expect(table.shrinkPending).toBe(false);
    expect(table.capacity).toBe(1 << 19);
    for (let i = 0; i < 330_000; i++) expect(table.get(`k${i}`)).toBe(i < 240_000 ? undefined : i);
    // Without shrinksInSteps (a hash's or set's table), the delete that crosses 1/8 rebuilds.
    const value = new KeyTable();
    for (let i = 0; i < 300_000; i++) value.set(`k${i}`, i);
    for (let i = 0; i < 240_000; i++) value.delete(`k${i}`);
    expect(value.capacity).toBeLessThan(1 << 19);
    expect(value.shrinkPending).toBe(false);
  });

  test("prefetch reads a big table's slots and cells and changes nothing", () => {
    const table = new KeyTable();
    for (let i = 0; i < 100_000; i++) table.set(`key:${i}`, i % 3 === 0 ? i : `value:${i}`);
    table.delete("key:7");
    const names = ["key:1", "key:3", "key:7", "absent", "", "key:99999"];
    const buf = Buffer.from(`..${names.join("|")}`, "latin1");
    const ranges = new Int32Array(2 * names.length);
    let at = 2;
    names.forEach((name, k) => {
      ranges[2 * k] = at;
      ranges[2 * k + 1] = at + name.length;
      at += name.length + 1;
    });
    const before = names.map((name) => table.find(name));
    table.prefetch(buf, ranges, names.length);
    expect(names.map((_, k) => table.findBytes(buf, ranges[2 * k]!, ranges[2 * k + 1]!))).toEqual(before);
    expect(before.map((slot) => (slot < 0 ? undefined : table.valueAt(slot)))).toEqual([`value:1`, 3, undefined, undefined, undefined, 99999]);
  });
});

describe("IndexStack", () => {
  test("pops what was pushed, last first, across its blocks and back", () => {
    const stack = new IndexStack();
    const model: number[] = [];
    const rand = rng(11);
    expect(stack.pop()).toBe(-1);
    // Up past three blocks of 16,384 and down again, with pushes and pops mixed at the boundaries.
    for (let step = 0; step < 200_000; step++) {
      const push = step < 100_000 ? rand() < 0.7 : rand() < 0.3;
      if (push) {
        const v = Math.floor(rand() * 0x7fffffff);
        stack.push(v);
        model.push(v);
      } else expect(stack.pop()).toBe(model.pop() ?? -1);
      expect(stack.length).toBe(model.length);
    }
    while (model.length > 0) expect(stack.pop()).toBe(model.pop()!);
    expect(stack.pop()).toBe(-1);
  });
});

describe("CellHeap", () => {
  test("a size class emptied of cells gives back its chunks but the first, and starts again from it", () => {
    const heap = new CellHeap();
    // 100 cells of one class take chunks of 16, 32 and 64 cells.
    const refs = Array.from({ length: 100 }, (_, i) => heap.allocString(`key:${String(i).padStart(3, "0")}`, "value"));
    const first = heap.buffer(refs[0]!);
    expect(heap.buffer(refs[99]!)).not.toBe(first);
    // While one cell is in use, a freed cell is the next one taken again.
    for (const ref of refs.slice(1)) heap.free(ref);
    const reused = heap.allocString("key:again", "value");
    expect(reused).toBe(refs[99]!);
    heap.free(reused);
    // Once none is, the class is back to its first chunk, from its first cell.
    heap.free(refs[0]!);
    const fresh = heap.allocString("key:fresh", "value");
    expect(fresh).toBe(refs[0]!);
    expect(heap.buffer(fresh)).toBe(first);
    expect(heap.key(fresh, false)).toBe("key:fresh");
    const second = heap.allocString("key:second", "value");
    expect(heap.buffer(second)).toBe(first);
    expect(heap.key(second, false)).toBe("key:second");
  });

  test("a class mostly freed gives back its last chunks, its cells in use moved and their references told", () => {
    const heap = new CellHeap();
    const key = (i: number) => `key:${String(i).padStart(5, "0")}`;
    const refs = Array.from({ length: 20_000 }, (_, i) => heap.allocString(key(i), `value ${i}`));
    const lastChunk = heap.buffer(refs[19_999]!);
    // Four in five freed, spread over every chunk: no chunk empties.
    const kept = refs.map((ref, i) => (i % 5 === 0 ? ref : -1));
    refs.forEach((ref, i) => kept[i] === -1 && heap.free(ref));
    // A chunk a step: each step tells where the cells it moved are now.
    const where = new Map(kept.flatMap((ref, i) => (ref < 0 ? [] : [[ref, i] as const])));
    const compactStep = () => {
      let told = 0;
      heap.compact((from, to) => {
        const i = where.get(from)!;
        where.delete(from);
        where.set(to, i);
        kept[i] = to;
        told++;
      });
      return told;
    };
    let steps = 0;
    while (compactStep() > 0) steps++;
    expect(steps).toBeGreaterThan(1);
    kept.forEach((ref, i) => {
      if (ref < 0) return;
      expect(heap.key(ref, false)).toBe(key(i));
      expect(heap.stringValue(ref)).toBe(`value ${i}`);
      expect(heap.buffer(ref)).not.toBe(lastChunk);
    });
    // Nothing more to give back; new cells go to free ones, never to one in use.
    expect(compactStep()).toBe(0);
    const more = Array.from({ length: 20_000 }, (_, i) => heap.allocString(key(i + 20_000), "new"));
    expect(new Set([...kept.filter((r) => r >= 0), ...more]).size).toBe(24_000);
    kept.forEach((ref, i) => ref >= 0 && expect(heap.key(ref, false)).toBe(key(i)));
  });
});

describe("KeyTable.compactCells", () => {
  test("keys left after most are deleted are found with their values once their cells move", () => {
    const table = new KeyTable();
    for (let i = 0; i < 30_000; i++) table.set(`k${i}`, i % 3 === 0 ? i : `v${i}`);
    for (let i = 0; i < 30_000; i++) if (i % 7 !== 0) table.delete(`k${i}`);
    for (let step = 0; step < 10; step++) table.compactCells();
    expect(table.size).toBe(Math.ceil(30_000 / 7));
    for (let i = 0; i < 30_000; i += 7) expect(table.valueAt(table.find(`k${i}`))).toBe(i % 3 === 0 ? i : `v${i}`);
    for (const key of table.keys()) expect(table.find(key)).toBeGreaterThanOrEqual(0);
  });
});
