import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { DOC, withTable } from '../../scripts/protocol-docs.ts';
import { RPC } from '../../src/protocol/rpc.ts';

test('docs/protocol.md carries the RPC method table generated from src/protocol/rpc.ts (run `npm run docs`)', () => {
  const doc = fs.readFileSync(DOC, 'utf8');
  assert.equal(doc, withTable(doc), 'the committed table differs from the method table: run `npm run docs`');
  for (const name of Object.keys(RPC)) assert.ok(doc.includes(`| \`${name}\` |`), `${name} is documented`);
});
