/**
 * The snapshot's walk over the keyspace's slots: whatever is written meanwhile, with the
 * tables growing, shrinking and being cleared of tombstones under it, and with other
 * snapshots running at once, each image holds exactly the keys and values of its start.
 */
import { describe, expect, test } from "bun:test";
import { loadRdb } from "../../../src/persistence/rdb-reader.ts";
import { Snapshot, rdbImage } from "../../../src/persistence/snapshot.ts";
import { AUTOSYNC_BYTES, writeImageFile } from "../../../src/server/persistence.ts";
import { HashValue } from "../../../src/store/hash.ts";
import { Keyspace, stringOf, type StringValue } from "../../../src/store/keyspace.ts";
import { ListValue } from "../../../src/store/list.ts";
import { SetValue } from "../../../src/store/set.ts";
import { SortedSet } from "../../../src/store/sorted-set.ts";
import { seededRandom } from "../../helpers/random.ts";
import { serverTestTimeout, tempDir } from "../../helpers/servers.ts";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

serverTestTimeout();

const OPTIONS = { compression: false, checksum: false };
/** Values of every kind a string cell holds: short, long enough to compress, integers. */
const valueOf = (i: number) => (i % 11 === 0 ? i : i % 7 === 0 ? `v:${i}:`.repeat(8) : `v:${i}`);

/** What an RDB image holds, loaded into a keyspace of its own. */
function load(image: Uint8Array[]): Keyspace {
  const ks = new Keyspace(4);
  // The checksum streamSnapshot appends: zero, since OPTIONS turns it off.
  loadRdb(Buffer.concat([...image, new Uint8Array(8)]), ks);
  return ks;
}

function contents(ks: Keyspace, id: number): Map<string, string> {
  const db = ks.dbs[id]!;
  return new Map([...db.entries()].map(([k, v]) => [k, `${stringOf(v as StringValue)} @${db.getExpire(k)}`]));
}

/** The tables' shapes (reaching into the store to see that rebuilds happened mid-walk). */
const generations = (ks: Keyspace) => ks.dbs.map((d) => (d as unknown as { table: { generation: number } }).table.generation).join();

const sorted = (m: Map<string, string>) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));

describe("Snapshot", () => {
  test.each([false, true])("images hold their start's keys exactly while writes rebuild the tables, several snapshots at once (compression %p)", (compression) => {
    const rand = seededRandom(5);
    const ks = new Keyspace(4);
    for (let i = 0; i < 20_000; i++) ks.dbs[i % 3]!.setKey(`k:${i}`, valueOf(i));
    for (let i = 0; i < 20_000; i += 13) ks.dbs[i % 3]!.setExpire(`k:${i}`, 4_102_444_800_000 + i);
    const running: Array<[Snapshot, Uint8Array[], Map<string, string>[]]> = [];
    let created = 0;
    let rebuildsDuring = 0;
    for (let round = 0; round < 4000 && (round < 10 || running.length > 0); round++) {
      // Now and then another snapshot starts, remembering what it must hold.
      if (round % 300 === 0 && round < 2000) {
        const expected = [0, 1, 2, 3].map((id) => contents(ks, id));
        running.push([new Snapshot(ks, { compression, checksum: false }), [], expected]);
      }
      // Writes: overwrites, deletions in bulk (the table shrinks), creations in bulk (it grows).
      const db = ks.dbs[Math.floor(rand() * 3)]!;
      const gensBefore = generations(ks);
      const r = rand();
      if (r < 0.5) db.setKey(`k:${Math.floor(rand() * 20_000)}`, `changed:${round}`);
      else if (r < 0.65) for (let i = 0; i < 50; i++) db.delete(`k:${Math.floor(rand() * 20_000)}`);
      else if (r < 0.85) for (let i = 0; i < 2000; i++) db.setKey(`new:${created++}`, "n");
      else if (r < 0.99) for (const key of [...db.keys()].filter((k) => k.startsWith("new:"))) db.delete(key);
      else for (const key of [...db.keys()].filter((k) => !k.endsWith("0"))) db.delete(key);
      if (running.length > 0 && generations(ks) !== gensBefore) rebuildsDuring++;
      for (const [snapshot, image] of running) {
        snapshot.step(0);
        image.push(Buffer.from(snapshot.drain()));
      }
      for (let i = running.length - 1; i >= 0; i--) {
        const [snapshot, image, expected] = running[i]!;
        if (!snapshot.done) continue;
        // Each key once (the loader would let a second copy replace the first) and as it was.
        expect(snapshot.keysDone).toBe(expected.reduce((n, db) => n + db.size, 0));
        const saved = load(image);
        for (let id = 0; id < 4; id++) expect(sorted(contents(saved, id))).toEqual(sorted(expected[id]!));
        running.splice(i, 1);
        ks.snapshots.splice(ks.snapshots.indexOf(snapshot), 1);
      }
    }
    expect(running.length).toBe(0);
    // The scene happened: tables were rebuilt while snapshots walked them.
    expect(rebuildsDuring).toBeGreaterThan(3);
  });

  test("a walk writing cells as bytes, strings and small aggregates, makes the same image as writing their decoded values", () => {
    const ks = new Keyspace(2);
    for (let i = 0; i < 3000; i++) ks.dbs[i % 2]!.setKey(`k:${i}\xff`, valueOf(i));
    for (let i = 0; i < 3000; i += 5) ks.dbs[i % 2]!.setExpire(`k:${i}\xff`, 4_102_444_800_000 + i);
    // Small hashes, sorted sets, lists and sets, held packed in their cells once settled, with
    // every byte, integers, and scores whole, fractional, huge and -0.
    const bytes = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
    const scores = [0, -0, 1, -2.5, 1e300, 0.1, 123456789];
    for (let i = 0; i < 600; i++) {
      const db = ks.dbs[i % 2]!;
      const element = (k: number) => (k % 3 === 0 ? String(i * k - 50) : bytes.slice((i + k) % 200, (i + k) % 200 + 1 + (k % 40)));
      const hash = db.writeOrCreate(`h:${i}`, HashValue, () => new HashValue());
      for (let k = 0; k < 1 + (i % 6); k++) hash.set(`f${k}`, element(k));
      const zset = db.writeOrCreate(`z:${i}`, SortedSet, () => new SortedSet());
      for (let k = 0; k < 1 + (i % 5); k++) zset.set(element(k), scores[(i + k) % scores.length]!);
      const list = db.writeOrCreate(`l:${i}`, ListValue, () => new ListValue());
      for (let k = 0; k < 1 + (i % 7); k++) list.pushTail(element(k));
      const set = db.writeOrCreate(`s:${i}`, SetValue, () => new SetValue(i % 2 === 0));
      for (let k = 0; k < 1 + (i % 6); k++) set.add(i % 2 === 0 ? String(i * 1000 - k * 70_000) : element(k + 1), i % 2 === 0);
      for (const key of [`h:${i}`, `z:${i}`, `l:${i}`, `s:${i}`]) db.modified(key);
      if (i % 4 === 0) db.setExpire(`z:${i}`, 4_102_444_800_000 + i);
    }
    ks.settle();
    for (const db of ks.dbs) db.settle();
    for (const compression of [false, true]) {
      const options = { compression, checksum: false };
      const viaCells = new Snapshot(ks, options);
      viaCells.finishNow();
      const viaStrings = new Snapshot(ks, options, { ...rdbImage(options), cellKey: undefined });
      viaStrings.finishNow();
      // From the first SELECTDB (0xFE) on: the header's aux fields hold the time and heap size.
      const [a, b] = [Buffer.from(viaCells.drain()), Buffer.from(viaStrings.drain())];
      expect(a.subarray(a.indexOf(0xfe)).equals(b.subarray(b.indexOf(0xfe)))).toBe(true);
      expect(a.length - a.indexOf(0xfe)).toBeGreaterThan(3000 * 8);
      viaCells.release();
      viaStrings.release();
    }
  });

  test("finished snapshots' marks are swept off a slice at a time; snapshots taken meanwhile, across SWAPDB, hold every key", () => {
    const ks = new Keyspace(2);
    // 200,000 keys: 512K slots, more than a sweep takes at once.
    for (let i = 0; i < 200_000; i++) ks.dbs[0]!.setKey(`k:${i}`, "v");
    for (let i = 0; i < 1_000; i++) ks.dbs[1]!.setKey(`o:${i}`, "w");
    const stale = () => (ks as unknown as { staleBits: number }).staleBits;
    let sawStale = false;
    for (let n = 0; n < 20; n++) {
      const snapshot = new Snapshot(ks, OPTIONS);
      // A bit was free, or freed by finishing the sweep: the snapshot walks.
      expect(snapshot.done).toBe(false);
      snapshot.finishNow();
      const saved = load([Buffer.from(snapshot.drain())]);
      expect([saved.dbs[0]!.size, saved.dbs[1]!.size].sort()).toEqual([1_000, 200_000]);
      snapshot.release();
      ks.snapshots.splice(ks.snapshots.indexOf(snapshot), 1);
      sawStale ||= stale() !== 0;
      if (n % 3 === 0) ks.swap(0, 1);
      if (n % 4 === 0) ks.sweepMarks();
    }
    expect(sawStale).toBe(true);
    for (let i = 0; i < 100 && stale() !== 0; i++) ks.sweepMarks();
    expect(stale()).toBe(0);
  });

  test("a ninth snapshot at once is written whole when it starts", () => {
    const ks = new Keyspace(1);
    for (let i = 0; i < 100; i++) ks.dbs[0]!.setKey(`k:${i}`, "v");
    const snapshots = Array.from({ length: 9 }, () => new Snapshot(ks, OPTIONS));
    expect(snapshots.map((s) => s.done)).toEqual([false, false, false, false, false, false, false, false, true]);
    for (const s of snapshots) s.finishNow();
    for (const s of snapshots) s.release();
    // Every bit is free again: a new snapshot gets one and walks.
    expect(new Snapshot(ks, OPTIONS).done).toBe(false);
  });

  test("a save written with autosync (rdb-save-incremental-fsync) syncs every 4 MB as it goes, and writes the same data", async () => {
    const ks = new Keyspace(1);
    // About 14 MB of incompressible values: three syncs along the way.
    const rand = seededRandom(9);
    for (let i = 0; i < 14_000; i++) ks.dbs[0]!.setKey(`k:${i}`, Buffer.from(Array.from({ length: 1000 }, () => Math.floor(rand() * 256))).toString("latin1"));
    const dir = tempDir();
    try {
      const files: Buffer[] = [];
      const syncs: number[] = [];
      for (const autosync of [false, true]) {
        const path = join(dir, `${autosync}.rdb`);
        const snapshot = new Snapshot(ks, OPTIONS);
        let count = 0;
        await writeImageFile(ks, snapshot, `${path}.tmp`, path, false, () => false, undefined, autosync, async () => void count++);
        snapshot.release();
        ks.snapshots.splice(ks.snapshots.indexOf(snapshot), 1);
        files.push(readFileSync(path));
        syncs.push(count);
      }
      // The same data (the header's ctime may differ by a second between the two).
      const loaded = files.map((file) => {
        const into = new Keyspace(1);
        loadRdb(file, into);
        return sorted(contents(into, 0));
      });
      expect(loaded[0]!.length).toBe(14_000);
      expect(loaded[1]).toEqual(loaded[0]!);
      expect(syncs).toEqual([0, Math.floor(files[1]!.length / AUTOSYNC_BYTES)]);
      expect(syncs[1]).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
