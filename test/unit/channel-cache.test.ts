import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempSqliteStore } from '../helpers/sqlite-store.ts';
import { ChannelCache } from '../../src/domain/channel-cache.ts';
import { app, channel } from '../contract/store-fixtures.ts';

/**
 * The channel cache on a real SQLite store: a cached channel is served without the store until it is
 * forgotten (one channel, a whole app, everything) or its TTL passes. The store's row is deleted
 * behind the cache's back, so only forgetting can make it read as gone.
 */
test('channel cache: served from memory until forgotten by channel, by app, all at once, or expired', async (t) => {
  const store = await tempSqliteStore(t, 'chcache');
  for (const a of ['a1', 'a2']) {
    await store.apps.create(app(a));
    for (const c of ['x', 'y']) await store.channels.create(channel(a, c), []);
  }
  const cache = new ChannelCache(store);
  for (const a of ['a1', 'a2']) for (const c of ['x', 'y']) assert.equal((await cache.require(a, c)).name, c);
  for (const a of ['a1', 'a2']) for (const c of ['x', 'y']) await store.channels.delete(a, c);
  // Deleted in the store, still cached: what another node's cache looks like before the control event.
  assert.equal(cache.peek('a1', 'x')?.epoch, 'ep-x');

  cache.forget('a1', 'x');
  assert.equal(cache.peek('a1', 'x'), undefined);
  await assert.rejects(cache.require('a1', 'x'), { code: 102 });
  assert.ok(cache.peek('a1', 'y'), 'forgetting one channel keeps its neighbours');

  cache.forgetApp('a1');
  assert.equal(cache.peek('a1', 'y'), undefined);
  assert.ok(cache.peek('a2', 'x') && cache.peek('a2', 'y'), "forgetting an app keeps the other apps' channels");

  cache.clear();
  assert.equal(cache.peek('a2', 'x'), undefined);
  assert.equal(cache.peek('a2', 'y'), undefined);

  // The TTL is the last bound: an entry older than it is read again.
  await store.channels.create(channel('a2', 'z'), []);
  const short = new ChannelCache(store, 30);
  assert.ok(await short.get('a2', 'z'));
  await store.channels.delete('a2', 'z');
  assert.ok(short.peek('a2', 'z'));
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(short.peek('a2', 'z'), undefined);
  assert.equal(await short.get('a2', 'z'), undefined);
});

/**
 * A look-up that was reading the store while the channel was forgotten (created or deleted meanwhile,
 * told by another node) must not cache what it read: it may be the state from before. The store is
 * the real one; only its answer is held back until the forget has happened.
 */
test('channel cache: a read in flight across a forget answers its caller but is not cached', async (t) => {
  const store = await tempSqliteStore(t, 'chcache');
  await store.apps.create(app('a1'));
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  const realGet = store.channels.get.bind(store.channels);
  store.channels.get = async (a, c) => {
    const before = await realGet(a, c);
    await held;
    return before;
  };
  const cache = new ChannelCache(store);
  const reading = cache.get('a1', 'late'); // reads "no such channel"
  await new Promise((r) => setImmediate(r));
  await store.channels.create(channel('a1', 'late'), []);
  cache.forget('a1', 'late'); // what the control event does
  release();
  assert.equal(await reading, undefined);
  store.channels.get = realGet;
  assert.equal((await cache.require('a1', 'late')).name, 'late', 'the stale "none" was not cached');
});
