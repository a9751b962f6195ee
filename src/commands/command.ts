/**
 * The shape of a command declaration. Each command is declared once, beside its handler,
 * with Redis's name, arity, flags and key positions (as in Redis's command table); the
 * dispatcher, COMMAND INFO/DOCS and everything else read these declarations and never keep
 * lists of their own. Named `command` rather than `defineCommand`, which citty exports.
 */
import type { Client } from "../server/connection.ts";

export type CommandFlag =
  | "write"
  | "readonly"
  | "denyoom"
  | "admin"
  | "pubsub"
  | "noscript"
  | "blocking"
  | "loading"
  | "stale"
  | "fast"
  | "no-auth"
  | "no-multi"
  | "no-async-loading"
  | "may-replicate"
  | "sentinel"
  | "allow-busy"
  | "no-mandatory-keys";

/** The order in which COMMAND INFO lists flags (Redis's addReplyFlagsForCommand). */
export const FLAG_ORDER: readonly CommandFlag[] = [
  "write", "readonly", "denyoom", "admin", "pubsub", "noscript", "blocking", "loading", "stale", "fast", "no-auth",
  "may-replicate", "no-mandatory-keys", "no-async-loading", "no-multi", "allow-busy",
];

/** Flags the dispatcher tests on every call, as bits so the test is one AND. */
export const F_WRITE = 1;
export const F_NO_AUTH = 2;
export const F_LOADING = 4;
export const F_STALE = 8;
export const F_DENYOOM = 16;

const FLAG_BITS: Partial<Record<CommandFlag, number>> = {
  write: F_WRITE,
  "no-auth": F_NO_AUTH,
  loading: F_LOADING,
  stale: F_STALE,
  denyoom: F_DENYOOM,
};

export type Handler = (ctx: Client, argv: Uint8Array[]) => void;

export interface KeySpec {
  first: number;
  last: number;
  step: number;
  /** Key-spec flags as COMMAND INFO lists them; default RO+access for readonly, RW+update otherwise. */
  flags?: string[];
  notes?: string;
}

export interface CommandSpec {
  /** Lowercase; a subcommand's full name is "container|sub" as in Redis 7. */
  name: string;
  /** Positive: exactly this many arguments (name included); negative: at least -arity. */
  arity: number;
  flags: CommandFlag[];
  keys?: KeySpec;
  /** ACL categories beyond those Redis derives from the flags (e.g. "keyspace", "string"). */
  categories?: string[];
  /** Command tips as COMMAND INFO lists them (request_policy:..., nondeterministic_output). */
  tips?: string[];
  summary: string;
  since: string;
  complexity?: string;
  handler?: Handler;
  subcommands?: Command[];
}

export class Command {
  readonly name: string;
  readonly arity: number;
  readonly flags: readonly CommandFlag[];
  readonly flagBits: number;
  readonly keys: KeySpec;
  readonly categories: readonly string[];
  readonly tips: readonly string[];
  readonly summary: string;
  readonly since: string;
  readonly complexity: string;
  readonly handler: Handler | undefined;
  readonly subcommands: ReadonlyMap<string, Command> | undefined;
  /** The command group as COMMAND DOCS names it; set once by the table from the file. */
  group = "";
  /** Filled in by the dispatcher for INFO commandstats. */
  calls = 0;
  usec = 0;
  rejectedCalls = 0;
  failedCalls = 0;

  constructor(spec: CommandSpec) {
    this.name = spec.name;
    this.arity = spec.arity;
    this.flags = spec.flags;
    this.flagBits = spec.flags.reduce((bits, f) => bits | (FLAG_BITS[f] ?? 0), 0);
    this.keys = spec.keys ?? { first: 0, last: 0, step: 0 };
    this.categories = spec.categories ?? [];
    this.tips = spec.tips ?? [];
    this.summary = spec.summary;
    this.since = spec.since;
    this.complexity = spec.complexity ?? "O(1)";
    this.handler = spec.handler;
    if (spec.subcommands) {
      const subs = new Map<string, Command>();
      for (const sub of spec.subcommands) subs.set(sub.name.slice(sub.name.indexOf("|") + 1), sub);
      this.subcommands = subs;
    }
  }

  has(flag: CommandFlag): boolean {
    return this.flags.includes(flag);
  }
}

export function command(spec: CommandSpec): Command {
  return new Command(spec);
}
