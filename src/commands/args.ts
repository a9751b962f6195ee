/**
 * ArgCursor: walks a command's optional arguments left to right, the way each command
 * parses itself in mini-redis. Typed readers throw Redis's own errors; a handler reads its
 * options in a loop until hasNext() is false, so nothing is left unread (mini-redis's
 * finish() has no work to do here).
 */
import { NOT_FLOAT, NOT_INTEGER, type ReplyError, SYNTAX_ERR, TIMEOUT_NEGATIVE, TIMEOUT_NOT_FLOAT, TIMEOUT_NOT_INTEGER } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import { bytesToString, lowerAscii, parseDouble, parseInt64 } from "../resp/bytes.ts";
import { ceilTimes, parseLongDouble } from "../resp/long-double.ts";

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
  // A score or an increment is most often an integer, read from the bytes with no string
  // made; any other text ("007", "-0", "1.5") goes by strtod's rules below.
  const n = argv.tryInt(i);
  if (n !== undefined) return n;
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
 * A blocking command's timeout in seconds (fractions allowed) as milliseconds, 0 meaning
 * forever, as Redis 7.0 reads it: a long double (strtold), then ceill(seconds × 1000) as a
 * long long. So 1e-400 (past a double's range, inside a long double's) is 1 ms, a negative
 * value above -1 ms is 0, and milliseconds past a long long (1e400, inf) read as negative.
 */
export function parseTimeout(arg: Uint8Array): number {
  const seconds = parseLongDouble(bytesToString(arg));
  if (seconds === undefined) throw TIMEOUT_NOT_FLOAT;
  const ms = ceilTimes(seconds, 1000n);
  if (ms === undefined || ms < 0n) throw TIMEOUT_NEGATIVE;
  return Number(ms);
}
