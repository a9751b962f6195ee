/**
 * The shape of a command declaration. Each command is declared once, beside its handler,
 * with Redis's name, arity, flags and key positions (as in Redis's command table); the
 * dispatcher, COMMAND INFO/DOCS and everything else read these declarations and never keep
 * lists of their own. Named `command` rather than `defineCommand`, which citty exports.
 */
import type { Argv } from "../resp/argv.ts";
import { type Argument, parseArguments } from "./arguments.ts";
import { parseInt64 } from "../resp/bytes.ts";
import type { NotifyClass } from "../keyspace-events.ts";
import type { Context } from "./context.ts";

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
  | "skip-monitor"
  | "skip-slowlog"
  | "asking"
  | "fast"
  | "no-auth"
  | "no-multi"
  | "no-async-loading"
  | "may-replicate"
  | "sentinel"
  | "allow-busy"
  | "no-mandatory-keys";

/**
 * The order in which COMMAND INFO lists flags (Redis's addReplyFlagsForCommand). Redis 7.0
 * does not list may-replicate, though its commands have it (CLIENT PAUSE WRITE holds them).
 */
export const FLAG_ORDER: readonly CommandFlag[] = [
  "write", "readonly", "denyoom", "admin", "pubsub", "noscript", "blocking", "loading", "stale", "skip-monitor", "skip-slowlog", "asking", "fast", "no-auth",
  "no-mandatory-keys", "no-async-loading", "no-multi", "allow-busy",
];

/** Flags the dispatcher tests on every call, as bits so the test is one AND. */
export const F_WRITE = 1;
export const F_NO_AUTH = 2;
export const F_LOADING = 4;
export const F_STALE = 8;
export const F_DENYOOM = 16;
export const F_NO_MULTI = 32;
/** Not shown to MONITOR: administrative commands and those flagged skip-monitor. */
export const F_HIDDEN_FROM_MONITOR = 64;
export const F_FAST = 128;
export const F_SKIP_SLOWLOG = 256;
export const F_MAY_REPLICATE = 512;
/** Served while a script runs past busy-reply-threshold; other commands get -BUSY. */
export const F_ALLOW_BUSY = 1024;
export const F_NO_ASYNC_LOADING = 2048;

const FLAG_BITS: Partial<Record<CommandFlag, number>> = {
  write: F_WRITE,
  "no-auth": F_NO_AUTH,
  loading: F_LOADING,
  stale: F_STALE,
  denyoom: F_DENYOOM,
  "no-multi": F_NO_MULTI,
  admin: F_HIDDEN_FROM_MONITOR,
  "skip-monitor": F_HIDDEN_FROM_MONITOR,
  fast: F_FAST,
  "skip-slowlog": F_SKIP_SLOWLOG,
  "may-replicate": F_MAY_REPLICATE,
  "allow-busy": F_ALLOW_BUSY,
  "no-async-loading": F_NO_ASYNC_LOADING,
};

export type Handler = (ctx: Context, argv: Argv) => void;

export interface KeySpec {
  first: number;
  last: number;
  step: number;
  /** Key-spec flags as COMMAND INFO lists them; default RO+access for readonly, RW+update otherwise. */
  flags?: string[];
  notes?: string;
  /** The range's limit (Redis's find_keys range limit), 0 when absent. */
  limit?: number;
}

/**
 * One of Redis 7's key specs, for commands whose keys one first/last/step cannot
 * describe (RENAME's two keys with different flags, ZUNIONSTORE's key count...).
 */
export interface FullKeySpec {
  flags: string[];
  notes?: string;
  begin: { index: number } | { keyword: string; startfrom: number } | "unknown";
  find: { lastkey: number; keystep: number; limit: number } | { keynumidx: number; firstkey: number; keystep: number } | "unknown";
}

export interface CommandSpec {
  /** Lowercase; a subcommand's full name is "container|sub" as in Redis 7. */
  name: string;
  /** Positive: exactly this many arguments (name included); negative: at least -arity. */
  arity: number;
  flags: CommandFlag[];
  keys?: KeySpec;
  /** Redis 7 key specs, when `keys` alone cannot describe them; COMMAND INFO lists these. */
  keySpecs?: FullKeySpec[];
  /** ACL categories beyond those Redis derives from the flags (e.g. "keyspace", "string"). */
  categories?: string[];
  /** Command tips as COMMAND INFO lists them (request_policy:..., nondeterministic_output). */
  tips?: string[];
  /**
   * The keys of a request, for commands whose key specs say "unknown" (Redis's getkeys_proc,
   * e.g. SORT's STORE): positions in argv with the flags of the spec they belong to.
   */
  getKeys?: (argv: Argv) => KeyRef[];
  /**
   * The flag bits of this request, for commands whose flags depend on it (Redis's
   * getCommandFlags: EVAL and FCALL take their script's flags); the dispatcher's checks
   * read these instead of the declared ones.
   */
  requestFlags?: (c: Context, argv: Argv, declared: number) => number;
  summary: string;
  since: string;
  /** COMMAND DOCS's complexity: "O(1)" when not given, none when "" (SYNC, PSYNC, MONITOR, LOLWUT). */
  complexity?: string;
  /** COMMAND DOCS's group when it is not its file's (RESTORE-ASKING: Redis's "server"). */
  group?: string;
  /** COMMAND DOCS's arguments, in the notation of commands/arguments.ts. */
  args?: string;
  /** COMMAND DOCS's history: the version of each change and what changed. */
  history?: Array<[version: string, change: string]>;
  /** COMMAND DOCS's doc_flags; a deprecated command names the version and what replaces it. */
  docFlags?: Array<"deprecated" | "syscmd">;
  deprecatedSince?: string;
  replacedBy?: string;
  handler?: Handler;
  subcommands?: Command[];
  /**
   * The keyspace event a write announces for its first key when it changed something
   * (notify-keyspace-events); commands with several or conditional events announce them in
   * their handler instead.
   */
  notify?: [NotifyClass, string];
  /**
   * Where a client that listens to its own command's keyspace events (RESP3 pushes on the
   * same connection) finds them: before the reply, after it, or the first before and the
   * others after, as Redis's source happens to write them for this command. Unset: where
   * they were emitted.
   */
  events?: "before" | "after" | "first-before";
  /**
   * A protected command (DEBUG, MODULE LOAD/LOADEX/UNLOAD): refused before it runs (before
   * authentication, counted as a rejected call, never in the slow log) unless this
   * parameter allows the client ("yes", or "local" from a local connection), as Redis's
   * processCommand refuses it.
   */
  protectedBy?: "enable-debug-command" | "enable-module-command";
  /**
   * The keys it finds past their deadline go to replicas and the AOF each as a DEL of its
   * own (SCAN, RANDOMKEY, which walk arbitrary keys), not in one MULTI/EXEC with the
   * command's writes as every other command's do (server/propagate.ts), as in Redis 7.0.
   */
  expiredAlone?: true;
}

export class Command {
  readonly name: string;
  readonly arity: number;
  readonly flags: readonly CommandFlag[];
  readonly flagBits: number;
  readonly requestFlags: CommandSpec["requestFlags"];
  readonly keys: KeySpec;
  readonly keySpecs: readonly FullKeySpec[];
  /** Redis's "movablekeys": some key positions depend on the arguments. */
  readonly movableKeys: boolean;
  readonly categories: readonly string[];
  readonly tips: readonly string[];
  readonly notify: [NotifyClass, string] | undefined;
  readonly events: "before" | "after" | "first-before" | undefined;
  readonly protectedBy: CommandSpec["protectedBy"];
  readonly expiredAlone: boolean;
  readonly summary: string;
  readonly since: string;
  readonly complexity: string;
  /** What COMMAND DOCS tells beyond the summary, version, group and complexity. */
  readonly docs: Pick<CommandSpec, "args" | "history" | "docFlags" | "deprecatedSince" | "replacedBy">;
  private parsedArguments: Argument[] | undefined;
  readonly handler: Handler | undefined;
  readonly subcommands: ReadonlyMap<string, Command> | undefined;
  /** The command group as COMMAND DOCS names it; set once by the table from the file unless declared. */
  group: string;
  /** The file it is declared in, from the repository's root. */
  file = "";
  /** Index among all commands and subcommands, set once by the table (ACL command bitmaps). */
  id = -1;
  /** The containing command of a subcommand, set by its container. */
  parent: Command | undefined;
  /** ACL categories as a bit mask over CATEGORY_ORDER. */
  readonly categoryBits: number;
  private readonly keysProc: ((argv: Argv) => KeyRef[]) | undefined;
  /** Filled in by the dispatcher for INFO commandstats. */
  calls = 0;
  usec = 0;
  rejectedCalls = 0;
  failedCalls = 0;
  /**
   * LATENCY HISTOGRAM: calls counted by latency, bucket k holding those up to 1024 * 2^k ns
   * (as Redis's HdrHistogram reports them: see server/latency.ts); undefined until a call.
   */
  latencyBuckets: number[] | undefined;

  constructor(spec: CommandSpec) {
    this.name = spec.name;
    this.arity = spec.arity;
    this.flags = spec.flags;
    let flagBits = 0;
    for (const f of spec.flags) flagBits |= FLAG_BITS[f] ?? 0;
    this.flagBits = flagBits;
    this.requestFlags = spec.requestFlags;
    this.keys = spec.keys ?? { first: 0, last: 0, step: 0 };
    this.keySpecs = spec.keySpecs ?? (this.keys.first > 0 ? [simpleKeySpec(this.keys, this.flags.includes("write"))] : []);
    this.movableKeys = this.keySpecs.some((k) => !(typeof k.begin === "object" && "index" in k.begin && typeof k.find === "object" && "lastkey" in k.find));
    this.categories = spec.categories ?? [];
    this.keysProc = spec.getKeys;
    this.tips = spec.tips ?? [];
    this.summary = spec.summary;
    this.since = spec.since;
    this.complexity = spec.complexity ?? "O(1)";
    this.group = spec.group ?? "";
    this.docs = { args: spec.args, history: spec.history, docFlags: spec.docFlags, deprecatedSince: spec.deprecatedSince, replacedBy: spec.replacedBy };
    this.handler = spec.handler;
    this.notify = spec.notify;
    this.events = spec.events;
    this.protectedBy = spec.protectedBy;
    this.expiredAlone = spec.expiredAlone === true;
    if (spec.subcommands) {
      const subs = new Map<string, Command>();
      for (const sub of spec.subcommands) {
        subs.set(sub.name.slice(sub.name.indexOf("|") + 1), sub);
        sub.parent = this;
      }
      this.subcommands = subs;
    }
    this.categoryBits = categoryBitsOf(this.categories, this.flags);
  }

  /** Its arguments for COMMAND DOCS, parsed from the declaration's notation when first asked. */
  get arguments(): readonly Argument[] {
    return (this.parsedArguments ??= parseArguments(this.docs.args ?? ""));
  }

  /**
   * Whether the command names keys (Redis's doesCommandHaveKeys): a spec not flagged
   * not_key, or a function finding them. A sharded channel routes like a key but is none.
   */
  get hasKeys(): boolean {
    return this.keysProc !== undefined || this.keySpecs.some((spec) => !spec.flags.includes("not_key"));
  }

  /**
   * The keys a request names, found through the key specs as Redis's
   * getKeysFromCommandWithSpecs finds them (ACL key patterns, COMMAND GETKEYS). A spec whose
   * positions fall outside the request, or whose key count is not a count, makes the whole
   * request keyless, as in Redis. Specs flagged not_key (sharded channels) count only for
   * `includeNotKeys` (cluster routing).
   */
  getKeys(argv: Argv, includeNotKeys = false): KeyRef[] {
    if (this.keysProc !== undefined) return this.keysProc(argv);
    const out: KeyRef[] = [];
    const argc = argv.length;
    for (const spec of this.keySpecs) {
      if (!includeNotKeys && spec.flags.includes("not_key")) continue;
      const begin = spec.begin;
      const find = spec.find;
      if (begin === "unknown" || find === "unknown") continue;
      let first: number;
      if ("index" in begin) first = begin.index;
      else {
        // Search for the keyword from `startfrom` (from the end when negative).
        const from = begin.startfrom >= 0 ? begin.startfrom : argc + begin.startfrom;
        const step = begin.startfrom >= 0 ? 1 : -1;
        let at = -1;
        for (let i = from; i > 0 && i < argc; i += step) {
          if (argv.keyword(i) === begin.keyword.toLowerCase()) {
            at = i;
            break;
          }
        }
        if (at < 0) continue;
        first = at + 1;
      }
      let last: number;
      let keystep: number;
      if ("lastkey" in find) {
        keystep = find.keystep;
        if (find.lastkey >= 0) last = first + find.lastkey;
        else if (find.limit === 0) last = argc + find.lastkey;
        else last = first + (Math.floor((argc - first) / find.limit) + find.lastkey);
      } else {
        const numIndex = first + find.keynumidx;
        if (numIndex >= argc) return [];
        const count = parseInt64(argv.bytes(numIndex));
        if (count === undefined || count < 0) return [];
        keystep = find.keystep;
        first += find.firstkey;
        last = first + (count - 1) * keystep;
      }
      if (last >= argc || (first >= argc && last >= first)) return [];
      for (let i = first; i <= last; i += keystep) out.push({ pos: i, flags: spec.flags });
    }
    return out;
  }

  has(flag: CommandFlag): boolean {
    return this.flags.includes(flag);
  }
}

function simpleKeySpec(keys: KeySpec, write: boolean): FullKeySpec {
  const spec: FullKeySpec = {
    flags: keys.flags ?? (write ? ["RW", "update"] : ["RO", "access"]),
    begin: { index: keys.first },
    find: { lastkey: keys.last < 0 ? keys.last : keys.last - keys.first, keystep: keys.step, limit: keys.limit ?? 0 },
  };
  if (keys.notes !== undefined) spec.notes = keys.notes;
  return spec;
}

/** A key in a request: its position in argv and its key spec's flags (RO, RW, access, ...). */
export interface KeyRef {
  pos: number;
  flags: readonly string[];
}

/** ACL categories in the order Redis lists them (ACLCommandCategories). */
export const CATEGORY_ORDER = [
  "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo",
  "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting",
];

const categoryBit = (name: string) => 1 << CATEGORY_ORDER.indexOf(name);
const [READ, WRITE, PUBSUB, ADMIN, FAST, SLOW, BLOCKING, DANGEROUS, SCRIPTING] = ["read", "write", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "scripting"].map(categoryBit) as [
  number, number, number, number, number, number, number, number, number,
];

/**
 * The explicit categories plus those Redis derives from the flags (setImplicitACLCategories),
 * as bits over CATEGORY_ORDER. Bits, not a Set of names filtered in order: made for each of
 * some 400 commands as the modules load, the Set's way took 6-10 ms of a cold binary doing
 * only that (about 4 ms of KVIS's start-up).
 */
function categoryBitsOf(categories: readonly string[], flags: readonly CommandFlag[]): number {
  let bits = 0;
  for (const name of categories) {
    const i = CATEGORY_ORDER.indexOf(name);
    if (i >= 0) bits |= 1 << i;
  }
  if (flags.includes("write")) bits |= WRITE;
  // EVAL_RO and FCALL_RO are readonly but not @read: what their scripts read is unknown.
  if (flags.includes("readonly") && (bits & SCRIPTING) === 0) bits |= READ;
  if (flags.includes("admin")) bits |= ADMIN | DANGEROUS;
  if (flags.includes("pubsub")) bits |= PUBSUB;
  if (flags.includes("fast")) bits |= FAST;
  if (flags.includes("blocking")) bits |= BLOCKING;
  if ((bits & FAST) === 0) bits |= SLOW;
  return bits;
}

/** A command's categories by name, in CATEGORY_ORDER (COMMAND INFO, COMMAND LIST FILTERBY ACLCAT). */
export function categoriesOf(cmd: Command): string[] {
  return CATEGORY_ORDER.filter((_, i) => (cmd.categoryBits & (1 << i)) !== 0);
}

/** The flag bits of a request: the command's, or those its request gives it (requestFlags). */
export function requestBits(c: Context, cmd: Command, argv: Argv): number {
  return cmd.requestFlags === undefined ? cmd.flagBits : cmd.requestFlags(c, argv, cmd.flagBits);
}

export function command(spec: CommandSpec): Command {
  return new Command(spec);
}
