/**
 * Cursors for HSCAN, SSCAN and ZSCAN of aggregates held in Maps (a keyspace's SCAN walks
 * its table's buckets with Redis's own cursor: store/table.ts). Redis walks its hash
 * table in reverse-binary bucket order so that a stateless cursor survives rehashing. A JS
 * Map has no buckets to walk, but its iterators are live: an iteration sees every entry that was present from
 * its start to its end exactly once, even while entries are added and removed, which is
 * Redis's SCAN guarantee. So a cursor here names a parked live iterator, and the keyspace
 * is never copied. A bounded number of iterations stay parked (the oldest are dropped);
 * an unknown cursor starts a fresh iteration rather than failing.
 *
 * Termination: a Map iterates in insertion order, so keys added during a scan all come
 * after the keys that were there when it began. An iteration therefore stops after as many
 * entries as the collection held at its start: by then it has passed every key that was
 * present throughout, and keys arriving faster than the client scans cannot keep it going
 * forever (Redis's bucket walk has the same property for a bounded collection).
 */

/** Parked iterations kept at most; each costs one iterator object. */
const MAX_PARKED = 4096;

interface Parked {
  target: object;
  iterator: Iterator<string>;
  /** Entries still to visit: the collection's size when the iteration began, minus visits. */
  budget: number;
  /** The entry read ahead to learn whether the iteration was over. */
  pending: string | undefined;
}

export class ScanCursors {
  private nextId = 1;
  private readonly parked = new Map<number, Parked>();

  private park(entry: Parked): number {
    const id = this.nextId++;
    this.parked.set(id, entry);
    if (this.parked.size > MAX_PARKED) this.parked.delete(this.parked.keys().next().value!);
    return id;
  }

  /**
   * Up to `count` keys of `target` from the iteration that `cursor` names (0 starts one),
   * and the cursor to continue with (0 when the iteration is complete).
   */
  step(cursor: number, target: Map<string, unknown>, count: number): [keys: string[], next: number] {
    let entry = cursor === 0 ? undefined : this.parked.get(cursor);
    if (entry !== undefined) this.parked.delete(cursor);
    if (entry === undefined || entry.target !== target) entry = { target, iterator: target.keys(), budget: target.size, pending: undefined };
    const keys: string[] = [];
    if (entry.pending !== undefined) keys.push(entry.pending);
    while (keys.length < count && entry.budget > 0) {
      const r = entry.iterator.next();
      if (r.done) return [keys, 0];
      entry.budget--;
      keys.push(r.value);
    }
    const ahead = entry.budget > 0 ? entry.iterator.next() : undefined;
    if (ahead === undefined || ahead.done) return [keys, 0];
    entry.budget--;
    entry.pending = ahead.value;
    return [keys, this.park(entry)];
  }
}
