import { publicText } from '../api.ts';
import { parseMetrics, total, type Family } from '../prom.ts';
import { h, mount, table } from '../dom.ts';
import type { Ctx } from '../ctx.ts';

const REFRESH_MS = 5000;

/**
 * /metrics at a glance: the process (CPU, memory, event-loop lag, uptime) and every `xpush_*` series
 * with its rate since the previous read, refreshed every 5 s. Names are read from the text, so new
 * series show up without a console change.
 */
export async function metricsPage(root: HTMLElement, ctx: Ctx): Promise<void> {
  const stats = h('div', { class: 'grid', id: 'metric-stats' });
  const series = h('div', { id: 'metric-series' });
  const stamp = h('span', { class: 'muted' });
  let prev: { at: number; values: Map<string, number> } | undefined;

  const load = async () => {
    const text = await publicText('/metrics');
    const fams = parseMetrics(text);
    const now = Date.now();
    const v = (n: string) => total(fams.get(n));
    const start = v('process_start_time_seconds');
    const cpu = v('process_cpu_seconds_total') ?? v('process_cpu_seconds');
    mount(stats,
      stat('uptime', start ? duration(now / 1000 - start) : '–'),
      stat('resident memory', bytes(v('process_resident_memory_bytes'))),
      stat('heap used', bytes(v('nodejs_heap_size_used_bytes'))),
      stat('event-loop lag p99', ms(v('nodejs_eventloop_lag_p99_seconds'))),
      stat('CPU (s, total)', cpu !== undefined ? cpu.toFixed(1) : '–'),
      stat('connections (this node)', fmt(v('xpush_connections'))));
    const values = new Map<string, number>();
    const rows: { f: Family; key: string; labels: string; value: number; rate: string }[] = [];
    for (const f of [...fams.values()].filter((x) => x.name.startsWith('xpush_')).sort((a, b) => a.name.localeCompare(b.name))) {
      for (const s of f.samples) {
        if (s.name.endsWith('_bucket')) continue;
        const labels = Object.entries(s.labels).map(([k, x]) => `${k}=${x}`).join(' ');
        const key = `${s.name}{${labels}}`;
        values.set(key, s.value);
        const before = prev?.values.get(key);
        const counter = f.type === 'counter' || s.name.endsWith('_count') || s.name.endsWith('_sum');
        const rate = counter && before !== undefined && prev ? ((s.value - before) / ((now - prev.at) / 1000)).toFixed(2) + '/s' : '';
        rows.push({ f, key: s.name, labels, value: s.value, rate });
      }
    }
    prev = { at: now, values };
    mount(series, table(['series', 'labels', 'value', 'rate', 'help'], rows, (r) => [
      h('span', { class: 'mono' }, r.key), h('span', { class: 'mono' }, r.labels), fmt(r.value), r.rate, h('span', { class: 'muted' }, r.f.help),
    ], 'No xpush_* series.'));
    stamp.textContent = `read ${new Date(now).toLocaleTimeString()}`;
  };
  const timer = setInterval(() => void load().catch(() => undefined), REFRESH_MS);
  ctx.onLeave(() => clearInterval(timer));
  mount(root, h('h2', null, 'Metrics'), h('p', null, stamp, ' · ', h('a', { href: '/metrics', target: '_blank' }, 'raw /metrics')), stats, h('h3', null, 'XPUSH series'), series);
  await load();
}

function stat(k: string, v: string): HTMLElement {
  return h('div', { class: 'stat' }, h('div', { class: 'v' }, v), h('div', { class: 'k' }, k));
}

function fmt(n: number | undefined): string {
  if (n === undefined) return '–';
  return Number.isInteger(n) ? String(n) : n.toPrecision(4);
}

function bytes(n: number | undefined): string {
  if (n === undefined) return '–';
  return n > 1 << 30 ? (n / (1 << 30)).toFixed(2) + ' GiB' : (n / (1 << 20)).toFixed(1) + ' MiB';
}

function ms(s: number | undefined): string {
  return s === undefined ? '–' : (s * 1000).toFixed(1) + ' ms';
}

function duration(s: number): string {
  const d = Math.floor(s / 86400), hh = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return d ? `${d}d ${hh}h` : hh ? `${hh}h ${m}m` : `${m}m ${Math.floor(s % 60)}s`;
}
