import type { TestContext } from 'node:test';
import { TestCluster, type ClusterOptions, type Node } from '../helpers/cluster.ts';
import { requireServices } from '../helpers/services.ts';
import { RawClient } from '../helpers/clients.ts';

/** Shared pieces of the cluster tests: boot 1 session + 3 channel servers, and a self-healing member. */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function json(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const r = await fetch(url, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

/** Polls `fn` until it returns a truthy value; throws with `what` (and the last value) after `timeoutMs`. */
export async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 5000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await sleep(everyMs);
  }
}

export interface Booted {
  cluster: TestCluster;
  session: Node;
  nodes: Node[];
  app: { id: string; secret: string };
  /** Server API call on the session node, with the app secret. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  token(user: string, device?: string): Promise<string>;
  /** The channel node the session server assigns to a user (what the SDK asks before connecting). */
  assign(user: string): Promise<{ id: string; url: string }>;
}

/** Starts 1 session + 3 channel servers (c1..c3) and one app; undefined when the services are missing locally. */
export async function bootCluster(t: TestContext, opts: ClusterOptions = {}): Promise<Booted | undefined> {
  if (!(await requireServices(t, 'postgres', 'redis'))) return undefined;
  const cluster = new TestCluster(opts);
  t.after(() => cluster.stop());
  // The session server runs the migrations; channel servers start once the schema exists.
  const session = await cluster.start('session', 's1');
  const nodes = await Promise.all(['c1', 'c2', 'c3'].map((id) => cluster.start('channel', id)));
  const created = await json('POST', session.url + '/v1/admin/apps', { name: 'cluster' }, { authorization: `Bearer ${cluster.adminToken}` });
  if (created.status !== 201 && created.status !== 200) throw new Error(`create app: ${created.status} ${JSON.stringify(created.body)}`);
  const app = created.body as { id: string; secret: string };
  const api = (m: string, p: string, b?: unknown) => json(m, `${session.url}/v1/apps/${app.id}${p}`, b, { 'x-api-key': app.secret });
  return {
    cluster, session, nodes, app, api,
    async token(user, device) {
      const r = await api('POST', '/tokens', { user, ...(device ? { device } : {}) });
      if (r.status !== 200) throw new Error(`token ${user}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.token;
    },
    async assign(user) {
      const r = await json('GET', `${session.url}/node/${app.id}/user/${encodeURIComponent(user)}`);
      if (r.status !== 200) throw new Error(`node assignment: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.node;
    },
  };
}

export interface Pub {
  offset: number;
  data: any;
}

/**
 * One channel member over raw frames that heals itself like an SDK does: when its socket closes it
 * asks `pick` for a node (the session server by default), connects and resubscribes with
 * `recover: true, offset, epoch` of the last publication it saw. Everything it receives — recovered
 * and live — goes into `log`, in arrival order, so a test can check for loss, duplicates and order.
 */
export class Member {
  conn: RawClient | undefined;
  nodeId = '';
  nodeUrl = '';
  clientId = '';
  epoch = '';
  readonly log: Pub[] = [];
  readonly joins: string[] = [];
  readonly leaves: string[] = [];
  /** Close codes seen, with the node that closed. */
  readonly closes: { code: number; node: string; at: number }[] = [];
  readonly recoveries: { recovered: boolean; count: number; node: string }[] = [];
  readonly reconnectErrors: string[] = [];
  reconnecting: Promise<void> | undefined;
  stopped = false;
  // Publishing bookkeeping (see publishLoop).
  k = 0;
  readonly acked: { offset: number; k: number; at: number }[] = [];
  readonly refused: { k: number; code: number; temporary: boolean; ms: number; at: number }[] = [];
  readonly unknown: { k: number; why: string; at: number }[] = [];
  private attempt = 0;

  constructor(
    readonly name: string,
    private readonly token: string,
    readonly channel: string,
    /** Where to reconnect (replaceable: e.g. back to the same node). */
    public pick: () => Promise<{ id: string; url: string }>,
    private readonly joinLeave = false,
  ) {}

  get last(): number {
    return this.log.length ? this.log[this.log.length - 1]!.offset : 0;
  }

  /** Connects to `node` and subscribes (recovering from `last` if it was subscribed before). */
  async connectTo(node: { id: string; url: string }): Promise<void> {
    const attempt = ++this.attempt;
    const c = new RawClient(node.url);
    let seen = 0;
    c.ws.on('message', () => {
      // RawClient's own listener ran first and parsed the frame into c.received.
      for (; seen < c.received.length; seen++) {
        const m = c.received[seen];
        if (Object.keys(m).length === 0) c.sendRaw('{}'); // ping → pong, or the node closes us (3012)
        if (attempt !== this.attempt) continue;
        const push = m.push;
        if (m.subscribe) {
          for (const p of m.subscribe.publications ?? []) this.log.push({ offset: p.offset, data: p.data });
        } else if (push && push.channel === this.channel) {
          if (push.pub) this.log.push({ offset: push.pub.offset, data: push.pub.data });
          else if (push.join) this.joins.push(push.join.info.client);
          else if (push.leave) this.leaves.push(push.leave.info.client);
        }
      }
    });
    try {
      await c.open();
      const r = await c.call('connect', { token: this.token });
      if (!r.connect) throw new Error('connect: ' + JSON.stringify(r.error));
      const recovering = this.epoch !== '';
      const req = { channel: this.channel, join_leave: this.joinLeave, ...(recovering ? { recover: true, offset: this.last, epoch: this.epoch } : {}) };
      const s = await c.call('subscribe', req);
      if (!s.subscribe) throw new Error('subscribe: ' + JSON.stringify(s.error));
      if (recovering) this.recoveries.push({ recovered: s.subscribe.recovered === true, count: s.subscribe.publications?.length ?? 0, node: node.id });
      this.epoch = s.subscribe.epoch;
      this.clientId = r.connect.client;
    } catch (err) {
      this.attempt++; // ignore whatever this socket still delivers
      c.ws.terminate();
      throw err;
    }
    this.conn = c;
    this.nodeId = node.id;
    this.nodeUrl = node.url;
    const onClose = (code: number): void => {
      this.closes.push({ code, node: node.id, at: Date.now() });
      if (!this.stopped && this.conn === c) this.reconnecting ??= this.reconnect();
    };
    if (c.closed) onClose(c.closed.code);
    else c.ws.once('close', onClose);
  }

  /** Retries pick + connect until it works (the registry needs nodeTtlMs to forget a dead node). */
  private async reconnect(): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!this.stopped && Date.now() < deadline) {
      try {
        await this.connectTo(await this.pick());
        this.reconnecting = undefined;
        return;
      } catch (err) {
        this.reconnectErrors.push((err as Error).message);
        await sleep(100);
      }
    }
    this.reconnecting = undefined;
  }

  /** Publishes `{from, k}` one at a time until `done()`; every reply (or its absence) is recorded. */
  async publishLoop(done: () => boolean, gapMs = 20): Promise<void> {
    while (!done()) {
      if (this.reconnecting) {
        await this.reconnecting;
        continue;
      }
      const c = this.conn!;
      if (c.closed) {
        await sleep(20);
        continue;
      }
      const k = ++this.k;
      const t0 = Date.now();
      try {
        const r = await c.call('publish', { channel: this.channel, data: { from: this.name, k } });
        if (r.publish) this.acked.push({ offset: r.publish.offset, k, at: Date.now() });
        else this.refused.push({ k, code: r.error.code, temporary: r.error.temporary === true, ms: Date.now() - t0, at: Date.now() });
      } catch (err) {
        // Socket closed before the reply (outcome unknown: it may or may not be stored), or no reply in 3 s.
        this.unknown.push({ k, why: (err as Error).message.slice(0, 60), at: Date.now() });
      }
      await sleep(gapMs);
    }
  }

  stop(): void {
    this.stopped = true;
    this.conn?.close();
  }
}

/** The channel's stream top according to the store (via the session server). */
export async function topOffset(b: Booted, channel: string): Promise<number> {
  const r = await b.api('GET', `/channels/${channel}/history?limit=0`);
  if (r.status !== 200) throw new Error(`history: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.offset;
}

/**
 * The delivery guarantee, checked over everything a member ever received: offsets 1..top, each
 * exactly once, in order; every acknowledged publish of any member is in it with its own data; no
 * message data appears twice (nothing stored twice).
 */
export function checkDelivery(members: Member[], top: number): string[] {
  const problems: string[] = [];
  for (const m of members) {
    const offs = m.log.map((p) => p.offset);
    const bad = offs.findIndex((o, i) => o !== i + 1);
    if (offs.length !== top || bad !== -1) {
      problems.push(`${m.name}: got ${offs.length} of ${top}; first mismatch at index ${bad} (${JSON.stringify(offs.slice(Math.max(0, bad - 3), bad + 3))})`);
      continue;
    }
    const data = new Set(m.log.map((p) => `${p.data?.from}/${p.data?.k}`));
    if (data.size !== m.log.length) problems.push(`${m.name}: ${m.log.length - data.size} duplicated message(s) under different offsets`);
    for (const sender of members) {
      for (const a of sender.acked) {
        const got = m.log[a.offset - 1];
        if (!got || got.data?.from !== sender.name || got.data?.k !== a.k) {
          problems.push(`${m.name}: acked ${sender.name}/${a.k} at offset ${a.offset} but received ${JSON.stringify(got)}`);
          break;
        }
      }
    }
  }
  return problems;
}

/** Waits until every member has caught up with the store top, then returns the top. */
export async function converge(b: Booted, members: Member[], channel: string, timeoutMs = 10_000): Promise<number> {
  let top = 0;
  await until('members to catch up', async () => {
    top = await topOffset(b, channel);
    return members.every((m) => !m.reconnecting && m.last >= top);
  }, timeoutMs, 100).catch((err: Error) => {
    throw new Error(`${err.message}; top ${top}; members: ${members.map((m) => `${m.name}@${m.nodeId}:${m.last}${m.reconnecting ? '(reconnecting)' : ''}`).join(' ')}`);
  });
  return top;
}
