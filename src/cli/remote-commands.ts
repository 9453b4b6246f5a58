import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError, serverUrl, serverUrlOption, type CliIo } from './options.ts';

interface Answer {
  status: number;
  body: Record<string, unknown> | undefined;
}

/** `xpush publish` and `xpush health`: ask a running server over its HTTP API. */
export function remoteCommands(program: Command, io: CliIo): void {
  serverUrlOption(program.command('publish <app> <channel> <json>').description('publish a message to a channel through a running server (subscribers get it live)'))
    .option('--event <name>', 'event name (default "message")')
    .option('--id <id>', 'message id: publishing again with the same id stores nothing new')
    .option('--secret <secret>', 'the app secret (env XPUSH_APP_SECRET); without it the admin token looks it up')
    .option('--admin-token <token>', 'admin token (env XPUSH_ADMIN_TOKEN; default: the admin-token file in --data-dir)')
    .option('--data-dir <dir>', 'where the server keeps its admin-token file (env XPUSH_DATA_DIR; default ./data)')
    .option('--json', 'print the server\'s answer as JSON')
    .action(async (app: string, channel: string, json: string, opts: PublishOptions) => {
      let data: unknown;
      try {
        data = JSON.parse(json);
      } catch (err) {
        throw new CliError(`<json> must be JSON, e.g. '{"text":"hi"}' (${(err as Error).message})`);
      }
      const base = serverUrl(opts);
      const secret = opts.secret ?? process.env.XPUSH_APP_SECRET ?? (await secretOf(base, app, opts));
      const body = { channel, data, ...(opts.event ? { event: opts.event } : {}), ...(opts.id ? { id: opts.id } : {}) };
      const r = await request(base, 'POST', `/v1/apps/${encodeURIComponent(app)}/publish`, { 'x-api-key': secret }, body);
      if (r.status !== 200) throw new CliError(`publish refused (${r.status}): ${errorOf(r)}`);
      io.out(opts.json ? JSON.stringify(r.body) + '\n' : `published: channel ${channel}, offset ${String(r.body?.offset)}, id ${String(r.body?.id)}\n`);
    });

  serverUrlOption(program.command('health').description('ask a running server whether it is alive and ready (exit 1 if not ready)'))
    .option('--json', 'print {health, ready} as JSON')
    .action(async (opts: { url?: string; json?: boolean }) => {
      const base = serverUrl(opts);
      const health = await request(base, 'GET', '/health');
      const ready = await request(base, 'GET', '/ready');
      if (opts.json) io.out(JSON.stringify({ health: health.body, ready: ready.body }) + '\n');
      else {
        const h = health.body ?? {};
        io.out(`alive: node ${String(h.node)}, version ${String(h.version)} at ${base}\n`);
        io.out(ready.status === 200 ? 'ready: store ok, broker ok\n' : `not ready: ${errorOf(ready)}\n`);
      }
      if (ready.status !== 200) io.exitCode(1);
    });
}

interface PublishOptions {
  url?: string;
  event?: string;
  id?: string;
  secret?: string;
  adminToken?: string;
  dataDir?: string;
  json?: boolean;
}

/** The app secret, asked of the server's admin API with the admin token (flag, env, or the data dir's file). */
async function secretOf(base: string, app: string, opts: PublishOptions): Promise<string> {
  let token = opts.adminToken ?? process.env.XPUSH_ADMIN_TOKEN;
  if (!token) {
    const file = path.resolve(opts.dataDir ?? process.env.XPUSH_DATA_DIR ?? './data', 'admin-token');
    try {
      token = fs.readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new CliError(`no app secret given (--secret, XPUSH_APP_SECRET) and no admin token to look it up: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)}); pass --secret, --admin-token or --data-dir`);
    }
  }
  const r = await request(base, 'GET', `/v1/admin/apps/${encodeURIComponent(app)}`, { authorization: `Bearer ${token}` });
  if (r.status !== 200 || typeof r.body?.secret !== 'string') throw new CliError(`cannot look up app "${app}" (${r.status}): ${errorOf(r)}`);
  return r.body.secret;
}

async function request(base: string, method: string, urlPath: string, headers: Record<string, string> = {}, body?: unknown): Promise<Answer> {
  let res: Response;
  try {
    res = await fetch(base + urlPath, {
      method,
      headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach the server at ${base} (${cause?.code ?? cause?.message ?? (err as Error).message}); is it running? Check --url (env XPUSH_URL)`);
  }
  const text = await res.text();
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    parsed = { error: { message: text.slice(0, 200) } };
  }
  return { status: res.status, body: parsed };
}

function errorOf(r: Answer): string {
  const e = r.body?.error as { message?: string } | undefined;
  return e?.message ?? JSON.stringify(r.body);
}
