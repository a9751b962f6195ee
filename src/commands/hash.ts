/**
 * Hash commands (COMMAND DOCS group "hash"). The hash itself is src/store/hash.ts; field
 * order in replies is its insertion order, which is Redis's order while a hash is a
 * listpack. HINCRBYFLOAT shares string.ts's long double arithmetic with INCRBYFLOAT.
 */
import type { Argv } from "../resp/argv.ts";
import {
  HASH_NOT_FLOAT, HASH_NOT_INTEGER, INCR_OVERFLOW, NOT_FLOAT, SYNTAX_ERR, VALUE_NAN_OR_INF, VALUE_OUT_OF_RANGE, valueOutOfRange, wrongArity,
} from "../errors.ts";
import { parseInt64, parseInt64Big, stringToInt64 } from "../resp/bytes.ts";
import { parseLongDouble } from "../resp/long-double.ts";
import type { Context } from "./context.ts";
import { HashValue } from "../store/hash.ts";
import { type ByteSlice, toStringValue } from "../store/keyspace.ts";
import type { PackedBytes } from "../store/value.ts";
import { randomPicks } from "../store/packed-values.ts";

import { NotifyClass } from "../keyspace-events.ts";
import { command } from "./command.ts";
import { type ScanFromBytes, scanGeneric, scanValue } from "./generic.ts";
import { incrByFloat } from "./string.ts";

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

const lookupHash = (c: Context, key: string) => c.db.readAs(key, HashValue);

/**
 * The pairs of the small hash at argv[1], read where they are packed in the key's cell
 * (Database.packedForRead), none for a missing key when `missingAsEmpty` (commands that
 * answer it as an empty hash), or undefined for the usual way (which answers for a missing
 * key, another type, or a hash held otherwise).
 */
const packedHash = (c: Context, argv: Argv, missingAsEmpty = false) => c.db.packedForRead(argv.buffer(1), argv.start(1), argv.end(1), "hash", missingAsEmpty);

/** Where the value of field argv[i] is in packed pairs (its length byte; HashValue.findPacked), or -1. */
const packedField = (pairs: ByteSlice, argv: Argv, i: number) => HashValue.findPacked(pairs, argv.buffer(i), argv.start(i), argv.end(i));

/** The value whose length byte is at `v` of packed pairs, or null for -1. */
function replyPackedValue(c: Context, pairs: ByteSlice, v: number): void {
  if (v < 0) c.reply.null();
  else c.reply.bulkFrom(pairs.buf, v + 1, v + 1 + pairs.buf[v]!);
}

/** HSET and HMSET: field/value pairs; replies come from the caller. Returns new fields. */
function hsetGeneric(c: Context, argv: Argv): number {
  if (argv.length % 2 === 1) throw wrongArity(c.lastCommand);
  // A small hash is changed on its bytes in the key's cell where it can be (Database.editPacked).
  const pairs = (argv.length - 2) / 2;
  const added = c.db.editPacked(argv.buffer(1), argv.start(1), argv.end(1), "hash", pairs, HashValue.setPacked, argv);
  if (added >= 0) return added;
  // A hash table is found from the request's bytes too, while nothing listens by name, and
  // its pairs go from the request's bytes into its cells.
  const table = c.db.writeObjectBytes(argv.buffer(1), argv.start(1), argv.end(1), HashValue);
  const addedToTable = table?.setPairsBytes(argv) ?? -1;
  if (addedToTable >= 0) {
    c.db.objectChanged(table!, argv.len(1), pairs);
    return addedToTable;
  }
  const key = argv.str(1);
  const hash = c.db.writeOrCreate(key, HashValue, () => new HashValue());
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) if (hash.set(argv.str(i), argv.str(i + 1))) created++;
  c.db.modified(key, pairs);
  return created;
}

export const hsetCommand = command({
  name: "hset", notify: [NotifyClass.Hash, "hset"], arity: -4, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["hash"],
  history: [["4.0.0", "Accepts multiple `field` and `value` arguments."]],
  args: "key:key#0 field_value{field:string value:string}...",
  summary: "Set the string value of a hash field", since: "2.0.0",
  complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
  handler: (c, argv) => c.reply.integer(hsetGeneric(c, argv)),
});

export const hmsetCommand = command({
  name: "hmset", notify: [NotifyClass.Hash, "hset"], arity: -4, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["hash"],
  docFlags: ["deprecated"], deprecatedSince: "4.0.0", replacedBy: "`HSET` with multiple field-value pairs",
  args: "key:key#0 field_value{field:string value:string}...",
  summary: "Set multiple hash fields to multiple values", since: "2.0.0", complexity: "O(N) where N is the number of fields being set.",
  handler(c, argv) {
    hsetGeneric(c, argv);
    c.reply.ok();
  },
});

/** HSETNX on a small hash's packed pairs: 1 when set, 0 when the field is there, -1 for the usual way. */
function hsetnxPacked(out: PackedBytes, argv: Argv): number {
  if (HashValue.findPacked(out, argv.buffer(2), argv.start(2), argv.end(2)) >= 0) return 0;
  return HashValue.setPackedPair(out, argv.buffer(2), argv.start(2), argv.end(2), argv.buffer(3), argv.start(3), argv.end(3));
}

export const hsetnxCommand = command({
  name: "hsetnx", notify: [NotifyClass.Hash, "hset"], arity: 4, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "insert"] }, categories: ["hash"],
  args: "key:key#0 field:string value:string",
  summary: "Set the value of a hash field, only if the field does not exist", since: "2.0.0",
  handler(c, argv) {
    // A small hash is changed on its bytes in the key's cell where it can be (Database.editPacked).
    const set = c.db.editPacked(argv.buffer(1), argv.start(1), argv.end(1), "hash", 0, hsetnxPacked, argv);
    if (set >= 0) {
      c.db.countChanges(set);
      return c.reply.integer(set);
    }
    const key = argv.str(1);
    const field = argv.str(2);
    const hash = c.db.writeOrCreate(key, HashValue, () => new HashValue());
    if (hash.has(field)) return c.reply.integer(0);
    hash.set(field, argv.str(3));
    c.db.modified(key);
    c.reply.integer(1);
  },
});

export const hgetCommand = command({
  name: "hget", arity: 3, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["hash"],
  args: "key:key#0 field:string",
  summary: "Get the value of a hash field", since: "2.0.0",
  handler(c, argv) {
    const pairs = packedHash(c, argv, true);
    if (pairs !== undefined) return replyPackedValue(c, pairs, packedField(pairs, argv, 2));
    const hash = lookupHash(c, argv.str(1));
    // A hash table's value is written from its cell, its field found from the request's bytes.
    if (hash?.replyFieldBytes(argv.buffer(2), argv.start(2), argv.end(2), c.reply)) return;
    const value = hash?.get(argv.str(2));
    if (value === undefined) c.reply.null();
    else c.reply.bulkString(value);
  },
});

export const hmgetCommand = command({
  name: "hmget", arity: -3, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["hash"],
  args: "key:key#0 field:string...",
  summary: "Get the values of all the given hash fields", since: "2.0.0", complexity: "O(N) where N is the number of fields being requested.",
  handler(c, argv) {
    const pairs = packedHash(c, argv, true);
    if (pairs !== undefined) {
      c.reply.array(argv.length - 2);
      for (let i = 2; i < argv.length; i++) replyPackedValue(c, pairs, packedField(pairs, argv, i));
      return;
    }
    const hash = lookupHash(c, argv.str(1));
    c.reply.array(argv.length - 2);
    for (let i = 2; i < argv.length; i++) {
      const value = hash?.get(argv.str(i));
      if (value === undefined) c.reply.null();
      else c.reply.bulkString(value);
    }
  },
});

const enum HashPart {
  Keys = 1,
  Values = 2,
  Both = 3,
}

/** HGETALL, HKEYS, HVALS: HGETALL is a map in RESP3, the others arrays. */
function hgetallGeneric(c: Context, argv: Argv, part: HashPart): void {
  const pairs = packedHash(c, argv, true);
  if (pairs !== undefined) {
    const size = HashValue.packedSize(pairs);
    if (part === HashPart.Both) c.reply.map(size);
    else c.reply.array(size);
    return HashValue.writePacked(pairs.buf, pairs.start, pairs.end, c.reply, (part & HashPart.Keys) !== 0, (part & HashPart.Values) !== 0);
  }
  const hash = lookupHash(c, argv.str(1));
  const size = hash?.size ?? 0;
  if (part === HashPart.Both) c.reply.map(size);
  else c.reply.array(size);
  hash?.writeAll(c.reply, (part & HashPart.Keys) !== 0, (part & HashPart.Values) !== 0);
}

const hgetallSpec = {
  arity: 2, flags: ["readonly"] as ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["hash"], tips: ["nondeterministic_output_order"],
  complexity: "O(N) where N is the size of the hash.",
};

export const hgetallCommand = command({
  ...hgetallSpec, name: "hgetall", summary: "Get all the fields and values in a hash", since: "2.0.0",
  args: "key:key#0",
  handler: (c, argv) => hgetallGeneric(c, argv, HashPart.Both),
});

export const hkeysCommand = command({
  ...hgetallSpec, name: "hkeys", summary: "Get all the fields in a hash", since: "2.0.0",
  args: "key:key#0",
  handler: (c, argv) => hgetallGeneric(c, argv, HashPart.Keys),
});

export const hvalsCommand = command({
  ...hgetallSpec, name: "hvals", summary: "Get all the values in a hash", since: "2.0.0",
  args: "key:key#0",
  handler: (c, argv) => hgetallGeneric(c, argv, HashPart.Values),
});

export const hdelCommand = command({
  name: "hdel", events: "before", notify: [NotifyClass.Hash, "hdel"], arity: -3, flags: ["write", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "delete"] }, categories: ["hash"],
  history: [["2.4.0", "Accepts multiple `field` arguments."]],
  args: "key:key#0 field:string...",
  summary: "Delete one or more hash fields", since: "2.0.0", complexity: "O(N) where N is the number of fields to be removed.",
  handler: (c, argv) => c.reply.integer(c.db.removeMembers(argv, "hash", HashValue.deletePacked, HashValue, (h, f) => h.delete(f))),
});

export const hexistsCommand = command({
  name: "hexists", arity: 3, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RO"] }, categories: ["hash"],
  args: "key:key#0 field:string",
  summary: "Determine if a hash field exists", since: "2.0.0",
  handler(c, argv) {
    const pairs = packedHash(c, argv, true);
    if (pairs !== undefined) return c.reply.integer(packedField(pairs, argv, 2) >= 0 ? 1 : 0);
    c.reply.integer(lookupHash(c, argv.str(1))?.has(argv.str(2)) ? 1 : 0);
  },
});

export const hlenCommand = command({
  name: "hlen", arity: 2, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RO"] }, categories: ["hash"],
  args: "key:key#0",
  summary: "Get the number of fields in a hash", since: "2.0.0",
  handler(c, argv) {
    const pairs = packedHash(c, argv, true);
    c.reply.integer(pairs !== undefined ? HashValue.packedSize(pairs) : (lookupHash(c, argv.str(1))?.size ?? 0));
  },
});

export const hstrlenCommand = command({
  name: "hstrlen", arity: 3, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RO"] }, categories: ["hash"],
  args: "key:key#0 field:string",
  summary: "Get the length of the value of a hash field", since: "3.2.0",
  handler(c, argv) {
    const pairs = packedHash(c, argv, true);
    if (pairs === undefined) return c.reply.integer(lookupHash(c, argv.str(1))?.get(argv.str(2))?.length ?? 0);
    const v = packedField(pairs, argv, 2);
    c.reply.integer(v < 0 ? 0 : pairs.buf[v]!);
  },
});

/** HINCRBY's increment, parsed once, and its result on a packed hash (hincrbyPacked). */
let increment = 0;
let incremented = 0;
/** Its decimal text. */
const incrementedText = Buffer.allocUnsafe(24);

/**
 * HINCRBY on a small hash's packed pairs (Database.editPacked): 1 when done, its result in
 * `incremented`; -1 for the usual way, which also answers a value that is not an integer
 * and works past 2^53.
 */
function hincrbyPacked(out: PackedBytes, argv: Argv): number {
  const v = packedField(out, argv, 2);
  const current = v < 0 ? 0 : parseInt64(out.buf, v + 1, v + 1 + out.buf[v]!);
  if (current === undefined || !Number.isSafeInteger(current) || !Number.isSafeInteger(increment) || !Number.isSafeInteger(current + increment)) return -1;
  incremented = current + increment;
  const length = incrementedText.write(String(incremented), 0, "latin1");
  return HashValue.setPackedPair(out, argv.buffer(2), argv.start(2), argv.end(2), incrementedText, 0, length) < 0 ? -1 : 1;
}

export const hincrbyCommand = command({
  name: "hincrby", notify: [NotifyClass.Hash, "hincrby"], arity: 4, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "update"] }, categories: ["hash"],
  args: "key:key#0 field:string increment:integer",
  summary: "Increment the integer value of a hash field by the given number", since: "2.0.0",
  handler(c, argv) {
    const incr = argv.int(3);
    increment = incr;
    if (c.db.editPacked(argv.buffer(1), argv.start(1), argv.end(1), "hash", 1, hincrbyPacked, argv) >= 0) return c.reply.integer(incremented);
    // A hash table's field that holds an integer is added to in its cell, the hash found
    // from the request's bytes while nothing listens by name.
    const table = c.db.writeObjectBytes(argv.buffer(1), argv.start(1), argv.end(1), HashValue);
    const sum = table?.incrementBytes(argv.buffer(2), argv.start(2), argv.end(2), incr);
    if (sum !== undefined) {
      c.db.objectChanged(table!, argv.len(1), 1);
      return c.reply.integer(sum);
    }
    const key = argv.str(1);
    const field = argv.str(2);
    const hash = c.db.writeOrCreate(key, HashValue, () => new HashValue());
    const old = hash.get(field);
    // Within 2^53 as plain numbers (BigInt for every call ran at a quarter of Redis's
    // speed); past it exactly, in BigInt.
    const current = old === undefined ? 0 : toStringValue(old);
    let result: number | bigint;
    if (typeof current === "number" && Number.isSafeInteger(incr) && Number.isSafeInteger(current + incr)) {
      result = current + incr;
    } else {
      const value = old === undefined ? 0n : stringToInt64(old);
      if (value === undefined) throw HASH_NOT_INTEGER;
      result = value + stringToInt64(argv.str(3))!;
      if (result > INT64_MAX || result < INT64_MIN) throw INCR_OVERFLOW;
    }
    hash.set(field, String(result));
    c.db.modified(key);
    c.reply.integer(result);
  },
});

export const hincrbyfloatCommand = command({
  name: "hincrbyfloat", notify: [NotifyClass.Hash, "hincrbyfloat"], arity: 4, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "update"] }, categories: ["hash"],
  args: "key:key#0 field:string increment:double",
  summary: "Increment the float value of a hash field by the given amount", since: "2.6.0",
  handler(c, argv) {
    const incr = parseLongDouble(argv.str(3));
    if (incr === undefined) throw NOT_FLOAT;
    if ("inf" in incr) throw VALUE_NAN_OR_INF;
    const key = argv.str(1);
    const field = argv.str(2);
    const hash = c.db.writeOrCreate(key, HashValue, () => new HashValue());
    const old = hash.get(field);
    if (old !== undefined && parseLongDouble(old) === undefined) throw HASH_NOT_FLOAT;
    const result = incrByFloat(old, argv.bytes(3));
    hash.set(field, result);
    c.db.modified(key);
    // The result, not the increment: replicas must not redo float arithmetic.
    c.propagateAs(["HSET", key, field, result]);
    c.reply.bulkString(result);
  },
});

/** Where each pair of a small hash starts, for HRANDFIELD's picks (reused). */
const pairStarts: number[] = [];

/**
 * HRANDFIELD with a count, of a hash held packed (packedHash's view of its pairs): picks as
 * the object's way below makes them from its pairs in order (with repeats for a negative
 * count, the whole hash in order when the count reaches its size, else distinct ones by a
 * partial shuffle), replied from the bytes.
 */
function hrandfieldPacked(c: Context, packed: ByteSlice, count: number, withValues: boolean): void {
  const b = packed.buf;
  const starts = pairStarts;
  starts.length = 0;
  for (let p = packed.start; p < packed.end; p += 2 + b[p]! + b[p + 1 + b[p]!]!) starts.push(p);
  const reply = c.reply;
  const pairs = withValues && reply.resp === 3;
  const n = count < 0 ? -count : Math.min(count, starts.length);
  reply.array(withValues && !pairs ? n * 2 : n);
  let i = 0;
  const each = (p: number) => {
    if (pairs) reply.array(2);
    const value = p + 1 + b[p]!;
    reply.bulkFrom(b, p + 1, value);
    if (withValues) reply.bulkFrom(b, value + 1, value + 1 + b[value]!);
    // A count is not bounded by the data: the loop stops once the client is closed for its output.
    return (++i & 1023) !== 0 || !c.replyOverLimit();
  };
  // The whole hash, when the count reaches its size, comes in order, as the object's way gives it.
  if (count < starts.length) return randomPicks(starts, count, each);
  for (const p of starts) if (!each(p)) return;
}

/**
 * HRANDFIELD: without a count one random field; a positive count gives distinct fields
 * (the whole hash when it is smaller), a negative one allows repeats.
 */
export const hrandfieldCommand = command({
  name: "hrandfield", arity: -2, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["hash"], tips: ["nondeterministic_output"],
  args: "key:key#0 options{count:integer WITHVALUES?}?",
  summary: "Get one or multiple random fields from a hash", since: "6.2.0", complexity: "O(N) where N is the number of fields returned",
  handler(c, argv) {
    if (argv.length === 2) {
      const pairs = packedHash(c, argv);
      if (pairs !== undefined) {
        const at = HashValue.randomPacked(pairs);
        return c.reply.bulkFrom(pairs.buf, at + 1, at + 1 + pairs.buf[at]!);
      }
      const hash = lookupHash(c, argv.str(1));
      if (hash === undefined) return c.reply.null();
      return c.reply.bulkString(hash.randomPair()[0]);
    }
    const count = argv.int(2);
    // The count must be within +-LONG_MAX; only INT64_MIN itself is outside.
    if (count === -(2 ** 63) && parseInt64Big(argv.bytes(2)) === INT64_MIN) throw valueOutOfRange("-9223372036854775807", "9223372036854775807");
    if (argv.length > 4 || (argv.length === 4 && argv.keyword(3) !== "withvalues")) throw SYNTAX_ERR;
    const withValues = argv.length === 4;
    if (withValues && Math.abs(count) > 4611686018427387903) throw VALUE_OUT_OF_RANGE;
    // A small hash's picks come from its bytes in the key's cell.
    const packed = packedHash(c, argv);
    if (packed !== undefined) return hrandfieldPacked(c, packed, count, withValues);
    const hash = lookupHash(c, argv.str(1));
    if (hash === undefined || count === 0) return c.reply.array(0);
    const size = hash.size;
    // RESP3 pairs each field with its value; RESP2 flattens them.
    const pairs = withValues && c.reply.resp === 3;
    const reply = (field: string, value: string) => {
      if (pairs) c.reply.array(2);
      c.reply.bulkString(field);
      if (withValues) c.reply.bulkString(value);
    };
    // From a hash table, a few fields are picked at random slots (Redis's cases 1 and 4):
    // with repeats for a negative count, distinct ones while the count is under a third of
    // the size. Other picks go through all the pairs.
    if (hash.inTable && (count < 0 || count * 3 <= size)) {
      const n = Math.abs(count);
      c.reply.array(withValues && !pairs ? n * 2 : n);
      if (count < 0) {
        // A count is not bounded by the data: the loop stops once the client is closed for its output.
        for (let i = 0; i < n; i++) {
          reply(...hash.randomPair());
          if ((i & 1023) === 1023 && c.replyOverLimit()) return;
        }
        return;
      }
      const picked = new Map<string, string>();
      while (picked.size < n) picked.set(...hash.randomPair());
      for (const [field, value] of picked) reply(field, value);
      return;
    }
    const flat = hash.toFlatArray();
    if (count < 0) {
      c.reply.array(withValues && !pairs ? -count * 2 : -count);
      for (let i = 0; i < -count; i++) {
        const at = Math.floor(Math.random() * size);
        reply(flat[2 * at]!, flat[2 * at + 1]!);
        if ((i & 1023) === 1023 && c.replyOverLimit()) return;
      }
      return;
    }
    let picks: number[];
    if (count >= size) {
      picks = Array.from({ length: size }, (_, i) => i);
    } else {
      // A partial Fisher-Yates shuffle picks `count` distinct fields.
      const order = Array.from({ length: size }, (_, i) => i);
      for (let i = 0; i < count; i++) {
        const j = i + Math.floor(Math.random() * (size - i));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      picks = order.slice(0, count);
    }
    c.reply.array(withValues && !pairs ? picks.length * 2 : picks.length);
    for (const i of picks) reply(flat[2 * i]!, flat[2 * i + 1]!);
  },
});

/** HSCAN of a hash table: each field and its value from their bytes. */
const PAIRS_FROM_BYTES: ScanFromBytes = {
  items: 2,
  write(table, slot, out) {
    table.writeKeyAt(slot, out);
    table.writeValueAt(slot, out);
  },
};

export const hscanCommand = command({
  name: "hscan", arity: -3, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["hash"], tips: ["nondeterministic_output"],
  args: "key:key#0 cursor:integer MATCH=pattern:pattern? COUNT=count:integer?",
  summary: "Incrementally iterate hash fields and associated values", since: "2.8.0",
  complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
  handler(c, argv) {
    const hash = scanValue(c, argv, () => lookupHash(c, argv.str(1)));
    if (hash === undefined) return;
    // A hash table hands out each value with its field; the small forms are looked up.
    scanGeneric(c, argv, 2, hash.scanTarget, () => hash.fields(), (field, held) => {
      const value = held ?? hash.get(field);
      return value === undefined ? undefined : [field, value as string];
    }, false, true, PAIRS_FROM_BYTES);
  },
});
