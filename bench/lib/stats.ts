/** Percentiles of latency samples (ms). */
export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarize(xs: number[]): Summary {
  if (xs.length === 0) return { n: 0, p50: NaN, p99: NaN, max: NaN };
  const a = Float64Array.from(xs).sort();
  const at = (q: number): number => a[Math.min(a.length - 1, Math.floor(q * a.length))];
  return { n: a.length, p50: at(0.5), p99: at(0.99), max: a[a.length - 1] };
}
