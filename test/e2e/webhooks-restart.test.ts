// Issue 11, item 2: webhook events survive restarts of XPUSH (a real process, stopped gracefully and
// killed), and a receiver that de-duplicates by event id gets each event once, none lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnXpush, type ServerProcess } from '../helpers/process.ts';
import { startReceiver } from '../helpers/webhook-receiver.ts';
import { waitFor } from './e2e-kit.ts';

const ADMIN = 'restart-admin';

test('queued webhook events survive SIGTERM and kill -9; nothing acknowledged is sent twice, nothing is lost', { timeout: 90_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-webhooks-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify({ webhookDelivery: { pollMs: 50, retryBaseMs: 100, retryMaxMs: 300 } }));
  const procs: ServerProcess[] = [];
  t.after(() => { for (const p of procs) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL'); });
  const start = async (): Promise<ServerProcess> => {
    const p = await spawnXpush(['--host', '127.0.0.1', '--port', '0', '--data-dir', dir, '--admin-token', ADMIN, '--config', configFile, '--log-level', 'info']);
    procs.push(p);
    return p;
  };
  let srv = await start();
  const call = async (method: string, p: string, body: unknown, headers: Record<string, string>): Promise<any> => {
    const r = await fetch(srv.url + p, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const text = await r.text();
    assert.ok(r.ok, `${method} ${p}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const app = await call('POST', '/v1/admin/apps', { name: 'restarts' }, { authorization: `Bearer ${ADMIN}` });
  let failing = false;
  const rx = await startReceiver(t, () => app.secret, () => (failing ? 500 : 200));
  await call('PATCH', `/v1/admin/apps/${app.id}/settings`, { webhooks: { url: rx.url, maxWaitMs: 50 } }, { authorization: `Bearer ${ADMIN}` });
  const users = ['u1', 'u2', 'u3'];
  for (const user of users) await call('POST', `/v1/apps/${app.id}/tokens`, { user }, { 'x-api-key': app.secret });
  /** One member.added per user: three events naming `channel`. */
  const addChannel = (channel: string) => call('POST', `/v1/apps/${app.id}/channels`, { channel, members: users }, { 'x-api-key': app.secret });
  const acceptedIn = (channel: string) => rx.ofType('member.added').filter((e) => e.data.channel === channel).length;
  const failedWith = (channel: string) => rx.batches.some((b) => b.status === 500 && b.events.some((e) => e.data.channel === channel));

  // A: delivered while the receiver works.
  await addChannel('a');
  await waitFor('phase a delivered', () => acceptedIn('a') === 3, 10_000)

  // B: the receiver fails; XPUSH stops gracefully with the events queued, restarts, delivers.
  failing = true;
  await addChannel('b');
  await waitFor('phase b attempted', () => failedWith('b'), 10_000)
  srv.proc.kill('SIGTERM');
  assert.equal(await srv.exited, 0, srv.stderr());
  failing = false;
  srv = await start();
  await waitFor('phase b delivered after the restart', () => acceptedIn('b') === 3, 15_000)

  // C: the same, but XPUSH is killed (no goodbye, no flush).
  failing = true;
  await addChannel('c');
  await waitFor('phase c attempted', () => failedWith('c'), 10_000)
  srv.proc.kill('SIGKILL');
  await srv.exited;
  failing = false;
  srv = await start();
  // A lease held at the kill lapses after timeoutMs + 10 s: allow for it.
  await waitFor('phase c delivered after the kill', () => acceptedIn('c') === 3, 30_000)

  const added = rx.ofType('member.added');
  assert.deepEqual(added.map((e) => `${e.data.channel}/${e.data.user}`).sort(), ['a', 'b', 'c'].flatMap((ch) => users.map((u) => `${ch}/${u}`)), 'every event, once after de-duplication');
  assert.deepEqual(rx.acceptedTwice(), [], 'no event acknowledged once was sent again');
  assert.ok(rx.batches.every((b) => b.signed));
  const after = await fetch(`${srv.url}/v1/admin/apps/${app.id}/webhooks`, { headers: { authorization: `Bearer ${ADMIN}` } }).then((r) => r.json() as Promise<any>);
  assert.equal(after.pending, 0);
  assert.ok(after.deliveries.some((d: any) => d.status === 500) && after.deliveries.some((d: any) => d.ok), 'the log survived the restarts too');
});
