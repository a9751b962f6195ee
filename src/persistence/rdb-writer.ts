/**
 * Writes the keyspace as an RDB file in Redis's format: the counterpart of rdb-reader.ts,
 * sharing its constants. Version 10 is what Redis 7.0 writes, so the files load in Redis 7
 * and pass redis-check-rdb. Strings that are canonical 32-bit integers use Redis's integer
 * encodings; others are stored raw (LZF compression on save comes with the RDB milestone).
 * A save goes to a temporary file that is fsynced and then renamed over the old dump, so a
 * failure at any point leaves the previous dump intact.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Keyspace } from "../store/keyspace.ts";
import { REDIS_VERSION } from "../server/server.ts";
import { crc64 } from "./crc64.ts";
import * as F from "./rdb-format.ts";

const RDB_VERSION_WRITTEN = 10;

class ByteSink {
  buf = Buffer.allocUnsafe(64 * 1024);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  raw(s: string): void {
    this.ensure(s.length);
    this.pos += this.buf.write(s, this.pos, s.length, "latin1");
  }

  length(n: number): void {
    this.ensure(9);
    if (n < 1 << 6) {
      this.buf[this.pos++] = n;
    } else if (n < 1 << 14) {
      this.buf[this.pos++] = (F.RDB_14BITLEN << 6) | (n >> 8);
      this.buf[this.pos++] = n & 0xff;
    } else if (n <= 0xffffffff) {
      this.buf[this.pos++] = F.RDB_32BITLEN;
      this.buf.writeUInt32BE(n, this.pos);
      this.pos += 4;
    } else {
      this.buf[this.pos++] = F.RDB_64BITLEN;
      this.buf.writeBigUInt64BE(BigInt(n), this.pos);
      this.pos += 8;
    }
  }

  /** A string, integer-encoded when Redis would (a canonical integer that fits 32 bits). */
  string(s: string): void {
    const n = s.length <= 11 && /^(0|-?[1-9][0-9]*)$/.test(s) ? Number(s) : NaN;
    if (Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) {
      this.ensure(5);
      if (n >= -128 && n <= 127) {
        this.buf[this.pos++] = (F.RDB_ENCVAL << 6) | F.RDB_ENC_INT8;
        this.buf.writeInt8(n, this.pos);
        this.pos += 1;
      } else if (n >= -32768 && n <= 32767) {
        this.buf[this.pos++] = (F.RDB_ENCVAL << 6) | F.RDB_ENC_INT16;
        this.buf.writeInt16LE(n, this.pos);
        this.pos += 2;
      } else {
        this.buf[this.pos++] = (F.RDB_ENCVAL << 6) | F.RDB_ENC_INT32;
        this.buf.writeInt32LE(n, this.pos);
        this.pos += 4;
      }
      return;
    }
    this.length(s.length);
    this.raw(s);
  }

  u64le(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(v, this.pos);
    this.pos += 8;
  }

  aux(key: string, value: string): void {
    this.u8(F.RDB_OPCODE_AUX);
    this.string(key);
    this.string(value);
  }
}

/** The whole keyspace as an RDB image. */
export function encodeRdb(keyspace: Keyspace, nowMs = Date.now()): Uint8Array {
  const out = new ByteSink();
  out.raw(`${F.RDB_MAGIC}${String(RDB_VERSION_WRITTEN).padStart(4, "0")}`);
  out.aux("redis-ver", REDIS_VERSION);
  out.aux("redis-bits", "64");
  out.aux("ctime", String(Math.floor(nowMs / 1000)));
  out.aux("used-mem", String(process.memoryUsage().heapUsed));
  out.aux("aof-base", "0");
  for (const db of keyspace.dbs) {
    if (db.size === 0) continue;
    out.u8(F.RDB_OPCODE_SELECTDB);
    out.length(db.id);
    out.u8(F.RDB_OPCODE_RESIZEDB);
    out.length(db.size);
    out.length(db.expires.size);
    const expires = db.expires;
    for (const [key, value] of db.dict) {
      const when = expires.size > 0 ? expires.get(key) : undefined;
      if (when !== undefined) {
        out.u8(F.RDB_OPCODE_EXPIRETIME_MS);
        out.u64le(BigInt(when));
      }
      out.u8(F.RDB_TYPE_STRING);
      out.string(key);
      out.string(value);
    }
  }
  out.u8(F.RDB_OPCODE_EOF);
  const body = out.buf.subarray(0, out.pos);
  out.u64le(crc64(body));
  return out.buf.subarray(0, out.pos);
}

/** Save to `path` atomically: temp file, fsync, rename, fsync of the folder. Throws on failure. */
export function saveRdbFile(keyspace: Keyspace, path: string): void {
  const image = encodeRdb(keyspace);
  const temp = join(dirname(path), `temp-${process.pid}.rdb`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, "w");
    let written = 0;
    while (written < image.length) written += writeSync(fd, image, written, image.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {}
    throw e;
  }
  try {
    const dirFd = openSync(dirname(path), "r");
    fsyncSync(dirFd);
    closeSync(dirFd);
  } catch {
    // Some filesystems refuse to fsync a directory; the rename itself has happened.
  }
}
