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

test('the per-batch and broker histograms scrape exactly as prom-client histograms fed the same values, also before any', async () => {
  const latency = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  const batch = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
  const m = new Metrics('node-a', '0.0.0');
  const ref = new client.Registry();
  ref.setDefaultLabels({ node: 'node-a' });
  const registers = [ref];
  const commit = new client.Histogram({ name: 'xpush_store_commit_seconds', help: 'Time to commit one group-commit batch of publications to the store', buckets: latency, registers });
  const size = new client.Histogram({ name: 'xpush_store_batch_size', help: 'Publications per group-commit batch', buckets: batch, registers });
  const publish = new client.Histogram({ name: 'xpush_broker_publish_seconds', help: 'Time from handing a committed batch to the broker until it accepted all of it', buckets: latency, registers });
  const lag = new client.Histogram({
    name: 'xpush_broker_receive_lag_seconds',
    help: 'Redis broker: publishing node\'s clock at publish to this node\'s clock at receipt; source=peer includes the clock offset between the hosts',
    labelNames: ['source'], buckets: latency, registers,
  });
  const names = ['xpush_store_commit_seconds', 'xpush_store_batch_size', 'xpush_broker_publish_seconds', 'xpush_broker_receive_lag_seconds'];
  const same = async (when: string) => {
    const ours = await m.scrape();
    const theirs = await ref.metrics();
    for (const n of names) assert.deepEqual(family(ours, n), family(theirs, n), `${n} ${when}`);
  };
  // Unlabelled ones show zeroed series from the start; the labelled one shows nothing yet.
  await same('before any observation');
  for (const [s, n] of [[0.0004, 1], [0.0025, 200], [7, 5000], [0, 6000]] as const) {
    m.storeCommitted(s, n);
    commit.observe(s);
    size.observe(n);
    m.brokerPublished(s / 2, n);
    publish.observe(s / 2);
  }
  for (const [s, self] of [[0.002, true], [-0.5, false], [0.3, false]] as const) {
    m.brokerReceived(s, self);
    lag.observe({ source: self ? 'self' : 'peer' }, s < 0 ? 0 : s);
  }
  await same('after observations');
  assert.ok(family(await m.scrape(), 'xpush_store_batch_size').includes('xpush_store_batch_size_count{node="node-a"} 4'));
});
