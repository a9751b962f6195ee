/**
 * supervised (Redis's redisIsSupervised and redisCommunicateSystemd): a service manager is
 * told how start-up goes. Under systemd (a `Type=notify` unit, as Debian's redis-server.service
 * is) each state goes as sd_notify(3) sends it, one datagram to $NOTIFY_SOCKET: loading,
 * ready (READY=1, without which systemd kills the service at its start timeout), a
 * replica's sync, stopping. Under upstart (`expect stop`) the process stops itself once
 * started. `auto` picks whichever the environment names. A supervised server does not
 * daemonize, as Redis does not.
 */
import type { Logger } from "../log.ts";
import { MSG_NOSIGNAL, libc } from "./libc.ts";
import { connectDatagram } from "./syslog.ts";


/**
 * At start-up: the supervision `mode` (the `supervised` parameter) calls for, with `auto`
 * resolved, and whether it was established (a supervised server does not daemonize).
 */
export function superviseAtStart(mode: string, log: Logger): { mode: string; supervised: boolean } {
  if (mode === "auto") {
    if (process.env.UPSTART_JOB) {
      log.verbose("Upstart supervision detected.");
      mode = "upstart";
    } else if (process.env.NOTIFY_SOCKET) {
      log.verbose("Systemd supervision detected.");
      mode = "systemd";
    }
  }
  if (mode === "upstart") {
    if (!process.env.UPSTART_JOB) {
      log.warning("upstart supervision requested, but UPSTART_JOB not found");
      return { mode, supervised: false };
    }
    log.notice("supervised by upstart, will stop to signal readiness.");
    process.kill(process.pid, "SIGSTOP");
    delete process.env.UPSTART_JOB;
    return { mode, supervised: true };
  }
  if (mode === "systemd") {
    if (notifySystemd(log, "STATUS=KVIS is loading...\n") <= 0) return { mode, supervised: false };
    log.notice("Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.");
    return { mode, supervised: true };
  }
  return { mode, supervised: false };
}

/** sd_notify with Redis's log lines for its failures: > 0 sent, 0 no socket named, < 0 an error. */
export function notifySystemd(log: Logger, message: string): number {
  const sent = sdNotify(message);
  if (sent === 0) log.warning("systemd supervision error: NOTIFY_SOCKET not found!");
  else if (sent < 0) log.warning(`systemd supervision error: sd_notify: ${sent}`);
  return sent;
}

/**
 * sd_notify(3): `message` as one datagram to the socket $NOTIFY_SOCKET names (a path, or
 * `@name` in the abstract namespace). 1 when sent, 0 when none is named, else -errno.
 */
function sdNotify(message: string): number {
  const path = process.env.NOTIFY_SOCKET;
  if (!path) return 0;
  if (path.length < 2 || (path[0] !== "/" && path[0] !== "@")) return -22; // EINVAL
  const c = libc();
  if (c === null) return -38; // ENOSYS
  const fd = connectDatagram(c, path);
  if (fd < 0) return fd;
  try {
    const datagram = Buffer.from(message, "utf8");
    return Number(c.send(fd, datagram, datagram.length, MSG_NOSIGNAL)) < 0 ? -c.errno() : 1;
  } finally {
    c.close(fd);
  }
}
