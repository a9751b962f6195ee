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

/** The slot of a key held as a latin1 string (one char a byte). */
export function stringKeySlot(key: string): number {
  const bytes = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) bytes[i] = key.charCodeAt(i);
  return keyHashSlot(bytes);
}
