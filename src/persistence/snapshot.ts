/**
 * A point-in-time RDB image of the keyspace, produced a slice at a time while clients keep
 * writing: KVIS's answer to Redis forking for BGSAVE, since Bun cannot fork.
 *
 * The snapshot walks each database's table slot by slot. Before any write touches a key
 * (the keyspace calls `beforeWrite` from every path that changes a key or its TTL), the
 * snapshot serializes that key's current value, which is still its value from the moment
 * the snapshot began, unless it has already written it. Each snapshot owns a bit in every
 * slot's kind word (store/table.ts): set on a key once it is written, and on every key
 * created after the start, which so never enters the image; the walk skips marked keys,
 * and the marks move with the keys when a table is rebuilt. Its memory cost is its two
 * buffers and the serialized bytes of keys written early, as a forked Redis pays for the
 * pages it copies. Eight snapshots can run at once; a ninth is written whole when it
 * starts.
 *
 * FLUSHDB, FLUSHALL and SWAPDB replace whole databases at once: before they run, the
 * snapshot serializes everything it has not reached yet (`finishNow`).
 */
import type { Database, Keyspace, SnapshotWalk, StoredValue, KeyCell } from "../store/keyspace.ts";
import { writeCommand, writeKeyAsCommands } from "./aof.ts";
import { crc64 } from "./crc64.ts";
import * as F from "./rdb-format.ts";
import { ByteSink, type RdbOptions, writeDbHeader, writeFileAtomically, writeFunctions, writeHeader, writeKey, writeCell } from "./rdb-writer.ts";
import { dirname, join } from "node:path";

/** How an image is written: an RDB file, or (an AOF base without preamble) commands. */
export interface ImageFormat {
  header(out: ByteSink): void;
  database(out: ByteSink, id: number, size: number, expires: number): void;
  /** One key; `access` is its access word (LRU clock or LFU entry). */
  key(out: ByteSink, key: string, value: StoredValue, expireAt: number | undefined, access: number): void;
  /** A key straight from its cell (a string or a small aggregate), where the format can write bytes (optional). */
  cellKey?(out: ByteSink, cell: KeyCell, expireAt: number | undefined, access: number): void;
  end(out: ByteSink): void;
}

export const rdbImage = (options: RdbOptions): ImageFormat => ({
  header: (out) => {
    writeHeader(out, options);
    writeFunctions(out, options.functions);
  },
  database: writeDbHeader,
  key: (out, key, value, expireAt, access) => writeKey(out, key, value, expireAt, options.access, access),
  cellKey: (out, cell, expireAt, access) => writeCell(out, cell, expireAt, options.access, access),
  end: (out) => out.u8(F.RDB_OPCODE_EOF),
});

export const commandImage = (options: RdbOptions): ImageFormat => ({
  // Libraries first, as Redis's rewriteFunctions: the keys' scripts may need them.
  header: (out) => {
    if (options.aofTimestamp !== undefined) out.raw(`#TS:${options.aofTimestamp}\r\n`);
    for (const code of options.functions ?? []) writeCommand(out, ["FUNCTION", "LOAD", code]);
  },
  database: (out, id) => writeCommand(out, ["SELECT", String(id)]),
  key: writeKeyAsCommands,
  end: () => {},
});

/** How many keys one slice serializes between looks at the clock. */
const KEYS_PER_CLOCK_CHECK = 256;

export class Snapshot {
  /** The database the walk is in; those before it are complete. */
  private current = -1;
  private readonly walk: SnapshotWalk = { table: undefined, generation: 0, slot: 0 };
  /** This snapshot's mark bit in the keyspace's slots (0: none was free). */
  private bit: number;
  /** Per database not yet reached: keys serialized early by beforeWrite. */
  private readonly early: (ByteSink | undefined)[];
  /** Sizes at the start, for RESIZEDB and INFO. */
  private readonly sizes: number[];
  private readonly expireCounts: number[];
  private out: ByteSink;
  /** The buffer the consumer has (or had) from the last drain. */
  private spare: ByteSink;
  /** Keys serialized so far (INFO current_save_keys_processed). */
  keysDone = 0;
  readonly keysTotal: number;
  done = false;
  /**
   * rdb-key-save-delay as ms a key (0: none). Redis's forked child sleeps that long after
   * each key; here the slices keep to that pace instead (key n is written no sooner than
   * n delays after the start), so the server serves meanwhile, as Redis's parent does.
   */
  private readonly msPerKey: number;
  private readonly started = performance.now();

  /**
   * `whole`: written at once, now, by the caller (SAVE, an AOF base): no mark bit, not one of
   * the keyspace's snapshots in progress, not counted as a fork.
   */
  constructor(
    private readonly keyspace: Keyspace,
    private readonly options: RdbOptions,
    private readonly format: ImageFormat = rdbImage(options),
    whole = false,
  ) {
    const dbs = keyspace.dbs;
    this.bit = whole ? 0 : keyspace.takeSnapshotBit();
    this.early = dbs.map(() => undefined);
    this.sizes = dbs.map((db) => (options.noData ? 0 : db.size));
    this.expireCounts = dbs.map((db) => db.expiresCount);
    this.keysTotal = this.sizes.reduce((a, b) => a + b, 0);
    // A negative -N sleeps 1 µs every N keys on average (Redis's debugDelay).
    const delay = options.keySaveDelay ?? 0;
    this.msPerKey = delay > 0 ? delay / 1000 : delay < 0 ? 1 / (-delay * 1000) : 0;
    this.out = new ByteSink(options.compression);
    this.spare = new ByteSink(options.compression);
    format.header(this.out);
    this.nextDatabase();
    if (!whole) {
      keyspace.snapshots.push(this);
      keyspace.snapshotStarts.total++;
      keyspace.snapshotStarts.latestUsec = Math.round((performance.now() - this.started) * 1000);
    }
    // No bit to mark keys with: the image is written now, before anything can change.
    if (this.bit === 0) this.finishNow();
  }

  /** Called before `key` in `db` changes in any way: keep its value as of the start. */
  beforeWrite(db: Database, key: string): void {
    if (this.done || db.id < this.current || !db.takeForSnapshot(key, this.bit)) return;
    const value = db.peek(key)!;
    let sink = this.out;
    if (db.id > this.current) sink = this.early[db.id] ??= new ByteSink(this.options.compression);
    const when = db.getExpire(key);
    this.format.key(sink, key, value, when === -1 ? undefined : when, db.accessOf(key)!);
    this.keysDone++;
  }

  /**
   * Serialize keys for about `budgetMs`, at rdb-key-save-delay's pace when `paced`; true
   * once the whole image (EOF included) is written.
   */
  step(budgetMs: number, paced = true): boolean {
    const stopAt = performance.now() + budgetMs;
    while (!this.done) {
      let limit = KEYS_PER_CLOCK_CHECK;
      if (paced && this.msPerKey > 0) {
        limit = Math.min(limit, this.keysDue() - this.keysDone);
        if (limit <= 0) break;
      }
      const db = this.keyspace.dbs[this.current]!;
      const cellKey = this.format.cellKey;
      const complete = db.walkForSnapshot(
        this.walk, this.bit, limit,
        (key, value, expireAt, access) => {
          this.format.key(this.out, key, value, expireAt, access);
          this.keysDone++;
        },
        cellKey === undefined ? undefined : (cell, expireAt, access) => {
          cellKey(this.out, cell, expireAt, access);
          this.keysDone++;
        },
      );
      if (complete) this.nextDatabase();
      if (performance.now() >= stopAt) break;
    }
    return this.done;
  }

  /** Serialize everything not yet reached, at once (before a command replaces databases). */
  finishNow(): void {
    while (!this.step(Infinity, false));
  }

  /** Keys rdb-key-save-delay lets be written by now (the first at once). */
  private keysDue(): number {
    return Math.floor((performance.now() - this.started) / this.msPerKey) + 1;
  }

  /** How long to wait before the next key is due (0 when unpaced or due already). */
  waitMs(): number {
    if (this.msPerKey === 0 || this.done) return 0;
    return Math.max(0, this.started + this.keysDone * this.msPerKey - performance.now());
  }

  /**
   * The bytes produced since the last call: a view of the snapshot's buffer, good until the
   * next step (a consumer that keeps them copies them).
   */
  drain(): Uint8Array {
    // Two buffers in turn: keys changed while the consumer still writes these bytes out
    // (it may let clients in meanwhile) are serialized into the other one.
    const full = this.out;
    const next = (this.out = this.spare);
    next.pos = 0;
    this.spare = full;
    return full.bytes();
  }

  private nextDatabase(): void {
    const dbs = this.keyspace.dbs;
    do this.current++;
    while (this.current < dbs.length && this.sizes[this.current] === 0);
    if (this.current >= dbs.length) {
      this.format.end(this.out);
      this.done = true;
      this.release();
      return;
    }
    const id = this.current;
    this.format.database(this.out, id, this.sizes[id]!, this.expireCounts[id]!);
    const early = this.early[id];
    if (early !== undefined) {
      this.out.append(early.bytes());
      this.early[id] = undefined;
    }
    this.walk.table = undefined;
  }

  /** Give the mark bit back (done, or abandoned); idempotent. */
  release(): void {
    if (this.bit === 0) return;
    this.keyspace.releaseSnapshotBit(this.bit);
    this.bit = 0;
  }
}

/**
 * The whole keyspace as an RDB image at once (SAVE, an AOF base): a snapshot's walk run to
 * its end, strings written from their cells' bytes, then the checksum.
 */
export function encodeRdb(keyspace: Keyspace, options: RdbOptions): Uint8Array {
  const body = new Snapshot(keyspace, options, rdbImage(options), true).drain();
  const image = new Uint8Array(body.length + 8);
  image.set(body);
  new DataView(image.buffer).setBigUint64(body.length, options.checksum ? crc64(body) : 0n, true);
  return image;
}

/** SAVE: the image written to a temporary file in the dump's folder, fsynced, renamed over the dump. */
export function saveRdbFile(keyspace: Keyspace, path: string, options: RdbOptions): void {
  writeFileAtomically(path, encodeRdb(keyspace, options), join(dirname(path), `temp-${process.pid}.rdb`));
}

/** Let clients in between slices. A timer, not setImmediate: measured, it lets more client
 * reads in between slices (BGSAVE p99 13.6 -> 6.5 ms under load). */
export function yieldToClients(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A slice of serialization between yields to clients, in ms: short while clients are being
 * served (a BGSAVE under redis-benchmark load: the probe's p99 9.4-10.0 ms with 2-ms slices,
 * 5.5-6.5 ms with 1-ms ones), long while none is, since each yield costs a timer's turn
 * (a full sync with 1-ms slices took 1.66 s instead of 1.41).
 */
const SLICE_MS = 1;
const IDLE_SLICE_MS = 8;

/**
 * Produce the whole image a slice at a time, handing each slice's bytes to `write` (a view
 * it must be done with, or copy, by the time its promise settles: a save's file takes the
 * bytes as they are, so an image of any size is never copied whole) and yielding to
 * clients in between; the snapshot stays registered with the keyspace until
 * its last key is written. Returns the CRC64 of the image when `checksum` is set (else 0).
 * Stops with an error when `aborted()` turns true. `served()` counts the reads served so
 * far (the server's readsProcessed): when a yield served none, the next slice is longer.
 */
export async function streamSnapshot(
  keyspace: Keyspace,
  snapshot: Snapshot,
  write: (bytes: Uint8Array) => Promise<void> | void,
  checksum: boolean,
  aborted: () => boolean,
  served: () => number = () => 0,
): Promise<bigint> {
  let crc = 0n;
  let reads = -1;
  try {
    for (;;) {
      if (aborted()) throw new Error("aborted");
      const now = served();
      const done = snapshot.step(now === reads ? IDLE_SLICE_MS : SLICE_MS);
      reads = now;
      const chunk = snapshot.drain();
      if (checksum) crc = crc64(chunk, crc);
      await write(chunk);
      if (done) return crc;
      // A paced save sleeps until its next key is due, waking at least every 100 ms to see
      // whether it was aborted (rdb-key-save-delay may be a second a key or more).
      const wait = snapshot.waitMs();
      await (wait > 0 ? Bun.sleep(Math.min(wait, 100)) : yieldToClients());
    }
  } finally {
    const i = keyspace.snapshots.indexOf(snapshot);
    if (i >= 0) keyspace.snapshots.splice(i, 1);
    snapshot.release();
  }
}
