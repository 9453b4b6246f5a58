// Files on a cluster with the PostgreSQL blob store (the default with the postgres store): uploaded
// through one session node, downloaded through another, announced to a member on a channel node;
// the bytes live in PostgreSQL only, and go with the channel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { TestCluster } from '../helpers/cluster.ts';
import { requireServices, PG_URL } from '../helpers/services.ts';
import { RawClient } from '../helpers/clients.ts';
import { png, HTML, filesUnder } from '../helpers/files.ts';
import { upload, fileUrl, download } from '../helpers/files-http.ts';
import { signedPath } from '../../src/files/signed-url.ts';
import { json } from './kit.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('2 session nodes + PostgreSQL blobs: upload via A, member downloads via B with Range; non-member, expired URL and HTML refused or contained', async (t) => {
  if (!(await requireServices(t, 'postgres', 'redis'))) return;
  const cluster = new TestCluster();
  t.after(() => cluster.stop());
  const a = await cluster.start('session', 'sA');
  const b = await cluster.start('session', 'sB');
  const c1 = await cluster.start('channel', 'c1');
  const app = (await json('POST', a.url + '/v1/admin/apps', { name: 'files' }, { authorization: `Bearer ${cluster.adminToken}` })).body as { id: string; secret: string };
  const api = (m: string, p: string, body?: unknown) => json(m, `${a.url}/v1/apps/${app.id}${p}`, body, { 'x-api-key': app.secret });
  const token = async (user: string) => (await api('POST', '/tokens', { user })).body.token as string;
  const [alice, bob, carol] = [await token('alice'), await token('bob'), await token('carol')];
  assert.equal((await api('POST', '/channels', { channel: 'room', owner: 'alice', members: ['bob'] })).status, 201);

  // bob listens on the channel node.
  const listener = new RawClient(c1.wsUrl);
  listener.autoPong = true;
  t.after(() => listener.close());
  await listener.open();
  assert.ok((await listener.call('connect', { token: bob })).connect);
  assert.ok((await listener.call('subscribe', { channel: 'room' })).subscribe);

  const bytes = png(1920, 1080, 5 * 1024 * 1024);
  const up = await upload(a.url, app.id, 'room', bytes, { token: alice }, { name: 'big.png' });
  assert.equal(up.status, 201, JSON.stringify(up.body));
  const id = up.body.file.id as string;
  await listener.waitFor(() => listener.received.some((m) => m.push?.pub?.tags?.event === 'file'), 5000);
  const pub = listener.received.find((m) => m.push?.pub?.tags?.event === 'file').push.pub;
  assert.deepEqual(pub.data, up.body.file);
  assert.deepEqual([pub.data.width, pub.data.height], [1920, 1080]);

  // The bytes are in PostgreSQL, not on the (here shared) data dir: no node needs another's disk.
  const db = new pg.Client({ connectionString: PG_URL });
  await db.connect();
  t.after(() => db.end());
  const chunks = await db.query(`SELECT count(*)::int AS n, sum(length(data))::bigint AS bytes FROM "${cluster.schema}".blob_chunks WHERE app_id = $1`, [app.id]);
  assert.equal(chunks.rows[0].n, Math.ceil(bytes.length / (256 * 1024)));
  assert.equal(Number(chunks.rows[0].bytes), bytes.length);
  assert.deepEqual(filesUnder((cluster as unknown as { dir: string }).dir).filter((f) => !f.endsWith('config.json') && !f.endsWith('admin-token')), []);

  // bob asks node B for a URL and downloads through node B: whole, then a range.
  const u = await fileUrl(b.url, app.id, 'room', id, { token: bob });
  assert.equal(u.status, 200, JSON.stringify(u.body));
  assert.ok(u.body.url.startsWith(b.url));
  const whole = await download(u.body.url);
  assert.equal(whole.status, 200);
  assert.equal(sha(whole.bytes), sha(bytes));
  const part = await download(u.body.url, { range: 'bytes=262000-786999' });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 262000-786999/${bytes.length}`);
  assert.ok(part.bytes.equals(bytes.subarray(262_000, 787_000)));
  // A URL made by node B works on node A too (same app secret, no node state).
  assert.equal((await download(a.url + u.body.path, { range: 'bytes=0-9' })).status, 206);

  // carol is no member: refused on either node. An expired URL is refused.
  for (const node of [a, b]) {
    const r = await fileUrl(node.url, app.id, 'room', id, { token: carol });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 103);
  }
  const expired = await download(b.url + signedPath(app.secret, { app: app.id, channel: 'room', id }, Math.floor(Date.now() / 1000) - 1));
  assert.equal(expired.status, 410);
  assert.equal(expired.json.error.code, 110);

  // HTML uploaded via B, downloaded via A: an attachment, never a page.
  const page = await upload(b.url, app.id, 'room', HTML, { token: bob }, { name: 'x.html', contentType: 'text/html' });
  assert.equal(page.status, 201);
  const pu = await fileUrl(a.url, app.id, 'room', page.body.file.id, { token: alice });
  const pd = await download(pu.body.url);
  assert.equal(pd.headers.get('content-type'), 'application/octet-stream');
  assert.ok(pd.headers.get('content-disposition')!.startsWith('attachment;'));
  assert.equal(pd.headers.get('x-content-type-options'), 'nosniff');

  // Deleting the channel through node B removes every chunk.
  assert.equal((await json('DELETE', `${b.url}/v1/apps/${app.id}/channels/room`, undefined, { 'x-api-key': app.secret })).status, 200);
  const left = await db.query(`SELECT (SELECT count(*) FROM "${cluster.schema}".blob_chunks)::int AS chunks, (SELECT count(*) FROM "${cluster.schema}".blobs)::int AS blobs`);
  assert.deepEqual(left.rows[0], { chunks: 0, blobs: 0 });
  assert.equal((await download(u.body.url)).status, 404);
});
