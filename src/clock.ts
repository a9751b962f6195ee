/**
 * The server's cached clock, read at the start of each read from a socket, so that a
 * pipeline of commands agrees on which keys have expired, and again after a command that
 * took a millisecond or more (refreshClockAfter); Redis reads it for every command. Tests
 * replace the source with a fake clock. Nothing else in the server may call Date.now() for
 * expiry decisions.
 */

let source: () => number = Date.now;
let cached = source();

/** The cached time in milliseconds since the epoch. */
export function now(): number {
  return cached;
}

/** When the time was last read, on performance.now()'s scale. */
let readAt = performance.now();

/** Re-read the time source; called at the start of each socket read and cron tick. */
export function updateClock(): number {
  cached = source();
  readAt = performance.now();
  return cached;
}

/**
 * A command ended at `perfNow` (performance.now(), as the slow log read it): if a
 * millisecond has passed since the time was read, read it again, so that the next command
 * of the same read sees the time a long command (DEBUG SLEEP, KEYS) took, as Redis reads
 * the time for every command.
 */
export function refreshClockAfter(perfNow: number): void {
  if (perfNow - readAt >= 1) updateClock();
}

/**
 * Inside EXEC, whose commands all see the time it started at, a script sees the time it
 * starts at, as in Redis: the time is read afresh for it, and the held one (returned) is
 * put back after it with restoreClock.
 */
export function readClockAfresh(): number {
  const held = cached;
  updateClock();
  return held;
}

/** Put back the time readClockAfresh returned. */
export function restoreClock(held: number): void {
  cached = held;
}

/** Swap the time source (tests only); returns a function restoring the real clock. */
export function useClockSource(fn: () => number): () => void {
  source = fn;
  cached = fn();
  return () => {
    source = Date.now;
    cached = source();
  };
}
