// Issue 10 item 4: two nodes sharing one PostgreSQL outbox both dispatch, and each row is sent by
// exactly one of them (rows are leased with SELECT … FOR UPDATE SKIP LOCKED).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createServer } from '../../src/index.ts';
import { PG_URL, requireServices } from '../helpers/services.ts';
import { startBuilt, testConfig, waitFor } from '../e2e/e2e-kit.ts';
import { api } from '../helpers/clients.ts';
import { configureProviders, pushConfig, register, startFakes } from './kit.ts';

test('two nodes on one PostgreSQL outbox: 200 pushes, each delivered once', async (t) => {
  if (!(await requireServices(t, 'postgres'))) return;
  const schema = `xpush_push_cluster_${randomBytes(4).toString('hex')}`;
  t.after(async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => c.end());
  });
  const f = await startFakes(t);
  const nodes = [];
  for (const id of ['push-a', 'push-b']) {
    const cfg = testConfig({ nodeId: id, store: { kind: 'postgres', url: PG_URL, schema }, push: pushConfig(f.ca, { batch: 10 }) });
    nodes.push(await startBuilt(t, await createServer(cfg), cfg.dataDir));
  }
  const [a, b] = nodes as [typeof nodes[0], typeof nodes[0]];
  const app = await a.createApp('cluster-push');
  await configureProviders(a, app, f);
  const { token } = (await api(a, app, 'POST', '/tokens', { user: 'bob', device: 'phone' })).body;
  await register(a, app, token, { kind: 'fcm', token: 'fcm-bob' });
  await Promise.all(Array.from({ length: 200 }, (_, n) => api(n % 2 ? a : b, app, 'POST', '/push', { users: ['bob'], data: { n } })));
  await waitFor('200 delivered', () => f.fcm.received.length >= 200, 20_000);
  await waitFor('an empty outbox', async () => (await a.server.core.store.push.depth()) === 0, 10_000);
  const ns = f.fcm.received.map((r) => Number(r.message.data.n)).sort((x, y) => x - y);
  assert.deepEqual(ns, Array.from({ length: 200 }, (_, n) => n));
  assert.deepEqual(f.fcm.errors, []);
});
