/**
 * RequestParser: the resumable, zero-copy RESP request parser. It turns socket reads into
 * argument vectors (Argv) whose entries are byte ranges of the read buffer, and it never rescans a
 * byte it has already consumed: a request cut anywhere resumes exactly where it stopped.
 *
 * Only what must outlive a read is copied: the unfinished header line, the arguments of a
 * request still incomplete when the read ends, and a bulk that spans reads (allocated once
 * at its final size). It knows nothing about commands; protocol violations are thrown as
 * ProtocolError with Redis's texts (networking.c processMultibulkBuffer/processInlineBuffer).
 */
import {
  PROTO_BIG_BULK_COUNT,
  PROTO_BIG_INLINE,
  PROTO_BIG_MBULK_COUNT,
  PROTO_INVALID_BULK,
  PROTO_INVALID_MULTIBULK,
  PROTO_UNAUTH_BULK,
  PROTO_UNAUTH_MULTIBULK,
  PROTO_UNBALANCED_QUOTES,
  protoExpectedDollar,
} from "../errors.ts";
import { Argv } from "./argv.ts";
import { copyRange, parseInt64 } from "./bytes.ts";

const CR = 0x0d;
const LF = 0x0a;
const STAR = 0x2a;
const DOLLAR = 0x24;

/** Redis's PROTO_INLINE_MAX_SIZE: the longest inline request or header line. */
export const INLINE_MAX_SIZE = 64 * 1024;
const INT_MAX = 2147483647;
/** Before AUTH, Redis refuses requests larger than these (a cheap guard against abuse). */
const UNAUTH_MAX_ARGS = 10;
const UNAUTH_MAX_BULK = 16384;

const enum State {
  Start,
  MultibulkCount,
  BulkHeader,
  BulkData,
  BulkCrlf,
  Inline,
}

/**
 * Receives each complete request. `argv` and its entries are only valid until the sink
 * returns: whatever must be kept has to be copied. Return false to stop parsing the rest of
 * the read (QUIT, or a client being closed).
 */
/** Bulks spanning reads are allocated whole up to this size, and grown beyond it. */
const BULK_PREALLOC = 1024 * 1024;

export type CommandSink = (argv: Argv) => boolean;

const NO_BULK = new Uint8Array(0);

export class RequestParser {
  /** proto-max-bulk-len. */
  maxBulkLen = 512 * 1024 * 1024;
  /** True while the client still has to AUTH: Redis then caps request sizes. */
  authRequired = false;
  /**
   * While the sink runs: the offset in the current read just past the request being
   * dispatched. A replica counts its replication offset with it, request by request.
   */
  requestEnd = 0;

  private state = State.Start;
  private argv = new Argv();
  private remaining = 0;
  private bulk: Uint8Array = NO_BULK;
  private bulkFill = 0;
  /** The declared length of the bulk being received; `bulk` grows toward it as bytes arrive. */
  private bulkSize = 0;
  private crlfLeft = 0;
  // An unfinished line (request header or inline request) carried across reads.
  private line = new Uint8Array(64);
  private lineLen = 0;
  // Where the last complete line is: either in the read itself or in `line`.
  private lineSrc: Uint8Array = this.line;
  private lineStart = 0;
  private lineEnd = 0;

  /**
   * Bytes of the request being received that are no argument yet: the bulk being filled
   * (and what came of its CRLF) or the line being read. What Redis's query buffer holds
   * between reads (CLIENT LIST's qbuf): the arguments already parsed are its argv.
   */
  get partialBytes(): number {
    if (this.state === State.BulkData) return this.bulkFill;
    if (this.state === State.BulkCrlf) return this.bulkSize + 2 - this.crlfLeft;
    return this.lineLen;
  }

  /** Bytes of the arguments of the request being received parsed so far (CLIENT LIST's argv-mem between reads). */
  get partialArgBytes(): number {
    return this.argv.byteLength();
  }

  /** Bytes allocated for a bulk spanning reads and not yet filled (CLIENT LIST's qbuf-free). */
  get reservedBytes(): number {
    return this.state === State.BulkData ? this.bulk.length - this.bulkFill : 0;
  }

  /** True when a request has started but not completed. */
  get pending(): boolean {
    return this.state !== State.Start || this.lineLen > 0;
  }

  /** Parse one read. Throws ProtocolError on a protocol violation. */
  feed(chunk: Uint8Array, sink: CommandSink): void {
    const argvAtStart = this.argv.length;
    if (!this.run(chunk, sink)) return;
    // The read ends inside a request: the arguments parsed from this read are ranges of
    // a buffer the runtime may reuse, so they are copied now (and only they). (Not by
    // comparing `chunk.buffer`: that getter cost 2% of a pipelined EVALSHA's time.)
    if (this.argv.length > argvAtStart) this.argv.detach(argvAtStart, chunk);
  }

  /** Returns true when the read was consumed to its end, false when the sink asked to stop. */
  private run(chunk: Uint8Array, sink: CommandSink): boolean {
    const len = chunk.length;
    let pos = 0;
    for (;;) {
      switch (this.state) {
        case State.Start: {
          if (pos >= len) return true;
          if (chunk[pos] === STAR) {
            const count = shortLength(chunk, pos, len);
            if (count > 0 && !(count > UNAUTH_MAX_ARGS && this.authRequired)) {
              pos = headerEnd;
              this.remaining = count;
              this.state = State.BulkHeader;
              break;
            }
            pos++;
            this.state = State.MultibulkCount;
          } else {
            this.state = State.Inline;
          }
          break;
        }
        case State.MultibulkCount: {
          const next = this.readLine(chunk, pos, false);
          if (next < 0) {
            if (this.lineLen > INLINE_MAX_SIZE) throw PROTO_BIG_MBULK_COUNT;
            return true;
          }
          pos = next;
          const count = parseInt64(this.lineSrc, this.lineStart, this.lineEnd);
          if (count === undefined || count > INT_MAX) throw PROTO_INVALID_MULTIBULK;
          if (count > UNAUTH_MAX_ARGS && this.authRequired) throw PROTO_UNAUTH_MULTIBULK;
          if (count <= 0) {
            // Redis silently skips empty and null multibulks.
            this.state = State.Start;
            break;
          }
          this.remaining = count;
          this.state = State.BulkHeader;
          break;
        }
        case State.BulkHeader: {
          // The usual header, wholly in this read, is read in place; anything else by the
          // general line reader, which also gives the errors.
          let size = this.lineLen === 0 && chunk[pos] === DOLLAR ? shortLength(chunk, pos, len) : -1;
          if (size >= 0 && size <= this.maxBulkLen && !(size > UNAUTH_MAX_BULK && this.authRequired)) pos = headerEnd;
          else {
            const next = this.readLine(chunk, pos, false);
            if (next < 0) {
              if (this.lineLen > INLINE_MAX_SIZE) throw PROTO_BIG_BULK_COUNT;
              return true;
            }
            pos = next;
            const src = this.lineSrc;
            const start = this.lineStart;
            // Redis checks the '$' only once the whole header line has arrived.
            if (src[start] !== DOLLAR) throw protoExpectedDollar(start < this.lineEnd ? src[start]! : CR);
            const parsed = parseInt64(src, start + 1, this.lineEnd);
            if (parsed === undefined || parsed < 0 || parsed > this.maxBulkLen) throw PROTO_INVALID_BULK;
            if (parsed > UNAUTH_MAX_BULK && this.authRequired) throw PROTO_UNAUTH_BULK;
            size = parsed;
          }
          if (len - pos >= size + 2) {
            // The whole bulk and its CRLF are in this read: keep its range, copy nothing.
            this.argv.push(chunk, pos, pos + size);
            pos += size + 2;
            if (--this.remaining === 0 && !this.dispatch(sink, pos)) return false;
            break;
          }
          // The bulk spans reads. Up to 1 MB it is allocated once at its final size; a larger
          // one grows (doubling) as its bytes arrive, so a header alone cannot make the server
          // allocate proto-max-bulk-len (512 MB) for a client that never sends the data.
          this.bulkSize = size;
          this.bulk = new Uint8Array(Math.min(size, BULK_PREALLOC));
          this.bulkFill = 0;
          this.state = State.BulkData;
          break;
        }
        case State.BulkData: {
          const take = Math.min(this.bulkSize - this.bulkFill, len - pos);
          if (this.bulkFill + take > this.bulk.length) {
            const grown = new Uint8Array(Math.min(this.bulkSize, Math.max(this.bulk.length * 2, this.bulkFill + take)));
            copyRange(this.bulk, 0, this.bulkFill, grown, 0);
            this.bulk = grown;
          }
          copyRange(chunk, pos, pos + take, this.bulk, this.bulkFill);
          this.bulkFill += take;
          pos += take;
          if (this.bulkFill < this.bulkSize) return true;
          this.crlfLeft = 2;
          this.state = State.BulkCrlf;
          break;
        }
        case State.BulkCrlf: {
          // Like Redis, the two bytes after a bulk are skipped without being checked.
          const take = Math.min(this.crlfLeft, len - pos);
          this.crlfLeft -= take;
          pos += take;
          if (this.crlfLeft > 0) return true;
          this.argv.push(this.bulk, 0, this.bulkSize);
          this.state = State.BulkHeader;
          if (--this.remaining === 0 && !this.dispatch(sink, pos)) return false;
          break;
        }
        case State.Inline: {
          const next = this.readLine(chunk, pos, true);
          if (next < 0) {
            if (this.lineLen > INLINE_MAX_SIZE) throw PROTO_BIG_INLINE;
            return true;
          }
          pos = next;
          this.state = State.Start;
          this.requestEnd = pos;
          if (!this.plainInline(this.lineSrc, this.lineStart, this.lineEnd)) {
            const args = splitInlineArgs(this.lineSrc, this.lineStart, this.lineEnd);
            if (args === undefined) throw PROTO_UNBALANCED_QUOTES;
            for (const a of args) this.argv.push(a, 0, a.length);
          }
          // An empty line is ignored (replicas send bare newlines as keep-alives).
          if (this.argv.length > 0 && !this.dispatch(sink, pos)) return false;
          break;
        }
      }
    }
  }

  /**
   * An inline request with no quote, NUL, \v or \f (PING, a telnet user's GET key): its words
   * pushed as views of the line, split where splitInlineArgs would split them, with no
   * copy. False, with nothing pushed, for any other line.
   */
  private plainInline(src: Uint8Array, start: number, end: number): boolean {
    for (let p = start; p < end; p++) {
      const c = src[p]!;
      if (c === 0x22 || c === 0x27 || c === 0x00 || c === 0x0b || c === 0x0c) return false;
    }
    for (let p = start; p < end; ) {
      while (p < end && isSpace(src[p]!)) p++;
      if (p === end) break;
      const from = p;
      while (p < end && !isSpace(src[p]!)) p++;
      this.argv.push(src, from, p);
    }
    return true;
  }

  private dispatch(sink: CommandSink, end: number): boolean {
    this.state = State.Start;
    this.requestEnd = end;
    const keepGoing = sink(this.argv);
    this.argv.clear();
    // A bulk that spanned reads is the command's now (the store may keep it): the parser lets
    // go, so a client does not hold its last big argument until its next one.
    if (this.bulk.length !== 0) this.bulk = NO_BULK;
    return keepGoing;
  }

  /**
   * Find the end of the current line, resuming a line begun in an earlier read. A request
   * header ends at CR and the byte after it is skipped (as Redis does); an inline request
   * ends at LF with an optional CR before it. On success sets lineSrc/lineStart/lineEnd and
   * returns the position after the terminator; otherwise keeps the bytes and returns -1.
   */
  private readLine(chunk: Uint8Array, pos: number, inline: boolean): number {
    const term = inline ? LF : CR;
    if (this.lineLen === 0) {
      const idx = findByte(chunk, term, pos);
      if (idx >= 0 && (inline || idx + 1 < chunk.length)) {
        this.lineSrc = chunk;
        this.lineStart = pos;
        this.lineEnd = inline && idx > pos && chunk[idx - 1] === CR ? idx - 1 : idx;
        return idx + 1 + (inline ? 0 : 1);
      }
      this.keep(chunk, pos, chunk.length);
      return -1;
    }
    if (!inline && this.line[this.lineLen - 1] === CR) {
      // The CR ended the previous read; this read starts with the byte after it.
      return this.completeLine(this.lineLen - 1, pos + 1);
    }
    const idx = findByte(chunk, term, pos);
    if (idx < 0 || (!inline && idx + 1 >= chunk.length)) {
      this.keep(chunk, pos, chunk.length);
      return -1;
    }
    this.keep(chunk, pos, idx);
    let end = this.lineLen;
    if (inline && end > 0 && this.line[end - 1] === CR) end--;
    return this.completeLine(end, idx + (inline ? 1 : 2));
  }

  private completeLine(end: number, next: number): number {
    this.lineSrc = this.line;
    this.lineStart = 0;
    this.lineEnd = end;
    this.lineLen = 0;
    return next;
  }

  private keep(chunk: Uint8Array, from: number, to: number): void {
    const need = this.lineLen + (to - from);
    if (need > this.line.length) {
      const grown = new Uint8Array(Math.max(need, this.line.length * 2));
      copyRange(this.line, 0, this.lineLen, grown, 0);
      this.line = grown;
    }
    copyRange(chunk, from, to, this.line, this.lineLen);
    this.lineLen = need;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/**
 * Split an inline request the way Redis's sdssplitargs does: whitespace separates
 * arguments, "double quotes" understand \xHH, \n, \r, \t, \b, \a and \<char>, 'single
 * quotes' understand \', and a closing quote must be followed by a space or the end.
 * Returns undefined for unbalanced quotes. The arguments are fresh copies.
 */
export function splitInlineArgs(src: Uint8Array, start: number, end: number): Uint8Array[] | undefined {
  const args: Uint8Array[] = [];
  let p = start;
  for (;;) {
    while (p < end && isSpace(src[p]!)) p++;
    if (p >= end) return args;
    const out: number[] = [];
    let inDouble = false;
    let inSingle = false;
    let done = false;
    while (!done) {
      if (inDouble) {
        if (p >= end) return undefined;
        const c = src[p]!;
        if (c === 0x5c && p + 3 < end && src[p + 1] === 0x78 && hexValue(src[p + 2]!) >= 0 && hexValue(src[p + 3]!) >= 0) {
          out.push(hexValue(src[p + 2]!) * 16 + hexValue(src[p + 3]!));
          p += 3;
        } else if (c === 0x5c && p + 1 < end) {
          p++;
          const e = src[p]!;
          out.push(e === 0x6e ? 0x0a : e === 0x72 ? 0x0d : e === 0x74 ? 0x09 : e === 0x62 ? 0x08 : e === 0x61 ? 0x07 : e);
        } else if (c === 0x22) {
          if (p + 1 < end && !isSpace(src[p + 1]!)) return undefined;
          done = true;
        } else {
          out.push(c);
        }
      } else if (inSingle) {
        if (p >= end) return undefined;
        const c = src[p]!;
        if (c === 0x5c && p + 1 < end && src[p + 1] === 0x27) {
          p++;
          out.push(0x27);
        } else if (c === 0x27) {
          if (p + 1 < end && !isSpace(src[p + 1]!)) return undefined;
          done = true;
        } else {
          out.push(c);
        }
      } else {
        if (p >= end) break;
        const c = src[p]!;
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x00) {
          done = true;
        } else if (c === 0x22) {
          inDouble = true;
        } else if (c === 0x27) {
          inSingle = true;
        } else {
          out.push(c);
        }
      }
      if (p < end) p++;
    }
    args.push(Uint8Array.from(out));
  }
}

/** Where the header shortLength read ends (after its CR and the byte after it). */
let headerEnd = 0;

/**
 * The usual request or bulk header at `pos` ("*" or "$", 1-9 digits without a leading zero,
 * CR and one more byte) when it is wholly in `chunk`: its number, with headerEnd set. -1
 * for anything else, which the general line reader takes (and rejects where Redis does).
 */
function shortLength(chunk: Uint8Array, pos: number, len: number): number {
  let p = pos + 1;
  if (p >= len) return -1;
  let c = chunk[p]!;
  if (c < 0x31 || c > 0x39) return -1;
  let n = c - 0x30;
  const stop = Math.min(len, p + 10);
  while (++p < stop) {
    c = chunk[p]!;
    if (c === CR) {
      if (p + 1 >= len) return -1;
      headerEnd = p + 2;
      return n;
    }
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return -1;
}

/**
 * The index of `byte` in `chunk` from `pos`, or -1. Header lines are a few bytes long, and
 * a loop over them is five times cheaper than indexOf's native call (2 ns against 10);
 * past 16 bytes indexOf takes over.
 */
function findByte(chunk: Uint8Array, byte: number, pos: number): number {
  const stop = Math.min(chunk.length, pos + 16);
  for (let i = pos; i < stop; i++) if (chunk[i] === byte) return i;
  return stop === chunk.length ? -1 : chunk.indexOf(byte, stop);
}

/**
 * The byte ranges of the second argument (most commands' key) of the complete requests
 * at the start of `chunk`, written as start/end pairs into `out`; returns how many. A
 * quick look ahead, not a parse: it stops at the first thing that is not a well-formed
 * multibulk request (an inline request, a request cut by the read's end), which the
 * parser proper then deals with.
 */
export function secondArguments(chunk: Uint8Array, out: Int32Array): number {
  const len = chunk.length;
  const most = out.length >> 1;
  let n = 0;
  let pos = 0;
  while (n < most && pos < len && chunk[pos] === STAR) {
    let count = 0;
    let p = pos + 1;
    for (let c = chunk[p]!; c >= 0x30 && c <= 0x39; c = chunk[++p]!) count = count * 10 + c - 0x30;
    if (chunk[p] !== CR || count === 0) return n;
    p += 2;
    for (let arg = 0; arg < count; arg++) {
      if (chunk[p] !== DOLLAR) return n;
      let size = 0;
      for (let c = chunk[++p]!; c >= 0x30 && c <= 0x39; c = chunk[++p]!) size = size * 10 + c - 0x30;
      if (chunk[p] !== CR) return n;
      p += 2;
      if (p + size + 2 > len) return n;
      if (arg === 1) {
        out[2 * n] = p;
        out[2 * n + 1] = p + size;
      }
      p += size + 2;
    }
    if (count >= 2) n++;
    pos = p;
  }
  return n;
}
