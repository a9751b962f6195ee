/**
 * The hash type: field -> value, both byte strings. A small hash is one flat array
 * [field, value, field, value, ...] searched linearly, which costs a fraction of a Map's
 * memory and is as fast at these sizes (Redis keeps small hashes in a listpack for the
 * same reason); past FLAT_MAX pairs it moves into a Map. Insertion order is kept in both
 * forms, which is the order Redis replies in while the hash is a listpack.
 * The reported encoding follows Redis's rules separately from the representation.
 */

/** hash-max-listpack-entries and hash-max-listpack-value, Redis 7.0's defaults. */
export const HASH_MAX_LISTPACK_ENTRIES = 512;
export const HASH_MAX_LISTPACK_VALUE = 64;
/**
 * Pairs kept in the flat array before moving to a Map. Past a few dozen pairs a Map
 * lookup is faster, but the flat array costs about a third of the memory, and Redis
 * itself searches listpacks of up to 512 entries linearly.
 */
const FLAT_MAX = 128;

export class HashValue {
  private flat: string[] | undefined = [];
  private map: Map<string, string> | undefined;
  /** Redis's listpack encoding: one-way, lost when a limit is crossed. */
  private listpack = true;

  get size(): number {
    return this.map !== undefined ? this.map.size : this.flat!.length / 2;
  }

  get encoding(): string {
    return this.listpack ? "listpack" : "hashtable";
  }

  get(field: string): string | undefined {
    if (this.map !== undefined) return this.map.get(field);
    const flat = this.flat!;
    for (let i = 0; i < flat.length; i += 2) if (flat[i] === field) return flat[i + 1];
    return undefined;
  }

  has(field: string): boolean {
    return this.get(field) !== undefined;
  }

  /** Set a field; returns true when the field is new. */
  set(field: string, value: string): boolean {
    if (this.listpack && (field.length > HASH_MAX_LISTPACK_VALUE || value.length > HASH_MAX_LISTPACK_VALUE)) {
      this.listpack = false;
    }
    if (this.map !== undefined) {
      const size = this.map.size;
      this.map.set(field, value);
      return this.grew(this.map.size > size);
    }
    const flat = this.flat!;
    for (let i = 0; i < flat.length; i += 2) {
      if (flat[i] === field) {
        flat[i + 1] = value;
        return false;
      }
    }
    flat.push(field, value);
    if (flat.length > FLAT_MAX * 2) {
      this.map = new Map();
      for (let i = 0; i < flat.length; i += 2) this.map.set(flat[i]!, flat[i + 1]!);
      this.flat = undefined;
    }
    return this.grew(true);
  }

  private grew(added: boolean): boolean {
    if (added && this.listpack && this.size > HASH_MAX_LISTPACK_ENTRIES) this.listpack = false;
    return added;
  }

  delete(field: string): boolean {
    if (this.map !== undefined) return this.map.delete(field);
    const flat = this.flat!;
    for (let i = 0; i < flat.length; i += 2) {
      if (flat[i] === field) {
        flat.splice(i, 2);
        return true;
      }
    }
    return false;
  }

  *entries(): IterableIterator<[string, string]> {
    if (this.map !== undefined) {
      yield* this.map.entries();
      return;
    }
    const flat = this.flat!;
    for (let i = 0; i < flat.length; i += 2) yield [flat[i]!, flat[i + 1]!];
  }

  clone(): HashValue {
    const copy = new HashValue();
    for (const [f, v] of this.entries()) copy.set(f, v);
    copy.listpack = this.listpack;
    return copy;
  }

  *fields(): IterableIterator<string> {
    for (const [f] of this.entries()) yield f;
  }

  /** The field/value pairs as one flat array, for random picks and replies. */
  toFlatArray(): string[] {
    if (this.flat !== undefined) return this.flat.slice();
    const out: string[] = [];
    for (const [f, v] of this.map!) out.push(f, v);
    return out;
  }

  /** The Map holding a large hash, for HSCAN's live iteration; undefined while small. */
  get scanTarget(): Map<string, string> | undefined {
    return this.listpack ? undefined : this.map;
  }
}
