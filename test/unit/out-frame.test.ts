import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';

// ws's frame parser is public at runtime but absent from @types/ws.
type ReceiverT = EventEmitter & { write(chunk: Buffer, cb: () => void): void };
const { Receiver } = createRequire(import.meta.url)('ws') as { Receiver: new (o: { isServer: boolean }) => ReceiverT };
import { OutFrame } from '../../src/channel/out-frame.ts';

/** Parses server frames with ws's own receiver (the same parser every Node client uses). */
function parse(buf: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const got: string[] = [];
    const r = new Receiver({ isServer: false });
    r.on('message', (data: Buffer, isBinary: boolean) => {
      assert.equal(isBinary, false, 'text frames only (the JSON protocol)');
      got.push(data.toString());
    });
    r.on('error', reject);
    r.write(buf, () => resolve(got));
  });
}

test('OutFrame builds a final unmasked text frame once, for every payload length class', async () => {
  for (const n of [0, 1, 125, 126, 65535, 65536, 200_000]) {
    const text = 'x'.repeat(n);
    const f = OutFrame.json(text);
    assert.equal(f.wire('ws-text'), f.wire('ws-text'), 'built once, then shared');
    assert.deepEqual(await parse(f.wire('ws-text')), [text], `length ${n}`);
  }
});

test('several frames written back to back in one buffer arrive as separate messages, in order', async () => {
  const frames = ['{"a":1}', 'é€😀', '{"push":{}}'].map((s) => OutFrame.json(s).wire('ws-text'));
  assert.deepEqual(await parse(Buffer.concat(frames)), ['{"a":1}', 'é€😀', '{"push":{}}']);
});

test('a reply object is serialised on demand, once', () => {
  const f = OutFrame.reply({ id: 3, publish: {} });
  assert.equal(f.json.toString(), '{"id":3,"publish":{}}');
  assert.equal(f.json, f.json);
});

test('HTTP streaming wire forms: one line per reply, one SSE event with a data line per reply', () => {
  const f = OutFrame.json('{"a":1}\n{"b":2}');
  assert.equal(f.wire('stream-json').toString(), '{"a":1}\n{"b":2}\n');
  assert.equal(f.wire('sse').toString(), 'data: {"a":1}\ndata: {"b":2}\n\n');
});

test('a frame made from text counts and frames its UTF-8 bytes, also where multibyte text crosses a length class', async () => {
  // 'é' is 2 bytes, '€' 3, '😀' 4 (two UTF-16 units): lengths in bytes straddle 125/126 and 65535/65536.
  for (const [unit, count] of [['é', 62], ['é', 63], ['€', 42], ['😀', 31], ['😀', 32], ['€', 21845], ['€', 21846]] as const) {
    const text = `"${unit.repeat(count)}"`;
    const f = OutFrame.json(text);
    assert.equal(f.size('json'), Buffer.byteLength(text), `${unit} × ${count}`);
    assert.deepEqual(await parse(f.wire('ws-text')), [text], `${unit} × ${count}`);
  }
  const reply = OutFrame.reply({ id: 1, publish: { note: 'café €' } });
  assert.equal(reply.size('json'), Buffer.byteLength(JSON.stringify({ id: 1, publish: { note: 'café €' } })));
});
