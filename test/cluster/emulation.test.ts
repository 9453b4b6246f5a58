// Issue 9 item 2, "no sticky sessions": an HTTP-streaming/SSE client whose emulation POSTs land on
// another node (or on the session server) is served as if they reached its stream's node — the
// POST is forwarded over Redis to `n:<node>`. Real processes, PostgreSQL and Redis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PublicationContext } from 'centrifuge';
import { TestCluster, type Node } from '../helpers/cluster.ts';
import { requireServices } from '../helpers/services.ts';
import { connectOver, emulate, rawHttpStream } from '../helpers/http-transports.ts';
import { json, until } from './kit.ts';

interface Booted {
  session: Node;
  c1: Node;
  c2: Node;
  cluster: TestCluster;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  token(user: string): Promise<string>;
}

/** 1 session server + 2 channel servers, pinging every second so pong forwarding is exercised. */
async function boot(t: Parameters<typeof requireServices>[0]): Promise<Booted | undefined> {
  if (!(await requireServices(t, 'postgres', 'redis'))) return undefined;
  const cluster = new TestCluster({ config: { pingIntervalMs: 1000, pongTimeoutMs: 800 } });
  t.after(() => cluster.stop());
  const session = await cluster.start('session', 's1');
  const [c1, c2] = await Promise.all([cluster.start('channel', 'c1'), cluster.start('channel', 'c2')]);
  const app = (await json('POST', session.url + '/v1/admin/apps', { name: 'emu' }, { authorization: `Bearer ${cluster.adminToken}` })).body as { id: string; secret: string };
  const api = (m: string, p: string, b?: unknown) => json(m, `${session.url}/v1/apps/${app.id}${p}`, b, { 'x-api-key': app.secret });
  // A token minted for a user makes the user known, so they can be members.
  for (const u of ['bob', 'carol']) assert.equal((await api('POST', '/tokens', { user: u })).status, 200);
  const made = await api('POST', '/channels', { channel: 'room', members: ['bob', 'carol'] });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  // Every node must know the others before it forwards to them.
  await until('both channel nodes registered', async () => (await json('GET', session.url + '/v1/nodes', undefined, { authorization: `Bearer ${cluster.adminToken}` })).body.nodes?.length === 2);
  return {
    session, c1: c1!, c2: c2!, cluster, api,
    async token(user) {
      const r = await api('POST', '/tokens', { user });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.token;
    },
  };
}

for (const tr of ['http_stream', 'sse'] as const) {
  test(`centrifuge-js [${tr}] on node c1 with its emulation POSTs sent to c2, then to the session server: everything works`, { timeout: 60_000 }, async (t) => {
    const b = await boot(t);
    if (!b) return;
    for (const [who, via] of [['bob', b.c2], ['carol', b.session]] as const) {
      const { c, ctx, gate } = await connectOver(t, b.c1.url, [tr], await b.token(who), { emulationBase: via.url });
      assert.equal(ctx.transport, tr);
      const sub = c.newSubscription('room');
      const got: PublicationContext[] = [];
      sub.on('publication', (p) => got.push(p));
      sub.subscribe();
      await sub.ready(5000);
      const ack = await sub.publish({ from: who });
      const rpc = await c.rpc('channel.list', {});
      assert.equal((rpc.data as { channels: unknown[] }).channels.length, 1);
      const presence = await sub.presence();
      assert.ok(presence.clients[ctx.client], `${who} in presence: ${JSON.stringify(presence)}`);
      assert.equal(presence.clients[ctx.client]!.user, who);
      await until(`${who} sees own publication`, () => got.some((p) => (p.data as { from?: string }).from === who));
      assert.ok(ack);

      // Pongs cross nodes too: over several ping intervals the connection on c1 is kept.
      const pongs = () => gate.requests.filter((r) => r.body?.data === '{}' && r.status !== undefined);
      await until(`${who}: 3 pongs forwarded`, () => pongs().length >= 3, 10_000);
      const posts = gate.requests.filter((r) => r.path === '/emulation' && r.status !== undefined);
      assert.ok(posts.every((r) => r.status === 204 && r.body?.node === 'c1'), JSON.stringify(posts));
      const conns = (await b.api('GET', '/connections')).body.connections as { client: string; node: string }[];
      assert.deepEqual(conns.filter((x) => x.client === ctx.client).map((x) => x.node), ['c1'], 'still the first connection, on c1');
      c.disconnect();
    }
  });
}

test('an emulation POST naming a node that is not in the cluster (never was, or died) → 404', { timeout: 60_000 }, async (t) => {
  const b = await boot(t);
  if (!b) return;
  const { connect } = await rawHttpStream(t, b.c2.url, await b.token('bob'));
  assert.equal(connect.node, 'c2');
  const cmd = [{ id: 2, rpc: { method: 'channel.list', data: {} } }];
  // Live: forwarded from c1 to c2.
  assert.equal((await emulate(b.c1.url, connect.session, 'c2', cmd)).status, 204);
  const unknownSession = await emulate(b.c1.url, 'no-such-session', 'c2', cmd);
  assert.equal(unknownSession.status, 404, 'c2 answered "unknown session" back to c1');
  const never = await emulate(b.c1.url, connect.session, 'c9', cmd);
  assert.equal(never.status, 404, JSON.stringify(never.body));
  assert.equal(never.body.error.code, 404);

  await b.cluster.kill(b.c2);
  await until('c2 left the registry', async () => (await json('GET', b.session.url + '/v1/nodes', undefined, { authorization: `Bearer ${b.cluster.adminToken}` })).body.nodes.every((n: { id: string }) => n.id !== 'c2'), 10_000);
  for (const via of [b.c1, b.session]) {
    const started = Date.now();
    const dead = await emulate(via.url, connect.session, 'c2', cmd);
    assert.equal(dead.status, 404, JSON.stringify(dead.body));
    assert.ok(Date.now() - started < 2000, 'answered at once, not after a forwarding timeout');
  }
});

test('an emulation POST for a node that is registered but does not answer → 503 after the forwarding timeout', { timeout: 60_000 }, async (t) => {
  const b = await boot(t);
  if (!b) return;
  const { connect } = await rawHttpStream(t, b.c2.url, await b.token('bob'));
  // Frozen, not dead: still in the registry for a moment, but it reads nothing from Redis.
  b.c2.proc.kill('SIGSTOP');
  t.after(() => { b.c2.proc.kill('SIGCONT'); });
  const started = Date.now();
  const r = await emulate(b.c1.url, connect.session, 'c2', [{}]);
  assert.equal(r.status, 503, JSON.stringify(r.body));
  assert.equal(r.body.error.code, 503);
  assert.ok(Date.now() - started >= 9_000, 'waited for the owner');
});
