import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryUserPresence } from '../../src/presence/user-presence-memory.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('online fires on the first connection, offline once the last one stayed gone for the delay; a quick return fires neither', async () => {
  const p = new MemoryUserPresence(80);
  const events: string[] = [];
  await p.start({ online: (a, u) => events.push(`on ${a}/${u}`), offline: (a, u) => events.push(`off ${a}/${u}`) });
  await p.connected('a', 'bob', 'c1');
  await p.connected('a', 'bob', 'c2');
  assert.deepEqual(events, ['on a/bob']);
  assert.deepEqual([...await p.online('a', ['bob', 'eve'])], ['bob']);
  await p.disconnected('a', 'bob', 'c1');
  await p.disconnected('a', 'bob', 'c2');
  assert.deepEqual([...await p.online('a', ['bob'])], [], 'no live connection right away');
  await sleep(30);
  await p.connected('a', 'bob', 'c3'); // back within the delay
  await sleep(120);
  assert.deepEqual(events, ['on a/bob'], 'no offline/online pair for a quick return');
  await p.disconnected('a', 'bob', 'c3');
  await p.disconnected('a', 'bob', 'c3'); // idempotent
  await sleep(120);
  assert.deepEqual(events, ['on a/bob', 'off a/bob']);
  await p.connected('b', 'bob', 'c4');
  assert.deepEqual(events.at(-1), 'on b/bob', 'apps are separate');
  await p.close();
});
