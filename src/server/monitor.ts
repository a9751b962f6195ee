/**
 * MONITOR: every command a client runs, as Redis shows it to monitors, after it ran:
 * `+<seconds>.<micros> [<db> <addr>] "arg" ...` with each argument quoted as sdscatrepr
 * quotes (escapes for quotes, backslashes and control bytes, \xHH for other non-printables).
 * Administrative commands are not shown, and AUTH's arguments are redacted.
 */
import type { Argv } from "../resp/argv.ts";
import { repr } from "../resp/bytes.ts";
import type { Client } from "./connection.ts";
import { redactedFrom } from "./slowlog.ts";



const REDACTED = '"(redacted)"';

/** The line MONITOR clients get for `argv`, run by `c` in database `db`. */
export function monitorLine(c: Client, argv: Argv): Uint8Array {
  const micros = Math.round((performance.timeOrigin + performance.now()) * 1000);
  let line = `+${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, "0")} [${c.db.id} ${c.fromScript ? "lua" : c.addr}]`;
  const redactFrom = redactedFrom(argv);
  for (let i = 0; i < argv.length; i++) line += ` ${i >= redactFrom || c.redacted?.includes(i) ? REDACTED : repr(argv.bytes(i))}`;
  return Buffer.from(`${line}\r\n`, "latin1");
}
