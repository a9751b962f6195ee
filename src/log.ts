/**
 * Log lines in Redis's format, `pid:role dd Mon yyyy hh:mm:ss.mmm <level> message`, with
 * Redis's level marks (. debug, - verbose, * notice, # warning), to stdout or `logfile`,
 * and with syslog-enabled to the system log too.
 * Logging must never throw into the caller: a failing log file falls back to stderr.
 */
import { appendFileSync, fstatSync, readlinkSync, writeSync } from "node:fs";

export type LogLevel = "debug" | "verbose" | "notice" | "warning";

const LEVELS: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3 };
const MARKS = [".", "-", "*", "#"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** Names of zones that are UTC all year, as TZ gives them or /etc/localtime links to them. */
const UTC_ZONE = /^:?(.*\/)?(Etc\/)?(UTC|UCT|Universal|Zulu|GMT)0?$/;

/**
 * Whether local time is UTC, known without the runtime's time-zone support: its first
 * local-time reading loads ICU's zone data, 10-14 ms of start-up here (the first log line).
 * True only when TZ names UTC (or is empty, which means UTC), or, with no TZ, when
 * /etc/localtime links to a UTC zone; anything else asks the runtime.
 */
function localTimeIsUtc(): boolean {
  const tz = process.env.TZ;
  if (tz !== undefined) return tz === "" || UTC_ZONE.test(tz);
  try {
    return UTC_ZONE.test(readlinkSync("/etc/localtime"));
  } catch {
    return false;
  }
}

/**
 * Whether standard output is a terminal (the start-up banner shows the logo there, as
 * Redis does when isatty(stdout)), asked without the runtime's process.stdout, whose making
 * cost 3-4 ms of start-up: a file, pipe or socket is no terminal, nor a memory device such
 * as /dev/null (character devices of major 1 on Linux); any other character device is
 * asked of the runtime.
 */
export function stdoutIsTerminal(): boolean {
  try {
    const st = fstatSync(1);
    if (!st.isCharacterDevice()) return false;
    if (process.platform === "linux" && ((st.rdev >> 8) & 0xfff) === 1) return false;
  } catch {
    return false;
  }
  return process.stdout.isTTY === true;
}

/** `dd Mon yyyy hh:mm:ss.mmm` in local time, as Redis stamps its log lines (read with the UTC getters where it is UTC). */
function stamp(d: Date, utc: boolean): string {
  const [day, month, year, h, m, s] = utc
    ? [d.getUTCDate(), d.getUTCMonth(), d.getUTCFullYear(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getDate(), d.getMonth(), d.getFullYear(), d.getHours(), d.getMinutes(), d.getSeconds()];
  return `${pad(day)} ${MONTHS[month]} ${year} ${pad(h)}:${pad(m)}:${pad(s)}.${pad(d.getUTCMilliseconds(), 3)}`;
}

export class Logger {
  level: LogLevel = "notice";
  /** Empty: standard output. */
  file = "";
  /** M for master, S for replica, C for a child (as Redis marks its log lines). */
  role = "M";
  /** Tests silence the in-process servers they start. */
  silent = false;
  /** syslog-enabled: every line also goes there (server/syslog.ts). */
  syslog: { write(level: LogLevel, message: string): void } | undefined;

  enabled(level: LogLevel): boolean {
    return !this.silent && LEVELS[level] >= LEVELS[this.level];
  }

  private utc: boolean | undefined;

  log(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    const line = `${process.pid}:${this.role} ${stamp(new Date(), (this.utc ??= localTimeIsUtc()))} ${MARKS[LEVELS[level]]} ${message}\n`;
    this.syslog?.write(level, message);
    if (this.file === "") {
      this.toStdout(line);
      return;
    }
    try {
      appendFileSync(this.file, line);
    } catch {
      process.stderr.write(line);
    }
  }

  /** Lines as they are, without the pid, role and time (the start-up banner). */
  raw(level: LogLevel, text: string): void {
    if (!this.enabled(level)) return;
    if (this.file === "") return this.toStdout(text);
    try {
      appendFileSync(this.file, text);
    } catch {
      process.stderr.write(text);
    }
  }

  /**
   * A line written as Redis's signal handlers write theirs (serverLogFromHandler): `pid:signal-handler (unix time) message`,
   * not to the system log.
   */
  fromSignalHandler(level: LogLevel, message: string): void {
    this.raw(level, `${process.pid}:signal-handler (${Math.floor(Date.now() / 1000)}) ${message}\n`);
  }

  /** Set once standard output would block: the runtime's stream takes every line after. */
  private stdoutStream = false;

  /**
   * Standard output is written with write(2), as Redis writes its log: the runtime's stream
   * (process.stdout) cost 5-8 ms of start-up to make. The stream is made only when a write
   * would block or was cut short (a full non-blocking pipe), and then keeps every later
   * line in order. A line that cannot be written (the reader went away: EPIPE) is lost, as
   * Redis loses it; the server goes on (the stream's error would have ended the process).
   */
  private toStdout(text: string): void {
    if (this.stdoutStream) return void process.stdout.write(text);
    const bytes = Buffer.from(text);
    let written: number;
    try {
      written = writeSync(1, bytes);
    } catch (e) {
      if ((e as { code?: string }).code !== "EAGAIN") return;
      written = 0;
    }
    if (written === bytes.length) return;
    this.stdoutStream = true;
    process.stdout.on("error", () => {});
    process.stdout.write(bytes.subarray(written));
  }

  debug(message: string): void {
    this.log("debug", message);
  }
  verbose(message: string): void {
    this.log("verbose", message);
  }
  notice(message: string): void {
    this.log("notice", message);
  }
  warning(message: string): void {
    this.log("warning", message);
  }
}
