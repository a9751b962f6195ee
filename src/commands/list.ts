/**
 * List commands (COMMAND DOCS group "list"). Pushes share pushGeneric, pops popGeneric,
 * and LMOVE/RPOPLPUSH share lmoveGeneric, as in Redis's t_list.c. Index clamping follows
 * Redis's rules exactly (negative indexes count from the tail). The deque itself is
 * src/store/list.ts; these handlers never reach into it beyond its methods.
 */
import type { ArgumentsFrom2, Argv } from "../resp/argv.ts";
import { bytesToString, copyRange, parseInt64, rangesEqual } from "../resp/bytes.ts";
import {
  INDEX_OUT_OF_RANGE, LPOS_COUNT_NEGATIVE, LPOS_MAXLEN_NEGATIVE, LPOS_RANK_ZERO, MUST_BE_POSITIVE,
  NO_SUCH_KEY, NUMKEYS_POSITIVE, COUNT_POSITIVE, SYNTAX_ERR, WRONGTYPE_DESTINATION, wrongArity,
} from "../errors.ts";
import { type Context, serveOrBlock } from "./context.ts";
import { NotifyClass } from "../keyspace-events.ts";
import { ByteSlice } from "../store/keyspace.ts";
import { allocBytes } from "../store/latin1.ts";
import { ListValue, NO_PIVOT, clampRange } from "../store/list.ts";
import type { BytesSink, PackedBytes } from "../store/value.ts";
import { ArgCursor, parseIntArg, parseListEnd, parseRangeArg, parseTimeout } from "./args.ts";
import { type CommandSpec, command } from "./command.ts";

/** The element a push is copying in, reused (each is copied before the next is set). */
const pushElement = new ByteSlice();

/** LPUSH, RPUSH, LPUSHX, RPUSHX: `onlyIfExists` for the X forms. Replies the new length. */
function pushGeneric(c: Context, argv: Argv, head: boolean, onlyIfExists: boolean): void {
  // A list of one small node is pushed to on its bytes in the key's cell where it can be
  // (Database.editPacked).
  if (!onlyIfExists) {
    const length = c.db.editPacked(argv.buffer(1), argv.start(1), argv.end(1), "list", argv.length - 2, head ? pushPackedHead : pushPackedTail, argv);
    if (length >= 0) return c.reply.integer(length);
  }
  // A large list is found from the request's bytes too, while nothing listens by name.
  const held = c.db.writeObjectBytes(argv.buffer(1), argv.start(1), argv.end(1), ListValue);
  if (held !== undefined) {
    pushElements(held, argv, head);
    c.db.objectChanged(held, argv.len(1), argv.length - 2);
    return c.reply.integer(held.length);
  }
  const key = argv.str(1);
  const list = onlyIfExists ? c.db.writeAs(key, ListValue) : c.db.writeOrCreate(key, ListValue, () => new ListValue());
  if (list === undefined) return c.reply.integer(0);
  pushElements(list, argv, head);
  c.db.modified(key, argv.length - 2);
  c.reply.integer(list.length);
}

/** The elements from argv[2] on, from the request's bytes into the list's nodes: no string is made. */
function pushElements(list: ListValue, argv: Argv, head: boolean): void {
  const element = pushElement;
  for (let i = 2; i < argv.length; i++) {
    element.of(argv.buffer(i), argv.start(i), argv.end(i));
    if (head) list.pushHead(element);
    else list.pushTail(element);
  }
  element.release();
}

const pushPackedHead = (out: PackedBytes, argv: Argv) => ListValue.pushPacked(out, argv, true);
const pushPackedTail = (out: PackedBytes, argv: Argv) => ListValue.pushPacked(out, argv, false);
const popPackedHead = (out: PackedBytes, c: Context) => ListValue.popPacked(out, true, c.reply);
const popPackedTail = (out: PackedBytes, c: Context) => ListValue.popPacked(out, false, c.reply);

/**
 * The body of the list at argv[1] where it is packed in the key's cell
 * (Database.packedForRead), an empty one for a missing key when `missingAsEmpty` (commands
 * that answer it as an empty list), or undefined for the usual way.
 */
const packedList = (c: Context, argv: Argv, missingAsEmpty = false) => c.db.packedForRead(argv.buffer(1), argv.start(1), argv.end(1), "list", missingAsEmpty);

const pushSpec = {
  arity: -3, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "insert"] }, categories: ["list"],
  complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
} satisfies Partial<CommandSpec>;

export const lpushCommand = command({
  ...pushSpec, name: "lpush", notify: [NotifyClass.List, "lpush"], summary: "Prepend one or multiple elements to a list", since: "1.0.0",
  history: [["2.4.0", "Accepts multiple `element` arguments."]],
  args: "key:key#0 element:string...",
  handler: (c, argv) => pushGeneric(c, argv, true, false),
});

export const rpushCommand = command({
  ...pushSpec, name: "rpush", notify: [NotifyClass.List, "rpush"], summary: "Append one or multiple elements to a list", since: "1.0.0",
  history: [["2.4.0", "Accepts multiple `element` arguments."]],
  args: "key:key#0 element:string...",
  handler: (c, argv) => pushGeneric(c, argv, false, false),
});

export const lpushxCommand = command({
  ...pushSpec, name: "lpushx", notify: [NotifyClass.List, "lpush"], summary: "Prepend an element to a list, only if the list exists", since: "2.2.0",
  history: [["4.0.0", "Accepts multiple `element` arguments."]],
  args: "key:key#0 element:string...",
  handler: (c, argv) => pushGeneric(c, argv, true, true),
});

export const rpushxCommand = command({
  ...pushSpec, name: "rpushx", notify: [NotifyClass.List, "rpush"], summary: "Append an element to a list, only if the list exists", since: "2.2.0",
  history: [["4.0.0", "Accepts multiple `element` arguments."]],
  args: "key:key#0 element:string...",
  handler: (c, argv) => pushGeneric(c, argv, false, true),
});

/**
 * Pop up to `count` elements from one end into the reply, an array of them when `asArray`
 * (each element's bytes go from the list into the reply: no string is made of it), and
 * delete the key when it empties. Returns how many were popped.
 */
export function popElements(c: Context, key: string, list: ListValue, head: boolean, count: number, asArray: boolean): number {
  const n = popReplies(c, list, head, count, asArray);
  c.db.removed(key, n);
  return n;
}

/** popElements's elements, each taken off and written to the reply; returns how many. */
function popReplies(c: Context, list: ListValue, head: boolean, count: number, asArray: boolean): number {
  const n = Math.min(count, list.length);
  if (asArray) c.reply.array(n);
  for (let i = 0; i < n; i++) {
    if (head) list.popHead(c.reply);
    else list.popTail(c.reply);
  }
  return n;
}

/** LPOP and RPOP, with the optional count that turns the reply into an array. */
function popGeneric(c: Context, argv: Argv, head: boolean): void {
  if (argv.length > 3) throw wrongArity(c.lastCommand);
  const hasCount = argv.length === 3;
  const count = hasCount ? parseRangeArg(argv.bytes(2), 0, MUST_BE_POSITIVE) : 1;
  // One element off a list of one node, on its bytes in the key's cell where it can be (0:
  // no such key).
  if (!hasCount) {
    const popped = c.db.editPacked(argv.buffer(1), argv.start(1), argv.end(1), "list", 1, head ? popPackedHead : popPackedTail, c);
    if (popped > 0) return;
    if (popped === 0) return c.reply.null();
  }
  // A large list that keeps elements is found from the request's bytes too, while nothing
  // listens by name; one that would be emptied goes the usual way, which deletes it.
  const held = c.db.writeObjectBytes(argv.buffer(1), argv.start(1), argv.end(1), ListValue);
  if (held !== undefined && held.length > count) {
    if (hasCount && count === 0) return c.reply.array(0);
    return c.db.objectChanged(held, argv.len(1), popReplies(c, held, head, count, hasCount));
  }
  const key = argv.str(1);
  const list = c.db.writeAs(key, ListValue);
  if (list === undefined) return hasCount ? c.reply.nullArray() : c.reply.null();
  if (hasCount && count === 0) return c.reply.array(0);
  popElements(c, key, list, head, count, hasCount);
}

const popSpec = {
  arity: -2, flags: ["write", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "access", "delete"] }, categories: ["list"],
  complexity: "O(N) where N is the number of elements returned",
} satisfies Partial<CommandSpec>;

export const lpopCommand = command({
  ...popSpec, name: "lpop", notify: [NotifyClass.List, "lpop"], summary: "Remove and get the first elements in a list", since: "1.0.0",
  history: [["6.2.0", "Added the `count` argument."]],
  args: "key:key#0 count:integer?@6.2.0",
  handler: (c, argv) => popGeneric(c, argv, true),
});

export const rpopCommand = command({
  ...popSpec, name: "rpop", notify: [NotifyClass.List, "rpop"], summary: "Remove and get the last elements in a list", since: "1.0.0",
  history: [["6.2.0", "Added the `count` argument."]],
  args: "key:key#0 count:integer?@6.2.0",
  handler: (c, argv) => popGeneric(c, argv, false),
});

export const llenCommand = command({
  name: "llen", arity: 2, flags: ["readonly", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RO"] }, categories: ["list"],
  args: "key:key#0",
  summary: "Get the length of a list", since: "1.0.0",
  handler(c, argv) {
    const body = packedList(c, argv, true);
    c.reply.integer(body !== undefined ? ListValue.packedCount(body) : (c.db.readAs(argv.str(1), ListValue)?.length ?? 0));
  },
});

export const lrangeCommand = command({
  name: "lrange", arity: 4, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["list"],
  args: "key:key#0 start:integer stop:integer",
  summary: "Get a range of elements from a list", since: "1.0.0",
  complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
  handler(c, argv) {
    const start = argv.int(2);
    const end = argv.int(3);
    const body = packedList(c, argv, true);
    if (body !== undefined) {
      const packed = clampRange(start, end, ListValue.packedCount(body));
      c.reply.array(packed === undefined ? 0 : packed[1] - packed[0] + 1);
      if (packed !== undefined) ListValue.writePackedRange(body, packed[0], packed[1], c.reply);
      return;
    }
    const list = c.db.readAs(argv.str(1), ListValue);
    const range = list === undefined ? undefined : clampRange(start, end, list.length);
    if (range === undefined) return c.reply.array(0);
    c.reply.array(range[1] - range[0] + 1);
    list!.writeRange(range[0], range[1], c.reply);
  },
});

/** A list index, negative from the tail, or -1 when it is out of range. */
function listIndex(list: ListValue, index: number): number {
  const i = index < 0 ? list.length + index : index;
  return i >= 0 && i < list.length ? i : -1;
}

export const lindexCommand = command({
  name: "lindex", arity: 3, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["list"],
  args: "key:key#0 index:integer",
  summary: "Get an element from a list by its index", since: "1.0.0",
  complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
  handler(c, argv) {
    const body = packedList(c, argv);
    if (body !== undefined) {
      const length = ListValue.packedCount(body);
      const index = argv.int(2);
      const i = index < 0 ? length + index : index;
      if (i < 0 || i >= length) return c.reply.null();
      return ListValue.writePackedRange(body, i, i, c.reply);
    }
    const list = c.db.readAs(argv.str(1), ListValue);
    if (list === undefined) return c.reply.null();
    const i = listIndex(list, argv.int(2));
    if (i === -1) c.reply.null();
    else c.reply.bulkString(list!.at(i));
  },
});

/** LSET's index, for its edit on a list's bytes. */
let lsetIndex = 0;
const lsetPacked = (out: PackedBytes, argv: Argv) => ListValue.setPacked(out, argv, lsetIndex);

export const lsetCommand = command({
  name: "lset", notify: [NotifyClass.List, "lset"], arity: 4, flags: ["write", "denyoom"], keys: { first: 1, last: 1, step: 1 }, categories: ["list"],
  args: "key:key#0 index:integer element:string",
  summary: "Set the value of an element in a list by its index", since: "1.0.0",
  complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
  handler(c, argv) {
    // A list of one node held packed is changed on its bytes in the key's cell (a bad
    // index goes the usual way, which looks the key up before it answers that error).
    const index = parseInt64(argv.buffer(2), argv.start(2), argv.end(2));
    if (index !== undefined) {
      lsetIndex = index;
      if (c.db.editPacked(argv.buffer(1), argv.start(1), argv.end(1), "list", 1, lsetPacked, argv) >= 0) return c.reply.ok();
    }
    const key = argv.str(1);
    const list = c.db.writeAs(key, ListValue);
    if (list === undefined) throw NO_SUCH_KEY;
    const i = listIndex(list, argv.int(2));
    if (i === -1) throw INDEX_OUT_OF_RANGE;
    list.set(i, argv.str(3));
    c.db.modified(key);
    c.reply.ok();
  },
});

const insertPackedBefore = (out: PackedBytes, argv: Argv) => ListValue.insertPacked(out, argv, false);
const insertPackedAfter = (out: PackedBytes, argv: Argv) => ListValue.insertPacked(out, argv, true);

export const linsertCommand = command({
  name: "linsert", events: "before", notify: [NotifyClass.List, "linsert"], arity: 5, flags: ["write", "denyoom"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "insert"] }, categories: ["list"],
  args: "key:key#0 where(BEFORE|AFTER) pivot:string element:string",
  summary: "Insert an element before or after another element in a list", since: "2.2.0",
  complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
  handler(c, argv) {
    const where = argv.keyword(2);
    if (where !== "before" && where !== "after") throw SYNTAX_ERR;
    // A list of one node held packed takes the element on its bytes in the key's cell.
    const length = c.db.editPacked(argv.buffer(1), argv.start(1), argv.end(1), "list", 0, where === "after" ? insertPackedAfter : insertPackedBefore, argv);
    if (length === NO_PIVOT) return c.reply.integer(-1);
    if (length >= 0) {
      if (length > 0) c.db.countChanges(1);
      return c.reply.integer(length);
    }
    const key = argv.str(1);
    const list = c.db.writeAs(key, ListValue);
    if (list === undefined) return c.reply.integer(0);
    let at = -1;
    list.positions(argv.buffer(3), argv.start(3), argv.end(3), false, 0, (i) => ((at = i), false));
    if (at === -1) return c.reply.integer(-1);
    list.insert(where === "after" ? at + 1 : at, argv.str(4));
    c.db.modified(key);
    c.reply.integer(list.length);
  },
});

/** LREM removes up to this many occurrences one by one (a node's splice each); more rebuild the list once. */
const LREM_IN_PLACE = 8;

/** LREM's count and LTRIM's range, for their edits on a list's bytes; whether LTRIM found a list. */
let lremCount = 0;
let trimStart = 0;
let trimEnd = 0;
let trimFound = false;
const lremPacked = (out: PackedBytes, argv: Argv) => ListValue.removePacked(out, lremCount, argv.buffer(3), argv.start(3), argv.end(3));
const ltrimPacked = (out: PackedBytes) => {
  trimFound = out.end > out.start;
  return ListValue.trimPacked(out, trimStart, trimEnd);
};

export const lremCommand = command({
  name: "lrem", events: "before", notify: [NotifyClass.List, "lrem"], arity: 4, flags: ["write"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "delete"] }, categories: ["list"],
  args: "key:key#0 count:integer element:string",
  summary: "Remove elements from a list", since: "1.0.0", complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
  handler(c, argv) {
    const count = argv.int(2);
    // A list of one node loses them on its bytes in the key's cell where it can.
    lremCount = count;
    const removed = c.db.editPacked(argv.buffer(1), argv.start(1), argv.end(1), "list", 0, lremPacked, argv);
    if (removed >= 0) {
      c.db.countChanges(removed);
      return c.reply.integer(removed);
    }
    const key = argv.str(1);
    const list = c.db.writeAs(key, ListValue);
    if (list === undefined) return c.reply.integer(0);
    // The occurrences to remove, from the head (or from the tail for a negative count).
    const found: number[] = [];
    list.positions(argv.buffer(3), argv.start(3), argv.end(3), count < 0, 0, (i) => found.push(i) !== Math.abs(count));
    // A few are removed where they are; many in one pass that rebuilds the list.
    if (found.length <= LREM_IN_PLACE) for (const i of found.sort((a, b) => b - a)) list.removeAt(i);
    else {
      const drop = new Set(found);
      list.filter((_, i) => !drop.has(i));
    }
    if (found.length > 0) c.db.removed(key, found.length);
    c.reply.integer(found.length);
  },
});

export const ltrimCommand = command({
  name: "ltrim", events: "before", arity: 4, flags: ["write"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "delete"] }, categories: ["list"],
  args: "key:key#0 start:integer stop:integer",
  summary: "Trim a list to the specified range", since: "1.0.0", complexity: "O(N) where N is the number of elements to be removed by the operation.",
  handler(c, argv) {
    trimStart = argv.int(2);
    trimEnd = argv.int(3);
    // A list of one node is trimmed on its bytes in the key's cell where it can be.
    const removed = c.db.editPacked(argv.buffer(1), argv.start(1), argv.end(1), "list", 0, ltrimPacked, argv);
    if (removed >= 0) c.db.countChanges(removed);
    else {
      const key = argv.str(1);
      const list = c.db.writeAs(key, ListValue);
      trimFound = list !== undefined;
      if (list !== undefined) {
        const before = list.length;
        const range = clampRange(trimStart, trimEnd, before);
        if (range === undefined) list.trim(0, -1);
        else list.trim(range[0], range[1]);
        c.db.removed(key, before - list.length);
      }
    }
    // Redis announces the trim of a list that is there even when it removed nothing.
    if (trimFound && c.notifies(NotifyClass.List)) c.notify(NotifyClass.List, "ltrim", argv.str(1));
    c.reply.ok();
  },
});

export const lposCommand = command({
  name: "lpos", arity: -3, flags: ["readonly"], keys: { first: 1, last: 1, step: 1 }, categories: ["list"],
  args: "key:key#0 element:string RANK=rank:integer? COUNT=num-matches:integer? MAXLEN=len:integer?",
  summary: "Return the index of matching elements on a list", since: "6.0.6",
  complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
  handler(c, argv) {
    let rank = 1;
    let count = -1;
    let maxlen = 0;
    const args = new ArgCursor(argv, 3);
    while (args.hasNext()) {
      const opt = args.nextKeyword();
      if (opt === "rank" && args.hasNext()) {
        const arg = args.next();
        rank = parseIntArg(arg);
        if (rank === -(2 ** 63) && bytesToString(arg) === LONG_MIN) rank = -Infinity;
        if (rank === 0) throw LPOS_RANK_ZERO;
      } else if (opt === "count" && args.hasNext()) {
        count = parseRangeArg(args.next(), 0, LPOS_COUNT_NEGATIVE);
      } else if (opt === "maxlen" && args.hasNext()) {
        maxlen = parseRangeArg(args.next(), 0, LPOS_MAXLEN_NEGATIVE);
      } else throw SYNTAX_ERR;
    }
    // A list of one node held packed is searched on its bytes in the key's cell.
    const body = packedList(c, argv, true);
    const list = body === undefined ? c.db.readAs(argv.str(1), ListValue) : undefined;
    if (body === undefined && list === undefined) return count !== -1 ? c.reply.array(0) : c.reply.null();
    const fromTail = rank < 0;
    // RANK -9223372036854775808 (-Infinity here: a double cannot tell it from its neighbours)
    // negated stays negative in Redis's long arithmetic, so every match from the tail
    // counts, as RANK -1's.
    const skip = rank === -Infinity ? 0 : Math.abs(rank) - 1;
    const found: number[] = [];
    let matches = 0;
    const visit = (i: number) => {
      if (matches++ < skip) return true;
      found.push(i);
      return !(count === -1 || (count !== 0 && found.length >= count));
    };
    if (body !== undefined) ListValue.packedPositions(body, argv.buffer(2), argv.start(2), argv.end(2), fromTail, maxlen, visit);
    else list!.positions(argv.buffer(2), argv.start(2), argv.end(2), fromTail, maxlen, visit);
    if (count !== -1) {
      c.reply.array(found.length);
      for (const i of found) c.reply.integer(i);
    } else if (found.length === 0) c.reply.null();
    else c.reply.integer(found[0]!);
  },
});

const LONG_MIN = "-9223372036854775808";

/** The element LMOVE moves between two small lists' bytes (reused), as pushPacked takes it. */
let moved = allocBytes(256);
let movedLength = 0;
const movedSink: BytesSink = {
  bulkFrom(buf: Uint8Array, start: number, end: number) {
    movedLength = end - start;
    if (movedLength > moved.length) moved = allocBytes(2 * movedLength);
    copyRange(buf, start, end, moved, 0);
  },
  bulkString() {},
};
const movedElement: ArgumentsFrom2 = { length: 3, buffer: () => moved, start: () => 0, end: () => movedLength, len: () => movedLength };
const popMoved = (out: PackedBytes, head: boolean) => ListValue.popPacked(out, head, movedSink);
const pushMoved = (out: PackedBytes, head: boolean) => ListValue.pushPacked(out, movedElement, head);

/**
 * LMOVE and RPOPLPUSH between two small lists, or into a new one, on their bytes in the
 * keys' cells (argv[1] to argv[2]): true when done. The destination is looked at first,
 * as Redis checks its type before the pop; a push that would start a second node, or make
 * a key while `new` events are on, goes the usual way. False, with nothing done, for
 * lmoveGeneric (the same key, a large list, anything editPacked leaves alone).
 */
function lmovePacked(c: Context, argv: Argv, fromHead: boolean, toHead: boolean): boolean {
  if (rangesEqual(argv.buffer(1), argv.start(1), argv.end(1), argv.buffer(2), argv.start(2), argv.end(2)) || !c.db.editableAs(argv.buffer(2), argv.start(2), argv.end(2), "list")) return false;
  const popped = c.db.editPacked(argv.buffer(1), argv.start(1), argv.end(1), "list", 1, popMoved, fromHead);
  if (popped < 0) return false;
  if (popped === 0) {
    c.reply.null();
    return true;
  }
  if (c.db.editPacked(argv.buffer(2), argv.start(2), argv.end(2), "list", 0, pushMoved, toHead) < 0) {
    const element = pushElement.of(moved, 0, movedLength);
    const target = c.db.writeOrCreate(argv.str(2), ListValue, () => new ListValue());
    if (toHead) target.pushHead(element);
    else target.pushTail(element);
    element.release();
    c.db.modified(argv.str(2), 0);
  }
  // Redis announces the push before the pop.
  if (c.notifies(NotifyClass.List)) {
    c.notify(NotifyClass.List, toHead ? "lpush" : "rpush", argv.str(2));
    c.notify(NotifyClass.List, fromHead ? "lpop" : "rpop", argv.str(1));
  }
  c.reply.bulkFrom(moved, 0, movedLength);
  return true;
}

/** LMOVE and RPOPLPUSH: pop from one end of `from`, push to one end of `to` (maybe the same list). */
function lmoveGeneric(c: Context, from: string, to: string, fromHead: boolean, toHead: boolean): void {
  const source = c.db.writeAs(from, ListValue);
  if (source === undefined) return c.reply.null();
  const dest = c.db.lookupKeyWrite(to);
  if (dest !== undefined && !(dest instanceof ListValue)) throw WRONGTYPE_DESTINATION;
  const value = (fromHead ? source.popHead() : source.popTail())!;
  const target = dest ?? c.db.writeOrCreate(to, ListValue, () => new ListValue());
  if (toHead) target.pushHead(value);
  else target.pushTail(value);
  // One change, as Redis counts a move (the pop is part of it). The destination is touched
  // first, as Redis signals it (a tracking client hears of it before the source).
  c.db.modified(to);
  c.db.removed(from, 0);
  // Redis announces the push before the pop.
  c.notify(NotifyClass.List, toHead ? "lpush" : "rpush", to);
  c.notify(NotifyClass.List, fromHead ? "lpop" : "rpop", from);
  c.reply.bulkString(value);
}

/**
 * BLPOP and BRPOP: the first non-empty list among the keys gives [key, element]; replicas
 * see LPOP or RPOP of that key.
 */
function blockingPop(c: Context, argv: Argv, head: boolean): void {
  const timeout = parseTimeout(argv.bytes(argv.length - 1));
  const keys = argv.strs(1, argv.length - 1);
  // Served once it waited, the pop counts no change (false), as in Redis 7.0.
  serveOrBlock(c, keys, timeout, (ready) => {
    for (const key of ready === undefined ? keys : [ready]) {
      const list = c.db.writeAs(key, ListValue);
      if (list === undefined) continue;
      c.reply.array(2);
      c.reply.bulkString(key);
      popElements(c, key, list, head, 1, false);
      c.propagateAs([head ? "LPOP" : "RPOP", key]);
      c.notify(NotifyClass.List, head ? "lpop" : "rpop", key);
      return true;
    }
    return false;
  }, false);
}

const blockingPopSpec = {
  arity: -3, flags: ["write", "noscript", "blocking"], keys: { first: 1, last: -2, step: 1, flags: ["RW", "access", "delete"] }, categories: ["list"],
  complexity: "O(N) where N is the number of provided keys.",
} satisfies Partial<CommandSpec>;

export const blpopCommand = command({
  ...blockingPopSpec, name: "blpop", since: "2.0.0",
  history: [["6.0.0", "`timeout` is interpreted as a double instead of an integer."]],
  args: "key:key#0... timeout:double",
  summary: "Remove and get the first element in a list, or block until one is available",
  handler: (c, argv) => blockingPop(c, argv, true),
});

export const brpopCommand = command({
  ...blockingPopSpec, name: "brpop", since: "2.0.0",
  history: [["6.0.0", "`timeout` is interpreted as a double instead of an integer."]],
  args: "key:key#0... timeout:double",
  summary: "Remove and get the last element in a list, or block until one is available",
  handler: (c, argv) => blockingPop(c, argv, false),
});

/**
 * BLMOVE and BRPOPLPUSH: LMOVE once the source has an element. Replicas see RPOPLPUSH for
 * BRPOPLPUSH, and LMOVE for BLMOVE: with the ends as sent, or, served after a wait, as
 * Redis names them then (lowercase).
 */
function blockingMove(c: Context, argv: Argv, fromHead: boolean, toHead: boolean, timeout: number, rpoplpush: boolean): void {
  const from = argv.str(1);
  const to = argv.str(2);
  let waited = false;
  const attempt = () => {
    if (c.db.writeAs(from, ListValue) === undefined) {
      waited = true;
      return false;
    }
    lmoveGeneric(c, from, to, fromHead, toHead);
    if (rpoplpush) c.propagateAs(["RPOPLPUSH", from, to]);
    else c.propagateAs(waited ? ["LMOVE", from, to, fromHead ? "left" : "right", toHead ? "left" : "right"] : ["LMOVE", ...argv.views(1, 5)]);
    return true;
  };
  // Inside EXEC an empty source answers a null bulk string (BLPOP's is a null array).
  if (c.inExec) {
    if (!attempt()) c.reply.null();
    return;
  }
  // Served once it waited, the move counts no change (false), as in Redis 7.0.
  serveOrBlock(c, [from], timeout, attempt, false);
}

const moveKeySpecs = [
  { flags: ["RW", "access", "delete"], begin: { index: 1 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
  { flags: ["RW", "insert"], begin: { index: 2 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
];

export const lmoveCommand = command({
  name: "lmove", events: "first-before", arity: 5, flags: ["write", "denyoom"], keys: { first: 1, last: 2, step: 1 }, keySpecs: moveKeySpecs, categories: ["list"],
  args: "source:key#0 destination:key#1 wherefrom(LEFT|RIGHT) whereto(LEFT|RIGHT)",
  summary: "Pop an element from a list, push it to another list and return it", since: "6.2.0",
  handler(c, argv) {
    const fromHead = parseListEnd(argv.bytes(3));
    const toHead = parseListEnd(argv.bytes(4));
    if (!lmovePacked(c, argv, fromHead, toHead)) lmoveGeneric(c, argv.str(1), argv.str(2), fromHead, toHead);
  },
});

export const blmoveCommand = command({
  name: "blmove", arity: 6, flags: ["write", "denyoom", "noscript", "blocking"], keys: { first: 1, last: 2, step: 1 }, keySpecs: moveKeySpecs, categories: ["list"],
  args: "source:key#0 destination:key#1 wherefrom(LEFT|RIGHT) whereto(LEFT|RIGHT) timeout:double",
  summary: "Pop an element from a list, push it to another list and return it; or block until one is available", since: "6.2.0",
  handler(c, argv) {
    const fromHead = parseListEnd(argv.bytes(3));
    const toHead = parseListEnd(argv.bytes(4));
    blockingMove(c, argv, fromHead, toHead, parseTimeout(argv.bytes(5)), false);
  },
});

export const brpoplpushCommand = command({
  name: "brpoplpush", arity: 4, flags: ["write", "denyoom", "noscript", "blocking"], keys: { first: 1, last: 2, step: 1 }, keySpecs: moveKeySpecs, categories: ["list"],
  docFlags: ["deprecated"], deprecatedSince: "6.2.0", replacedBy: "`BLMOVE` with the `RIGHT` and `LEFT` arguments",
  history: [["6.0.0", "`timeout` is interpreted as a double instead of an integer."]],
  args: "source:key#0 destination:key#1 timeout:double",
  summary: "Pop an element from a list, push it to another list and return it; or block until one is available", since: "2.2.0",
  handler: (c, argv) => blockingMove(c, argv, false, true, parseTimeout(argv.bytes(3)), true),
});

export const rpoplpushCommand = command({
  name: "rpoplpush", events: "first-before", arity: 3, flags: ["write", "denyoom"], keys: { first: 1, last: 2, step: 1 }, keySpecs: moveKeySpecs, categories: ["list"],
  docFlags: ["deprecated"], deprecatedSince: "6.2.0", replacedBy: "`LMOVE` with the `RIGHT` and `LEFT` arguments",
  args: "source:key#0 destination:key#1",
  summary: "Remove the last element in a list, prepend it to another list and return it", since: "1.2.0",
  handler(c, argv) {
    if (!lmovePacked(c, argv, false, true)) lmoveGeneric(c, argv.str(1), argv.str(2), false, true);
  },
});

/**
 * The arguments of LMPOP (and BLMPOP later) from `numkeysAt`: numkeys, the keys, LEFT or
 * RIGHT, and an optional COUNT, checked in Redis's order.
 */
export function parseMpopArgs(argv: Argv, numkeysAt: number, parseEnd: (arg: Uint8Array) => boolean): { keys: string[]; head: boolean; count: number } {
  const numkeys = parseRangeArg(argv.bytes(numkeysAt), 1, NUMKEYS_POSITIVE);
  const whereAt = numkeysAt + numkeys + 1;
  if (whereAt >= argv.length) throw SYNTAX_ERR;
  const head = parseEnd(argv.bytes(whereAt));
  let count = -1;
  const args = new ArgCursor(argv, whereAt + 1);
  while (args.hasNext()) {
    const opt = args.nextKeyword();
    if (count === -1 && opt === "count" && args.hasNext()) count = parseRangeArg(args.next(), 1, COUNT_POSITIVE);
    else throw SYNTAX_ERR;
  }
  return { keys: argv.strs(numkeysAt + 1, whereAt), head, count: count === -1 ? 1 : count };
}

export const blmpopCommand = command({
  name: "blmpop", arity: -5, flags: ["write", "blocking"],
  args: "timeout:double numkeys:integer key:key#0... where(LEFT|RIGHT) COUNT=count:integer?",
  keySpecs: [{ flags: ["RW", "access", "delete"], begin: { index: 2 }, find: { keynumidx: 0, firstkey: 1, keystep: 1 } }], categories: ["list"],
  summary: "Pop elements from a list, or block until one is available", since: "7.0.0",
  complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
  handler(c, argv) {
    // The timeout is read last, as Redis reads it once the other arguments are parsed.
    const { keys, head, count } = parseMpopArgs(argv, 2, parseListEnd);
    const timeout = parseTimeout(argv.bytes(1));
    serveOrBlock(c, keys, timeout, (ready) => {
      for (const key of ready === undefined ? keys : [ready]) {
        const list = c.db.writeAs(key, ListValue);
        if (list === undefined) continue;
        c.reply.array(2);
        c.reply.bulkString(key);
        const popped = popElements(c, key, list, head, count, true);
        c.propagateAs([head ? "LPOP" : "RPOP", key, String(popped)]);
        c.notify(NotifyClass.List, head ? "lpop" : "rpop", key);
        return true;
      }
      return false;
    });
  },
});

export const lmpopCommand = command({
  name: "lmpop", arity: -4, flags: ["write"],
  args: "numkeys:integer key:key#0... where(LEFT|RIGHT) COUNT=count:integer?",
  keySpecs: [{ flags: ["RW", "access", "delete"], begin: { index: 1 }, find: { keynumidx: 0, firstkey: 1, keystep: 1 } }], categories: ["list"],
  summary: "Pop elements from a list", since: "7.0.0", complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
  handler(c, argv) {
    const { keys, head, count } = parseMpopArgs(argv, 1, parseListEnd);
    for (const key of keys) {
      const list = c.db.writeAs(key, ListValue);
      if (list === undefined) continue;
      c.reply.array(2);
      c.reply.bulkString(key);
      const popped = popElements(c, key, list, head, count, true);
      // Replicas and the AOF get LPOP/RPOP key count, as Redis rewrites it.
      c.propagateAs([head ? "LPOP" : "RPOP", key, String(popped)]);
      c.notify(NotifyClass.List, head ? "lpop" : "rpop", key);
      return;
    }
    c.reply.nullArray();
  },
});

