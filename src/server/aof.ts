/**
 * The append-only file as the server runs it, in Redis 7's multi-part layout: a base file
 * (an RDB image, or commands without `aof-use-rdb-preamble`), incremental files of the
 * writes since, and a manifest naming them, all in `appenddirname` (formats in
 * persistence/aof.ts).
 *
 * - Every executed write reaches `feed` (through server/propagate.ts) and waits in a buffer;
 *   replies sent meanwhile are held back (Client.send). Once per turn of the event loop the
 *   buffer is written to the current incremental file with one write, and only then do the
 *   held replies go, so an acknowledged write is at least in the page cache (group commit,
 *   as Redis's beforeSleep). `appendfsync always` fsyncs there too, before the replies;
 *   `everysec` fsyncs off the event loop once a second; `no` leaves it to the kernel.
 * - A failed write keeps the buffer, answers writes -MISCONF and is retried every second
 *   until it succeeds (with `always` it is fatal, as in Redis: the write was promised).
 * - BGREWRITEAOF (or growth past `auto-aof-rewrite-percentage`) first opens a new
 *   incremental file and lists it in the manifest, then writes a point-in-time snapshot
 *   as the new base a slice at a time while clients are served, and only then names the
 *   new base in the manifest and deletes the files it replaces. A rewrite cut short leaves
 *   a manifest whose files hold everything.
 * - At start-up the manifest's files are replayed through the dispatcher by a client of
 *   the loader's own, with nothing expiring meanwhile; a torn last command is cut off when
 *   `aof-load-truncated` allows it, anything else malformed stops start-up.
 */
import { closeSync, existsSync, fdatasync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, statSync, unlinkSync, writeSync } from "node:fs";
import { DEBUG_LOADAOF_FAILED } from "../errors.ts";
import { join } from "node:path";
import { lookupCommand } from "../commands/table.ts";
import { Argv } from "../resp/argv.ts";
import { copyBytes } from "../resp/bytes.ts";
import { ReplyWriter } from "../resp/writer.ts";
import {
  type AofFile, AofError, type Manifest, baseFileName, formatManifest, incrFileName, manifestFileName, parseManifest, readCommands,
} from "../persistence/aof.ts";
import { type LoadStep, loadDelay, loadRdbSteps } from "../persistence/rdb-reader.ts";
import { writeFileAtomically } from "../persistence/rdb-writer.ts";
import { now } from "../clock.ts";
import { commandImage, encodeRdb, rdbImage, Snapshot } from "../persistence/snapshot.ts";
import { Client } from "./connection.ts";
import { processCommand } from "./dispatch.ts";
import { writeImageFile } from "./persistence.ts";
import { EXEC, Framing } from "./propagate.ts";
import type { Server } from "./server.ts";

/** Redis's aof_state: off, on, or switched on and waiting for its first rewrite. */
export type AofState = "off" | "on" | "wait-rewrite";

interface Rewrite {
  snapshot: Snapshot;
  started: number;
  aborted: boolean;
  /** The incremental file opened when the rewrite started. */
  incr: AofFile;
}

export class AppendOnly {
  state: AofState = "off";
  readonly framing = new Framing();
  private manifest: Manifest = { base: undefined, incrs: [], history: [] };
  /** Highest sequence numbers used so far for base and incremental files. */
  private baseSeq = 0;
  private incrSeq = 0;
  /** The incremental file being appended to. */
  private fd: number | undefined;
  private incr: AofFile | undefined;
  /** Writes fed but not yet written to the file, encoded as requests. */
  private readonly buffer = new ReplyWriter();
  private writeQueued = false;
  flushSleepUs = 0;
  /** Sizes of the base, of the earlier incremental files, and of the current one. */
  private baseBytes = 0;
  private olderIncrBytes = 0;
  private incrBytes = 0;
  /** aof_current_size when the last rewrite ended: what auto-rewrite growth is measured from. */
  rewriteBaseSize = 0;
  private unsynced = false;
  private fsyncing = false;
  /**
   * Files switched away from (a rewrite's new incremental file) while a background fsync of
   * theirs was under way: closed once it ends. Closed at once, the fsync failed with EBADF
   * and every write was refused with -MISCONF until the next one succeeded.
   */
  private closeAfterFsync: number[] = [];
  private fsyncFd: number | undefined;
  private lastFsync = Date.now();
  /** The last write's error (strerror text), while writes fail. */
  writeError: string | undefined;
  /** The last background fsync's error, until one succeeds (Redis's aof_bio_fsync_status). */
  private fsyncError: string | undefined;
  private lastRetry = 0;
  private rewrite: Rewrite | undefined;
  rewriteScheduled = false;
  lastRewriteOk = true;
  lastRewriteSeconds = -1;
  rewrites = 0;
  consecutiveFailures = 0;

  constructor(private readonly server: Server) {}

  /** Bytes fed but not yet written (aof_buffer_length). */
  get bufferBytes(): number {
    return this.buffer.length;
  }

  /** Why writes are refused with -MISCONF, if they are: a failed write or background fsync. */
  get diskError(): string | undefined {
    return this.writeError ?? this.fsyncError;
  }

  get on(): boolean {
    return this.state !== "off";
  }

  get rewriting(): boolean {
    return this.rewrite !== undefined;
  }

  get rewriteSeconds(): number {
    return this.rewrite === undefined ? -1 : Math.floor((Date.now() - this.rewrite.started) / 1000);
  }

  /** aof_current_size: the base and every incremental file, as written. */
  get currentSize(): number {
    return this.baseBytes + this.olderIncrBytes + this.incrBytes;
  }

  private get dir(): string {
    return join(this.server.config.get("dir"), this.server.config.get("appenddirname"));
  }

  private get prefix(): string {
    return this.server.config.get("appendfilename");
  }

  private get preamble(): boolean {
    return this.server.config.get("aof-use-rdb-preamble") === "yes";
  }

  private path(file: AofFile | string): string {
    return join(this.dir, typeof file === "string" ? file : file.name);
  }

  // ---- start-up ----

  /** Read the manifest, if there is one (also when AOF is off: CONFIG SET appendonly yes continues its numbering). */
  private readManifest(): boolean {
    const path = this.path(manifestFileName(this.prefix));
    if (!existsSync(path)) return false;
    try {
      this.manifest = parseManifest(readFileSync(path, "latin1"));
    } catch (e) {
      if (e instanceof AofError) throw new AofError(`${e.message} in ${path}`);
      throw e;
    }
    const m = this.manifest;
    this.baseSeq = Math.max(this.baseSeq, m.base?.seq ?? 0);
    this.incrSeq = Math.max(this.incrSeq, ...m.incrs.map((f) => f.seq));
    return true;
  }

  /**
   * Load the dataset from the AOF named by the manifest (the RDB file is not read when AOF
   * is on, as in Redis), in steps of loading-process-events-interval-bytes with the event
   * loop turning between them (Server.loadInSteps). Throws AofError when a file is missing
   * or malformed.
   */
  async load(): Promise<void> {
    const log = this.server.log;
    if (!this.readManifest()) return;
    const start = performance.now();
    const keyspace = this.server.keyspace;
    keyspace.loading = true;
    try {
      await this.server.loadInSteps(this.replaySteps(this.server.config.int("loading-process-events-interval-bytes")));
    } catch (e) {
      keyspace.flushAll();
      throw e;
    } finally {
      keyspace.loading = false;
    }
    // The replay's commands count for nothing, its failed ones still do (as in Redis).
    const failed = this.server.stats.unexpectedErrorReplies;
    this.server.resetStats();
    this.server.stats.unexpectedErrorReplies = failed;
    keyspace.dirty = 0;
    log.notice(`DB loaded from append only file: ${((performance.now() - start) / 1000).toFixed(3)} seconds`);
  }

  /**
   * DEBUG LOADAOF: write out what is buffered, empty the dataset and replay the AOF, then
   * answer `client` (Server.debugLoad: in steps, others answered -LOADING meanwhile). Redis
   * exits when there is no AOF or it does not load; KVIS answers an error (the dataset is
   * then empty if the AOF was found and failed part way, as Redis's would be).
   */
  reload(client: Client): void {
    const log = this.server.log;
    if (this.state === "on") this.flushAndSync();
    let found: boolean;
    try {
      found = this.readManifest();
    } catch (e) {
      log.warning(`DEBUG LOADAOF: ${(e as Error).message}`);
      throw DEBUG_LOADAOF_FAILED;
    }
    if (!found) {
      log.warning("DEBUG LOADAOF: there is no append only file to load");
      throw DEBUG_LOADAOF_FAILED;
    }
    const keyspace = this.server.keyspace;
    keyspace.flushAll();
    this.server.scripting.flushFunctions();
    keyspace.loading = true;
    // The commands replayed are not written again (to this AOF or to replicas).
    const propagation = this.server.propagation;
    propagation.targets = 0;
    this.server.debugLoad(client, this.replaySteps(this.server.config.int("loading-process-events-interval-bytes")), (failure) => {
      keyspace.loading = false;
      propagation.targets = 3;
      keyspace.dirty = 0;
      if (failure !== undefined) {
        log.warning(`DEBUG LOADAOF: ${failure.message}`);
        return DEBUG_LOADAOF_FAILED;
      }
      log.warning("Append Only File loaded by DEBUG LOADAOF");
      return undefined;
    });
  }

  /**
   * Replay the manifest's files in order, yielding after every `stepBytes` of them (an RDB
   * base's steps are its reader's) how far the load is.
   */
  private *replaySteps(stepBytes: number): Generator<LoadStep, void> {
    const log = this.server.log;
    const files = [...(this.manifest.base ? [this.manifest.base] : []), ...this.manifest.incrs];
    const sizes = files.map((file) => {
      const path = this.path(file);
      if (!existsSync(path)) throw new AofError(`The AOF file ${file.name} doesn't exist`);
      return statSync(path).size;
    });
    const totalBytes = sizes.reduce((a, b) => a + b, 0);
    let done = 0;
    for (let i = 0; i < files.length; i++) {
      const file = files[i]!;
      const began = performance.now();
      const steps = this.replayFile(file, i === files.length - 1, stepBytes);
      while (true) {
        const step = steps.next();
        if (step.done) break;
        yield { ...step.value, loadedBytes: done + step.value.loadedBytes, totalBytes };
      }
      done += sizes[i]!;
      const kind = file.type === "b" ? "base" : "incr";
      log.notice(`DB loaded from ${kind} file ${file.name}: ${((performance.now() - began) / 1000).toFixed(3)} seconds`);
    }
  }

  /** Replay one file, yielding after every `stepBytes` of it; `last` decides what a torn tail means. */
  private *replayFile(file: AofFile, last: boolean, stepBytes: number): Generator<LoadStep, void> {
    const log = this.server.log;
    const keyspace = this.server.keyspace;
    const path = this.path(file);
    if (startsWithRdbMagic(path)) {
      // An RDB base (aof-use-rdb-preamble), read a window at a time; corruption surfaces as RdbError.
      yield* loadRdbSteps(path, keyspace, undefined, this.server.scripting.loadFromImage, stepBytes);
      return;
    }
    const data = readFileSync(path);
    if (data.length === 0) return;
    const loader = this.loaderClient();
    const writer = this.server.writer;
    const argv = new Argv();
    const run = (args: Uint8Array[]) => {
      argv.clear();
      for (const a of args) argv.push(a, 0, a.length);
      if (lookupCommand(argv.buffer(0), argv.start(0), argv.end(0)) === undefined) {
        throw new AofError(`Unknown command '${argv.str(0).slice(0, 128)}' reading the append only file ${file.name}`);
      }
      writer.reset();
      writer.resp = 2;
      this.server.unexpectedFrom = "aof";
      this.server.unexpectedArgv = argv;
      try {
        processCommand(loader, argv);
      } finally {
        this.server.unexpectedFrom = this.server.unexpectedArgv = undefined;
      }
      writer.reset();
      if (keyspace.keyLoadDelay !== 0) loadDelay(keyspace.keyLoadDelay);
    };
    let result;
    for (let at = 0; ; ) {
      try {
        result = readCommands(data, at, run, at + stepBytes);
      } catch (e) {
        if (e instanceof AofError && e.message.startsWith("Bad file format")) {
          throw new AofError(`${e.message.replace("the append only file", `the append only file ${file.name}`)}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>`);
        }
        throw e;
      }
      if (result.stoppedAt === undefined) break;
      at = result.stoppedAt;
      yield { loadedBytes: at, totalBytes: data.length, keys: keyspace.dbs.reduce((n, db) => n + db.size, 0), expired: 0, usedMem: 0 };
    }
    if (!result.truncated) return;
    if (!last) throw new AofError(`Fatal error: the truncated file ${file.name} is not the last file`);
    if (this.server.config.get("aof-load-truncated") !== "yes") {
      throw new AofError(
        `Unexpected end of file reading the append only file ${file.name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`,
      );
    }
    const validUpTo = result.validOutsideMulti;
    if (result.validUpTo !== validUpTo) log.warning("Revert incomplete MULTI/EXEC transaction in AOF file");
    log.warning(`!!! Warning: short read while loading the AOF file ${file.name}!!!`);
    log.warning(`!!! Truncating the AOF ${file.name} at offset ${validUpTo} !!!`);
    ftruncateFile(this.path(file), validUpTo);
    log.warning(`AOF ${file.name} loaded anyway because aof-load-truncated is enabled`);
  }

  /** A client with every permission whose replies are inspected, not sent. */
  private loaderClient(): Client {
    const client = new Client(this.server, { write: (d) => d.length, end: () => {}, terminate: () => {} }, "aof", "");
    client.setUser(this.server.acl.superuser, true);
    client.aofLoader = true;
    return client;
  }

  /**
   * With `appendonly yes`, after loading: create the base (when the manifest names no file
   * at all) and an incremental file as Redis does on server start, then append to the last
   * incremental file.
   */
  openAtStart(): void {
    mkdirSync(this.dir, { recursive: true });
    const m = this.manifest;
    let changed = false;
    if (m.base === undefined && m.incrs.length === 0) {
      const base: AofFile = { name: baseFileName(this.prefix, ++this.baseSeq, this.preamble), seq: this.baseSeq, type: "b" };
      // Nothing was loaded (no file was named), so the base holds an empty dataset: an RDB
      // image of no keys, or no commands.
      writeFileAtomically(this.path(base), this.preamble ? encodeRdb(this.server.keyspace, { ...this.server.rdbOptions(), aofBase: true }) : new Uint8Array(0));
      m.base = base;
      changed = true;
      this.server.log.notice(`Creating AOF base file ${base.name} on server start`);
    }
    if (m.incrs.length === 0) {
      const incr: AofFile = { name: incrFileName(this.prefix, ++this.incrSeq), seq: this.incrSeq, type: "i" };
      m.incrs.push(incr);
      changed = true;
      this.server.log.notice(`Creating AOF incr file ${incr.name} on server start`);
    }
    this.openIncr(m.incrs[m.incrs.length - 1]!);
    if (changed) this.persistManifest();
    this.deleteHistory();
    this.measure();
    this.rewriteBaseSize = this.currentSize;
    this.state = "on";
  }

  private openIncr(file: AofFile): void {
    const fd = openSync(this.path(file), "a");
    if (this.fd !== undefined) this.closeFile(this.fd);
    this.fd = fd;
    this.incr = file;
    this.incrBytes = statSync(this.path(file)).size;
    // Each file starts with a SELECT, so that it can be read on its own.
    this.framing.db = -1;
  }

  /** Sizes of the files the manifest names, for INFO and auto-rewrite. */
  private measure(): void {
    const size = (f: AofFile) => (existsSync(this.path(f)) ? statSync(this.path(f)).size : 0);
    this.baseBytes = this.manifest.base ? size(this.manifest.base) : 0;
    this.olderIncrBytes = this.manifest.incrs.filter((f) => f !== this.incr).reduce((n, f) => n + size(f), 0);
  }

  private persistManifest(): void {
    writeFileAtomically(this.path(manifestFileName(this.prefix)), Buffer.from(formatManifest(this.manifest), "latin1"));
  }

  /**
   * Remove the history files (the manifest's `h` entries, what a rewrite replaced), unless
   * aof-disable-auto-gc keeps them, as Redis's aofDelHistoryFiles; setting it back to no
   * removes them then.
   */
  deleteHistory(): void {
    if (this.manifest.history.length === 0 || this.server.config.get("aof-disable-auto-gc") === "yes") return;
    const live = new Set([this.manifest.base?.name, ...this.manifest.incrs.map((f) => f.name)]);
    for (const f of this.manifest.history) {
      if (live.has(f.name)) continue;
      this.server.log.notice(`Removing the history file ${f.name}`);
      try {
        unlinkSync(this.path(f));
      } catch {}
    }
    this.manifest.history = [];
    this.persistManifest();
  }

  // ---- writing ----

  /** An executed write, framed with SELECT (and MULTI/EXEC by server/propagate.ts). */
  feed(db: number, commands: ReadonlyArray<ReadonlyArray<string | Uint8Array>>): void {
    this.framing.encode(db, commands, this.appendFn);
  }

  /** EXEC is over: its EXEC follows if any of its writes was fed. */
  endTransaction(): void {
    if (this.framing.end(this.appendFn)) this.append(EXEC);
  }

  private readonly appendFn = (request: ReadonlyArray<string | Uint8Array>) => this.append(request);
  /** Clients whose replies wait for the buffer to reach the file. */
  private held: Client[] = [];
  private readonly writeFn = () => {
    this.writeQueued = false;
    this.write();
    this.release();
  };

  /** aof-timestamp-enabled, kept by its apply; and the second of the last `#TS:` annotation written. */
  timestamps = false;
  private annotatedSecond = 0;

  private append(request: ReadonlyArray<string | Uint8Array>): void {
    // aof-timestamp-enabled: a `#TS:<unix seconds>` line before the first write of each
    // second, by the clock the commands ran with, as Redis annotates its AOF (redis-check-aof
    // --truncate-to-timestamp cuts the file there).
    if (this.timestamps) {
      const second = Math.floor(now() / 1000);
      if (second > this.annotatedSecond) {
        this.annotatedSecond = second;
        this.buffer.raw(Buffer.from(`#TS:${second}\r\n`, "latin1"));
      }
    }
    this.buffer.request(request);
    this.queueWrite();
  }

  /** A client's reply acknowledges a write still in the buffer: it waits for `release`. */
  hold(client: Client): void {
    this.held.push(client);
    this.queueWrite();
  }

  /**
   * Once per turn of the event loop: one write (and with `always` one fsync) for every
   * client served in it, as Redis's beforeSleep does, then their replies. A failed write
   * still lets them go: the data is in memory and the buffer is retried, as in Redis.
   */
  private queueWrite(): void {
    if (this.writeQueued) return;
    this.writeQueued = true;
    setImmediate(this.writeFn);
  }

  private release(): void {
    const held = this.held;
    if (held.length === 0) return;
    this.held = [];
    for (const c of held) c.onDrain();
  }

  /**
   * Write the buffer to the current incremental file (before replies go out). On failure
   * the buffer is kept and writes are refused with -MISCONF until a retry succeeds.
   */
  write(): void {
    if (this.buffer.length === 0 || this.fd === undefined) return;
    if (this.flushSleepUs > 0) Bun.sleepSync(this.flushSleepUs / 1000);
    const data = this.buffer.view();
    const always = this.server.config.get("appendfsync") === "always";
    let written = 0;
    try {
      while (written < data.length) written += writeSync(this.fd, data, written, data.length - written);
    } catch (e) {
      this.writeFailed(e as NodeJS.ErrnoException, data, written, always);
      return;
    }
    this.buffer.reset();
    this.incrBytes += data.length;
    if (this.writeError !== undefined) {
      this.writeError = undefined;
      this.server.log.warning("AOF write error looks solved, KVIS can write again.");
    }
    if (always && !this.fsyncPaused) {
      try {
        fdatasyncSync(this.fd);
      } catch (e) {
        this.fatal(`Can't persist AOF for fsync error when the AOF fsync policy is 'always': ${(e as Error).message}. Exiting...`);
      }
      this.lastFsync = Date.now();
    } else this.unsynced = true;
  }

  private writeFailed(e: NodeJS.ErrnoException, data: Uint8Array, written: number, always: boolean): void {
    const reason = strerror(e);
    if (written > 0) {
      // Take back the part that made it, so the file never ends in half a command.
      try {
        ftruncateSync(this.fd!, this.incrBytes);
        written = 0;
      } catch {
        this.incrBytes += written;
      }
    }
    if (written > 0) {
      const rest = copyBytes(data, written);
      this.buffer.reset();
      this.buffer.raw(rest);
    }
    if (always) this.fatal(`Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...`);
    if (this.writeError === undefined) this.server.log.warning(`Error writing to the AOF file: ${reason}`);
    this.writeError = reason;
    this.lastRetry = Date.now();
  }

  private fatal(message: string): never {
    this.server.log.warning(message);
    process.exit(1);
  }

  /** From the cron: retry a failed write, fsync once a second, start due rewrites. */
  cron(now: number): void {
    // A rewrite starts once nothing is saving and the dataset is whole (not while it loads);
    // a scheduled one (BGREWRITEAOF behind a save or in a transaction) with the AOF off too.
    const idle = this.rewrite === undefined && !this.server.persistence.bgsaveInProgress && !this.server.loadingDataset;
    if (this.state === "off") {
      if (idle && this.rewriteScheduled) this.startRewrite();
      return;
    }
    if (this.writeError !== undefined && now - this.lastRetry >= 1000) {
      this.lastRetry = now;
      this.write();
    }
    if (this.unsynced && !this.fsyncing && !this.fsyncPaused && now - this.lastFsync >= 1000 && this.server.config.get("appendfsync") === "everysec") {
      this.fsyncing = true;
      this.unsynced = false;
      this.fsyncFd = this.fd!;
      fdatasync(this.fd!, (e) => {
        this.fsyncing = false;
        this.fsyncFd = undefined;
        for (const fd of this.closeAfterFsync.splice(0)) closeSync(fd);
        this.lastFsync = Date.now();
        if (e && this.fsyncError === undefined) this.server.log.warning(`Error syncing the AOF file: ${strerror(e)}`);
        this.fsyncError = e ? strerror(e) : undefined;
        // Not synced after all: the next round tries again.
        if (e) this.unsynced = true;
      });
    }
    if (!idle) return;
    if (this.rewriteScheduled) {
      this.startRewrite();
      return;
    }
    const percentage = this.server.config.int("auto-aof-rewrite-percentage");
    const size = this.currentSize;
    if (this.state === "on" && percentage > 0 && size > this.server.config.int("auto-aof-rewrite-min-size")) {
      const base = this.rewriteBaseSize > 0 ? this.rewriteBaseSize : 1;
      const growth = Math.floor((size * 100) / base) - 100;
      if (growth >= percentage) {
        this.server.log.notice(`Starting automatic rewriting of AOF on ${growth}% growth`);
        this.startRewrite();
      }
    }
  }

  /** no-appendfsync-on-rewrite: fsyncs wait while a rewrite or a save writes its file. */
  private get fsyncPaused(): boolean {
    return this.server.config.get("no-appendfsync-on-rewrite") === "yes" && (this.rewrite !== undefined || this.server.persistence.bgsaveInProgress);
  }

  /** Close a file written to, or leave it to the background fsync under way on it (closeAfterFsync). */
  private closeFile(fd: number): void {
    if (this.fsyncing && fd === this.fsyncFd) this.closeAfterFsync.push(fd);
    else closeSync(fd);
  }

  /** Write and fsync what is buffered (shutdown, appendonly no, a rewrite's switch of files). */
  private flushAndSync(): void {
    this.write();
    if (this.fd !== undefined && this.unsynced) {
      try {
        fdatasyncSync(this.fd);
      } catch {}
      this.unsynced = false;
    }
  }

  // ---- rewriting ----

  /**
   * BGREWRITEAOF: what happened to the request. `later`: inside a transaction, where Redis
   * schedules the rewrite for when the transaction is over.
   */
  startRewrite(later = false): "started" | "scheduled" | "in-progress" {
    if (this.rewrite !== undefined) return "in-progress";
    if (later || this.server.persistence.bgsaveInProgress) {
      this.rewriteScheduled = true;
      return "scheduled";
    }
    this.rewriteScheduled = false;
    const log = this.server.log;
    mkdirSync(this.dir, { recursive: true });
    // New writes go to a new incremental file from the moment the snapshot is taken.
    this.flushAndSync();
    const incr: AofFile = { name: incrFileName(this.prefix, ++this.incrSeq), seq: this.incrSeq, type: "i" };
    const previous = this.incr;
    this.openIncr(incr);
    if (this.state === "on") {
      this.manifest.incrs.push(incr);
      this.persistManifest();
      log.notice(`Creating AOF incr file ${incr.name} on background rewrite`);
    }
    if (previous !== undefined) this.measure();
    const timestamp = this.timestamps ? Math.floor(Date.now() / 1000) : undefined;
    const options = { ...this.server.rdbOptions(), aofBase: true, aofTimestamp: timestamp };
    const preamble = this.preamble;
    const snapshot = new Snapshot(this.server.keyspace, options, preamble ? rdbImage(options) : commandImage(options));
    const run: Rewrite = { snapshot, started: Date.now(), aborted: false, incr };
    this.rewrite = run;
    log.notice("Background append only file rewriting started");
    const base: AofFile = { name: baseFileName(this.prefix, this.baseSeq + 1, preamble), seq: this.baseSeq + 1, type: "b" };
    const temp = join(this.server.config.get("dir"), `temp-rewriteaof-bg-${process.pid}.aof`);
    const served = () => this.server.stats.readsProcessed;
    const autosync = this.server.config.get("aof-rewrite-incremental-fsync") === "yes";
    writeImageFile(this.server.keyspace, snapshot, temp, this.path(base), preamble ? options.checksum : "none", () => run.aborted, served, autosync).then(
      () => {
        if (run.aborted) return;
        this.rewriteDone(run, base);
      },
      (e) => {
        if (run.aborted) return;
        this.rewriteFinished(run, false);
        log.warning(`Background AOF rewrite failed: ${(e as Error).message}`);
        // Switched on at run time, AOF has no complete file until a rewrite succeeds.
        if (this.state === "wait-rewrite") this.rewriteScheduled = true;
      },
    );
    return "started";
  }

  private rewriteDone(run: Rewrite, base: AofFile): void {
    const log = this.server.log;
    log.notice(`Successfully renamed the temporary AOF base file into ${base.name}`);
    this.baseSeq = base.seq;
    const m = this.manifest;
    // Everything before the rewrite's incremental file is history now, listed as Redis lists
    // it: the replaced incremental files (oldest first), the replaced base, older history.
    const replaced = [...m.incrs.filter((f) => f.seq < run.incr.seq), ...(m.base ? [m.base] : [])];
    const history = [...replaced.map((f) => ({ ...f, type: "h" as const })), ...m.history];
    this.manifest = { base, incrs: m.incrs.includes(run.incr) ? m.incrs.filter((f) => f.seq >= run.incr.seq) : [run.incr], history };
    this.persistManifest();
    this.deleteHistory();
    this.measure();
    this.rewriteBaseSize = this.currentSize;
    this.rewriteFinished(run, true);
    if (this.state === "wait-rewrite") {
      this.state = "on";
      log.notice("AOF rewrite successful: append only file is on");
    }
    log.notice("Background AOF rewrite finished successfully");
  }

  private rewriteFinished(run: Rewrite, ok: boolean): void {
    if (this.rewrite !== run) return;
    this.rewrite = undefined;
    this.lastRewriteOk = ok;
    this.lastRewriteSeconds = Math.floor((Date.now() - run.started) / 1000);
    if (ok) {
      this.rewrites++;
      this.consecutiveFailures = 0;
    } else this.consecutiveFailures++;
  }

  private abortRewrite(): void {
    const run = this.rewrite;
    if (run === undefined) return;
    run.aborted = true;
    this.server.log.notice("Killing running AOF rewrite");
    this.rewriteFinished(run, false);
  }

  // ---- switching on and off ----

  /** CONFIG SET appendonly yes: start writing, and rewrite to have a complete base. */
  enable(): void {
    if (this.state !== "off") return;
    this.readManifest();
    this.state = "wait-rewrite";
    // As Redis: behind a save, or inside a transaction (CONFIG SET in MULTI), the rewrite waits.
    if (this.server.persistence.bgsaveInProgress) {
      this.server.log.warning("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
      this.rewriteScheduled = true;
    } else if (this.server.executing?.inExec) {
      this.server.log.warning("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.");
      this.rewriteScheduled = true;
    } else this.startRewrite();
  }

  /** CONFIG SET appendonly no (and shutdown): everything written and synced, files closed. */
  disable(): void {
    if (this.state === "off") return;
    this.abortRewrite();
    this.flushAndSync();
    if (this.fd !== undefined) this.closeFile(this.fd);
    this.fd = undefined;
    this.incr = undefined;
    this.buffer.reset();
    this.rewriteScheduled = false;
    this.state = "off";
    this.release();
  }

  /** INFO persistence's AOF fields. */
  info(): string[] {
    const lines = [
      `aof_enabled:${this.state !== "off" ? 1 : 0}`,
      `aof_rewrite_in_progress:${this.rewrite !== undefined ? 1 : 0}`,
      `aof_rewrite_scheduled:${this.rewriteScheduled ? 1 : 0}`,
      `aof_last_rewrite_time_sec:${this.lastRewriteSeconds}`,
      `aof_current_rewrite_time_sec:${this.rewriteSeconds}`,
      `aof_last_bgrewrite_status:${this.lastRewriteOk ? "ok" : "err"}`,
      `aof_rewrites:${this.rewrites}`,
      `aof_rewrites_consecutive_failures:${this.consecutiveFailures}`,
      `aof_last_write_status:${this.diskError === undefined ? "ok" : "err"}`,
      `aof_last_cow_size:0`,
      `module_fork_in_progress:0`,
      `module_fork_last_cow_size:0`,
    ];
    if (this.state !== "off") {
      lines.push(
        `aof_current_size:${this.currentSize}`,
        `aof_base_size:${this.rewriteBaseSize}`,
        `aof_pending_rewrite:${this.rewriteScheduled ? 1 : 0}`,
        `aof_buffer_length:${this.bufferBytes}`,
        `aof_pending_bio_fsync:${this.fsyncing ? 1 : 0}`,
        `aof_delayed_fsync:0`,
      );
    }
    return lines;
  }
}

function ftruncateFile(path: string, size: number): void {
  const fd = openSync(path, "r+");
  try {
    ftruncateSync(fd, size);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The C library's text for an errno, as Redis prints it (strerror). */
function strerror(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case "ENOSPC":
      return "No space left on device";
    case "EIO":
      return "Input/output error";
    case "EDQUOT":
      return "Disk quota exceeded";
    case "EFBIG":
      return "File too large";
    case "EBADF":
      return "Bad file descriptor";
    case "EROFS":
      return "Read-only file system";
    default:
      return e.message;
  }
}

/** Whether the file begins as an RDB image does ("REDIS"). */
function startsWithRdbMagic(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(5);
    return readSync(fd, head, 0, 5, 0) === 5 && head.toString("latin1") === "REDIS";
  } finally {
    closeSync(fd);
  }
}
