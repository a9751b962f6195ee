/**
 * CellHeap: the bytes of a keyspace's entries (store/table.ts), in cells cut from chunks,
 * one run of chunks per size class (multiples of 8 up to 4 KB, spaced as jemalloc's
 * classes are), each chunk twice the one before, each class with a free list, so that a
 * freed cell is reused by the next entry of its size; a class left mostly free gives back
 * its last chunks (compact).
 * An entry larger than 4 KB gets a buffer of its own.
 *
 * A cell reference is one int: the class in bits 26-30 and the cell's index below. A cell
 * is [key length u32][value length u32] then, for a number, the float64 (8-aligned, since
 * every class size is a multiple of 8), and then the key and, for a string, the value. An
 * aggregate's cell keeps its index in `objects` (table.ts) in the value-length word.
 *
 * Keys and string values are byte strings, one char per byte (resp/bytes.ts), copied in
 * and out with Buffer's latin1 routines, which keep every byte 0-255.
 */

/** A chunk of cells: its own allocation (allocUnsafeSlow), as it lives as long as the table. */
type Chunk = Bytes;

function allocChunk(bytes: number): Chunk {
  return Buffer.allocUnsafeSlow(bytes) as Chunk;
}

import { copyRange } from "../resp/bytes.ts";
import { type Bytes, writeLatin1 } from "./latin1.ts";
import type { ByteSlice } from "./value.ts";

const SIZES = [
  16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024, 1280, 1536,
  1792, 2048, 2560, 3072, 3584, 4096,
];
const LARGEST = 4096;
/** The class index for entries that get a buffer of their own. */
const BIG = 31;
const INDEX_BITS = 26;
const INDEX_MASK = (1 << INDEX_BITS) - 1;
/** A class's first chunk holds this many cells; each next one twice as many as the last. */
const FIRST_CELLS_BITS = 4;
const HEADER = 8;
/** Growth room doubles a string's length up to this, then adds this much (Redis's SDS_MAX_PREALLOC). */
const GROW_DOUBLING_LIMIT = 1024 * 1024;

/** The class for a cell of `bytes`, by eighths. */
const CLASS_OF = new Uint8Array(LARGEST / 8 + 1);
for (let b = 0, c = 0; b <= LARGEST; b += 8) {
  while (SIZES[c]! < b) c++;
  CLASS_OF[b >> 3] = c;
}

function classFor(bytes: number): number {
  return bytes > LARGEST ? BIG : CLASS_OF[(bytes + 7) >> 3]!;
}

/** The bytes of the cell for a key and a string value (`valueLength` -1: a number), as its class rounds them. */
export function cellBytes(keyLength: number, valueLength: number): number {
  const bytes = HEADER + keyLength + (valueLength < 0 ? 8 : valueLength);
  const cls = classFor(bytes);
  return cls === BIG ? (bytes + 7) & ~7 : SIZES[cls]!;
}

/**
 * Chunks double up to this one, 16 << 8 = 4,096 cells; every later one holds as many. A
 * class gives back memory a chunk at a time (SizeClass.shrinkLast): past a few thousand
 * cells, twice the last chunk would be half the class.
 */
const LAST_DOUBLING = 8;
const STEADY_BITS = FIRST_CELLS_BITS + LAST_DOUBLING;
const STEADY_START = ((1 << LAST_DOUBLING) - 1) << FIRST_CELLS_BITS;

/**
 * The chunk of a class holding cell `index`: chunk c holds 16 << c cells from index
 * 16 * (2^c - 1) on, so a small table's cells cost little, up to LAST_DOUBLING.
 */
function chunkOf(index: number): number {
  if (index >= STEADY_START) return LAST_DOUBLING + ((index - STEADY_START) >>> STEADY_BITS);
  return 31 - Math.clz32((index >> FIRST_CELLS_BITS) + 1);
}

/** The index of chunk c's first cell. */
function chunkStart(c: number): number {
  if (c >= LAST_DOUBLING) return STEADY_START + ((c - LAST_DOUBLING) << STEADY_BITS);
  return ((1 << c) - 1) << FIRST_CELLS_BITS;
}

/** The cells chunk c holds. */
function chunkCells(c: number): number {
  return 1 << (FIRST_CELLS_BITS + Math.min(c, LAST_DOUBLING));
}

const STACK_BLOCK_BITS = 14;
const STACK_BLOCK = 1 << STACK_BLOCK_BITS;

/**
 * A stack of non-negative integers (free cell indices) in blocks of 16,384: it grows
 * without copying what it holds, at 4 bytes an entry. A JS array of the million cells a
 * pass of SETs frees grew by copies of megabytes; one push took 50 ms.
 */
export class IndexStack {
  private blocks: Int32Array[] = [];
  length = 0;

  push(index: number): void {
    const block = this.length >>> STACK_BLOCK_BITS;
    if (block === this.blocks.length) this.blocks.push(new Int32Array(STACK_BLOCK));
    this.blocks[block]![this.length++ & (STACK_BLOCK - 1)] = index;
  }

  /** The k-th index pushed and still held. */
  at(k: number): number {
    return this.blocks[k >>> STACK_BLOCK_BITS]![k & (STACK_BLOCK - 1)]!;
  }

  /** The last index pushed, taken off; -1 when empty. */
  pop(): number {
    if (this.length === 0) return -1;
    const at = --this.length;
    const block = at >>> STACK_BLOCK_BITS;
    // One emptied block is kept spare, so that pushes and pops across a boundary do not allocate.
    if (this.blocks.length > block + 2) this.blocks.pop();
    return this.blocks[block]![at & (STACK_BLOCK - 1)]!;
  }
}

/** One size class: its chunks, with 32- and 64-bit views of each, and its free cells. */
class SizeClass {
  readonly chunks: Chunk[] = [];
  readonly words: Uint32Array[] = [];
  readonly doubles: Float64Array[] = [];
  private free = new IndexStack();
  next = 0;
  /** Cells in use. */
  private live = 0;
  constructor(
    readonly size: number,
    private readonly heap: CellHeap,
  ) {}

  alloc(): number {
    this.live++;
    const index = this.free.pop();
    if (index >= 0) return index;
    if (this.next === chunkStart(this.chunks.length)) {
      const chunk = allocChunk(this.size * chunkCells(this.chunks.length));
      this.heap.heldBytes += chunk.length;
      this.chunks.push(chunk);
      this.words.push(new Uint32Array(chunk.buffer, chunk.byteOffset, chunk.length >> 2));
      this.doubles.push(new Float64Array(chunk.buffer, chunk.byteOffset, chunk.length >> 3));
    }
    return this.next++;
  }

  /**
   * Cell `index` is free again. A class left with no cell in use gives back its chunks but
   * the first: values that grow together (HSETs or APPENDs over many keys in turn) pass
   * through every class on the way, and each class would otherwise keep the cells of all
   * of them for good, where jemalloc hands back a slab whose regions are all free.
   */
  release(index: number): void {
    if (--this.live > 0 || this.chunks.length === 1) {
      this.free.push(index);
      return;
    }
    this.heap.heldBytes -= this.chunkBytes(1);
    this.chunks.length = this.words.length = this.doubles.length = 1;
    this.free = new IndexStack();
    this.next = 0;
  }

  /** How many chunks shrink would keep: the fewest whose cells the cells in use fill to 3/4 at most, one at least. */
  chunksToKeep(): number {
    let keep = this.chunks.length;
    while (keep > 1 && this.live * 4 <= chunkStart(keep - 1) * 3) keep--;
    return keep;
  }

  /** Bytes of the chunks from the `from`-th on. */
  chunkBytes(from = 0): number {
    let bytes = 0;
    for (let c = from; c < this.chunks.length; c++) bytes += this.chunks[c]!.length;
    return bytes;
  }

  /**
   * CellHeap.compact's step for this class: when the cells in use would fill at most 3/4
   * of fewer chunks (chunksToKeep), its last chunk goes, the cells in use there copied into
   * free cells before it and each handed to `moved` (old index, new index).
   */
  shrinkLast(moved: (from: number, to: number) => void): void {
    if (this.chunksToKeep() === this.chunks.length) return;
    const end = chunkStart(this.chunks.length - 1);
    const next = this.next;
    const freeAfter = new Uint8Array(next - end);
    let live = next - end;
    for (let k = 0; k < this.free.length; k++) {
      const i = this.free.at(k);
      if (i >= end) {
        freeAfter[i - end] = 1;
        live--;
      }
    }
    // The free cells before `end`: as many as there are cells to move are their holes.
    const holes: number[] = [];
    const free = new IndexStack();
    for (let k = 0; k < this.free.length; k++) {
      const i = this.free.at(k);
      if (i >= end) continue;
      if (holes.length < live) holes.push(i);
      else free.push(i);
    }
    const size = this.size;
    for (let i = end; i < next; i++) {
      if (freeAfter[i - end] === 1) continue;
      const to = holes.pop()!;
      const from = (i - chunkStart(chunkOf(i))) * size;
      copyRange(this.chunks[chunkOf(i)]!, from, from + size, this.chunks[chunkOf(to)]!, (to - chunkStart(chunkOf(to))) * size);
      moved(i, to);
    }
    this.heap.heldBytes -= this.chunks[this.chunks.length - 1]!.length;
    this.chunks.length = this.words.length = this.doubles.length = this.chunks.length - 1;
    this.free = free;
    this.next = end;
  }
}

export class CellHeap {
  /** The classes, each made when its first cell is. */
  private classes: SizeClass[] = [];
  /** Entries over 4 KB: a buffer each (and views), by index, with the free indices. */
  private bigs: Chunk[] = [];
  private bigWords: Uint32Array[] = [];
  private bigDoubles: Float64Array[] = [];
  private bigFree = new IndexStack();
  /** Bytes of every chunk and big entry's buffer: what the heap holds, its free cells included. */
  heldBytes = 0;

  clear(): void {
    this.heldBytes = 0;
    this.classes = [];
    this.bigs = [];
    this.bigWords = [];
    this.bigDoubles = [];
    this.bigFree = new IndexStack();
  }

  /**
   * A step of giving back the chunks classes hold for cells no longer in use, once those
   * come to a sixteenth of all chunks' bytes: the class left with the most unused gives
   * back its last chunk (SizeClass.shrinkLast). Values that grow an element at a time over
   * many keys (HSETs to small hashes at random) pass through the classes at random, and the
   * frees they leave are spread over every chunk, so that a class seldom empties: each kept
   * the chunks of its peak. Cells move: `moved` has the caller put the new reference where
   * it holds the old one. Only where no reference is held elsewhere (between commands); a
   * chunk a step keeps each pause short (4,096 cells moved at most). Whether a chunk went.
   */
  compact(moved: (from: number, to: number) => void): boolean {
    let held = 0;
    let unused = 0;
    // The class with the most to give back gives back one chunk.
    let most = 0;
    let mostAt = -1;
    for (let cls = 0; cls < this.classes.length; cls++) {
      const c = this.classes[cls];
      if (c === undefined) continue;
      const spare = c.chunkBytes(c.chunksToKeep());
      held += c.chunkBytes();
      unused += spare;
      if (spare > most) {
        most = spare;
        mostAt = cls;
      }
    }
    if (mostAt < 0 || unused * 16 < held) return false;
    this.classes[mostAt]!.shrinkLast((from, to) => moved((mostAt << INDEX_BITS) | from, (mostAt << INDEX_BITS) | to));
    return true;
  }

  private alloc(bytes: number): number {
    const cls = classFor(bytes);
    if (cls !== BIG) return (cls << INDEX_BITS) | (this.classes[cls] ??= new SizeClass(SIZES[cls]!, this)).alloc();
    const buf = allocChunk((bytes + 7) & ~7);
    let index = this.bigFree.pop();
    if (index < 0) index = this.bigs.length;
    this.bigs[index] = buf;
    this.heldBytes += buf.length;
    this.bigWords[index] = new Uint32Array(buf.buffer, buf.byteOffset, buf.length >> 2);
    this.bigDoubles[index] = new Float64Array(buf.buffer, buf.byteOffset, buf.length >> 3);
    return (BIG << INDEX_BITS) | index;
  }

  free(ref: number): void {
    const cls = ref >>> INDEX_BITS;
    const index = ref & INDEX_MASK;
    if (cls !== BIG) {
      this.classes[cls]!.release(index);
      return;
    }
    this.heldBytes -= this.bigs[index]!.length;
    this.bigs[index] = EMPTY_BUFFER;
    this.bigWords[index] = EMPTY_WORDS;
    this.bigDoubles[index] = EMPTY_DOUBLES;
    this.bigFree.push(index);
  }

  /** The buffer a cell lies in. */
  buffer(ref: number): Chunk {
    const cls = ref >>> INDEX_BITS;
    const index = ref & INDEX_MASK;
    if (cls === BIG) return this.bigs[index]!;
    const c = this.classes[cls]!;
    return c.chunks[chunkOf(index)]!;
  }

  private words(ref: number): Uint32Array {
    const cls = ref >>> INDEX_BITS;
    const index = ref & INDEX_MASK;
    if (cls === BIG) return this.bigWords[index]!;
    const c = this.classes[cls]!;
    return c.words[chunkOf(index)]!;
  }

  /** The cell's byte offset in its buffer. */
  private offset(ref: number): number {
    const cls = ref >>> INDEX_BITS;
    if (cls === BIG) return 0;
    const c = this.classes[cls]!;
    const index = ref & INDEX_MASK;
    return (index - chunkStart(chunkOf(index))) * c.size;
  }

  /** The bytes of cell `ref`: its class's size, or its own buffer's. */
  cellSize(ref: number): number {
    const cls = ref >>> INDEX_BITS;
    return cls === BIG ? this.bigs[ref & INDEX_MASK]!.length : this.classes[cls]!.size;
  }

  keyLength(ref: number): number {
    return this.words(ref)[this.offset(ref) >> 2]!;
  }

  /** A string value's length; for an aggregate, its index in the table's objects. */
  valueLength(ref: number): number {
    return this.words(ref)[(this.offset(ref) >> 2) + 1]!;
  }

  keyStart(ref: number, isNumber: boolean): number {
    return this.offset(ref) + (isNumber ? HEADER + 8 : HEADER);
  }

  valueStart(ref: number): number {
    const off = this.offset(ref);
    return off + HEADER + this.words(ref)[off >> 2]!;
  }

  key(ref: number, isNumber: boolean): string {
    const start = this.keyStart(ref, isNumber);
    return this.buffer(ref).latin1Slice(start, start + this.keyLength(ref));
  }

  keyEquals(ref: number, isNumber: boolean, key: string): boolean {
    const words = this.words(ref);
    const off = this.offset(ref);
    const n = key.length;
    if (words[off >> 2] !== n) return false;
    const buf = this.buffer(ref);
    const start = off + (isNumber ? HEADER + 8 : HEADER);
    for (let i = 0; i < n; i++) if (buf[start + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  keyEqualsBytes(ref: number, isNumber: boolean, bytes: Uint8Array, from: number, to: number): boolean {
    const words = this.words(ref);
    const off = this.offset(ref);
    const n = to - from;
    if (words[off >> 2] !== n) return false;
    const buf = this.buffer(ref);
    const start = off + (isNumber ? HEADER + 8 : HEADER);
    for (let i = 0; i < n; i++) if (buf[start + i] !== bytes[from + i]) return false;
    return true;
  }

  stringValue(ref: number): string {
    const off = this.offset(ref);
    const words = this.words(ref);
    const start = off + HEADER + words[off >> 2]!;
    return this.buffer(ref).latin1Slice(start, start + words[(off >> 2) + 1]!);
  }

  numberValue(ref: number): number {
    const cls = ref >>> INDEX_BITS;
    const index = ref & INDEX_MASK;
    if (cls === BIG) return this.bigDoubles[index]![1]!;
    const c = this.classes[cls]!;
    return c.doubles[chunkOf(index)]![(this.offset(ref) >> 3) + 1]!;
  }

  private writeHeader(ref: number, keyLength: number, valueWord: number): number {
    const off = this.offset(ref);
    const words = this.words(ref);
    words[off >> 2] = keyLength;
    words[(off >> 2) + 1] = valueWord;
    return off;
  }

  allocString(key: string | ByteSlice, value: string | ByteSlice): number {
    const ref = this.allocValue(key, value.length);
    writeLatin1(this.buffer(ref), this.valueStart(ref), value);
    return ref;
  }

  /** A cell for `key` and a value of `valueLength` bytes, which the caller writes at valueStart. */
  allocValue(key: string | ByteSlice, valueLength: number): number {
    return this.allocKeyed(HEADER + key.length + valueLength, key, valueLength);
  }

  /** A cell of `bytes` holding `key` after the header, `word` the header's second word. */
  private allocKeyed(bytes: number, key: string | ByteSlice, word: number): number {
    const ref = this.alloc(bytes);
    const off = this.writeHeader(ref, key.length, word);
    writeLatin1(this.buffer(ref), off + HEADER, key);
    return ref;
  }

  /** Set the word after the key's length: a string's value length, or an aggregate's index. */
  setValueWord(ref: number, word: number): void {
    this.words(ref)[(this.offset(ref) >> 2) + 1] = word;
  }

  allocNumber(key: string | ByteSlice, value: number): number {
    const ref = this.alloc(HEADER + 8 + key.length);
    const off = this.writeHeader(ref, key.length, 0);
    this.setNumber(ref, value);
    writeLatin1(this.buffer(ref), off + HEADER + 8, key);
    return ref;
  }

  allocObject(key: string | ByteSlice, index: number): number {
    return this.allocKeyed(HEADER + key.length, key, index);
  }

  /** Whether a string entry of these lengths belongs in the same cell as now. */
  fits(ref: number, keyLength: number, valueLength: number): boolean {
    const cls = ref >>> INDEX_BITS;
    const bytes = HEADER + keyLength + valueLength;
    if (cls !== BIG) return classFor(bytes) === cls;
    const have = this.bigs[ref & INDEX_MASK]!.length;
    return bytes <= have && bytes > have >>> 1;
  }

  /** Rewrite a string cell's value (the key stays; `fits` said yes). */
  setString(ref: number, keyLength: number, value: string | ByteSlice): void {
    this.setValueWord(ref, value.length);
    writeLatin1(this.buffer(ref), this.offset(ref) + HEADER + keyLength, value);
  }

  /**
   * Grow a string cell's value to `length` bytes, the new ones zero; returns the cell,
   * another one when it had no room. A new cell keeps room as Redis's sdsMakeRoomFor
   * does: twice the length up to 1 MB, then 1 MB more.
   */
  grow(ref: number, length: number): number {
    const keyLength = this.keyLength(ref);
    const old = this.valueLength(ref);
    const cls = ref >>> INDEX_BITS;
    const capacity = cls === BIG ? this.bigs[ref & INDEX_MASK]!.length : SIZES[cls]!;
    let next = ref;
    if (HEADER + keyLength + length > capacity) {
      const room = length < GROW_DOUBLING_LIMIT ? length * 2 : length + GROW_DOUBLING_LIMIT;
      next = this.alloc(HEADER + keyLength + room);
      const from = this.offset(ref);
      copyRange(this.buffer(ref), from, from + HEADER + keyLength + old, this.buffer(next), this.offset(next));
      this.free(ref);
    }
    this.setValueWord(next, length);
    const start = this.valueStart(next);
    // A few bytes (an APPEND's, a SETBIT's) are zeroed here: the native fill costs more.
    const buf = this.buffer(next);
    if (length - old <= 16) for (let i = start + old; i < start + length; i++) buf[i] = 0;
    else buf.fill(0, start + old, start + length);
    return next;
  }

  setNumber(ref: number, value: number): void {
    const cls = ref >>> INDEX_BITS;
    const index = ref & INDEX_MASK;
    if (cls === BIG) {
      this.bigDoubles[index]![1] = value;
      return;
    }
    const c = this.classes[cls]!;
    c.doubles[chunkOf(index)]![(this.offset(ref) >> 3) + 1] = value;
  }
}

const EMPTY_BUFFER = allocChunk(0);
const EMPTY_WORDS = new Uint32Array(0);
const EMPTY_DOUBLES = new Float64Array(0);
