/**
 * Test-side encoders for the RDB value forms that Redis 7 reads but no longer writes
 * (ziplist, zipmap, quicklist of ziplists, text-score zsets, linked lists), written from
 * the format descriptions in Redis's ziplist.c, zipmap.c and rdb.c. A payload built here is
 * RESTOREd into a real Redis 7 as well as into KVIS, so Redis checks the encoders.
 */
import { crc64 } from "../../src/persistence/crc64.ts";

const bytes = (s: string) => Array.from(s, (ch) => ch.charCodeAt(0));

function le(n: bigint, width: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < width; i++) out.push(Number((n >> BigInt(8 * i)) & 0xffn));
  return out;
}

/** An RDB length (6-bit, 14-bit or 32-bit form). */
export function rdbLength(n: number): number[] {
  if (n < 64) return [n];
  if (n < 16384) return [0x40 | (n >> 8), n & 0xff];
  return [0x80, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** A raw RDB string. */
export function rdbString(s: string): number[] {
  return [...rdbLength(s.length), ...bytes(s)];
}

/** A ziplist entry's encoding and data: integers in the narrowest form, strings by length. */
function ziplistBody(item: string | bigint): number[] {
  if (typeof item === "bigint") {
    if (item >= 0n && item <= 12n) return [0xf1 + Number(item)];
    if (item >= -128n && item <= 127n) return [0xfe, ...le(item, 1)];
    if (item >= -32768n && item <= 32767n) return [0xc0, ...le(item, 2)];
    if (item >= -8388608n && item <= 8388607n) return [0xf0, ...le(item, 3)];
    if (item >= -2147483648n && item <= 2147483647n) return [0xd0, ...le(item, 4)];
    return [0xe0, ...le(item, 8)];
  }
  const n = item.length;
  if (n < 64) return [n, ...bytes(item)];
  if (n < 16384) return [0x40 | (n >> 8), n & 0xff, ...bytes(item)];
  return [0x80, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, ...bytes(item)];
}

/** A ziplist of strings and (bigint) integers. */
export function ziplist(items: Array<string | bigint>): number[] {
  const entries: number[][] = [];
  let prev = 0;
  for (const item of items) {
    const body = ziplistBody(item);
    const entry = [...(prev < 254 ? [prev] : [0xfe, ...le(BigInt(prev), 4)]), ...body];
    entries.push(entry);
    prev = entry.length;
  }
  const total = 10 + entries.reduce((a, e) => a + e.length, 0) + 1;
  const tail = entries.length === 0 ? 10 : total - 1 - entries[entries.length - 1]!.length;
  return [...le(BigInt(total), 4), ...le(BigInt(tail), 4), ...le(BigInt(items.length), 2), ...entries.flat(), 0xff];
}

/** A zipmap of field/value pairs. */
export function zipmap(pairs: Array<[string, string]>): number[] {
  const len = (n: number) => (n < 254 ? [n] : [254, ...le(BigInt(n), 4)]);
  const body = pairs.flatMap(([f, v]) => [...len(f.length), ...bytes(f), ...len(v.length), 0, ...bytes(v)]);
  return [pairs.length, ...body, 0xff];
}

/** A DUMP payload: type byte, body, RDB version and CRC64, as RESTORE takes it. */
export function dumpPayload(type: number, body: number[], version = 9): string {
  const head = new Uint8Array([type, ...body, version & 0xff, version >> 8]);
  return String.fromCharCode(...head, ...le(crc64(head), 8));
}
