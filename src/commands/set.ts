/**
 * Set commands (COMMAND DOCS group "set"). The algebra (SINTER, SUNION, SDIFF and their
 * STORE forms, SINTERCARD) builds a new SetValue the way Redis builds its result object, so
 * a result of integers comes back sorted as Redis's intset does. Random picks use the
 * set's dense member array (src/store/set.ts).
 */
import { LIMIT_NEGATIVE, MUST_BE_POSITIVE, NUMKEYS_POSITIVE, SYNTAX_ERR, TOO_MANY_NUMKEYS, WRONGTYPE, valueOutOfRange } from "../errors.ts";
import { bytesToString, copyBytes, isInt64String, latin1Slice, parseInt64, parseInt64Big, rangesEqual } from "../resp/bytes.ts";
import type { Context } from "./context.ts";
import { type Argv, LoneArgument } from "../resp/argv.ts";
import { ByteSlice } from "../store/keyspace.ts";
import { NotifyClass } from "../keyspace-events.ts";
import { SetValue, compareIntStrings } from "../store/set.ts";
import { encodingLimits } from "../store/encoding.ts";
import type { BytesSink, PackedBytes } from "../store/value.ts";
import { randomPicks } from "../store/packed-values.ts";
import { ArgCursor, parseRangeArg } from "./args.ts";
import { type CommandFlag, command } from "./command.ts";
import { type ScanFromBytes, scanGeneric, scanValue } from "./generic.ts";

const lookupSet = (c: Context, key: string) => c.db.readAs(key, SetValue);

/**
 * The members of the small set at argv[1], read where they are packed in the key's cell
 * (Database.packedForRead; past packBody's two bytes), none for a missing key when
 * `missingAsEmpty` (commands that answer it as an empty set), or undefined for the usual
 * way (which answers for a missing key, another type, or a set held otherwise).
 */
function packedSet(c: Context, argv: Argv, missingAsEmpty = false): ByteSlice | undefined {
  const body = c.db.packedForRead(argv.buffer(1), argv.start(1), argv.end(1), "set", missingAsEmpty);
  return body?.of(body.buf, body.start + 2, body.end);
}

/** Whether packed members hold argv[i]. */
const packedHas = (members: ByteSlice, argv: Argv, i: number) => SetValue.findPacked(members, argv.buffer(i), argv.start(i), argv.end(i));

/** A new set holding `first`'s kind (intset when it is an integer), as setTypeCreate does. */
function newSet(first: string): SetValue {
  return new SetValue(isInt64String(first));
}

function addMember(set: SetValue, member: string): boolean {
  return set.add(member, set.intset && isInt64String(member));
}

export const saddCommand = command({
  name: "sadd", events: "before", notify: [NotifyClass.Set, "sadd"], arity: -3, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "insert"] }, categories: ["set"],
  history: [["2.4.0", "Accepts multiple `member` arguments."]],
  args: "key:key#0 member:string...",
  summary: "Add one or more members to a set", since: "1.0.0",
  complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
  handler(c, argv) {
    // A small set is changed on its bytes in the key's cell where it can be (Database.editPacked).
    const packed = c.db.editPacked(argv.buffer(1), argv.start(1), argv.end(1), "set", 0, SetValue.addPacked, argv);
    if (packed >= 0) {
      c.db.countChanges(packed);
      return c.reply.integer(packed);
    }
    const key = argv.str(1);
    const first = argv.str(2);
    const set = c.db.writeOrCreate(key, SetValue, () => newSet(first));
    let added = 0;
    for (let i = 2; i < argv.length; i++) if (addMember(set, i === 2 ? first : argv.str(i))) added++;
    if (added > 0) c.db.modified(key, added);
    c.reply.integer(added);
  },
});

export const sremCommand = command({
  name: "srem", events: "before", notify: [NotifyClass.Set, "srem"], arity: -3, flags: ["write", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "delete"] }, categories: ["set"],
  history: [["2.4.0", "Accepts multiple `member` arguments."]],
  args: "key:key#0 member:string...",
  summary: "Remove one or more members from a set", since: "1.0.0", complexity: "O(N) where N is the number of members to be removed.",
  handler: (c, argv) => c.reply.integer(c.db.removeMembers(argv, "set", SetValue.removePacked, SetValue, (s, m) => s.delete(m))),
});

export const sismemberCommand = command({
  name: "sismember", arity: 3, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RO"] }, categories: ["set"],
  args: "key:key#0 member:string",
  summary: "Determine if a given value is a member of a set", since: "1.0.0",
  handler(c, argv) {
    const members = packedSet(c, argv, true);
    c.reply.integer((members !== undefined ? packedHas(members, argv, 2) : lookupSet(c, argv.str(1))?.has(argv.str(2))) ? 1 : 0);
  },
});

export const smismemberCommand = command({
  name: "smismember", arity: -3, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1 }, categories: ["set"],
  args: "key:key#0 member:string...",
  summary: "Returns the membership associated with the given elements for a set", since: "6.2.0",
  complexity: "O(N) where N is the number of elements being checked for membership",
  handler(c, argv) {
    const members = packedSet(c, argv, true);
    const set = members === undefined ? lookupSet(c, argv.str(1)) : undefined;
    c.reply.array(argv.length - 2);
    for (let i = 2; i < argv.length; i++) c.reply.integer((members !== undefined ? packedHas(members, argv, i) : set?.has(argv.str(i))) ? 1 : 0);
  },
});

/** A set reply (`~` in RESP3) of the members in Redis's order where it has one. */
function replySet(c: Context, members: readonly string[]): void {
  c.reply.set(members.length);
  for (const m of members) c.reply.bulkString(m);
}

/**
 * The members of a small set's bytes (packedSet's view) whose length bytes are at
 * `positions`, replied as a set in the order toArray gives an object: an intset's by
 * value, any other's as they lie.
 */
function replyPackedMembers(c: Context, members: ByteSlice, positions: readonly number[]): void {
  const buf = members.buf;
  c.reply.set(positions.length);
  if (buf[members.start - 2] === 1) {
    const values = positions.map((p) => latin1Slice.call(buf, p + 1, p + 1 + buf[p]!)).sort(compareIntStrings);
    for (const value of values) c.reply.bulkString(value);
  } else for (const p of positions) c.reply.bulkFrom(buf, p + 1, p + 1 + buf[p]!);
}

/** Positions of members in a small set's bytes (reused). */
const memberPositions: number[] = [];

/** Where each member of a small set's bytes (packedSet's view) starts, in memberPositions. */
function allPositions(members: ByteSlice): number[] {
  const positions = memberPositions;
  positions.length = 0;
  for (let p = members.start; p < members.end; p += 1 + members.buf[p]!) positions.push(p);
  return positions;
}

export const smembersCommand = command({
  name: "smembers", arity: 2, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["set"], tips: ["nondeterministic_output_order"],
  args: "key:key#0",
  summary: "Get all the members in a set", since: "1.0.0", complexity: "O(N) where N is the set cardinality.",
  handler(c, argv) {
    // A small set is read from its bytes in the key's cell.
    const members = packedSet(c, argv, true);
    if (members !== undefined) return replyPackedMembers(c, members, allPositions(members));
    const set = lookupSet(c, argv.str(1));
    c.reply.set(set?.size ?? 0);
    set?.writeAll(c.reply);
  },
});

export const scardCommand = command({
  name: "scard", arity: 2, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RO"] }, categories: ["set"],
  args: "key:key#0",
  summary: "Get the number of members in a set", since: "1.0.0",
  handler(c, argv) {
    const members = packedSet(c, argv, true);
    c.reply.integer(members !== undefined ? SetValue.packedSize(members) : (lookupSet(c, argv.str(1))?.size ?? 0));
  },
});

/** The member SPOP took from a small set's bytes: a copy, since replicas are sent it too. */
let spopped: Uint8Array = new Uint8Array(0);
const spopSink: BytesSink = {
  bulkFrom(buf: Uint8Array, start: number, end: number) {
    spopped = copyBytes(buf, start, end);
  },
  bulkString() {},
};
const spopPacked = (out: PackedBytes) => SetValue.popPacked(out, spopSink);

export const spopCommand = command({
  name: "spop", events: "first-before", notify: [NotifyClass.Set, "spop"], arity: -2, flags: ["write", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "delete"] }, categories: ["set"], tips: ["nondeterministic_output"],
  history: [["3.2.0", "Added the `count` argument."]],
  args: "key:key#0 count:integer?@3.2.0",
  summary: "Remove and return one or multiple random members from a set", since: "1.0.0",
  complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
  handler(c, argv) {
    if (argv.length > 3) throw SYNTAX_ERR;
    if (argv.length === 2) {
      // One member off a small set, on its bytes in the key's cell where it can be.
      const popped = c.db.editPacked(argv.buffer(1), argv.start(1), argv.end(1), "set", 1, spopPacked, undefined);
      if (popped === 0) return c.reply.null();
      if (popped > 0) {
        c.propagateAs(["SREM", argv.bytes(1), spopped]);
        return c.reply.bulkFrom(spopped, 0, spopped.length);
      }
    }
    const key = argv.str(1);
    if (argv.length === 2) {
      const set = c.db.writeAs(key, SetValue);
      if (set === undefined) return c.reply.null();
      const member = set.pop();
      c.db.removed(key);
      // Replicas get the effect of the random choice, as Redis propagates SPOP.
      c.propagateAs(["SREM", key, member]);
      return c.reply.bulkString(member);
    }
    const count = parseRangeArg(argv.bytes(2), 0, MUST_BE_POSITIVE);
    const set = c.db.writeAs(key, SetValue);
    if (set === undefined || count === 0) return replySet(c, []);
    // Asking for the whole set returns it in its own order and deletes the key.
    if (count >= set.size) {
      const all = set.toArray();
      // A change per member, as Redis counts it.
      c.db.discard(key);
      c.db.countChanges(all.length);
      c.propagateAs(["DEL", key]);
      // Emptied: its del event follows the command's spop, as for any emptied aggregate.
      c.server.notifier.emptied(key, c.db.id);
      return replySet(c, all);
    }
    const popped = Array.from({ length: count }, () => set.pop());
    c.db.removed(key, count);
    c.propagateAs(["SREM", key, ...popped]);
    replySet(c, popped);
  },
});

/**
 * SRANDMEMBER with a count other than 0, of a set held packed (packedSet's view): picks as
 * the object's way below makes them (with repeats for a negative count, the whole set as
 * a set reply when the count reaches its size, else distinct ones, here by a partial
 * shuffle), replied from the bytes.
 */
function srandmemberPacked(c: Context, members: ByteSlice, count: number): void {
  const b = members.buf;
  const positions = allPositions(members);
  if (count >= positions.length) return replyPackedMembers(c, members, positions);
  c.reply.array(Math.abs(count));
  let i = 0;
  randomPicks(positions, count, (p) => {
    c.reply.bulkFrom(b, p + 1, p + 1 + b[p]!);
    // A count is not bounded by the data: the loop stops once the client is closed for its output.
    return (++i & 1023) !== 0 || !c.replyOverLimit();
  });
}

export const srandmemberCommand = command({
  name: "srandmember", arity: -2, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["set"], tips: ["nondeterministic_output"],
  history: [["2.6.0", "Added the optional `count` argument."]],
  args: "key:key#0 count:integer?@2.6.0",
  summary: "Get one or multiple random members from a set", since: "1.0.0",
  complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
  handler(c, argv) {
    if (argv.length > 3) throw SYNTAX_ERR;
    if (argv.length === 2) {
      const members = packedSet(c, argv);
      if (members !== undefined) {
        const at = SetValue.randomPacked(members);
        return c.reply.bulkFrom(members.buf, at + 1, at + 1 + members.buf[at]!);
      }
      const set = lookupSet(c, argv.str(1));
      if (set === undefined) return c.reply.null();
      return c.reply.bulkString(set.random());
    }
    const count = argv.int(2);
    if (count === -(2 ** 63) && parseInt64Big(argv.bytes(2)) === -9223372036854775808n) throw valueOutOfRange("-9223372036854775807", "9223372036854775807");
    // A small set's picks come from its bytes in the key's cell.
    const members = packedSet(c, argv);
    if (members !== undefined) return count === 0 ? c.reply.array(0) : srandmemberPacked(c, members, count);
    const set = lookupSet(c, argv.str(1));
    if (set === undefined || count === 0) return c.reply.array(0);
    if (count < 0) {
      // A count is not bounded by the data: the loop stops once the client is closed for its output.
      c.reply.array(-count);
      for (let i = 0; i < -count; i++) {
        c.reply.bulkString(set.random());
        if ((i & 1023) === 1023 && c.replyOverLimit()) return;
      }
      return;
    }
    // The whole set when it is no bigger than the count, as a set reply (Redis unions it).
    if (count >= set.size) return replySet(c, set.toArray());
    const picked = new Set<string>();
    while (picked.size < count) picked.add(set.random());
    c.reply.bulkStrings([...picked]);
  },
});

/** SMOVE's member, as the set edits take members (reused). */
const movedMember = new LoneArgument(3);

/**
 * SMOVE between two small sets, or into a new one, on their bytes in the keys' cells:
 * true when done. The destination is looked at first (Redis checks its type before it
 * removes anything); an add that would leave the packed form, or make a key while `new`
 * events are on, goes the usual way after the removal. False, with nothing done, for the
 * usual way (the same key, a large set, anything editPacked leaves alone).
 */
function smovePacked(c: Context, argv: Argv): boolean {
  if (rangesEqual(argv.buffer(1), argv.start(1), argv.end(1), argv.buffer(2), argv.start(2), argv.end(2)) || !c.db.editableAs(argv.buffer(2), argv.start(2), argv.end(2), "set")) return false;
  const member = movedMember.of(argv);
  const removed = c.db.editPacked(argv.buffer(1), argv.start(1), argv.end(1), "set", 0, SetValue.removePacked, member);
  if (removed < 0) return false;
  if (removed === 0) {
    c.reply.integer(0);
    return true;
  }
  c.db.countChanges(1);
  const notifies = c.notifies(NotifyClass.Set);
  if (notifies) c.notify(NotifyClass.Set, "srem", argv.str(1));
  // An emptied source is deleted before the member is added: its del comes before sadd.
  c.server.notifier.flushDeleted();
  let added = c.db.editPacked(argv.buffer(2), argv.start(2), argv.end(2), "set", 0, SetValue.addPacked, member);
  if (added < 0) {
    const to = argv.str(2);
    const target = c.db.writeOrCreate(to, SetValue, () => newSet(argv.str(3)));
    added = addMember(target, argv.str(3)) ? 1 : 0;
    if (added > 0) c.db.modified(to, 0);
  }
  if (added > 0) {
    c.db.countChanges(1);
    if (notifies) c.notify(NotifyClass.Set, "sadd", argv.str(2));
  }
  c.reply.integer(1);
  return true;
}

export const smoveCommand = command({
  name: "smove", arity: 4, flags: ["write", "fast"], keys: { first: 1, last: 2, step: 1 },
  args: "source:key#0 destination:key#1 member:string",
  keySpecs: [
    { flags: ["RW", "access", "delete"], begin: { index: 1 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
    { flags: ["RW", "insert"], begin: { index: 2 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
  ],
  categories: ["set"],
  summary: "Move a member from one set to another", since: "1.0.0",
  handler(c, argv) {
    if (smovePacked(c, argv)) return;
    const from = argv.str(1);
    const to = argv.str(2);
    const member = argv.str(3);
    const source = c.db.lookupKeyWrite(from);
    const dest = c.db.lookupKeyWrite(to);
    if (source === undefined) return c.reply.integer(0);
    if (!(source instanceof SetValue) || (dest !== undefined && !(dest instanceof SetValue))) throw WRONGTYPE;
    if (source === dest) return c.reply.integer(source.has(member) ? 1 : 0);
    if (!source.delete(member)) return c.reply.integer(0);
    c.db.removed(from);
    c.notify(NotifyClass.Set, "srem", from);
    // An emptied source is deleted before the member is added: its del comes before sadd.
    c.server.notifier.flushDeleted();
    const target = c.db.writeOrCreate(to, SetValue, () => newSet(member));
    if (addMember(target, member)) {
      c.db.modified(to);
      c.notify(NotifyClass.Set, "sadd", to);
    }
    c.reply.integer(1);
  },
});

const enum SetOp {
  Union,
  Diff,
}

/** The sets named by `keys`, undefined for a missing key; any other type is WRONGTYPE. */
function lookupSets(c: Context, keys: string[], forWrite: boolean): (SetValue | undefined)[] {
  return keys.map((key) => (forWrite ? c.db.readForWriteAs(key, SetValue) : c.db.readAs(key, SetValue)));
}

/**
 * Each member the sets have in common to `visit`, until it returns false, walking the
 * smallest set (not copying it: SINTERCARD's LIMIT stops after a few members of a big
 * set); none when a key is missing.
 */
function eachCommon(sets: (SetValue | undefined)[], visit: (member: string) => boolean): void {
  if (sets.some((s) => s === undefined)) return;
  const sorted = (sets as SetValue[]).slice().sort((a, b) => a.size - b.size);
  const smallest = sorted[0]!;
  smallest.forEachMember((member) => {
    for (let i = 1; i < sorted.length; i++) if (!sorted[i]!.has(member)) return true;
    return visit(member);
  });
}

function intersect(sets: (SetValue | undefined)[]): SetValue {
  const result = new SetValue(true);
  eachCommon(sets, (member) => {
    addMember(result, member);
    return true;
  });
  return result;
}

function unionOrDiff(sets: (SetValue | undefined)[], op: SetOp): SetValue {
  const result = new SetValue(true);
  if (op === SetOp.Union) {
    for (const set of sets) if (set) for (const m of set.values()) addMember(result, m);
    return result;
  }
  const [first, ...rest] = sets;
  if (first === undefined) return result;
  for (const m of first.toArray()) if (!rest.some((s) => s?.has(m))) addMember(result, m);
  return result;
}

/** Store a computed set at `dest` (deleting it when the result is empty) and reply its size. */
function storeSet(c: Context, destArg: Uint8Array, result: SetValue): void {
  const dest = bytesToString(destArg);
  if (result.size > 0) {
    c.db.setKey(dest, result);
    c.notify(NotifyClass.Set, c.lastCommand, dest);
  } else if (c.db.delete(dest)) c.notify(NotifyClass.Generic, "del", dest);
  c.reply.integer(result.size);
}

const algebraSpec = { arity: -2, flags: ["readonly"] as CommandFlag[], keys: { first: 1, last: -1, step: 1 }, categories: ["set"], tips: ["nondeterministic_output_order"] };
const storeSpec = (destFlags: string[]) => ({
  arity: -3, flags: ["write", "denyoom"] as CommandFlag[], keys: { first: 1, last: -1, step: 1 }, categories: ["set"],
  keySpecs: [
    { flags: destFlags, begin: { index: 1 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
    { flags: ["RO", "access"], begin: { index: 2 }, find: { lastkey: -1, keystep: 1, limit: 0 } },
  ],
});

/** Views of the small sets SINTER reads, one a key (packedForRead's own view is reused). */
const setViews: ByteSlice[] = [];

/**
 * The sets at argv[first, first + n) as views of their bytes in setViews (valid until
 * releaseSetViews), where each key holds a set packed in its cell, each read as
 * lookupKeyRead reads it: true. False, with nothing done, when a key is missing, past its
 * deadline or held otherwise: the usual way answers those.
 */
function viewPackedSets(c: Context, argv: Argv, first: number, n: number): boolean {
  for (let i = first; i < first + n; i++) if (!c.db.heldPackedAs(argv.buffer(i), argv.start(i), argv.end(i), "set")) return false;
  for (let i = 0; i < n; i++) {
    const body = c.db.packedForRead(argv.buffer(first + i), argv.start(first + i), argv.end(first + i), "set")!;
    (setViews[i] ??= new ByteSlice()).of(body.buf, body.start + 2, body.end);
  }
  return true;
}

/**
 * The members every set at argv[first, first + n) holds, where each key holds a set packed
 * in its cell (viewPackedSets): their positions in the smallest one's bytes to
 * memberPositions (at most `limit` of them; 0: all), and that smallest's view returned.
 * Undefined, with nothing done, for the usual way.
 */
function commonPacked(c: Context, argv: Argv, first: number, n: number, limit: number): ByteSlice | undefined {
  if (!viewPackedSets(c, argv, first, n)) return undefined;
  let smallest = 0;
  let least = Infinity;
  for (let i = 0; i < n; i++) {
    const size = SetValue.packedSize(setViews[i]!);
    if (size < least) {
      least = size;
      smallest = i;
    }
  }
  const members = setViews[smallest]!;
  const buf = members.buf;
  const positions = memberPositions;
  positions.length = 0;
  for (let p = members.start; p < members.end && (limit === 0 || positions.length < limit); p += 1 + buf[p]!) {
    let everywhere = true;
    for (let k = 0; k < n && everywhere; k++) if (k !== smallest) everywhere = SetValue.findPacked(setViews[k]!, buf, p + 1, p + 1 + buf[p]!);
    if (everywhere) positions.push(p);
  }
  return members;
}

/** unionOrDiffPacked's members: the view each is in and where, in turn (reused). */
const picked: number[] = [];

/**
 * SUNION or SDIFF of sets all held packed (viewPackedSets), replied from their bytes: the
 * members of any (SUNION) or of the first and none of the others (SDIFF), once each. As
 * Redis builds the result as a set, an all-integer one within set-max-intset-entries comes
 * as an intset, by value; any other in the order the sets were walked (Redis's is its hash
 * table's). False, with nothing done, for the usual way.
 */
function unionOrDiffPacked(c: Context, argv: Argv, op: SetOp): boolean {
  const n = argv.length - 1;
  if (!viewPackedSets(c, argv, 1, n)) return false;
  picked.length = 0;
  for (let k = 0; k < (op === SetOp.Union ? n : 1); k++) {
    const members = setViews[k]!;
    const buf = members.buf;
    for (let p = members.start; p < members.end; p += 1 + buf[p]!) {
      // A union takes a member once, from the first set holding it; a difference none the others hold.
      let keep = true;
      for (let j = op === SetOp.Union ? 0 : 1; j < (op === SetOp.Union ? k : n) && keep; j++) keep = !SetValue.findPacked(setViews[j]!, buf, p + 1, p + 1 + buf[p]!);
      if (keep) picked.push(k, p);
    }
  }
  const count = picked.length / 2;
  c.reply.set(count);
  // Integers are told from the bytes; strings are made only to sort an intset's members.
  let integers = count <= encodingLimits.setMaxIntsetEntries;
  for (let i = 0; i < picked.length && integers; i += 2) {
    const buf = setViews[picked[i]!]!.buf;
    const p = picked[i + 1]!;
    integers = parseInt64(buf, p + 1, p + 1 + buf[p]!) !== undefined;
  }
  const values: string[] = [];
  for (let i = 0; i < picked.length; i += 2) {
    const buf = setViews[picked[i]!]!.buf;
    const p = picked[i + 1]!;
    if (integers) values.push(latin1Slice.call(buf, p + 1, p + 1 + buf[p]!));
    else c.reply.bulkFrom(buf, p + 1, p + 1 + buf[p]!);
  }
  for (const value of values.sort(compareIntStrings)) c.reply.bulkString(value);
  releaseSetViews(n);
  return true;
}

/** After commonPacked: its views let go of the keys' cells. */
function releaseSetViews(n: number): void {
  for (let i = 0; i < n; i++) setViews[i]!.release();
}

export const sinterCommand = command({
  ...algebraSpec, name: "sinter", summary: "Intersect multiple sets", since: "1.0.0",
  args: "key:key#0...",
  complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
  handler(c, argv) {
    // Small sets are intersected on their bytes in the keys' cells.
    const smallest = commonPacked(c, argv, 1, argv.length - 1, 0);
    if (smallest !== undefined) {
      replyPackedMembers(c, smallest, memberPositions);
      return releaseSetViews(argv.length - 1);
    }
    replySet(c, intersect(lookupSets(c, argv.strs(1), false)).toArray());
  },
});

export const sinterstoreCommand = command({
  ...storeSpec(["RW", "update"]), name: "sinterstore", summary: "Intersect multiple sets and store the resulting set in a key", since: "1.0.0",
  args: "destination:key#0 key:key#1...",
  complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
  handler(c, argv) {
    storeSet(c, argv.bytes(1), intersect(lookupSets(c, argv.strs(2), true)));
  },
});

export const sintercardCommand = command({
  name: "sintercard", arity: -3, flags: ["readonly"],
  args: "numkeys:integer key:key#0... LIMIT=limit:integer?",
  keySpecs: [{ flags: ["RO", "access"], begin: { index: 1 }, find: { keynumidx: 0, firstkey: 1, keystep: 1 } }], categories: ["set"],
  summary: "Intersect multiple sets and return the cardinality of the result", since: "7.0.0",
  complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
  handler(c, argv) {
    const numkeys = parseRangeArg(argv.bytes(1), 1, NUMKEYS_POSITIVE);
    if (numkeys > argv.length - 2) throw TOO_MANY_NUMKEYS;
    let limit = 0;
    const args = new ArgCursor(argv, 2 + numkeys);
    while (args.hasNext()) {
      if (args.nextKeyword() === "limit" && args.hasNext()) limit = parseRangeArg(args.next(), 0, LIMIT_NEGATIVE);
      else throw SYNTAX_ERR;
    }
    if (commonPacked(c, argv, 2, numkeys, limit) !== undefined) {
      releaseSetViews(numkeys);
      return c.reply.integer(memberPositions.length);
    }
    const sets = lookupSets(c, argv.strs(2, 2 + numkeys), false);
    let count = 0;
    // One set is its own intersection: its size, up to the limit, with no member walked.
    if (sets.length === 1) count = sets[0] === undefined ? 0 : limit === 0 ? sets[0].size : Math.min(limit, sets[0].size);
    else eachCommon(sets, () => ++count !== limit);
    c.reply.integer(count);
  },
});

export const sunionCommand = command({
  ...algebraSpec, name: "sunion", summary: "Add multiple sets", since: "1.0.0", complexity: "O(N) where N is the total number of elements in all given sets.",
  args: "key:key#0...",
  handler(c, argv) {
    // Small sets are joined on their bytes in the keys' cells.
    if (!unionOrDiffPacked(c, argv, SetOp.Union)) replySet(c, unionOrDiff(lookupSets(c, argv.strs(1), false), SetOp.Union).toArray());
  },
});

export const sunionstoreCommand = command({
  ...storeSpec(["OW", "update"]), name: "sunionstore", summary: "Add multiple sets and store the resulting set in a key", since: "1.0.0",
  args: "destination:key#0 key:key#1...",
  complexity: "O(N) where N is the total number of elements in all given sets.",
  handler: (c, argv) => storeSet(c, argv.bytes(1), unionOrDiff(lookupSets(c, argv.strs(2), true), SetOp.Union)),
});

export const sdiffCommand = command({
  ...algebraSpec, name: "sdiff", summary: "Subtract multiple sets", since: "1.0.0", complexity: "O(N) where N is the total number of elements in all given sets.",
  args: "key:key#0...",
  handler(c, argv) {
    // Small sets are subtracted on their bytes in the keys' cells.
    if (!unionOrDiffPacked(c, argv, SetOp.Diff)) replySet(c, unionOrDiff(lookupSets(c, argv.strs(1), false), SetOp.Diff).toArray());
  },
});

export const sdiffstoreCommand = command({
  ...storeSpec(["OW", "update"]), name: "sdiffstore", summary: "Subtract multiple sets and store the resulting set in a key", since: "1.0.0",
  args: "destination:key#0 key:key#1...",
  complexity: "O(N) where N is the total number of elements in all given sets.",
  handler: (c, argv) => storeSet(c, argv.bytes(1), unionOrDiff(lookupSets(c, argv.strs(2), true), SetOp.Diff)),
});

/** SSCAN of a set's table: each member from its bytes. */
const MEMBERS_FROM_BYTES: ScanFromBytes = { items: 1, write: (table, slot, out) => table.writeKeyAt(slot, out) };

export const sscanCommand = command({
  name: "sscan", arity: -3, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["set"], tips: ["nondeterministic_output"],
  args: "key:key#0 cursor:integer MATCH=pattern:pattern? COUNT=count:integer?",
  summary: "Incrementally iterate Set elements", since: "2.8.0",
  complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
  handler(c, argv) {
    const set = scanValue(c, argv, () => lookupSet(c, argv.str(1)));
    if (set === undefined) return;
    // Members come from the set itself, table or packed form: no need to look each up again.
    scanGeneric(c, argv, 2, set.scanTarget, () => set.toArray(), (m) => [m], false, false, MEMBERS_FROM_BYTES);
  },
});
