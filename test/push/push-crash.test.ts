// Issue 10 item 4: the outbox survives kill -9. A real `xpush start` process holds 100 data pushes
// for each of bob's three devices (300 rows) that the fakes keep answering 429; it is killed with
// SIGKILL, the fakes recover, a new process starts on the same data dir, and every push reaches its
// fake exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { spawnXpush, type ServerProcess } from '../helpers/process.ts';
import { waitFor } from '../e2e/e2e-kit.ts';
import { apnsToken, pushConfig, startFakes } from './kit.ts';

const ADMIN = 'crash-admin-token';

async function http(base: string, method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
  const r = await fetch(base + p, { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

// Two server processes through tsx and 300 rows: a loaded machine needs more than the default timeout.
test('kill -9 with 300 pushes in the outbox: after a restart each is delivered exactly once', { timeout: 300_000 }, async (t) => {
  const f = await startFakes(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-push-crash-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cfgFile = path.join(dir, 'config.json');
  // Short lease: a row leased by the killed process is free again 3 s later.
  fs.writeFileSync(cfgFile, JSON.stringify({ push: pushConfig(f.ca, { leaseMs: 3000, requestTimeoutMs: 2000, maxAttempts: 50 }) }));
  const args = ['--data-dir', path.join(dir, 'data'), '--host', '127.0.0.1', '--port', '0', '--admin-token', ADMIN, '--config', cfgFile];
  const procs: ServerProcess[] = [];
  t.after(() => { for (const p of procs) p.proc.kill('SIGKILL'); });

  const first = await spawnXpush(args);
  procs.push(first);
  const admin = { authorization: `Bearer ${ADMIN}` };
  const app = await http(first.url, 'POST', '/v1/admin/apps', { name: 'crash' }, admin);
  await http(first.url, 'PUT', `/v1/admin/apps/${app.id}/push/fcm`, { serviceAccount: f.fcm.serviceAccount, baseUrl: f.fcm.url, tokenUrl: `${f.fcm.url}/token` }, admin);
  await http(first.url, 'PUT', `/v1/admin/apps/${app.id}/push/apns`, { ...f.apns.credentials, productionUrl: f.apns.url, sandboxUrl: f.apns.url }, admin);
  f.webpush.expectVapidKey((await http(first.url, 'GET', `/v1/apps/${app.id}/push/vapid`, undefined, { 'x-app-key': app.key })).publicKey);
  const key = { 'x-api-key': app.secret };
  const device = async (d: string, body: unknown) => {
    const { token } = await http(first.url, 'POST', `/v1/apps/${app.id}/tokens`, { user: 'bob', device: d }, key);
    await http(first.url, 'PUT', `/v1/apps/${app.id}/me/push`, body, { authorization: `Bearer ${token}` });
  };
  const sub = f.webpush.subscribe();
  await device('phone', { kind: 'fcm', token: 'fcm-bob' });
  await device('tablet', { kind: 'apns', token: apnsToken(1) });
  await device('browser', { kind: 'webpush', subscription: sub.json });
  f.fcm.answer('fcm-bob', 'throttle', 1);
  f.apns.answer(apnsToken(1), 'throttle');
  f.webpush.answer(sub.id, 'throttle', 1);

  for (let n = 0; n < 100; n++) await http(first.url, 'POST', `/v1/apps/${app.id}/push`, { users: ['bob'], data: { n } }, key);
  await waitFor('every row tried once', () => (f.fcm.attempts.get('fcm-bob') ?? 0) >= 100 && (f.apns.attempts.get(apnsToken(1)) ?? 0) >= 100
    && (f.webpush.attempts.get(sub.id) ?? 0) >= 100, 60_000);
  first.proc.kill('SIGKILL');
  await first.exited;
  const dbFile = path.join(dir, 'data', 'xpush.db');
  const pending = (): number => {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM push_outbox WHERE due_at IS NOT NULL').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  assert.equal(pending(), 300, 'all 300 still in the outbox after kill -9');
  assert.deepEqual([f.fcm.received.length, f.apns.received.length, f.webpush.received.length], [0, 0, 0]);

  f.fcm.answer('fcm-bob', 'ok');
  f.apns.answer(apnsToken(1), 'ok');
  f.webpush.answer(sub.id, 'ok');
  const second = await spawnXpush(args);
  procs.push(second);
  await waitFor('all delivered', () => f.fcm.received.length >= 100 && f.apns.received.length >= 100 && f.webpush.received.length >= 100, 60_000);
  await waitFor('an empty outbox', () => pending() === 0, 10_000);
  const ns = (xs: unknown[]) => xs.map(Number).sort((a, b) => a - b);
  const all = Array.from({ length: 100 }, (_, n) => n);
  assert.deepEqual(ns(f.fcm.received.map((r) => r.message.data.n)), all);
  assert.deepEqual(ns(f.apns.received.map((r) => r.body.n)), all);
  assert.deepEqual(ns(f.webpush.received.map((r) => r.payload.data.n)), all);
  assert.deepEqual([...f.fcm.errors, ...f.apns.errors, ...f.webpush.errors], []);
  second.proc.kill('SIGTERM');
  await second.exited;
});
