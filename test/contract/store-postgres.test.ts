import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { MessageRecord, Store } from '../../src/store/store.ts';
import { channel, msg } from './store-fixtures.ts';
import { storeContract } from './store.contract.ts';

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const newSchema = (): string => `xpush_test_${randomBytes(5).toString('hex')}`;

async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}

// A private schema per store; the contract closes each store, and closing drops its schema.
storeContract('postgres', async () => {
  const schema = newSchema();
  const store = new PostgresStore(PG_URL, schema);
  await store.migrate();
  let dropped: Promise<void> | undefined;
  const close = store.close.bind(store);
  store.close = () => (dropped ??= close().then(() => dropSchema(schema)));
  return store;
});

/** Several stores over one schema: what several cluster nodes sharing the database look like. */
async function nodes(t: TestContext, n: number): Promise<{ schema: string; stores: Store[] }> {
  const schema = newSchema();
  const stores = Array.from({ length: n }, () => new PostgresStore(PG_URL, schema));
  t.after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await dropSchema(schema);
  });
  // All start at once, as nodes of a cluster do: the advisory lock makes one migrate, the rest wait.
  await Promise.all(stores.map((s) => s.migrate()));
  return { schema, stores };
}

describe('PostgresStore across processes', () => {
  test('concurrent migrate of a fresh schema applies each migration once', async (t) => {
    const { schema, stores: [a] } = await nodes(t, 4);
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    t.after(() => c.end());
    const { rows } = await c.query(`SELECT version, count(*)::int AS n FROM ${schema}.schema_migrations GROUP BY version`);
    assert.ok(rows.length >= 1);
    for (const r of rows) assert.equal(r.n, 1);
    assert.deepEqual(await a!.apps.list(), []);
  });

  test('two pools appending to one channel get unique, gap-free offsets', async (t) => {
    const { stores: [a, b] } = await nodes(t, 2);
    await a!.channels.create(channel('a1', 'x', { type: 'open' }), []);
    await a!.channels.create(channel('a1', 'y', { type: 'open' }), []);
    const rounds = 25;
    const size = 20;
    // Each node runs several appenders at once; batches mix both channels in opposite order, so
    // lock ordering (not luck) is what keeps them from deadlocking.
    const run = (s: Store, tag: string) =>
      Promise.all(Array.from({ length: 4 }, async (_, w) => {
        const out: MessageRecord[][] = [];
        for (let i = 0; i < rounds; i++) {
          const chans = w % 2 === 0 ? ['x', 'y'] : ['y', 'x'];
          out.push(await s.messages.append(Array.from({ length: size }, (_, k) =>
            msg('a1', chans[k % 2]!, { id: `${tag}-${w}-${i}-${k}`, senderUser: `${tag}${w}` }))));
        }
        return out.flat();
      }));
    const [ra, rb] = await Promise.all([run(a!, 'a'), run(b!, 'b')]);
    const all = [...ra.flat(), ...rb.flat()];
    const total = 2 * 4 * rounds * size;
    assert.equal(all.length, total);
    for (const name of ['x', 'y']) {
      const offs = all.filter((m) => m.channel === name).map((m) => m.offset).sort((p, q) => p - q);
      assert.deepEqual(offs, Array.from({ length: total / 2 }, (_, i) => i + 1), `channel ${name}`);
      assert.equal((await b!.channels.get('a1', name))?.topOffset, total / 2);
      const stored = await a!.messages.range('a1', name, { limit: total });
      assert.deepEqual(stored.map((m) => m.offset), offs);
    }
    // Every returned record is exactly what is stored under its offset.
    const stored = new Map((await a!.messages.range('a1', 'x', { limit: total })).map((m) => [m.id, m]));
    for (const m of all.filter((r) => r.channel === 'x')) assert.deepEqual(stored.get(m.id), m);
  });

  test('the same id published through two pools at once is stored once', async (t) => {
    const { stores: [a, b] } = await nodes(t, 2);
    await a!.channels.create(channel('a1', 'x', { type: 'open' }), []);
    for (let i = 0; i < 20; i++) {
      // Each pair races on one shared id, padded with distinct ids so offsets would show a gap.
      const [oa, ob] = await Promise.all([
        a!.messages.append([msg('a1', 'x', { id: `pad-a-${i}` }), msg('a1', 'x', { id: `same-${i}`, data: 'a' })]),
        b!.messages.append([msg('a1', 'x', { id: `same-${i}`, data: 'b' }), msg('a1', 'x', { id: `pad-b-${i}` })]),
      ]);
      assert.deepEqual(oa[1], ob[0]);
    }
    const stored = await a!.messages.range('a1', 'x', { limit: 1000 });
    assert.equal(stored.length, 60);
    assert.deepEqual(stored.map((m) => m.offset), Array.from({ length: 60 }, (_, i) => i + 1));
    assert.equal((await b!.channels.get('a1', 'x'))?.topOffset, 60);
  });
});
