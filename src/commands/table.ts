/**
 * The command table, built once from the files of commands: every `Command` a module
 * exports is registered under its name, with its COMMAND DOCS group and the file it lives
 * in (the README's command table says where each command is). Nothing else lists commands.
 * No command module imports this one (handlers reach the table through their context), so
 * it is built once, when it loads.
 */
import { Command } from "./command.ts";
import type { Argv } from "../resp/argv.ts";
import * as acl from "./acl.ts";
import * as bitmap from "./bitmap.ts";
import * as cluster from "./cluster.ts";
import * as config from "./config.ts";
import * as connection from "./connection.ts";
import * as debug from "./debug.ts";
import * as generic from "./generic.ts";
import * as hash from "./hash.ts";
import * as geo from "./geo.ts";
import * as hyperloglog from "./hyperloglog.ts";
import * as info from "./info.ts";
import * as introspection from "./introspection.ts";
import * as list from "./list.ts";
import * as lolwut from "./lolwut.ts";
import * as modules from "./module.ts";
import * as persistence from "./persistence.ts";
import * as pubsub from "./pubsub.ts";
import * as replication from "./replication.ts";
import * as scripting from "./scripting.ts";
import * as server from "./server.ts";
import * as set from "./set.ts";
import * as sortedSet from "./sorted-set.ts";
import * as stream from "./stream.ts";
import * as string from "./string.ts";
import * as transactions from "./transactions.ts";

/**
 * Every file of commands with its COMMAND DOCS group. Redis's "server" group is split by
 * subsystem, as Redis splits it (ACL in acl.c, SLOWLOG in slowlog.c, REPLCONF in
 * replication.c...), so several files share that group.
 */
const FILES: ReadonlyArray<[file: string, group: string, module: Record<string, unknown>]> = [
  ["acl.ts", "server", acl],
  ["bitmap.ts", "bitmap", bitmap],
  ["cluster.ts", "cluster", cluster],
  ["config.ts", "server", config],
  ["connection.ts", "connection", connection],
  ["debug.ts", "server", debug],
  ["generic.ts", "generic", generic],
  ["hash.ts", "hash", hash],
  ["geo.ts", "geo", geo],
  ["hyperloglog.ts", "hyperloglog", hyperloglog],
  ["info.ts", "server", info],
  ["introspection.ts", "server", introspection],
  ["list.ts", "list", list],
  ["lolwut.ts", "server", lolwut],
  ["module.ts", "server", modules],
  ["persistence.ts", "server", persistence],
  ["pubsub.ts", "pubsub", pubsub],
  ["replication.ts", "server", replication],
  ["scripting.ts", "scripting", scripting],
  ["server.ts", "server", server],
  ["set.ts", "set", set],
  ["sorted-set.ts", "sorted-set", sortedSet],
  ["stream.ts", "stream", stream],
  ["string.ts", "string", string],
  ["transactions.ts", "transactions", transactions],
];

const table = new Map<string, Command>();
/** The top-level commands sorted by name, and every command with containers followed by their subcommands. */
const sorted: Command[] = [];
const flat: Command[] = [];
/** Commands by a hash of their lowercase name (see nameHash), for lookupCommand. */
const byHash = new Map<number, Command[]>();
build();

function build(): void {
  for (const [file, group, module] of FILES) {
    for (const value of Object.values(module)) {
      if (!(value instanceof Command)) continue;
      for (const cmd of [value, ...(value.subcommands?.values() ?? [])]) {
        cmd.group ||= group;
        cmd.file = `src/commands/${file}`;
      }
      table.set(value.name, value);
    }
  }
  sorted.push(...[...table.values()].sort((a, b) => (a.name < b.name ? -1 : 1)));
  // Each container is followed by its subcommands: the order ACL rules are described in.
  flat.push(...sorted.flatMap((cmd) => [cmd, ...(cmd.subcommands?.values() ?? [])]));
  flat.forEach((cmd, id) => (cmd.id = id));
  for (const cmd of sorted) {
    const h = nameHash(Buffer.from(cmd.name, "latin1"));
    byHash.set(h, [...(byHash.get(h) ?? []), cmd]);
  }
}

/**
 * A hash of a command name with ASCII letters folded to lowercase, computed over the
 * request's bytes without making a string first.
 */
function nameHash(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    h = Math.imul(h ^ (b >= 0x41 && b <= 0x5a ? b | 0x20 : b), 0x01000193);
  }
  return h;
}

/** Whether request bytes spell `name` (lowercase), ignoring ASCII case. */
function sameName(bytes: Uint8Array, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if ((b >= 0x41 && b <= 0x5a ? b | 0x20 : b) !== name.charCodeAt(i - start)) return false;
  }
  return true;
}

/**
 * The command named by a request's first argument (any case), or undefined. It runs for
 * every request, so it hashes the bytes in place instead of decoding a string and looking
 * it up twice (as is, then lowercased): 60 ns -> 25 ns a lookup.
 */
export function lookupCommand(name: Uint8Array, start = 0, end = name.length): Command | undefined {
  // A pipeline mostly repeats its command, or cycles through a few (SET and GET; a
  // script's INCR, EXPIRE, GET): the commands found last are tried first, most of them
  // failing at the length, and each one found moves a place forward.
  for (let i = 0; i < recent.length; i++) {
    const cmd = recent[i]!;
    if (!sameName(name, start, end, cmd.name)) continue;
    if (i > 0) {
      recent[i] = recent[i - 1]!;
      recent[i - 1] = cmd;
    }
    return cmd;
  }
  if (end - start > 32) return undefined;
  const candidates = byHash.get(nameHash(name, start, end));
  if (candidates === undefined) return undefined;
  for (const cmd of candidates) {
    if (!sameName(name, start, end, cmd.name)) continue;
    if (recent.length < RECENT) recent.push(cmd);
    else recent[RECENT - 1] = cmd;
    return cmd;
  }
  return undefined;
}

/**
 * The commands lookupCommand found last. It kept two: three commands in turn (a script's
 * INCR, EXPIRE, GET) missed both every time and went to the hash table.
 */
const recent: Command[] = [];
const RECENT = 8;

/** rename-command's effect: commands answering to a new name, and commands no longer answering to their own. */
export interface Renames {
  to: Map<string, Command>;
  away: Set<Command>;
}

/**
 * rename-command as Redis applies it while reading its config: `from` names a command as
 * the renames before left the table (a new name counts, a name renamed away does not), it
 * leaves the table, and `to` ("": none) enters it unless a command answers to it already.
 * Redis's reason when it cannot be done.
 */
export function renameCommand(renames: Renames, from: string, to: string): string | undefined {
  const own = from.includes("|") ? undefined : table.get(from);
  const cmd = renames.to.get(from) ?? (own !== undefined && !renames.away.has(own) ? own : undefined);
  if (cmd === undefined) return "No such command in rename-command";
  if (renames.to.delete(from) === false) renames.away.add(cmd);
  if (to === "") return undefined;
  const taken = table.get(to);
  if (renames.to.has(to) || (taken !== undefined && !renames.away.has(taken))) return "Target command name already exists";
  renames.to.set(to, cmd);
  return undefined;
}

/** A command or subcommand by its full name ("get", "config|get"), for COMMAND INFO/DOCS. */
export function findCommand(fullName: string): Command | undefined {
  const parts = fullName.toLowerCase().split("|");
  if (parts.length > 2) return undefined;
  const [name, sub] = parts;
  const cmd = table.get(name!);
  if (sub === undefined) return cmd;
  return cmd?.subcommands?.get(sub);
}

/** Every top-level command, sorted by name. */
export function allCommands(): readonly Command[] {
  return sorted;
}

/** Every command and subcommand, indexed by `Command.id`. */
export function everyCommand(): readonly Command[] {
  return flat;
}

/** The command a whole request names, subcommand included ("config get" -> config|get). */
export function lookupRequest(argv: Argv): Command | undefined {
  const cmd = lookupCommand(argv.buffer(0), argv.start(0), argv.end(0));
  if (cmd?.subcommands !== undefined && argv.length >= 2) return cmd.subcommands.get(argv.keyword(1));
  return cmd;
}
