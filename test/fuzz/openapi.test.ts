// The HTTP API against its own OpenAPI document: every operation documented (summary, success and
// error schemas, security), then schemathesis (test/fuzz/schemathesis.toml) fuzzing every operation
// with real credentials: no 5xx, every answer conforms to its declared status, content type and
// schema, and no answer carries a stack trace. Locally a missing Python skips the fuzzing; under
// CI=true it fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type TestServer } from '../helpers/server.ts';
import { api, userSession } from '../helpers/clients.ts';
import { installSchemathesis } from './schemathesis.ts';

const CONFIG = path.join(import.meta.dirname, 'schemathesis.toml');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

type Op = { summary?: string; security?: Record<string, string[]>[]; responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> };

test('every operation in /openapi.json has a summary, a success schema, the error schema and known security', async (t) => {
  const ts = await startServer(t);
  const spec = (await ts.http('GET', '/openapi.json')).body as { paths: Record<string, Record<string, Op>>; components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> } };
  assert.deepEqual(Object.keys(spec.components.securitySchemes).sort(), ['admin', 'apiKey', 'appKey', 'user']);
  assert.ok(spec.components.schemas.Error, 'components.schemas.Error');
  const problems: string[] = [];
  let ops = 0;
  for (const [p, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      ops++;
      const name = `${method.toUpperCase()} ${p}`;
      if (!op.summary) problems.push(`${name}: no summary`);
      const codes = Object.keys(op.responses ?? {});
      const ok = codes.filter((c) => /^2/.test(c));
      if (ok.length === 0) problems.push(`${name}: no 2xx response`);
      for (const c of ok) {
        const content = op.responses![c].content;
        if (!content || !Object.values(content).every((m) => m.schema)) problems.push(`${name}: ${c} has no schema`);
      }
      for (const c of ['4XX', '5XX']) {
        const schema = op.responses?.[c]?.content?.['application/json']?.schema as { $ref?: string } | undefined;
        if (schema?.$ref !== '#/components/schemas/Error') problems.push(`${name}: ${c} is not the Error schema`);
      }
      for (const alt of op.security ?? []) {
        for (const s of Object.keys(alt)) if (!spec.components.securitySchemes[s]) problems.push(`${name}: unknown security scheme ${s}`);
      }
    }
  }
  assert.ok(ops >= 60, `only ${ops} operations documented`);
  assert.deepEqual(problems, []);
});

/** A stack frame (`at fn (/path/file.ts:1:2)`) or an error naming a source file: what must never reach a client. */
const STACK = /\bat (?:[\w$.<>[\] ]+ )?\(?(?:file:\/\/|\/|node:)[^\s)]*:\d+(?::\d+)?\)?|\b\w*Error: [^"]*(?:\/|\\)(?:src|node_modules)(?:\/|\\)|\.(?:ts|js|mjs):\d+:\d+/;

/** Runs schemathesis; resolves with its exit code and output. */
function schemathesis(bin: string, args: string[], env: Record<string, string>, cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // cwd: a temp dir, where schemathesis leaves its `.schemathesis/` cache (not in the work tree).
    const child = spawn(bin, args, { cwd, env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Every response body recorded in a HAR file, as text. */
function harBodies(file: string): { url: string; status: number; text: string }[] {
  const har = JSON.parse(fs.readFileSync(file, 'utf8')) as { log: { entries: { request: { url: string }; response: { status: number; content: { text?: string; encoding?: string } } }[] } };
  return har.log.entries.map((e) => {
    const c = e.response.content;
    const text = c.encoding === 'base64' ? Buffer.from(c.text ?? '', 'base64').toString('latin1') : c.text ?? '';
    return { url: e.request.url, status: e.response.status, text };
  });
}

/** The app, channel and user the run works in, as the environment schemathesis.toml reads. */
async function fixtures(ts: TestServer): Promise<Record<string, string>> {
  const app = await ts.createApp('fuzz');
  const s = await userSession(ts, app, 'fuzz-user');
  const ch = await api(ts, app, 'POST', '/channels', { channel: 'fuzz-room', members: ['fuzz-user'] });
  assert.equal(ch.status, 201);
  return {
    XPUSH_FUZZ_ADMIN: ts.adminToken, XPUSH_FUZZ_APP: app.id, XPUSH_FUZZ_APP_KEY: app.key, XPUSH_FUZZ_APP_SECRET: app.secret,
    XPUSH_FUZZ_USER_TOKEN: s.accessToken, XPUSH_FUZZ_CHANNEL: 'fuzz-room',
  };
}

// The operations that end the run's own fixtures (its session, its app) go last, in a pass of their own.
const LAST = ['POST /v1/apps/{app}/auth/logout', 'DELETE /v1/admin/apps/{app}'];

test('schemathesis finds no server error, no schema or status mismatch and no stack trace', { timeout: 280_000 }, async (t) => {
  let bin: string;
  try {
    bin = await installSchemathesis();
  } catch (err) {
    const msg = `schemathesis unavailable: ${(err as Error).message}`;
    if (process.env.CI) throw new Error(`${msg}: CI must run the API fuzzer`);
    t.skip(msg);
    return;
  }
  const ts = await startServer(t);
  const env = await fixtures(ts);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-fuzz-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const base = ['--config-file', CONFIG, 'run', `${ts.url}/openapi.json`, '--no-color', '--output-truncate', 'true', '--report', 'har'];

  const passes: [string, string[]][] = [
    ['main', LAST.flatMap((n) => ['--exclude-name', n])],
    ['last', ['--phases', 'coverage,fuzzing', ...LAST.flatMap((n) => ['--include-name', n])]],
  ];
  for (const [name, args] of passes) {
    const har = path.join(dir, `${name}.har`);
    const t0 = Date.now();
    const r = await schemathesis(bin, [...base, '--report-har-path', har, ...args], env, dir);
    t.diagnostic(`${name} pass: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${r.output.match(/\d+ generated[^\n]*/)?.[0] ?? 'no summary'}`);
    assert.equal(r.code, 0, `schemathesis ${name} pass failed:\n${r.output.slice(-12_000)}`);
    const bodies = harBodies(har);
    assert.ok(bodies.length > (name === 'main' ? 1000 : 10), `${name} pass: only ${bodies.length} requests recorded`);
    const leaks = bodies.filter((b) => STACK.test(b.text)).map((b) => `${b.status} ${b.url}: ${b.text.slice(0, 300)}`);
    assert.deepEqual(leaks, [], 'responses with a stack trace');
    // The last pass logs out a user the main pass never saw (it may have ended or deleted the first).
    if (name === 'main') env.XPUSH_FUZZ_USER_TOKEN = (await userSession(ts, { id: env.XPUSH_FUZZ_APP, key: env.XPUSH_FUZZ_APP_KEY, secret: env.XPUSH_FUZZ_APP_SECRET }, 'fuzz-last')).accessToken;
  }
});
