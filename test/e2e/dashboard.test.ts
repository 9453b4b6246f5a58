import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startServer } from '../helpers/server.ts';
import { api, rawClient } from '../helpers/clients.ts';
import { scrape } from '../helpers/metrics.ts';
import { requireServices, REDIS_URL } from '../helpers/services.ts';
import { waitFor } from './e2e-kit.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dashboard = JSON.parse(fs.readFileSync(path.join(ROOT, 'deploy/grafana/xpush.json'), 'utf8'));

/** Every PromQL expression in the dashboard: panel targets and template variable queries. */
function queries(): string[] {
  const out: string[] = [];
  const walk = (panels: any[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) out.push(t.expr);
      walk(p.panels ?? []);
    }
  };
  walk(dashboard.panels);
  for (const v of dashboard.templating.list) if (v.type === 'query') out.push(v.definition);
  return out;
}

/** Series names in a query: our own, Node's and the process's (label names and functions never match). */
const seriesIn = (q: string): string[] => [...q.matchAll(/\b(?:xpush|process|nodejs)_[a-z0-9_]+\b/g)].map((m) => m[0]);
const HISTOGRAM_PARTS = /_(bucket|sum|count)$/;
/** Counters whose every label set names an event that this test does not cause (a provider refusing a push). */
const EVENT_ONLY = new Set(['xpush_push_failed_total', 'xpush_push_pruned_total']);

test('the Grafana dashboard is well-formed: one data source variable, unique panel ids, every panel on a grid', () => {
  assert.equal(dashboard.uid, 'xpush');
  const ids = new Set<number>();
  for (const p of dashboard.panels) {
    assert.ok(!ids.has(p.id), `panel id ${p.id} repeated`);
    ids.add(p.id);
    assert.ok(p.gridPos && p.gridPos.w > 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title}: grid`);
    if (p.type === 'row') continue;
    assert.deepEqual(p.datasource, { type: 'prometheus', uid: '${datasource}' }, p.title);
    assert.ok(p.targets.length > 0, `${p.title}: no query`);
    for (const t of p.targets) assert.match(t.expr, /node=~"\$node"/, `${p.title}: every query filters by the node variable`);
  }
  assert.ok(queries().length >= 25);
});

test('every series the dashboard queries is one the server exports, with samples after some traffic', async (t) => {
  // The Redis broker, so that its receive-lag series has samples too.
  if (!(await requireServices(t, 'redis'))) return;
  const ts = await startServer(t, { nodeId: 'dash', broker: { kind: 'redis', url: REDIS_URL, prefix: `xpd${randomBytes(4).toString('hex')}:` } });
  ts.server.metrics.registerQueue('push', () => 0);
  const app = await ts.createApp();
  await api(ts, app, 'POST', '/channels', { channel: 'room', type: 'open' });
  const token = (await api(ts, app, 'POST', '/tokens', { user: 'alice' })).body.token;
  const c = await rawClient(t, ts.wsUrl);
  await c.call('connect', { token });
  const epoch = (await c.call('subscribe', { channel: 'room' })).subscribe.epoch;
  await c.call('publish', { channel: 'room', data: { n: 1 } });
  await c.call('subscribe', { channel: 'nope' }); // an error code
  const d = await rawClient(t, ts.wsUrl);
  await d.call('connect', { token });
  await d.call('subscribe', { channel: 'room', recover: true, offset: 0, epoch });
  d.ws.close(1000);
  await waitFor('publication and disconnect seen', async () => {
    const m = await scrape(ts.url);
    return m.value('xpush_deliveries_total') >= 1 && m.value('xpush_disconnects_total') >= 1 && m.value('xpush_broker_receive_lag_seconds_count') >= 1;
  });

  const m = await scrape(ts.url);
  const missing: string[] = [];
  for (const q of queries()) {
    for (const name of seriesIn(q)) {
      const family = m.families.has(name) ? name : name.replace(HISTOGRAM_PARTS, '');
      if (!m.families.has(family)) missing.push(`${name} (family not exported) in: ${q}`);
      else if (!m.has(name) && !EVENT_ONLY.has(name)) missing.push(`${name} (no samples) in: ${q}`);
    }
  }
  assert.deepEqual(missing, []);
  // And the other way round: every XPUSH series the server exports has a panel.
  const charted = new Set(queries().flatMap(seriesIn).map((n) => n.replace(HISTOGRAM_PARTS, '')));
  const unCharted = [...m.families.keys()].filter((f) => f.startsWith('xpush_') && !charted.has(f));
  assert.deepEqual(unCharted, []);
});
