import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lingers } from '../../src/channel/client.ts';

test('presence lingers after a drop, not after a deliberate close or a terminal code', () => {
  for (const code of [1001, 1006, 1011, 3000, 3001, 3008, 3011, 3012, 4000, 4499]) assert.equal(lingers(code), true, `code ${code}`);
  for (const code of [1000, 1005, 3500, 3503, 3504, 3999, 4500, 4999]) assert.equal(lingers(code), false, `code ${code}`);
});
