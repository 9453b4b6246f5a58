import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Store, UserRecord } from '../../src/store/store.ts';
import { DEFAULT_APP_SETTINGS } from '../../src/protocol/app-settings.ts';
import { app, channel, fresh, msg, rejectsCode, session, sorted, user, type Open } from './store-fixtures.ts';
import { idempotencyContract } from './store-idempotency.contract.ts';
import { streamContract } from './store-streams.contract.ts';

/**
 * The Store contract (src/store/store.ts), written once and run against every implementation:
 * `storeContract('sqlite', () => ...)`. `open` must return a fresh, migrated, empty store each call;
 * the suite closes every store it opens (wrap `close` to drop a temp dir or schema).
 * Ids and names are lowercase ASCII so "ordered by" means the same under any collation.
 */
export function storeContract(name: string, open: Open): void {
  describe(`store contract: ${name}`, () => {
    lifecycle(open);
    apps(open);
    users(open);
    sessions(open);
    groups(open);
    streamContract(open);
    idempotencyContract(open);
  });
}

function lifecycle(open: Open): void {
  describe('lifecycle', () => {
    test('migrate is idempotent and keeps data', async (t) => {
      const s = await fresh(t, open);
      assert.ok(s.kind === 'sqlite' || s.kind === 'postgres');
      await s.migrate();
      await s.migrate();
      assert.equal((await s.apps.get('a1'))?.id, 'a1');
    });

    test('after close, calls reject', async (t) => {
      const s = await fresh(t, open);
      await s.close();
      await assert.rejects(s.apps.get('a1'));
      await assert.rejects(s.messages.append([msg('a1', 'x')]));
    });
  });
}

function apps(open: Open): void {
  describe('apps', () => {
    test('create, get, list', async (t) => {
      const s = await fresh(t, open);
      assert.deepEqual(await s.apps.get('a1'), app('a1'));
      assert.equal(await s.apps.get('nope'), undefined);
      assert.deepEqual(sorted((await s.apps.list()).map((a) => a.id)), ['a1', 'a2']);
    });

    test('settings round-trip; updateSettings replaces them for that app only', async (t) => {
      const s = await fresh(t, open);
      await s.apps.create(app('a3', { settings: { ...DEFAULT_APP_SETTINGS, userListing: true } }));
      assert.deepEqual((await s.apps.get('a3'))?.settings, { ...DEFAULT_APP_SETTINGS, userListing: true });
      assert.equal(await s.apps.updateSettings('a1', { ...DEFAULT_APP_SETTINGS, userListing: true }), true);
      assert.deepEqual((await s.apps.get('a1'))?.settings, { ...DEFAULT_APP_SETTINGS, userListing: true });
      assert.deepEqual((await s.apps.get('a2'))?.settings, { ...DEFAULT_APP_SETTINGS, userListing: false });
      assert.equal(await s.apps.updateSettings('nope', { ...DEFAULT_APP_SETTINGS, userListing: true }), false);
      assert.deepEqual((await s.apps.list()).find((a) => a.id === 'a1')?.settings, { ...DEFAULT_APP_SETTINGS, userListing: true });
    });

    test('duplicate id or key rejects with conflict and changes nothing', async (t) => {
      const s = await fresh(t, open);
      await rejectsCode(s.apps.create(app('a1', { name: 'other', key: 'fresh-key' })), 409);
      await rejectsCode(s.apps.create(app('a3', { key: 'key-a1' })), 409);
      assert.deepEqual(await s.apps.get('a1'), app('a1'));
      assert.equal(await s.apps.get('a3'), undefined);
      assert.equal((await s.apps.list()).length, 2);
    });

    test('delete removes the app and everything it owns, and nothing of other apps', async (t) => {
      const s = await fresh(t, open);
      for (const a of ['a1', 'a2']) {
        await s.users.create(user(a, 'u1'));
        await s.sessions.create(session(a, 's1'));
        await s.channels.create(channel(a, 'room'), ['u1']);
        await s.messages.append([msg(a, 'room', { id: 'x', senderUser: 'u1' })]);
        await s.groups.add(a, 'u1', 'friends', ['u2']);
      }
      assert.equal(await s.apps.delete('a1'), true);
      assert.equal(await s.apps.delete('a1'), false);
      assert.equal(await s.apps.get('a1'), undefined);
      // Re-creating the same id must not resurrect anything.
      await s.apps.create(app('a1'));
      assert.equal(await s.users.get('a1', 'u1'), undefined);
      assert.equal(await s.sessions.get('a1', 's1'), undefined);
      assert.equal(await s.sessions.findByRefreshHash('a1', 'hash-s1'), undefined);
      assert.equal(await s.channels.get('a1', 'room'), undefined);
      assert.deepEqual(await s.channels.members('a1', 'room'), []);
      assert.deepEqual(await s.messages.range('a1', 'room', { limit: 10 }), []);
      assert.equal(await s.reads.get('a1', 'u1', 'room'), 0);
      assert.deepEqual(await s.groups.list('a1', 'u1'), []);
      // The other app is untouched.
      assert.ok(await s.users.get('a2', 'u1'));
      assert.ok(await s.sessions.get('a2', 's1'));
      assert.equal((await s.channels.get('a2', 'room'))?.topOffset, 1);
      assert.equal((await s.messages.range('a2', 'room', { limit: 10 })).length, 1);
      assert.equal(await s.reads.get('a2', 'u1', 'room'), 1);
      assert.deepEqual(await s.groups.list('a2', 'u1'), [{ group: 'friends', size: 1 }]);
    });
  });
}

function users(open: Open): void {
  describe('users', () => {
    test('create and get round-trip JSON profile; same id lives separately per app', async (t) => {
      const s = await fresh(t, open);
      const u = user('a1', 'u1', { name: 'Ann', tags: ['x', 'y'], nested: { n: 1.5, ok: true, none: null } });
      await s.users.create(u);
      await s.users.create({ ...user('a2', 'u1', { name: 'Other' }), passwordHash: null });
      assert.deepEqual(await s.users.get('a1', 'u1'), u);
      assert.deepEqual(await s.users.get('a2', 'u1'), { ...user('a2', 'u1', { name: 'Other' }), passwordHash: null });
      assert.equal(await s.users.get('a1', 'nope'), undefined);
      assert.equal(await s.users.get('a3', 'u1'), undefined);
    });

    test('duplicate user id rejects with conflict and changes nothing', async (t) => {
      const s = await fresh(t, open);
      await s.users.create(user('a1', 'u1', { v: 1 }));
      await rejectsCode(s.users.create(user('a1', 'u1', { v: 2 })), 409);
      assert.deepEqual((await s.users.get('a1', 'u1'))?.profile, { v: 1 });
    });

    test('updateProfile replaces the part(s) given, within the app only', async (t) => {
      const s = await fresh(t, open);
      await s.users.create(user('a1', 'u1', { a: 1, b: 2 }, { email: 'u1@x' }));
      assert.deepEqual((await s.users.get('a1', 'u1'))?.privateProfile, { email: 'u1@x' });
      assert.equal(await s.users.updateProfile('a1', 'u1', { profile: { c: 3 } }), true);
      assert.deepEqual((await s.users.get('a1', 'u1'))?.profile, { c: 3 });
      assert.deepEqual((await s.users.get('a1', 'u1'))?.privateProfile, { email: 'u1@x' }, 'the private part is kept');
      assert.equal(await s.users.updateProfile('a1', 'u1', { privateProfile: { phone: '1' } }), true);
      assert.deepEqual((await s.users.get('a1', 'u1'))?.profile, { c: 3 }, 'the public part is kept');
      assert.deepEqual((await s.users.get('a1', 'u1'))?.privateProfile, { phone: '1' });
      assert.equal(await s.users.updateProfile('a1', 'u1', { profile: {}, privateProfile: { z: [1] } }), true);
      assert.deepEqual(await s.users.get('a1', 'u1'), user('a1', 'u1', {}, { z: [1] }));
      assert.equal(await s.users.updateProfile('a1', 'nope', { profile: { c: 4 } }), false);
      assert.equal(await s.users.updateProfile('a2', 'u1', { profile: { c: 5 } }), false);
      assert.equal(await s.users.get('a2', 'u1'), undefined);
    });

    test('search by a field looks in the public profile, or in the private one when asked', async (t) => {
      const s = await fresh(t, open);
      await s.users.create(user('a1', 'p1', { city: 'Oslo' }, { email: 'p1@x', city: 'Rome' }));
      await s.users.create(user('a1', 'p2', { city: 'Rome' }, { email: 'p2@x' }));
      const ids = async (q: Parameters<Store['users']['search']>[1]) => (await s.users.search('a1', q)).items.map((u) => u.userId);
      assert.deepEqual(await ids({ field: 'email', value: 'p1@x', limit: 10 }), []);
      assert.deepEqual(await ids({ field: 'email', value: 'p1@x', private: true, limit: 10 }), ['p1']);
      assert.deepEqual(await ids({ field: 'city', value: 'Rome', limit: 10 }), ['p2']);
      assert.deepEqual(await ids({ field: 'city', value: 'Rome', private: true, limit: 10 }), ['p1']);
    });

    test('search pages through all users in userId order with an opaque cursor', async (t) => {
      const s = await fresh(t, open);
      const ids = ['u05', 'u01', 'u04', 'u02', 'u06', 'u03'];
      for (const id of ids) await s.users.create(user('a1', id));
      await s.users.create(user('a2', 'u00'));
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await s.users.search('a1', { limit: 2, cursor });
        assert.ok(page.items.length <= 2);
        seen.push(...page.items.map((u) => u.userId));
        cursor = page.next;
        pages++;
      } while (cursor !== undefined && pages < 10);
      // Exactly 3 pages of 2: a full last page carries no `next`.
      assert.equal(pages, 3);
      assert.deepEqual(seen, ['u01', 'u02', 'u03', 'u04', 'u05', 'u06']);
      const all = await s.users.search('a1', { limit: 100 });
      assert.equal(all.next, undefined);
      assert.deepEqual(all.items[0], user('a1', 'u01'));
    });

    test('search by userId prefix is literal (no wildcards) and isolated per app', async (t) => {
      const s = await fresh(t, open);
      for (const id of ['ann', 'anna', 'annie', 'bob', 'an_x', 'anxx', 'an%y']) await s.users.create(user('a1', id));
      await s.users.create(user('a2', 'annika'));
      const ids = async (q: Parameters<Store['users']['search']>[1]) => (await s.users.search('a1', q)).items.map((u) => u.userId);
      assert.deepEqual(await ids({ prefix: 'ann', limit: 10 }), ['ann', 'anna', 'annie']);
      assert.deepEqual(await ids({ prefix: 'an_', limit: 10 }), ['an_x']);
      assert.deepEqual(await ids({ prefix: 'an%', limit: 10 }), ['an%y']);
      assert.deepEqual(await ids({ prefix: 'zz', limit: 10 }), []);
      const p1 = await s.users.search('a1', { prefix: 'ann', limit: 2 });
      assert.deepEqual(p1.items.map((u) => u.userId), ['ann', 'anna']);
      assert.ok(p1.next);
      const p2 = await s.users.search('a1', { prefix: 'ann', limit: 2, cursor: p1.next });
      assert.deepEqual(p2.items.map((u) => u.userId), ['annie']);
      assert.equal(p2.next, undefined);
    });

    test('search by a top-level profile field compares as text', async (t) => {
      const s = await fresh(t, open);
      const people: UserRecord[] = [
        user('a1', 'p1', { city: 'Oslo', age: 30, admin: true }),
        user('a1', 'p2', { city: 'Rome', age: 31 }),
        user('a1', 'p3', { city: 'Oslo', age: 30, admin: false }),
        user('a1', 'p4', { nested: { city: 'Oslo' } }),
        user('a1', 'q5', { city: 'Oslo' }),
      ];
      for (const u of people) await s.users.create(u);
      await s.users.create(user('a2', 'p0', { city: 'Oslo' }));
      const ids = async (q: Parameters<Store['users']['search']>[1]) => (await s.users.search('a1', q)).items.map((u) => u.userId);
      assert.deepEqual(await ids({ field: 'city', value: 'Oslo', limit: 10 }), ['p1', 'p3', 'q5']);
      assert.deepEqual(await ids({ field: 'age', value: '30', limit: 10 }), ['p1', 'p3']);
      assert.deepEqual(await ids({ field: 'admin', value: 'true', limit: 10 }), ['p1']);
      assert.deepEqual(await ids({ field: 'city', value: 'oslo', limit: 10 }), []);
      assert.deepEqual(await ids({ field: 'city', value: 'Oslo', prefix: 'p', limit: 10 }), ['p1', 'p3']);
      const p1 = await s.users.search('a1', { field: 'city', value: 'Oslo', limit: 1 });
      const p2 = await s.users.search('a1', { field: 'city', value: 'Oslo', limit: 1, cursor: p1.next });
      const p3 = await s.users.search('a1', { field: 'city', value: 'Oslo', limit: 1, cursor: p2.next });
      assert.deepEqual([...p1.items, ...p2.items, ...p3.items].map((u) => u.userId), ['p1', 'p3', 'q5']);
      assert.equal(p3.next, undefined);
    });

    test('existing returns only ids present in that app', async (t) => {
      const s = await fresh(t, open);
      await s.users.create(user('a1', 'u1'));
      await s.users.create(user('a1', 'u2'));
      await s.users.create(user('a2', 'u3'));
      assert.deepEqual(sorted(await s.users.existing('a1', ['u2', 'u3', 'u1', 'zz'])), ['u1', 'u2']);
      assert.deepEqual(await s.users.existing('a1', []), []);
      assert.deepEqual(await s.users.existing('a2', ['u1', 'u2']), []);
    });
  });
}

function sessions(open: Open): void {
  describe('sessions', () => {
    test('create, get, findByRefreshHash; scoped by app; duplicate id conflicts', async (t) => {
      const s = await fresh(t, open);
      const rec = session('a1', 's1', { pushToken: 'push-1' });
      await s.sessions.create(rec);
      assert.deepEqual(await s.sessions.get('a1', 's1'), rec);
      assert.deepEqual(await s.sessions.findByRefreshHash('a1', 'hash-s1'), rec);
      assert.equal(await s.sessions.get('a2', 's1'), undefined);
      assert.equal(await s.sessions.findByRefreshHash('a2', 'hash-s1'), undefined);
      assert.equal(await s.sessions.findByRefreshHash('a1', 'nope'), undefined);
      await rejectsCode(s.sessions.create(session('a1', 's1', { refreshHash: 'other' })), 409);
      assert.deepEqual(await s.sessions.get('a1', 's1'), rec);
    });

    test('rotate is a compare-and-swap on the refresh hash', async (t) => {
      const s = await fresh(t, open);
      await s.sessions.create(session('a1', 's1'));
      assert.equal(await s.sessions.rotate('a2', 's1', 'hash-s1', 'h2', 2000, 20_000), false);
      assert.equal(await s.sessions.rotate('a1', 's1', 'wrong', 'h2', 2000, 20_000), false);
      assert.equal(await s.sessions.rotate('a1', 's1', 'hash-s1', 'h2', 2000, 20_000), true);
      const got = await s.sessions.get('a1', 's1');
      assert.equal(got?.refreshHash, 'h2');
      assert.equal(got?.refreshedAt, 2000);
      assert.equal(got?.expiresAt, 20_000);
      assert.equal(got?.createdAt, 1000);
      // The old token is spent.
      assert.equal(await s.sessions.rotate('a1', 's1', 'hash-s1', 'h3', 3000, 30_000), false);
      assert.equal(await s.sessions.findByRefreshHash('a1', 'hash-s1'), undefined);
      assert.equal((await s.sessions.findByRefreshHash('a1', 'h2'))?.id, 's1');
      assert.equal(await s.sessions.rotate('a1', 'nope', 'h2', 'h3', 3000, 30_000), false);
    });

    test('rotate remembers the spent hash (findRotated) for one refresh lifetime; revoke and app delete forget it', async (t) => {
      const s = await fresh(t, open);
      await s.sessions.create(session('a1', 's1'));
      await s.sessions.create(session('a2', 's1'));
      assert.equal(await s.sessions.findRotated('a1', 'hash-s1'), undefined, 'the current hash is not a rotated one');
      // Lifetime 10 s (expiresAt - refreshedAt).
      assert.equal(await s.sessions.rotate('a1', 's1', 'hash-s1', 'h2', 2000, 12_000), true);
      assert.deepEqual(await s.sessions.findRotated('a1', 'hash-s1'), { sessionId: 's1', rotatedAt: 2000 });
      assert.equal(await s.sessions.findRotated('a2', 'hash-s1'), undefined, 'scoped by app');
      assert.equal(await s.sessions.findRotated('a1', 'h2'), undefined);
      // A lost compare-and-swap records nothing.
      assert.equal(await s.sessions.rotate('a1', 's1', 'nope', 'h9', 3000, 13_000), false);
      assert.equal(await s.sessions.findRotated('a1', 'nope'), undefined);
      assert.equal(await s.sessions.rotate('a1', 's1', 'h2', 'h3', 5000, 15_000), true);
      assert.deepEqual(await s.sessions.findRotated('a1', 'h2'), { sessionId: 's1', rotatedAt: 5000 });
      assert.deepEqual(await s.sessions.findRotated('a1', 'hash-s1'), { sessionId: 's1', rotatedAt: 2000 });
      // A rotation more than one lifetime after hash-s1 was spent forgets it (it would have expired by then).
      assert.equal(await s.sessions.rotate('a1', 's1', 'h3', 'h4', 12_001, 22_001), true);
      assert.equal(await s.sessions.findRotated('a1', 'hash-s1'), undefined);
      assert.deepEqual(await s.sessions.findRotated('a1', 'h2'), { sessionId: 's1', rotatedAt: 5000 });
      // Revoking the session forgets all of its spent hashes; the other app's session is untouched.
      assert.equal(await s.sessions.rotate('a2', 's1', 'hash-s1', 'x2', 2000, 12_000), true);
      assert.equal(await s.sessions.revoke('a1', 's1', 13_000), true);
      assert.equal(await s.sessions.findRotated('a1', 'h2'), undefined);
      assert.deepEqual(await s.sessions.findRotated('a2', 'hash-s1'), { sessionId: 's1', rotatedAt: 2000 });
      assert.equal(await s.apps.delete('a2'), true);
      assert.equal(await s.sessions.findRotated('a2', 'hash-s1'), undefined);
    });

    test('concurrent rotations with the same old hash: exactly one wins', async (t) => {
      const s = await fresh(t, open);
      await s.sessions.create(session('a1', 's1'));
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => s.sessions.rotate('a1', 's1', 'hash-s1', `new-${i}`, 2000 + i, 20_000)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const winner = results.indexOf(true);
      assert.equal((await s.sessions.get('a1', 's1'))?.refreshHash, `new-${winner}`);
    });

    test('revoke marks the session; unknown or other-app sessions give false', async (t) => {
      const s = await fresh(t, open);
      await s.sessions.create(session('a1', 's1'));
      assert.equal(await s.sessions.revoke('a2', 's1', 5000), false);
      assert.equal(await s.sessions.revoke('a1', 'nope', 5000), false);
      assert.equal(await s.sessions.revoke('a1', 's1', 5000), true);
      assert.equal((await s.sessions.get('a1', 's1'))?.revokedAt, 5000);
    });

    test('listForUser returns live sessions only: not revoked, not expired, this user, this app', async (t) => {
      const s = await fresh(t, open);
      await s.sessions.create(session('a1', 'live1', { expiresAt: 10_000 }));
      await s.sessions.create(session('a1', 'live2', { expiresAt: 20_000, pushToken: 'pt' }));
      await s.sessions.create(session('a1', 'expired', { expiresAt: 4000 }));
      await s.sessions.create(session('a1', 'revoked', { expiresAt: 20_000 }));
      await s.sessions.revoke('a1', 'revoked', 4500);
      await s.sessions.create(session('a1', 'other', { userId: 'u2' }));
      await s.sessions.create(session('a2', 'otherapp'));
      const live = await s.sessions.listForUser('a1', 'u1', 5000);
      assert.deepEqual(sorted(live.map((x) => x.id)), ['live1', 'live2']);
      assert.deepEqual(live.find((x) => x.id === 'live2'), session('a1', 'live2', { expiresAt: 20_000, pushToken: 'pt' }));
      assert.deepEqual((await s.sessions.listForUser('a1', 'u1', 15_000)).map((x) => x.id), ['live2']);
      assert.deepEqual(await s.sessions.listForUser('a1', 'nobody', 0), []);
    });
  });
}

function groups(open: Open): void {
  describe('groups', () => {
    test('add, remove, members, list; per owner and per app', async (t) => {
      const s = await fresh(t, open);
      assert.deepEqual(sorted(await s.groups.add('a1', 'o1', 'friends', ['u3', 'u1', 'u1'])), ['u1', 'u3']);
      assert.deepEqual(await s.groups.add('a1', 'o1', 'friends', ['u1', 'u2']), ['u2']);
      assert.deepEqual(await s.groups.add('a1', 'o1', 'work', ['u9']), ['u9']);
      await s.groups.add('a1', 'o2', 'friends', ['x1']);
      await s.groups.add('a2', 'o1', 'friends', ['y1']);
      assert.deepEqual(await s.groups.members('a1', 'o1', 'friends'), ['u1', 'u2', 'u3']);
      assert.deepEqual(await s.groups.list('a1', 'o1'), [{ group: 'friends', size: 3 }, { group: 'work', size: 1 }]);
      assert.deepEqual(await s.groups.members('a2', 'o1', 'friends'), ['y1']);
      assert.deepEqual(await s.groups.members('a1', 'o2', 'friends'), ['x1']);
      assert.deepEqual(sorted(await s.groups.remove('a1', 'o1', 'friends', ['u2', 'u1', 'nope'])), ['u1', 'u2']);
      assert.deepEqual(await s.groups.remove('a1', 'o1', 'friends', ['u2']), []);
      assert.deepEqual(await s.groups.members('a1', 'o1', 'friends'), ['u3']);
      // A group with no members left is gone from the list.
      assert.deepEqual(await s.groups.remove('a1', 'o1', 'work', ['u9']), ['u9']);
      assert.deepEqual(await s.groups.list('a1', 'o1'), [{ group: 'friends', size: 1 }]);
      assert.deepEqual(await s.groups.members('a1', 'o1', 'nope'), []);
      assert.deepEqual(await s.groups.list('a1', 'nobody'), []);
      assert.deepEqual(await s.groups.add('a1', 'o1', 'empty', []), []);
    });
  });
}
