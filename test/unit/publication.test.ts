import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pubPushJson, publicationOf } from '../../src/domain/publication.ts';
import { Push } from '../../src/protocol/frames.ts';
import type { MessageRecord } from '../../src/store/store.ts';

/** pubPushJson writes the push text by hand (speed); it must stay the text JSON.stringify gives. */
const awkward = ['', 'plain', 'quote " back \\ slash', 'line\nbreak\ttab', 'ünïcödé 日本 🎉', '\u2028\u2029', '\u0000\u001f', 'lone \ud800 surrogate', '</script>'];

function record(over: Partial<MessageRecord>): MessageRecord {
  return {
    appId: 'app', channel: 'room', offset: 1, id: 'id-1', event: 'message', data: null,
    senderUser: 'u1', senderDevice: 'd1', senderClient: 'c1', time: 1796000000000, ...over,
  };
}

test('pubPushJson is exactly JSON.stringify of the publication push, for awkward strings and data', () => {
  const datas: unknown[] = [null, 0, -1.5e-7, 'text', true, [], {}, { nested: { a: [1, 'two', null] } }, ...awkward];
  let n = 0;
  for (const s of awkward) {
    for (const data of datas) {
      const r = record({ channel: `ch${s}`, id: s, event: s, senderUser: s, senderDevice: s, senderClient: s, data, offset: ++n, time: 1796000000000 + n });
      const expected = JSON.stringify(Push.pub(r.channel, publicationOf(r)));
      assert.equal(pubPushJson(r), expected);
      assert.equal(pubPushJson(r, JSON.stringify(data)), expected);
      assert.deepEqual(JSON.parse(pubPushJson(r)), JSON.parse(expected));
    }
  }
});
