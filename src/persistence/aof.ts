/**
 * The append-only file's formats, as Redis 7 lays them out (aof.c), with no server in
 * sight: the manifest that names a base file and the incremental files after it, the strict
 * reader of the RESP commands those files hold, and the commands that rebuild one key (the
 * base file of a rewrite without an RDB preamble).
 *
 * A manifest is one line per file, `file <name> seq <n> type <b|h|i>`: at most one base
 * (b), history files (h) waiting to be deleted, and incremental files (i) in the order they
 * are replayed. Files live in `appenddirname`; their names are `<appendfilename>.<seq>.base.rdb`
 * (or `.base.aof`) and `<appendfilename>.<seq>.incr.aof`.
 */
import { formatDouble, lowerAscii, parseInt64 } from "../resp/bytes.ts";
import { HashValue } from "../store/hash.ts";
import { isStringValue, type StoredValue, stringOf } from "../store/keyspace.ts";
import { ListValue } from "../store/list.ts";
import { SetValue } from "../store/set.ts";
import { StreamValue, formatId, INVALID_ENTRIES_READ } from "../store/stream.ts";
import { encodeRequest } from "../resp/writer.ts";
import type { ByteSink } from "./rdb-writer.ts";

export type AofFileType = "b" | "h" | "i";

export interface AofFile {
  name: string;
  seq: number;
  type: AofFileType;
}

export interface Manifest {
  base: AofFile | undefined;
  incrs: AofFile[];
  history: AofFile[];
}

/** A manifest or AOF that cannot be loaded: start-up stops with this message. */
export class AofError extends Error {}

export const baseFileName = (prefix: string, seq: number, rdb: boolean): string => `${prefix}.${seq}.base.${rdb ? "rdb" : "aof"}`;
export const incrFileName = (prefix: string, seq: number): string => `${prefix}.${seq}.incr.aof`;
export const manifestFileName = (prefix: string): string => `${prefix}.manifest`;

/** Parse a manifest as Redis's aofLoadManifestFromFile does; `#` lines are comments. */
export function parseManifest(text: string): Manifest {
  const manifest: Manifest = { base: undefined, incrs: [], history: [] };
  const invalid = () => new AofError("Invalid AOF manifest file format");
  for (const rawLine of text.split("\n")) {
    const line = rawLine.replace(/\r$/, "").trim();
    if (line === "" || line.startsWith("#")) continue;
    const words = splitQuoted(line);
    if (words === undefined || words.length % 2 !== 0) throw invalid();
    let name: string | undefined;
    let seq: number | undefined;
    let type: string | undefined;
    for (let i = 0; i < words.length; i += 2) {
      const [k, v] = [words[i]!, words[i + 1]!];
      if (k === "file") name = v;
      else if (k === "seq") seq = /^\d+$/.test(v) ? Number(v) : undefined;
      else if (k === "type") type = v;
    }
    if (name === undefined || seq === undefined || (type !== "b" && type !== "h" && type !== "i")) throw invalid();
    const file: AofFile = { name, seq, type };
    if (type === "b") {
      if (manifest.base !== undefined) throw new AofError("Found duplicate base file information");
      manifest.base = file;
    } else if (type === "h") manifest.history.push(file);
    else {
      const last = manifest.incrs[manifest.incrs.length - 1];
      if (last !== undefined && seq <= last.seq) throw new AofError("Found a non-monotonic sequence number");
      manifest.incrs.push(file);
    }
  }
  if (manifest.base === undefined && manifest.incrs.length === 0 && manifest.history.length === 0) throw new AofError("Found an empty AOF manifest");
  return manifest;
}

export function formatManifest(m: Manifest): string {
  const line = (f: AofFile) => `file ${/[\s"'\\]/.test(f.name) ? JSON.stringify(f.name) : f.name} seq ${f.seq} type ${f.type}\n`;
  return [...(m.base ? [m.base] : []), ...m.history, ...m.incrs].map(line).join("");
}

/** Split a line into words, honouring "double" and 'single' quotes (sdssplitargs, simplified). */
function splitQuoted(line: string): string[] | undefined {
  const words: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+))/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < line.length && (m = re.exec(line)) !== null) {
    at = re.lastIndex;
    if (m[1] !== undefined) {
      try {
        words.push(JSON.parse(`"${m[1]}"`) as string);
      } catch {
        return undefined;
      }
    } else words.push(m[2] ?? m[3]!);
  }
  return at >= line.trimEnd().length ? words : undefined;
}

/** How reading a file of commands ended. */
export interface ReadResult {
  /** Offset just past the last complete command. */
  validUpTo: number;
  /** Offset just past the last complete command outside MULTI ... EXEC. */
  validOutsideMulti: number;
  /** The file ended inside a command (or inside MULTI): a torn tail, not corruption. */
  truncated: boolean;
  /** Where reading stopped, once past `stopAfter` (at a command outside MULTI): the rest is still to read. */
  stoppedAt?: number;
  /** Commands read. */
  commands: number;
}

const CR = 13;
const LF = 10;

/**
 * Read the RESP commands of an AOF from `start`, handing each to `run` as views into `data`.
 * Lines starting with `#` (annotations) are skipped. A malformed command throws AofError
 * with its offset; a file that simply ends early is reported as truncated. Reading stops
 * early at the first command boundary outside MULTI past `stopAfter` (stoppedAt).
 */
export function readCommands(data: Uint8Array, start: number, run: (args: Uint8Array[]) => void, stopAfter = Infinity): ReadResult {
  let pos = start;
  let inMulti = false;
  const result: ReadResult = { validUpTo: start, validOutsideMulti: start, truncated: false, commands: 0 };
  const end = data.length;
  const bad = (at: number, what: string) => new AofError(`Bad file format reading the append only file (${what} at offset ${at})`);
  /** Where the line starting at `at` ends (its CR), or -1 when the file ends first. */
  const lineEnd = (at: number): number => {
    const lf = data.indexOf(LF, at);
    if (lf < 0) return -1;
    if (lf === at || data[lf - 1] !== CR) throw bad(at, "no CRLF");
    return lf - 1;
  };
  /** The count after `*` or `$` on the line [at, cr): a non-negative integer, else -1. */
  const count = (at: number, cr: number): number => {
    const n = parseInt64(data, at + 1, cr);
    return n === undefined || n < 0 || data[at + 1] === 0x2d /* - */ ? -1 : n;
  };
  outer: while (pos < end) {
    if (data[pos] === 0x23 /* # */) {
      const cr = lineEnd(pos);
      if (cr < 0) break;
      pos = cr + 2;
      result.validUpTo = pos;
      if (!inMulti) result.validOutsideMulti = pos;
      continue;
    }
    if (data[pos] !== 0x2a /* * */) throw bad(pos, "expected '*'");
    const headerEnd = lineEnd(pos);
    if (headerEnd < 0) break;
    const argc = count(pos, headerEnd);
    if (argc < 1) throw bad(pos, "invalid argument count");
    let at = headerEnd + 2;
    const args: Uint8Array[] = [];
    for (let i = 0; i < argc; i++) {
      if (at >= end) break outer;
      if (data[at] !== 0x24 /* $ */) throw bad(at, "expected '$'");
      const cr = lineEnd(at);
      if (cr < 0) break outer;
      const len = count(at, cr);
      if (len < 0) throw bad(at, "invalid bulk length");
      const from = cr + 2;
      if (from + len + 2 > end) break outer;
      if (data[from + len] !== CR || data[from + len + 1] !== LF) throw bad(from + len, "bulk not followed by CRLF");
      args.push(data.subarray(from, from + len));
      at = from + len + 2;
    }
    run(args);
    result.commands++;
    pos = at;
    result.validUpTo = pos;
    const name = args[0]!.length <= 7 ? lowerAscii(args[0]!) : "";
    if (name === "multi") inMulti = true;
    else if (name === "exec" || name === "discard") inMulti = false;
    if (!inMulti) {
      result.validOutsideMulti = pos;
      if (pos >= stopAfter && pos < end) {
        result.stoppedAt = pos;
        return result;
      }
    }
  }
  result.truncated = pos < end || inMulti;
  return result;
}

/** Redis's AOF_REWRITE_ITEMS_PER_CMD: elements per command when a rewrite rebuilds an aggregate. */
const ITEMS_PER_COMMAND = 64;

/** Append one command as RESP (the encoder the replication stream uses). */
export function writeCommand(out: ByteSink, args: ReadonlyArray<string | Uint8Array>): void {
  out.append(encodeRequest(args));
}

/** Commands of the form `CMD key item...`, at most ITEMS_PER_COMMAND items each. */
function writeBatched(out: ByteSink, name: string, key: string, items: Iterable<string[]>): void {
  let batch: string[] = [];
  let count = 0;
  for (const item of items) {
    batch.push(...item);
    if (++count === ITEMS_PER_COMMAND) {
      writeCommand(out, [name, key, ...batch]);
      batch = [];
      count = 0;
    }
  }
  if (count > 0) writeCommand(out, [name, key, ...batch]);
}

function* map<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}

/**
 * The commands that rebuild `key` with `value` and its deadline (rewriteAppendOnlyFileRio):
 * SET, RPUSH, SADD, ZADD and HMSET in batches; a stream as its entries, XSETID, its groups,
 * consumers and pending entries; then PEXPIREAT.
 */
export function writeKeyAsCommands(out: ByteSink, key: string, value: StoredValue, expireAt: number | undefined): void {
  if (isStringValue(value)) writeCommand(out, ["SET", key, stringOf(value)]);
  else if (value instanceof ListValue) writeBatched(out, "RPUSH", key, map(value, (item) => [item]));
  else if (value instanceof SetValue) writeBatched(out, "SADD", key, map(value.values(), (m) => [m]));
  else if (value instanceof HashValue) writeBatched(out, "HMSET", key, value.entries());
  else if (value instanceof StreamValue) writeStream(out, key, value);
  else writeBatched(out, "ZADD", key, map(value.entries(), (e) => [formatDouble(e.score), e.member]));
  if (expireAt !== undefined) writeCommand(out, ["PEXPIREAT", key, String(expireAt)]);
}

function writeStream(out: ByteSink, key: string, s: StreamValue): void {
  if (s.length > 0) {
    s.forEach(0n, (1n << 128n) - 1n, false, (id, fields) => void writeCommand(out, ["XADD", key, formatId(id), ...fields]));
  } else {
    // An empty stream must still exist: add an entry and trim it away (as Redis does). Its ID
    // is 0-1, the least XADD takes; XSETID below puts the real last ID back (0-0 included).
    writeCommand(out, ["XADD", key, "MAXLEN", "0", "0-1", "x", "y"]);
  }
  writeCommand(out, ["XSETID", key, formatId(s.lastId), "ENTRIESADDED", String(s.entriesAdded), "MAXDELETEDID", formatId(s.maxDeletedId)]);
  for (const group of s.sortedGroups()) {
    const created = ["XGROUP", "CREATE", key, group.name, formatId(group.lastId)];
    if (group.entriesRead !== INVALID_ENTRIES_READ) created.push("ENTRIESREAD", String(group.entriesRead));
    writeCommand(out, created);
    for (const consumer of group.sortedConsumers()) {
      if (consumer.pel.size === 0) {
        writeCommand(out, ["XGROUP", "CREATECONSUMER", key, group.name, consumer.name]);
        continue;
      }
      for (const entry of consumer.pel.range()) {
        writeCommand(out, [
          "XCLAIM", key, group.name, consumer.name, "0", formatId(entry.id),
          "TIME", String(entry.deliveryTime), "RETRYCOUNT", String(entry.deliveryCount), "JUSTID", "FORCE",
        ]);
      }
    }
  }
}
