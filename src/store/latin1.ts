/**
 * Byte buffers of the store's packed forms (lists, hashes, sorted sets, cells): Buffers
 * whose latin1 routines copy byte strings (one char per byte, every byte 0-255) in and out.
 * Bun's Buffer has latin1Slice and latin1Write, as Node's does; the type declarations do
 * not name them.
 */
export interface Bytes extends Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(s: string, offset: number): number;
}

/** A buffer of `n` bytes, not zeroed (each its own allocation: Bun pools none). */
export function allocBytes(n: number): Bytes {
  return Buffer.allocUnsafe(n) as Bytes;
}

/** The empty buffer a packed form holds while it holds nothing. */
export const NO_BYTES: Bytes = allocBytes(0);
