/**
 * The set type: members in a dense array, so SPOP and SRANDMEMBER pick a random member in
 * O(1), plus a Map from member to its slot once the set is past a few dozen members
 * (below that a linear search is cheaper than the Map's memory). Removal moves the last
 * member into the freed slot. The Map is also what SSCAN iterates, because its iteration
 * survives concurrent changes where array slots do not.
 * Redis 7.0 reports small all-integer sets as "intset" and replies with them sorted.
 */

/** set-max-intset-entries, Redis 7.0's default. */
export const SET_MAX_INTSET_ENTRIES = 512;
const INDEX_FROM = 32;

export class SetValue {
  private members: string[] = [];
  private index: Map<string, number> | undefined;
  /** Redis's intset encoding: one-way, lost at the first non-integer or past the limit. */
  intset: boolean;

  /** A set starts as an intset when its first member is an integer, as setTypeCreate does. */
  constructor(firstMemberIsInt: boolean) {
    this.intset = firstMemberIsInt;
  }

  get size(): number {
    return this.members.length;
  }

  get encoding(): string {
    return this.intset ? "intset" : "hashtable";
  }

  has(member: string): boolean {
    if (this.index !== undefined) return this.index.has(member);
    return this.members.includes(member);
  }

  /** Add a member; `isInt` says whether it is a canonical integer. Returns true if new. */
  add(member: string, isInt: boolean): boolean {
    if (this.has(member)) return false;
    if (this.intset && (!isInt || this.members.length >= SET_MAX_INTSET_ENTRIES)) this.intset = false;
    this.index?.set(member, this.members.length);
    this.members.push(member);
    if (this.index === undefined && this.members.length > INDEX_FROM) {
      this.index = new Map();
      for (let i = 0; i < this.members.length; i++) this.index.set(this.members[i]!, i);
    }
    return true;
  }

  delete(member: string): boolean {
    const slot = this.index !== undefined ? this.index.get(member) : this.members.indexOf(member);
    if (slot === undefined || slot === -1) return false;
    this.removeSlot(slot);
    return true;
  }

  private removeSlot(slot: number): void {
    const members = this.members;
    const last = members.pop()!;
    this.index?.delete(members.length === slot ? last : members[slot]!);
    if (slot < members.length) {
      members[slot] = last;
      this.index?.set(last, slot);
    }
  }

  /** A uniformly random member (the set must not be empty). */
  random(): string {
    return this.members[Math.floor(Math.random() * this.members.length)]!;
  }

  /** Remove and return a random member (the set must not be empty). */
  pop(): string {
    const slot = Math.floor(Math.random() * this.members.length);
    const member = this.members[slot]!;
    this.removeSlot(slot);
    return member;
  }

  /** The members in Redis's reply order where it has one (sorted while an intset). */
  toArray(): string[] {
    if (!this.intset) return this.members.slice();
    return this.members.slice().sort(compareIntStrings);
  }

  clone(): SetValue {
    const copy = new SetValue(this.intset);
    for (const m of this.members) copy.add(m, this.intset);
    copy.intset = this.intset;
    return copy;
  }

  values(): IterableIterator<string> {
    return this.members.values();
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
