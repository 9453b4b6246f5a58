import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tempSqliteStore } from '../helpers/sqlite-store.ts';
import { TargetIndex } from '../../src/push/target-index.ts';
import { app } from '../contract/store-fixtures.ts';

test('TargetIndex: one store query per app at a time, answers cached ("no" briefly), a local registration is seen at once', async (t) => {
  const store = await tempSqliteStore(t, 'target-index');
  await store.apps.create(app('a1'));
  let queries = 0;
  const push = store.push;
  const counting = Object.create(push) as typeof push;
  counting.hasTargets = (id: string) => { queries++; return push.hasTargets(id); };
  const index = new TargetIndex(counting, 200, 60_000);

  // 50 messages at once in an app without targets: one query.
  const answers = await Promise.all(Array.from({ length: 50 }, () => index.has('a1')));
  assert.deepEqual(new Set(answers), new Set([false]));
  assert.equal(queries, 1);
  assert.equal(index.has('a1'), false, 'cached, answered synchronously');
  assert.equal(queries, 1);

  // A device registers on another node (straight into the store): seen once "no" expires.
  await push.registerTarget({ appId: 'a1', id: 't1', userId: 'bob', deviceId: 'phone', kind: 'fcm', token: 'tok', keys: null, environment: null, createdAt: 1 });
  assert.equal(index.has('a1'), false);
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(await index.has('a1'), true);
  assert.equal(queries, 2);

  // A registration on this node counts at once, without a query.
  assert.equal(await index.has('a2'), false);
  index.registered('a2');
  assert.equal(index.has('a2'), true);
  assert.equal(queries, 3);
});
