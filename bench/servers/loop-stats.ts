/**
 * `BENCH_SERVER_LOOPSTAT=<file>`: every benchmarked server appends one line per second to
 * `<file>.<script>.<pid>`: event-loop delay (p50/p99/max, 1 ms resolution, so ~1 ms is idle) and the
 * young-generation (minor) and full (major) garbage collections of that second, with their longest
 * pause. It is how a latency tail is told apart: the loop blocked by our code, or by the collector.
 */
import fs from 'node:fs';
import { PerformanceObserver, constants, monitorEventLoopDelay, type PerformanceEntry } from 'node:perf_hooks';

export function startLoopStats(file: string): void {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let pauses: { minor: boolean; ms: number }[] = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      pauses.push({ minor: kind === constants.NODE_PERFORMANCE_GC_MINOR, ms: e.duration });
    }
  }).observe({ entryTypes: ['gc'] });
  const t0 = Date.now();
  const ms = (ns: number): string => (ns / 1e6).toFixed(2);
  const longest = (minor: boolean): string => pauses.filter((p) => p.minor === minor).reduce((m, p) => Math.max(m, p.ms), 0).toFixed(2);
  setInterval(() => {
    const minor = pauses.filter((p) => p.minor).length;
    fs.appendFileSync(
      file,
      `${Math.round((Date.now() - t0) / 1000)}s loop delay p50 ${ms(delay.percentile(50))} p99 ${ms(delay.percentile(99))} max ${ms(delay.max)} ms` +
        ` | minor GC ${minor}, longest ${longest(true)} ms | major GC ${pauses.length - minor}, longest ${longest(false)} ms` +
        ` | heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MB\n`,
    );
    delay.reset();
    pauses = [];
  }, 1000).unref();
}
