// What every official SDK must do against XPUSH, written once and run through each SDK's driver
// program (test/sdk/driver.ts). Each step is a subtest; after a failure the later steps are skipped
// (they build on each other), so a report names the first thing that broke.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Centrifuge, PublicationContext } from 'centrifuge';
import { mintToken } from '../../src/auth/tokens.ts';
import { api, sdkClient } from '../helpers/clients.ts';
import type { TestApp, TestServer } from '../helpers/server.ts';
import { tokenFor, waitFor } from '../e2e/e2e-kit.ts';
import { SdkCallError, type SdkDriver, type SdkEvent, type TcpRelay } from './driver.ts';

/** A named check; `known` names an XPUSH bug that makes it fail for this SDK (it then runs as todo). */
export type Step = [name: string, run: () => Promise<void>, known?: string];

/**
 * Runs `list` as subtests of `t`, in order; after the first failure the rest are skipped (they build
 * on each other). A step's own `known` bug marks it alone as todo and does not stop the rest.
 */
export async function steps(t: TestContext, list: Step[]): Promise<void> {
  let failed: string | undefined;
  for (const [name, run, known] of list) {
    if (failed) {
      await t.test(name, { skip: `"${failed}" failed first` }, () => undefined);
      continue;
    }
    await t.test(name, { todo: known }, async () => {
      try {
        await run();
      } catch (err) {
        if (!known) failed = name;
        throw err;
      }
    });
  }
}

/** The HTTP request an SDK's token callback makes: the app backend mints a fresh connection token. */
export function tokenRequest(baseUrl: string, app: { id: string; secret: string }, user: string, device: string) {
  return { url: `${baseUrl}/v1/apps/${app.id}/tokens`, headers: { 'x-api-key': app.secret }, body: { user, device } };
}

/** Waits for `connected` (resolves with it) or a terminal `disconnected` (fails fast with its code). */
export async function connected(d: SdkDriver, from: number, timeoutMs = 8000): Promise<SdkEvent> {
  const e = await d.waitEvent('connected (or disconnected)', (x) => x.event === 'connected' || x.event === 'disconnected', from, timeoutMs);
  if (e.event === 'disconnected') throw new Error(`${d.label}: disconnected ${e.code} ${e.reason} instead of connecting; ${d.tail()}`);
  return e;
}

export const offsets = (events: SdkEvent[]) => events.map((e) => e.offset);

export interface World {
  ts: TestServer;
  app: TestApp;
  /** Sits between the SDK and XPUSH: the recovery step drops the connection here. */
  relay: TcpRelay;
  d: SdkDriver;
}

/**
 * Everything but the cluster: connect (fresh and expired token), subscribe, pubs, history, presence,
 * rpc, recovery, removal. `known` maps a step's first word(s) to an XPUSH bug this SDK trips over.
 */
export function singleServerSteps(w: World, t: TestContext, known: Record<string, string> = {}): Step[] {
  const { ts, app, relay, d } = w;
  const url = relay.wsUrl;
  let bob: Centrifuge;
  let bobClient = '';
  let bobToken = '';
  const bobGot: PublicationContext[] = [];
  let sdkClient_ = '';
  let subMark = 0;
  let epoch = '';
  const serverPublish = async (data: unknown) => {
    const r = await api(ts, app, 'POST', '/publish', { channel: 'room', data });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.offset as number;
  };

  return [
    ['connects with a token', async () => {
      const token = await tokenFor(ts, app, 'alice', 'sdk'); // creates the users the app manages itself
      bobToken = await tokenFor(ts, app, 'bob', 'laptop');
      const r = await api(ts, app, 'POST', '/channels', { channel: 'room', members: ['alice', 'bob'] });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const from = d.mark();
      await d.call('connect', { url, token });
      const e = await connected(d, from);
      assert.match(e.client, /\S/);
      assert.equal(e.data.user, 'alice');
      assert.equal(e.data.device, 'sdk');
      assert.deepEqual(d.since(from, 'token'), [], 'a valid token needs no refresh');
      await d.call('close');
      await d.waitEvent('disconnected', (x) => x.event === 'disconnected', from);
    }],
    ['connects with an expired token: answered 109, fetches a fresh one through its token callback', async () => {
      const expired = (await mintToken(app.secret, { app: app.id, user: 'alice', device: 'sdk', ttlSec: -60 })).token;
      const from = d.mark();
      await d.call('connect', { url, token: expired, refresh: tokenRequest(ts.url, app, 'alice', 'sdk') });
      const e = await connected(d, from);
      const tokens = d.since(from, 'token');
      assert.deepEqual(tokens.map((x) => x.ok), [true], 'exactly one refresh, which worked');
      assert.ok(tokens[0]!.at <= e.at);
      assert.equal(e.data.user, 'alice');
      sdkClient_ = e.client;
    }],
    ['subscribes (positioned, recoverable)', async () => {
      bob = await sdkClient(t, ts.wsUrl, bobToken);
      const bobSub = bob.newSubscription('room');
      bobSub.on('publication', (p) => bobGot.push(p));
      bobSub.subscribe();
      await bobSub.ready(3000);
      bobClient = Object.values((await bob.presence('room')).clients).find((c) => c.user === 'bob')!.client;
      subMark = d.mark();
      await d.call('subscribe', { channel: 'room' });
      const s = await d.waitEvent('subscribed', (x) => x.event === 'subscribed' && x.channel === 'room', subMark);
      assert.equal(s.wasRecovering, false);
      assert.equal(s.recovered, false);
      assert.equal(s.recoverable, true);
      assert.equal(s.positioned, true);
    }],
    ['receives a publication with its offset and the sender (user, client, conn_info)', async () => {
      await bob.publish('room', { text: 'hi from bob' });
      const [p] = await d.publications('room', 1, subMark);
      assert.equal(p!.offset, 1);
      assert.deepEqual(p!.data, { text: 'hi from bob' });
      assert.equal(p!.info.user, 'bob');
      assert.equal(p!.info.client, bobClient);
      assert.deepEqual(p!.info.connInfo, { device: 'laptop' });
    }],
    ['publishes: others receive it with the SDK connection as sender', async () => {
      await d.call('publish', { channel: 'room', data: { text: 'hi from the sdk' } });
      const mine = await d.publications('room', 2, subMark);
      assert.deepEqual(offsets(mine), [1, 2]);
      await waitFor('bob gets it', () => bobGot.find((p) => p.offset === 2), 5000);
      const got = bobGot.find((p) => p.offset === 2)!;
      assert.deepEqual(got.data, { text: 'hi from the sdk' });
      assert.equal(got.info?.user, 'alice');
      assert.equal(got.info?.client, sdkClient_);
      assert.deepEqual(got.info?.connInfo, { device: 'sdk' });
    }],
    ['history with limit 0 returns only the stream position', async () => {
      for (let i = 3; i <= 7; i++) assert.equal(await serverPublish({ n: i }), i);
      const top = await d.call('history', { channel: 'room', limit: 0 });
      assert.equal(top.offset, 7);
      assert.match(top.epoch, /\S/);
      assert.deepEqual(top.publications, []);
    }, known['history-limit-0']],
    ['pages through history forwards and backwards; a wrong epoch is 112', async () => {
      const newest = await d.call('history', { channel: 'room', limit: 3, reverse: true });
      assert.deepEqual(newest.publications.map((p: any) => p.offset), [7, 6, 5]);
      assert.equal(newest.offset, 7);
      assert.deepEqual(newest.publications[0].data, { n: 7 });
      epoch = newest.epoch;
      assert.match(epoch, /\S/);
      const older = await d.call('history', { channel: 'room', limit: 3, reverse: true, since: { offset: 5, epoch } });
      assert.deepEqual(older.publications.map((p: any) => p.offset), [4, 3, 2]);
      assert.equal(older.publications.find((p: any) => p.offset === 2).info.user, 'alice');
      const forward: number[][] = [];
      for (let after = 0; ;) {
        const page = await d.call('history', { channel: 'room', limit: 3, since: { offset: after, epoch } });
        if (page.publications.length === 0) break;
        forward.push(page.publications.map((p: any) => p.offset));
        after = page.publications.at(-1).offset;
      }
      assert.deepEqual(forward, [[1, 2, 3], [4, 5, 6], [7]]);
      await assert.rejects(d.call('history', { channel: 'room', limit: 3, since: { offset: 1, epoch: 'not-the-epoch' } }), (e: SdkCallError) => e.code === 112);
    }],
    ['presence and presence stats', async () => {
      const p = await d.call('presence', { channel: 'room' });
      const me = p.clients[sdkClient_];
      assert.deepEqual([me?.user, me?.client, me?.connInfo], ['alice', sdkClient_, { device: 'sdk' }]);
      assert.equal(p.clients[bobClient]?.user, 'bob');
      assert.equal(Object.keys(p.clients).length, 2);
      assert.deepEqual(await d.call('presenceStats', { channel: 'room' }), { numClients: 2, numUsers: 2 });
    }],
    ['rpc: channel.list, a custom command, an unknown method (104)', async () => {
      const list = await d.call('rpc', { method: 'channel.list', data: {} });
      const room = list.data.channels.find((c: any) => c.channel === 'room');
      assert.equal(room?.offset, 7);
      const who = await d.call('rpc', { method: 'whoami', data: { hello: 'xpush' } });
      assert.deepEqual(who.data, { user: 'alice', device: 'sdk', client: sdkClient_, echo: { hello: 'xpush' } });
      await assert.rejects(d.call('rpc', { method: 'no.such.method', data: {} }), (e: SdkCallError) => e.code === 104);
    }],
    ['recovers after the server drops the connection: missed publications once, in order', async () => {
      const from = d.mark();
      relay.cut();
      await d.waitEvent('the SDK to notice', (x) => x.event === 'connecting' || x.event === 'disconnected', from);
      for (let i = 8; i <= 10; i++) assert.equal(await serverPublish({ n: i }), i);
      relay.restore();
      const s = await d.waitEvent('resubscribed', (x) => x.event === 'subscribed' && x.channel === 'room', from, 10_000);
      assert.equal(s.wasRecovering, true);
      assert.equal(s.recovered, true);
      await d.publications('room', 3, from);
      await bob.publish('room', { text: 'live again' });
      const pubs = await d.publications('room', 4, from);
      // Offset 11 came live after the recovered ones on the same socket: a duplicate would be before it.
      assert.deepEqual(offsets(d.since(from, 'publication')), [8, 9, 10, 11]);
      assert.deepEqual(pubs.map((p) => p.data), [{ n: 8 }, { n: 9 }, { n: 10 }, { text: 'live again' }]);
      assert.equal(d.since(from, 'connected').length, 1, 'reconnected once');
    }],
    ['gets an unsubscribe push (2000) when removed from the channel, and stays connected', async () => {
      const from = d.mark();
      const r = await api(ts, app, 'DELETE', '/channels/room/members', { users: ['alice'] });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const u = await d.waitEvent('unsubscribed', (x) => x.event === 'unsubscribed' && x.channel === 'room', from);
      assert.equal(u.code, 2000);
      await assert.rejects(d.call('history', { channel: 'room', limit: 1 }), (e: SdkCallError) => e.code === 103);
      assert.deepEqual(d.since(from, 'disconnected'), []);
      await bob.publish('room', { text: 'after removal' });
      await waitFor('bob sees it', () => bobGot.find((p) => p.offset === 12), 5000);
      assert.deepEqual(d.since(from, 'publication'), [], 'nothing delivered after the removal');
    }],
  ];
}
