/**
 * ReplyWriter: encodes replies into one growable byte buffer so that everything a read
 * produces leaves in a single socket write. It is the only place that knows the difference
 * between RESP2 and RESP3 (as Redis's addReplyMapLen & co. are): handlers say "map of 3"
 * or "null" and the writer picks the bytes for the client's protocol.
 * It never touches a socket; the connection takes `view()` and writes it.
 */
import { copyBytes, copyRange, formatDouble } from "./bytes.ts";

const CRLF_LEN = 2;
const INITIAL_SIZE = 16 * 1024;
/** A buffer grown past this is dropped once replies stop needing it (`shrinkWhenUnused`). */
const SHRINK_ABOVE = 1024 * 1024;
const SHRINK_AFTER = 256;

export class ReplyWriter {
  /** 2 or 3: set from the client's protocol before its commands run. */
  resp: 2 | 3 = 2;
  private buf = Buffer.allocUnsafe(INITIAL_SIZE);
  private pos = 0;
  /** Start and end of each push written since the last reset: see `keep`. */
  private kept: number[] = [];

  get length(): number {
    return this.pos;
  }

  /** The bytes written since the last reset; valid until the next write or reset. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    const used = this.pos;
    this.pos = 0;
    if (this.kept.length > 0) this.kept = [];
    if (used > 0 && this.buf.length > SHRINK_ABOVE) this.shrinkWhenUnused(used);
  }

  /** Resets in a row since a big buffer was last needed: see shrinkWhenUnused. */
  private smallUses = 0;

  /**
   * A buffer grown past SHRINK_ABOVE is kept while replies keep needing a good part of it
   * (pipelined GETs of 64 KB values fill a megabyte a read: dropping it after each flush
   * made every read grow a new one, through seven doublings and their copies), and dropped
   * once SHRINK_AFTER uses in a row have needed under a quarter of it.
   */
  private shrinkWhenUnused(used: number): void {
    if (used * 4 > this.buf.length) this.smallUses = 0;
    else if (++this.smallUses >= SHRINK_AFTER) {
      this.smallUses = 0;
      this.buf = Buffer.allocUnsafe(INITIAL_SIZE);
    }
  }

  /** Bytes already encoded (a pub/sub message for the client whose replies are being built). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Bytes from `source[start, end)`, copied without a view of them. */
  rawFrom(source: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    copyRange(source, start, end, this.buf, this.pos);
    this.pos += n;
  }

  /** Copy what was written into `target` at `at`, without a view of it. */
  copyInto(target: Uint8Array, at: number): void {
    copyRange(this.buf, 0, this.pos, target, at);
  }

  /** Drop everything written after `mark` (used when a command's reply must be replaced). */
  truncate(mark: number): void {
    this.pos = mark;
    if (this.kept.length > 0) this.kept = this.kept.filter((at) => at < mark);
  }

  /**
   * What was written since `start` is a push (a pub/sub confirmation or message, an
   * invalidation): CLIENT REPLY OFF and SKIP silence replies but not pushes, as in Redis.
   */
  keep(start: number): void {
    this.kept.push(start, this.pos);
  }

  /** The pushes written since `start` are one (a keyspace event's pushes on its two channels): movePushes moves them together. */
  joinPushes(start: number): void {
    const kept = this.kept;
    let first = kept.length;
    while (first >= 2 && kept[first - 2]! >= start) first -= 2;
    if (kept.length - first > 2) this.kept = [...kept.slice(0, first), kept[first]!, kept[kept.length - 1]!];
  }

  /**
   * Reorder what was written since `mark` (a command's reply and the pushes of its own
   * keyspace events, when its client listens to them): `before` puts every push before the
   * rest, `after` after it, `first-before` the first push before and the others after. Each
   * part keeps its order.
   */
  movePushes(mark: number, order: "before" | "after" | "first-before"): void {
    const kept = this.kept;
    if (kept.length === 0 || kept[kept.length - 2]! < mark) return;
    const pushes: Buffer[] = [];
    const rest: Buffer[] = [];
    let at = mark;
    for (let i = 0; i < kept.length; i += 2) {
      const start = kept[i]!;
      if (start < mark) continue;
      if (start > at) rest.push(Buffer.from(this.buf.subarray(at, start)));
      pushes.push(Buffer.from(this.buf.subarray(start, kept[i + 1]!)));
      at = kept[i + 1]!;
    }
    if (at < this.pos) rest.push(Buffer.from(this.buf.subarray(at, this.pos)));
    const parts = order === "before" ? [pushes, rest] : order === "after" ? [rest, pushes] : [pushes.slice(0, 1), rest, pushes.slice(1)];
    this.kept = kept.filter((_, i) => kept[i - (i % 2)]! < mark);
    let to = mark;
    for (const part of parts) {
      for (const bytes of part) {
        if (part !== rest) this.kept.push(to, to + bytes.length);
        bytes.copy(this.buf, to);
        to += bytes.length;
      }
    }
  }

  /** CLIENT REPLY OFF/SKIP: drop what was written after `mark`, the pushes excepted. */
  dropRepliesSince(mark: number): void {
    let to = mark;
    for (let i = 0; i < this.kept.length; i += 2) {
      const start = this.kept[i]!;
      const end = this.kept[i + 1]!;
      if (start < mark) continue;
      this.buf.copyWithin(to, start, end);
      to += end - start;
    }
    this.pos = to;
    this.kept = [];
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  private byte(c: number): void {
    this.buf[this.pos++] = c;
  }

  private crlf(): void {
    this.buf[this.pos++] = 0x0d;
    this.buf[this.pos++] = 0x0a;
  }

  /** Write an ASCII/latin1 string's chars as bytes (space must already be ensured). */
  private latin1(s: string): void {
    const n = s.length;
    if (n < 32) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
      this.pos = p;
    } else {
      this.pos += this.buf.write(s, this.pos, n, "latin1");
    }
  }

  /**
   * Write an integer's decimal digits. Replies are full of integers (lengths, counts,
   * LPUSH's new length), so those within 32 bits are written digit by digit instead of
   * through String(n), which allocated a string per reply.
   */
  private integerDigits(n: number): void {
    if (n >= 0 && n < 10) {
      this.buf[this.pos++] = 0x30 + n;
      return;
    }
    if ((n | 0) !== n) {
      this.latin1(String(n));
      return;
    }
    const buf = this.buf;
    // In int32 arithmetic (a score read from a Float64Array is a double), two digits a division.
    let v = n | 0;
    if (v < 0) {
      buf[this.pos++] = 0x2d;
      if (v === -2147483648) {
        this.latin1("2147483648");
        return;
      }
      v = -v;
    }
    let p = this.pos + decimalDigits(v);
    this.pos = p;
    while (v >= 100) {
      const q = (v / 100) | 0;
      const r = 2 * (v - q * 100);
      buf[--p] = DIGIT_PAIRS[r + 1]!;
      buf[--p] = DIGIT_PAIRS[r]!;
      v = q;
    }
    if (v >= 10) {
      buf[--p] = DIGIT_PAIRS[2 * v + 1]!;
      buf[--p] = DIGIT_PAIRS[2 * v]!;
    } else buf[--p] = 0x30 + v;
  }

  /** `prefix<n>\r\n`: the header of aggregates and bulks. */
  private header(prefix: number, n: number): void {
    this.ensure(24);
    this.byte(prefix);
    this.integerDigits(n);
    this.crlf();
  }

  /** +OK style status reply; `s` must not contain CR or LF. */
  simple(s: string): void {
    this.ensure(s.length + 3);
    this.byte(0x2b);
    this.latin1(s);
    this.crlf();
  }

  ok(): void {
    this.simple("OK");
  }

  /** -ERR style error reply. Like Redis, CR and LF inside the text become spaces. */
  error(text: string): void {
    if (text.includes("\r") || text.includes("\n")) text = text.replace(/[\r\n]/g, " ");
    this.ensure(text.length + 3);
    this.byte(0x2d);
    this.latin1(text);
    this.crlf();
  }

  integer(n: number | bigint): void {
    this.ensure(24);
    this.byte(0x3a);
    if (typeof n === "bigint") this.latin1(n.toString());
    else this.integerDigits(n);
    this.crlf();
  }

  /** A bulk string from bytes. */
  bulk(b: Uint8Array): void {
    this.header(0x24, b.length);
    this.ensure(b.length + CRLF_LEN);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    this.crlf();
  }

  /** A bulk string of the bytes `source[start, end)` (a value copied from where the keyspace holds it). */
  bulkFrom(source: Uint8Array, start: number, end: number): void {
    const n = end - start;
    // Room for all of it at once: a header is at most 22 bytes.
    this.ensure(n + 24 + CRLF_LEN);
    this.byte(0x24);
    this.integerDigits(n);
    this.crlf();
    copyRange(source, start, end, this.buf, this.pos);
    this.pos += n;
    this.crlf();
  }

  /** A request as clients send it (an array of bulk strings): the AOF's records. */
  request(args: ReadonlyArray<string | Uint8Array>): void {
    this.array(args.length);
    for (const a of args) {
      if (typeof a === "string") this.bulkString(a);
      else this.bulk(a);
    }
  }

  /** A bulk string from a byte string (one char per byte, as values are kept). */
  bulkString(s: string): void {
    this.header(0x24, s.length);
    this.ensure(s.length + CRLF_LEN);
    this.latin1(s);
    this.crlf();
  }

  /**
   * A bulk string holding an integer's decimal text (a GET of a value stored as a number),
   * written without making the string.
   */
  bulkNumber(n: number): void {
    if ((n | 0) !== n) return this.bulkString(String(n));
    const digits = (n < 0 ? 1 : 0) + decimalDigits(Math.abs(n));
    this.header(0x24, digits);
    this.ensure(digits + CRLF_LEN);
    this.integerDigits(n);
    this.crlf();
  }

  /** The null bulk string (`$-1` in RESP2, `_` in RESP3). */
  null(): void {
    this.ensure(5);
    if (this.resp === 3) {
      this.byte(0x5f);
    } else {
      this.byte(0x24);
      this.byte(0x2d);
      this.byte(0x31);
    }
    this.crlf();
  }

  /** The null array (`*-1` in RESP2, `_` in RESP3). */
  nullArray(): void {
    if (this.resp === 3) return this.null();
    this.ensure(5);
    this.byte(0x2a);
    this.byte(0x2d);
    this.byte(0x31);
    this.crlf();
  }

  array(n: number): void {
    this.header(0x2a, n);
  }

  /** A map of n pairs: `%n` in RESP3, a flat array of 2n in RESP2. */
  map(n: number): void {
    if (this.resp === 3) this.header(0x25, n);
    else this.header(0x2a, n * 2);
  }

  /** A set: `~n` in RESP3, an array in RESP2. */
  set(n: number): void {
    this.header(this.resp === 3 ? 0x7e : 0x2a, n);
  }

  /** An out-of-band push (`>n` in RESP3; pub/sub messages are arrays in RESP2). */
  push(n: number): void {
    this.header(this.resp === 3 ? 0x3e : 0x2a, n);
  }

  /** A double: `,` in RESP3, a bulk string in RESP2, formatted as Redis does. */
  double(d: number): void {
    // A score within 32 bits prints as its digits (not -0, which prints "-0"): no string made.
    if ((d | 0) !== d || Object.is(d, -0)) return this.doubleText(formatDouble(d));
    if (this.resp !== 3) return this.bulkNumber(d);
    this.ensure(16);
    this.byte(0x2c);
    this.integerDigits(d);
    this.crlf();
  }

  /** A double already printed as Redis prints it in this place: `,` in RESP3, a bulk string in RESP2. */
  doubleText(text: string): void {
    if (this.resp === 3) {
      this.ensure(text.length + 3);
      this.byte(0x2c);
      this.latin1(text);
      this.crlf();
    } else {
      this.bulkString(text);
    }
  }

  boolean(b: boolean): void {
    if (this.resp === 3) {
      this.ensure(4);
      this.byte(0x23);
      this.byte(b ? 0x74 : 0x66);
      this.crlf();
    } else {
      this.integer(b ? 1 : 0);
    }
  }

  /** A verbatim string (`=` with a txt: prefix in RESP3, a bulk in RESP2), as INFO sends. */
  /** A big number (digits): `(` in RESP3, a bulk string in RESP2. */
  bigNumber(digits: string): void {
    if (this.resp !== 3) return this.bulkString(digits);
    this.ensure(digits.length + 3);
    this.byte(0x28);
    this.latin1(digits);
    this.crlf();
  }

  /**
   * An attribute map of n pairs ahead of the reply it describes (`|n` in RESP3); RESP2 has
   * none, so there the pairs must not be written at all: the caller checks `resp`.
   */
  attribute(n: number): void {
    this.header(0x7c, n);
  }

  verbatim(s: string, format = "txt"): void {
    if (this.resp !== 3) return this.bulkString(s);
    this.header(0x3d, s.length + 4);
    this.ensure(s.length + 6);
    this.latin1(format);
    this.byte(0x3a);
    this.latin1(s);
    this.crlf();
  }

  /** A HELP reply: Redis sends each line as a status reply inside an array. */
  helpLines(lines: readonly string[]): void {
    this.array(lines.length);
    for (const line of lines) this.simple(line);
  }

  /** An array of byte strings, the commonest aggregate. */
  bulkStrings(items: readonly string[]): void {
    this.array(items.length);
    for (const s of items) this.bulkString(s);
  }
}

/** The writer encodeReply borrows: replies on their own are small and never nested. */
const scratch = new ReplyWriter();

/**
 * A reply or push on its own, outside any client's reply buffer (a blocked client's timeout,
 * an invalidation), written by `write` in protocol `resp`; the bytes are the caller's.
 */
export function encodeReply(resp: 2 | 3, write: (w: ReplyWriter) => void): Uint8Array {
  scratch.reset();
  scratch.resp = resp;
  write(scratch);
  return copyBytes(scratch.view());
}

/**
 * An array of bulk strings on its own, outside any reply buffer: a command as a RESP
 * request (replication, a replica's handshake). Strings are byte strings.
 */
export function encodeRequest(args: ReadonlyArray<string | Uint8Array>): Uint8Array {
  return encodeBulks(args, "*");
}

/** A pub/sub message on its own: a push in RESP3, an array of bulk strings in RESP2. */
export function encodeMessage(resp: 2 | 3, parts: ReadonlyArray<string | Uint8Array>): Uint8Array {
  return encodeBulks(parts, resp === 3 ? ">" : "*");
}

function encodeBulks(args: ReadonlyArray<string | Uint8Array>, type: "*" | ">"): Uint8Array {
  let size = 16;
  for (const a of args) size += a.length + 16;
  const out = Buffer.allocUnsafe(size);
  let pos = out.write(`${type}${args.length}\r\n`, 0, "latin1");
  for (const a of args) {
    pos += out.write(`$${a.length}\r\n`, pos, "latin1");
    if (typeof a === "string") pos += out.write(a, pos, "latin1");
    else {
      out.set(a, pos);
      pos += a.length;
    }
    out[pos++] = 13;
    out[pos++] = 10;
  }
  return out.subarray(0, pos);
}

/** "00" to "99": the two digits of each number below 100, as ll2string writes them. */
const DIGIT_PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 0x30 + (i % 2 === 0 ? Math.floor(i / 20) : (i >> 1) % 10));

/** How many decimal digits `v` (0 to 2^32) has: comparisons, no division. */
function decimalDigits(v: number): number {
  if (v < 100000) return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : 5;
  return v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
}
