/**
 * PackedStrings: a short list of byte strings packed into one JS string, each behind a
 * char holding its length, as Redis packs small aggregates into a listpack. One string per
 * aggregate instead of a string object per element is most of the memory of small sorted
 * sets; scans are linear, which at listpack sizes costs less than the objects it saves.
 * Elements must be shorter than 255 bytes (callers switch to their large form first).
 */

import type { Bytes } from "./latin1.ts";

export const PACKED_MAX_ELEMENT = 254;

export class PackedStrings {
  private s = "";
  length = 0;

  /** Where element i starts (its length char). */
  private offsetOf(i: number): number {
    const s = this.s;
    let p = 0;
    for (let k = 0; k < i; k++) p += 1 + s.charCodeAt(p);
    return p;
  }

  get(i: number): string {
    const p = this.offsetOf(i);
    return this.s.substr(p + 1, this.s.charCodeAt(p));
  }

  /** The bytes of every element (less their length chars). */
  get elementBytes(): number {
    return this.s.length - this.length;
  }

  indexOf(x: string): number {
    const s = this.s;
    const n = x.length;
    for (let p = 0, i = 0; p < s.length; i++) {
      const len = s.charCodeAt(p);
      if (len === n && s.startsWith(x, p + 1)) return i;
      p += 1 + len;
    }
    return -1;
  }

  // The new string is joined rather than concatenated: JavaScriptCore keeps a `+` as a
  // rope (a node per piece) until a character is read, and a set written and then left
  // alone kept one, 200-280 bytes more a 5-member set.

  insert(i: number, x: string): void {
    const p = this.offsetOf(i);
    this.s = [this.s.slice(0, p), String.fromCharCode(x.length), x, this.s.slice(p)].join("");
    this.length++;
  }

  push(x: string): void {
    this.s = [this.s, String.fromCharCode(x.length), x].join("");
    this.length++;
  }

  removeAt(i: number): void {
    const p = this.offsetOf(i);
    this.s = [this.s.slice(0, p), this.s.slice(p + 1 + this.s.charCodeAt(p))].join("");
    this.length--;
  }

  /** The bytes writeTo writes. */
  get byteLength(): number {
    return this.s.length;
  }

  /** The elements, each after its length byte, at `at` of `out` (byteLength bytes). */
  writeTo(out: Bytes, at: number): void {
    out.latin1Write(this.s, at);
  }

  /** The elements writeTo wrote at buf[start, end). */
  static fromBytes(buf: Bytes, start: number, end: number): PackedStrings {
    const packed = new PackedStrings();
    packed.s = buf.latin1Slice(start, end);
    let n = 0;
    for (let p = start; p < end; p += 1 + buf[p]!) n++;
    packed.length = n;
    return packed;
  }

  toArray(): string[] {
    const out: string[] = [];
    const s = this.s;
    for (let p = 0; p < s.length; p += 1 + s.charCodeAt(p)) out.push(s.substr(p + 1, s.charCodeAt(p)));
    return out;
  }
}
