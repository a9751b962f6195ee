/**
 * Byte buffers of the store's packed forms (lists, hashes, sorted sets, cells): Buffers
 * whose latin1 routines copy byte strings (one char per byte, every byte 0-255) in and out.
 * Bun's Buffer has latin1Slice and latin1Write, as Node's does; the type declarations do
 * not name them.
 */
import { copyRange } from "../resp/bytes.ts";

export interface Bytes extends Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(s: string, offset: number): number;
}

/** A buffer of `n` bytes, not zeroed (each its own allocation: Bun pools none). */
export function allocBytes(n: number): Bytes {
  return Buffer.allocUnsafe(n) as Bytes;
}

/**
 * Write a byte string, or bytes given as buf[start, end) (a request's, say), at `at`.
 * Short strings byte by byte: the native call costs more than the copy.
 */
export function writeLatin1(buf: Bytes, at: number, value: string | { buf: Uint8Array; start: number; end: number }): void {
  if (typeof value === "string") {
    const n = value.length;
    if (n > 16) buf.latin1Write(value, at);
    else for (let i = 0; i < n; i++) buf[at + i] = value.charCodeAt(i);
    return;
  }
  copyRange(value.buf, value.start, value.end, buf, at);
}

/** The empty buffer a packed form holds while it holds nothing. */
export const NO_BYTES: Bytes = allocBytes(0);
