import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrame } from '../../src/protocol/codec.ts';
import { tooDeep } from '../../src/protocol/json-depth.ts';

test('a frame splits into newline-separated commands, CRLF and blank lines tolerated', () => {
  const out = decodeFrame('{"id":1,"connect":{"token":"t"}}\r\n\n{"id":2,"subscribe":{"channel":"a"}}\n{}');
  assert.deepEqual(out, [
    { ok: true, id: 1, name: 'connect', body: { token: 't' } },
    { ok: true, id: 2, name: 'subscribe', body: { channel: 'a' } },
    { ok: true, pong: true },
  ]);
  assert.deepEqual(decodeFrame(''), []);
});

test('send may omit its id (or carry protobuf default 0); every other command needs a positive integer id', () => {
  assert.deepEqual(decodeFrame('{"send":{"data":1}}'), [{ ok: true, id: 0, name: 'send', body: { data: 1 } }]);
  assert.deepEqual(decodeFrame('{"id":0,"send":{"data":1}}'), [{ ok: true, id: 0, name: 'send', body: { data: 1 } }]);
  assert.deepEqual(decodeFrame('{"publish":{"channel":"a","data":1}}'), [{ ok: false, id: undefined, message: 'id is required' }]);
  for (const bad of ['-1', '1.5', '"1"', '9007199254740993', 'null']) {
    const [d] = decodeFrame(`{"id":${bad},"publish":{"channel":"a","data":1}}`);
    assert.equal(d!.ok, false, bad);
  }
});

test('malformed envelopes are refused with a message naming the problem, keeping the id when there is one', () => {
  const cases: [string, string, number | undefined][] = [
    ['not json', 'malformed JSON', undefined],
    ['[1,2]', 'a command must be a JSON object', undefined],
    ['"x"', 'a command must be a JSON object', undefined],
    ['{"id":3,"frobnicate":{}}', 'unknown command "frobnicate"', 3],
    ['{"id":4,"connect":{},"subscribe":{}}', 'one command per object', 4],
    ['{"id":5}', 'no command', 5],
    ['{"id":6,"publish":[1]}', 'publish must be an object', 6],
    ['{"id":7,"publish":null}', 'publish must be an object', 7],
  ];
  for (const [text, message, id] of cases) assert.deepEqual(decodeFrame(text), [{ ok: false, id, message }], text);
});

test('nesting deeper than 64 levels is refused before anything else reads it', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  const [ok] = decodeFrame(`{"id":1,"rpc":{"method":"m","data":${deep(60)}}}`);
  assert.equal(ok!.ok, true);
  const [bad] = decodeFrame(`{"id":9,"rpc":{"method":"m","data":${deep(5000)}}}`);
  assert.deepEqual(bad, { ok: false, id: 9, message: 'JSON nested deeper than 64 levels' });
  assert.equal(tooDeep({ a: { b: { c: 1 } } }, 3), false);
  assert.equal(tooDeep({ a: { b: { c: {} } } }, 3), true);
  assert.equal(tooDeep('flat'), false);
  // Exactly at the limit and one past it, through arrays and objects mixed, wide and deep.
  const nest = (n: number): unknown => (n === 0 ? 1 : n % 2 ? [0, { x: nest(n - 1) }] : { a: 1, b: [nest(n - 1)] });
  assert.equal(tooDeep(nest(10), 20), false); // 20 levels: two per step
  assert.equal(tooDeep(nest(10), 19), true);
  assert.equal(tooDeep({ wide: Array.from({ length: 1000 }, () => ({ v: [1] })) }, 4), false);
  assert.equal(tooDeep({ wide: Array.from({ length: 1000 }, (_, i) => (i === 999 ? { v: [[]] } : { v: [1] })) }, 4), true);
  assert.equal(tooDeep(JSON.parse('{"__proto__":{"a":{"b":{}}}}'), 3), true, 'a parsed "__proto__" key is a key like any other');
});
