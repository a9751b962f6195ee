/**
 * The latency monitor (LATENCY LATEST / HISTORY / RESET / DOCTOR): with
 * `latency-monitor-threshold` above 0, every command that ran at least that many
 * milliseconds leaves a sample under the event "command" (or "fast-command" for commands
 * flagged fast), as Redis's latency.c keeps them: one sample per event per second (the
 * highest), the last 160 seconds that had one, and the all-time maximum.
 */

import type { Command } from "../commands/command.ts";

const SAMPLES = 160;

interface Sample {
  /** Unix time in seconds. */
  time: number;
  /** Milliseconds. */
  latency: number;
}

interface Series {
  samples: Sample[];
  max: number;
}

export class LatencyMonitor {
  /** Milliseconds; 0 switches the monitor off. */
  threshold = 0;
  readonly events = new Map<string, Series>();

  /** latencyAddSampleIfNeeded. */
  add(event: string, ms: number): void {
    if (this.threshold <= 0 || ms < this.threshold) return;
    const time = Math.floor(Date.now() / 1000);
    let series = this.events.get(event);
    if (series === undefined) this.events.set(event, (series = { samples: [], max: 0 }));
    const last = series.samples.at(-1);
    if (last !== undefined && last.time === time) last.latency = Math.max(last.latency, ms);
    else {
      series.samples.push({ time, latency: ms });
      if (series.samples.length > SAMPLES) series.samples.shift();
    }
    series.max = Math.max(series.max, ms);
  }

  /** LATENCY RESET: the named events (all when none); returns how many existed. */
  reset(events: readonly string[]): number {
    if (events.length === 0) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    let n = 0;
    for (const e of events) if (this.events.delete(e)) n++;
    return n;
  }

  /**
   * LATENCY GRAPH: the event's samples drawn as Redis draws them (latency.c and
   * sparkline.c): a header, then 80 columns a row of four filled levels, and under each
   * column how long ago the sample was, written downwards. Undefined for an unknown event.
   */
  graph(event: string, nowSeconds: number): string | undefined {
    const series = this.events.get(event);
    if (series === undefined) return undefined;
    const values = series.samples.map((s) => s.latency);
    const labels = series.samples.map((s) => ago(nowSeconds - s.time));
    const min = Math.min(...values);
    const max = Math.max(...values);
    let out = `${event} - high ${max} ms, low ${min} ms (all time high ${series.max} ms)\n${"-".repeat(GRAPH_COLUMNS)}\n`;
    for (let from = 0; from < values.length; from += GRAPH_COLUMNS) {
      if (from !== 0) out += "\n";
      out += sparkline(values.slice(from, from + GRAPH_COLUMNS), labels.slice(from, from + GRAPH_COLUMNS), min, max);
    }
    return out;
  }

  histogram(buckets: readonly number[]): { calls: number; cdf: Array<[usec: number, calls: number]> } {
    return latencyHistogram(buckets);
  }

  /** LATENCY DOCTOR's report: Redis's opening words, then one line per event. */
  doctor(): string {
    if (this.threshold <= 0 && this.events.size === 0) {
      return `I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n`;
    }
    if (this.events.size === 0) {
      return "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";
    }
    let report = "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
    let i = 1;
    for (const [event, series] of this.events) {
      const n = series.samples.length;
      const avg = series.samples.reduce((sum, s) => sum + s.latency, 0) / n;
      const deviation = series.samples.reduce((sum, s) => sum + Math.abs(s.latency - avg), 0) / n;
      const span = n > 1 ? (series.samples[n - 1]!.time - series.samples[0]!.time) / (n - 1) : 1;
      report += `${i++}. ${event}: ${n} latency spikes (average ${Math.floor(avg)}ms, mean deviation ${Math.floor(deviation)}ms, period ${span.toFixed(2)} sec). Worst all time event ${series.max}ms.\n`;
    }
    return report;
  }
}

const GRAPH_COLUMNS = 80;
const GRAPH_ROWS = 4;
/** The characters of each row's three levels, filled below the curve. */
const GRAPH_LEVELS = "_o#";

/** "12s", "5m", "3h", "2d": how long ago, as LATENCY GRAPH labels a sample. */
function ago(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** Rows of a filled sparkline of `values` (scaled between min and max), then the labels downwards. */
function sparkline(values: number[], labels: string[], min: number, max: number): string {
  const steps = GRAPH_LEVELS.length * GRAPH_ROWS;
  const range = max - min === 0 ? 1 : max - min;
  const stepOf = values.map((v) => Math.min(steps - 1, Math.max(0, Math.trunc(Math.trunc((v - min) * steps) / range))));
  let out = "";
  for (let row = 0; row < GRAPH_ROWS; row++) {
    let line = "";
    for (const step of stepOf) {
      const level = step - (GRAPH_ROWS - row - 1) * GRAPH_LEVELS.length;
      line += level >= GRAPH_LEVELS.length ? "|" : level >= 0 ? GRAPH_LEVELS[level] : " ";
    }
    out += `${line}\n`;
  }
  // A blank row, then the labels one character a row.
  out += `${" ".repeat(values.length)}\n`;
  for (let i = 0; labels.some((l) => l.length > i); i++) out += `${labels.map((l) => l[i] ?? " ").join("")}\n`;
  return out;
}

// ---- LATENCY HISTOGRAM ----

/** Redis records latencies from 1 ns to 1 s (LATENCY_HISTOGRAM_MIN_VALUE/MAX_VALUE). */
const HISTOGRAM_MAX_NS = 1e9;
const HISTOGRAM_BUCKETS = 21;

/**
 * The upper end of each bucket k as Redis's HdrHistogram (2 significant figures, iterated
 * by powers of two from 1024 ns) reports it: the highest value equivalent to 1024 * 2^k ns,
 * which lies 1/128 above it. Computed once: recordLatency runs for every read a client sends.
 */
const BUCKET_TOPS_NS = Float64Array.from({ length: HISTOGRAM_BUCKETS }, (_, k) => {
  const level = 1024 * 2 ** k;
  return level + level / 128 - 1;
});

/** Count `calls` calls of `cmd` that took `ns` nanoseconds each. */
export function recordLatency(cmd: Command, ns: number, calls: number): void {
  ns = Math.min(HISTOGRAM_MAX_NS, Math.max(1, ns));
  let k = 0;
  while (k < HISTOGRAM_BUCKETS - 1 && ns > BUCKET_TOPS_NS[k]!) k++;
  const buckets = (cmd.latencyBuckets ??= new Array<number>(HISTOGRAM_BUCKETS).fill(0));
  buckets[k]! += calls;
}

/**
 * INFO latencystats: the latency under which `percentile` % of the calls fell, in
 * nanoseconds: the top of the bucket it falls in (Redis's hdr_value_at_percentile; the
 * buckets here are powers of two, so this is an upper bound within a factor of two).
 */
export function latencyAtPercentile(buckets: readonly number[], percentile: number): number {
  let total = 0;
  for (const n of buckets) total += n;
  const wanted = Math.max(1, Math.ceil((Math.min(100, percentile) / 100) * total));
  let seen = 0;
  for (let k = 0; k < buckets.length; k++) {
    seen += buckets[k]!;
    if (seen >= wanted) return BUCKET_TOPS_NS[k]!;
  }
  return 0;
}

/**
 * LATENCY HISTOGRAM's value for a command: its calls and their cumulative distribution, a
 * bucket's upper end in microseconds to the calls up to it, listing only the buckets that
 * hold calls (Redis's fillCommandCDF).
 */
function latencyHistogram(buckets: readonly number[]): { calls: number; cdf: Array<[usec: number, calls: number]> } {
  const cdf: Array<[number, number]> = [];
  let total = 0;
  for (let k = 0; k < buckets.length; k++) {
    if (buckets[k] === 0) continue;
    total += buckets[k]!;
    cdf.push([Math.floor(BUCKET_TOPS_NS[k]! / 1000), total]);
  }
  return { calls: total, cdf };
}
