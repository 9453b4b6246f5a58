import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createServer } from '../../src/index.ts';
import { VERSION } from '../../src/version.ts';
import { startServer, wrapServer } from '../helpers/server.ts';
import { api, rawClient } from '../helpers/clients.ts';
import { scrape } from '../helpers/metrics.ts';
import { requireServices, PG_URL, REDIS_URL } from '../helpers/services.ts';
import { RedisProxy } from '../contract/redis-proxy.ts';
import { waitFor } from './e2e-kit.ts';

test('/health says alive; /ready says ready, and turns false (503, draining) as soon as a drain starts, while /health stays ok', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-test-'));
  const server = await createServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', adminToken: 'test-admin-token', nodeId: 'h1', shutdownTimeoutMs: 10_000 });
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  let running = false;
  server.command('hold', async () => {
    running = true;
    await held;
    return { held: true };
  });
  const ts = await wrapServer(t, server, dataDir);

  assert.deepEqual(await ts.http('GET', '/health'), { status: 200, body: { status: 'ok', node: 'h1', version: VERSION } });
  assert.deepEqual(await ts.http('GET', '/ready'), { status: 200, body: { ready: true, draining: false, store: 'ok', broker: 'ok' } });

  // A command in flight keeps the drain going until it answers.
  const app = await ts.createApp();
  const token = (await api(ts, app, 'POST', '/tokens', { user: 'alice' })).body.token;
  const c = await rawClient(t, ts.wsUrl);
  await c.call('connect', { token });
  const answer = c.call('rpc', { method: 'hold', data: {} });
  await waitFor('rpc running', () => running);
  const closed = server.close();

  const during = await ts.http('GET', '/ready');
  assert.equal(during.status, 503);
  assert.deepEqual(during.body, { ready: false, draining: true, store: 'not checked', broker: 'not checked', error: { code: 503, message: 'not ready: draining (graceful shutdown)' } });
  assert.equal((await ts.http('GET', '/health')).status, 200, 'still alive while draining');

  release();
  assert.deepEqual((await answer).rpc, { data: { held: true } }, 'the command in flight was answered');
  await closed;
  assert.equal((await c.waitClosed()).code, 3001);
});

test('/ready is 503 naming the broker while Redis is unreachable (xpush_broker_up 0), and ready again once it is back', async (t) => {
  if (!(await requireServices(t, 'redis'))) return;
  const proxy = new RedisProxy(REDIS_URL);
  await proxy.up();
  t.after(() => proxy.down());
  const ts = await startServer(t, { broker: { kind: 'redis', url: proxy.url, prefix: `xph${randomBytes(4).toString('hex')}:` } });
  assert.equal((await ts.http('GET', '/ready')).status, 200);

  await proxy.down();
  const down = await waitFor('not ready', async () => {
    const r = await ts.http('GET', '/ready');
    return r.status === 503 ? r : undefined;
  });
  assert.equal(down.body.ready, false);
  assert.equal(down.body.draining, false);
  assert.equal(down.body.store, 'ok');
  assert.match(down.body.broker, /redis broker unavailable/);
  assert.match(down.body.error.message, /^not ready: broker: redis broker unavailable/);
  await waitFor('xpush_broker_up 0', async () => (await scrape(ts.url)).value('xpush_broker_up') === 0);

  await proxy.up();
  await waitFor('ready again', async () => (await ts.http('GET', '/ready')).status === 200, 10_000);
  assert.equal((await scrape(ts.url)).value('xpush_broker_up'), 1);
});

test('/ready is 503 naming the store while PostgreSQL is unreachable, and ready again once it is back', async (t) => {
  if (!(await requireServices(t, 'postgres'))) return;
  const proxy = new RedisProxy(PG_URL.replace(/^postgres:/, 'tcp:'));
  await proxy.up();
  t.after(() => proxy.down());
  const schema = `xph_${randomBytes(4).toString('hex')}`;
  const url = new URL(PG_URL);
  url.host = `127.0.0.1:${proxy.port}`;
  const ts = await startServer(t, { store: { kind: 'postgres', url: url.toString(), schema } });
  t.after(async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });
  assert.equal((await ts.http('GET', '/ready')).status, 200);

  await proxy.down();
  const down = await ts.http('GET', '/ready');
  assert.equal(down.status, 503);
  assert.equal(down.body.broker, 'ok');
  assert.notEqual(down.body.store, 'ok');
  assert.match(down.body.store, /ECONNREFUSED|terminated|Connection/i);

  await proxy.up();
  await waitFor('ready again', async () => (await ts.http('GET', '/ready')).status === 200, 10_000);
});
