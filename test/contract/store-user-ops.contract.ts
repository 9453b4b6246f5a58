import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { channel, fresh, rejectsCode, session, sorted, user, type Open } from './store-fixtures.ts';

/**
 * The Store contract for user-level operations (issue 11): disable, password, delete (tombstone),
 * revoke every session of a user, and the member cap of `channels.addMembers`.
 */
export function userOpsContract(open: Open): void {
  describe('user operations', () => {
    test('setDisabled and setPassword change one live user; get shows disabledAt', async (t) => {
      const s = await fresh(t, open);
      await s.users.create(user('a1', 'u1'));
      assert.equal(await s.users.setDisabled('a1', 'u1', 5000), true);
      assert.equal((await s.users.get('a1', 'u1'))?.disabledAt, 5000);
      assert.equal(await s.users.setDisabled('a2', 'u1', 5000), false, 'scoped by app');
      assert.equal(await s.users.setDisabled('a1', 'nobody', 5000), false);
      assert.equal(await s.users.setDisabled('a1', 'u1', null), true);
      assert.deepEqual(await s.users.get('a1', 'u1'), user('a1', 'u1'), 'enabled again: no disabledAt at all');
      assert.equal(await s.users.setPassword('a1', 'u1', 'new-hash'), true);
      assert.equal((await s.users.get('a1', 'u1'))?.passwordHash, 'new-hash');
      assert.equal(await s.users.setPassword('a1', 'nobody', 'h'), false);
    });

    test('delete leaves a tombstone: no profile, password, sessions, memberships, reads or groups; messages stay', async (t) => {
      const s = await fresh(t, open);
      await s.users.create(user('a1', 'u1', { name: 'U' }, { email: 'u@x' }));
      await s.users.create(user('a1', 'u2'));
      await s.users.create(user('a2', 'u1', { name: 'other app' }));
      await s.sessions.create(session('a1', 's1', { expiresAt: 99_000 }));
      await s.sessions.rotate('a1', 's1', 'hash-s1', 'h2', 2000, 99_000);
      await s.sessions.create(session('a1', 's2', { userId: 'u2', expiresAt: 99_000 }));
      await s.channels.create(channel('a1', 'room'), ['u1', 'u2']);
      await s.messages.append([{ appId: 'a1', channel: 'room', id: 'm1', event: 'message', data: 'hi', senderUser: 'u1', senderDevice: 'd', senderClient: 'c', time: 1 }]);
      await s.reads.markRead('a1', 'u2', 'room', 1);
      await s.groups.add('a1', 'u1', 'friends', ['u2']);
      await s.groups.add('a1', 'u2', 'friends', ['u1', 'u3']);

      assert.equal(await s.users.delete('a1', 'u1', 7000), true);
      assert.equal(await s.users.delete('a1', 'u1', 8000), false, 'already deleted');
      assert.equal(await s.users.delete('a1', 'nobody', 8000), false);
      assert.deepEqual(await s.users.get('a1', 'u1'), { ...user('a1', 'u1'), passwordHash: null, profile: {}, privateProfile: {}, deletedAt: 7000 });
      assert.equal((await s.users.get('a2', 'u1'))?.deletedAt, undefined, 'the other app keeps its user');
      await rejectsCode(s.users.create(user('a1', 'u1')), 409);
      assert.deepEqual(await s.users.existing('a1', ['u1', 'u2']), ['u2']);
      assert.deepEqual((await s.users.search('a1', { limit: 10 })).items.map((u) => u.userId), ['u2']);
      assert.equal(await s.users.setDisabled('a1', 'u1', 1), false, 'a tombstone cannot be disabled');
      assert.equal(await s.users.setPassword('a1', 'u1', 'h'), false, 'nor given a password');
      assert.equal((await s.sessions.get('a1', 's1'))?.revokedAt, 7000);
      assert.equal(await s.sessions.findRotated('a1', 'hash-s1'), undefined);
      assert.equal((await s.sessions.get('a1', 's2'))?.revokedAt, null, "another user's session stays");
      assert.deepEqual(await s.channels.members('a1', 'room'), ['u2']);
      assert.deepEqual(await s.channels.listForUser('a1', 'u1'), []);
      assert.deepEqual(await s.reads.positions('a1', 'u1'), []);
      assert.deepEqual(await s.groups.list('a1', 'u1'), []);
      assert.deepEqual(await s.groups.members('a1', 'u2', 'friends'), ['u3']);
      const [m] = await s.messages.range('a1', 'room', { after: 0, limit: 10 });
      assert.equal(m?.senderUser, 'u1', 'the message stays, with its author');
      assert.equal(m?.data, 'hi');
    });

    test('revokeForUser revokes every live session of one user except `keep`, and forgets their spent hashes', async (t) => {
      const s = await fresh(t, open);
      await s.sessions.create(session('a1', 's1', { createdAt: 1 }));
      await s.sessions.create(session('a1', 's2', { createdAt: 2 }));
      await s.sessions.create(session('a1', 's3', { createdAt: 3 }));
      await s.sessions.create(session('a1', 'old', { createdAt: 0 }));
      await s.sessions.revoke('a1', 'old', 500);
      await s.sessions.create(session('a1', 'x', { userId: 'u2' }));
      await s.sessions.create(session('a2', 's1'));
      await s.sessions.rotate('a1', 's1', 'hash-s1', 'h2', 2000, 12_000);
      assert.deepEqual(await s.sessions.revokeForUser('a1', 'u1', 6000, 's2'), ['s1', 's3']);
      assert.equal((await s.sessions.get('a1', 's1'))?.revokedAt, 6000);
      assert.equal((await s.sessions.get('a1', 's2'))?.revokedAt, null);
      assert.equal((await s.sessions.get('a1', 'old'))?.revokedAt, 500, 'an earlier revocation keeps its time');
      assert.equal((await s.sessions.get('a1', 'x'))?.revokedAt, null);
      assert.equal((await s.sessions.get('a2', 's1'))?.revokedAt, null);
      assert.equal(await s.sessions.findRotated('a1', 'hash-s1'), undefined);
      assert.deepEqual(await s.sessions.revokeForUser('a1', 'u1', 7000), ['s2']);
      assert.deepEqual(await s.sessions.revokeForUser('a1', 'u1', 8000), []);
    });

    test('addMembers with a cap refuses (106) a request that would pass it and adds nobody; members already in do not count twice', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'room'), ['u1', 'u2']);
      await rejectsCode(s.channels.addMembers('a1', 'room', ['u3', 'u4'], 5000, 3), 106);
      assert.deepEqual(await s.channels.members('a1', 'room'), ['u1', 'u2']);
      assert.deepEqual(await s.channels.addMembers('a1', 'room', ['u1', 'u3', 'u3'], 5000, 3), ['u3']);
      assert.deepEqual(await s.channels.addMembers('a1', 'room', ['u1', 'u2'], 5000, 3), [], 'already members: nothing new, no refusal');
      await rejectsCode(s.channels.addMembers('a1', 'room', ['u4'], 5000, 3), 106);
      assert.deepEqual(await s.channels.addMembers('a1', 'nope', ['u1'], 5000, 3), []);
    });

    test('concurrent capped adds never pass the cap', async (t) => {
      const s = await fresh(t, open);
      await s.channels.create(channel('a1', 'room'), []);
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => s.channels.addMembers('a1', 'room', [`u${i}`], 5000, 4)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 4);
      assert.equal((await s.channels.members('a1', 'room')).length, 4);
      assert.deepEqual(sorted((await s.channels.members('a1', 'room'))).length, 4);
    });
  });
}
