/**
 * Sockets served while the event loop is held. A script that runs past
 * busy-reply-threshold keeps the one JavaScript thread, so Bun cannot deliver data or
 * accept connections; as Redis does (processEventsWhileBlocked), the script's periodic
 * hook does it itself with non-blocking recv(2) and accept4(2) through bun:ffi, so that
 * clients get -BUSY and SCRIPT KILL, FUNCTION KILL and SHUTDOWN NOSAVE are served. Bytes
 * read here never reach Bun. A connection accepted here is Bun's to know nothing of: it is
 * served with send(2) until the script ends, then closed (clients reconnect). Where libc
 * cannot be opened (not glibc), nothing is read and clients wait for the script.
 */
import { MSG_DONTWAIT, MSG_NOSIGNAL, libc as lib } from "./libc.ts";

const SOCK_NONBLOCK = 0x800;
const SOCK_CLOEXEC = 0x80000;

const scratch = new Uint8Array(64 * 1024);

/**
 * tcp-backlog: Bun listens with a backlog of its own (512); listen(2) again on the
 * listening socket sets the queue to `backlog` (Linux takes a second listen as a change of
 * backlog). False where libc cannot be reached.
 */
export function setBacklog(fd: number, backlog: number): boolean {
  const c = lib();
  return c !== null && c.listen(fd, backlog) === 0;
}

/**
 * socket-mark-id: SO_MARK on a listening socket (its connections inherit it), for the
 * firewall's and routing's rules, as Redis's anetSetSockMarkId sets it. It needs
 * CAP_NET_ADMIN; as in Redis a failure is ignored.
 */
export function setSocketMark(fd: number, mark: number): void {
  const value = new Uint8Array(4);
  new DataView(value.buffer).setUint32(0, mark, true);
  lib()?.setsockopt(fd, SOL_SOCKET, SO_MARK, value, 4);
}

const SOL_SOCKET = 1;
const SO_MARK = 36;

/**
 * What the socket `fd` holds now, without waiting: a view valid until the next call,
 * undefined when nothing is there (or it cannot be read), null when the peer has closed.
 */
export function readNow(fd: number): Uint8Array | undefined | null {
  const c = lib();
  if (c === null) return undefined;
  const n = Number(c.recv(fd, scratch, scratch.length, MSG_DONTWAIT));
  return n > 0 ? scratch.subarray(0, n) : n === 0 ? null : undefined;
}

/** A connection waiting on listening socket `fd`, accepted now, or undefined. */
export function acceptNow(fd: number): number | undefined {
  const c = lib();
  if (c === null) return undefined;
  const accepted = c.accept4(fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
  return accepted >= 0 ? accepted : undefined;
}

/** A socket this module accepted, as a Client's socket: writes go out with send(2). */
export function rawSocket(fd: number): { fd: number; write(data: Uint8Array): number; end(): void; terminate(): void } {
  let open = true;
  const close = () => {
    if (open) lib()?.close(fd);
    open = false;
  };
  return {
    fd,
    write: (data) => (open ? Number(lib()!.send(fd, data, data.length, MSG_DONTWAIT | MSG_NOSIGNAL)) : -1),
    end: close,
    terminate: close,
  };
}
