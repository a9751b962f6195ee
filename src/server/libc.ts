/**
 * The libc functions KVIS calls through bun:ffi, bound once, on first use: evaluating
 * bun:ffi costs start-up about 17 ms. The sockets Bun cannot make or reach (poll.ts:
 * serving clients while a script holds the event loop, tcp-backlog, socket-mark-id; server_cpulist; syslog.ts: the
 * system log's datagram socket), madvise (code-pages.ts) and the open-files limit
 * (open-files.ts), the Lua debugger's reads and writes of its client (scripting/debugger.ts),
 * and execve for DEBUG RESTART (restart.ts). Null where libc.so.6 cannot be opened (not glibc): each caller then does
 * without.
 */
type Ffi = typeof import("bun:ffi");

/** send(2)/recv(2) flags on Linux: do not block; no SIGPIPE for a peer gone. */
export const MSG_DONTWAIT = 0x40;
export const MSG_NOSIGNAL = 0x4000;

export interface Libc {
  recv(fd: number, buf: Uint8Array, len: number, flags: number): number | bigint;
  send(fd: number, buf: Uint8Array, len: number, flags: number): number | bigint;
  accept4(fd: number, addr: null, len: null, flags: number): number;
  listen(fd: number, backlog: number): number;
  socket(domain: number, type: number, protocol: number): number;
  connect(fd: number, addr: Uint8Array, len: number): number;
  setsockopt(fd: number, level: number, name: number, value: Uint8Array, len: number): number;
  /** The calling thread's CPUs (pid 0), as a bit mask of `size` bytes. */
  sched_setaffinity(pid: number, size: number, mask: Uint8Array): number;
  close(fd: number): number;
  /** struct pollfd[]: fd (i32), events and revents (i16 each). */
  poll(fds: Uint8Array, nfds: number, timeoutMs: number): number;
  /** Replace the process image (server/restart.ts); argv and envp are NULL-terminated arrays of C strings (cStrings). */
  execve(path: Uint8Array, argv: BigUint64Array, envp: BigUint64Array): number;
  /** `list` as C strings, and the NULL-terminated array of their addresses (the strings must be kept alive with it). */
  cStrings(list: string[]): { strings: Uint8Array[]; array: BigUint64Array };
  /** Addresses and lengths as u64 (Linux on x86-64 and arm64). */
  madvise(addr: bigint, length: bigint, advice: number): number;
  /** struct rlimit: two u64, the soft and the hard limit. */
  getrlimit(resource: number, limits: BigUint64Array): number;
  setrlimit(resource: number, limits: BigUint64Array): number;
  /** errno, after a call that failed. */
  errno(): number;
}

let bound: Libc | null | undefined;

export function libc(): Libc | null {
  if (bound !== undefined) return bound;
  try {
    const { FFIType, dlopen, read } = require("bun:ffi") as Ffi;
    const ssize = { returns: FFIType.i64_fast } as const;
    const lib = dlopen("libc.so.6", {
      recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], ...ssize },
      send: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], ...ssize },
      accept4: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
      listen: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
      socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
      connect: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
      setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
      sched_setaffinity: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
      close: { args: [FFIType.i32], returns: FFIType.i32 },
      poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
      execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
      madvise: { args: [FFIType.u64, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
      getrlimit: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
      setrlimit: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
      __errno_location: { args: [], returns: FFIType.ptr },
    }).symbols;
    const { ptr } = require("bun:ffi") as Ffi;
    const cStrings = (list: string[]) => {
      const strings = list.map((s) => Buffer.from(`${s}\0`, "latin1") as Uint8Array);
      const array = new BigUint64Array(list.length + 1);
      strings.forEach((s, i) => (array[i] = BigInt(ptr(s))));
      return { strings, array };
    };
    bound = { ...(lib as unknown as Libc), errno: () => read.i32(lib.__errno_location()!, 0), cStrings };
  } catch {
    bound = null;
  }
  return bound;
}
