import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Logger } from 'pino';
import { Hooks } from '../../src/hooks.ts';

test('after-hooks run once the caller is done, in priority order; a throwing or rejecting hook is logged and the others still run', async () => {
  const logged: { hook: string; message: string }[] = [];
  const log = { error: (o: { hook: string; err: Error }) => logged.push({ hook: o.hook, message: o.err.message }) } as unknown as Logger;
  const hooks = new Hooks(log);
  const seen: string[] = [];
  hooks.add('afterConnect', () => { seen.push('sync'); }, 3);
  hooks.add('afterConnect', () => { throw new Error('sync boom'); }, 2);
  hooks.add('afterConnect', async () => { seen.push('async'); throw new Error('async boom'); }, 1);
  hooks.add('afterConnect', (a) => { seen.push(`last ${a.user}`); }, 0);
  hooks.after('afterConnect', { app: 'a', user: 'u1', device: 'd', client: 'c' });
  seen.push('caller');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, ['caller', 'sync', 'async', 'last u1']);
  assert.deepEqual(logged.sort((x, y) => x.message.localeCompare(y.message)), [
    { hook: 'afterConnect', message: 'async boom' },
    { hook: 'afterConnect', message: 'sync boom' },
  ]);
});

test('after-hooks run with the list they were called with: a hook added by a hook waits for the next event', async () => {
  const hooks = new Hooks({ error: () => undefined } as unknown as Logger);
  const seen: string[] = [];
  hooks.add('afterConnect', (a) => {
    seen.push(`first ${a.user}`);
    if (a.user === 'u1') hooks.add('afterConnect', (b) => { seen.push(`added ${b.user}`); }, -1);
  });
  hooks.add('afterConnect', (a) => { seen.push(`second ${a.user}`); }, -2);
  hooks.after('afterConnect', { app: 'a', user: 'u1', device: 'd', client: 'c' });
  await new Promise((r) => setImmediate(r));
  hooks.after('afterConnect', { app: 'a', user: 'u2', device: 'd', client: 'c' });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, ['first u1', 'second u1', 'first u2', 'added u2', 'second u2']);
});
