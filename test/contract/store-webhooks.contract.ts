import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NewWebhookEvent, WebhookDelivery } from '../../src/store/store.ts';
import { fresh, type Open } from './store-fixtures.ts';

/** The webhook queue and delivery log (WebhookStore). */
export function webhookContract(open: Open): void {
  const ev = (appId: string, id: string, dueAt: number, data: unknown = { id }): NewWebhookEvent => ({ appId, id, type: 'user.online', time: 1000, data, dueAt });
  const T = 1_700_000_000_000;

  describe('webhooks', () => {
    test('claim: due events of one app, oldest first, leased (claimed by one owner at a time), data round-trips', async (t) => {
      const s = await fresh(t, open);
      await s.webhooks.enqueue([ev('a1', 'e1', T, { nested: [1, 'é'] }), ev('a2', 'x1', T + 5), ev('a1', 'e2', T + 1), ev('a1', 'late', T + 1000)]);
      assert.deepEqual(await s.webhooks.dueApps(T + 10, 10), ['a1', 'a2'], 'longest waiting first');
      assert.deepEqual(await s.webhooks.dueApps(T + 2, 10), ['a1']);
      const got = await s.webhooks.claim({ owner: 'n1', now: T + 10, leaseMs: 1000, limit: 10 });
      assert.deepEqual(await s.webhooks.dueApps(T + 10, 10), ['a2'], 'leased events are not due');
      assert.deepEqual(got.map((e) => [e.appId, e.id, e.attempts]), [['a1', 'e1', 1], ['a1', 'e2', 1]]);
      assert.deepEqual(got[0]!.data, { nested: [1, 'é'] });
      assert.equal(got[0]!.type, 'user.online');
      assert.ok(got[0]!.seq < got[1]!.seq);
      // Leased: another owner gets the other app's event, then nothing.
      assert.deepEqual((await s.webhooks.claim({ owner: 'n2', now: T + 10, leaseMs: 1000, limit: 10 })).map((e) => e.id), ['x1']);
      assert.deepEqual(await s.webhooks.claim({ owner: 'n2', now: T + 10, leaseMs: 1000, limit: 10 }), []);
      // `early` takes never-attempted events that are not due yet; `app` narrows.
      assert.deepEqual((await s.webhooks.claim({ owner: 'n2', now: T + 10, leaseMs: 1000, limit: 10, app: 'a1', early: true })).map((e) => e.id), ['late']);
      // A lapsed lease makes the event claimable again, counting the attempt.
      const again = await s.webhooks.claim({ owner: 'n3', now: T + 2000, leaseMs: 1000, limit: 1 });
      assert.deepEqual(again.map((e) => [e.id, e.attempts]), [['e1', 2]]);
      assert.equal(await s.webhooks.pending('a1'), 3);
      assert.equal(await s.webhooks.pending('a2'), 1);
    });

    test('retry: only the lease owner releases, due later; remove deletes; release gives leases back uncounted', async (t) => {
      const s = await fresh(t, open);
      await s.webhooks.enqueue([ev('a1', 'e1', T), ev('a1', 'e2', T)]);
      const [e1, e2] = await s.webhooks.claim({ owner: 'n1', now: T, leaseMs: 1000, limit: 10 });
      await s.webhooks.retry('someone-else', [e1!.seq], T + 50);
      assert.deepEqual(await s.webhooks.claim({ owner: 'n2', now: T + 1, leaseMs: 1000, limit: 10 }), [], 'still leased to n1');
      await s.webhooks.retry('n1', [e1!.seq], T + 50);
      await s.webhooks.remove([e2!.seq]);
      assert.deepEqual(await s.webhooks.claim({ owner: 'n2', now: T + 49, leaseMs: 1000, limit: 10 }), [], 'not due before dueAt');
      const r = await s.webhooks.claim({ owner: 'n2', now: T + 50, leaseMs: 1000, limit: 10 });
      assert.deepEqual(r.map((e) => [e.id, e.attempts]), [['e1', 2]]);
      await s.webhooks.release('n2');
      const r2 = await s.webhooks.claim({ owner: 'n3', now: T + 51, leaseMs: 1000, limit: 10 });
      assert.deepEqual(r2.map((e) => [e.id, e.attempts]), [['e1', 2]], 'released without counting the attempt');
      await s.webhooks.remove([r2[0]!.seq]);
      assert.equal(await s.webhooks.pending('a1'), 0);
    });

    test('concurrent claims never hand out one event twice', async (t) => {
      const s = await fresh(t, open);
      await s.webhooks.enqueue(Array.from({ length: 60 }, (_, i) => ev(i % 2 ? 'a1' : 'a2', `e${i}`, T)));
      const claims = await Promise.all(Array.from({ length: 12 }, (_, i) => s.webhooks.claim({ owner: `n${i}`, now: T, leaseMs: 10_000, limit: 7 })));
      const ids = claims.flat().map((e) => e.id);
      assert.equal(new Set(ids).size, ids.length, 'no duplicates');
      for (const c of claims) assert.ok(new Set(c.map((e) => e.appId)).size <= 1, 'one app per batch');
    });

    test('the delivery log keeps the newest N attempts per app, newest first', async (t) => {
      const s = await fresh(t, open);
      const d = (appId: string, i: number): WebhookDelivery => ({ id: `d${i}`, appId, at: T + i, url: 'http://x/h', status: i % 2 ? 500 : 200, ok: i % 2 === 0, latencyMs: i, eventIds: [`e${i}`], attempt: 1, error: i % 2 ? 'HTTP 500' : null });
      for (let i = 0; i < 5; i++) await s.webhooks.log(d('a1', i), 3);
      await s.webhooks.log(d('a2', 9), 3);
      const log = await s.webhooks.deliveries('a1', 10);
      assert.deepEqual(log.map((x) => x.id), ['d4', 'd3', 'd2']);
      assert.deepEqual(log[1], d('a1', 3));
      assert.deepEqual((await s.webhooks.deliveries('a2', 10)).map((x) => x.id), ['d9']);
      assert.deepEqual((await s.webhooks.deliveries('a1', 1)).map((x) => x.id), ['d4']);
    });

    test('deleting an app deletes its queue and log', async (t) => {
      const s = await fresh(t, open);
      await s.webhooks.enqueue([ev('a1', 'e1', T), ev('a2', 'e2', T)]);
      await s.webhooks.log({ id: 'd', appId: 'a1', at: T, url: 'http://x', status: 200, ok: true, latencyMs: 1, eventIds: [], attempt: 1, error: null }, 10);
      await s.apps.delete('a1');
      assert.equal(await s.webhooks.pending('a1'), 0);
      assert.equal(await s.webhooks.pending('a2'), 1);
      assert.deepEqual(await s.webhooks.deliveries('a1', 10), []);
    });
  });
}
