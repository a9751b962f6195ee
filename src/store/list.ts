/**
 * The list type: a deque of byte strings in a ring buffer, so that pushes and pops at
 * either end are O(1) on lists of any length and LINDEX/LSET are O(1) too (Redis's
 * quicklist gives O(N) there). The buffer grows and shrinks by doubling and halving.
 * It knows nothing of commands or replies; indexes here are always in range.
 */

const MIN_CAPACITY = 4;

export class ListValue {
  private items: (string | undefined)[];
  private head = 0;
  private mask: number;
  length = 0;

  constructor(capacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY;
    while (cap < capacity) cap *= 2;
    this.items = new Array<string | undefined>(cap);
    this.mask = cap - 1;
  }

  static from(values: Iterable<string>): ListValue {
    const list = new ListValue();
    for (const v of values) list.pushTail(v);
    return list;
  }

  get size(): number {
    return this.length;
  }

  /** OBJECT ENCODING: Redis 7.0 keeps every list in a quicklist. */
  get encoding(): string {
    return "quicklist";
  }

  private resize(capacity: number): void {
    const next = new Array<string | undefined>(capacity);
    for (let i = 0; i < this.length; i++) next[i] = this.items[(this.head + i) & this.mask];
    this.items = next;
    this.head = 0;
    this.mask = capacity - 1;
  }

  private grow(): void {
    if (this.length === this.mask + 1) this.resize((this.mask + 1) * 2);
  }

  private shrink(): void {
    const cap = this.mask + 1;
    if (cap > MIN_CAPACITY * 4 && this.length < cap / 4) this.resize(cap / 2);
  }

  pushHead(value: string): void {
    this.grow();
    this.head = (this.head - 1) & this.mask;
    this.items[this.head] = value;
    this.length++;
  }

  pushTail(value: string): void {
    this.grow();
    this.items[(this.head + this.length) & this.mask] = value;
    this.length++;
  }

  popHead(): string | undefined {
    if (this.length === 0) return undefined;
    const value = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    this.shrink();
    return value;
  }

  popTail(): string | undefined {
    if (this.length === 0) return undefined;
    const slot = (this.head + this.length - 1) & this.mask;
    const value = this.items[slot];
    this.items[slot] = undefined;
    this.length--;
    this.shrink();
    return value;
  }

  at(index: number): string {
    return this.items[(this.head + index) & this.mask]!;
  }

  set(index: number, value: string): void {
    this.items[(this.head + index) & this.mask] = value;
  }

  /** Insert before position `index` (0..length), shifting the shorter side. */
  insert(index: number, value: string): void {
    if (index <= this.length / 2) {
      this.pushHead(value);
      for (let i = 0; i < index; i++) this.set(i, this.at(i + 1));
    } else {
      this.pushTail(value);
      for (let i = this.length - 1; i > index; i--) this.set(i, this.at(i - 1));
    }
    this.set(index, value);
  }

  /** Keep only [start, end] (inclusive, in range), as LTRIM does. */
  trim(start: number, end: number): void {
    const keep = end - start + 1;
    while (this.length > keep + start) this.popTail();
    for (let i = 0; i < start; i++) this.popHead();
  }

  /** Keep the elements `keep` says yes to, in order; returns how many were removed. */
  filter(keep: (value: string, index: number) => boolean): number {
    let write = 0;
    const n = this.length;
    for (let read = 0; read < n; read++) {
      const v = this.at(read);
      if (keep(v, read)) this.set(write++, v);
    }
    for (let i = write; i < n; i++) this.set(i, undefined as unknown as string);
    this.length = write;
    this.shrink();
    return n - write;
  }

  /** The elements [start, end] (inclusive, in range) as an array. */
  range(start: number, end: number): string[] {
    const out = new Array<string>(Math.max(0, end - start + 1));
    for (let i = start; i <= end; i++) out[i - start] = this.at(i);
    return out;
  }

  clone(): ListValue {
    return ListValue.from(this);
  }

  *[Symbol.iterator](): IterableIterator<string> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }
}
