/**
 * Access control: users, their passwords and selectors, the permission check the dispatcher
 * runs before a command, the ACL log and the ACL file. Rules are applied and described as
 * Redis 7.0's acl.c does, so ACL LIST, GETUSER and SAVE print what Redis prints and a file
 * written by one loads in the other. Nothing here replies to a client: the ACL command
 * (commands/server.ts) and the dispatcher turn results into replies.
 */
import { CATEGORY_ORDER, type Command, F_NO_AUTH, type KeyRef } from "../commands/command.ts";
import { allCommands, everyCommand, findCommand } from "../commands/table.ts";
import { clientInfoLine } from "../commands/connection.ts";
import { hasSpaces, mergeSelectorArgs } from "../commands/acl.ts";
import { type AclLogEntry, type Context, Denied } from "../commands/context.ts";
import type { Argv } from "../resp/argv.ts";
import { aclUnmatchedParenthesis } from "../errors.ts";
import { compareBytes, globMatch } from "../resp/bytes.ts";
import type { Server } from "./server.ts";
import { readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";

const READ = 1;
const WRITE = 2;

/** Why a rule was refused, in the words of Redis's ACLSetUserStringError. */
export class AclRuleError {
  constructor(readonly reason: string) {}
}
const UNKNOWN_NAME = new AclRuleError("Unknown command or category name in ACL");
const BAD_SYNTAX = new AclRuleError("Syntax error");
const AFTER_ALLKEYS = new AclRuleError(
  "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
);
const AFTER_ALLCHANNELS = new AclRuleError(
  "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
);
const NO_SUCH_PASSWORD = new AclRuleError("The password you are trying to remove from the user does not exist");
const BAD_HASH = new AclRuleError("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters");
const FIRSTARG_OF_SUBCOMMAND = new AclRuleError("Allowing first-arg of a subcommand is not supported");

/** Outcomes of a permission check, ordered as Redis orders ACL_DENIED_* (the worst wins). */

/** A command by its ACL name: "get", "config|get"; nothing deeper than one `|`. */
function lookupAclCommand(name: string): Command | undefined {
  if (name.split("|").length > 2) return undefined;
  return findCommand(name);
}

/**
 * One selector: which commands (a bitmap over Command.id), key patterns and channel
 * patterns it allows. Every user has a root selector; `(...)` rules add more, and a command
 * runs when any selector allows it.
 */
export class Selector {
  allowed = new Uint8Array(everyCommand().length);
  /** Redis's reserved bit: set only by +@all, so the user also gets commands added later. */
  future = false;
  allCommands = false;
  allKeys = false;
  keys: Array<{ pattern: string; perm: number }> = [];
  channels: string[] = [];
  /** Allowed first arguments of otherwise denied commands (+select|0), by command id. */
  firstArgs: Map<number, string[]> | undefined;

  constructor(
    readonly root: boolean,
    public allChannels: boolean,
  ) {}

  copy(): Selector {
    const s = new Selector(this.root, this.allChannels);
    s.allowed.set(this.allowed);
    s.future = this.future;
    s.allCommands = this.allCommands;
    s.allKeys = this.allKeys;
    s.keys = this.keys.map((k) => ({ ...k }));
    s.channels = [...this.channels];
    if (this.firstArgs) s.firstArgs = new Map([...this.firstArgs].map(([id, args]) => [id, [...args]]));
    return s;
  }

  /** Apply one rule (ACLSetSelector); throws AclRuleError. */
  apply(op: string): void {
    const lower = op.toLowerCase();
    if (lower === "allkeys" || op === "~*") {
      this.allKeys = true;
      this.keys = [];
    } else if (lower === "resetkeys") {
      this.allKeys = false;
      this.keys = [];
    } else if (lower === "allchannels" || op === "&*") {
      this.allChannels = true;
      this.channels = [];
    } else if (lower === "resetchannels") {
      this.allChannels = false;
      this.channels = [];
    } else if (lower === "allcommands" || lower === "+@all") {
      this.allowed.fill(1);
      this.future = true;
      this.allCommands = true;
      this.firstArgs = undefined;
    } else if (lower === "nocommands" || lower === "-@all") {
      this.allowed.fill(0);
      this.future = false;
      this.allCommands = false;
      this.firstArgs = undefined;
    } else if (op[0] === "~" || op[0] === "%") {
      this.addKeyPattern(op);
    } else if (op[0] === "&") {
      if (this.allChannels) throw AFTER_ALLCHANNELS;
      const pattern = op.slice(1);
      if (hasSpaces(pattern)) throw BAD_SYNTAX;
      if (!this.channels.includes(pattern)) this.channels.push(pattern);
    } else if (op[0] === "+" && op[1] !== "@") {
      this.allowCommand(op.slice(1));
    } else if (op[0] === "-" && op[1] !== "@") {
      const cmd = lookupAclCommand(op.slice(1));
      if (cmd === undefined) throw UNKNOWN_NAME;
      this.changePerm(cmd, false);
    } else if ((op[0] === "+" || op[0] === "-") && op[1] === "@") {
      const index = CATEGORY_ORDER.indexOf(lower.slice(2));
      if (index < 0) throw UNKNOWN_NAME;
      this.setCategory(1 << index, op[0] === "+");
    } else {
      throw BAD_SYNTAX;
    }
  }

  /** `~pattern` (read and write), `%R~`, `%W~` or `%RW~pattern`. */
  private addKeyPattern(op: string): void {
    if (this.allKeys) throw AFTER_ALLKEYS;
    let perm = READ | WRITE;
    let offset = 1;
    if (op[0] === "%") {
      perm = 0;
      for (; offset < op.length; offset++) {
        const c = op[offset]!.toUpperCase();
        if (c === "R" && !(perm & READ)) perm |= READ;
        else if (c === "W" && !(perm & WRITE)) perm |= WRITE;
        else if (c === "~") {
          offset++;
          break;
        } else throw BAD_SYNTAX;
      }
      // Redis would store a pattern with no permission and fail later describing it.
      if (perm === 0) throw BAD_SYNTAX;
    }
    const pattern = op.slice(offset);
    if (hasSpaces(pattern)) throw BAD_SYNTAX;
    const existing = this.keys.find((k) => k.pattern === pattern);
    if (existing) existing.perm |= perm;
    else this.keys.push({ pattern, perm });
  }

  /** `+cmd`, `+cmd|sub`, or `+cmd|firstarg` for a command without subcommands. */
  private allowCommand(name: string): void {
    const bar = name.lastIndexOf("|");
    if (bar < 0) {
      const cmd = lookupAclCommand(name);
      if (cmd === undefined) throw UNKNOWN_NAME;
      this.changePerm(cmd, true);
      return;
    }
    const cmd = lookupAclCommand(name.slice(0, bar));
    if (cmd === undefined) throw UNKNOWN_NAME;
    if (cmd.parent !== undefined) throw FIRSTARG_OF_SUBCOMMAND;
    const arg = name.slice(bar + 1);
    if (arg === "") throw BAD_SYNTAX;
    if (cmd.subcommands !== undefined) {
      const sub = lookupAclCommand(name);
      if (sub === undefined) throw UNKNOWN_NAME;
      this.changePerm(sub, true);
      return;
    }
    this.firstArgs ??= new Map();
    const args = this.firstArgs.get(cmd.id) ?? [];
    if (!args.some((a) => a.toLowerCase() === arg.toLowerCase())) args.push(arg);
    this.firstArgs.set(cmd.id, args);
  }

  private setBit(id: number, allow: boolean): void {
    this.allowed[id] = allow ? 1 : 0;
    if (!allow) this.allCommands = false;
  }

  /** Allow or deny a command; a container's subcommands follow it (ACLChangeSelectorPerm). */
  changePerm(cmd: Command, allow: boolean): void {
    this.setBit(cmd.id, allow);
    this.firstArgs?.delete(cmd.id);
    for (const sub of cmd.subcommands?.values() ?? []) this.setBit(sub.id, allow);
  }

  private setCategory(bit: number, allow: boolean): void {
    for (const cmd of allCommands()) {
      if (cmd.categoryBits & bit) this.changePerm(cmd, allow);
      for (const sub of cmd.subcommands?.values() ?? []) if (sub.categoryBits & bit) this.changePerm(sub, allow);
    }
  }

  /** How many commands of a category this selector allows and denies. */
  private countCategory(bit: number): [on: number, off: number] {
    let on = 0;
    let off = 0;
    for (const cmd of everyCommand()) {
      if ((cmd.categoryBits & bit) === 0) continue;
      if (this.allowed[cmd.id]) on++;
      else off++;
    }
    return [on, off];
  }

  /**
   * The command rules as Redis 7.0 describes them (ACLDescribeSelectorCommandRules): +@all or
   * -@all, then greedily the categories that best fit the bitmap, then single commands for
   * what remains. Redis lists those single commands in its hash table's order, which is
   * random per process; here they come in command-name order.
   */
  describeCommands(): string {
    const fake = new Selector(false, false);
    const additive = !this.future;
    const rules: string[] = [additive ? "-@all" : "+@all"];
    fake.apply(rules[0]!);
    const temp = new Selector(false, false);
    temp.allowed.set(this.allowed);
    const applied = new Array<boolean>(CATEGORY_ORDER.length).fill(false);
    for (;;) {
      let best = -1;
      let minDiff = Number.MAX_SAFE_INTEGER;
      let maxSame = 0;
      for (let j = 0; j < CATEGORY_ORDER.length; j++) {
        if (applied[j]) continue;
        const [on, off] = temp.countCategory(1 << j);
        const diff = additive ? off : on;
        const same = additive ? on : off;
        if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
          best = j;
          minDiff = diff;
          maxSame = same;
        }
      }
      if (best < 0) break;
      const name = CATEGORY_ORDER[best]!;
      fake.setCategory(1 << best, additive);
      temp.setCategory(1 << best, !additive);
      rules.push(`${additive ? "+" : "-"}@${name}`);
      applied[best] = true;
    }
    for (const cmd of allCommands()) {
      for (const each of [cmd, ...(cmd.subcommands?.values() ?? [])]) {
        const mine = this.allowed[each.id] === 1;
        if (mine !== (fake.allowed[each.id] === 1)) {
          rules.push(`${mine ? "+" : "-"}${each.name}`);
          fake.changePerm(each, mine);
        }
        if (!mine) for (const arg of this.firstArgs?.get(each.id) ?? []) rules.push(`+${each.name}|${arg}`);
      }
    }
    return rules.join(" ");
  }

  /** Key patterns as ACL LIST writes them, or "~*". */
  describeKeys(): string[] {
    if (this.allKeys) return ["~*"];
    return this.keys.map((k) => `${k.perm === (READ | WRITE) ? "~" : k.perm === READ ? "%R~" : "%W~"}${k.pattern}`);
  }

  describeChannels(): string[] {
    return this.allChannels ? ["&*"] : this.channels.map((c) => `&${c}`);
  }

  /** Keys, channels, then commands: one selector in ACL LIST's form. */
  describe(): string {
    const parts = this.describeKeys();
    if (this.allChannels) parts.push("&*");
    else parts.push("resetchannels", ...this.describeChannels());
    parts.push(this.describeCommands());
    return parts.join(" ");
  }

  /** May this selector run `cmd` with these arguments? (ACLSelectorCheckCmd) */
  check(cmd: Command, argv: Argv, keys: () => KeyRef[]): { denied: Denied; pos: number } {
    if (!this.allCommands && (cmd.flagBits & F_NO_AUTH) === 0 && this.allowed[cmd.id] === 0) {
      const args = this.firstArgs?.get(cmd.id);
      const at = cmd.parent ? 2 : 1;
      if (args === undefined || argv.length < 2 || !args.some((a) => a.toLowerCase() === argv.str(at).toLowerCase())) {
        return { denied: Denied.Command, pos: 0 };
      }
    }
    if (!this.allKeys && cmd.hasKeys) {
      for (const key of keys()) {
        if (!this.keyAllowed(argv.str(key.pos), key.flags)) return { denied: Denied.Key, pos: key.pos };
      }
    }
    if (!this.allChannels) {
      for (const ch of channelsOf(cmd, argv)) {
        if (!channelAllowed(this.channels, argv.str(ch.pos), ch.pattern)) return { denied: Denied.Channel, pos: ch.pos };
      }
    }
    return { denied: Denied.None, pos: 0 };
  }

  keyAllowed(key: string, specFlags: readonly string[]): boolean {
    if (this.allKeys) return true;
    let need = 0;
    for (const f of specFlags) {
      if (f === "access") need |= READ;
      else if (f === "insert" || f === "delete" || f === "update") need |= WRITE;
    }
    for (const k of this.keys) {
      if ((k.perm & need) === need && globMatch(k.pattern, key)) return true;
    }
    return false;
  }
}

/**
 * The channels a request publishes or subscribes to (Redis 7.0's commands_with_channels):
 * unsubscribing is never denied.
 */
function channelsOf(cmd: Command, argv: Argv): Array<{ pos: number; pattern: boolean }> {
  switch (cmd.name) {
    case "publish":
    case "spublish":
      return [{ pos: 1, pattern: false }];
    case "subscribe":
    case "ssubscribe":
    case "psubscribe": {
      const out = [];
      for (let i = 1; i < argv.length; i++) out.push({ pos: i, pattern: cmd.name === "psubscribe" });
      return out;
    }
  }
  return [];
}

/** A channel matches a pattern; a PSUBSCRIBE pattern must equal one literally. */
function channelAllowed(patterns: readonly string[], channel: string, isPattern: boolean): boolean {
  return patterns.some((p) => (isPattern ? p === channel : globMatch(p, channel)));
}

/** Flags in the order Redis lists them (ACLUserFlags). */
const USER_FLAGS = ["on", "off", "nopass", "skip-sanitize-payload", "sanitize-payload"] as const;

export class User {
  flags = new Set<(typeof USER_FLAGS)[number]>(["off"]);
  /** SHA-256 hex digests. */
  passwords: string[] = [];
  selectors: Selector[];
  /** Set when a selector allows everything: the dispatcher then checks nothing. */
  unrestricted = false;

  constructor(
    readonly name: string,
    allChannelsByDefault: boolean,
  ) {
    this.selectors = [new Selector(true, allChannelsByDefault)];
  }

  get enabled(): boolean {
    return this.flags.has("on");
  }

  get nopass(): boolean {
    return this.flags.has("nopass");
  }

  get root(): Selector {
    return this.selectors[0]!;
  }

  /** Apply one rule (ACLSetUser); throws AclRuleError. */
  apply(op: string, allChannelsByDefault: boolean): void {
    this.applyOne(op, allChannelsByDefault);
    this.unrestricted = this.selectors.some((s) => s.allCommands && s.allKeys && s.allChannels);
  }

  private applyOne(op: string, allChannelsByDefault: boolean): void {
    if (op === "") return;
    const lower = op.toLowerCase();
    const setFlag = (on: (typeof USER_FLAGS)[number], off: (typeof USER_FLAGS)[number]) => {
      this.flags.add(on);
      this.flags.delete(off);
    };
    if (lower === "on") setFlag("on", "off");
    else if (lower === "off") setFlag("off", "on");
    else if (lower === "skip-sanitize-payload") setFlag("skip-sanitize-payload", "sanitize-payload");
    else if (lower === "sanitize-payload") setFlag("sanitize-payload", "skip-sanitize-payload");
    else if (lower === "nopass") {
      this.flags.add("nopass");
      this.passwords = [];
    } else if (lower === "resetpass") {
      this.flags.delete("nopass");
      this.passwords = [];
    } else if (op[0] === ">" || op[0] === "#") {
      const hash = op[0] === ">" ? hashPassword(op.slice(1)) : checkedHash(op.slice(1));
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.flags.delete("nopass");
    } else if (op[0] === "<" || op[0] === "!") {
      const hash = op[0] === "<" ? hashPassword(op.slice(1)) : checkedHash(op.slice(1));
      const at = this.passwords.indexOf(hash);
      if (at < 0) throw NO_SUCH_PASSWORD;
      this.passwords.splice(at, 1);
    } else if (op[0] === "(" && op.endsWith(")")) {
      const selector = new Selector(false, allChannelsByDefault);
      for (const rule of op.slice(1, -1).split(/\s+/)) if (rule !== "") selector.apply(rule);
      this.selectors.push(selector);
    } else if (lower === "clearselectors") {
      this.selectors.length = 1;
    } else if (lower === "reset") {
      for (const rule of ["resetpass", "resetkeys", "resetchannels", ...(allChannelsByDefault ? ["allchannels"] : []), "off", "sanitize-payload", "clearselectors", "-@all"]) {
        this.applyOne(rule, allChannelsByDefault);
      }
    } else {
      this.root.apply(op);
    }
  }

  copyFrom(other: User): void {
    this.flags = new Set(other.flags);
    this.passwords = [...other.passwords];
    this.selectors = other.selectors.map((s) => s.copy());
    this.unrestricted = other.unrestricted;
  }

  flagNames(): string[] {
    return USER_FLAGS.filter((f) => this.flags.has(f));
  }

  /** Everything after "user <name> " in ACL LIST (ACLDescribeUser). */
  describe(): string {
    const parts = this.flagNames();
    for (const p of this.passwords) parts.push(`#${p}`);
    parts.push(this.root.describe());
    for (const s of this.selectors.slice(1)) parts.push(`(${s.describe()})`);
    return parts.join(" ");
  }

  /**
   * The check for one request (ACLCheckAllUserCommandPerm): allowed when one selector allows
   * it; otherwise the worst refusal, the later argument on a tie.
   */
  check(cmd: Command, argv: Argv): { denied: Denied; pos: number } {
    let keys: KeyRef[] | undefined;
    const keysOnce = () => (keys ??= cmd.getKeys(argv));
    let worst = { denied: Denied.Command, pos: 0 };
    for (const s of this.selectors) {
      const result = s.check(cmd, argv, keysOnce);
      if (result.denied === Denied.None) return result;
      if (result.denied > worst.denied || (result.denied === worst.denied && result.pos > worst.pos)) worst = result;
    }
    return worst;
  }

  /**
   * Whether a selector that allows this request also lets it read every key (allkeys, or
   * a read pattern of "*"): Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess, which SORT's
   * BY and GET patterns need, since the keys they read are not known before they run.
   */
  readsEveryKey(cmd: Command, argv: Argv): boolean {
    if (this.unrestricted) return true;
    let keys: KeyRef[] | undefined;
    const keysOnce = () => (keys ??= cmd.getKeys(argv));
    return this.selectors.some(
      (s) => s.check(cmd, argv, keysOnce).denied === Denied.None && (s.allKeys || s.keys.some((k) => (k.perm & READ) !== 0 && k.pattern === "*")),
    );
  }

  /** Whether any selector allows a channel (ACLUserCheckChannelPerm). */
  channelAllowed(channel: string, isPattern: boolean): boolean {
    return this.selectors.some((s) => s.allChannels || channelAllowed(s.channels, channel, isPattern));
  }
}

/** The rules Redis gives a fresh default user (ACLCreateDefaultUser). */
function allowedEverything(user: User): User {
  for (const rule of ["+@all", "~*", "&*", "on", "nopass"]) user.apply(rule, true);
  return user;
}

function hashPassword(password: string): string {
  return new Bun.CryptoHasher("sha256").update(Buffer.from(password, "latin1")).digest("hex");
}

function checkedHash(hash: string): string {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw BAD_HASH;
  return hash;
}


/**
 * A `user` line's rules checked as Redis checks them while reading its config file
 * (ACLAppendUserForLoading): applied to a user of no one's, where an unknown command or
 * category passes (the load that follows stops start-up for it). The first other error,
 * with its index among the rules once selectors are merged.
 */
export function checkUserRules(rules: readonly string[]): { at: number; reason: string } | undefined {
  const merged = mergeSelectorArgs(rules);
  // ACL SETUSER's words, without its "ERR ".
  if (typeof merged === "number") return { at: merged, reason: aclUnmatchedParenthesis(rules[merged]!).text.slice(4) };
  const user = new User("", true);
  for (let j = 0; j < merged.length; j++) {
    try {
      user.apply(merged[j]!, true);
    } catch (e) {
      if (!(e instanceof AclRuleError)) throw e;
      if (e !== UNKNOWN_NAME) return { at: j, reason: e.reason };
    }
  }
  return undefined;
}

/** Redis folds repeats of one denial within a minute into a single log entry. */
const LOG_GROUPING_MS = 60000;

export class Acl {
  /** Users by name; ACL LIST and SAVE list them sorted, as Redis's radix tree does. */
  users = new Map<string, User>();
  readonly defaultUser: User;
  /** Unlisted and allowed everything: the client that applies a master's stream. */
  readonly superuser = allowedEverything(new User("(superuser)", true));
  log: AclLogEntry[] = [];

  constructor(private readonly server: Server) {
    this.defaultUser = allowedEverything(this.createUser("default"));
    this.setDefaultPassword(server.config.get("requirepass"));
  }

  private get allChannelsByDefault(): boolean {
    return this.server.config.get("acl-pubsub-default") === "allchannels";
  }

  createUser(name: string): User {
    const user = new User(name, this.allChannelsByDefault);
    this.users.set(name, user);
    return user;
  }

  /** `requirepass`: the default user's only password, or nopass when empty. */
  setDefaultPassword(password: string): void {
    this.defaultUser.apply("resetpass", true);
    this.defaultUser.apply(password === "" ? "nopass" : `>${password}`, true);
  }

  /** New connections need AUTH unless the default user is on and needs no password. */
  get authRequired(): boolean {
    return !this.defaultUser.nopass || !this.defaultUser.enabled;
  }

  sortedUsers(): User[] {
    return [...this.users.values()].sort((a, b) => compareBytes(a.name, b.name));
  }

  /** The user a name and password authenticate, or undefined (ACLCheckUserCredentials). */
  credentials(username: string, password: string): User | undefined {
    const user = this.users.get(username);
    if (user === undefined || !user.enabled) return undefined;
    if (user.nopass) return user;
    return user.passwords.includes(hashPassword(password)) ? user : undefined;
  }

  /**
   * Apply rules to a copy of the user (or a new one) and keep the result only when every
   * rule was valid, as ACL SETUSER does. Returns the rule that failed and why.
   */
  setUser(name: string, rules: readonly string[]): { rule: string; error: AclRuleError } | undefined {
    const existing = this.users.get(name);
    const staged = new User(name, this.allChannelsByDefault);
    if (existing) staged.copyFrom(existing);
    for (const rule of rules) {
      try {
        staged.apply(rule, this.allChannelsByDefault);
      } catch (e) {
        if (e instanceof AclRuleError) return { rule, error: e };
        throw e;
      }
    }
    if (existing) this.killRevokedSubscribers(staged, existing);
    (existing ?? this.createUser(name)).copyFrom(staged);
    return undefined;
  }

  /**
   * Close pub/sub connections of `old`'s clients whose subscriptions the new rules no longer
   * allow (ACLKillPubsubClientsIfNeeded, with its shortcut: nothing is checked when the new
   * channel lists include every old one).
   */
  private killRevokedSubscribers(updated: User, old: User): void {
    if (updated.selectors.some((s) => s.allChannels)) return;
    const upcoming = updated.selectors.flatMap((s) => s.channels);
    // An old selector allowing every channel held "*" (Redis keeps it in the list), which
    // the new ones, none allowing every channel, do not include.
    if (old.selectors.every((s) => !s.allChannels && s.channels.every((ch) => upcoming.includes(ch)))) return;
    for (const c of this.server.clients.values()) {
      if (c.user !== old) continue;
      const revoked =
        [...c.patterns].some((p) => !channelAllowed(upcoming, p, true)) ||
        [...c.channels, ...c.shardChannels].some((ch) => !channelAllowed(upcoming, ch, false));
      if (revoked) this.disconnect(c);
    }
  }

  /** Close a client whose user changed: after its reply when it is the one asking, else at once. */
  private disconnect(c: Context): void {
    if (c === this.server.executing) c.closeAfterReply = true;
    else c.kill();
  }

  /** ACL DELUSER: remove users and disconnect their clients; returns how many existed. */
  deleteUsers(names: readonly string[]): number {
    let deleted = 0;
    for (const name of names) {
      const user = this.users.get(name);
      if (user === undefined) continue;
      this.users.delete(name);
      this.disconnectUser(user);
      deleted++;
    }
    return deleted;
  }

  private disconnectUser(user: User): void {
    for (const c of this.server.clients.values()) {
      if (c.user !== user) continue;
      // Redis puts the client back to the default user, unauthenticated, before closing it.
      c.setUser(this.defaultUser, false);
      this.disconnect(c);
    }
  }

  /** Record a denial in the ACL log (addACLLogEntry). */
  addLog(c: Context, reason: AclLogEntry["reason"], object: string, username = c.user.name, context?: AclLogEntry["context"]): void {
    const entry: AclLogEntry = {
      count: 1, reason, context: context ?? (c.multi !== undefined || c.inExec ? "multi" : "toplevel"), object, username,
      ctime: Date.now(), clientInfo: clientInfoLine(c, Date.now()),
    };
    const scan = Math.min(this.log.length, 10);
    for (let i = 0; i < scan; i++) {
      const e = this.log[i]!;
      if (e.reason === entry.reason && e.context === entry.context && Math.abs(e.ctime - entry.ctime) <= LOG_GROUPING_MS && e.object === object && e.username === username) {
        this.log.splice(i, 1);
        e.count++;
        e.ctime = entry.ctime;
        e.clientInfo = entry.clientInfo;
        this.log.unshift(e);
        return;
      }
    }
    this.log.unshift(entry);
    const max = this.server.config.int("acllog-max-len");
    if (this.log.length > max) this.log.length = max;
  }

  /** The text of ACL LIST and of the ACL file: one "user ..." line per user. */
  describeAll(): string[] {
    return this.sortedUsers().map((u) => `user ${u.name} ${u.describe()}`);
  }

  /**
   * Load the ACL file (ACLLoadFromFile). Every line is checked first; with any error nothing
   * changes and the errors come back as one line. The default user object is kept (clients
   * hold it) and takes the file's rules; clients of other old users are disconnected.
   */
  loadFile(path: string): string | undefined {
    let text: string;
    try {
      text = readFileSync(path, "latin1");
    } catch (e) {
      return `Error loading ACLs, opening file '${path}': ${describeFsError(e)}`;
    }
    const fresh = new Map<string, User>();
    let errors = "";
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === "") continue;
      const argv = line.split(" ").filter((a) => a !== "");
      const lineNo = i + 1;
      if (argv[0] !== "user" || argv.length < 2) {
        errors += `${path}:${lineNo} should start with user keyword followed by the username. `;
        continue;
      }
      const name = argv[1]!;
      if (fresh.has(name)) {
        errors += `WARNING: Duplicate user '${name}' found on line ${lineNo}. `;
        continue;
      }
      const user = new User(name, this.allChannelsByDefault);
      fresh.set(name, user);
      const rules = mergeSelectorArgs(argv.slice(2));
      if (typeof rules === "number") {
        errors += `${path}:${lineNo}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      // An unknown command is named; for other errors only the first of a line is told,
      // since the rule may be a password (Redis 7.0.15).
      let told = false;
      for (const rule of rules) {
        const op = rule.replace(/^[\t\r\n]+|[\t\r\n]+$/g, "");
        try {
          user.apply(op, this.allChannelsByDefault);
        } catch (e) {
          if (!(e instanceof AclRuleError)) throw e;
          if (e === UNKNOWN_NAME) errors += `${path}:${lineNo}: Error in applying operation '${op}': ${e.reason}. `;
          else if (!told) errors += `${path}:${lineNo}: ${e.reason}. `;
          told ||= e !== UNKNOWN_NAME;
        }
      }
    }
    if (errors !== "") return `${errors}WARNING: ACL errors detected, no change to the previously active ACL rules was performed`;
    const newDefault = fresh.get("default");
    if (newDefault) this.defaultUser.copyFrom(newDefault);
    else this.defaultUser.copyFrom(allowedEverything(new User("default", true)));
    fresh.set("default", this.defaultUser);
    for (const old of this.users.values()) if (old !== this.defaultUser) this.disconnectUser(old);
    this.users = fresh;
    return undefined;
  }

  /** ACL SAVE: the users in ACL LIST's form, written to a temporary file then renamed over. */
  saveFile(path: string): boolean {
    const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    try {
      writeFileSync(tmp, this.describeAll().map((l) => `${l}\n`).join(""), { encoding: "latin1", mode: 0o644 });
      renameSync(tmp, path);
      return true;
    } catch (e) {
      this.server.log.warning(`Writing ACL file for ACL SAVE: ${describeFsError(e)}`);
      try {
        unlinkSync(tmp);
      } catch {
        // Nothing was written.
      }
      return false;
    }
  }
}

function describeFsError(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === "ENOENT") return "No such file or directory";
  if (code === "EACCES") return "Permission denied";
  return (e as Error).message ?? String(e);
}
