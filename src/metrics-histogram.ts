/**
 * Histograms observed on hot paths (every command; every group-commit batch, which is every message
 * at a light pace; every event from the Redis broker). prom-client's `observe` builds and hashes a
 * label object per call (~1 µs); here a series is resolved once per label value and observing is
 * plain arithmetic. The scrape reads them in prom-client's histogram form, line for line the same
 * (test/unit/metrics-histogram.test.ts).
 */

/** One label value's counts: per bucket (not cumulative until scraped), sum and count. */
export class HistogramSeries {
  readonly buckets: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.buckets = new Float64Array(bounds.length);
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    if (i < b.length) this.buckets[i]!++;
    this.sum += v;
    this.count++;
  }

  reset(): void {
    this.buckets.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

interface Sample {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
}

/**
 * With `label`, one series per value of it, shown once asked for (as prom-client shows a labelled
 * series once observed); without, one series, shown from the start (as prom-client does).
 */
export class PlainHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly all = new Map<string, HistogramSeries>();
  constructor(readonly name: string, readonly help: string, private readonly bounds: readonly number[], private readonly label?: string) {
    if (label === undefined) this.series();
  }

  /** The series of one label value (no argument: the unlabelled series). */
  series(value = ''): HistogramSeries {
    let s = this.all.get(value);
    if (!s) this.all.set(value, (s = new HistogramSeries(this.bounds)));
    return s;
  }

  /** prom-client's histogram form: the label as a shared label, `le` per bucket. */
  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    const values: Sample[] = [];
    for (const [value, s] of this.all) {
      const sharedLabels: Record<string, string> = this.label === undefined ? {} : { [this.label]: value };
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.buckets[i]!;
        values.push({ labels: { le: this.bounds[i]! }, sharedLabels, value: acc, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: {}, sharedLabels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Zeroes every series (they stay: holders keep references to them). */
  reset(): void {
    for (const s of this.all.values()) s.reset();
  }
}
