/**
 * The list type: a deque of byte strings kept in fixed-size chunks of 128 slots, the chunks
 * themselves in a ring that doubles when full. Pushes and pops at either end, LINDEX and
 * LSET are O(1) at any length, as with one big ring buffer, but growing a list of millions
 * copies only the ring of chunk references (1/128 of the elements), never the elements:
 * with one flat buffer, doubling a 4M-element list held the event loop for milliseconds.
 * Every chunk but the first and last is full, so element i sits at a computed chunk and
 * slot. A list of up to SMALL_MAX elements is a plain array instead, which costs a tenth
 * of a chunk for the short lists most keys hold. It knows nothing of commands or replies;
 * indexes here are always in range.
 */

const CHUNK_BITS = 7;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
const MIN_RING = 4;
const SMALL_MAX = 64;

export class ListValue {
  /** What the keyspace's memory accounting last counted for this value (store/keyspace.ts). */
  accounted = 0;
  /** The size at which the average element size below was last sampled (-1: never). */
  sampledAt = -1;
  sampledAverage = 0;
  /** The small form: the elements in order; undefined once the list is chunked. */
  private small: string[] | undefined = [];
  /** Ring of chunks; ring[(ringHead + k) & ringMask] is the k-th chunk in order. */
  private ring: (string | undefined)[][] = [];
  private ringHead = 0;
  private ringMask = MIN_RING - 1;
  private chunks = 0;
  /** Slot of element 0 within the first chunk. */
  private offset = 0;
  length = 0;

  constructor() {
    this.ring = new Array<(string | undefined)[]>(MIN_RING);
  }

  /** Move from the small array to chunks, for good. */
  private toChunks(): void {
    const items = this.small!;
    this.small = undefined;
    this.length = 0;
    for (const v of items) this.pushTail(v);
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

  private chunk(k: number): (string | undefined)[] {
    return this.ring[(this.ringHead + k) & this.ringMask]!;
  }

  private growRing(): void {
    if (this.chunks <= this.ringMask) return;
    const next = new Array<(string | undefined)[]>((this.ringMask + 1) * 2);
    for (let k = 0; k < this.chunks; k++) next[k] = this.chunk(k);
    this.ring = next;
    this.ringHead = 0;
    this.ringMask = next.length - 1;
  }

  pushHead(value: string): void {
    if (this.small !== undefined) {
      if (this.small.length < SMALL_MAX) {
        this.small.unshift(value);
        this.length++;
        return;
      }
      this.toChunks();
    }
    if (this.length === 0 || this.offset === 0) {
      this.growRing();
      this.ringHead = (this.ringHead - 1) & this.ringMask;
      this.ring[this.ringHead] = new Array<string | undefined>(CHUNK);
      this.chunks++;
      this.offset = CHUNK - 1;
      this.chunk(0)[this.offset] = value;
    } else {
      this.chunk(0)[--this.offset] = value;
    }
    this.length++;
  }

  pushTail(value: string): void {
    if (this.small !== undefined) {
      if (this.small.length < SMALL_MAX) {
        this.small.push(value);
        this.length++;
        return;
      }
      this.toChunks();
    }
    const end = this.offset + this.length;
    if (this.length === 0 || (end & CHUNK_MASK) === 0) {
      this.growRing();
      this.ring[(this.ringHead + this.chunks) & this.ringMask] = new Array<string | undefined>(CHUNK);
      this.chunks++;
      if (this.length === 0) this.offset = 0;
    }
    const at = this.offset + this.length;
    this.chunk(at >> CHUNK_BITS)[at & CHUNK_MASK] = value;
    this.length++;
  }

  popHead(): string | undefined {
    if (this.length === 0) return undefined;
    if (this.small !== undefined) {
      this.length--;
      return this.small.shift();
    }
    const first = this.chunk(0);
    const value = first[this.offset];
    first[this.offset] = undefined;
    this.length--;
    if (++this.offset === CHUNK || this.length === 0) this.dropHeadChunk();
    return value;
  }

  popTail(): string | undefined {
    if (this.length === 0) return undefined;
    if (this.small !== undefined) {
      this.length--;
      return this.small.pop();
    }
    const at = this.offset + this.length - 1;
    const last = this.chunk(at >> CHUNK_BITS);
    const value = last[at & CHUNK_MASK];
    last[at & CHUNK_MASK] = undefined;
    this.length--;
    if ((at & CHUNK_MASK) === 0 || this.length === 0) this.dropTailChunk();
    return value;
  }

  private dropHeadChunk(): void {
    this.ring[this.ringHead] = undefined as unknown as (string | undefined)[];
    this.ringHead = (this.ringHead + 1) & this.ringMask;
    this.chunks--;
    this.offset = 0;
    if (this.length === 0) this.reset();
  }

  private dropTailChunk(): void {
    this.ring[(this.ringHead + this.chunks - 1) & this.ringMask] = undefined as unknown as (string | undefined)[];
    this.chunks--;
    if (this.length === 0) this.reset();
  }

  private reset(): void {
    this.ring = new Array<(string | undefined)[]>(MIN_RING);
    this.ringHead = 0;
    this.ringMask = MIN_RING - 1;
    this.chunks = 0;
    this.offset = 0;
  }

  at(index: number): string {
    if (this.small !== undefined) return this.small[index]!;
    const at = this.offset + index;
    return this.chunk(at >> CHUNK_BITS)[at & CHUNK_MASK]!;
  }

  set(index: number, value: string): void {
    if (this.small !== undefined) {
      this.small[index] = value;
      return;
    }
    const at = this.offset + index;
    this.chunk(at >> CHUNK_BITS)[at & CHUNK_MASK] = value;
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
    const n = this.length;
    let write = 0;
    for (let read = 0; read < n; read++) {
      const v = this.at(read);
      if (keep(v, read)) this.set(write++, v);
    }
    while (this.length > write) this.popTail();
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
