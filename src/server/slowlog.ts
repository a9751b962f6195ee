/**
 * SLOWLOG: the commands that ran for at least `slowlog-log-slower-than` microseconds, the
 * newest first, at most `slowlog-max-len` of them, recorded as Redis records them (at most
 * 32 arguments of at most 128 bytes each, passwords redacted, the client's address and name).
 *
 * The dispatcher does not read the clock around every call (it charges time per run of the
 * same command; see dispatch.ts). A command is timed on its own only when it is not flagged
 * `fast` — the fast ones are O(1) or O(log N) and cannot take milliseconds short of a
 * garbage collection — or when the threshold is 0, which asks for every command. Such a
 * command ends its run, so timing it costs one clock read, shared with the run accounting.
 */
import { F_FAST, F_SKIP_SLOWLOG } from "../commands/command.ts";
import type { Argv } from "../resp/argv.ts";
import type { SlowlogEntry } from "../commands/context.ts";
import type { Client } from "./connection.ts";

const MAX_ARGS = 32;
const MAX_STRING = 128;


export class Slowlog {
  /** Newest first. */
  entries: SlowlogEntry[] = [];
  private nextId = 0;

  constructor(
    /** Microseconds; negative switches the log off. */
    public threshold: number,
    public maxLen: number,
  ) {}

  /** Whether a command with these flag bits must be timed on its own. */
  wants(flagBits: number): boolean {
    if (this.threshold < 0 || (flagBits & F_SKIP_SLOWLOG) !== 0) return false;
    return this.threshold === 0 || (flagBits & F_FAST) === 0;
  }

  record(c: Client, argv: Argv, usec: number): void {
    if (usec < this.threshold) return;
    const argc = Math.min(argv.length, MAX_ARGS);
    const args: string[] = [];
    const redactFrom = redactedFrom(argv);
    for (let i = 0; i < argc; i++) {
      if (argc !== argv.length && i === argc - 1) {
        args.push(`... (${argv.length - argc + 1} more arguments)`);
      } else if (i >= redactFrom || c.redacted?.includes(i)) {
        args.push("(redacted)");
      } else {
        const s = argv.str(i);
        args.push(s.length > MAX_STRING ? `${s.slice(0, MAX_STRING)}... (${s.length - MAX_STRING} more bytes)` : s);
      }
    }
    this.entries.unshift({ id: this.nextId++, time: Math.floor(Date.now() / 1000), usec, args, addr: c.addr, name: c.name });
    this.trim();
  }

  trim(): void {
    if (this.entries.length > this.maxLen) this.entries.length = this.maxLen;
  }
}

/** Where the secrets start: AUTH's arguments, HELLO's after AUTH, ACL SETUSER's. */
export function redactedFrom(argv: Argv): number {
  const name = argv.keyword(0);
  if (name === "auth") return 1;
  if (name === "acl" && argv.length > 2 && argv.keyword(1) === "setuser") return 2;
  if (name === "hello") {
    for (let i = 2; i < argv.length; i++) if (argv.keyword(i) === "auth") return i + 1;
  }
  return Number.MAX_SAFE_INTEGER;
}
