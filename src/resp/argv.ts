/**
 * Argv: a request's arguments as byte ranges of the buffers they arrived in, the form the
 * parser hands to the dispatcher. Making a Uint8Array view per argument cost 44 ns each
 * (a third of a pipelined SET); a range costs nothing, and the handler decodes straight
 * from the read buffer into the string it keeps (`str`), parses numbers in place (`int`)
 * or asks for a view (`bytes`) only where bytes are really needed.
 *
 * The parser reuses one Argv per connection: an Argv and every view taken from it are
 * valid only until the handler returns. Nothing here knows about commands.
 */
import { NOT_INTEGER } from "../errors.ts";
import { copyRange, latin1Slice, parseInt64, parseInt64Big } from "./bytes.ts";

export class Argv {
  length = 0;
  private bufs: Uint8Array[] = [];
  private starts: number[] = [];
  private ends: number[] = [];

  /** Arguments from plain strings (tests, inline requests, internal callers). */
  static of(...args: Array<string | Uint8Array>): Argv {
    const argv = new Argv();
    for (const a of args) {
      const b = typeof a === "string" ? Buffer.from(a, "latin1") : a;
      argv.push(b, 0, b.length);
    }
    return argv;
  }

  /** A copy that owns its bytes: for arguments kept past the read (MULTI's queue). */
  copy(): Argv {
    const argv = new Argv();
    for (let i = 0; i < this.length; i++) {
      const b = this.bufs[i]!.slice(this.starts[i]!, this.ends[i]!);
      argv.push(b, 0, b.length);
    }
    return argv;
  }

  push(buf: Uint8Array, start: number, end: number): void {
    const i = this.length++;
    this.bufs[i] = buf;
    this.starts[i] = start;
    this.ends[i] = end;
  }

  clear(): void {
    // Dropping the buffer references lets a large read be collected.
    for (let i = 0; i < this.length; i++) this.bufs[i] = EMPTY;
    this.length = 0;
  }

  /**
   * Copy the arguments from index `from` that are ranges of `chunk` into buffers of their
   * own: the parser calls this when a read ends inside a request, since the runtime may
   * reuse the read's buffer.
   */
  detach(from: number, chunk: Uint8Array): void {
    for (let i = from; i < this.length; i++) {
      if (this.bufs[i] !== chunk) continue;
      this.bufs[i] = chunk.slice(this.starts[i], this.ends[i]);
      this.starts[i] = 0;
      this.ends[i] = this.bufs[i]!.length;
    }
  }

  /**
   * The argument as a byte string (one char per byte), as keys and values are kept. A
   * short argument equal to the last one of its length decoded is that same string: a
   * script's commands and a client's requests name the same keys again and again, and the
   * string keeps the hash the keyspace's maps computed for it, where a fresh one is decoded
   * (35 ns) and hashed again.
   */
  str(i: number): string {
    const buf = this.bufs[i]!;
    const start = this.starts[i]!;
    const n = this.ends[i]! - start;
    if (n > RECENT_MAX) return latin1Slice.call(buf, start, start + n);
    // From the end: keys that differ mostly differ in their last bytes (user:1001, user:1002).
    const last = recent[n]!;
    let j = n;
    while (j > 0 && last.charCodeAt(j - 1) === buf[start + j - 1]) j--;
    return j === 0 ? last : (recent[n] = latin1Slice.call(buf, start, start + n));
  }

  /** The argument's bytes: a view, valid until the handler returns. */
  bytes(i: number): Uint8Array {
    return this.bufs[i]!.subarray(this.starts[i], this.ends[i]);
  }

  /** The argument's first byte, or -1 when it is empty. */
  firstByte(i: number): number {
    return this.ends[i]! > this.starts[i]! ? this.bufs[i]![this.starts[i]!]! : -1;
  }

  /** Copy the argument's bytes into `target` at `at`; returns its length. */
  copyTo(i: number, target: Uint8Array, at: number): number {
    const start = this.starts[i]!;
    const end = this.ends[i]!;
    copyRange(this.bufs[i]!, start, end, target, at);
    return end - start;
  }

  /** The arguments' bytes, all together (CLIENT LIST's argv-mem and multi-mem). */
  byteLength(): number {
    let n = 0;
    for (let i = 0; i < this.length; i++) n += this.ends[i]! - this.starts[i]!;
    return n;
  }

  /** The argument's length in bytes. */
  len(i: number): number {
    return this.ends[i]! - this.starts[i]!;
  }

  /** The argument as a 64-bit integer, or `value is not an integer or out of range`. */
  int(i: number): number {
    const n = parseInt64(this.bufs[i]!, this.starts[i], this.ends[i]);
    if (n === undefined) throw NOT_INTEGER;
    return n;
  }

  /** As int(), exact: a BigInt beyond 2^53, where a double would round it. */
  exactInt(i: number): number | bigint {
    const n = this.int(i);
    return Number.isSafeInteger(n) ? n : parseInt64Big(this.bufs[i]!, this.starts[i], this.ends[i])!;
  }

  /** The argument ASCII-lowercased, for matching option keywords and names. */
  keyword(i: number): string {
    const buf = this.bufs[i]!;
    const start = this.starts[i]!;
    const end = this.ends[i]!;
    const n = end - start;
    // As str(), the last keyword of each length is kept: requests repeat their options.
    const last = n <= KEYWORD_MAX ? recentKeywords[n]! : undefined;
    if (last !== undefined) {
      let j = 0;
      while (j < n && lowerByte(buf[start + j]!) === last.charCodeAt(j)) j++;
      if (j === n) return last;
    }
    let s = "";
    for (let j = start; j < end; j++) s += String.fromCharCode(lowerByte(buf[j]!));
    if (n <= KEYWORD_MAX) recentKeywords[n] = s;
    return s;
  }

  /** Arguments [from, to) as byte strings. */
  strs(from: number, to = this.length): string[] {
    const out: string[] = [];
    for (let i = from; i < to; i++) out.push(this.str(i));
    return out;
  }

  /** Arguments [from, to) as views (valid until the handler returns). */
  views(from = 0, to = this.length): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = from; i < to; i++) out.push(this.bytes(i));
    return out;
  }

  /** Argument i as a 64-bit integer, or undefined (for callers with an error of their own). */
  tryInt(i: number): number | undefined {
    return parseInt64(this.bufs[i]!, this.starts[i], this.ends[i]);
  }

  /** Whether argument i is exactly these bytes. */
  equals(i: number, bytes: Uint8Array): boolean {
    const buf = this.bufs[i]!;
    const start = this.starts[i]!;
    if (this.ends[i]! - start !== bytes.length) return false;
    for (let j = 0; j < bytes.length; j++) if (bytes[j] !== buf[start + j]) return false;
    return true;
  }

  /**
   * The buffer argument i lies in, and where (`start`, `end`), for code that hashes bytes
   * in place. Three accessors rather than one [buf, start, end]: that array, made for
   * every request's command name, cost 25 ns.
   */
  buffer(i: number): Uint8Array {
    return this.bufs[i]!;
  }

  start(i: number): number {
    return this.starts[i]!;
  }

  end(i: number): number {
    return this.ends[i]!;
  }
}

/**
 * The elements an edit of a small value's bytes takes from a request, from index 2 on
 * (LPUSH's, SADD's): the views it reads (store/list.ts pushPacked, store/set.ts addPacked).
 */
export type ArgumentsFrom2 = Pick<Argv, "length" | "buffer" | "start" | "end" | "len">;

/**
 * One argument of a request seen as the only element at index 2, so that an edit taking
 * elements from index 2 takes it alone (LINSERT's element, SMOVE's member). Reused: `of`
 * points it at the request.
 */
export class LoneArgument implements ArgumentsFrom2 {
  readonly length = 3;
  private argv: Argv | undefined;
  constructor(private readonly index: number) {}
  of(argv: Argv): this {
    this.argv = argv;
    return this;
  }
  buffer(): Uint8Array {
    return this.argv!.buffer(this.index);
  }
  start(): number {
    return this.argv!.start(this.index);
  }
  end(): number {
    return this.argv!.end(this.index);
  }
  len(): number {
    return this.argv!.len(this.index);
  }
}

const EMPTY = new Uint8Array(0);

/** Argv.str's memory: the last argument decoded of each length up to RECENT_MAX bytes. */
const RECENT_MAX = 48;
const recent: string[] = Array.from({ length: RECENT_MAX + 1 }, (_, n) => "\0".repeat(n));

/** Argv.keyword's memory: the last keyword made of each length up to KEYWORD_MAX bytes. */
const KEYWORD_MAX = 24;
const recentKeywords: string[] = Array.from({ length: KEYWORD_MAX + 1 }, (_, n) => "\0".repeat(n));

function lowerByte(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}
