import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisLiveStreams } from '../../src/streams/live-streams-redis.ts';
import { XPushError } from '../../src/errors.ts';
import { REDIS_URL } from '../helpers/services.ts';
import { liveStreamsContract } from './live-streams.contract.ts';

const root = `xpush-test:${randomBytes(4).toString('hex')}:`;
const admin = new Redis(REDIS_URL);
after(async () => {
  const keys = await admin.keys(`${root}*`);
  if (keys.length) await admin.del(...keys);
  await admin.quit();
});

liveStreamsContract('redis', (ns) => new RedisLiveStreams(REDIS_URL, `${root}${ns}:`), { shared: true });

test('RedisLiveStreams rejects with 503 (temporary) when Redis cannot be reached', async (t) => {
  const s = new RedisLiveStreams('redis://127.0.0.1:1', `${root}down:`);
  t.after(() => s.close());
  await assert.rejects(s.allocate('a', 'c', 1), (e: unknown) => e instanceof XPushError && e.code === 503 && e.temporary);
});
