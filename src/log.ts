/**
 * Log lines in Redis's format, `pid:role dd Mon yyyy hh:mm:ss.mmm <level> message`, with
 * Redis's level marks (. debug, - verbose, * notice, # warning), to stdout or `logfile`,
 * and with syslog-enabled to the system log too.
 * Logging must never throw into the caller: a failing log file falls back to stderr.
 */
import { appendFileSync } from "node:fs";

export type LogLevel = "debug" | "verbose" | "notice" | "warning";

const LEVELS: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3 };
const MARKS = [".", "-", "*", "#"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

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

  log(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    const d = new Date();
    const stamp = `${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
    const line = `${process.pid}:${this.role} ${stamp} ${MARKS[LEVELS[level]]} ${message}\n`;
    this.syslog?.write(level, message);
    if (this.file === "") {
      process.stdout.write(line);
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
    if (this.file === "") return void process.stdout.write(text);
    try {
      appendFileSync(this.file, text);
    } catch {
      process.stderr.write(text);
    }
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
