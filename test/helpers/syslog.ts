/**
 * A stand-in for the syslog daemon: a Unix datagram socket bound at a path, read without
 * blocking (Bun has no such sockets: libc's, through bun:ffi, as server/syslog.ts sends).
 */
import { FFIType, dlopen } from "bun:ffi";
import { unixAddress } from "../../src/server/syslog.ts";

const libc = dlopen("libc.so.6", {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64_fast },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
}).symbols;

export class DatagramSink {
  private readonly fd: number;
  private readonly buf = new Uint8Array(65536);

  constructor(path: string) {
    this.fd = libc.socket(1, 2, 0);
    const addr = unixAddress(path);
    if (this.fd < 0 || libc.bind(this.fd, addr, addr.length) < 0) throw new Error(`cannot bind a datagram socket at ${path}`);
  }

  /** The datagrams received so far. */
  take(): string[] {
    const out: string[] = [];
    for (;;) {
      const n = Number(libc.recv(this.fd, this.buf, this.buf.length, 0x40));
      if (n <= 0) return out;
      out.push(Buffer.from(this.buf.subarray(0, n)).toString("utf8"));
    }
  }

  close(): void {
    libc.close(this.fd);
  }
}
