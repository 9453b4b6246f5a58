import { test } from 'node:test';
import assert from 'node:assert/strict';
import client from 'prom-client';
import { Metrics } from '../../src/metrics.ts';

/** The lines of one metric family in a text exposition. */
function family(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}_`) || l.startsWith(`# HELP ${name} `) || l.startsWith(`# TYPE ${name} `));
}

test('the per-command latency histogram scrapes exactly as a prom-client histogram fed the same values', async () => {
  const m = new Metrics('node-a', '0.0.0');
  const ref = new client.Registry();
  const buckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  const h = new client.Histogram({
    name: 'xpush_command_duration_seconds', help: 'Time from a command\'s dispatch to its reply being queued',
    labelNames: ['method'], buckets, registers: [ref],
  });
  // On bucket bounds (le is inclusive), between them, past the last one, and zero.
  const seen: [string, number][] = [['publish', 0.0001], ['publish', 0.0003], ['publish', 0], ['history', 7], ['publish', 0.005], ['history', 0.02]];
  for (const [method, v] of seen) {
    m.command(method, 0, v);
    h.observe({ method }, v);
  }
  ref.setDefaultLabels({ node: 'node-a' });
  const ours = family(await m.scrape(), 'xpush_command_duration_seconds');
  const theirs = family(await ref.metrics(), 'xpush_command_duration_seconds');
  assert.ok(ours.some((l) => l.startsWith('xpush_command_duration_seconds_count{node="node-a",method="publish"} 4')), ours.join('\n'));
  assert.deepEqual(ours, theirs);
});
