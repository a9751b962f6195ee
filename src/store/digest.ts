/**
 * DEBUG DIGEST and DIGEST-VALUE: a SHA1-based signature of the dataset or of values, the
 * same bytes Redis 7.0 computes (debug.c's xorObjectDigest and computeDatasetDigest), so that
 * two servers holding the same data agree. Unordered things (keys, set members, hash fields,
 * sorted-set members) are combined with XOR, ordered ones (a key's parts, list elements,
 * stream entries) by feeding the digest back in. It reads the store and never replies.
 */
import { formatDouble } from "../resp/bytes.ts";
import type { Database, Keyspace } from "./keyspace.ts";
import { HashValue } from "./hash.ts";
import { ListValue } from "./list.ts";
import { SetValue } from "./set.ts";
import { MAX_ID, StreamValue, idMs, idSeq } from "./stream.ts";
import { type StoredValue, isStringValue, stringOf } from "./value.ts";

/** Redis's object type numbers (OBJ_STRING ... OBJ_STREAM), hashed into each value. */
const OBJ_STRING = 0;
const OBJ_LIST = 1;
const OBJ_SET = 2;
const OBJ_ZSET = 3;
const OBJ_HASH = 4;
const OBJ_STREAM = 6;

const EXPIRE_MARK = Buffer.from("!!expire!!", "latin1");

type Data = Uint8Array | string;

// Bun's own hasher: node:crypto would cost every start-up its loading.
function sha1(data: Data): Uint8Array {
  return new Bun.CryptoHasher("sha1").update(typeof data === "string" ? Buffer.from(data, "latin1") : data).digest();
}

/** digest ^= SHA1(data): order does not matter. */
function xorDigest(digest: Uint8Array, data: Data): void {
  const h = sha1(data);
  for (let i = 0; i < 20; i++) digest[i]! ^= h[i]!;
}

/** digest = SHA1(digest ^ SHA1(data)): order matters. */
function mixDigest(digest: Uint8Array, data: Data): void {
  xorDigest(digest, data);
  digest.set(sha1(digest));
}

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

/** Mix one value (and whether its key has a TTL) into `digest` (xorObjectDigest). */
function mixValue(digest: Uint8Array, value: StoredValue, hasExpire: boolean): void {
  if (isStringValue(value)) {
    mixDigest(digest, u32be(OBJ_STRING));
    mixDigest(digest, stringOf(value));
  } else if (value instanceof ListValue) {
    mixDigest(digest, u32be(OBJ_LIST));
    for (const item of value) mixDigest(digest, item);
  } else if (value instanceof SetValue) {
    mixDigest(digest, u32be(OBJ_SET));
    for (const member of value.values()) xorDigest(digest, member);
  } else if (value instanceof HashValue) {
    mixDigest(digest, u32be(OBJ_HASH));
    for (const [field, v] of value.entries()) {
      const pair = new Uint8Array(20);
      mixDigest(pair, field);
      mixDigest(pair, v);
      xorDigest(digest, pair);
    }
  } else if (value instanceof StreamValue) {
    mixDigest(digest, u32be(OBJ_STREAM));
    value.forEach(0n, MAX_ID, false, (id, fields) => {
      mixDigest(digest, `${idMs(id)}.${idSeq(id)}`);
      for (const part of fields) mixDigest(digest, part);
    });
  } else {
    mixDigest(digest, u32be(OBJ_ZSET));
    for (const { member, score } of value.entries()) {
      const pair = new Uint8Array(20);
      mixDigest(pair, member);
      // Redis 7.0 prints the score with "%.17g" here.
      mixDigest(pair, formatDouble(score));
      xorDigest(digest, pair);
    }
  }
  if (hasExpire) xorDigest(digest, EXPIRE_MARK);
}

function hex(digest: Uint8Array): string {
  return Buffer.from(digest).toString("hex");
}

/**
 * DEBUG DIGEST: every database's number, then each key with its value, logically expired
 * keys included (Redis iterates its dicts without expiring). An empty dataset is 40 zeros.
 */
export function datasetDigest(keyspace: Keyspace): string {
  const final = new Uint8Array(20);
  for (const db of keyspace.dbs) {
    if (db.size === 0) continue;
    mixDigest(final, u32be(db.id));
    for (const [key, value] of db.entries()) {
      const digest = new Uint8Array(20);
      mixDigest(digest, key);
      mixValue(digest, value, db.getExpire(key) !== -1);
      xorDigest(final, digest);
    }
  }
  return hex(final);
}

/** DEBUG DIGEST-VALUE: one value's digest, without its key; 40 zeros for a missing key. */
export function valueDigest(db: Database, key: string): string {
  const digest = new Uint8Array(20);
  const value = db.peek(key);
  if (value !== undefined) mixValue(digest, value, db.getExpire(key) !== -1);
  return hex(digest);
}
