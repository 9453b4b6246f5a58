import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';

// ws's frame parser is public at runtime but absent from @types/ws.
type ReceiverT = EventEmitter & { write(chunk: Buffer, cb: () => void): void };
const { Receiver } = createRequire(import.meta.url)('ws') as { Receiver: new (o: { isServer: boolean }) => ReceiverT };
import { OutFrame } from '../../src/channel/writer.ts';

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
    const f = OutFrame.of(text);
    assert.equal(f.wire, f.wire, 'built once, then shared');
    assert.deepEqual(await parse(f.wire), [text], `length ${n}`);
  }
});

test('several frames written back to back in one buffer arrive as separate messages, in order', async () => {
  const frames = ['{"a":1}', 'é€😀', '{"push":{}}'].map((s) => OutFrame.of(s).wire);
  assert.deepEqual(await parse(Buffer.concat(frames)), ['{"a":1}', 'é€😀', '{"push":{}}']);
});
