/**
 * The list type, held in bytes as Redis's quicklist holds it: a sequence of nodes, each a
 * buffer of packed elements of up to 8 KB (Redis's default list-max-listpack-size -2).
 * A string object per element cost 80-100 bytes in JavaScriptCore; packed, an element
 * costs its bytes and two length fields.
 *
 * An element is [length][bytes][length]: the length in front to walk forwards, behind to
 * walk backwards (as a listpack's backlen), 1 byte below 128, 2 below 16384, else 5. A
 * node keeps free room at both ends, so a push at either end writes in place; when a node
 * would pass 8 KB a new one starts. Element i is found by walking the nodes' counts from
 * the nearer end and then the node's elements from its nearer end, as Redis does; a
 * remembered position makes walks in order (LRANGE, LPOS, LINSERT's search) O(1) a step.
 * It knows nothing of commands or replies; indexes here are always in range.
 *
 * list-max-listpack-size sets the node limit (-1 to -5: 4 to 64 KB; a positive n: n
 * elements within 8 KB) and list-compress-depth d keeps d nodes at each end as they are and
 * holds those between LZF-compressed, as quicklist does (a node under 48 bytes, or one
 * that would not shrink by 8, stays raw). A compressed node is opened when a command
 * reaches into it and closed again when the list next opens another, so at most one node
 * between the ends is raw at a time; pushes and pops touch only the ends.
 */
import { allocBytes, type Bytes, NO_BYTES, writeLatin1 } from "./latin1.ts";
import { ByteSlice, type BytesSink, type BytesSource, type PackedBytes } from "./value.ts";
import { type ArgumentsFrom2, type Argv, LoneArgument } from "../resp/argv.ts";
import { copyRange, rangesEqual } from "../resp/bytes.ts";
import { encodingLimits } from "./encoding.ts";
import { lzfCompressRange, lzfDecompressInto, lzfOutput } from "./lzf.ts";
import { LISTPACK_EMPTY_SIZE, type ListpackWriter, lpBytesSize, lpStringSize } from "./listpack.ts";

/** The size limits of list-max-listpack-size -1 to -5, and the one a positive fill keeps within. */
const NODE_BYTES = [4096, 8192, 16384, 32768, 65536];
const SIZE_SAFETY_LIMIT = 8192;
const MIN_NODE = 32;
/** quicklist's MIN_COMPRESS_BYTES and MIN_COMPRESS_IMPROVE. */
const MIN_COMPRESS_BYTES = 48;
const MIN_COMPRESS_IMPROVE = 8;
/** quicklist's SIZE_ESTIMATE_OVERHEAD: what an element costs a node beyond its bytes, as estimated before it is added. */
const SIZE_ESTIMATE_OVERHEAD = 8;
/**
 * A packed list's fill, compress depth, element count and listpack size (all 32-bit),
 * ahead of its elements: as a listpack's header keeps its count and size, a push or pop
 * knows both without walking the elements (it walked them: a list pushed to one element
 * at a time cost O(n^2) until it had a second node).
 */
const PACKED_HEADER = 16;
const COUNT_AT = 8;
const LP_SIZE_AT = 12;
/**
 * Redis's clamping of a [start, end] range over `length` elements (LRANGE, LTRIM,
 * ZRANGE by rank): undefined when the range is empty.
 */
export function clampRange(start: number, end: number, length: number): [number, number] | undefined {
  if (start < 0) start = length + start;
  if (end < 0) end = length + end;
  if (start < 0) start = 0;
  if (start > end || start >= length) return undefined;
  if (end >= length) end = length - 1;
  return [start, end];
}

/** A packed list's element count and listpack size, written into its header at `start`. */
function writeCounts(buf: Bytes, start: number, count: number, lpSize: number): void {
  buf.writeUInt32LE(count, start + COUNT_AT);
  buf.writeUInt32LE(lpSize, start + LP_SIZE_AT);
}

/** insertPacked's answer when the pivot is missing: a length no insert gives (it makes at least two). */
export const NO_PIVOT = 1;

/** LINSERT's element, as pushPacked takes elements (reused). */
const insertedElement = new LoneArgument(4);

/** removePacked's matches (reused). */
const matchStarts: number[] = [];

function lengthBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : 5;
}

/** The most bytes a node holds under list-max-listpack-size `fill`. */
function nodeBytesOf(fill: number): number {
  return fill < 0 ? NODE_BYTES[Math.min(-fill, NODE_BYTES.length) - 1]! : SIZE_SAFETY_LIMIT;
}

/** Whether a node of `size` bytes and `count` elements is past list-max-listpack-size `fill`. */
function nodeFullAt(fill: number, size: number, count: number): boolean {
  return fill < 0 ? size > nodeBytesOf(fill) : size > SIZE_SAFETY_LIMIT || count >= fill;
}

/** An element being loaded (ListValue.loadPacked), reused. */
const loadedElement = new ByteSlice();

/** Bytes an element of `n` bytes takes in a node. */
function encodedSize(n: number): number {
  return n + 2 * lengthBytes(n);
}

/**
 * As __quicklistCompressNode compresses a node's bytes src[start, end): the length of their
 * LZF form, left in lzfOutput(), or -1 when the node stays raw (under 48 bytes, or not 8
 * bytes smaller; lzf_compress's output bound is the node's size).
 */
export function quicklistLzf(src: Uint8Array, start: number, end: number): number {
  const size = end - start;
  if (size < MIN_COMPRESS_BYTES) return -1;
  const n = lzfCompressRange(src, start, end, size);
  return n > 0 && n + MIN_COMPRESS_IMPROVE < size ? n : -1;
}

/** The bytes element `s` takes in a listpack. */
function lpSizeOf(s: string | ByteSlice): number {
  return typeof s === "string" ? lpStringSize(s) : lpBytesSize(s.buf, s.start, s.end);
}

/** Write element `s` (a string, or bytes of a request) at `at`; returns the position after it. */
function writeElement(buf: Bytes, at: number, s: string | ByteSlice): number {
  const n = s.length;
  at = writeLength(buf, at, n);
  writeLatin1(buf, at, s);
  return writeBackLength(buf, at + n, n);
}

/** writeElement of the bytes src[start, end). */
function writeElementBytes(buf: Bytes, at: number, src: Uint8Array, start: number, end: number): number {
  const n = end - start;
  at = writeLength(buf, at, n);
  copyRange(src, start, end, buf, at);
  return writeBackLength(buf, at + n, n);
}

/** An element's length in front of it; returns where its bytes go. */
function writeLength(buf: Bytes, at: number, n: number): number {
  if (n < 0x80) buf[at++] = n;
  else if (n < 0x4000) {
    buf[at++] = 0x80 | (n >> 8);
    buf[at++] = n & 0xff;
  } else {
    buf[at++] = 0xc0;
    buf.writeUInt32LE(n, at);
    at += 4;
  }
  return at;
}

/** An element's length behind it, at `at`; returns the position after it. */
function writeBackLength(buf: Bytes, at: number, n: number): number {
  if (n < 0x80) buf[at++] = n;
  else if (n < 0x4000) {
    buf[at++] = n & 0xff;
    buf[at++] = 0x80 | (n >> 8);
  } else {
    buf.writeUInt32LE(n, at);
    at += 4;
    buf[at++] = 0xc0;
  }
  return at;
}

/** The length of the element starting at `at`, and where its bytes begin. */
function lengthAt(buf: Bytes, at: number): number {
  const b = buf[at]!;
  return b < 0x80 ? b : b < 0xc0 ? ((b & 0x3f) << 8) | buf[at + 1]! : buf.readUInt32LE(at + 1);
}

/** Where the element after the one at `at` starts. */
function nextPacked(buf: Bytes, at: number): number {
  const n = lengthAt(buf, at);
  return at + n + 2 * lengthBytes(n);
}

/** The length of the element ending just before `end`. */
function lengthBefore(buf: Bytes, end: number): number {
  const b = buf[end - 1]!;
  return b < 0x80 ? b : b < 0xc0 ? ((b & 0x3f) << 8) | buf[end - 2]! : buf.readUInt32LE(end - 5);
}

/**
 * The elements of buf[start, end) (`count` of them) equal to value[valueStart, valueEnd),
 * among the first `limit` from the head (from the tail when `fromTail`): `visit` is given
 * where each starts and how many elements the walk passed before it, until it returns
 * false. Returns how many elements were looked at, or -1 when `visit` stopped the walk
 * (LPOS's walk of a node, or of a list held packed).
 */
function eachEqual(
  buf: Bytes, start: number, end: number, count: number, fromTail: boolean, limit: number,
  value: Uint8Array, valueStart: number, valueEnd: number, visit: (at: number, e: number) => boolean,
): number {
  const n = valueEnd - valueStart;
  const most = Math.min(limit, count);
  let pos = fromTail ? end : start;
  for (let e = 0; e < most; e++) {
    let at = pos;
    if (fromTail) at = pos = pos - encodedSize(lengthBefore(buf, pos));
    const len = lengthAt(buf, at);
    if (!fromTail) pos = at + encodedSize(len);
    if (len !== n) continue;
    const from = at + lengthBytes(len);
    if (rangesEqual(buf, from, from + n, value, valueStart, valueEnd) && !visit(at, e)) return -1;
  }
  return most;
}

class Node {
  /**
   * The bytes the elements would take as a listpack (Redis's node->sz), which decides where
   * a push starts a new node as quicklist decides it (ListValue.fits).
   */
  lpSize = LISTPACK_EMPTY_SIZE;
  /** While compressed: the LZF form of the elements, `buf` is empty and `rawSize` their size. */
  lzf: Uint8Array | null = null;
  rawSize = 0;
  /** Compression was tried on these bytes and did not pay (quicklist's attempted_compress). */
  tried = false;

  /** Elements lie in buf[start, end). */
  constructor(
    public buf: Bytes,
    public start: number,
    public end: number,
    public count: number,
  ) {}

  compress(): void {
    if (this.lzf !== null || this.tried) return;
    this.tried = true;
    const n = quicklistLzf(this.buf, this.start, this.end);
    if (n < 0) return;
    this.lzf = lzfOutput().slice(0, n);
    this.rawSize = this.end - this.start;
    this.buf = NO_BYTES;
    this.start = this.end = 0;
  }

  /** Make the elements readable (a no-op unless compressed). */
  open(): void {
    const lzf = this.lzf;
    if (lzf === null) return;
    const buf = allocBytes(this.rawSize);
    lzfDecompressInto(lzf, 0, lzf.length, this.rawSize, buf);
    this.buf = buf;
    this.start = 0;
    this.end = this.rawSize;
    this.lzf = null;
    this.tried = false;
  }

  static empty(room: number, atHead: boolean): Node {
    const node = new Node(NO_BYTES, 0, 0, 0);
    node.reset(room, atHead);
    return node;
  }

  /** Empty, with a buffer of at least `room` bytes whose free room is at the head or the tail. */
  reset(room: number, atHead: boolean): void {
    let size = MIN_NODE;
    while (size < room) size *= 2;
    this.buf = allocBytes(size);
    this.start = this.end = atHead ? size : 0;
    this.count = 0;
    this.lpSize = LISTPACK_EMPTY_SIZE;
    this.lzf = null;
    this.tried = false;
  }

  /** Take over `other`'s bytes (which it no longer owns). */
  takeFrom(other: Node): void {
    this.buf = other.buf;
    this.start = other.start;
    this.end = other.end;
    this.count = other.count;
    this.lpSize = other.lpSize;
    this.lzf = other.lzf;
    this.rawSize = other.rawSize;
    this.tried = other.tried;
  }

  get used(): number {
    return this.lzf !== null ? this.rawSize : this.end - this.start;
  }

  /** Make room for `n` more bytes at the head or the tail. */
  private room(n: number, atHead: boolean): void {
    const used = this.used;
    const free = atHead ? this.start : this.buf.length - this.end;
    if (free >= n) return;
    let size = this.buf.length;
    while (size < used + n) size *= 2;
    // The free room goes mostly to the end that is growing.
    const spare = size - used - n;
    const at = atHead ? n + spare - (spare >> 2) : spare >> 2;
    if (size === this.buf.length) this.buf.copyWithin(at, this.start, this.end);
    else {
      const buf = allocBytes(size);
      this.buf.copy(buf, at, this.start, this.end);
      this.buf = buf;
    }
    this.start = at;
    this.end = at + used;
  }

  addHead(s: string | ByteSlice): void {
    const n = encodedSize(s.length);
    this.room(n, true);
    this.start -= n;
    writeElement(this.buf, this.start, s);
    this.count++;
    this.lpSize += lpSizeOf(s);
    this.tried = false;
  }

  addTail(s: string | ByteSlice): void {
    this.room(encodedSize(s.length), false);
    this.end = writeElement(this.buf, this.end, s);
    this.count++;
    this.lpSize += lpSizeOf(s);
    this.tried = false;
  }

  /** The listpack size of the elements, counted from their bytes. */
  countLpSize(): void {
    let size = LISTPACK_EMPTY_SIZE;
    const buf = this.buf;
    for (let at = this.start; at < this.end; at = this.next(at)) {
      const n = lengthAt(buf, at);
      const from = at + lengthBytes(n);
      size += lpBytesSize(buf, from, from + n);
    }
    this.lpSize = size;
  }

  /** The element at byte `at`. */
  elementAt(at: number): string {
    const n = lengthAt(this.buf, at);
    const from = at + lengthBytes(n);
    return this.buf.latin1Slice(from, from + n);
  }

  /** Byte position of the element after the one at `at`. */
  next(at: number): number {
    return at + encodedSize(lengthAt(this.buf, at));
  }

  /** Byte position of the element before the one at `at`. */
  prev(at: number): number {
    return at - encodedSize(lengthBefore(this.buf, at));
  }

  /** Remove the first element: returned, or its bytes handed to `out` (then "" is returned). */
  takeHead(out?: BytesSink): string {
    const s = this.elementOut(this.start, out);
    this.start = this.next(this.start);
    this.count--;
    return s;
  }

  takeTail(out?: BytesSink): string {
    this.end = this.prev(this.end);
    this.count--;
    return this.elementOut(this.end, out);
  }

  /** The element at `at`, as it leaves the node (its listpack size goes with it). */
  private elementOut(at: number, out: BytesSink | undefined): string {
    const n = lengthAt(this.buf, at);
    const from = at + lengthBytes(n);
    this.lpSize -= lpBytesSize(this.buf, from, from + n);
    if (out === undefined) return this.buf.latin1Slice(from, from + n);
    out.bulkFrom(this.buf, from, from + n);
    return "";
  }

  /** Replace the bytes [from, to) with `elements`, packed. */
  splice(from: number, to: number, elements: string[], added: number): void {
    let n = 0;
    for (const s of elements) n += encodedSize(s.length);
    const grow = n - (to - from);
    this.count += added;
    this.tried = false;
    if (grow <= this.buf.length - this.end) {
      // In place: the elements after move within the buffer (a removal, or the room kept behind).
      this.buf.copyWithin(to + grow, to, this.end);
      let at = from;
      for (const s of elements) at = writeElement(this.buf, at, s);
      this.end += grow;
      this.countLpSize();
      return;
    }
    const head = from - this.start;
    const tail = this.end - to;
    // An eighth more, so that inserts in the middle (LINSERT) do not reallocate each time.
    const size = head + n + tail;
    const buf = allocBytes(Math.max(MIN_NODE, size + (size >> 3)));
    this.buf.copy(buf, 0, this.start, from);
    let at = head;
    for (const s of elements) at = writeElement(buf, at, s);
    this.buf.copy(buf, at, to, this.end);
    this.buf = buf;
    this.start = 0;
    this.end = at + tail;
    this.countLpSize();
  }

  copy(): Node {
    if (this.lzf !== null) {
      const node = new Node(NO_BYTES, 0, 0, this.count);
      node.lzf = this.lzf.slice();
      node.rawSize = this.rawSize;
      node.lpSize = this.lpSize;
      return node;
    }
    const buf = allocBytes(Math.max(MIN_NODE, this.used));
    this.buf.copy(buf, 0, this.start, this.end);
    const node = new Node(buf, 0, this.used, this.count);
    node.lpSize = this.lpSize;
    return node;
  }
}

/**
 * What `view` answers for a list that is its own node, made once rather than per call (a
 * small list's LRANGE or LINDEX would otherwise allocate one): read at once, never kept
 * across a call into another list, never changed by its readers.
 */
const SOLO: Node[] = [];
const NO_NODES: readonly Node[] = [];

/**
 * A list. While it fits in one node the list is that node itself (its bytes are the
 * inherited fields, `more` is null): a small list is then one object and one buffer, as a
 * Redis listpack-sized list is one quicklist node. A list of more nodes keeps them in
 * `more`, and goes back to being its own node when one is left.
 */
export class ListValue extends Node {
  /** What the keyspace's memory accounting last counted for this value (store/keyspace.ts). */
  accounted = 0;
  /** The size at which the average element size below was last sampled (-1: never). */
  sampledAt = -1;
  sampledAverage = 0;
  length = 0;
  /** The nodes, when more than one; null while the list is its own only node. */
  private more: Node[] | null = null;
  /** A remembered position: element `posIndex` is at byte `posAt` of node `posNode` (-1: none). */
  private posNode = -1;
  private posIndex = 0;
  private posAt = 0;
  /** The index of node `posNode`'s first element. */
  private posBase = 0;
  /** list-max-listpack-size and list-compress-depth when the list was made. */
  private fill = encodingLimits.listMaxListpackSize;
  private depth = encodingLimits.listCompressDepth;
  /** The node between the ends left open by the last walk into it, if any. */
  private opened: Node | null = null;

  constructor() {
    super(NO_BYTES, 0, 0, 0);
  }

  /** The nodes as an array: a list that was its own node moves its bytes into a first node. */
  private get nodes(): Node[] {
    if (this.more === null) {
      const first = new Node(NO_BYTES, 0, 0, 0);
      first.takeFrom(this);
      this.more = this.count === 0 ? [] : [first];
      this.buf = NO_BYTES;
      this.start = this.end = this.count = 0;
      this.lpSize = LISTPACK_EMPTY_SIZE;
    }
    return this.more;
  }

  /** The nodes, without moving anything: the list itself while it is its own node. */
  private get view(): readonly Node[] {
    if (this.more !== null) return this.more;
    if (this.count === 0) return NO_NODES;
    SOLO[0] = this;
    return SOLO;
  }

  private set nodes(nodes: Node[]) {
    this.more = nodes;
    this.fold();
  }

  /** With one node (or none) left, be that node again. */
  private fold(): void {
    const more = this.more;
    if (more === null || more.length > 1) return;
    if (more.length === 1) this.takeFrom(more[0]!);
    else {
      this.buf = NO_BYTES;
      this.start = this.end = this.count = 0;
      this.lpSize = LISTPACK_EMPTY_SIZE;
    }
    this.more = null;
    this.posNode = -1;
    this.opened = null;
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

  /** The most bytes a node holds (list-max-listpack-size). */
  get nodeBytes(): number {
    return nodeBytesOf(this.fill);
  }

  /** Whether a node of `size` bytes and `count` elements is past the list's fill. */
  nodeFull(size: number, count: number): boolean {
    return nodeFullAt(this.fill, size, count);
  }

  /**
   * Loading: a list of one node, its elements as bytes that `elements` steps through,
   * added to `out` as packBody lays them out, with no object made. False when they would
   * not stay in one node (pushes would start another where quicklist does) or there are
   * none: the caller builds the list by pushes.
   */
  static loadPacked(out: PackedBytes, elements: BytesSource): boolean {
    const fill = encodingLimits.listMaxListpackSize;
    // The header's offset from the body's start (room() may move the body).
    const at = out.end - out.start;
    const head = out.room(PACKED_HEADER);
    head.writeInt32LE(fill, out.start + at);
    head.writeUInt32LE(encodingLimits.listCompressDepth, out.start + at + 4);
    out.end += PACKED_HEADER;
    let lpSize = LISTPACK_EMPTY_SIZE;
    let count = 0;
    let fits = true;
    while (elements.next()) {
      const { src, start, end } = elements;
      const n = end - start;
      if (count > 0 && nodeFullAt(fill, lpSize + n + SIZE_ESTIMATE_OVERHEAD, count)) {
        fits = false;
        break;
      }
      const buf = out.room(encodedSize(n));
      out.end = writeElement(buf, out.end, loadedElement.of(src, start, end));
      lpSize += lpBytesSize(src, start, end);
      count++;
    }
    loadedElement.release();
    const b = out.room(0);
    writeCounts(b, out.start + at, count, lpSize);
    return fits && count > 0;
  }

  /**
   * Whether `node` takes an element of `length` bytes, as quicklist's
   * _quicklistNodeAllowInsert estimates it: the node's listpack size, the element's length
   * and 8 bytes of overhead, within the fill. Pushes then start new nodes where Redis's do.
   */
  private fits(node: Node, length: number): boolean {
    return node.count === 0 || !this.nodeFull(node.lpSize + length + SIZE_ESTIMATE_OVERHEAD, node.count);
  }

  /** Push an element, given as a string or as the bytes of a request (copied in). */
  pushHead(value: string | ByteSlice): void {
    this.posNode = -1;
    const n = encodedSize(value.length);
    if (this.more === null && (this.count === 0 || this.fits(this, value.length))) {
      if (this.count === 0) this.reset(n, true);
      this.addHead(value);
      this.length++;
      return;
    }
    const first = this.nodes[0];
    if (first !== undefined && this.fits(first, value.length)) first.addHead(value);
    else {
      // After a full node the list is long: the next is made full-sized at once.
      const node = Node.empty(first === undefined ? n : this.nodeBytes, true);
      node.addHead(value);
      this.nodes.unshift(node);
      this.settleEnds();
    }
    this.length++;
  }

  pushTail(value: string | ByteSlice): void {
    this.posNode = -1;
    const n = encodedSize(value.length);
    if (this.more === null && (this.count === 0 || this.fits(this, value.length))) {
      if (this.count === 0) this.reset(n, false);
      this.addTail(value);
      this.length++;
      return;
    }
    const last = this.nodes[this.nodes.length - 1];
    if (last !== undefined && this.fits(last, value.length)) last.addTail(value);
    else {
      const node = Node.empty(last === undefined ? n : this.nodeBytes, false);
      node.addTail(value);
      this.nodes.push(node);
      this.settleEnds();
    }
    this.length++;
  }

  /** Remove the first element: returned, or its bytes written to `out` as a bulk reply ("" returned). */
  popHead(out?: BytesSink): string | undefined {
    if (this.length === 0) return undefined;
    this.posNode = -1;
    this.length--;
    if (this.more === null) return this.popOwn(this.takeHead(out));
    const first = this.more[0]!;
    first.open();
    const value = first.takeHead(out);
    if (first.count === 0) {
      this.more.shift();
      this.settleEnds();
      this.fold();
    }
    return value;
  }

  popTail(out?: BytesSink): string | undefined {
    if (this.length === 0) return undefined;
    this.posNode = -1;
    this.length--;
    if (this.more === null) return this.popOwn(this.takeTail(out));
    const last = this.more[this.more.length - 1]!;
    last.open();
    const value = last.takeTail(out);
    if (last.count === 0) {
      this.more.pop();
      this.settleEnds();
      this.fold();
    }
    return value;
  }

  /** After a pop from the list's own node: an emptied list lets its buffer go. */
  private popOwn(value: string): string {
    if (this.count === 0) {
      this.buf = NO_BYTES;
      this.start = this.end = 0;
    }
    return value;
  }

  /** Whether node k lies between the `depth` nodes kept raw at each end (quicklist compresses those). */
  between(k: number): boolean {
    return this.depth > 0 && k >= this.depth && k < this.view.length - this.depth;
  }

  /**
   * After nodes were added or removed at an end: the end nodes raw, and the nodes that just
   * moved to between them compressed (quicklist's __quicklistCompress).
   */
  private settleEnds(): void {
    const d = this.depth;
    if (d === 0) return;
    const nodes = this.view;
    const n = nodes.length;
    for (let i = 0; i < d && i < n; i++) {
      nodes[i]!.open();
      nodes[n - 1 - i]!.open();
    }
    if (this.opened !== null && !this.isBetween(this.opened)) this.opened = null;
    if (this.between(d) && nodes[d] !== this.opened) nodes[d]!.compress();
    if (this.between(n - 1 - d) && nodes[n - 1 - d] !== this.opened) nodes[n - 1 - d]!.compress();
  }

  /** After changes anywhere: every node between the ends compressed but the open one. */
  private settleAll(): void {
    if (this.depth === 0) return;
    this.settleEnds();
    const nodes = this.view;
    for (let k = this.depth; k < nodes.length - this.depth; k++) if (nodes[k] !== this.opened) nodes[k]!.compress();
  }

  /** Whether `node` (once opened) is still between the ends: not among the end nodes. */
  private isBetween(node: Node): boolean {
    const nodes = this.view;
    const n = nodes.length;
    if (n <= 2 * this.depth) return false;
    for (let i = 0; i < this.depth; i++) if (nodes[i] === node || nodes[n - 1 - i] === node) return false;
    return true;
  }

  /** Node k, readable: a compressed node is opened, and the one opened before closed again. */
  private use(k: number): Node {
    const node = this.view[k]!;
    if (node.lzf !== null) {
      const before = this.opened;
      if (before !== null && before !== node && this.isBetween(before)) before.compress();
      node.open();
      this.opened = node;
    }
    return node;
  }

  /** Set the remembered position to element `index`; returns its node. */
  private seek(index: number): Node {
    const nodes = this.view;
    // (Unless a walk since has closed the remembered node again.)
    if (this.posNode >= 0 && nodes[this.posNode]!.lzf === null) {
      const node = nodes[this.posNode]!;
      // Within the remembered node, step from the remembered element.
      if (index >= this.posBase && index < this.posBase + node.count && Math.abs(index - this.posIndex) <= node.count >> 1) {
        while (this.posIndex < index) this.posAt = node.next(this.posAt), this.posIndex++;
        while (this.posIndex > index) this.posAt = node.prev(this.posAt), this.posIndex--;
        return node;
      }
      // Into the next node, as a walk in order does.
      const after = nodes[this.posNode + 1];
      if (after !== undefined && index === this.posBase + node.count) {
        this.use(this.posNode + 1);
        this.posNode++;
        this.posBase = index;
        this.posIndex = index;
        this.posAt = after.start;
        return after;
      }
    }
    let k: number;
    let base: number;
    if (index < this.length >> 1) {
      for (k = 0, base = 0; index >= base + nodes[k]!.count; k++) base += nodes[k]!.count;
    } else {
      for (k = nodes.length - 1, base = this.length - nodes[k]!.count; index < base; ) base -= nodes[--k]!.count;
    }
    const node = this.use(k);
    this.posNode = k;
    this.posBase = base;
    if (index - base <= node.count >> 1) {
      this.posAt = node.start;
      for (let i = base; i < index; i++) this.posAt = node.next(this.posAt);
    } else {
      this.posAt = node.end;
      for (let i = base + node.count; i > index; i--) this.posAt = node.prev(this.posAt);
    }
    this.posIndex = index;
    return node;
  }

  at(index: number): string {
    return this.seek(index).elementAt(this.posAt);
  }

  set(index: number, value: string): void {
    const node = this.seek(index);
    node.splice(this.posAt, node.next(this.posAt), [value], 0);
    this.posNode = -1;
  }

  /** Insert before position `index` (0..length). */
  insert(index: number, value: string): void {
    if (index === 0) return this.pushHead(value);
    if (index === this.length) return this.pushTail(value);
    const node = this.seek(index);
    const k = this.posNode;
    node.splice(this.posAt, this.posAt, [value], 1);
    this.length++;
    this.posNode = -1;
    // A node grown past twice the limit is split in two, as quicklist splits a full node.
    if (node.used > 2 * this.nodeBytes || (this.fill > 0 && node.count > 2 * this.fill)) {
      const items = [...nodeElements(node)];
      const half = items.length >> 1;
      this.nodes.splice(k, 1, packed(items.slice(0, half)), packed(items.slice(half)));
      if (this.opened === node) this.opened = null;
      this.settleAll();
    }
  }

  /** Remove element `index` (in range), as quicklistDelIndex does: a node left empty goes. */
  removeAt(index: number): void {
    if (index === 0) return void this.popHead();
    if (index === this.length - 1) return void this.popTail();
    const node = this.seek(index);
    const k = this.posNode;
    node.splice(this.posAt, node.next(this.posAt), [], -1);
    this.length--;
    this.posNode = -1;
    if (node.count > 0) return;
    this.nodes.splice(k, 1);
    if (this.opened === node) this.opened = null;
    this.settleAll();
    this.fold();
  }

  /** Keep only [start, end] (inclusive, in range), as LTRIM does. */
  trim(start: number, end: number): void {
    let dropTail = this.length - 1 - end;
    while (dropTail > 0) {
      const last = this.nodes[this.nodes.length - 1]!;
      if (last.count <= dropTail) {
        this.nodes.pop();
        this.length -= last.count;
        dropTail -= last.count;
      } else {
        this.popTail();
        dropTail--;
      }
    }
    let dropHead = start;
    while (dropHead > 0) {
      const first = this.nodes[0]!;
      if (first.count <= dropHead) {
        this.nodes.shift();
        this.length -= first.count;
        dropHead -= first.count;
      } else {
        this.popHead();
        dropHead--;
      }
    }
    this.posNode = -1;
    this.settleEnds();
    this.fold();
  }

  /** Keep the elements `keep` says yes to, in order; returns how many were removed. */
  filter(keep: (value: string, index: number) => boolean): number {
    const n = this.length;
    const kept: string[] = [];
    let i = 0;
    for (const v of this) if (keep(v, i++)) kept.push(v);
    if (kept.length === n) return 0;
    this.nodes = [];
    this.length = 0;
    this.posNode = -1;
    this.opened = null;
    for (const v of kept) this.pushTail(v);
    return n - kept.length;
  }

  /** The elements [start, end] (inclusive, in range) as an array. */
  range(start: number, end: number): string[] {
    const out = new Array<string>(Math.max(0, end - start + 1));
    for (let i = start; i <= end; i++) out[i - start] = this.at(i);
    return out;
  }

  /**
   * Elements [start, end] (inclusive, in range) written to `out` as bulk strings straight
   * from the nodes' bytes (LRANGE), with no string made of them.
   */
  writeRange(start: number, end: number, out: BytesSink): void {
    let node = this.seek(start);
    let k = this.posNode;
    let at = this.posAt;
    for (let i = start; i <= end; i++) {
      while (at >= node.end) {
        node = this.use(++k);
        at = node.start;
      }
      // Read here rather than through a Node method (as elementOut reads for a pop): the
      // list is a Node too, and such a call from this loop took LRANGE 0 99 from 1.3 to
      // 2.4 us in-process.
      const buf = node.buf;
      const n = lengthAt(buf, at);
      const from = at + lengthBytes(n);
      out.bulkFrom(buf, from, from + n);
      at = from + n + lengthBytes(n);
    }
  }

  clone(): ListValue {
    const list = new ListValue();
    list.fill = this.fill;
    list.depth = this.depth;
    list.nodes = this.view.map((node) => node.copy());
    list.length = this.length;
    list.settleAll();
    return list;
  }

  /** Whether the keyspace may hold this list as bytes in its cell (store/packed-values.ts): one raw node. */
  get packable(): boolean {
    return this.more === null && this.lzf === null;
  }

  /**
   * While the list is one node: its elements' bytes (counting each element's two length
   * fields as one byte each, as they are below 128 bytes), for the memory estimate.
   */
  get elementBytes(): number | undefined {
    return this.more === null ? this.used - 2 * this.count : undefined;
  }

  /** The bytes packBody writes. */
  get packedLength(): number {
    return PACKED_HEADER + this.end - this.start;
  }

  /** A packable list as [fill i32][depth u32][its node's elements] at `at` of `out`. */
  packBody(out: Bytes, at: number): void {
    out.writeInt32LE(this.fill, at);
    out.writeUInt32LE(this.depth, at + 4);
    writeCounts(out, at, this.count, this.lpSize);
    this.buf.copy(out, at + PACKED_HEADER, this.start, this.end);
  }

  /**
   * LPUSH or RPUSH on a list held packed in its key's cell (Database.editPacked): the
   * elements of `argv` from index 2 pushed at the head or the tail of its body,
   * out.buf[out.start, out.end) as packBody lays it out (empty for a new list, which takes
   * the settings in force). Returns the list's new length, or -1 when a push would start a
   * second node where quicklist does (the list is then no longer packed).
   */
  static pushPacked(out: PackedBytes, argv: ArgumentsFrom2, head: boolean): number {
    if (out.end === out.start) {
      const b = out.room(PACKED_HEADER);
      b.writeInt32LE(encodingLimits.listMaxListpackSize, out.start);
      b.writeUInt32LE(encodingLimits.listCompressDepth, out.start + 4);
      writeCounts(b, out.start, 0, LISTPACK_EMPTY_SIZE);
      out.end += PACKED_HEADER;
    }
    let b = out.buf as Bytes;
    const fill = b.readInt32LE(out.start);
    let count = b.readUInt32LE(out.start + COUNT_AT);
    let lpSize = b.readUInt32LE(out.start + LP_SIZE_AT);
    for (let i = 2; i < argv.length; i++) {
      const n = argv.len(i);
      if (count > 0 && nodeFullAt(fill, lpSize + n + SIZE_ESTIMATE_OVERHEAD, count)) return -1;
      const size = encodedSize(n);
      b = out.room(size);
      const first = out.start + PACKED_HEADER;
      if (head) b.copyWithin(first + size, first, out.end);
      writeElementBytes(b, head ? first : out.end, argv.buffer(i), argv.start(i), argv.end(i));
      out.end += size;
      lpSize += lpBytesSize(argv.buffer(i), argv.start(i), argv.end(i));
      count++;
    }
    writeCounts(b, out.start, count, lpSize);
    return count;
  }

  /**
   * LINSERT on a list held packed (Database.editPacked): argv[4] inserted before (after,
   * when `after`) the first element equal to argv[3], as insert() inserts into an object
   * (at either end as a push). Returns the new length; 0 with nothing written when there is
   * no list; NO_PIVOT, nothing written, when the pivot is missing; -1 when the list would not
   * stay one node packed (the usual way then inserts, and splits where insert() splits).
   */
  static insertPacked(out: PackedBytes, argv: Argv, after: boolean): number {
    if (out.end === out.start) return 0;
    let buf = out.buf as Bytes;
    const count = buf.readUInt32LE(out.start + COUNT_AT);
    const pivot = argv.len(3);
    let at = out.start + PACKED_HEADER;
    let index = 0;
    for (; at < out.end; index++, at = nextPacked(buf, at)) {
      const from = at + lengthBytes(pivot);
      if (lengthAt(buf, at) === pivot && rangesEqual(buf, from, from + pivot, argv.buffer(3), argv.start(3), argv.end(3))) break;
    }
    if (at === out.end) return NO_PIVOT;
    if (after) {
      index++;
      at = nextPacked(buf, at);
    }
    if (index === 0 || index === count) return ListValue.pushPacked(out, insertedElement.of(argv), index === 0);
    const n = argv.len(4);
    const size = encodedSize(n);
    const fill = buf.readInt32LE(out.start);
    if (out.end - out.start - PACKED_HEADER + size > 2 * nodeBytesOf(fill) || (fill > 0 && count + 1 > 2 * fill)) return -1;
    const offset = at - out.start;
    buf = out.room(size);
    at = out.start + offset;
    buf.copyWithin(at + size, at, out.end);
    writeElementBytes(buf, at, argv.buffer(4), argv.start(4), argv.end(4));
    out.end += size;
    writeCounts(buf, out.start, count + 1, buf.readUInt32LE(out.start + LP_SIZE_AT) + lpBytesSize(argv.buffer(4), argv.start(4), argv.end(4)));
    return count + 1;
  }

  /**
   * LSET on a list held packed (Database.editPacked): element `index` (negative from the
   * tail) replaced by argv[3] in place, as set() replaces it in a node. Returns 1; -1 with
   * nothing written when there is no list or the index is out of range (the usual way
   * answers those errors).
   */
  static setPacked(out: PackedBytes, argv: Argv, index: number): number {
    if (out.end === out.start) return -1;
    let buf = out.buf as Bytes;
    const count = buf.readUInt32LE(out.start + COUNT_AT);
    const i = index < 0 ? count + index : index;
    if (i < 0 || i >= count) return -1;
    let at = out.start + PACKED_HEADER;
    for (let k = 0; k < i; k++) at = nextPacked(buf, at);
    const old = lengthAt(buf, at);
    const oldSize = encodedSize(old);
    const lpSize = buf.readUInt32LE(out.start + LP_SIZE_AT) - lpBytesSize(buf, at + lengthBytes(old), at + lengthBytes(old) + old) + lpBytesSize(argv.buffer(3), argv.start(3), argv.end(3));
    const size = encodedSize(argv.len(3));
    const offset = at - out.start;
    buf = out.room(Math.max(0, size - oldSize));
    at = out.start + offset;
    buf.copyWithin(at + size, at + oldSize, out.end);
    writeElementBytes(buf, at, argv.buffer(3), argv.start(3), argv.end(3));
    out.end += size - oldSize;
    buf.writeUInt32LE(lpSize, out.start + LP_SIZE_AT);
    return 1;
  }

  /**
   * LPOP or RPOP of one element from a list held packed (Database.editPacked): the element
   * at the head or tail of its body, out.buf[out.start, out.end), written to `reply` and
   * taken off; the last one empties the key (`out.emptied`). Returns 1, or 0 with nothing
   * written when there is no list (editPacked's missing key).
   */
  static popPacked(out: PackedBytes, head: boolean, reply: BytesSink): number {
    const buf = out.buf as Bytes;
    const first = out.start + PACKED_HEADER;
    if (first >= out.end) return 0;
    const n = head ? lengthAt(buf, first) : lengthBefore(buf, out.end);
    const size = n + 2 * lengthBytes(n);
    const at = head ? first : out.end - size;
    const from = at + lengthBytes(n);
    reply.bulkFrom(buf, from, from + n);
    if (first + size === out.end) {
      out.emptied = true;
      return 1;
    }
    const lpSize = buf.readUInt32LE(out.start + LP_SIZE_AT) - lpBytesSize(buf, from, from + n);
    // room() may move the body: its offsets are taken again after it.
    const b = out.room(0);
    const start = out.start + PACKED_HEADER;
    if (head) b.copyWithin(start, start + size, out.end);
    out.end -= size;
    writeCounts(b, out.start, b.readUInt32LE(out.start + COUNT_AT) - 1, lpSize);
    return 1;
  }

  /**
   * LTRIM of a list held packed (Database.editPacked): its body, out.buf[out.start,
   * out.end), keeps elements `start` to `end` only (indexes as LTRIM takes them, negative
   * from the tail); keeping none empties the key (`out.emptied`). Returns how many were
   * removed (0 with nothing written when there is no list).
   */
  static trimPacked(out: PackedBytes, start: number, end: number): number {
    if (out.end === out.start) return 0;
    const count = ListValue.packedCount(out);
    const range = clampRange(start, end, count);
    if (range === undefined) {
      out.emptied = true;
      return count;
    }
    const removed = count - (range[1] - range[0] + 1);
    if (removed === 0) return 0;
    // The kept elements' bytes, as offsets from the body.
    const buf = out.buf as Bytes;
    let from = out.start + PACKED_HEADER;
    for (let i = 0; i < range[0]; i++) from = nextPacked(buf, from);
    let to = from;
    let lpSize = LISTPACK_EMPTY_SIZE;
    for (let i = range[0]; i <= range[1]; i++) {
      const n = lengthAt(buf, to);
      const element = to + lengthBytes(n);
      lpSize += lpBytesSize(buf, element, element + n);
      to = element + n + lengthBytes(n);
    }
    const keepFrom = from - out.start;
    const keepTo = to - out.start;
    const b = out.room(0);
    b.copyWithin(out.start + PACKED_HEADER, out.start + keepFrom, out.start + keepTo);
    out.end = out.start + PACKED_HEADER + keepTo - keepFrom;
    writeCounts(b, out.start, count - removed, lpSize);
    return removed;
  }

  /**
   * LREM of a list held packed (Database.editPacked): up to `count` elements equal to
   * value[valueStart, valueEnd) taken out of its body, from the head (from the tail when
   * `count` is negative; every one when 0); the last one empties the key (`out.emptied`).
   * Returns how many were removed.
   */
  static removePacked(out: PackedBytes, count: number, value: Uint8Array, valueStart: number, valueEnd: number): number {
    const first = out.start + PACKED_HEADER;
    if (first >= out.end) return 0;
    let buf = out.buf as Bytes;
    const n = valueEnd - valueStart;
    // The matches' offsets from the body, in order.
    const found = matchStarts;
    found.length = 0;
    for (let at = first; at < out.end; at = nextPacked(buf, at)) {
      const from = at + lengthBytes(n);
      if (lengthAt(buf, at) === n && rangesEqual(buf, from, from + n, value, valueStart, valueEnd)) found.push(at - out.start);
    }
    const limit = count === 0 ? found.length : Math.min(Math.abs(count), found.length);
    if (limit === 0) return 0;
    const skip = count < 0 ? found.length - limit : 0;
    const size = n + 2 * lengthBytes(n);
    buf = out.room(0);
    // Close each gap in turn, moving the bytes between it and the next one.
    let write = out.start + found[skip]!;
    for (let k = skip; k < skip + limit; k++) {
      const next = k + 1 < skip + limit ? out.start + found[k + 1]! : out.end;
      const from = out.start + found[k]! + size;
      buf.copyWithin(write, from, next);
      write += next - from;
    }
    out.end = write;
    if (out.end === out.start + PACKED_HEADER) out.emptied = true;
    writeCounts(buf, out.start, buf.readUInt32LE(out.start + COUNT_AT) - limit, buf.readUInt32LE(out.start + LP_SIZE_AT) - limit * lpBytesSize(value, valueStart, valueEnd));
    return limit;
  }

  /** How many elements a list held packed has (Database.packedForRead's view of its body). */
  static packedCount(body: ByteSlice): number {
    return body.end === body.start ? 0 : (body.buf as Bytes).readUInt32LE(body.start + COUNT_AT);
  }

  /**
   * LPOS on a list held packed (Database.packedForRead's view of its body): the index
   * (from the head) of each element equal to value[valueStart, valueEnd), walking from the
   * head or the tail over at most `maxlen` elements (0: all), to `found` until it returns
   * false, as positions() walks an object.
   */
  static packedPositions(body: ByteSlice, value: Uint8Array, valueStart: number, valueEnd: number, fromTail: boolean, maxlen: number, found: (index: number) => boolean): void {
    const count = ListValue.packedCount(body);
    const limit = maxlen === 0 ? count : Math.min(maxlen, count);
    eachEqual(body.buf as Bytes, body.start + PACKED_HEADER, body.end, count, fromTail, limit, value, valueStart, valueEnd, (_, e) => found(fromTail ? count - 1 - e : e));
  }

  /** Elements `from` to `to` (inclusive, in range) of a list held packed, in turn, to `out`. */
  static writePackedRange(body: ByteSlice, from: number, to: number, out: BytesSink): void {
    const buf = body.buf as Bytes;
    for (let at = body.start + PACKED_HEADER, i = 0; i <= to; i++) {
      const n = lengthAt(buf, at);
      const start = at + lengthBytes(n);
      if (i >= from) out.bulkFrom(buf, start, start + n);
      at = start + n + lengthBytes(n);
    }
  }

  /** The elements packBody wrote at buf[start, end), in turn, to `out` (a save, with no object made). */
  static writePacked(buf: Bytes, start: number, end: number, out: BytesSink): void {
    for (let at = start + PACKED_HEADER; at < end; ) {
      const n = lengthAt(buf, at);
      const from = at + lengthBytes(n);
      out.bulkFrom(buf, from, from + n);
      at = from + n + lengthBytes(n);
    }
  }

  /** The list packBody wrote at buf[start, end). */
  static unpack(buf: Bytes, start: number, end: number): ListValue {
    const list = new ListValue();
    list.fill = buf.readInt32LE(start);
    list.depth = buf.readUInt32LE(start + 4);
    const n = end - start - PACKED_HEADER;
    if (n === 0) return list;
    // With room for a few pushes at the tail, as a command opening a list is likely to push.
    list.buf = allocBytes(Math.max(MIN_NODE, n + (n >> 1)));
    buf.copy(list.buf, 0, start + PACKED_HEADER, end);
    list.end = n;
    list.count = list.length = buf.readUInt32LE(start + COUNT_AT);
    list.lpSize = buf.readUInt32LE(start + LP_SIZE_AT);
    return list;
  }

  /**
   * What DEBUG OBJECT shows of a quicklist: its nodes, fill, whether it compresses, and the
   * bytes its nodes take uncompressed as listpacks (ql_uncompressed_size, the sum of
   * Redis's node->sz).
   */
  get layout(): { nodes: number; fill: number; compressed: boolean; rawBytes: number } {
    let rawBytes = 0;
    for (const node of this.view) rawBytes += node.lpSize;
    return { nodes: this.view.length, fill: this.fill, compressed: this.depth !== 0, rawBytes };
  }

  /**
   * DEBUG QUICKLIST: the list and its nodes in the lines Redis's quicklistRepr prints, each
   * node PACKED (KVIS has no plain nodes), RAW or LZF, its size as a listpack (node->sz);
   * with `full`, each node's elements (as quoted strings: KVIS's nodes are not listpacks).
   */
  repr(full: boolean, quote: (element: string) => string): string {
    const nodes = this.view;
    const lines = [`{count : ${this.length}}`, `{len : ${nodes.length}}`, `{fill : ${this.fill}}`, `{compress : ${this.depth}}`, "{bookmark_count : 0}"];
    for (let k = 0; k < nodes.length; k++) {
      const node = nodes[k]!;
      const encoding = node.lzf !== null ? "LZF" : "RAW";
      lines.push(`{quicklist node(${k})`, `{container : PACKED, encoding: ${encoding}, size: ${node.lpSize}, count: ${node.count}, recompress: 0, attempted_compress: ${node.tried ? 1 : 0}}`);
      if (!full) continue;
      lines.push("{ elements:");
      for (const element of nodeElements(this.use(k))) lines.push(`  ${quote(element)}`);
      lines.push("}", "}");
    }
    if (full) this.closeOpened();
    return `${lines.join("\n")}\n`;
  }

  get nodeCount(): number {
    return this.view.length;
  }

  /**
   * Node k's elements as bytes to `out`, in order (a dump writes each node as a listpack).
   * After a walk over the nodes, `walked()` compresses the one left open again.
   */
  writeNode(k: number, out: BytesSink): void {
    const node = this.use(k);
    const buf = node.buf;
    for (let at = node.start; at < node.end; at = node.next(at)) {
      const n = lengthAt(buf, at);
      const from = at + lengthBytes(n);
      out.bulkFrom(buf, from, from + n);
    }
  }

  walked(): void {
    this.closeOpened();
  }

  /**
   * Node k as Redis's quicklist holds it: laid out as a listpack in `lp` (its bytes are
   * lp.buffer[0, the size returned)), and `nodeLzf` set to the length of its LZF form in
   * lzfOutput() when quicklist keeps it compressed (between the ends, where it shrinks
   * enough), else -1. A dump writes it so and MEMORY USAGE sizes it so; call walked()
   * after the last.
   */
  nodeForm(k: number, lp: ListpackWriter): number {
    lp.reset();
    this.writeNode(k, lp.sink);
    const size = lp.close();
    this.nodeLzf = this.between(k) ? quicklistLzf(lp.buffer, 0, size) : -1;
    return size;
  }

  /** What nodeForm found of the node's compression. */
  nodeLzf = -1;

  /** Bytes compression saves on node k: what its elements would take raw less what they take. */
  nodeSavings(k: number): number {
    const node = this.view[k];
    return node?.lzf != null ? node.rawSize - node.lzf.length : 0;
  }

  /** Bytes compression saves on the whole list. */
  get compressedSavings(): number {
    let saved = 0;
    for (let k = 0; k < this.view.length; k++) saved += this.nodeSavings(k);
    return saved;
  }

  /**
   * LPOS's walk: the index of each element equal to value[valueStart, valueEnd) (a
   * request's bytes), from the head (or the tail), among the first `maxlen` looked at (0:
   * all), handed to `found` until it returns false. Elements are compared where they are
   * kept, with no string made for each.
   */
  positions(value: Uint8Array, valueStart: number, valueEnd: number, fromTail: boolean, maxlen: number, found: (index: number) => boolean): void {
    const nodes = this.view;
    let left = maxlen === 0 ? this.length : Math.min(maxlen, this.length);
    // The index of the node's first element (past its last, from the tail).
    let base = fromTail ? this.length : 0;
    for (let j = 0; j < nodes.length && left > 0; j++) {
      const k = fromTail ? nodes.length - 1 - j : j;
      const node = this.use(k);
      const walked = eachEqual(node.buf, node.start, node.end, node.count, fromTail, left, value, valueStart, valueEnd, (at, e) => {
        // Remembered, so that LINSERT's insert there needs no walk of its own.
        const index = fromTail ? base - 1 - e : base + e;
        this.posNode = k;
        this.posBase = fromTail ? base - node.count : base;
        this.posIndex = index;
        this.posAt = at;
        return found(index);
      });
      if (walked < 0) return;
      left -= walked;
      base += fromTail ? -node.count : node.count;
    }
  }

  *[Symbol.iterator](): IterableIterator<string> {
    for (let k = 0; k < this.view.length; k++) yield* nodeElements(this.use(k));
    this.closeOpened();
  }

  /** After a whole walk (a save, a copy): leave no node between the ends open behind it. */
  private closeOpened(): void {
    const last = this.opened;
    if (last !== null && this.isBetween(last)) {
      last.compress();
      this.opened = null;
    }
  }
}

function* nodeElements(node: Node): IterableIterator<string> {
  for (let at = node.start; at < node.end; at = node.next(at)) yield node.elementAt(at);
}

function packed(items: string[]): Node {
  const node = Node.empty(0, false);
  for (const s of items) node.addTail(s);
  return node;
}
