/**
 * The hash type: field -> value, both byte strings. A small hash is packed into one JS
 * string the way Redis packs it into a listpack: for each pair, a char holding the field's
 * length, the field, a char holding the value's length, the value. That costs about the
 * bytes themselves (a Map costs a string object per field and per value plus its entry:
 * 90 bytes per field in 100-field hashes against Redis's 21), and a linear scan over a
 * listpack-sized hash is as quick as hashing. Past PACKED_MAX pairs, or once a field or
 * value is longer than a length char can say, the hash moves into a Map for good.
 * Insertion order is kept in both forms: it is the order Redis replies in while the hash
 * is a listpack. The reported encoding follows Redis's rules separately; once Redis's
 * hash would be a hash table, whose order is its own, the fields move into a table
 * (store/table.ts: bytes in cells, slots in typed arrays) instead of the Map.
 */

import { encodingLimits } from "./encoding.ts";
import { KeyTable } from "./table.ts";

/** Pairs kept packed before moving to a Map: a scan stays under a microsecond. */
const PACKED_MAX = 128;
/** Fields and values longer than this move the hash into a Map, whatever it reports. */
const PACKED_MAX_LENGTH = 64;

export class HashValue {
  /** What the keyspace's memory accounting last counted for this value (store/keyspace.ts). */
  accounted = 0;
  /** The size at which the average element size below was last sampled (-1: never). */
  sampledAt = -1;
  sampledAverage = 0;
  /** The small form; undefined once the hash lives in `map`. */
  private packed: string | undefined = "";
  private count = 0;
  private map: Map<string, string> | KeyTable | undefined;
  /** Redis's listpack encoding: one-way, lost when a limit is crossed. */
  private listpack = true;

  get size(): number {
    return this.map !== undefined ? this.map.size : this.count;
  }

  get encoding(): string {
    return this.listpack ? "listpack" : "hashtable";
  }

  /** Where the pair of `field` starts in the packed string, or -1. */
  private find(field: string): number {
    const s = this.packed!;
    const n = field.length;
    for (let p = 0; p < s.length; ) {
      const flen = s.charCodeAt(p);
      if (flen === n && s.startsWith(field, p + 1)) return p;
      p += 2 + flen + s.charCodeAt(p + 1 + flen);
    }
    return -1;
  }

  get(field: string): string | undefined {
    if (this.map !== undefined) return this.map.get(field) as string | undefined;
    const p = this.find(field);
    if (p === -1) return undefined;
    const v = p + 1 + field.length;
    return this.packed!.substr(v + 1, this.packed!.charCodeAt(v));
  }

  has(field: string): boolean {
    return this.get(field) !== undefined;
  }

  /** Set a field; returns true when the field is new. */
  set(field: string, value: string): boolean {
    if (this.listpack && (field.length > encodingLimits.hashMaxListpackValue || value.length > encodingLimits.hashMaxListpackValue)) {
      this.listpack = false;
    }
    if (this.map === undefined && (!this.listpack || field.length > PACKED_MAX_LENGTH || value.length > PACKED_MAX_LENGTH)) this.toMap();
    if (this.map !== undefined) {
      const size = this.map.size;
      this.map.set(field, value);
      return this.grew(this.map.size > size);
    }
    const s = this.packed!;
    const p = this.find(field);
    if (p !== -1) {
      const v = p + 1 + field.length;
      const vlen = s.charCodeAt(v);
      // Rewriting the same value would copy the whole string for nothing.
      if (vlen === value.length && s.startsWith(value, v + 1)) return false;
      this.packed = s.slice(0, v) + String.fromCharCode(value.length) + value + s.slice(v + 1 + vlen);
      return false;
    }
    this.packed = s + String.fromCharCode(field.length) + field + String.fromCharCode(value.length) + value;
    if (++this.count > PACKED_MAX) this.toMap();
    return this.grew(true);
  }

  private grew(added: boolean): boolean {
    if (added && this.listpack && this.size > encodingLimits.hashMaxListpackEntries) this.listpack = false;
    if (!this.listpack && this.map instanceof Map) this.toMap();
    return added;
  }

  /** Leave the packed form, or the Map once the order no longer matters, for good. */
  private toMap(): void {
    const map = this.listpack ? new Map<string, string>() : new KeyTable();
    for (const [f, v] of this.entries()) map.set(f, v);
    this.map = map;
    this.packed = undefined;
    this.count = 0;
  }

  delete(field: string): boolean {
    if (this.map !== undefined) return this.map.delete(field);
    const p = this.find(field);
    if (p === -1) return false;
    const s = this.packed!;
    const v = p + 1 + field.length;
    this.packed = s.slice(0, p) + s.slice(v + 1 + s.charCodeAt(v));
    this.count--;
    return true;
  }

  *entries(): IterableIterator<[string, string]> {
    if (this.map !== undefined) {
      yield* this.map.entries() as IterableIterator<[string, string]>;
      return;
    }
    const s = this.packed!;
    for (let p = 0; p < s.length; ) {
      const flen = s.charCodeAt(p);
      const v = p + 1 + flen;
      const vlen = s.charCodeAt(v);
      yield [s.substr(p + 1, flen), s.substr(v + 1, vlen)];
      p = v + 1 + vlen;
    }
  }

  *fields(): IterableIterator<string> {
    for (const [f] of this.entries()) yield f;
  }

  clone(): HashValue {
    const copy = new HashValue();
    for (const [f, v] of this.entries()) copy.set(f, v);
    copy.listpack = this.listpack;
    return copy;
  }

  /** The field/value pairs as one flat array, for random picks and replies. */
  toFlatArray(): string[] {
    const out: string[] = [];
    for (const [f, v] of this.entries()) out.push(f, v);
    return out;
  }

  /** The table holding a large hash, for HSCAN's cursor; undefined while small. */
  get scanTarget(): Map<string, string> | KeyTable | undefined {
    return this.listpack ? undefined : this.map;
  }
}
