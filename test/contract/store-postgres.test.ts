import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import pg from 'pg';
import { migrate, migrations } from '../../src/store/postgres/migrations.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { MessageRecord, Store } from '../../src/store/store.ts';
import { app, channel, msg } from './store-fixtures.ts';
import { DEFAULT_APP_SETTINGS } from '../../src/protocol/app-settings.ts';
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
        a!.messages.append([msg('a1', 'x', { id: `pad-a-${i}` }), msg('a1', 'x', { id: `same-${i}`, idempotent: true, data: 'a' })]),
        b!.messages.append([msg('a1', 'x', { id: `same-${i}`, idempotent: true, data: 'b' }), msg('a1', 'x', { id: `pad-b-${i}` })]),
      ]);
      assert.deepEqual(oa[1], ob[0]);
    }
    const stored = await a!.messages.range('a1', 'x', { limit: 1000 });
    assert.equal(stored.length, 60);
    assert.deepEqual(stored.map((m) => m.offset), Array.from({ length: 60 }, (_, i) => i + 1));
    assert.equal((await b!.channels.get('a1', 'x'))?.topOffset, 60);
  });
});

describe('PostgresStore on one schema over time', () => {
  test('idempotent ids are still known after close and reopen', async (t) => {
    const schema = newSchema();
    const a = new PostgresStore(PG_URL, schema);
    const b = new PostgresStore(PG_URL, schema);
    t.after(async () => {
      await Promise.all([a.close(), b.close()]);
      await dropSchema(schema);
    });
    await a.migrate();
    await a.apps.create(app('a1'));
    await a.channels.create(channel('a1', 'x'), []);
    const [first] = await a.messages.append([msg('a1', 'x', { id: 'k', idempotent: true })]);
    await a.close();
    await b.migrate();
    assert.deepEqual((await b.messages.append([msg('a1', 'x', { id: 'k', idempotent: true })]))[0], first);
    assert.equal((await b.messages.append([msg('a1', 'x')]))[0]!.offset, 2);
  });

  test('messages written before migration 2 keep their id check', async (t) => {
    const schema = newSchema();
    const s = new PostgresStore(PG_URL, schema);
    t.after(async () => {
      await s.close();
      await dropSchema(schema);
    });
    const pool = new pg.Pool({ connectionString: PG_URL });
    try {
      await migrate(pool, schema, migrations.filter((m) => m.version === 1));
      await pool.query(`INSERT INTO ${schema}.channels (app_id, name, type, epoch, top_offset, created_at) VALUES ('a1', 'x', 'open', 'e', 1, 1)`);
      await pool.query(`INSERT INTO ${schema}.messages (app_id, channel, msg_offset, id, event, data, sender_user, sender_device, sender_client, time)
        VALUES ('a1', 'x', 1, 'old', 'message', '"v1"', 'u1', 'd1', 'c1', 5)`);
    } finally {
      await pool.end();
    }
    await s.migrate();
    const [dup] = await s.messages.append([msg('a1', 'x', { id: 'old', idempotent: true, data: 'retry', senderUser: 'u1' })]);
    assert.deepEqual(dup, {
      appId: 'a1', channel: 'x', offset: 1, id: 'old', event: 'message', data: 'v1',
      senderUser: 'u1', senderDevice: 'd1', senderClient: 'c1', time: 5,
    });
    assert.equal((await s.messages.append([msg('a1', 'x')]))[0]!.offset, 2);
  });

  test('apps and users stored before migration 5 read default settings and an empty private profile', async (t) => {
    const schema = newSchema();
    const s = new PostgresStore(PG_URL, schema);
    t.after(async () => {
      await s.close();
      await dropSchema(schema);
    });
    const pool = new pg.Pool({ connectionString: PG_URL });
    try {
      await migrate(pool, schema, migrations.filter((m) => m.version < 5));
      await pool.query(`INSERT INTO ${schema}.apps (id, name, key, secret, created_at) VALUES ('a1', 'old', 'k1', 's1', 1)`);
      await pool.query(`INSERT INTO ${schema}.users (app_id, user_id, password_hash, profile, created_at) VALUES ('a1', 'u1', NULL, '{"n":1}', 2)`);
    } finally {
      await pool.end();
    }
    await s.migrate();
    assert.deepEqual((await s.apps.get('a1'))?.settings, DEFAULT_APP_SETTINGS);
    assert.deepEqual(await s.users.get('a1', 'u1'), { appId: 'a1', userId: 'u1', passwordHash: null, profile: { n: 1 }, privateProfile: {}, createdAt: 2 });
  });
});
