/**
 * Access times and frequencies for the LRU and LFU maxmemory policies, in Redis's terms
 * (evict.c): an LRU clock in seconds, and an LFU entry packing a logarithmic 8-bit access
 * counter with the minute it last decayed, `(minutes << 8) | counter`.
 */
import { now } from "../clock.ts";

/** Redis's LFU_INIT_VAL: the counter of a new key, so that it is not evicted before it is used. */
export const LFU_INIT_VAL = 5;

/** LRU_CLOCK: seconds. */
export function lruClock(): number {
  return Math.floor(now() / 1000);
}

function minutes(): number {
  return Math.floor(now() / 60000) & 0xffff;
}

/** A new key's LFU entry. */
export function lfuNew(): number {
  return minutes() * 256 + LFU_INIT_VAL;
}

/**
 * The LFU entry of a key made before the policy turned to LFU: no access counted. Redis
 * reads the LRU clock such a key holds as an entry stamped long ago, decayed to 0.
 */
export function lfuUncounted(): number {
  return minutes() * 256;
}

/** LFUDecrAndReturn: the counter after one decrement per `decayTime` minutes idle. */
export function lfuCounter(entry: number, decayTime: number): number {
  const counter = entry & 255;
  const stamp = Math.floor(entry / 256);
  const current = minutes();
  const elapsed = current >= stamp ? current - stamp : 65535 - stamp + current;
  const periods = decayTime > 0 ? Math.floor(elapsed / decayTime) : 0;
  return periods > counter ? 0 : counter - periods;
}

/** An access: decay, then a logarithmic increment (LFULogIncr), stamped now. */
export function lfuTouch(entry: number, logFactor: number, decayTime: number): number {
  let counter = lfuCounter(entry, decayTime);
  if (counter < 255) {
    const base = Math.max(0, counter - LFU_INIT_VAL);
    if (Math.random() < 1 / (base * logFactor + 1)) counter++;
  }
  return minutes() * 256 + counter;
}
