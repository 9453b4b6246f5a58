import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig, defaultConfig } from '../../src/config.ts';
import { configFrom } from '../../src/cli/config-sources.ts';

test('defaults run one process on SQLite with the memory broker', () => {
  const c = resolveConfig();
  assert.equal(c.role, 'all');
  assert.deepEqual(c.store, { kind: 'sqlite' });
  assert.deepEqual(c.broker, { kind: 'memory' });
  assert.equal(c.port, defaultConfig.port);
});

test('impossible or conflicting settings throw at once, naming the field', () => {
  assert.throws(() => resolveConfig({ port: 70000 }), /config\.port/);
  assert.throws(() => resolveConfig({ pingIntervalMs: -1 }), /config\.pingIntervalMs/);
  assert.throws(() => resolveConfig({ role: 'channel' }), /needs a shared broker/);
  assert.throws(() => resolveConfig({ role: 'session', broker: { kind: 'redis', url: 'redis://x' } }), /needs a shared store/);
  assert.throws(() => resolveConfig({ maxMessageBytes: 10, maxFrameBytes: 5 }), /maxMessageBytes/);
  assert.throws(() => resolveConfig({ pingIntervalMs: 1000, pongTimeoutMs: 1000 }), /pongTimeoutMs/);
  assert.throws(() => resolveConfig({ store: { kind: 'postgres', url: '' } }), /store\.url/);
});

test('flags beat XPUSH_* environment variables, which beat the config file', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xpcfg-')), 'c.json');
  fs.writeFileSync(file, JSON.stringify({ port: 1111, host: '10.0.0.1', logLevel: 'debug' }));
  const c = configFrom({ config: file, port: '3333' }, { XPUSH_PORT: '2222', XPUSH_HOST: '127.0.0.2' });
  assert.equal(c.port, 3333);
  assert.equal(c.host, '127.0.0.2');
  assert.equal(c.logLevel, 'debug');
  assert.deepEqual(configFrom({}, { XPUSH_REDIS_URL: 'redis://r', XPUSH_PG_URL: 'postgres://p' }).broker, { kind: 'redis', url: 'redis://r' });
  assert.throws(() => configFrom({ port: 'eighty' }, {}), /--port: expected an integer 0\.\.65535, got "eighty"/);
  assert.throws(() => configFrom({ store: 'mysql' }, {}), /sqlite or postgres/);
});
