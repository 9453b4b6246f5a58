import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OutboxInput, PushTargetRecord } from '../../src/store/push-store.ts';
import type { Store } from '../../src/store/store.ts';
import { fresh, type Open } from './store-fixtures.ts';

/**
 * The PushStore contract (src/store/push-store.ts), run against every store. `openShared`, when
 * given, opens a second store over the same database (two cluster nodes) for the claim race.
 */
export function pushStoreContract(name: string, open: Open, openShared?: (s: Store) => Promise<Store>): void {
  describe(`push store contract: ${name}`, () => {
    test('registerTarget upserts by token, keeps one target per device and kind, moves a token between users', async (t) => {
      const s = await fresh(t, open);
      const a = await s.push.registerTarget(target('t1', 'bob', 'phone', 'fcm', 'tok-1'));
      assert.equal(a.id, 't1');
      // Same token again under a new id: the stored target keeps its id.
      assert.equal((await s.push.registerTarget(target('t9', 'bob', 'phone', 'fcm', 'tok-1'))).id, 't1');
      // A new token for the same device and kind replaces the old one (token rotation).
      await s.push.registerTarget(target('t2', 'bob', 'phone', 'fcm', 'tok-2'));
      await s.push.registerTarget(target('t3', 'bob', 'phone', 'apns', 'ab'.repeat(32), { environment: 'sandbox' }));
      await s.push.registerTarget(target('t4', 'bob', 'laptop', 'webpush', 'https://push.example/1', { keys: { p256dh: 'p', auth: 'a' } }));
      assert.deepEqual((await s.push.targets('a1', ['bob'])).map((x) => [x.id, x.deviceId, x.kind, x.token]), [
        ['t4', 'laptop', 'webpush', 'https://push.example/1'], ['t3', 'phone', 'apns', 'ab'.repeat(32)], ['t2', 'phone', 'fcm', 'tok-2'],
      ]);
      const wp = (await s.push.targets('a1', ['bob']))[0]!;
      assert.deepEqual(wp.keys, { p256dh: 'p', auth: 'a' });
      assert.equal((await s.push.targets('a1', ['bob']))[1]!.environment, 'sandbox');
      // The token moves to carol (another account on that phone): bob's pending row for it goes.
      await s.push.enqueue([input('t2', 'bob', 'c:x', 1)]);
      assert.equal(await s.push.depth(), 1);
      const moved = await s.push.registerTarget(target('t5', 'carol', 'phone', 'fcm', 'tok-2'));
      assert.equal(moved.id, 't2');
      assert.equal(moved.userId, 'carol');
      assert.equal(await s.push.depth(), 0);
      assert.deepEqual((await s.push.targets('a1', ['bob'])).map((x) => x.id), ['t4', 't3']);
      // Other apps see nothing.
      assert.deepEqual(await s.push.targets('a2', ['bob', 'carol']), []);
      assert.equal(await s.push.hasTargets('a1'), true);
      assert.equal(await s.push.hasTargets('a2'), false);
    });

    test('removeTargets by id, device or kind removes their outbox rows; an empty filter removes nothing', async (t) => {
      const s = await fresh(t, open);
      await s.push.registerTarget(target('t1', 'bob', 'phone', 'fcm', 'tok-1'));
      await s.push.registerTarget(target('t2', 'bob', 'phone', 'apns', 'cd'.repeat(32)));
      await s.push.registerTarget(target('t3', 'bob', 'tablet', 'fcm', 'tok-3'));
      await s.push.enqueue([input('t1', 'bob', 'c:x', 1), input('t2', 'bob', 'c:x', 1), input('t3', 'bob', 'c:x', 1)]);
      assert.deepEqual(await s.push.removeTargets('a1', {}), []);
      assert.deepEqual(await s.push.removeTargets('a2', { userId: 'bob' }), []);
      assert.deepEqual(await s.push.removeTargets('a1', { userId: 'bob', deviceId: 'phone' }), ['t1', 't2']);
      assert.equal(await s.push.depth(), 1);
      assert.equal(await s.push.hasTargets('a1'), true);
      assert.deepEqual(await s.push.removeTargets('a1', { id: 't3' }), ['t3']);
      assert.equal(await s.push.depth(), 0);
      assert.equal(await s.push.hasTargets('a1'), false, 'the last target removed');
    });

    test('modes: set, read for many users, forget', async (t) => {
      const s = await fresh(t, open);
      await s.push.setMode('a1', 'bob', 'x', 'mentions');
      await s.push.setMode('a1', 'carol', 'x', 'none');
      await s.push.setMode('a1', 'carol', 'x', 'all');
      await s.push.setMode('a1', 'bob', 'y', 'none');
      assert.deepEqual([...(await s.push.modes('a1', 'x', ['bob', 'carol', 'dave']))].sort(), [['bob', 'mentions'], ['carol', 'all']]);
      await s.push.setMode('a1', 'bob', 'x', null);
      assert.deepEqual([...(await s.push.modes('a1', 'x', ['bob', 'carol']))], [['carol', 'all']]);
      assert.equal((await s.push.modes('a2', 'x', ['carol'])).size, 0);
    });

    test('credentials: put replaces, version moves on put and delete', async (t) => {
      const s = await fresh(t, open);
      const v0 = await s.push.credentialsVersion('a1');
      await s.push.putCredentials({ appId: 'a1', provider: 'fcm', config: { projectId: 'p' }, secret: { privateKey: 'k' }, updatedAt: 1000 });
      await s.push.putCredentials({ appId: 'a1', provider: 'fcm', config: { projectId: 'q' }, secret: { privateKey: 'k2' }, updatedAt: 2000 });
      const v1 = await s.push.credentialsVersion('a1');
      assert.notEqual(v1, v0);
      assert.deepEqual(await s.push.credentials('a1'), [{ appId: 'a1', provider: 'fcm', config: { projectId: 'q' }, secret: { privateKey: 'k2' }, updatedAt: 2000 }]);
      assert.deepEqual(await s.push.credentials('a2'), []);
      assert.equal(await s.push.deleteCredentials('a1', 'fcm'), true);
      assert.equal(await s.push.deleteCredentials('a1', 'fcm'), false);
      assert.notEqual(await s.push.credentialsVersion('a1'), v1);
    });

    test('enqueue coalesces per (target, collapse key): newest payload wins, an older input changes nothing', async (t) => {
      const s = await fresh(t, open);
      await s.push.registerTarget(target('t1', 'bob', 'phone', 'fcm', 'tok-1'));
      assert.equal(await s.push.enqueue([input('t1', 'bob', 'c:x', 5, { n: 5 })]), 1);
      assert.equal(await s.push.enqueue([input('t1', 'bob', 'c:x', 7, { n: 7 }), input('t1', 'bob', 'c:x', 6, { n: 6 })]), 1);
      assert.equal(await s.push.enqueue([input('t1', 'bob', 'c:y', 1, { n: 1 })]), 1);
      assert.equal(await s.push.depth(), 2);
      const items = await s.push.claim('n1', 2000, 1000, 10);
      assert.deepEqual(items.map((i) => [i.collapseKey, i.payload]), [['c:x', { n: 7 }], ['c:y', { n: 1 }]]);
      assert.equal(items[0]!.target?.token, 'tok-1');
      assert.equal(items[0]!.kind, 'message');
    });

    test('claim leases due rows to one owner; a lease expires; settle needs the lease', async (t) => {
      const s = await fresh(t, open);
      await s.push.registerTarget(target('t1', 'bob', 'phone', 'fcm', 'tok-1'));
      await s.push.enqueue([input('t1', 'bob', 'c:x', 1, {}, { dueAt: 1000 }), input('t1', 'bob', 'c:y', 1, {}, { dueAt: 5000 })]);
      assert.equal(await s.push.nextDue(), 1000);
      assert.deepEqual(await s.push.claim('n1', 999, 100, 10), []);
      const [a] = await s.push.claim('n1', 1000, 100, 10);
      assert.equal(a!.collapseKey, 'c:x');
      assert.deepEqual(await s.push.claim('n2', 1050, 100, 10), [], 'leased to n1');
      const [b] = await s.push.claim('n2', 1101, 100, 10);
      assert.equal(b!.id, a!.id, 'the lease expired: n2 may take it');
      assert.equal(await s.push.settle(a!.id, 'n1', { kind: 'sent', version: a!.version, at: 1102 }), false);
      assert.equal(await s.push.settle(b!.id, 'n2', { kind: 'sent', version: b!.version, at: 1102 }), true);
      assert.equal(await s.push.depth(), 1);
    });

    test('settle: sent ends the row unless a newer input came (then it waits the throttle); retry reschedules; dropped keeps newer inputs', async (t) => {
      const s = await fresh(t, open);
      await s.push.registerTarget(target('t1', 'bob', 'phone', 'fcm', 'tok-1'));
      await s.push.enqueue([input('t1', 'bob', 'c:x', 1, { n: 1 }, { dueAt: 1000, throttleMs: 500 })]);
      let [i] = await s.push.claim('n1', 1000, 10_000, 10);
      // A message arrives while the first is being sent.
      await s.push.enqueue([input('t1', 'bob', 'c:x', 2, { n: 2 }, { dueAt: 1010, throttleMs: 500 })]);
      assert.equal(await s.push.settle(i!.id, 'n1', { kind: 'sent', version: i!.version, at: 1020 }), true);
      assert.equal(await s.push.nextDue(), 1520, 'the newer one waits out the throttle after the send');
      [i] = await s.push.claim('n1', 1520, 10_000, 10);
      assert.deepEqual(i!.payload, { n: 2 });
      assert.equal(await s.push.settle(i!.id, 'n1', { kind: 'retry', dueAt: 3000, error: 'http_429', attempts: i!.attempts + 1 }), true);
      assert.equal(await s.push.nextDue(), 3000);
      [i] = await s.push.claim('n1', 3000, 10_000, 10);
      assert.equal(i!.attempts, 1);
      assert.equal(await s.push.settle(i!.id, 'n1', { kind: 'sent', version: i!.version, at: 3000 }), true);
      assert.equal(await s.push.depth(), 0);
      // A message right after a send waits for the throttle window.
      await s.push.enqueue([input('t1', 'bob', 'c:x', 3, { n: 3 }, { dueAt: 3100, throttleMs: 500 })]);
      assert.equal(await s.push.nextDue(), 3500);
      [i] = await s.push.claim('n1', 3500, 10_000, 10);
      assert.equal(i!.attempts, 0);
      await s.push.enqueue([input('t1', 'bob', 'c:x', 4, { n: 4 }, { dueAt: 3600, throttleMs: 500 })]);
      assert.equal(await s.push.settle(i!.id, 'n1', { kind: 'dropped', version: i!.version, error: 'online' }), true);
      assert.equal(await s.push.depth(), 1, 'the newer input is still pending');
      [i] = await s.push.claim('n1', 4000, 10_000, 10);
      assert.equal(await s.push.settle(i!.id, 'n1', { kind: 'dropped', version: i!.version, error: 'online' }), true);
      assert.equal(await s.push.depth(), 0);
      assert.equal(await s.push.prune(3499), 0, 'inside the throttle window of the send at 3000');
      assert.equal(await s.push.prune(3500), 1);
    });

    test('prune deletes settled rows once their throttle window ended', async (t) => {
      const s = await fresh(t, open);
      await s.push.registerTarget(target('t1', 'bob', 'phone', 'fcm', 'tok-1'));
      await s.push.enqueue([input('t1', 'bob', 'c:x', 1, {}, { dueAt: 0, throttleMs: 10_000 }), input('t1', 'bob', 'd:1', 1, {}, { dueAt: 0, throttleMs: 0 })]);
      for (const i of await s.push.claim('n1', 1000, 1000, 10)) await s.push.settle(i.id, 'n1', { kind: 'sent', version: i.version, at: 1000 });
      assert.equal(await s.push.prune(1000), 1, 'the data row (no throttle) goes');
      assert.equal(await s.push.prune(10_999), 0);
      assert.equal(await s.push.prune(11_000), 1);
    });

    test('an outbox row whose target is gone comes back without a target', async (t) => {
      const s = await fresh(t, open);
      await s.push.enqueue([input('t-missing', 'bob', 'c:x', 1)]);
      const [i] = await s.push.claim('n1', Date.now() + 10_000, 1000, 10);
      assert.equal(i!.target, undefined);
    });

    if (openShared) {
      test('two stores over one database claim disjoint rows (no double sends)', async (t) => {
        const s = await fresh(t, open);
        const other = await openShared(s);
        t.after(() => other.close());
        await s.push.registerTarget(target('t1', 'bob', 'phone', 'fcm', 'tok-1'));
        const rows = Array.from({ length: 300 }, (_, n) => input('t1', 'bob', `d:${n}`, n, { n }, { dueAt: 0 }));
        await s.push.enqueue(rows);
        const seen: number[] = [];
        const worker = async (st: Store, owner: string) => {
          for (;;) {
            const got = await st.push.claim(owner, 1000, 60_000, 7);
            if (got.length === 0) return;
            for (const i of got) {
              seen.push((i.payload as { n: number }).n);
              assert.equal(await st.push.settle(i.id, owner, { kind: 'sent', version: i.version, at: 1000 }), true);
            }
          }
        };
        await Promise.all([worker(s, 'n1'), worker(other, 'n2'), worker(s, 'n3'), worker(other, 'n4')]);
        assert.equal(seen.length, 300);
        assert.equal(new Set(seen).size, 300);
      });
    }
  });
}

function target(id: string, userId: string, deviceId: string, kind: PushTargetRecord['kind'], token: string, over: Partial<PushTargetRecord> = {}): PushTargetRecord {
  return { appId: 'a1', id, userId, deviceId, kind, token, keys: null, environment: null, createdAt: 1_700_000_000_000, ...over };
}

function input(targetId: string, userId: string, collapseKey: string, seq: number, payload: unknown = {}, over: Partial<OutboxInput> = {}): OutboxInput {
  return {
    appId: 'a1', targetId, userId, collapseKey, kind: collapseKey.startsWith('d:') ? 'data' : 'message', seq, payload, dueAt: 0, throttleMs: 0, ...over,
  };
}
