import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { DOC, renderDoc } from '../../scripts/config-docs.ts';
import { FIELDS } from '../../src/config/fields.ts';

test('docs/configuration.md is generated from the config schema (run `npm run docs`)', () => {
  const doc = fs.readFileSync(DOC, 'utf8');
  assert.equal(doc, renderDoc(), 'the committed reference differs from the schema: run `npm run docs`');
  for (const f of FIELDS) {
    assert.ok(doc.includes(`| \`${f.path}\` | \`${f.env}\``), `${f.path} is documented with its variable`);
    assert.ok(doc.includes(`\`--${f.flag}\``), `${f.path} is documented with its flag`);
  }
});
