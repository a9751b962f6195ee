/**
 * syslog-enabled: log lines also go to the system log, as Redis sends them with syslog(3):
 * one datagram per line to the local syslog socket (/dev/log; KVIS_SYSLOG_SOCKET names
 * another), `<PRI>Mmm dd hh:mm:ss IDENT[PID]: message`, with syslog-ident and
 * syslog-facility, and Redis's levels (debug, info, notice, warning). Bun has no Unix
 * datagram sockets, so the socket is libc's, through bun:ffi; where libc cannot be opened
 * (not glibc) or no syslog daemon listens, lines go to the log file alone, as syslog(3)
 * drops them too.
 */
import type { LogLevel } from "../log.ts";
import { type Libc, MSG_DONTWAIT, MSG_NOSIGNAL, libc } from "./libc.ts";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0x80000;

/** syslog-facility's names and their codes (syslog.h). */
const FACILITIES: Record<string, number> = {
  user: 1, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};
/** Redis's syslogLevelMap: LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING. */
const SEVERITIES: Record<LogLevel, number> = { debug: 7, verbose: 6, notice: 5, warning: 4 };
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** struct sockaddr_un for `path`: the family, then the path NUL-terminated. */
export function unixAddress(path: string): Uint8Array {
  const addr = new Uint8Array(110);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(Buffer.from(path, "utf8").subarray(0, 107), 2);
  return addr;
}

/**
 * A Unix datagram socket connected to `path` (a name starting with "@" is in the abstract
 * namespace, as sd_notify reads one): its fd, or -errno. Also server/supervised.ts's.
 */
export function connectDatagram(c: Libc, path: string): number {
  let addr = unixAddress(path);
  // An abstract name starts with a NUL and is as long as it is: no terminator counts.
  if (path.startsWith("@")) addr = addr.subarray(0, 2 + Buffer.byteLength(path, "utf8")).fill(0, 2, 3);
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -c.errno();
  if (c.connect(fd, addr, addr.length) < 0) {
    const errno = c.errno();
    c.close(fd);
    return -errno;
  }
  return fd;
}

export class Syslog {
  private fd = -1;

  constructor(
    private readonly ident: string,
    facility: string,
    private readonly path = process.env.KVIS_SYSLOG_SOCKET || "/dev/log",
  ) {
    this.facility = FACILITIES[facility] ?? FACILITIES.local0!;
  }

  private readonly facility: number;

  /** Send one line (as syslog(3) does, connecting on first use and again after a failure). */
  write(level: LogLevel, message: string): void {
    const c = libc();
    if (c === null) return;
    if (this.fd < 0 && !this.connect(c)) return;
    const d = new Date();
    const stamp = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${d.toTimeString().slice(0, 8)}`;
    const datagram = Buffer.from(`<${this.facility * 8 + SEVERITIES[level]}>${stamp} ${this.ident}[${process.pid}]: ${message}`, "utf8");
    if (Number(c.send(this.fd, datagram, datagram.length, MSG_DONTWAIT | MSG_NOSIGNAL)) < 0) this.close();
  }

  private connect(c: Libc): boolean {
    const fd = connectDatagram(c, this.path);
    if (fd < 0) return false;
    this.fd = fd;
    return true;
  }

  close(): void {
    if (this.fd >= 0) libc()?.close(this.fd);
    this.fd = -1;
  }
}
