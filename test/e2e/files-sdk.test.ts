// The XPush SDK's files in Node: sendFile from bytes, a Blob/File and a Node stream with progress
// events, the `file` message at the other member, fileUrl and a Range download, limits and refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { startServer } from '../helpers/server.ts';
import { loggedIn, waitFor } from './sdk-kit.ts';
import { png, PDF } from '../helpers/files.ts';
import { XPushError, type UploadProgress } from '../../src/client/index.ts';

const MB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('sendFile with progress; the other member gets the `file` message and downloads it through fileUrl, with Range', async (t) => {
  const srv = await startServer(t);
  const app = await srv.createApp();
  const alice = await loggedIn(t, srv, app, 'alice', 'laptop');
  const bob = await loggedIn(t, srv, app, 'bob', 'phone');
  await alice.xp.createChannel('room', { members: ['bob'] });
  await waitFor('bob subscribed', () => bob.events.find((e) => e.name === 'subscribed' && e.args[0] === 'room'));

  const bytes = png(320, 240, 5 * MB);
  const seen: UploadProgress[] = [];
  const events: unknown[][] = [];
  alice.xp.on('upload.progress', (...args) => events.push(args));
  const sent = await alice.xp.sendFile('room', bytes, { name: 'cat.png', onProgress: (p) => seen.push(p) });
  assert.deepEqual({ ...sent.file, id: 'x' }, { id: 'x', name: 'cat.png', size: bytes.length, type: 'image/png', width: 320, height: 240 });
  assert.equal(sent.message.channel, 'room');
  // Progress: many steps, never backwards, ending at the total.
  assert.ok(seen.length >= 10, `${seen.length} progress events`);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.loaded >= seen[i - 1]!.loaded);
  assert.deepEqual(seen.at(-1), { loaded: bytes.length, total: bytes.length });
  assert.equal(events.length, seen.length);
  assert.deepEqual(events.at(-1), ['room', { loaded: bytes.length, total: bytes.length }]);

  const msg = await waitFor('the file message at bob', () => bob.messages.find((m) => m.event === 'file'));
  assert.deepEqual(msg.data, sent.file);
  assert.equal(msg.meta.user, 'alice');
  assert.equal(msg.meta.offset, sent.message.offset);

  const url = await bob.xp.fileUrl(msg);
  assert.ok(url.startsWith(srv.url + `/v1/apps/${app.id}/channels/room/files/${sent.file.id}?exp=`), url);
  const whole = await fetch(url);
  assert.equal(whole.status, 200);
  assert.equal(sha(new Uint8Array(await whole.arrayBuffer())), sha(bytes));
  const part = await fetch(url, { headers: { range: 'bytes=4000000-4000099' } });
  assert.equal(part.status, 206);
  assert.ok(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(4_000_000, 4_000_100)));
  // {channel, id} works as well as the message.
  assert.equal(new URL(await alice.xp.fileUrl({ channel: 'room', id: sent.file.id })).pathname, new URL(url).pathname);
});

test('sendFile from a Node stream (size unknown) and from a File; refusals are XPushErrors', async (t) => {
  const srv = await startServer(t);
  const app = await srv.createApp();
  const alice = await loggedIn(t, srv, app, 'alice', 'laptop');
  const carol = await loggedIn(t, srv, app, 'carol', 'phone');
  await alice.xp.createChannel('room');

  const bytes = png(8, 8, 700_000);
  const seen: UploadProgress[] = [];
  const fromStream = await alice.xp.sendFile('room', Readable.from([bytes.subarray(0, 300_000), bytes.subarray(300_000)]), { name: 'stream.png', onProgress: (p) => seen.push(p) });
  assert.equal(fromStream.file.size, bytes.length);
  assert.equal(fromStream.file.type, 'image/png');
  assert.deepEqual(seen, [{ loaded: 300_000 }, { loaded: bytes.length }], 'no total for a stream');

  const fromFile = await alice.xp.sendFile('room', new File([PDF], 'report.pdf', { type: 'text/html' }));
  assert.deepEqual({ name: fromFile.file.name, type: fromFile.file.type, size: fromFile.file.size }, { name: 'report.pdf', type: 'application/pdf', size: PDF.length });
  const fromWebStream = await alice.xp.sendFile('room', new Blob([PDF]).stream());
  assert.equal(fromWebStream.file.size, PDF.length);
  assert.equal(fromWebStream.file.name, 'file');

  // carol is not a member: no upload, no URL.
  await assert.rejects(carol.xp.sendFile('room', PDF), (e: unknown) => e instanceof XPushError && e.code === 103);
  await assert.rejects(carol.xp.fileUrl({ channel: 'room', id: fromFile.file.id }), (e: unknown) => e instanceof XPushError && e.code === 103);
  await assert.rejects(alice.xp.fileUrl({ channel: 'room', data: { text: 'not a file' } }), (e: unknown) => e instanceof XPushError && e.code === 107);

  // Over the app's limit: 106, with bytes of known size (refused before sending) and with a stream.
  const patch = await srv.http('PATCH', `/v1/admin/apps/${app.id}/settings`, { files: { maxFileBytes: 100_000 } }, { authorization: `Bearer ${srv.adminToken}` });
  assert.equal(patch.status, 200);
  const big = png(8, 8, 2 * MB);
  await assert.rejects(alice.xp.sendFile('room', big), (e: unknown) => e instanceof XPushError && e.code === 106 && /100000 bytes/.test(e.message));
  await assert.rejects(alice.xp.sendFile('room', Readable.from([big])), (e: unknown) => e instanceof XPushError && e.code === 106);
  const files = await srv.http('GET', `/v1/apps/${app.id}/channels/room/files`, undefined, { 'x-api-key': app.secret });
  assert.equal(files.body.files.length, 3, 'only the three accepted uploads');
});

test('sendFile renews an access token that is about to expire', async (t) => {
  const srv = await startServer(t, { accessTokenTtlSec: 20 });
  const app = await srv.createApp();
  const alice = await loggedIn(t, srv, app, 'alice', 'laptop');
  await alice.xp.createChannel('room');
  // Refresh tokens rotate on every refresh: a new one shows a refresh happened (an access token
  // minted within the same second can be identical).
  const before = alice.xp.tokens!.refreshToken;
  // 20 s tokens are always within the 30 s renewal margin: each call refreshes first.
  const r = await alice.xp.sendFile('room', PDF);
  assert.equal(r.file.size, PDF.length);
  assert.notEqual(alice.xp.tokens!.refreshToken, before);
});
