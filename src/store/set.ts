/**
 * The set type. Up to a few dozen members it is one packed string (PackedStrings), about
 * the bytes of the members themselves; past that, the members are the keys of a table of
 * their own (store/table.ts: bytes in cells, slots in typed arrays), where SPOP and
 * SRANDMEMBER draw a random slot and SSCAN walks buckets with Redis's cursor.
 * Redis 7.0 reports small all-integer sets as "intset" and replies with them sorted.
 */
import { encodingLimits } from "./encoding.ts";
import { PACKED_MAX_ELEMENT, PackedStrings } from "./packed.ts";
import type { Bytes } from "./latin1.ts";
import { ByteSlice, type BytesSink, type PackedBytes } from "./value.ts";
import type { ArgumentsFrom2 } from "../resp/argv.ts";
import { copyRange, parseInt64, rangesEqual } from "../resp/bytes.ts";
import { KeyTable } from "./table.ts";

const INDEX_FROM = 32;
/** addPacked's view of the members it adds to, reused. */
const packedMembers = new ByteSlice();

/** The bytes an intset needs for a canonical integer (_intsetValueEncoding). */
function intWidth(member: string | number): number {
  const n = Number(member);
  return n >= -32768 && n <= 32767 ? 2 : n >= -2147483648 && n <= 2147483647 ? 4 : 8;
}

export class SetValue {
  /** What the keyspace's memory accounting last counted for this value (store/keyspace.ts). */
  accounted = 0;
  /** The size at which the average element size below was last sampled (-1: never). */
  sampledAt = -1;
  sampledAverage = 0;
  /** The small form; undefined once the set has its table. */
  private packed: PackedStrings | undefined = new PackedStrings();
  private table: KeyTable | undefined;
  /** Redis's intset encoding: one-way, lost at the first non-integer or past the limit. */
  intset: boolean;
  /**
   * The intset's bytes per integer (2, 4 or 8): the widest member added so far, as
   * intsetUpgrade widens it and nothing narrows it again (a dump writes the intset so).
   */
  intsetWidth = 2;

  /** A set starts as an intset when its first member is an integer, as setTypeCreate does. */
  constructor(firstMemberIsInt: boolean) {
    this.intset = firstMemberIsInt;
  }

  /**
   * Loading an intset too big for the packed form (loadPacked takes the others): its
   * members, distinct canonical integers, and its width, kept as Redis keeps it (past
   * set-max-intset-entries it converts, as Redis converts on load).
   */
  static ofIntegers(members: string[], width: number): SetValue {
    const set = new SetValue(members.length <= encodingLimits.setMaxIntsetEntries);
    set.intsetWidth = width;
    set.packed = undefined;
    set.table = new KeyTable();
    for (const m of members) set.table.add(m, "");
    return set;
  }

  /**
   * Loading a small intset, added to `out` as packBody lays it out, with no object made:
   * its members, distinct canonical integers, and its width. False (nothing added) when
   * it has too many members for the packed form: ofIntegers then.
   */
  static loadPacked(out: PackedBytes, members: string[], width: number): boolean {
    if (members.length === 0 || members.length >= INDEX_FROM) return false;
    let buf = out.room(2);
    buf[out.end] = members.length <= encodingLimits.setMaxIntsetEntries ? 1 : 0;
    buf[out.end + 1] = width;
    out.end += 2;
    for (const m of members) {
      buf = out.room(1 + m.length);
      buf[out.end] = m.length;
      buf.latin1Write(m, out.end + 1);
      out.end += 1 + m.length;
    }
    return true;
  }

  get size(): number {
    return this.packed !== undefined ? this.packed.length : this.table!.size;
  }

  get encoding(): string {
    return this.intset ? "intset" : "hashtable";
  }

  /** Whether the keyspace may hold this set as bytes in its cell (store/packed-values.ts): the packed form. */
  get packable(): boolean {
    return this.packed !== undefined;
  }

  /** The bytes packBody writes. */
  get packedLength(): number {
    return 2 + this.packed!.byteLength;
  }

  /** A packable set as [intset u8][intset width u8][its members, each after a length byte] at `at` of `out`. */
  packBody(out: Bytes, at: number): void {
    out[at] = this.intset ? 1 : 0;
    out[at + 1] = this.intsetWidth;
    this.packed!.writeTo(out, at + 2);
  }

  /** The set packBody wrote at buf[start, end). */
  static unpack(buf: Bytes, start: number, end: number): SetValue {
    const set = new SetValue(buf[start] === 1);
    set.intsetWidth = buf[start + 1]!;
    set.packed = PackedStrings.fromBytes(buf, start + 2, end);
    return set;
  }

  /**
   * SADD on a set held packed in its key's cell (Database.editPacked): the members of
   * `argv` from index 2 added to its body, out.buf[out.start, out.end) as packBody lays it
   * out (empty for a new set), as add() adds them to an object. Returns the members added,
   * or -1 when the set would no longer be packed, with `out` left half-changed.
   */
  static addPacked(out: PackedBytes, argv: ArgumentsFrom2): number {
    if (out.end === out.start) {
      // A new set: an intset when its first member is an integer, as setTypeCreate makes it.
      const b = out.room(2);
      b[out.start] = parseInt64(argv.buffer(2), argv.start(2), argv.end(2)) === undefined ? 0 : 1;
      b[out.start + 1] = 2;
      out.end = out.start + 2;
    }
    const members = packedMembers;
    let size = -1;
    let added = 0;
    for (let i = 2; i < argv.length; i++) {
      const src = argv.buffer(i);
      const start = argv.start(i);
      const end = argv.end(i);
      if (SetValue.findPacked(members.of(out.buf, out.start + 2, out.end), src, start, end)) continue;
      if (size < 0) size = SetValue.packedSize(members);
      if (size >= INDEX_FROM || end - start > PACKED_MAX_ELEMENT) return -1;
      const b = out.room(1 + end - start);
      const body = out.start;
      if (b[body] === 1) {
        const n = parseInt64(src, start, end);
        if (n === undefined || size >= encodingLimits.setMaxIntsetEntries) b[body] = 0;
        else b[body + 1] = Math.max(b[body + 1]!, intWidth(n));
      }
      b[out.end] = end - start;
      copyRange(src, start, end, b, out.end + 1);
      out.end += 1 + end - start;
      size++;
      added++;
    }
    return added;
  }

  /**
   * SREM on a set held packed in its key's cell (Database.editPacked): the members of
   * `argv` from index 2 taken out of its body, out.buf[out.start, out.end) as packBody
   * lays it out (empty when there is no set), as delete() takes them out of an object;
   * the last one empties the key (`out.emptied`). Returns how many were there.
   */
  static removePacked(out: PackedBytes, argv: ArgumentsFrom2): number {
    if (out.end === out.start) return 0;
    let removed = 0;
    for (let i = 2; i < argv.length; i++) {
      const found = SetValue.positionPacked(packedMembers.of(out.buf, out.start + 2, out.end), argv.buffer(i), argv.start(i), argv.end(i));
      if (found < 0) continue;
      const rel = found - out.start;
      const b = out.room(0);
      const at = out.start + rel;
      b.copyWithin(at, at + 1 + b[at]!, out.end);
      out.end -= 1 + argv.len(i);
      removed++;
    }
    if (removed > 0 && out.end === out.start + 2) out.emptied = true;
    return removed;
  }

  /**
   * SPOP of one member from a set held packed in its key's cell (Database.editPacked): a
   * member chosen at random, as pop() chooses it, written to `popped` and taken out of
   * its body; the last one empties the key (`out.emptied`). Returns 1, or 0 with nothing
   * written when there is no set.
   */
  static popPacked(out: PackedBytes, popped: BytesSink): number {
    if (out.end === out.start) return 0;
    let at = SetValue.randomPacked(packedMembers.of(out.buf, out.start + 2, out.end));
    const n = out.buf[at]!;
    popped.bulkFrom(out.buf, at + 1, at + 1 + n);
    const rel = at - out.start;
    const b = out.room(0);
    at = out.start + rel;
    b.copyWithin(at, at + 1 + n, out.end);
    out.end -= 1 + n;
    if (out.end === out.start + 2) out.emptied = true;
    return 1;
  }

  /** Where a member chosen at random starts (its length byte), in members packed as packBody lays them out (after its two bytes). */
  static randomPacked(members: ByteSlice): number {
    let at = members.start;
    for (let k = Math.floor(Math.random() * SetValue.packedSize(members)); k > 0; k--) at += 1 + members.buf[at]!;
    return at;
  }

  /** Whether members packed as packBody lays them out (after its two bytes) hold src[start, end). */
  static findPacked(members: ByteSlice, src: Uint8Array, start: number, end: number): boolean {
    return SetValue.positionPacked(members, src, start, end) >= 0;
  }

  /** Where, in members packed as packBody lays them out, src[start, end) is (its length byte), or -1. */
  private static positionPacked(members: ByteSlice, src: Uint8Array, start: number, end: number): number {
    const b = members.buf;
    const n = end - start;
    for (let p = members.start; p < members.end; p += 1 + b[p]!) {
      if (b[p] === n && rangesEqual(b, p + 1, p + 1 + n, src, start, end)) return p;
    }
    return -1;
  }

  /** How many members packed as packBody lays them out (after its two bytes) there are. */
  static packedSize(members: ByteSlice): number {
    let n = 0;
    for (let p = members.start; p < members.end; p += 1 + members.buf[p]!) n++;
    return n;
  }

  /** The bytes of every member, while packed (memory-usage's estimate needs no walk then). */
  get elementBytes(): number | undefined {
    return this.packed?.elementBytes;
  }

  /** The bytes a large set's table holds (slots and cells); undefined while packed. */
  get tableBytes(): number | undefined {
    return this.table?.heldBytes;
  }

  has(member: string): boolean {
    if (this.packed !== undefined) return this.packed.indexOf(member) !== -1;
    return this.table!.has(member);
  }

  /** Add a member; `isInt` says whether it is a canonical integer. Returns true if new. */
  add(member: string, isInt: boolean): boolean {
    if (this.has(member)) return false;
    if (this.intset && (!isInt || this.size >= encodingLimits.setMaxIntsetEntries)) this.intset = false;
    if (this.intset) this.intsetWidth = Math.max(this.intsetWidth, intWidth(member));
    if (this.packed !== undefined) {
      if (this.packed.length < INDEX_FROM && member.length <= PACKED_MAX_ELEMENT) {
        this.packed.push(member);
        return true;
      }
      this.toTable();
    }
    this.table!.add(member, "");
    return true;
  }

  /** Move from the packed string to the table, for good. */
  private toTable(): void {
    const table = new KeyTable();
    for (const m of this.packed!.toArray()) table.add(m, "");
    this.packed = undefined;
    this.table = table;
  }

  delete(member: string): boolean {
    if (this.packed !== undefined) {
      const i = this.packed.indexOf(member);
      if (i === -1) return false;
      this.packed.removeAt(i);
      return true;
    }
    return this.table!.delete(member);
  }

  /** The lengths of the first `most` members, in table order (MEMORY USAGE's samples). */
  sampleLengths(most: number): number[] {
    if (this.packed !== undefined) return this.packed.toArray().slice(0, most).map((m) => m.length);
    const table = this.table!;
    const out: number[] = [];
    for (let i = 0; out.length < most && (i = table.nextSlot(i)) >= 0; i++) out.push(table.keyLengthAt(i));
    return out;
  }

  /** A uniformly random member (the set must not be empty). */
  random(): string {
    if (this.packed !== undefined) return this.packed.get(Math.floor(Math.random() * this.size));
    return this.table!.keyAt(this.table!.randomSlot());
  }

  /** Remove and return a random member (the set must not be empty). */
  pop(): string {
    if (this.packed !== undefined) {
      const at = Math.floor(Math.random() * this.size);
      const member = this.packed.get(at);
      this.packed.removeAt(at);
      return member;
    }
    const table = this.table!;
    const slot = table.randomSlot();
    const member = table.keyAt(slot);
    table.deleteAt(slot);
    return member;
  }

  /** The members in Redis's reply order where it has one (sorted while an intset). */
  toArray(): string[] {
    const all = this.members();
    return this.intset ? all.sort(compareIntStrings) : all;
  }

  /** The members in table order (keys()'s walk in SCAN order rescans each bucket's run). */
  private members(): string[] {
    if (this.packed !== undefined) return this.packed.toArray();
    const out: string[] = [];
    this.forEachMember((m) => out.push(m) > 0);
    return out;
  }

  /**
   * Every member to `out`, as toArray orders them: a hash table's straight from its cells'
   * bytes (SMEMBERS of 100,000 members made a string of each, in SCAN order).
   */
  writeAll(out: BytesSink): void {
    if (this.intset || this.packed !== undefined) {
      for (const m of this.toArray()) out.bulkString(m);
      return;
    }
    this.table!.forEachBytes((buf, keyStart, keyEnd) => out.bulkFrom(buf, keyStart, keyEnd));
  }

  clone(): SetValue {
    const copy = new SetValue(this.intset);
    for (const m of this.values()) copy.add(m, this.intset);
    copy.intset = this.intset;
    copy.intsetWidth = this.intsetWidth;
    return copy;
  }

  values(): IterableIterator<string> {
    return this.members().values();
  }

  /**
   * Each member to `visit` until it returns false, in table order, with no array of them
   * all made first (SINTERCARD's LIMIT stops early); the set must not change meanwhile.
   */
  forEachMember(visit: (member: string) => boolean): void {
    if (this.packed !== undefined) {
      for (const m of this.packed.toArray()) if (!visit(m)) return;
      return;
    }
    const table = this.table!;
    for (let i = 0; (i = table.nextSlot(i)) >= 0; i++) if (!visit(table.keyAt(i))) return;
  }

  /** The table holding a large set, for SSCAN's cursor; undefined while small. */
  get scanTarget(): KeyTable | undefined {
    return this.intset ? undefined : this.table;
  }
}

/** The order of an intset's members, given as their text. */
export function compareIntStrings(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (x !== y || Math.abs(x) < 2 ** 53) return x - y;
  const bx = BigInt(a);
  const by = BigInt(b);
  return bx < by ? -1 : bx > by ? 1 : 0;
}
