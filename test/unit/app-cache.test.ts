import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempSqliteStore } from '../helpers/sqlite-store.ts';
import { AppCache } from '../../src/auth/app-cache.ts';
import { app } from '../contract/store-fixtures.ts';
import type { AppRecord } from '../../src/store/store.ts';

/**
 * On a real SQLite store whose `apps.get` is counted and can be held: callers that miss together
 * share one read (a group commit's after-hooks ask once per message), and a read overtaken by a
 * forget (the app changed meanwhile) answers its callers but is not kept.
 */
test('app cache: concurrent misses share one store read; a read overtaken by a forget is not kept', async (t) => {
  const store = await tempSqliteStore(t, 'appcache');
  await store.apps.create(app('a1'));
  const realGet = store.apps.get.bind(store.apps);
  let reads = 0;
  let hold: Promise<void> | undefined;
  store.apps.get = async (id) => {
    reads++;
    const rec = await realGet(id);
    if (hold) await hold;
    return rec;
  };
  const cache = new AppCache(store);

  const all = await Promise.all(Array.from({ length: 100 }, () => cache.get('a1')));
  assert.equal(reads, 1, 'one read for 100 callers');
  assert.ok(all.every((r) => r?.secret === 'secret-a1'));
  assert.equal(cache.peek('a1')?.app?.secret, 'secret-a1');
  await cache.get('a1');
  assert.equal(reads, 1, 'then served from memory');

  // A read in flight, then the secret rotates and the app is forgotten (what the admin route does).
  cache.forget('a1');
  let release!: () => void;
  hold = new Promise<void>((r) => { release = r; });
  const old = cache.get('a1');
  await new Promise((r) => setImmediate(r));
  await store.apps.updateSecret('a1', 'rotated');
  cache.forget('a1');
  hold = undefined;
  const fresh: AppRecord | undefined = await cache.get('a1');
  assert.equal(fresh?.secret, 'rotated', 'a get after the forget does not join the read before it');
  release();
  assert.equal((await old)?.secret, 'secret-a1');
  assert.equal(cache.peek('a1')?.app?.secret, 'rotated', 'the overtaken read did not replace the fresh entry');
  assert.equal(reads, 3);
});
