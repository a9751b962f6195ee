/**
 * The command table, built once from the group files: every `Command` a group module
 * exports is registered under its name, and its group is the file it lives in, named as
 * COMMAND DOCS names groups. Nothing else lists commands. The table is built lazily so that
 * group modules may import it without an initialisation-order cycle.
 */
import { bytesToString } from "../resp/bytes.ts";
import { Command } from "./command.ts";
import * as bitmap from "./bitmap.ts";
import * as connection from "./connection.ts";
import * as generic from "./generic.ts";
import * as hash from "./hash.ts";
import * as hyperloglog from "./hyperloglog.ts";
import * as list from "./list.ts";
import * as server from "./server.ts";
import * as set from "./set.ts";
import * as sortedSet from "./sorted-set.ts";
import * as string from "./string.ts";

const GROUPS: ReadonlyArray<[group: string, module: Record<string, unknown>]> = [
  ["bitmap", bitmap],
  ["connection", connection],
  ["generic", generic],
  ["hash", hash],
  ["hyperloglog", hyperloglog],
  ["list", list],
  ["server", server],
  ["set", set],
  ["sortedset", sortedSet],
  ["string", string],
];

let table: Map<string, Command> | undefined;
let sorted: Command[] = [];

function build(): Map<string, Command> {
  const t = new Map<string, Command>();
  for (const [group, module] of GROUPS) {
    for (const value of Object.values(module)) {
      if (!(value instanceof Command)) continue;
      value.group = group;
      for (const sub of value.subcommands?.values() ?? []) sub.group = group;
      t.set(value.name, value);
      // Clients send upper case; a second entry spares the lowercase conversion.
      t.set(value.name.toUpperCase(), value);
    }
  }
  sorted = [...new Set(t.values())].sort((a, b) => (a.name < b.name ? -1 : 1));
  return t;
}

/** The command named by a request's first argument (any case), or undefined. */
export function lookupCommand(name: Uint8Array): Command | undefined {
  const t = (table ??= build());
  if (name.length > 32) return undefined;
  const s = bytesToString(name);
  return t.get(s) ?? t.get(s.toLowerCase());
}

/** A command or subcommand by its full name ("get", "config|get"), for COMMAND INFO/DOCS. */
export function findCommand(fullName: string): Command | undefined {
  const t = (table ??= build());
  const [name, sub] = fullName.toLowerCase().split("|", 2);
  const cmd = t.get(name!);
  if (sub === undefined) return cmd;
  return cmd?.subcommands?.get(sub);
}

/** Every top-level command, sorted by name. */
export function allCommands(): readonly Command[] {
  table ??= build();
  return sorted;
}
