import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acked } from '../../bench/scenarios/acked.ts';
import type { Ctx } from '../../bench/lib/ctx.ts';
import type { Kind } from '../../bench/lib/targets.ts';
import type { Table } from '../../bench/lib/report.ts';

/**
 * The acked broadcast scenario at a tiny size against a real XPUSH server (a child process, as
 * `npm run bench` starts it) with half the subscribers on Protobuf: every message reaches every
 * subscriber of both encodings, nothing lost, duplicated or reordered, every publish acked with its
 * stored offset (the table records any of those as a failure).
 */

function ctxOf(kinds: Kind[], options: Record<string, string>): Ctx {
  return { full: false, kinds, workers: 1, option: (name) => options[name], log: () => undefined };
}

function figure(t: Table, name: string, kind: Kind = 'xpush'): number | undefined {
  return t.rows.find((r) => r.figure === name)?.values[kind];
}

test('acked broadcast with half the subscribers on Protobuf: every message arrives on both encodings', async () => {
  const ctx = ctxOf(['xpush', 'socketio'], { 'acked-sizes': '20', 'acked-windows': '10', 'acked-protobuf': '0.5' });
  const [table] = await acked.run(ctx);
  assert.ok(table);
  assert.deepEqual(table.failures, [], 'no loss, duplicate, reordering, missing ack or offset error');
  assert.match(table.title, /20 subscribers .*\(50 % Protobuf\)/);
  assert.ok(figure(table, 'W=10: deliveries/s')! > 0, 'something was delivered in the measured window');
  assert.equal(figure(table, 'W=10: JSON subscribers'), 10);
  assert.equal(figure(table, 'W=10: Protobuf subscribers'), 10);
  assert.equal(figure(table, 'W=10: messages received by the JSON subscribers %'), 100);
  assert.equal(figure(table, 'W=10: messages received by the Protobuf subscribers %'), 100);
  // the other servers speak no Protobuf: reported n/a with the reason, not run
  assert.equal(table.status.socketio, 'n/a');
  assert.ok(table.notes.some((n) => /Socket\.IO not available: .*no Protobuf/.test(n)));
});

test('acked broadcast with every subscriber on Protobuf on an ephemeral channel', async () => {
  const ctx = ctxOf(['xpush'], { 'acked-sizes': '20', 'acked-windows': '10', 'acked-protobuf': '1', 'acked-channel': 'ephemeral' });
  const [table] = await acked.run(ctx);
  assert.ok(table);
  assert.deepEqual(table.failures, []);
  // A server that could not start is reported n/a, not failed: say why instead of a missing figure.
  assert.equal(table.status.xpush, undefined, table.notes.join(' | '));
  assert.equal(figure(table, 'W=10: JSON subscribers'), 0);
  assert.equal(figure(table, 'W=10: Protobuf subscribers'), 20);
  assert.equal(figure(table, 'W=10: messages received by the Protobuf subscribers %'), 100);
});
