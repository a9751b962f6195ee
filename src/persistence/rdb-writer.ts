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
import { HashValue } from "../store/hash.ts";
import { type Keyspace, type StoredValue, isStringValue, stringOf } from "../store/keyspace.ts";
import { ListValue } from "../store/list.ts";
import { SetValue } from "../store/set.ts";
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

  f64le(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
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
      saveObject(out, key, value);
    }
  }
  out.u8(F.RDB_OPCODE_EOF);
  const body = out.buf.subarray(0, out.pos);
  out.u64le(crc64(body));
  return out.buf.subarray(0, out.pos);
}

/**
 * One key and its value. Aggregates use the plain encodings every Redis since 2.x loads
 * (element by element); the compact listpack and intset forms come with the RDB issue.
 */
function saveObject(out: ByteSink, key: string, value: StoredValue): void {
  if (isStringValue(value)) {
    out.u8(F.RDB_TYPE_STRING);
    out.string(key);
    out.string(stringOf(value));
  } else if (value instanceof ListValue) {
    out.u8(F.RDB_TYPE_LIST);
    out.string(key);
    out.length(value.length);
    for (const item of value) out.string(item);
  } else if (value instanceof SetValue) {
    out.u8(F.RDB_TYPE_SET);
    out.string(key);
    out.length(value.size);
    for (const member of value.values()) out.string(member);
  } else if (value instanceof HashValue) {
    out.u8(F.RDB_TYPE_HASH);
    out.string(key);
    out.length(value.size);
    for (const [field, v] of value.entries()) {
      out.string(field);
      out.string(v);
    }
  } else {
    out.u8(F.RDB_TYPE_ZSET_2);
    out.string(key);
    out.length(value.size);
    for (const { member, score } of value.entries()) {
      out.string(member);
      out.f64le(score);
    }
  }
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
