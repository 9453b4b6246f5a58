// The signature on proxy calls and webhook batches (src/auth/signature.ts), and the receiver checks
// docs/webhooks.md shows: the JavaScript one and the Python one are run exactly as printed there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { signatureHeader, verifySignature } from '../../src/auth/signature.ts';
import { docsVerifier } from '../helpers/backend.ts';

const SECRET = 'sk_test-secret';
const BODY = JSON.stringify({ app: 'app_1', events: [{ id: 'e1', type: 'user.online', data: { user: 'zoë' } }] });

test('signatureHeader: t=<seconds>,v1=<64 hex>; verifySignature accepts it and refuses tampering, other secrets and old timestamps', () => {
  const h = signatureHeader(SECRET, BODY);
  assert.match(h, /^t=\d{10},v1=[0-9a-f]{64}$/);
  assert.equal(verifySignature(SECRET, BODY, h), true);
  assert.equal(verifySignature(SECRET, BODY + ' ', h), false);
  assert.equal(verifySignature('sk_other', BODY, h), false);
  assert.equal(verifySignature(SECRET, BODY, undefined), false);
  assert.equal(verifySignature(SECRET, BODY, signatureHeader(SECRET, BODY, Date.now() - 301_000)), false, 'older than 5 minutes');
  assert.equal(verifySignature(SECRET, BODY, signatureHeader(SECRET, BODY, Date.now() - 200_000)), true);
});

test("the docs' JavaScript check agrees with XPUSH's signatures", async () => {
  const verify = await docsVerifier();
  assert.equal(verify(SECRET, BODY, signatureHeader(SECRET, BODY)), true);
  assert.equal(verify(SECRET, BODY.replace('zoë', 'zoe'), signatureHeader(SECRET, BODY)), false);
  assert.equal(verify('sk_other', BODY, signatureHeader(SECRET, BODY)), false);
  assert.equal(verify(SECRET, BODY, signatureHeader(SECRET, BODY, Date.now() - 600_000)), false);
  assert.equal(verify(SECRET, BODY, 'garbage'), false);
  assert.equal(verify(SECRET, BODY, undefined), false);
});

test("the docs' Python check agrees with XPUSH's signatures", (t) => {
  if (spawnSync('python3', ['--version']).status !== 0) return t.skip('python3 is not installed');
  const md = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/webhooks.md'), 'utf8');
  const code = /```python\n([\s\S]*?def verify_xpush[\s\S]*?)```/.exec(md)?.[1];
  assert.ok(code, 'docs/webhooks.md has a ```python block defining verify_xpush');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-sig-')), 'check.py');
  t.after(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));
  fs.writeFileSync(file, `${code}\nimport sys, json\nargs = json.loads(sys.stdin.read())\nprint(verify_xpush(args[0], args[1].encode(), args[2]))\n`);
  const run = (secret: string, body: string, header: string): string => {
    const r = spawnSync('python3', [file], { input: JSON.stringify([secret, body, header]), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  assert.equal(run(SECRET, BODY, signatureHeader(SECRET, BODY)), 'True');
  assert.equal(run(SECRET, BODY + 'x', signatureHeader(SECRET, BODY)), 'False');
  assert.equal(run('sk_other', BODY, signatureHeader(SECRET, BODY)), 'False');
  assert.equal(run(SECRET, BODY, signatureHeader(SECRET, BODY, Date.now() - 600_000)), 'False');
});
