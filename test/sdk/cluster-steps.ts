// The reconnect case on a real cluster (PostgreSQL store, Redis broker, nodes as processes): the SDK
// reaches a channel server through a relay; that node is killed (-9), the relay then leads to the
// other channel server, and the SDK must resubscribe there and recover what it missed from the
// durable store. The session server and the surviving channel server are shared by all SDKs of the
// file; each SDK gets a channel server of its own to lose.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { TestCluster, type Node } from '../helpers/cluster.ts';
import { json } from '../cluster/kit.ts';
import { portOf, TcpRelay, type SdkDriver } from './driver.ts';
import { connected, offsets, type Step } from './scenario.ts';

export interface ClusterBase {
  cluster: TestCluster;
  session: Node;
  /** The channel server the SDKs move to. */
  survivor: Node;
}

/** 1 session + 1 channel server; `cleanup` receives what stops them. */
export async function startClusterBase(cleanup: (fn: () => unknown) => void): Promise<ClusterBase> {
  const cluster = new TestCluster();
  cleanup(() => cluster.stop());
  const session = await cluster.start('session', 's1'); // runs the migrations first
  const survivor = await cluster.start('channel', 'survivor');
  return { cluster, session, survivor };
}

export interface Pair extends ClusterBase {
  /** This SDK's channel server, killed by the test. */
  victim: Node;
  relay: TcpRelay;
  /** Server API on the session server, with this test's app secret. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/** A channel server named `victimId` next to the survivor, an app, and a relay in front of the victim. */
export async function startPair(t: TestContext, base: ClusterBase, victimId: string): Promise<Pair> {
  const victim = await base.cluster.start('channel', victimId);
  t.after(() => base.cluster.kill(victim));
  const created = await json('POST', base.session.url + '/v1/admin/apps', { name: `sdk ${victimId}` }, { authorization: `Bearer ${base.cluster.adminToken}` });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const app = created.body as { id: string; secret: string };
  const relay = new TcpRelay(portOf(victim.wsUrl));
  await relay.start();
  t.after(() => relay.close());
  return { ...base, victim, relay, api: (m, p, b) => json(m, `${base.session.url}/v1/apps/${app.id}${p}`, b, { 'x-api-key': app.secret }) };
}

export function clusterSteps(p: Pair, d: SdkDriver): Step[] {
  const publish = async (n: number) => {
    const r = await p.api('POST', '/publish', { channel: 'room', data: { n } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.offset, n);
  };
  let subMark = 0;
  return [
    ['connects to its channel server and subscribes', async () => {
      const t = await p.api('POST', '/tokens', { user: 'alice', device: 'sdk' }); // creates the user
      assert.equal(t.status, 200, JSON.stringify(t.body));
      const ch = await p.api('POST', '/channels', { channel: 'room', members: ['alice'] });
      assert.equal(ch.status, 201, JSON.stringify(ch.body));
      const from = d.mark();
      await d.call('connect', { url: p.relay.wsUrl, token: t.body.token });
      const c = await connected(d, from);
      assert.equal(c.data.node, p.victim.id);
      subMark = d.mark();
      await d.call('subscribe', { channel: 'room' });
      await d.waitEvent('subscribed', (e) => e.event === 'subscribed', subMark);
      await publish(1);
      await publish(2);
      assert.deepEqual(offsets(await d.publications('room', 2, subMark)), [1, 2]);
    }],
    ['kill -9 of that server: reconnects to the other, recovered, missed publications once and in order', async () => {
      const from = d.mark();
      p.relay.cut();
      await p.cluster.kill(p.victim);
      await d.waitEvent('the SDK to notice', (e) => e.event === 'connecting' || e.event === 'disconnected', from);
      for (const n of [3, 4, 5]) await publish(n);
      p.relay.restore(portOf(p.survivor.wsUrl));
      const c = await connected(d, from, 15_000);
      assert.equal(c.data.node, p.survivor.id);
      const s = await d.waitEvent('resubscribed', (e) => e.event === 'subscribed', from, 10_000);
      assert.equal(s.wasRecovering, true);
      assert.equal(s.recovered, true);
      await publish(6);
      const got = await d.publications('room', 4, from);
      assert.deepEqual(offsets(got), [3, 4, 5, 6]);
      assert.deepEqual(got.map((e) => e.data), [{ n: 3 }, { n: 4 }, { n: 5 }, { n: 6 }]);
      assert.deepEqual(offsets(d.since(subMark, 'publication')), [1, 2, 3, 4, 5, 6], 'every offset once, in order');
    }],
  ];
}
