import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { Value } from 'typebox/value';
import { ConfigSchema, ConfigError, defaultConfig, resolveConfig } from '../../src/config.ts';
import { FIELDS, type Field } from '../../src/config/fields.ts';
import { loadConfig, resolveLoaded } from '../../src/config/sources.ts';
import { settingOptions } from '../../src/cli/setting-options.ts';
import { complete } from '../../src/cli/config-commands.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpcfg-'));
function file(content: unknown): string {
  const f = path.join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
}
const refused = (fn: () => unknown, message: string | RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof ConfigError && (typeof message === 'string' ? e.message === message : message.test(e.message)), String(message));

/** What `xpush start <args>` would parse, through the generated flags. */
function flags(args: string[]): Record<string, unknown> {
  const cmd = settingOptions(new Command('start').exitOverride().configureOutput({ writeErr: () => undefined }));
  cmd.parse(args, { from: 'user' });
  return cmd.opts();
}
const at = (o: unknown, p: string) => p.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown> | undefined)?.[k], o);

test('the file: unknown keys refused naming the file and the nearest setting; bad values name the setting and the type', () => {
  const f = file({ prot: 1 });
  refused(() => loadConfig({ config: f }, {}), `config file ${f}: "prot" is not a setting (did you mean "port"?)`);
  const g = file({ webhookDelivery: { pollMss: 3 }, maxFrameBytes: 'x' });
  refused(() => loadConfig({ config: g }, {}), `2 config problems:\n  config file ${g}: "webhookDelivery.pollMss" is not a setting (did you mean "webhookDelivery.pollMs"?)\n  config file ${g}: maxFrameBytes: expected a positive integer, got "x"`);
  refused(() => loadConfig({ config: file({ port: '8080' }) }, {}), /port: expected an integer 0\.\.65535, got "8080"$/);
  refused(() => loadConfig({ config: file({ store: { kind: 'postgres', path: 'x.db' } }) }, {}), /"store\.path" is not a setting: it is a setting of the sqlite store only \(store\.kind is postgres\)/);
  refused(() => loadConfig({ config: file({ channelNamespaces: [{ prefix: 'g:', kind: 'temp' }] }) }, {}), /channelNamespaces\[0\]\.kind: expected durable, ephemeral or cache, got "temp"/);
  refused(() => loadConfig({ config: file('{"port": 80,}') }, {}), /: not valid JSON \(/);
  refused(() => loadConfig({ config: file('[1]') }, {}), /: expected a JSON object of settings, got \[1\]/);
  refused(() => loadConfig({ config: path.join(dir, 'missing.json') }, {}), /missing\.json: cannot read it \(ENOENT\)$/);
  refused(() => loadConfig({}, { XPUSH_CONFIG: path.join(dir, 'gone.json') }), /gone\.json: cannot read it/);
  assert.deepEqual(loadConfig({ config: file({ publicUrl: null, port: 9 }) }, {}).input, { port: 9 }, 'null means not set');
});

test('variables: bad values and unknown XPUSH_* names refused naming the variable; empty means unset', () => {
  refused(() => loadConfig({}, { XPUSH_PORT: 'abc' }), 'XPUSH_PORT: expected an integer 0..65535, got "abc"');
  refused(() => loadConfig({}, { XPUSH_PORT: '70000' }), 'XPUSH_PORT: expected an integer 0..65535, got "70000"');
  refused(() => loadConfig({}, { XPUSH_PER_MESSAGE_DEFLATE: 'yes' }), 'XPUSH_PER_MESSAGE_DEFLATE: expected true or false, got "yes"');
  refused(() => loadConfig({}, { XPUSH_ROLE: 'both' }), 'XPUSH_ROLE: expected all, session or channel, got "both"');
  refused(() => loadConfig({}, { XPUSH_PROT: '1' }), 'XPUSH_PROT is not a setting (did you mean XPUSH_PORT?)');
  refused(() => loadConfig({}, { XPUSH_CHANNEL_NAMESPACES: '[{"prefix":"a","knd":"cache"}]' }), /^XPUSH_CHANNEL_NAMESPACES: \[0\]\.knd is not a setting \(did you mean \[0\]\.kind\?\)$/);
  refused(() => loadConfig({}, { XPUSH_CHANNEL_NAMESPACES: 'game:' }), /^XPUSH_CHANNEL_NAMESPACES: expected JSON: /);
  refused(() => loadConfig({}, { XPUSH_ADMIN_TOKEN: ' ' , XPUSH_STORE: 'sqlite', XPUSH_STORE_KIND: 'postgres' }), 'XPUSH_STORE_KIND and XPUSH_STORE set the same setting (store.kind): keep one');
  refused(() => loadConfig({}, { XPUSH_SQLITE_PATH: 'a.db', XPUSH_PG_URL: 'postgres://p' }), /XPUSH_SQLITE_PATH and XPUSH_PG_URL do not go together/);
  assert.deepEqual(loadConfig({}, { XPUSH_HOST: '', XPUSH_URL: 'http://x', XPUSH_APP_SECRET: 's', XPUSH_PACK_TEST: '1' }).input, {}, 'empty and non-setting variables are ignored');
});

test('flags: bad values refused naming the flag; old names keep working', () => {
  refused(() => loadConfig(flags(['--port', 'eighty']), {}), '--port: expected an integer 0..65535, got "eighty"');
  refused(() => loadConfig(flags(['--max-message-bytes', '-5']), {}), '--max-message-bytes: expected a positive integer, got "-5"');
  refused(() => loadConfig(flags(['--store', 'mysql']), {}), '--store: expected sqlite or postgres, got "mysql"');
  assert.throws(() => flags(['--prot', '1']), /unknown option '--prot'/);
  assert.deepEqual(loadConfig(flags(['--pg-url', 'postgres://p', '--pg-schema', 's', '--redis-url', 'redis://r', '--redis-prefix', 'x:', '-p', '9']), {}).input, {
    port: 9, store: { kind: 'postgres', url: 'postgres://p', schema: 's' }, broker: { kind: 'redis', url: 'redis://r', prefix: 'x:' },
  });
  assert.equal(loadConfig(flags(['--per-message-deflate']), {}).input.perMessageDeflate, true, 'a boolean flag alone means true');
});

test('precedence: flag > variable > file > default, setting by setting', () => {
  const f = file({ port: 1111, host: '10.0.0.1', logLevel: 'debug', webhookDelivery: { pollMs: 10, concurrency: 2 } });
  const c = resolveLoaded(loadConfig({ ...flags(['--port', '3333']), config: f }, { XPUSH_PORT: '2222', XPUSH_HOST: '127.0.0.2', XPUSH_WEBHOOK_DELIVERY_POLL_MS: '20' }));
  assert.equal(c.port, 3333);
  assert.equal(c.host, '127.0.0.2');
  assert.equal(c.logLevel, 'debug');
  assert.deepEqual(c.webhookDelivery, { ...defaultConfig.webhookDelivery, pollMs: 20, concurrency: 2 });
  assert.equal(c.maxMessageBytes, defaultConfig.maxMessageBytes);
});

test('store and broker: another kind from a stronger source drops the old one\'s fields; a field only one kind has picks it', () => {
  const pg = file({ store: { kind: 'postgres', url: 'postgres://p', schema: 's' } });
  assert.deepEqual(loadConfig({ config: pg }, { XPUSH_STORE: 'sqlite' }).input.store, { kind: 'sqlite' });
  assert.deepEqual(loadConfig({ config: pg }, { XPUSH_PG_URL: 'postgres://q' }).input.store, { kind: 'postgres', url: 'postgres://q', schema: 's' });
  assert.deepEqual(loadConfig({ config: file({ store: { path: 'a.db' } }) }, { XPUSH_PG_URL: 'postgres://q' }).input.store, { kind: 'postgres', url: 'postgres://q' });
  assert.deepEqual(loadConfig({}, { XPUSH_REDIS_URL: 'redis://r', XPUSH_PG_URL: 'postgres://p' }).input.broker, { kind: 'redis', url: 'redis://r' });
  refused(() => resolveLoaded(loadConfig(flags(['--store', 'postgres']), {})), 'store.url is required for the postgres store (store.kind from --store; store.url from the default)');
});

test('loginThrottle: false turns the group off; one of its fields from a stronger source turns it back on', () => {
  assert.equal(resolveLoaded(loadConfig({}, { XPUSH_LOGIN_THROTTLE: 'false' })).loginThrottle, false);
  const off = file({ loginThrottle: false });
  assert.deepEqual(resolveLoaded(loadConfig({ config: off }, { XPUSH_LOGIN_THROTTLE_BLOCK_MS: '1000' })).loginThrottle, { ...(defaultConfig.loginThrottle as object), blockMs: 1000 });
  const on = file({ loginThrottle: { blockMs: 1000 } });
  assert.equal(resolveLoaded(loadConfig({ ...flags(['--login-throttle', 'false']), config: on }, {})).loginThrottle, false);
});

test('conflicting settings say where each came from', () => {
  const f = file({ maxMessageBytes: 65536 });
  refused(() => resolveLoaded(loadConfig({ config: f }, { XPUSH_MAX_FRAME_BYTES: '5000' })),
    `maxFrameBytes (5000) must be at least maxMessageBytes (65536) + 4096, so an over-size message gets error 106 instead of closing the connection (maxFrameBytes from XPUSH_MAX_FRAME_BYTES; maxMessageBytes from config file ${f})`);
  refused(() => resolveLoaded(loadConfig(flags(['--role', 'channel']), {})), /role=channel needs a shared broker .*\(role from --role; broker\.kind from the default\)$/);
  refused(() => resolveLoaded(loadConfig({}, { XPUSH_PUSH_LEASE_MS: '5000' })), /push\.leaseMs must exceed push\.requestTimeoutMs.*\(push\.leaseMs from XPUSH_PUSH_LEASE_MS; push\.requestTimeoutMs from the default\)$/);
});

test('createServer input: unknown keys refused too; hooks allowed; the defaults satisfy the schema', () => {
  refused(() => resolveConfig({ prot: 1 } as never), 'config.prot is not a setting (did you mean port?)');
  refused(() => resolveConfig({ push: { pollMss: 1 } } as never), 'config.push.pollMss is not a setting (did you mean push.pollMs?)');
  assert.equal(typeof resolveConfig({ hooks: { beforePublish: () => undefined } }).hooks?.beforePublish, 'function');
  assert.ok(Value.Check(ConfigSchema, defaultConfig));
  assert.deepEqual(resolveConfig(complete(defaultConfig) as never), defaultConfig, 'a complete defaults file (nulls included) resolves to the defaults');
});

test('names: generated, unique, and every name of the CLI before the schema still maps to its setting', () => {
  const env = FIELDS.flatMap((f) => [f.env, ...f.envAliases]);
  const flagNames = FIELDS.flatMap((f) => [f.flag, ...f.flagAliases]);
  assert.equal(new Set(env).size, env.length);
  assert.equal(new Set(flagNames).size, flagNames.length);
  const byEnv = (n: string) => FIELDS.find((f) => f.env === n || f.envAliases.includes(n))?.path;
  const old: Record<string, string> = {
    XPUSH_ROLE: 'role', XPUSH_HOST: 'host', XPUSH_PORT: 'port', XPUSH_DATA_DIR: 'dataDir', XPUSH_PUBLIC_URL: 'publicUrl', XPUSH_NODE_ID: 'nodeId',
    XPUSH_ADMIN_TOKEN: 'adminToken', XPUSH_LOG_LEVEL: 'logLevel', XPUSH_STORE: 'store.kind', XPUSH_PG_URL: 'store.url', XPUSH_PG_SCHEMA: 'store.schema',
    XPUSH_SQLITE_PATH: 'store.path', XPUSH_BROKER: 'broker.kind', XPUSH_REDIS_URL: 'broker.url', XPUSH_REDIS_PREFIX: 'broker.prefix',
  };
  for (const [n, p] of Object.entries(old)) assert.equal(byEnv(n), p, n);
  assert.equal(FIELDS.find((f) => f.path === 'maxMessageBytes')?.env, 'XPUSH_MAX_MESSAGE_BYTES');
  assert.equal(FIELDS.find((f) => f.path === 'webhookDelivery.retryBaseMs')?.flag, 'webhook-delivery-retry-base-ms');
});

/** A valid value for a field, different from its default, and how it is written in a variable or flag. */
function sample(f: Field): { value: unknown; text: string } {
  const s = f.schema;
  if (f.role === 'switch') return { value: false, text: 'false' };
  if (f.role === 'json') return { value: [{ prefix: 'game:', kind: 'ephemeral' }], text: '[{"prefix":"game:","kind":"ephemeral"}]' };
  if (f.role === 'list') return { value: ['a.example', 'b.example'], text: 'a.example, b.example' };
  const options = s.enum ?? s.anyOf?.filter((v) => v.const !== undefined).map((v) => v.const);
  if (options?.length) {
    const v = String(options.find((o) => o !== f.default));
    return { value: v, text: v };
  }
  if (s.type === 'integer') {
    const v = typeof f.default === 'number' ? f.default + 1 : 7;
    return { value: v, text: String(v) };
  }
  if (s.type === 'boolean') return { value: !f.default, text: String(!f.default) };
  if (f.path === 'push.ca') return { value: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', text: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' };
  if (f.path === 'trustProxy') return { value: '10.0.0.0/8', text: '10.0.0.0/8' };
  return { value: `sample-${f.flag}`, text: `sample-${f.flag}` };
}

/** Text a field must refuse (plain strings take any text). */
function badText(f: Field): string | undefined {
  if (f.role === 'json') return '{bad';
  if (f.role === 'list') return '[1';
  if (f.role === 'switch' || f.schema.type === 'boolean') return 'maybe';
  if (f.schema.enum || f.schema.anyOf?.some((v) => v.const !== undefined)) return 'nope';
  if (f.schema.type === 'integer') return '12abc';
  if (f.schema.pattern) return 'not a certificate';
  return undefined;
}

/** Settings that need a companion setting to resolve on their own (a kind without its URL, a role without shared backends). */
const NEEDS_COMPANION = new Set(['role', 'store.kind', 'store.schema', 'broker.kind', 'broker.prefix', 'blobStore']);

test('every setting of the schema is reachable from its variable and its flag (generated over the schema)', () => {
  assert.ok(FIELDS.length >= 70, `all settings listed (${FIELDS.length})`);
  for (const f of FIELDS) {
    const { value, text } = sample(f);
    const viaEnv = loadConfig({}, { [f.env]: text });
    const viaFlag = loadConfig(flags([`--${f.flag}`, text]), {});
    assert.deepEqual(at(viaEnv.input, f.path), value, `${f.env} sets ${f.path}`);
    assert.deepEqual(at(viaFlag.input, f.path), value, `--${f.flag} sets ${f.path}`);
    assert.equal(viaFlag.origins.get(f.path), `--${f.flag}`);
    if (!NEEDS_COMPANION.has(f.path)) assert.deepEqual(at(resolveLoaded(viaEnv), f.path), value, `${f.path} resolves from ${f.env}`);
    const bad = badText(f);
    if (bad === undefined) continue;
    refused(() => loadConfig({}, { [f.env]: bad }), new RegExp(`^${f.env}: expected .*, got ${JSON.stringify(JSON.stringify(bad)).slice(1, -1).replace(/[[\]{}]/g, '\\$&')}$`));
    refused(() => loadConfig(flags([`--${f.flag}`, bad]), {}), new RegExp(`^--${f.flag}: expected `));
  }
});
