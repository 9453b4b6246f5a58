import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PublicationContext } from 'centrifuge';
import { startServer } from '../helpers/server.ts';
import { userSession, api, sdkClient, dataOf, ENCODINGS, payload } from '../helpers/clients.ts';
import { waitFor } from './e2e-kit.ts';

for (const enc of ENCODINGS) {
  test(`two users chat over the official centrifuge client [${enc}]`, async (t) => {
    const ts = await startServer(t);
    const app = await ts.createApp();
    const alice = await userSession(ts, app, 'alice');
    const bob = await userSession(ts, app, 'bob');
    const r = await api(ts, app, 'POST', '/channels', { channel: 'room1', members: ['alice', 'bob'] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const a = await sdkClient(t, ts.wsUrl, alice.accessToken, { encoding: enc });
    const b = await sdkClient(t, ts.wsUrl, bob.accessToken, { encoding: enc });
    const sub = b.newSubscription('room1');
    const got: PublicationContext[] = [];
    sub.on('publication', (ctx) => got.push(ctx));
    sub.subscribe();
    await sub.ready(2000);
    const ack = await a.rpc('publish', payload(enc, { channel: 'room1', event: 'chat', data: { text: 'hi' } }));
    assert.equal(dataOf(ack.data).offset, 1);
    await waitFor('the publication', () => got.length === 1);
    assert.deepEqual(dataOf(got[0]!.data), { text: 'hi' });
    assert.equal(got[0]!.tags!.event, 'chat');
    assert.equal(got[0]!.info!.user, 'alice');
    assert.deepEqual(dataOf(got[0]!.info!.connInfo), { device: 'phone' });
  });
}
