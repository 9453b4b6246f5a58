import { test } from 'node:test';
import assert from 'node:assert/strict';
import { originAllowed } from '../../src/channel/origin.ts';

const ALLOWED = ['https://good.example', 'https://*.good.example'];

test('origin patterns: exact origins, wildcard host labels, *, and no Origin', () => {
  const cases: [string | undefined, boolean][] = [
    [undefined, true], // not a browser page
    ['', true],
    ['https://good.example', true],
    ['HTTPS://GOOD.EXAMPLE', true], // origins compare case-insensitively
    ['https://a.good.example', true],
    ['https://a.b.good.example', true], // one label or more
    ['http://good.example', false], // scheme differs
    ['https://good.example:8443', false], // port differs
    ['https://evilgood.example', false], // not a subdomain
    ['https://good.example.evil.com', false],
    ['https://.good.example', false], // empty label
    ['https://evil.com/.good.example', false], // a path is never part of an origin
    ['https://evil.com:1@x.good.example', false],
    ['https://a:1.good.example', false],
    ['null', false], // sandboxed pages and file:// send "null"
  ];
  for (const [origin, want] of cases) assert.equal(originAllowed(origin, ALLOWED), want, String(origin));
  assert.equal(originAllowed('https://anything.example', ['*']), true);
  assert.equal(originAllowed('https://anything.example', []), false);
  assert.equal(originAllowed('http://localhost:3000', ['http://localhost:*']), true, 'a wildcard port');
  assert.equal(originAllowed('http://localhost:3000/x', ['http://localhost:*']), false);
});
