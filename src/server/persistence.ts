/**
 * RDB persistence as the server runs it: SAVE, BGSAVE, save points checked by the cron,
 * the final save at shutdown, and the counters INFO persistence reports. A background
 * save writes a Snapshot (persistence/snapshot.ts) to a temporary file a slice at a time,
 * yielding to the event loop between slices, then fsyncs and renames it over the dump, so
 * clients are served throughout and a failed save never damages the previous dump.
 */
import { closeSync, fdatasync, fsync, openSync, rmSync, writeSync } from "node:fs";
import { rename, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { updateClock } from "../clock.ts";
import { parseSavePoints } from "../config.ts";
import { DEBUG_RELOAD_FAILED, ERR_PLAIN } from "../errors.ts";
import { loadRdbSteps } from "../persistence/rdb-reader.ts";
import { syncDirectory } from "../persistence/rdb-writer.ts";
import { Snapshot, saveRdbFile, streamSnapshot, yieldToClients } from "../persistence/snapshot.ts";
import type { Keyspace } from "../store/keyspace.ts";
import type { Server } from "./server.ts";
import type { Client } from "./connection.ts";

/** The most bytes written to the file between yields. */
const WRITE_PIECE = 1 << 20;
/** Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed BGSAVE, save points wait this long. */
const RETRY_DELAY_SECONDS = 5;

/** Save-point time comes from the server's clock (src/clock.ts), so tests can move it. */
export class Persistence {
  /** Unix time of the last successful save (LASTSAVE). */
  lastSave = Math.floor(updateClock() / 1000);
  lastBgsaveOk = true;
  lastBgsaveSeconds = -1;
  private lastBgsaveTry = 0;
  /** Successful saves since start (rdb_saves). */
  saves = 0;
  /** BGSAVE SCHEDULE while an AOF rewrite ran: the cron starts it when the rewrite ends. */
  bgsaveScheduled = false;
  /** The background save in progress. */
  private running: { snapshot: Snapshot; started: number; aborted: boolean } | undefined;

  constructor(private readonly server: Server) {}

  get bgsaveInProgress(): boolean {
    return this.running !== undefined;
  }

  /**
   * SAVE: write the dataset synchronously. False, after logging why, when it failed.
   * `counted`: in rdb_saves (FLUSHALL's save is not, as in Redis).
   */
  save(counted = true): boolean {
    const start = performance.now();
    const dirty = this.server.keyspace.dirty;
    try {
      saveRdbFile(this.server.keyspace, this.server.rdbPath, this.server.rdbOptions());
    } catch (e) {
      this.server.log.warning(`Failed saving the DB: ${(e as Error).message}`);
      return false;
    }
    this.saved(dirty, counted);
    this.lastBgsaveOk = true;
    this.server.log.notice(`DB saved on disk (${((performance.now() - start) / 1000).toFixed(3)} seconds)`);
    return true;
  }

  /**
   * DEBUG RELOAD: save the dump (unless `save` is false), empty the dataset (unless `flush`
   * is false) and load the dump back, then answer `client` (Server.debugLoad: in steps,
   * others answered -LOADING meanwhile). Throws Redis's error when the save fails.
   */
  reload(client: Client, flush: boolean, save: boolean, merge: boolean): void {
    const server = this.server;
    if (save && !this.save()) throw ERR_PLAIN;
    // Neither the emptying nor the load counts as a change (Redis's emptyData does not);
    // what was changed before them still is.
    const dirty = server.keyspace.dirty;
    if (flush) {
      server.keyspace.flushAll();
      server.scripting.flushFunctions();
    }
    const onFunction = merge ? server.scripting.replaceFromImage : server.scripting.loadFromImage;
    const steps = loadRdbSteps(server.rdbPath, server.keyspace, undefined, onFunction, server.config.int("loading-process-events-interval-bytes"));
    server.debugLoad(client, steps, (failure) => {
      server.keyspace.dirty = dirty;
      if (failure !== undefined) {
        server.log.warning(`DEBUG RELOAD: ${failure.message}`);
        return DEBUG_RELOAD_FAILED;
      }
      server.log.warning("DB reloaded by DEBUG RELOAD");
      return undefined;
    });
  }

  /** BGSAVE: start a background save; false when one (or an AOF rewrite) is already running. */
  bgsave(): boolean {
    if (this.running !== undefined || this.server.aof.rewriting) return false;
    this.bgsaveScheduled = false;
    const keyspace = this.server.keyspace;
    const snapshot = new Snapshot(keyspace, this.server.rdbOptions());
    const run = { snapshot, started: Date.now(), aborted: false };
    this.running = run;
    this.lastBgsaveTry = Math.floor(updateClock() / 1000);
    this.server.log.notice("Background saving started");
    const dirty = keyspace.dirty;
    const path = this.server.rdbPath;
    const temp = this.tempPath();
    const autosync = this.server.config.get("rdb-save-incremental-fsync") === "yes";
    writeImageFile(keyspace, snapshot, temp, path, this.server.rdbOptions().checksum, () => run.aborted, () => this.server.stats.readsProcessed, autosync).then(
      () => {
        if (run.aborted) return;
        this.finished(run, true);
        this.saved(dirty);
        this.server.log.notice("DB saved on disk");
        this.server.log.notice("Background saving terminated with success");
      },
      (e) => {
        if (run.aborted) return;
        this.finished(run, false);
        this.server.log.warning(`Background saving error: ${(e as Error).message}`);
      },
    );
    return true;
  }

  /** Stop a background save without touching the dump (SHUTDOWN saves synchronously instead). */
  abortBgsave(why = "There is a background save in progress. Stopping it!"): void {
    const run = this.running;
    if (run === undefined) return;
    run.aborted = true;
    this.server.log.warning(why);
    this.finished(run, false);
  }

  /**
   * FLUSHALL: with save points set, stop a background save and save the (now empty)
   * dataset at once. Without them a background save goes on with the image it took.
   */
  flushed(): void {
    if (!this.hasSavePoints) return;
    this.abortBgsave("Background saving stopped: FLUSHALL saves the empty dataset now");
    this.save(false);
  }

  /** Where a background save writes before its file replaces the dump. */
  private tempPath(): string {
    return join(dirname(this.server.rdbPath), `temp-bgsave-${process.pid}.rdb`);
  }

  /** The process exits at once (a second SIGINT): no half-written dump is left behind. */
  removeTempFile(): void {
    if (this.running !== undefined) rmSync(this.tempPath(), { force: true });
  }

  /** Keys written so far and in all, for INFO's current_save_keys_*. */
  progress(): { processed: number; total: number; seconds: number } {
    const run = this.running;
    if (run === undefined) return { processed: 0, total: 0, seconds: -1 };
    return { processed: run.snapshot.keysDone, total: run.snapshot.keysTotal, seconds: Math.floor((Date.now() - run.started) / 1000) };
  }

  /** From the cron: start a scheduled BGSAVE, or one whose save point is due, as Redis's serverCron does. */
  checkSavePoints(): void {
    // Not while the dataset loads (a replica's sync): half a dataset would replace the dump.
    if (this.running !== undefined || this.server.aof.rewriting || this.server.loadingDataset) return;
    if (this.bgsaveScheduled) {
      this.bgsave();
      return;
    }
    const points = parseSavePoints(this.server.config.get("save")) ?? [];
    const now = Math.floor(updateClock() / 1000);
    const dirty = this.server.keyspace.dirty;
    for (const sp of points) {
      if (dirty >= sp.changes && now - this.lastSave > sp.seconds && (this.lastBgsaveOk || now - this.lastBgsaveTry > RETRY_DELAY_SECONDS)) {
        this.server.log.notice(`${sp.changes} changes in ${sp.seconds} seconds. Saving...`);
        this.bgsave();
        return;
      }
    }
  }

  /**
   * stop-writes-on-bgsave-error: writes are refused while the last background save failed
   * and save points ask for snapshots.
   */
  get refusesWrites(): boolean {
    return !this.lastBgsaveOk && this.server.config.get("stop-writes-on-bgsave-error") === "yes" && this.hasSavePoints;
  }

  /** Whether shutdown should save: save points are set (SHUTDOWN SAVE/NOSAVE decide otherwise). */
  get hasSavePoints(): boolean {
    return (parseSavePoints(this.server.config.get("save")) ?? []).length > 0;
  }

  private saved(dirtyAtStart: number, counted = true): void {
    this.server.keyspace.dirty -= dirtyAtStart;
    this.lastSave = Math.floor(updateClock() / 1000);
    if (counted) this.saves++;
  }

  private finished(run: NonNullable<Persistence["running"]>, ok: boolean): void {
    if (this.running !== run) return;
    this.running = undefined;
    const snapshots = this.server.keyspace.snapshots;
    if (snapshots.includes(run.snapshot)) snapshots.splice(snapshots.indexOf(run.snapshot), 1);
    run.snapshot.release();
    this.lastBgsaveOk = ok;
    this.lastBgsaveSeconds = Math.floor((Date.now() - run.started) / 1000);
  }

}

/** rdb-save-incremental-fsync and aof-rewrite-incremental-fsync: a sync every this many bytes written (Redis's REDIS_AUTOSYNC_BYTES). */
export const AUTOSYNC_BYTES = 4 * 1024 * 1024;

/** fdatasync(2) off the event loop: clients go on being served while the disk catches up. */
function dataSync(fd: number): Promise<void> {
  return new Promise<void>((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())));
}

/**
 * Write a snapshot to `temp` a slice at a time, letting clients in between slices; then
 * (for an RDB image, `checksum` saying whether it is a real CRC64 or zeros) the 8-byte
 * trailer, an fsync, and the rename over `path`. The temporary file is removed on failure
 * or abort, so a save cut short never damages what `path` held. With `autosync`, the data
 * written is synced every AUTOSYNC_BYTES as it goes (`sync`), as Redis's rio autosync does,
 * so that the disk never has a big save's worth of dirty pages to write at once.
 */
export async function writeImageFile(
  keyspace: Keyspace, snapshot: Snapshot, temp: string, path: string, checksum: boolean | "none", aborted: () => boolean, served?: () => number,
  autosync = false, sync: (fd: number) => Promise<void> = dataSync,
): Promise<void> {
  const fd = openSync(temp, "w");
  let at = 0;
  let syncedAt = 0;
  // Writes are synchronous but bounded (a slice's output, at most a megabyte at a time):
  // the page cache takes them in well under a millisecond. Bun's FileHandle.write was
  // seen to place large asynchronous writes at the wrong offset, so it is not used.
  const append = async (bytes: Uint8Array) => {
    for (let from = 0; from < bytes.length; ) {
      const n = writeSync(fd, bytes, from, Math.min(WRITE_PIECE, bytes.length - from), at);
      from += n;
      at += n;
      // A sync at each AUTOSYNC_BYTES boundary the file passes: counted from the last sync's
      // position, the syncs of a file depended on how its slices fell (a slice's size
      // follows its time budget), and a 14 MB save synced twice or three times.
      if (autosync && Math.floor(at / AUTOSYNC_BYTES) > Math.floor(syncedAt / AUTOSYNC_BYTES)) {
        syncedAt = at;
        await sync(fd);
      }
      if (from < bytes.length) await yieldToClients();
    }
  };
  try {
    const crc = await streamSnapshot(keyspace, snapshot, append, checksum === true, aborted, served);
    if (checksum !== "none") {
      const trailer = new Uint8Array(8);
      new DataView(trailer.buffer).setBigUint64(0, crc, true);
      await append(trailer);
    }
    // fsync runs off the event loop; clients go on being served while the disk catches up.
    await new Promise<void>((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
    closeSync(fd);
  } catch (e) {
    closeSync(fd);
    await unlink(temp).catch(() => {});
    throw e;
  }
  if (aborted()) {
    await unlink(temp).catch(() => {});
    throw new Error("aborted");
  }
  await rename(temp, path);
  syncDirectory(dirname(path));
}
