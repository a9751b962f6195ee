/**
 * The set type. Up to a few dozen members it is one packed string (PackedStrings), about
 * the bytes of the members themselves; past that, the members live in a dense array, so
 * SPOP and SRANDMEMBER pick a random member in O(1), plus a Map from member to its slot.
 * Removal moves the last member into the freed slot. The Map is also what SSCAN iterates,
 * because its iteration survives concurrent changes where array slots do not.
 * Redis 7.0 reports small all-integer sets as "intset" and replies with them sorted.
 */
import { encodingLimits } from "./encoding.ts";
import { PACKED_MAX_ELEMENT, PackedStrings } from "./packed.ts";

const INDEX_FROM = 32;

export class SetValue {
  /** What the keyspace's memory accounting last counted for this value (store/keyspace.ts). */
  accounted = 0;
  /** The size at which the average element size below was last sampled (-1: never). */
  sampledAt = -1;
  sampledAverage = 0;
  /** The small form; undefined once the set has its array and index. */
  private packed: PackedStrings | undefined = new PackedStrings();
  private members: string[] = [];
  private index: Map<string, number> | undefined;
  /** Redis's intset encoding: one-way, lost at the first non-integer or past the limit. */
  intset: boolean;

  /** A set starts as an intset when its first member is an integer, as setTypeCreate does. */
  constructor(firstMemberIsInt: boolean) {
    this.intset = firstMemberIsInt;
  }

  get size(): number {
    return this.packed !== undefined ? this.packed.length : this.members.length;
  }

  get encoding(): string {
    return this.intset ? "intset" : "hashtable";
  }

  has(member: string): boolean {
    if (this.packed !== undefined) return this.packed.indexOf(member) !== -1;
    return this.index!.has(member);
  }

  /** Add a member; `isInt` says whether it is a canonical integer. Returns true if new. */
  add(member: string, isInt: boolean): boolean {
    if (this.has(member)) return false;
    if (this.intset && (!isInt || this.size >= encodingLimits.setMaxIntsetEntries)) this.intset = false;
    if (this.packed !== undefined) {
      if (this.packed.length < INDEX_FROM && member.length <= PACKED_MAX_ELEMENT) {
        this.packed.push(member);
        return true;
      }
      this.toIndexed();
    }
    this.index!.set(member, this.members.length);
    this.members.push(member);
    return true;
  }

  /** Move from the packed string to the array and its index, for good. */
  private toIndexed(): void {
    this.members = this.packed!.toArray();
    this.packed = undefined;
    this.index = new Map();
    for (let i = 0; i < this.members.length; i++) this.index.set(this.members[i]!, i);
  }

  delete(member: string): boolean {
    if (this.packed !== undefined) {
      const i = this.packed.indexOf(member);
      if (i === -1) return false;
      this.packed.removeAt(i);
      return true;
    }
    const slot = this.index!.get(member);
    if (slot === undefined) return false;
    this.removeSlot(slot);
    return true;
  }

  private removeSlot(slot: number): void {
    const members = this.members;
    const last = members.pop()!;
    this.index!.delete(members.length === slot ? last : members[slot]!);
    if (slot < members.length) {
      members[slot] = last;
      this.index!.set(last, slot);
    }
  }

  /** A uniformly random member (the set must not be empty). */
  random(): string {
    const i = Math.floor(Math.random() * this.size);
    return this.packed !== undefined ? this.packed.get(i) : this.members[i]!;
  }

  /** Remove and return a random member (the set must not be empty). */
  pop(): string {
    const slot = Math.floor(Math.random() * this.size);
    if (this.packed !== undefined) {
      const member = this.packed.get(slot);
      this.packed.removeAt(slot);
      return member;
    }
    const member = this.members[slot]!;
    this.removeSlot(slot);
    return member;
  }

  /** The members in Redis's reply order where it has one (sorted while an intset). */
  toArray(): string[] {
    const all = this.packed !== undefined ? this.packed.toArray() : this.members.slice();
    return this.intset ? all.sort(compareIntStrings) : all;
  }

  clone(): SetValue {
    const copy = new SetValue(this.intset);
    for (const m of this.values()) copy.add(m, this.intset);
    copy.intset = this.intset;
    return copy;
  }

  values(): IterableIterator<string> {
    return this.packed !== undefined ? this.packed.toArray().values() : this.members.values();
  }

  /** The Map holding a large set, for SSCAN's live iteration; undefined while small. */
  get scanTarget(): Map<string, number> | undefined {
    return this.intset ? undefined : this.index;
  }
}

function compareIntStrings(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (x !== y || Math.abs(x) < 2 ** 53) return x - y;
  const bx = BigInt(a);
  const by = BigInt(b);
  return bx < by ? -1 : bx > by ? 1 : 0;
}
