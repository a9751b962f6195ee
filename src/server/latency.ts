/**
 * The latency monitor (LATENCY LATEST / HISTORY / RESET / DOCTOR): with
 * `latency-monitor-threshold` above 0, every command that ran at least that many
 * milliseconds leaves a sample under the event "command" (or "fast-command" for commands
 * flagged fast), as Redis's latency.c keeps them: one sample per event per second (the
 * highest), the last 160 seconds that had one, and the all-time maximum.
 */

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
