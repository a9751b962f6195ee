/**
 * Byte buffers of the store's packed forms (lists, hashes, sorted sets, cells): Buffers
 * whose latin1 routines copy byte strings (one char per byte, every byte 0-255) in and out.
 * Bun's Buffer has latin1Slice and latin1Write, as Node's does; the type declarations do
 * not name them.
 */
import { copyRange, rangesEqual } from "../resp/bytes.ts";

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

/**
 * Whether two of the strings at `at` in `buf` (each a length byte, then its bytes) are
 * equal: compared pair by pair while few (loading checks every small hash and sorted set
 * this way), through a Set past 16.
 */
export function repeatsAny(buf: Bytes, at: number[]): boolean {
  if (at.length > 16) {
    const seen = new Set<string>();
    for (const p of at) seen.add(buf.latin1Slice(p + 1, p + 1 + buf[p]!));
    return seen.size !== at.length;
  }
  for (let i = 1; i < at.length; i++) {
    const a = at[i]!;
    for (let j = 0; j < i; j++) {
      const b = at[j]!;
      if (buf[a] === buf[b] && rangesEqual(buf, a + 1, a + 1 + buf[a]!, buf, b + 1, b + 1 + buf[b]!)) return true;
    }
  }
  return false;
}
