/**
 * The expiry index of one database and the active expiry cycle.
 *
 * Redis samples random keys from its `expires` dict; a JS Map cannot hand out a random
 * entry in O(1), so KVIS keeps a binary min-heap of (deadline, key) instead. The heap is
 * exact rather than sampled: each cycle pops precisely the keys whose deadline has passed,
 * in O(log n) each, and never looks at a live key. Entries are invalidated lazily: when a
 * key's TTL changes or the key goes away the old entry stays and is discarded when it
 * surfaces (its deadline no longer matches `expires`). So that keys whose TTL is refreshed
 * over and over cannot grow the heap without bound, it is rebuilt from `expires` when stale
 * entries outnumber live ones. The heap never decides expiry on its own: `expires` is the
 * truth, and lookups expire keys lazily through the keyspace.
 */

export class ExpireIndex {
  private deadlines: number[] = [];
  private keys: string[] = [];

  get size(): number {
    return this.keys.length;
  }

  add(key: string, deadline: number): void {
    const d = this.deadlines;
    const k = this.keys;
    let i = k.length;
    d.push(deadline);
    k.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (d[parent]! <= deadline) break;
      d[i] = d[parent]!;
      k[i] = k[parent]!;
      i = parent;
    }
    d[i] = deadline;
    k[i] = key;
  }

  /** The earliest deadline in the heap (possibly stale), or Infinity. */
  peekDeadline(): number {
    return this.keys.length > 0 ? this.deadlines[0]! : Infinity;
  }

  /** Remove and return the key with the earliest deadline; the heap must not be empty. */
  pop(): string {
    const d = this.deadlines;
    const k = this.keys;
    const top = k[0]!;
    const lastKey = k.pop()!;
    const lastDeadline = d.pop()!;
    const n = k.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && d[right]! < d[left]! ? right : left;
        if (d[child]! >= lastDeadline) break;
        d[i] = d[child]!;
        k[i] = k[child]!;
        i = child;
      }
      d[i] = lastDeadline;
      k[i] = lastKey;
    }
    return top;
  }

  /** Rebuild from the authoritative map, dropping every stale entry. */
  rebuild(expires: ReadonlyMap<string, number>): void {
    this.deadlines = [];
    this.keys = [];
    for (const [key, deadline] of expires) this.add(key, deadline);
  }

  clear(): void {
    this.deadlines = [];
    this.keys = [];
  }

  /** True when stale entries dominate and a rebuild pays for itself. */
  needsCompaction(live: number): boolean {
    return this.keys.length > 1024 && this.keys.length > 2 * live;
  }
}
