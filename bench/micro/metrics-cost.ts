/**
 * Micro-benchmark: what the Prometheus bookkeeping (src/metrics.ts) adds per call on the paths it sits on.
 *
 *   node --import tsx bench/micro/metrics-cost.ts [--ms 1000]
 *
 * - delivered: once per channel and event-loop turn on the fan-out path (never per delivery).
 * - command: once per client command (counter + histogram, label objects resolved once), plus the
 *   two performance.now() calls around it in Client.dispatch.
 * - storeCommitted + brokerPublished: once per group-commit batch.
 * - brokerReceived: once per event received from the Redis broker.
 * - scrape: one /metrics body with 1,000 connections over 10 apps.
 */
import { Metrics } from '../../src/metrics.ts';

const msArg = process.argv.indexOf('--ms');
const RUN_MS = msArg > 0 ? Number(process.argv[msArg + 1]) : 1000;

function measure(name: string, fn: (i: number) => void): void {
  for (let i = 0; i < 100_000; i++) fn(i); // warm up
  let n = 0;
  const end = performance.now() + RUN_MS;
  const t0 = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 10_000; i++) fn(i);
    n += 10_000;
  }
  const ns = ((performance.now() - t0) * 1e6) / n;
  process.stdout.write(`${name.padEnd(44)} ${ns.toFixed(1).padStart(8)} ns/call\n`);
}

const m = new Metrics('bench', '0.0.0');
const perApp = new Map(Array.from({ length: 10 }, (_, i) => [`app_${i}`, { connections: 100, subscriptions: 300 }]));
m.bind({ perApp: () => perApp, brokerUp: () => true });
const methods = ['publish', 'subscribe', 'history', 'rpc'];

let sink = 0;
measure('reference: 2 × performance.now()', () => {
  const t0 = performance.now();
  sink += performance.now() - t0;
});
measure('delivered (per channel and turn)', () => m.delivered(1000, 1000));
measure('command ok (with 2 × performance.now())', (i) => {
  const t0 = performance.now();
  m.command(methods[i & 3]!, 0, (performance.now() - t0) / 1000);
});
measure('command error (label lookup)', (i) => m.command(methods[i & 3]!, 102, 0.001));
measure('storeCommitted + brokerPublished (per batch)', () => {
  m.storeCommitted(0.002, 50);
  m.brokerPublished(0.0001, 50);
});
measure('brokerReceived (per Redis event)', (i) => m.brokerReceived(0.0004, (i & 1) === 0));

const t0 = performance.now();
let bytes = 0;
for (let i = 0; i < 200; i++) bytes = (await m.scrape()).length;
if (sink < 0) process.stdout.write('impossible\n');
process.stdout.write(`${'scrape (10 apps, 4 methods)'.padEnd(44)} ${((performance.now() - t0) / 200).toFixed(2).padStart(8)} ms/scrape, ${bytes} bytes\n`);
