/**
 * Sampling keys without random access: a JavaScript Map has none, so a sample reads the
 * next keys of cursors going round the Map (eviction's stand-in for Redis's
 * dictGetSomeKeys). The cursors start spread evenly over the Map (one walk, the first
 * time), so a sample draws from all of it at once rather than from one neighbourhood; they
 * are kept per Map, so they follow it when SWAPDB moves it to another database.
 */

/** Cursors each sampled Map is read with. */
const CURSORS = 4;

const cursorsOf = new WeakMap<Map<string, unknown>, Iterator<string>[]>();

/** `count` iterators over the keys of `keys`, started at even intervals. */
function spreadCursors(keys: Map<string, unknown>, count: number): Iterator<string>[] {
  const cursors: Iterator<string>[] = [];
  const step = Math.floor(keys.size / count);
  for (let i = 0; i < count; i++) {
    const cursor = keys.keys();
    for (let k = 0; k < i * step; k++) cursor.next();
    cursors.push(cursor);
  }
  return cursors;
}

/**
 * Up to `n` keys of `keys`, taken in turn from the cursors, each after skipping `skip`;
 * a small Map is gone round as often as it takes, an empty one yields nothing.
 */
export function sampleKeys(keys: Map<string, unknown>, n: number, skip: number): string[] {
  let cursors = cursorsOf.get(keys);
  if (cursors === undefined) {
    cursors = spreadCursors(keys, CURSORS);
    cursorsOf.set(keys, cursors);
  }
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    const at = i % CURSORS;
    let key: string | undefined;
    for (let step = 0; step <= skip; step++) {
      let next = cursors[at]!.next();
      if (next.done) {
        cursors[at] = keys.keys();
        next = cursors[at]!.next();
        if (next.done) return out;
      }
      key = next.value;
    }
    out.push(key!);
  }
  return out;
}
