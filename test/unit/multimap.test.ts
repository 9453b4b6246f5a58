import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MultiMap } from '../../src/multimap.ts';

test('MultiMap: one member bare, more in a set, back to bare, then gone; add/delete say when a key starts and ends', () => {
  const m = new MultiMap<string, object>();
  const a = {}, b = {}, c = {};
  assert.equal(m.add('k', a), true);
  assert.equal(m.add('k', a), false); // already there: no second copy
  assert.deepEqual([m.count('k'), m.hasMember('k', a), m.hasMember('k', b)], [1, true, false]);
  assert.equal(m.add('k', b), false);
  assert.equal(m.add('k', c), false);
  assert.equal(m.count('k'), 3);
  assert.equal(m.delete('k', {}), false); // not a member
  assert.equal(m.delete('k', b), false);
  assert.equal(m.delete('k', c), false);
  assert.deepEqual(m.members('k'), [a]);
  assert.equal(m.delete('k', b), false);
  assert.equal(m.delete('k', a), true);
  assert.deepEqual([m.has('k'), m.count('k'), m.members('k')], [false, 0, []]);
  assert.equal(m.delete('k', a), false);
});

test('MultiMap: members() is a snapshot, forEach visits each member once, keys are separate', () => {
  const m = new MultiMap<string, string>();
  for (const v of ['x', 'y', 'z']) m.add('one', v);
  m.add('two', 'x');
  for (const v of m.members('one')) m.delete('one', v);
  assert.equal(m.has('one'), false);
  assert.equal(m.hasMember('two', 'x'), true);
  const seen: string[] = [];
  m.add('two', 'w');
  m.forEach('two', (v) => seen.push(v));
  assert.deepEqual(seen.sort(), ['w', 'x']);
  m.delete('two', 'w');
  m.delete('two', 'x');
  assert.equal(m.count('two'), 0);
});
