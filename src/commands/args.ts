/**
 * ArgCursor: walks a command's optional arguments left to right, the way each command
 * parses itself in mini-redis. Typed readers throw Redis's own errors; a handler reads its
 * options in a loop until hasNext() is false, so nothing is left unread (mini-redis's
 * finish() has no work to do here).
 */
import { NOT_FLOAT, NOT_INTEGER, type ReplyError, SYNTAX_ERR, TIMEOUT_NEGATIVE, TIMEOUT_NOT_FLOAT, TIMEOUT_NOT_INTEGER } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import { bytesToString, lowerAscii, parseDouble, parseInt64 } from "../resp/bytes.ts";

export class ArgCursor {
  constructor(
    private readonly argv: Argv,
    public pos: number,
  ) {}

  get remaining(): number {
    return this.argv.length - this.pos;
  }

  hasNext(): boolean {
    return this.pos < this.argv.length;
  }

  /** The index of the next argument; a missing argument is a syntax error. */
  private take(): number {
    if (this.pos >= this.argv.length) throw SYNTAX_ERR;
    return this.pos++;
  }

  /** The next argument's bytes (valid until the handler returns). */
  next(): Uint8Array {
    return this.argv.bytes(this.take());
  }

  nextString(): string {
    return this.argv.str(this.take());
  }

  /** The next argument lowercased, for matching option keywords. */
  nextKeyword(): string {
    return this.argv.keyword(this.take());
  }

  /** The next argument as a 64-bit integer, or `value is not an integer or out of range`. */
  nextInt(): number {
    return this.argv.int(this.take());
  }
}

/** A double argument (getDoubleFromObjectOrReply): `error`, "value is not a valid float" by default, otherwise. */
export function parseDoubleArg(argv: Argv, i: number, error: ReplyError = NOT_FLOAT): number {
  const d = parseDouble(argv.str(i));
  if (d === undefined) throw error;
  return d;
}

/** An argument that must be a 64-bit integer. */
export function parseIntArg(arg: Uint8Array): number {
  const n = parseInt64(arg);
  if (n === undefined) throw NOT_INTEGER;
  return n;
}

/**
 * A 64-bit integer argument of at least `min`; `error` answers both a non-integer and a
 * value out of range, as Redis's getRangeLongFromObjectOrReply does when given a message.
 */
export function parseRangeArg(arg: Uint8Array, min: number, error: ReplyError): number {
  const n = parseInt64(arg);
  if (n === undefined || n < min) throw error;
  return n;
}

/** LEFT or RIGHT (any case): true for LEFT; anything else is a syntax error. */
export function parseListEnd(arg: Uint8Array): boolean {
  const word = lowerAscii(arg);
  if (word === "left") return true;
  if (word === "right") return false;
  throw SYNTAX_ERR;
}

/** A timeout in milliseconds (WAIT, CLIENT PAUSE, XREAD BLOCK): an integer, not negative. */
export function parseTimeoutMs(arg: Uint8Array): number {
  const ms = parseInt64(arg);
  if (ms === undefined) throw TIMEOUT_NOT_INTEGER;
  if (ms < 0) throw TIMEOUT_NEGATIVE;
  return ms;
}

/**
 * A decimal's sign and its value as m × 10^e with 1 <= m < 10 (m to double precision);
 * undefined when the text is not a decimal number or is zero.
 */
function scientific(text: string): { negative: boolean; m: number; e: number } | undefined {
  const parts = /^([+-]?)(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?$/.exec(text);
  if (parts === null || parts[2]! + parts[3]! === "") return undefined;
  const digits = parts[2]! + parts[3]!;
  const first = digits.search(/[1-9]/);
  if (first < 0) return undefined;
  const m = Number(`${digits[first]}.${digits.slice(first + 1, first + 18)}`);
  return { negative: parts[1] === "-", m, e: parts[2]!.length - 1 - first + Number(parts[4] ?? 0) };
}

/**
 * A blocking command's timeout in seconds (fractions allowed) as milliseconds, 0 meaning
 * forever, as Redis 7.0 reads it: a long double (strtold), then ceill(seconds × 1000) as a
 * long long. So a value past a double's range but inside a long double's (1e-400, 1e400)
 * is valid; milliseconds past a long long (1e400, inf) read as negative; and a negative
 * value above -1 ms rounds up to 0.
 */
export function parseTimeout(arg: Uint8Array): number {
  const text = bytesToString(arg);
  const seconds = parseDouble(text);
  if (seconds === undefined) {
    const big = scientific(text);
    if (big === undefined || big.e > 4932 || (big.e === 4932 && big.m > 1.18973149535723) || big.e < -4951 || (big.e === -4951 && big.m < 3.6452)) {
      throw TIMEOUT_NOT_FLOAT;
    }
    if (big.e > 0) throw TIMEOUT_NEGATIVE;
    return big.negative ? 0 : 1;
  }
  const ms = seconds * 1000;
  if (ms < -1 || ms >= 2 ** 63) throw TIMEOUT_NEGATIVE;
  return ms <= 0 ? 0 : Math.ceil(ms);
}
