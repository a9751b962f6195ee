/**
 * set-proc-title: the process's command line, as `ps` and /proc/PID/cmdline show it,
 * becomes proc-title-template expanded ("./kvis 127.0.0.1:7000" where Redis shows
 * "redis-server 127.0.0.1:7000"), as Redis's redisSetProcTitle does. The runtime's
 * process.title changes neither, so the command line's own bytes are rewritten in place
 * through /proc/self/mem, within the room the arguments took at start (Redis moves the
 * environment away to have more); what does not fit is cut off.
 */
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";

/** Where the command line's bytes are (fields 48 and 49 of /proc/self/stat), and the first argument as given. */
let args: { start: number; end: number; argv0: string } | undefined | null;

function commandLine(): { start: number; end: number; argv0: string } | undefined {
  if (args !== undefined) return args ?? undefined;
  args = null;
  try {
    const stat = readFileSync("/proc/self/stat", "latin1");
    // Fields after the command name (which may hold spaces), from field 3 on.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const start = Number(fields[48 - 3]);
    const end = Number(fields[49 - 3]);
    const argv0 = readFileSync("/proc/self/cmdline", "latin1").split("\0")[0] ?? "";
    if (Number.isSafeInteger(start) && Number.isSafeInteger(end) && end > start) args = { start, end, argv0 };
  } catch {
    // Not Linux, or no /proc: the title stays.
  }
  return args ?? undefined;
}

/** The first argument as the process was started with it (Redis's {title}). */
export function startedAs(): string {
  return commandLine()?.argv0 ?? process.argv0;
}

/** Make `title` the process's command line; false when this system does not allow it. */
export function setProcTitle(title: string): boolean {
  const cmd = commandLine();
  if (cmd === undefined) return false;
  const room = cmd.end - cmd.start;
  const bytes = Buffer.alloc(room);
  bytes.write(title.slice(0, room - 1), "latin1");
  try {
    const fd = openSync("/proc/self/mem", "r+");
    try {
      writeSync(fd, bytes, 0, room, cmd.start);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch {
    return false;
  }
}
