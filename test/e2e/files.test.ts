// Files in channels over HTTP (issue 10 item 5): streaming upload under the app's size limit, type
// sniffed from the bytes, a `file` message, signed short-lived download URLs with Range, safe headers,
// and deletion of the bytes with the file, the channel or the app. SQLite store + filesystem blobs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api } from '../helpers/clients.ts';
import { tokenFor, waitFor } from './e2e-kit.ts';
import { png, gif, jpeg, PDF, ZIP, HTML, SVG, filesUnder } from '../helpers/files.ts';
import { upload, fileUrl, listFiles, deleteFile, download, byteStream } from '../helpers/files-http.ts';
import { signedPath } from '../../src/files/signed-url.ts';
import { DOWNLOAD_CSP } from '../../src/files/routes.ts';

const MB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Room {
  ts: TestServer;
  app: TestApp;
  alice: string;
  bob: string;
  carol: string;
  blobDir: string;
}

/** alice (owner) and bob in members channel `room`; carol is a user of the app but not a member. */
async function room(t: Parameters<typeof startServer>[0]): Promise<Room> {
  const ts = await startServer(t);
  const app = await ts.createApp();
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((u) => tokenFor(ts, app, u)));
  const ch = await api(ts, app, 'POST', '/channels', { channel: 'room', owner: 'alice', members: ['bob'] });
  assert.equal(ch.status, 201, JSON.stringify(ch.body));
  return { ts, app, alice: alice!, bob: bob!, carol: carol!, blobDir: path.join(ts.dataDir, 'files') };
}

async function history(r: Room, channel = 'room') {
  const h = await api(r.ts, r.app, 'GET', `/channels/${channel}/history?after=0`);
  assert.equal(h.status, 200, JSON.stringify(h.body));
  return h.body as { publications: { data: any; offset: number; tags: { event: string }; info: { user: string } }[]; offset: number };
}

test('5 MB upload by a member: a `file` message, then a member downloads it whole and by Range', async (t) => {
  const r = await room(t);
  const bytes = png(640, 480, 5 * MB);
  const up = await upload(r.ts.url, r.app.id, 'room', bytes, { token: r.alice }, { name: 'holiday.png', contentType: 'text/plain' });
  assert.equal(up.status, 201, JSON.stringify(up.body));
  const file = up.body.file;
  assert.deepEqual({ ...file, id: undefined }, { id: undefined, name: 'holiday.png', size: bytes.length, type: 'image/png', width: 640, height: 480 });
  assert.match(file.id, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(up.body.message.offset, 1);

  // The message in the channel: event `file`, data = the file's info, sent by alice.
  const h = await history(r);
  assert.equal(h.publications.length, 1);
  assert.equal(h.publications[0]!.tags.event, 'file');
  assert.deepEqual(h.publications[0]!.data, file);
  assert.equal(h.publications[0]!.info.user, 'alice');

  // bob (a member) asks for a URL, valid for the app's urlTtlSec (300 s by default).
  const u = await fileUrl(r.ts.url, r.app.id, 'room', file.id, { token: r.bob });
  assert.equal(u.status, 200, JSON.stringify(u.body));
  assert.ok(Math.abs(u.body.expiresAt - (Date.now() + 300_000)) < 5000, `expiresAt ${u.body.expiresAt}`);
  assert.equal(u.body.url, r.ts.url + u.body.path);

  const whole = await download(u.body.url);
  assert.equal(whole.status, 200);
  assert.equal(sha(whole.bytes), sha(bytes));
  assert.equal(whole.headers.get('content-type'), 'image/png');
  assert.equal(whole.headers.get('content-length'), String(bytes.length));
  assert.equal(whole.headers.get('accept-ranges'), 'bytes');
  assert.equal(whole.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(whole.headers.get('content-security-policy'), DOWNLOAD_CSP);
  assert.equal(whole.headers.get('content-disposition'), `inline; filename="holiday.png"; filename*=UTF-8''holiday.png`);

  const part = await download(u.body.url, { range: 'bytes=1000000-2999999' });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 1000000-2999999/${bytes.length}`);
  assert.equal(part.bytes.length, 2_000_000);
  assert.ok(part.bytes.equals(bytes.subarray(1_000_000, 3_000_000)));

  const tail = await download(u.body.url, { range: 'bytes=-100' });
  assert.equal(tail.status, 206);
  assert.ok(tail.bytes.equals(bytes.subarray(bytes.length - 100)));
  const open = await download(u.body.url, { range: `bytes=${bytes.length - 10}-` });
  assert.equal(open.status, 206);
  assert.ok(open.bytes.equals(bytes.subarray(bytes.length - 10)));

  // Several ranges at once are not served as multipart: the whole file, 200 (RFC 9110 allows ignoring Range).
  const multi = await download(u.body.url, { range: 'bytes=0-9,20-29' });
  assert.equal(multi.status, 200);
  assert.equal(multi.bytes.length, bytes.length);
  // If-Range with another validator: the client's copy is stale, so all of it.
  const stale = await download(u.body.url, { range: 'bytes=0-9', 'if-range': '"other"' });
  assert.equal(stale.status, 200);
  const fresh = await download(u.body.url, { range: 'bytes=0-9', 'if-range': whole.headers.get('etag')! });
  assert.equal(fresh.status, 206);

  const beyond = await download(u.body.url, { range: `bytes=${bytes.length}-` });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers.get('content-range'), `bytes */${bytes.length}`);
  assert.equal(beyond.json.error.code, 107);

  // The listing shows it, to members.
  const list = await listFiles(r.ts.url, r.app.id, 'room', { token: r.bob });
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.files.map((f: any) => [f.id, f.offset, f.user, f.channel]), [[file.id, 1, 'alice', 'room']]);
});

test('a non-member gets no URL and no listing; a forged, altered or expired URL is refused', async (t) => {
  const r = await room(t);
  const up = await upload(r.ts.url, r.app.id, 'room', png(4, 4), { token: r.alice });
  assert.equal(up.status, 201);
  const id = up.body.file.id;

  const refused = await fileUrl(r.ts.url, r.app.id, 'room', id, { token: r.carol });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error.code, 103);
  assert.equal((await listFiles(r.ts.url, r.app.id, 'room', { token: r.carol })).status, 403);
  assert.equal((await fileUrl(r.ts.url, r.app.id, 'room', id, {})).status, 401);
  assert.equal((await fileUrl(r.ts.url, r.app.id, 'room', id, { secret: 'sk_wrong' })).status, 401);
  // The backend may always ask.
  assert.equal((await fileUrl(r.ts.url, r.app.id, 'room', id, { secret: r.app.secret })).status, 200);

  const good = (await fileUrl(r.ts.url, r.app.id, 'room', id, { token: r.bob })).body;
  assert.equal((await download(good.url)).status, 200);
  const u = new URL(good.url);
  const sig = u.searchParams.get('sig')!;
  const exp = Number(u.searchParams.get('exp'));
  const variants = {
    'another signature': good.url.replace(sig, sig.slice(0, -2) + (sig.endsWith('AA') ? 'BB' : 'AA')),
    'a later expiry': good.url.replace(`exp=${exp}`, `exp=${exp + 3600}`),
    'another file id': good.url.replace(id, id.slice(0, -1) + (id.endsWith('A') ? 'B' : 'A')),
    'another channel': good.url.replace('/channels/room/', '/channels/other/'),
  };
  for (const [what, url] of Object.entries(variants)) {
    const d = await download(url);
    assert.equal(d.status, 403, what);
    assert.equal(d.json.error.code, 103, what);
  }
  const noSig = await download(good.url.split('?')[0]!);
  assert.equal(noSig.status, 400);

  // Signed correctly with the app secret, but its time is up: 410 / code 110 (expired).
  const past = Math.floor(Date.now() / 1000) - 1;
  const expired = await download(r.ts.url + signedPath(r.app.secret, { app: r.app.id, channel: 'room', id }, past));
  assert.equal(expired.status, 410);
  assert.equal(expired.json.error.code, 110);
  assert.match(expired.json.error.message, /expired/);
});

test('a URL stops working once its TTL (files.urlTtlSec) has passed', async (t) => {
  const r = await room(t);
  const patch = await r.ts.http('PATCH', `/v1/admin/apps/${r.app.id}/settings`, { files: { urlTtlSec: 10 } }, { authorization: `Bearer ${r.ts.adminToken}` });
  assert.equal(patch.status, 200, JSON.stringify(patch.body));
  assert.equal(patch.body.settings.files.maxFileBytes, 25 * MB, 'the other file setting is kept');
  const up = await upload(r.ts.url, r.app.id, 'room', gif(2, 2), { token: r.alice });
  const u = (await fileUrl(r.ts.url, r.app.id, 'room', up.body.file.id, { token: r.bob })).body;
  assert.ok(u.expiresAt - Date.now() <= 10_000 && u.expiresAt - Date.now() > 8_000);
  assert.equal((await download(u.url)).status, 200);
  await new Promise((res) => setTimeout(res, u.expiresAt - Date.now() + 1100));
  const late = await download(u.url);
  assert.equal(late.status, 410);
  assert.equal(late.json.error.code, 110);
});

test('HTML and SVG are served as attachments with nosniff and a locked-down CSP, whatever the client claimed', async (t) => {
  const r = await room(t);
  for (const [name, body, claimed] of [['page.html', HTML, 'text/html'], ['pic.svg', SVG, 'image/svg+xml'], ['x.png', HTML, 'image/png']] as const) {
    const up = await upload(r.ts.url, r.app.id, 'room', body, { token: r.alice }, { name, contentType: claimed });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    assert.equal(up.body.file.type, 'application/octet-stream', name);
    const u = (await fileUrl(r.ts.url, r.app.id, 'room', up.body.file.id, { token: r.bob })).body;
    const d = await download(u.url);
    assert.equal(d.status, 200);
    assert.ok(d.bytes.equals(body));
    assert.equal(d.headers.get('content-type'), 'application/octet-stream', name);
    assert.equal(d.headers.get('content-disposition'), `attachment; filename="${name}"; filename*=UTF-8''${name}`);
    assert.equal(d.headers.get('x-content-type-options'), 'nosniff');
    assert.match(d.headers.get('content-security-policy')!, /default-src 'none'.*sandbox/);
  }
});

test('the type is sniffed from the bytes: images with their size, pdf, zip; names are cleaned', async (t) => {
  const r = await room(t);
  const cases: [string, Buffer, string, object, string][] = [
    ['a.txt', png(300, 200), 'image/png', { width: 300, height: 200 }, 'inline'],
    ['b', gif(17, 9), 'image/gif', { width: 17, height: 9 }, 'inline'],
    ['c.gif', jpeg(1024, 768), 'image/jpeg', { width: 1024, height: 768 }, 'inline'],
    ['doc.jpg', PDF, 'application/pdf', {}, 'attachment'],
    ['archive', ZIP, 'application/zip', {}, 'attachment'],
    ['notes.pdf', Buffer.from('just some text\n'), 'application/octet-stream', {}, 'attachment'],
  ];
  for (const [name, body, type, dims, disposition] of cases) {
    const up = await upload(r.ts.url, r.app.id, 'room', body, { token: r.alice }, { name, contentType: 'application/x-whatever' });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    assert.deepEqual({ type: up.body.file.type, width: up.body.file.width, height: up.body.file.height }, { type, width: undefined, height: undefined, ...dims }, name);
    const d = await download((await fileUrl(r.ts.url, r.app.id, 'room', up.body.file.id, { token: r.bob })).body.url);
    assert.equal(d.headers.get('content-type'), type);
    assert.ok(d.headers.get('content-disposition')!.startsWith(disposition + ';'), name);
  }
  // Names: the last path segment only, no control characters, non-ASCII kept exactly in filename*.
  const named = async (name: string) => (await upload(r.ts.url, r.app.id, 'room', PDF, { token: r.alice }, { name })).body.file;
  assert.equal((await named('../../etc/passwd')).name, 'passwd');
  assert.equal((await named('C:\\Users\\me\\report.pdf')).name, 'report.pdf');
  assert.equal((await named('a\r\nb.pdf')).name, 'ab.pdf');
  assert.equal((await named('..')).name, 'file');
  const f = await named('résumé "final".pdf');
  assert.equal(f.name, 'résumé "final".pdf');
  const d = await download((await fileUrl(r.ts.url, r.app.id, 'room', f.id, { token: r.bob })).body.url);
  assert.equal(d.headers.get('content-disposition'), `attachment; filename="r_sum_ _final_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf`);
  const unnamed = await upload(r.ts.url, r.app.id, 'room', PDF, { token: r.alice });
  assert.equal(unnamed.body.file.name, 'file');
});

test('over the size limit: 413 with code 106, before reading (Content-Length) or while streaming, and nothing is stored', async (t) => {
  const r = await room(t);
  const patch = await r.ts.http('PATCH', `/v1/admin/apps/${r.app.id}/settings`, { files: { maxFileBytes: MB } }, { authorization: `Bearer ${r.ts.adminToken}` });
  assert.equal(patch.status, 200);
  const big = png(10, 10, 3 * MB);
  const declared = await upload(r.ts.url, r.app.id, 'room', big, { token: r.alice });
  assert.equal(declared.status, 413);
  assert.equal(declared.body.error.code, 106);
  assert.match(declared.body.error.message, /limit is 1048576 bytes \(setting files\.maxFileBytes\)/);
  const streamed = await upload(r.ts.url, r.app.id, 'room', byteStream(big), { token: r.alice });
  assert.equal(streamed.status, 413);
  assert.equal(streamed.body.error.code, 106);

  assert.equal((await history(r)).offset, 0, 'no message');
  assert.deepEqual((await listFiles(r.ts.url, r.app.id, 'room', { token: r.alice })).body.files, []);
  assert.deepEqual(filesUnder(r.blobDir), [], 'no bytes, no partial file');

  // Exactly at the limit is fine, and the server still answers on new connections.
  const exact = await upload(r.ts.url, r.app.id, 'room', png(10, 10, MB), { token: r.alice });
  assert.equal(exact.status, 201, JSON.stringify(exact.body));
  assert.equal(exact.body.file.size, MB);
  assert.equal(filesUnder(r.blobDir).length, 1);
});

test('who may upload: members and the backend (with a sender); refusals store nothing', async (t) => {
  const r = await room(t);
  const body = png(2, 2);
  const cases: [string, Parameters<typeof upload>[4], number, number, string?][] = [
    ['no credential', {}, 401, 101],
    ['a bad token', { token: 'nope' }, 401, 101],
    ['a wrong secret', { secret: 'sk_nope' }, 401, 101],
    ['a non-member', { token: r.carol }, 403, 103],
  ];
  for (const [what, who, status, code] of cases) {
    const up = await upload(r.ts.url, r.app.id, 'room', body, who);
    assert.equal(up.status, status, what);
    assert.equal(up.body.error.code, code, what);
  }
  const missing = await upload(r.ts.url, r.app.id, 'nowhere', body, { token: r.alice });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 102);
  const empty = await upload(r.ts.url, r.app.id, 'room', Buffer.alloc(0), { token: r.alice });
  assert.equal(empty.status, 400);
  assert.equal(empty.body.error.code, 107);
  const userSender = await upload(r.ts.url, r.app.id, 'room', body, { token: r.alice }, { sender: 'bob' });
  assert.equal(userSender.status, 400);
  assert.equal((await history(r)).offset, 0);
  assert.deepEqual(filesUnder(r.blobDir), []);

  const byBackend = await upload(r.ts.url, r.app.id, 'room', body, { secret: r.app.secret }, { sender: 'bob', name: 'from-backend.png' });
  assert.equal(byBackend.status, 201, JSON.stringify(byBackend.body));
  const h = await history(r);
  assert.equal(h.publications[0]!.info.user, 'bob');
  const asSystem = await upload(r.ts.url, r.app.id, 'room', body, { secret: r.app.secret });
  assert.equal(asSystem.status, 201);
  assert.equal((await history(r)).publications[1]!.info.user, '');
});

test('an upload is streamed to disk as it arrives, and one cut off mid-way leaves nothing behind', async (t) => {
  const r = await room(t);
  const http = await import('node:http');
  const fs = await import('node:fs');
  const url = new URL(`${r.ts.url}/v1/apps/${r.app.id}/channels/room/files?name=cut.bin`);
  const req = http.request(url, { method: 'POST', headers: { authorization: `Bearer ${r.alice}`, 'content-length': String(4 * MB) } });
  req.on('error', () => undefined);
  req.write(randomBytes(MB));
  // The first megabyte is on disk (a partial file) while the rest has not been sent: nothing waits for the whole body.
  await waitFor('a partial file on disk', () => filesUnder(r.blobDir).find((f) => f.endsWith('.part') && fs.statSync(f).size === MB), 5000);
  assert.equal((fs.statSync(filesUnder(r.blobDir)[0]!).mode & 0o777), 0o600, 'owner-only');
  req.destroy();
  // The server notices the cut, removes the partial bytes and publishes nothing.
  await waitFor('the partial file removed', () => filesUnder(r.blobDir).length === 0, 5000);
  assert.equal((await history(r)).offset, 0);
});

test('deleting a file (uploader, owner or backend) removes its bytes, listing and URLs; deleting the channel or app removes all', async (t) => {
  const r = await room(t);
  const ids: string[] = [];
  for (const who of [r.bob, r.bob, r.alice]) {
    const up = await upload(r.ts.url, r.app.id, 'room', png(3, 3, 2000), { token: who });
    assert.equal(up.status, 201);
    ids.push(up.body.file.id);
  }
  assert.equal(filesUnder(r.blobDir).length, 3);
  const url0 = (await fileUrl(r.ts.url, r.app.id, 'room', ids[0]!, { token: r.bob })).body.url;

  // bob may not delete alice's file (he is neither uploader nor owner); alice (owner) may delete bob's.
  const notHis = await deleteFile(r.ts.url, r.app.id, 'room', ids[2]!, { token: r.bob });
  assert.equal(notHis.status, 403);
  assert.equal((await deleteFile(r.ts.url, r.app.id, 'room', ids[0]!, { token: r.carol })).status, 403);
  const byOwner = await deleteFile(r.ts.url, r.app.id, 'room', ids[0]!, { token: r.alice });
  assert.deepEqual(byOwner.body, { deleted: true });
  assert.equal((await deleteFile(r.ts.url, r.app.id, 'room', ids[0]!, { token: r.alice })).status, 404);
  assert.equal((await deleteFile(r.ts.url, r.app.id, 'room', ids[1]!, { token: r.bob })).status, 200, 'the uploader');
  assert.equal(filesUnder(r.blobDir).length, 1);
  const gone = await download(url0);
  assert.equal(gone.status, 404);
  assert.equal((await fileUrl(r.ts.url, r.app.id, 'room', ids[0]!, { token: r.bob })).status, 404);
  const listed = (await listFiles(r.ts.url, r.app.id, 'room', { token: r.bob })).body.files;
  assert.deepEqual(listed.map((f: any) => f.id), [ids[2]]);
  const h = await history(r);
  assert.deepEqual(h.publications.slice(3).map((p) => [p.tags.event, p.data, p.info.user]), [
    ['file.deleted', { id: ids[0] }, 'alice'],
    ['file.deleted', { id: ids[1] }, 'bob'],
  ]);

  // Deleting the channel deletes its remaining files' bytes.
  const url2 = (await fileUrl(r.ts.url, r.app.id, 'room', ids[2]!, { token: r.bob })).body.url;
  assert.equal((await api(r.ts, r.app, 'DELETE', '/channels/room')).status, 200);
  assert.deepEqual(filesUnder(r.blobDir), []);
  assert.equal((await download(url2)).status, 404);

  // Deleting the app deletes the bytes of every channel.
  await api(r.ts, r.app, 'POST', '/channels', { channel: 'a', owner: 'alice' });
  await api(r.ts, r.app, 'POST', '/channels', { channel: 'b', owner: 'alice' });
  for (const ch of ['a', 'b']) assert.equal((await upload(r.ts.url, r.app.id, ch, PDF, { token: r.alice })).status, 201);
  assert.equal(filesUnder(r.blobDir).length, 2);
  const del = await r.ts.http('DELETE', `/v1/admin/apps/${r.app.id}`, undefined, { authorization: `Bearer ${r.ts.adminToken}` });
  assert.equal(del.status, 200);
  assert.deepEqual(filesUnder(r.blobDir), []);
});

test('listing pages newest first with `before`', async (t) => {
  const r = await room(t);
  for (let i = 0; i < 5; i++) assert.equal((await upload(r.ts.url, r.app.id, 'room', PDF, { token: r.alice }, { name: `f${i}.pdf` })).status, 201);
  const p1 = (await listFiles(r.ts.url, r.app.id, 'room', { token: r.bob }, '?limit=2')).body.files;
  assert.deepEqual(p1.map((f: any) => f.name), ['f4.pdf', 'f3.pdf']);
  const p2 = (await listFiles(r.ts.url, r.app.id, 'room', { token: r.bob }, `?limit=2&before=${p1[1].offset}`)).body.files;
  assert.deepEqual(p2.map((f: any) => f.name), ['f2.pdf', 'f1.pdf']);
  assert.equal((await listFiles(r.ts.url, r.app.id, 'room', { token: r.bob }, '?limit=500')).status, 400);
});

test('a node starting sweeps partial uploads a crash left behind (older than a day), and keeps the rest', async (t) => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-test-'));
  const dir = path.join(dataDir, 'files', 'a'.repeat(32), 'b'.repeat(32));
  fs.mkdirSync(dir, { recursive: true });
  const old = path.join(dir, '.f1.0123456789ab.part');
  const recent = path.join(dir, '.f2.0123456789ab.part');
  const done = path.join(dir, 'f3');
  for (const f of [old, recent, done]) fs.writeFileSync(f, 'x');
  const dayAgo = new Date(Date.now() - 25 * 3600_000);
  fs.utimesSync(old, dayAgo, dayAgo);
  fs.utimesSync(done, dayAgo, dayAgo);
  const { createServer } = await import('../../src/index.ts');
  const { wrapServer } = await import('../helpers/server.ts');
  const server = await createServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', adminToken: 'x' });
  await wrapServer(t, server, dataDir);
  assert.deepEqual(filesUnder(path.join(dataDir, 'files')).sort(), [recent, done].sort());
});

test('a beforePublish hook refusing the `file` message refuses the upload, and nothing stays', async (t) => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const { createServer } = await import('../../src/index.ts');
  const { wrapServer } = await import('../helpers/server.ts');
  const { Errors } = await import('../../src/errors.ts');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-test-'));
  const server = await createServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', adminToken: 'x' });
  server.hook('beforePublish', ({ event, data }) => {
    if (event === 'file' && (data as { type?: string }).type === 'application/pdf') throw Errors.permissionDenied.with('no PDFs here');
  });
  const ts = await wrapServer(t, server, dataDir);
  const app = await ts.createApp();
  const alice = await tokenFor(ts, app, 'alice');
  await api(ts, app, 'POST', '/channels', { channel: 'room', owner: 'alice' });
  const refused = await upload(ts.url, app.id, 'room', PDF, { token: alice });
  assert.equal(refused.status, 403);
  assert.deepEqual(refused.body.error, { code: 103, message: 'no PDFs here' });
  assert.deepEqual(filesUnder(path.join(dataDir, 'files')), []);
  assert.deepEqual((await listFiles(ts.url, app.id, 'room', { token: alice })).body.files, []);
  assert.equal((await upload(ts.url, app.id, 'room', gif(1, 1), { token: alice })).status, 201);
});
