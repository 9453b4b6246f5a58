// Item 6 — history: paging by sequence number over native `history` (since + reverse, limit),
// over the server API (after/before/limit), and with the official SDK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestApp, type TestServer } from '../helpers/server.ts';
import { api, dataOf, ENCODINGS, rawClient, sdkClient, type RawClient } from '../helpers/clients.ts';

type T = Parameters<typeof rawClient>[0];
const range = (from: number, to: number) => from <= to
  ? Array.from({ length: to - from + 1 }, (_, i) => from + i)
  : Array.from({ length: from - to + 1 }, (_, i) => from - i);

/** A server with channel "room" holding 25 messages (data = offset) and alice connected. */
async function seeded(t: T, config: Parameters<typeof startServer>[1] = {}): Promise<{ ts: TestServer; app: TestApp; c: RawClient; epoch: string; token: string }> {
  const ts = await startServer(t, config);
  const app = await ts.createApp();
  const token = (await api(ts, app, 'POST', '/tokens', { user: 'alice', device: 'phone' })).body.token;
  await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice'] });
  const c = await rawClient(t, ts.wsUrl);
  await c.call('connect', { token });
  let epoch = '';
  for (let i = 1; i <= 25; i++) {
    const r = await c.call('rpc', { method: 'publish', data: { channel: 'room', event: 'n', data: i } });
    assert.equal(r.rpc.data.offset, i);
    epoch = r.rpc.data.epoch;
  }
  return { ts, app, c, epoch, token };
}

async function hist(c: RawClient, body: object): Promise<any> {
  const r = await c.call('history', { channel: 'room', ...body });
  assert.ok(r.history, JSON.stringify(r));
  assert.equal(r.history.offset, 25);
  return r.history;
}
const offsets = (h: { publications?: { offset: number }[] }) => (h.publications ?? []).map((p) => p.offset);

test('native history pages forward with since and backward with reverse', async (t) => {
  const { c, epoch } = await seeded(t);
  const first = await hist(c, { limit: 10 });
  assert.equal(first.epoch, epoch);
  assert.deepEqual(offsets(first), range(1, 10));
  assert.deepEqual(offsets(await hist(c, { limit: 10, since: { offset: 10, epoch } })), range(11, 20));
  assert.deepEqual(offsets(await hist(c, { limit: 10, since: { offset: 20, epoch } })), range(21, 25));
  assert.deepEqual(offsets(await hist(c, { limit: 10, since: { offset: 25, epoch } })), []);
  assert.deepEqual(offsets(await hist(c, { limit: 10, since: { offset: 99, epoch } })), []);

  assert.deepEqual(offsets(await hist(c, { limit: 5, reverse: true })), range(25, 21));
  assert.deepEqual(offsets(await hist(c, { limit: 5, reverse: true, since: { offset: 21, epoch } })), range(20, 16));
  assert.deepEqual(offsets(await hist(c, { limit: 5, reverse: true, since: { offset: 3, epoch } })), [2, 1]);
  assert.deepEqual(offsets(await hist(c, { limit: 5, reverse: true, since: { offset: 1, epoch } })), []);

  // Walking the whole stream backwards in pages of 7 yields every message once.
  const seen: number[] = [];
  let page = await hist(c, { limit: 7, reverse: true });
  while (page.publications?.length) {
    seen.push(...offsets(page));
    const oldest = page.publications.at(-1).offset;
    page = await hist(c, { limit: 7, reverse: true, since: { offset: oldest, epoch } });
  }
  assert.deepEqual(seen, range(25, 1));

  // No limit is limit 0 (Protobuf cannot tell them apart): the stream position only. -1: everything
  // (capped by maxHistoryLimit). Publications carry the full fields.
  assert.deepEqual(offsets(await hist(c, {})), []);
  const all = await hist(c, { limit: -1 });
  assert.deepEqual(offsets(all), range(1, 25));
  const p = all.publications[4];
  assert.equal(p.data, 5);
  assert.equal(p.tags.event, 'n');
  assert.equal(typeof p.tags.id, 'string');
  assert.equal(p.info.user, 'alice');
  assert.deepEqual(p.info.conn_info, { device: 'phone' });
  assert.equal(typeof p.time, 'number');
});

test('limit 0 returns only the stream top (offset + epoch); a wrong epoch gets 112', async (t) => {
  const { c, epoch } = await seeded(t);
  const top = await hist(c, { limit: 0 });
  assert.equal(top.epoch, epoch);
  assert.deepEqual(top.publications ?? [], []);

  for (const body of [
    { limit: 5, since: { offset: 3, epoch: 'not-the-epoch' } },
    { limit: 5, reverse: true, since: { offset: 10, epoch: 'xyz' } },
  ]) {
    const r = await c.call('history', { channel: 'room', ...body });
    assert.equal(r.error?.code, 112, JSON.stringify(r));
  }
  // Bad paging values are bad requests.
  for (const body of [{ limit: 'ten' }, { limit: -5 }, { limit: 1.5 }, { since: { offset: -1, epoch } }, { since: 'x' }]) {
    const r = await c.call('history', { channel: 'room', ...body });
    assert.equal(r.error?.code, 107, `${JSON.stringify(body)}: ${JSON.stringify(r)}`);
  }
});

test('a limit above maxHistoryLimit is capped', async (t) => {
  const { c, ts, app } = await seeded(t, { maxHistoryLimit: 10 });
  assert.deepEqual(offsets(await hist(c, { limit: 1_000_000 })), range(1, 10));
  assert.deepEqual(offsets(await hist(c, { limit: Number.MAX_SAFE_INTEGER, reverse: true })), range(25, 16));
  const h = await api(ts, app, 'GET', '/channels/room/history?limit=999999');
  assert.deepEqual(offsets(h.body), range(1, 10));
});

test('server API history pages by after / before / limit', async (t) => {
  const { ts, app, epoch } = await seeded(t);
  const get = async (q: string) => {
    const r = await api(ts, app, 'GET', `/channels/room/history${q}`);
    assert.equal(r.status, 200, `${q}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.offset, 25);
    assert.equal(r.body.epoch, epoch);
    return offsets(r.body);
  };
  assert.deepEqual(await get(''), range(1, 25));
  assert.deepEqual(await get('?limit=10'), range(1, 10));
  assert.deepEqual(await get('?after=10&limit=5'), range(11, 15));
  assert.deepEqual(await get('?after=24'), [25]);
  assert.deepEqual(await get('?after=25'), []);
  assert.deepEqual(await get('?before=10&limit=3'), [9, 8, 7]);
  assert.deepEqual(await get('?before=26&limit=2'), [25, 24]);
  assert.deepEqual(await get('?before=1'), []);
  assert.deepEqual(await get('?limit=0'), []);

  for (const q of ['?after=1&before=5', '?limit=-1', '?limit=abc', '?after=-3', '?before=0', '?other=1']) {
    const r = await api(ts, app, 'GET', `/channels/room/history${q}`);
    assert.equal(r.status, 400, `${q}: ${r.status} ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 107);
  }
  const unknown = await api(ts, app, 'GET', '/channels/nope/history');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 102);
  assert.equal((await ts.http('GET', `/v1/apps/${app.id}/channels/room/history`)).status, 401);
});

for (const enc of ENCODINGS) test(`the official SDK pages history the same way [${enc}]`, async (t) => {
  const { ts, token, epoch } = await seeded(t);
  const sdk = await sdkClient(t, ts.wsUrl, token, { encoding: enc });
  const fwd = await sdk.history('room', { limit: 4, since: { offset: 8, epoch } });
  assert.deepEqual(fwd.publications.map((p) => p.offset), [9, 10, 11, 12]);
  assert.equal(fwd.offset, 25);
  assert.equal(fwd.epoch, epoch);
  const back = await sdk.history('room', { limit: 3, reverse: true });
  assert.deepEqual(back.publications.map((p) => p.offset), [25, 24, 23]);
  assert.deepEqual(back.publications.map((p) => dataOf(p.data)), [25, 24, 23]);
  assert.equal(back.publications[0]!.tags?.event, 'n');
  assert.equal(back.publications[0]!.info?.user, 'alice');
  assert.deepEqual(dataOf(back.publications[0]!.info?.connInfo), { device: 'phone' });
  // limit 0 (what a Protobuf client sends for "no limit" too): the stream position only.
  const top = await sdk.history('room', { limit: 0 });
  assert.deepEqual([top.publications.length, top.offset, top.epoch], [0, 25, epoch]);
  await assert.rejects(sdk.history('room', { limit: 3, since: { offset: 1, epoch: 'bad' } }), (e: { code?: number }) => e.code === 112);
});
