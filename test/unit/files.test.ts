import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRange } from '../../src/files/range.ts';
import { contentDisposition } from '../../src/files/disposition.ts';
import { signFile, verifyFile, signedPath } from '../../src/files/signed-url.ts';
import { sniff, HeadBytes } from '../../src/files/sniff.ts';
import { cleanName } from '../../src/files/files.ts';
import { resolveConfig } from '../../src/config.ts';
import { blobStoreKind } from '../../src/files/open-blob-store.ts';
import { png, jpeg, PDF, HTML } from '../helpers/files.ts';

test('Range: one range served, the rest ignored (200) or unsatisfiable (416)', () => {
  const size = 1000;
  const part = (start: number, end: number) => ({ kind: 'part', range: { start, end } });
  assert.deepEqual(parseRange(undefined, size), { kind: 'all' });
  assert.deepEqual(parseRange('bytes=0-99', size), part(0, 99));
  assert.deepEqual(parseRange('bytes=900-', size), part(900, 999));
  assert.deepEqual(parseRange('bytes=900-5000', size), part(900, 999));
  assert.deepEqual(parseRange('bytes=-100', size), part(900, 999));
  assert.deepEqual(parseRange('bytes=-5000', size), part(0, 999));
  assert.deepEqual(parseRange(' Bytes = 5 - 6 ', size), part(5, 6));
  for (const ignored of ['bytes=0-1,5-6', 'items=0-5', 'bytes=abc', 'bytes=-', 'bytes=9-3', '']) {
    assert.deepEqual(parseRange(ignored, size), { kind: 'all' }, ignored);
  }
  for (const bad of ['bytes=1000-', 'bytes=5000-6000', 'bytes=-0']) assert.deepEqual(parseRange(bad, size), { kind: 'unsatisfiable' }, bad);
});

test('Content-Disposition: ASCII fallback that cannot break the header, exact UTF-8 name', () => {
  assert.equal(contentDisposition('inline', 'a.png'), `inline; filename="a.png"; filename*=UTF-8''a.png`);
  assert.equal(contentDisposition('attachment', 'x"; y=\\z.html'), `attachment; filename="x_; y=_z.html"; filename*=UTF-8''x%22%3B%20y%3D%5Cz.html`);
  assert.equal(contentDisposition('attachment', "日本 (1)'s*.txt"), `attachment; filename="__ (1)'s*.txt"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%20%281%29%27s%2A.txt`);
});

test('signed file URLs: bound to app, channel, file and expiry; the secret matters', () => {
  const k = { app: 'a1', channel: 'room', id: 'f1' };
  const exp = 2_000_000_000;
  const sig = signFile('secret', k, exp);
  assert.match(sig, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(verifyFile('secret', k, exp, sig, 1000), 'ok');
  assert.equal(verifyFile('secret', k, exp, sig, exp * 1000 + 1), 'expired');
  assert.equal(verifyFile('other', k, exp, sig, 1000), 'bad');
  assert.equal(verifyFile('secret', { ...k, app: 'a2' }, exp, sig, 1000), 'bad');
  assert.equal(verifyFile('secret', { ...k, channel: 'hall' }, exp, sig, 1000), 'bad');
  assert.equal(verifyFile('secret', { ...k, id: 'f2' }, exp, sig, 1000), 'bad');
  assert.equal(verifyFile('secret', k, exp + 1, sig, 1000), 'bad');
  assert.equal(verifyFile('secret', k, exp, sig.slice(1), 1000), 'bad');
  // A forged URL is "bad" even once past its expiry (no hint that the rest was right).
  assert.equal(verifyFile('secret', k, 1, signFile('other', k, 1), 10_000), 'bad');
  // Parts that look alike but differ do not collide.
  assert.notEqual(signFile('s', { app: 'a', channel: 'b\nc', id: 'd' }, 1), signFile('s', { app: 'a\nb', channel: 'c', id: 'd' }, 1));
  assert.equal(signedPath('s', { app: 'a 1', channel: 'r/1', id: 'f' }, 5), `/v1/apps/a%201/channels/r%2F1/files/f?exp=5&sig=${signFile('s', { app: 'a 1', channel: 'r/1', id: 'f' }, 5)}`);
});

test('sniffing: magic numbers decide; image sizes from the header; a truncated header gives no size', async () => {
  assert.deepEqual(await sniff(png(12, 34)), { type: 'image/png', width: 12, height: 34 });
  assert.deepEqual(await sniff(jpeg(800, 600)), { type: 'image/jpeg', width: 800, height: 600 });
  assert.deepEqual(await sniff(PDF), { type: 'application/pdf', width: null, height: null });
  assert.deepEqual(await sniff(HTML), { type: 'application/octet-stream', width: null, height: null });
  assert.deepEqual(await sniff(Buffer.alloc(0)), { type: 'application/octet-stream', width: null, height: null });
  assert.deepEqual(await sniff(jpeg(800, 600).subarray(0, 24)), { type: 'image/jpeg', width: null, height: null });
  const head = new HeadBytes(10);
  head.add(Buffer.from('0123456'));
  head.add(Buffer.from('789abc'));
  head.add(Buffer.from('def'));
  assert.equal(head.bytes().toString(), '0123456789');
});

test('file names: last path segment, no control characters, never empty or a dot name', () => {
  assert.equal(cleanName('photo.jpg'), 'photo.jpg');
  assert.equal(cleanName('/a/b/c.txt'), 'c.txt');
  assert.equal(cleanName('a\\b\\c.txt'), 'c.txt');
  assert.equal(cleanName('x\u0000y\u001b[31m.txt'), 'xy[31m.txt');
  assert.equal(cleanName('  spaced  '), 'spaced');
  for (const empty of [undefined, '', '.', '..', '/', 'dir/']) assert.equal(cleanName(empty), 'file', String(empty));
  assert.equal(cleanName('é'.repeat(300)).length, 255);
});

test('config: the blob store follows the store unless set; postgres blobs need the postgres store', () => {
  assert.equal(blobStoreKind(resolveConfig({})), 'fs');
  assert.equal(blobStoreKind(resolveConfig({ store: { kind: 'postgres', url: 'postgres://x' } })), 'postgres');
  assert.equal(blobStoreKind(resolveConfig({ store: { kind: 'postgres', url: 'postgres://x' }, blobStore: 'fs' })), 'fs');
  assert.throws(() => resolveConfig({ blobStore: 'postgres' }), /blobStore=postgres needs the postgres store/);
  assert.throws(() => resolveConfig({ blobStore: 's3' as 'fs' }), /blobStore must be fs or postgres/);
});
