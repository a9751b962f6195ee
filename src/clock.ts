/**
 * The server's cached clock. Redis reads the time once per event-loop turn and every
 * command in that turn sees the same "now"; KVIS does the same so that a pipeline of
 * commands agrees on which keys have expired. Tests replace the source with a fake clock.
 * Nothing else in the server may call Date.now() for expiry decisions.
 */

let source: () => number = Date.now;
let cached = source();

/** The cached time in milliseconds since the epoch. */
export function now(): number {
  return cached;
}

/** Re-read the time source; called at the start of each socket read and cron tick. */
export function updateClock(): number {
  cached = source();
  return cached;
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
