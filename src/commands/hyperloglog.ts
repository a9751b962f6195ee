/**
 * HyperLogLog commands (COMMAND DOCS group "hyperloglog"): PFADD, PFCOUNT and PFMERGE on
 * string values in Redis's HLL format (src/store/hyperloglog.ts). PFCOUNT of one key
 * caches the cardinality inside the value, as Redis does, so GET returns the same bytes.
 */
import { INVALID_HLL, NOT_HLL, PFDEBUG_NO_KEY, PFDEBUG_NOT_SPARSE, ReplyError, pfdebugSubcommand } from "../errors.ts";
import { bytesToString } from "../resp/bytes.ts";
import type { Context } from "./context.ts";
import { NotifyClass } from "../keyspace-events.ts";
import {
  HLL_DENSE, HLL_REGISTERS, HLL_SPARSE, cachedCount, createHll, decodeSparse, ensureDense, estimate, invalidateCache, isValidHll,
  HllEditor, patternOf, raiseDense, registersOf, selfTest, storeCount,
} from "../store/hyperloglog.ts";
import { command } from "./command.ts";

function checkHll(bytes: Uint8Array): void {
  if (!isValidHll(bytes)) throw NOT_HLL;
}

/** The HLL at `key` for reading, a view of its bytes valid until the keyspace changes (undefined when missing); WRONGTYPE for anything else. */
function lookupHll(c: Context, key: string): Uint8Array | undefined {
  const bytes = c.db.readStringView(key);
  if (bytes !== undefined) checkHll(bytes);
  return bytes;
}

/** The HLL at `key` to change in place (Database.unsharedString), checked before it is unshared. */
function unsharedHll(c: Context, key: string): Uint8Array | undefined {
  return c.db.unsharedString(key, checkHll);
}

/** Store an HLL built elsewhere (sparse ones grow; PFMERGE; a new key). */
function storeHll(c: Context, key: string, bytes: Uint8Array, changes: number): void {
  // The key was looked up already (its access word touched once, as Redis's in-place change).
  c.db.setRawString(key, bytes, true, true);
  c.db.modified(key, changes - 1);
}

/** PFADD's and PFMERGE's working copy of the HLL they change. */
const editor = new HllEditor();

export const pfaddCommand = command({
  name: "pfadd", events: "before", notify: [NotifyClass.String, "pfadd"], arity: -2, flags: ["write", "denyoom", "fast"], keys: { first: 1, last: 1, step: 1, flags: ["RW", "insert"] }, categories: ["hyperloglog"],
  args: "key:key#0 element:string?...",
  summary: "Adds the specified elements to the specified HyperLogLog.", since: "2.8.9", complexity: "O(1) to add every element.",
  handler(c, argv) {
    const key = argv.str(1);
    const held = unsharedHll(c, key);
    let updated = 0;
    if (held !== undefined && held[4] === HLL_DENSE) {
      // A dense HLL never changes size: its registers are raised where they are held.
      for (let i = 2; i < argv.length; i++) {
        const pattern = patternOf(argv.buffer(i), argv.start(i), argv.end(i));
        updated += raiseDense(held, pattern >>> 6, pattern & 63);
      }
      if (updated > 0) {
        invalidateCache(held);
        c.db.modified(key, updated);
      }
    } else {
      editor.load(held ?? createHll());
      if (held === undefined) updated++;
      for (let i = 2; i < argv.length; i++) {
        const pattern = patternOf(argv.buffer(i), argv.start(i), argv.end(i));
        const changed = editor.raise(pattern >>> 6, pattern & 63);
        if (changed < 0) throw INVALID_HLL;
        updated += changed;
      }
      if (updated > 0) {
        const hll = editor.view();
        invalidateCache(hll);
        storeHll(c, key, hll, updated);
      }
    }
    c.reply.integer(updated > 0 ? 1 : 0);
  },
});

/** The registers of every existing HLL among `keys`, merged by taking maxima. */
function mergedRegisters(c: Context, keys: Uint8Array[]): [regs: Uint8Array, anyDense: boolean] {
  const max = new Uint8Array(HLL_REGISTERS);
  let anyDense = false;
  for (const arg of keys) {
    const hll = lookupHll(c, bytesToString(arg));
    if (hll === undefined) continue;
    if (hll[4] === HLL_DENSE) anyDense = true;
    const regs = registersOf(hll);
    if (regs === undefined) throw INVALID_HLL;
    for (let i = 0; i < HLL_REGISTERS; i++) if (regs[i]! > max[i]!) max[i] = regs[i]!;
  }
  return [max, anyDense];
}

export const pfcountCommand = command({
  name: "pfcount", arity: -2, flags: ["readonly", "may-replicate"],
  args: "key:key#0...",
  keys: { first: 1, last: -1, step: 1, flags: ["RW", "access"], notes: "RW because it may change the internal representation of the key, and propagate to replicas" },
  categories: ["hyperloglog"],
  summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).", since: "2.8.9",
  complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
  handler(c, argv) {
    if (argv.length > 2) return c.reply.integer(estimate(mergedRegisters(c, argv.views(1))[0]));
    const key = argv.str(1);
    const hll = lookupHll(c, key);
    if (hll === undefined) return c.reply.integer(0);
    const cached = cachedCount(hll);
    if (cached !== undefined) return c.reply.integer(cached);
    const regs = registersOf(hll);
    if (regs === undefined) throw INVALID_HLL;
    const card = estimate(regs);
    // The count is cached in the value's header, in place: a write, as in Redis, which
    // replicates it (PFCOUNT is not flagged write, so the change alone would not).
    storeCount(unsharedHll(c, key)!, card);
    c.db.modified(key);
    c.forcePropagation = true;
    c.reply.integer(card);
  },
});

export const pfmergeCommand = command({
  name: "pfmerge", events: "before", notify: [NotifyClass.String, "pfadd"], arity: -2, flags: ["write", "denyoom"], keys: { first: 1, last: -1, step: 1 },
  args: "destkey:key#0 sourcekey:key#1...",
  keySpecs: [
    { flags: ["RW", "access", "insert"], begin: { index: 1 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
    { flags: ["RO", "access"], begin: { index: 2 }, find: { lastkey: -1, keystep: 1, limit: 0 } },
  ],
  categories: ["hyperloglog"],
  summary: "Merge N different HyperLogLogs into a single one.", since: "2.8.9", complexity: "O(N) to merge N HyperLogLogs, but with high constant times.",
  handler(c, argv) {
    const [max, anyDense] = mergedRegisters(c, argv.views(1));
    const key = argv.str(1);
    let hll = unsharedHll(c, key) ?? createHll();
    if (anyDense) {
      const dense = ensureDense(hll);
      if (dense === undefined) throw INVALID_HLL;
      hll = dense;
    }
    editor.load(hll);
    for (let i = 0; i < HLL_REGISTERS; i++) {
      if (max[i] !== 0 && editor.raise(i, max[i]!) < 0) throw INVALID_HLL;
    }
    hll = editor.view();
    invalidateCache(hll);
    storeHll(c, key, hll, 1);
    c.reply.ok();
  },
});

/** PFSELFTEST: Redis's self test of the HLL implementation, run on KVIS's (store/hyperloglog.ts). */
export const pfselftestCommand = command({
  name: "pfselftest", arity: 1, flags: ["admin"], categories: ["hyperloglog"],
  docFlags: ["syscmd"],
  summary: "An internal command for testing HyperLogLog values", since: "2.8.9", complexity: "N/A",
  handler(c) {
    const failure = selfTest();
    if (failure !== undefined) throw new ReplyError(`ERR ${failure}`);
    c.reply.ok();
  },
});

/** PFDEBUG GETREG|DECODE|ENCODING|TODENSE key: look inside an HLL; GETREG and TODENSE make it dense. */
export const pfdebugCommand = command({
  name: "pfdebug", arity: 3, flags: ["write", "denyoom", "admin"], keys: { first: 2, last: 2, step: 1, flags: ["RW", "access"] }, categories: ["hyperloglog"],
  docFlags: ["syscmd"],
  args: "subcommand:string key:key#0",
  summary: "Internal commands for debugging HyperLogLog values", since: "2.8.9", complexity: "N/A",
  handler(c, argv) {
    const key = argv.str(2);
    // The value is unshared (raw), as Redis does before looking at it.
    const hll = unsharedHll(c, key);
    if (hll === undefined) throw PFDEBUG_NO_KEY;
    const sub = argv.keyword(1);
    const toDense = (): Uint8Array => {
      const dense = ensureDense(hll);
      if (dense === undefined) throw INVALID_HLL;
      // A changed encoding is a write (it is replicated).
      if (dense !== hll) storeHll(c, key, dense, 1);
      return dense;
    };
    if (sub === "getreg") {
      const regs = registersOf(toDense())!;
      c.reply.array(HLL_REGISTERS);
      for (let i = 0; i < HLL_REGISTERS; i++) c.reply.integer(regs[i]!);
    } else if (sub === "decode") {
      if (hll[4] !== HLL_SPARSE) throw PFDEBUG_NOT_SPARSE;
      c.reply.bulkString(decodeSparse(hll));
    } else if (sub === "encoding") {
      c.reply.simple(hll[4] === HLL_DENSE ? "dense" : "sparse");
    } else if (sub === "todense") {
      const wasSparse = hll[4] === HLL_SPARSE;
      toDense();
      c.reply.integer(wasSparse ? 1 : 0);
    } else {
      throw pfdebugSubcommand(argv.str(1));
    }
  },
});
