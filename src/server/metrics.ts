/**
 * INFO's instantaneous_* figures, as Redis's trackInstantaneousMetric: every 100 ms the cron
 * samples each counter's rate since the last sample; a figure is the mean of the last 16.
 */
const SAMPLES = 16;
const PERIOD_MS = 100;

export type Metric = "commands" | "netInput" | "netOutput" | "replInput" | "replOutput";

class Rate {
  private readonly samples = new Float64Array(SAMPLES);
  private next = 0;
  private lastValue = 0;
  private lastTime = 0;

  track(value: number, nowMs: number): void {
    if (this.lastTime !== 0 && nowMs > this.lastTime) {
      this.samples[this.next] = ((value - this.lastValue) * 1000) / (nowMs - this.lastTime);
      this.next = (this.next + 1) % SAMPLES;
    }
    this.lastValue = value;
    this.lastTime = nowMs;
  }

  get mean(): number {
    let sum = 0;
    for (const s of this.samples) sum += s;
    return sum / SAMPLES;
  }
}

export class InstantaneousMetrics {
  private readonly rates = new Map<Metric, Rate>();
  private lastSample = 0;

  /** From the cron: sample every counter once PERIOD_MS has passed. */
  sample(nowMs: number, values: Record<Metric, number>): void {
    if (nowMs - this.lastSample < PERIOD_MS) return;
    this.lastSample = nowMs;
    for (const name of Object.keys(values) as Metric[]) {
      let rate = this.rates.get(name);
      if (rate === undefined) this.rates.set(name, (rate = new Rate()));
      rate.track(values[name], nowMs);
    }
  }

  /** Per second, averaged over the last 16 samples. */
  perSecond(name: Metric): number {
    return this.rates.get(name)?.mean ?? 0;
  }
}
