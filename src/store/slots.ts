/**
 * Hash slots (Redis's keyHashSlot): a key's slot is CRC16 (XMODEM: polynomial 0x1021,
 * initial value 0) of the key modulo 16384, or of its hash tag, the bytes between the
 * first "{" and the first "}" after it when that is not empty, so that keys sharing a tag
 * share a slot. Keys are byte strings; in the keyspace they are latin1 strings, one char
 * a byte, so both forms hash the same.
 */
export const CLUSTER_SLOTS = 16384;

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/** CRC16 (XMODEM) of buf[start, end). */
export function crc16(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ buf[i]!) & 0xff]!;
  return crc;
}

/** The slot of the key buf[start, end). */
export function keyHashSlot(buf: Uint8Array, start = 0, end = buf.length): number {
  let open = start;
  while (open < end && buf[open] !== 0x7b) open++;
  if (open < end) {
    let close = open + 1;
    while (close < end && buf[close] !== 0x7d) close++;
    if (close < end && close !== open + 1) return crc16(buf, open + 1, close) & (CLUSTER_SLOTS - 1);
  }
  return crc16(buf, start, end) & (CLUSTER_SLOTS - 1);
}

/** The slot of a key held as a latin1 string, without copying it to bytes. */
export function stringSlot(key: string): number {
  const end = key.length;
  let open = 0;
  while (open < end && key.charCodeAt(open) !== 0x7b) open++;
  let from = 0;
  let to = end;
  if (open < end) {
    let close = open + 1;
    while (close < end && key.charCodeAt(close) !== 0x7d) close++;
    if (close < end && close !== open + 1) {
      from = open + 1;
      to = close;
    }
  }
  let crc = 0;
  for (let i = from; i < to; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ key.charCodeAt(i)) & 0xff]!;
  return crc & (CLUSTER_SLOTS - 1);
}

/**
 * A cluster node's keys by hash slot (Redis's slots_to_keys): for each slot of the key
 * table, the key's hash slot and its neighbours in that hash slot's list, so COUNTKEYSINSLOT
 * is a read and GETKEYSINSLOT walks only the slot's keys (a reshard asks for every slot).
 * 10 bytes a table slot, only on a cluster node's database. The table calls add and
 * remove as keys come and go, and moveTo as a rebuild moves them.
 */
export class SlotIndex {
  readonly counts = new Uint32Array(CLUSTER_SLOTS);
  private readonly heads = new Int32Array(CLUSTER_SLOTS).fill(-1);
  private hashSlot: Uint16Array;
  private next: Int32Array;
  private prev: Int32Array;

  constructor(capacity: number) {
    this.hashSlot = new Uint16Array(capacity);
    this.next = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
  }

  static readonly BYTES_PER_SLOT = 10;

  add(at: number, hashSlot: number): void {
    const head = this.heads[hashSlot]!;
    this.hashSlot[at] = hashSlot;
    this.next[at] = head;
    this.prev[at] = -1;
    if (head >= 0) this.prev[head] = at;
    this.heads[hashSlot] = at;
    this.counts[hashSlot]!++;
  }

  remove(at: number): void {
    const hashSlot = this.hashSlot[at]!;
    const next = this.next[at]!;
    const prev = this.prev[at]!;
    if (prev >= 0) this.next[prev] = next;
    else this.heads[hashSlot] = next;
    if (next >= 0) this.prev[next] = prev;
    this.counts[hashSlot]!--;
  }

  /** Each table slot's key's hash slot (reset starts new arrays: this one stays as it is). */
  get hashSlots(): Uint16Array {
    return this.hashSlot;
  }

  /** Start over for a table of `capacity` slots, empty (the table adds back what it keeps). */
  reset(capacity: number): void {
    this.hashSlot = new Uint16Array(capacity);
    this.next = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.heads.fill(-1);
    this.counts.fill(0);
  }

  /** Table slots of the keys in `hashSlot`, at most `max`. */
  keysOf(hashSlot: number, max: number): number[] {
    const out: number[] = [];
    for (let at = this.heads[hashSlot]!; at >= 0 && out.length < max; at = this.next[at]!) out.push(at);
    return out;
  }
}
