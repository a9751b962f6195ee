/**
 * ArgCursor: walks a command's optional arguments left to right, the way each command
 * parses itself in mini-redis. Typed readers throw Redis's own errors, and `finish()`
 * rejects leftovers, so a handler reads its options as a short list of statements.
 */
import { NOT_INTEGER, type ReplyError, SYNTAX_ERR } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import { lowerAscii, parseInt64 } from "../resp/bytes.ts";

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

  finish(): void {
    if (this.pos < this.argv.length) throw SYNTAX_ERR;
  }
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
