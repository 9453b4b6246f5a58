// Issue 14: the official centrifuge SDKs for Go, Python and Java, pinned to released versions, run
// unmodified against a real XPUSH (one SQLite server; a 2-node cluster for the reconnect case). Each
// SDK is driven by a small program (test/sdk/{go,python,java}) through the same scenario
// (scenario.ts), in each encoding the SDK has (Java: Protobuf only). Programs are built on first use
// into the git-ignored .cache/ (build.ts).
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { PublicationContext } from 'centrifuge';
import { createServer } from '../../src/index.ts';
import { wrapServer, type TestServer } from '../helpers/server.ts';
import { api, dataOf, ENCODINGS, sdkClient } from '../helpers/clients.ts';
import { tokenFor, testConfig, waitFor } from '../e2e/e2e-kit.ts';
import { buildSdk, missingToolchain, requireToolchain, type Sdk } from './build.ts';
import { portOf, SdkDriver, TcpRelay } from './driver.ts';
import { connected, offsets, singleServerSteps, steps } from './scenario.ts';
import { clusterSteps, startClusterBase, startPair, type ClusterBase } from './cluster-steps.ts';
import { requireServices } from '../helpers/services.ts';

interface Variant {
  label: string;
  sdk: Sdk;
  encoding: 'json' | 'protobuf';
  args: string[];
  /** XPUSH bugs this SDK trips over (see singleServerSteps): those steps run as todo. */
  known?: Record<string, string>;
}

const VARIANTS: Variant[] = [
  { label: 'centrifuge-go 0.12.1 (JSON)', sdk: 'go', encoding: 'json', args: [] },
  { label: 'centrifuge-python 0.7.0 (JSON)', sdk: 'python', encoding: 'json', args: [] },
  { label: 'centrifuge-go 0.12.1 (Protobuf)', sdk: 'go', encoding: 'protobuf', args: ['-protobuf'] },
  { label: 'centrifuge-python 0.7.0 (Protobuf)', sdk: 'python', encoding: 'protobuf', args: ['--protobuf'] },
  { label: 'centrifuge-java 0.4.1 (Protobuf)', sdk: 'java', encoding: 'protobuf', args: [] },
];

/** One XPUSH for the whole file, with the custom command the scenario calls; stopped after the last test. */
let shared: Promise<TestServer> | undefined;
const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});
function server(): Promise<TestServer> {
  shared ??= (async () => {
    const cfg = testConfig();
    const s = await createServer(cfg);
    s.command('whoami', ({ user, device, client, data }) => ({ user, device, client, echo: data }));
    return wrapServer({ after: (fn) => cleanups.push(fn) }, s, cfg.dataDir);
  })();
  return shared;
}

let sharedCluster: Promise<ClusterBase> | undefined;
function clusterBase(): Promise<ClusterBase> {
  sharedCluster ??= startClusterBase((fn) => cleanups.push(fn));
  return sharedCluster;
}

async function driver(t: TestContext, v: Variant): Promise<SdkDriver> {
  const d = new SdkDriver(v.label, await buildSdk(v.sdk), v.args);
  t.after(() => d.stop());
  return d;
}

test('the centrifuge-java driver builds and runs (Maven Central, Protobuf-only SDK)', { timeout: 600_000 }, async (t) => {
  if (!requireToolchain(t, 'java')) return;
  const d = await driver(t, VARIANTS.find((v) => v.sdk === 'java')!);
  await assert.rejects(d.call('presence', { channel: 'x' }), /not connected/);
});

for (const v of VARIANTS) {
  test(`${v.label}: connect, refresh, subscribe, publish, history, presence, rpc, recovery, removal`, { timeout: 600_000 }, async (t) => {
    if (!requireToolchain(t, v.sdk)) return;
    const d = await driver(t, v);
    const ts = await server();
    const app = await ts.createApp(`sdk ${v.label}`);
    const relay = new TcpRelay(portOf(ts.url));
    await relay.start();
    t.after(() => relay.close());
    await steps(t, singleServerSteps({ ts, app, relay, d }, t, v.known));
  });
}

for (const [i, v] of VARIANTS.entries()) {
  test(`${v.label}: recovers on the other node of a 2-node cluster after kill -9 of its node`, { timeout: 600_000 }, async (t) => {
    if (!requireToolchain(t, v.sdk) || !(await requireServices(t, 'postgres', 'redis'))) return;
    const d = await driver(t, v);
    const pair = await startPair(t, await clusterBase(), `victim${i}`);
    await steps(t, clusterSteps(pair, d));
  });
}

test('a mixed channel: JSON and Protobuf SDK clients (and centrifuge-js, both builds) see the same messages', { timeout: 600_000 }, async (t) => {
  const usable = VARIANTS.filter((v) => missingToolchain(v.sdk).length === 0);
  if (process.env.CI) assert.equal(usable.length, VARIANTS.length, 'CI has every toolchain');
  if (!usable.some((v) => v.encoding === 'json') || !usable.some((v) => v.encoding === 'protobuf')) return t.skip('needs a JSON and a Protobuf SDK');
  const ts = await server();
  const app = await ts.createApp('sdk mixed');
  const users = usable.map((_, i) => `u${i}`);
  const tokens = await Promise.all(usable.map((v, i) => tokenFor(ts, app, users[i]!, v.encoding))); // creates the users
  const jsToken = await tokenFor(ts, app, 'js');
  const created = await api(ts, app, 'POST', '/channels', { channel: 'mix', members: [...users, 'js'] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  // centrifuge-js, JSON and Protobuf builds, listen too.
  const jsSeen = await Promise.all(ENCODINGS.map(async (encoding) => {
    const c = await sdkClient(t, ts.wsUrl, jsToken, { encoding });
    const got: PublicationContext[] = [];
    const sub = c.newSubscription('mix');
    sub.on('publication', (p) => got.push(p));
    sub.subscribe();
    await sub.ready(3000);
    return got;
  }));
  const ds: SdkDriver[] = [];
  for (const [i, v] of usable.entries()) {
    const d = await driver(t, v);
    const from = d.mark();
    await d.call('connect', { url: ts.wsUrl, token: tokens[i]! });
    await connected(d, from);
    await d.call('subscribe', { channel: 'mix' });
    await d.waitEvent('subscribed', (e) => e.event === 'subscribed', from);
    ds.push(d);
  }
  for (const [i, d] of ds.entries()) await d.call('publish', { channel: 'mix', data: { from: usable[i]!.label, n: i } });
  assert.equal((await api(ts, app, 'POST', '/publish', { channel: 'mix', data: { from: 'backend', text: 'héllo ✓' } })).status, 200);
  const n = ds.length + 1;
  const seen = await Promise.all(ds.map((d) => d.publications('mix', n, 0)));
  const view = (pubs: typeof seen[number]) => pubs.map((p) => ({ offset: p.offset, data: p.data, user: p.info?.user ?? '' }));
  for (const [i, pubs] of seen.entries()) {
    assert.deepEqual(offsets(pubs), Array.from({ length: n }, (_, k) => k + 1), usable[i]!.label);
    assert.deepEqual(view(pubs), view(seen[0]!), `${usable[i]!.label} sees what ${usable[0]!.label} sees`);
  }
  assert.deepEqual(seen[0]!.at(-1)!.data, { from: 'backend', text: 'héllo ✓' });
  for (const [k, got] of jsSeen.entries()) {
    await waitFor(`centrifuge-js [${ENCODINGS[k]}] gets all ${n}`, () => got.length >= n, 5000);
    const js = got.map((p) => ({ offset: p.offset, data: dataOf(p.data), user: p.info?.user ?? '' }));
    assert.deepEqual(js, view(seen[0]!), `centrifuge-js [${ENCODINGS[k]}] sees what ${usable[0]!.label} sees`);
  }
});

// Found by the Java driver: java.net.http's default client offers an h2c upgrade on http:// URLs
// (`Connection: Upgrade, HTTP2-Settings`, `Upgrade: h2c`). Node emits every request with an Upgrade
// header as 'upgrade', and the channel server's WebSocket upgrade handler (src/channel/gateway.ts)
// answers 404 to any path but /connection/websocket, so such a request never reaches the HTTP API.
test('the HTTP API serves a request that offers an h2c upgrade (Java\'s default HttpClient)', async () => {
  const ts = await server();
  const body = JSON.stringify({ name: 'h2c' });
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request(`${ts.url}/v1/admin/apps`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer test-admin-token', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
        connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': 'AAEAAEAAAAIAAAABAAMAAABkAAQBAAAAAAUAAEAA',
      },
    }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('upgrade', () => reject(new Error('the server switched protocols')));
    req.on('error', reject);
    req.end(body);
  });
  assert.equal(status, 201, 'served over HTTP/1.1, the upgrade ignored (RFC 9110 §7.8 lets a server ignore it)');
});
