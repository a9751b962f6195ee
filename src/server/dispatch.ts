/**
 * processCommand and call: every request goes through here. processCommand applies the
 * cross-cutting checks in one fixed order, as Redis's processCommand does (lookup, arity,
 * authentication); later issues add MULTI queueing, read-only replicas, LOADING and OOM at
 * their place in this order. call() runs the handler, turns thrown ReplyErrors into error
 * replies and keeps the per-command statistics. Handlers never repeat these checks.
 */
import type { Command } from "../commands/command.ts";
import { F_NO_AUTH, F_WRITE } from "../commands/command.ts";
import { lookupCommand } from "../commands/table.ts";
import { INTERNAL, NOAUTH, READONLY, ReplyError, unknownCommand, unknownSubcommand, wrongArity } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import type { Client } from "./connection.ts";

/** Dispatch one request; returns false when the connection must stop reading (QUIT). */
export function processCommand(c: Client, argv: Argv): boolean {
  let cmd = lookupCommand(...argv.range(0));
  if (cmd === undefined) {
    reject(c, undefined, unknownCommand(argv.str(0).slice(0, 128), describeArgs(argv)));
    return true;
  }
  if (cmd.subcommands !== undefined && argv.length >= 2) {
    const sub = cmd.subcommands.get(argv.keyword(1));
    if (sub === undefined) {
      reject(c, cmd, unknownSubcommand(argv.str(1).slice(0, 128), cmd.name));
      return true;
    }
    cmd = sub;
  }
  if ((cmd.arity > 0 && argv.length !== cmd.arity) || argv.length < -cmd.arity) {
    reject(c, cmd, wrongArity(cmd.name));
    return true;
  }
  if (!c.authenticated && (cmd.flagBits & F_NO_AUTH) === 0) {
    reject(c, cmd, NOAUTH);
    return true;
  }
  // A replica takes writes only from its master (replica-read-only).
  if (c.server.replicaLink !== undefined && (cmd.flagBits & F_WRITE) !== 0 && c.masterLink === undefined && c.server.replicaReadOnly) {
    reject(c, cmd, READONLY);
    return true;
  }
  call(c, cmd, argv);
  return !c.closeAfterReply;
}

/**
 * Run a command's handler and account for it. A command's time is measured from the end
 * of the previous command in the same read (or the read's start), which takes one clock
 * read per command instead of two: at 40 ns a read, the second one cost an eighth of a
 * pipelined PING. The parse of the request is thereby counted in its command's time.
 */
export function call(c: Client, cmd: Command, argv: Argv): void {
  c.lastCommand = cmd.name;
  c.server.stats.totalCommands++;
  const mark = c.reply.length;
  try {
    cmd.handler!(c, argv);
  } catch (e) {
    // Whatever the handler wrote before failing is dropped: the client gets one error
    // reply, never half a reply followed by an error.
    c.reply.truncate(mark);
    if (e instanceof ReplyError) {
      c.reply.error(e.text);
      cmd.failedCalls++;
      c.server.countError(e.text);
    } else {
      c.server.log.warning(`Internal error running '${cmd.name}': ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      c.reply.error(INTERNAL.text);
      cmd.failedCalls++;
      c.server.countError(INTERNAL.text);
    }
  }
  cmd.calls++;
  const end = performance.now();
  cmd.usec += (end - c.commandClock) * 1000;
  c.commandClock = end;
}

/** A check before the handler failed: Redis calls these "rejected" calls. */
function reject(c: Client, cmd: Command | undefined, error: ReplyError): void {
  c.reply.error(error.text);
  if (cmd) cmd.rejectedCalls++;
  c.server.countError(error.text);
}

/** "'a' 'b' " as Redis lists the first arguments of an unknown command (128 chars at most). */
function describeArgs(argv: Argv): string {
  let out = "";
  for (let i = 1; i < argv.length && out.length < 128; i++) {
    out += `'${argv.str(i).slice(0, 128 - out.length)}' `;
  }
  return out;
}
