/**
 * MONITOR: every command a client runs, as Redis shows it to monitors, after it ran:
 * `+<seconds>.<micros> [<db> <addr>] "arg" ...` with each argument quoted as sdscatrepr
 * quotes (escapes for quotes, backslashes and control bytes, \xHH for other non-printables).
 * Administrative commands are not shown, and AUTH's arguments are redacted.
 */
import type { Argv } from "../resp/argv.ts";
import type { Client } from "./connection.ts";
import { redactedFrom } from "./slowlog.ts";

const ESCAPES: Record<number, string> = { 0x5c: "\\\\", 0x22: '\\"', 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t", 0x07: "\\a", 0x08: "\\b" };

/** A byte string in double quotes, escaped as Redis's sdscatrepr does. */
export function repr(bytes: Uint8Array): string {
  let out = '"';
  for (const b of bytes) {
    const escaped = ESCAPES[b];
    if (escaped !== undefined) out += escaped;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return out + '"';
}


const REDACTED = '"(redacted)"';

/** The line MONITOR clients get for `argv`, run by `c` in database `db`. */
export function monitorLine(c: Client, argv: Argv): Uint8Array {
  const micros = Math.round((performance.timeOrigin + performance.now()) * 1000);
  let line = `+${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, "0")} [${c.db.id} ${c.fromScript ? "lua" : c.addr}]`;
  const redactFrom = redactedFrom(argv);
  for (let i = 0; i < argv.length; i++) line += ` ${i >= redactFrom || c.redacted?.includes(i) ? REDACTED : repr(argv.bytes(i))}`;
  return Buffer.from(`${line}\r\n`, "latin1");
}
