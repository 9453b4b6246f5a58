// Issue 10 item 3: `xpush push …` configures an app's providers from the command line; what it
// prints never contains a secret; a server on the same data dir then delivers through them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startServer } from '../helpers/server.ts';
import { api } from '../helpers/clients.ts';
import { waitFor } from '../e2e/e2e-kit.ts';
import { apnsToken, pushConfig, register, startFakes } from './kit.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

// Each CLI call starts a process through tsx: slow on a loaded machine, hence the longer timeout.
test('xpush push fcm/apns/show/remove: secrets stay out of the output; the server uses what the CLI stored', { timeout: 300_000 }, async (t) => {
  const f = await startFakes(t);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-push-cli-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const cli = (...args: string[]) => run(process.execPath, ['bin/xpush.js', ...args, '--data-dir', dataDir], { cwd: ROOT, timeout: 30_000 });
  const app = JSON.parse((await cli('app', 'create', 'cli-push', '--json')).stdout);
  const saFile = path.join(dataDir, 'sa.json');
  fs.writeFileSync(saFile, JSON.stringify(f.fcm.serviceAccount));
  const p8 = path.join(dataDir, 'AuthKey.p8');
  fs.writeFileSync(p8, f.apns.credentials.key);

  const fcm = await cli('push', 'fcm', app.id, '--service-account', saFile, '--base-url', f.fcm.url, '--token-url', `${f.fcm.url}/token`);
  assert.equal(JSON.parse(fcm.stdout).config.projectId, f.fcm.projectId);
  const { keyId, teamId, topic } = f.apns.credentials;
  await cli('push', 'apns', app.id, '--key-file', p8, '--key-id', keyId, '--team-id', teamId, '--topic', topic, '--production-url', f.apns.url, '--sandbox-url', f.apns.url);
  const shown = (await cli('push', 'show', app.id)).stdout;
  assert.deepEqual(JSON.parse(shown).providers.map((p: any) => p.provider), ['apns', 'fcm', 'webpush']);
  assert.ok(!shown.includes('PRIVATE KEY'), shown);
  assert.match(shown, /"privateKey": "sha256:[0-9a-f]{16}"/);

  // Refusals: a wrong key file, an unknown app — exit 1 with a message.
  await assert.rejects(cli('push', 'apns', app.id, '--key-file', saFile, '--key-id', keyId, '--team-id', teamId, '--topic', topic), /key/);
  await assert.rejects(cli('push', 'webpush', 'app_nope', '--subject', 'mailto:a@b.example'), /no app "app_nope"/);

  const ts = await startServer(t, { dataDir, push: pushConfig(f.ca) });
  const { token } = (await api(ts, app, 'POST', '/tokens', { user: 'bob', device: 'tablet' })).body;
  await register(ts, app, token, { kind: 'apns', token: apnsToken(5) });
  await api(ts, app, 'POST', '/push', { users: ['bob'], data: { hello: 'cli' } });
  await waitFor('delivered through the CLI-configured APNs', () => f.apns.received.length === 1, 5000);

  await cli('push', 'remove', app.id, 'apns');
  await assert.rejects(cli('push', 'remove', app.id, 'apns'), /has no apns provider/);
});
