import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig, defaultConfig } from '../../src/config.ts';

test('webhookDelivery: defaults, partial overrides merged field by field, impossible values refused', () => {
  assert.deepEqual(resolveConfig({}).webhookDelivery, defaultConfig.webhookDelivery);
  const c = resolveConfig({ webhookDelivery: { pollMs: 20 } });
  assert.equal(c.webhookDelivery.pollMs, 20);
  assert.equal(c.webhookDelivery.maxAttempts, 16, 'the other fields keep their defaults');
  assert.throws(() => resolveConfig({ webhookDelivery: { timeoutMs: 0 } }), /webhookDelivery\.timeoutMs must be a positive integer, got 0/);
  assert.throws(() => resolveConfig({ webhookDelivery: { retryBaseMs: 5000, retryMaxMs: 1000 } }), /retryMaxMs cannot be shorter than retryBaseMs/);
  assert.throws(() => resolveConfig({ webhookDelivery: { concurrency: Number.NaN } }), /concurrency/);
});
