import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';

/**
 * `xpush user …` and `xpush app limits …`: operations on a running server, through its HTTP API (so
 * they work against any deployment, and live connections are closed by the server's broker). The
 * admin token is read from --admin-token, XPUSH_ADMIN_TOKEN or <data-dir>/admin-token; user
 * operations fetch the app's secret with it and call the server API.
 */
interface RemoteOptions {
  url?: string;
  adminToken?: string;
  dataDir?: string;
}

function remote(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'server base URL (env XPUSH_URL)', undefined)
    .option('--admin-token <token>', 'admin credential (env XPUSH_ADMIN_TOKEN; default: <data-dir>/admin-token)')
    .option('--data-dir <dir>', 'data directory holding admin-token (env XPUSH_DATA_DIR)');
}

class Remote {
  readonly base: string;
  private readonly adminToken: string;
  private secrets = new Map<string, string>();

  constructor(o: RemoteOptions, env: NodeJS.ProcessEnv = process.env) {
    this.base = (o.url ?? env.XPUSH_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
    const token = o.adminToken ?? env.XPUSH_ADMIN_TOKEN ?? readToken(o.dataDir ?? env.XPUSH_DATA_DIR ?? './data');
    if (!token) throw new Error('no admin token: pass --admin-token, set XPUSH_ADMIN_TOKEN, or point --data-dir at the server data directory');
    this.adminToken = token;
  }

  admin<T>(method: string, p: string, body?: unknown): Promise<T> {
    return this.call<T>(method, p, body, { authorization: `Bearer ${this.adminToken}` });
  }

  async server<T>(app: string, method: string, p: string, body?: unknown): Promise<T> {
    let secret = this.secrets.get(app);
    if (!secret) {
      secret = (await this.admin<{ secret: string }>('GET', `/v1/admin/apps/${encodeURIComponent(app)}`)).secret;
      this.secrets.set(app, secret);
    }
    return this.call<T>(method, `/v1/apps/${encodeURIComponent(app)}${p}`, body, { 'x-api-key': secret });
  }

  private async call<T>(method: string, p: string, body: unknown, headers: Record<string, string>): Promise<T> {
    const res = await fetch(this.base + p, {
      method,
      headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as { error?: { code: number; message: string } }) : undefined;
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${parsed?.error ? `${parsed.error.code} ${parsed.error.message}` : text}`);
    return parsed as T;
  }
}

function readToken(dataDir: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Where the commands write their output (stdout; a test passes its own). */
export type Out = (text: string) => void;
const stdout: Out = (text) => void process.stdout.write(text);

const u = (user: string): string => `/users/${encodeURIComponent(user)}`;

async function readPassword(given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  // From stdin (one line), so the password stays out of the shell history and the process list.
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const line = Buffer.concat(chunks).toString('utf8').split('\n')[0]!.trim();
  if (!line) throw new Error('no password: pass --password or write it to stdin');
  return line;
}

export function registerUserCommands(program: Command, out: Out = stdout): void {
  const print = (v: unknown): void => out(JSON.stringify(v) + '\n');
  const user = program.command('user').description('user operations on a running server (HTTP API)');
  remote(user.command('send <app> <user> <json>').description("push a message (JSON) to every connection of a user"))
    .action(async (app: string, id: string, json: string, o: RemoteOptions) => {
      let data: unknown;
      try {
        data = JSON.parse(json);
      } catch {
        throw new Error('the message must be JSON, e.g. \'{"text":"hi"}\'');
      }
      print(await new Remote(o).server(app, 'POST', `${u(id)}/send`, { data }));
    });
  remote(user.command('disconnect <app> <user>').description('close the connections of a user (or of one device)'))
    .option('--device <id>', 'only this device')
    .option('--code <code>', 'close code: 3000–3499 the SDKs reconnect, 3500–3999 they stop (default 3503)')
    .option('--reason <text>', 'close reason')
    .action(async (app: string, id: string, o: RemoteOptions & { device?: string; code?: string; reason?: string }) => {
      const code = o.code === undefined ? undefined : Number(o.code);
      if (code !== undefined && !Number.isInteger(code)) throw new Error(`--code must be a number, got "${o.code}"`);
      print(await new Remote(o).server(app, 'POST', '/disconnect', { user: id, device: o.device, code, reason: o.reason }));
    });
  remote(user.command('revoke-sessions <app> <user>').description('log the user out of every device'))
    .action(async (app: string, id: string, o: RemoteOptions) => print(await new Remote(o).server(app, 'DELETE', `${u(id)}/sessions`)));
  remote(user.command('disable <app> <user>').description('disable a user: no login, refresh or connect; live connections close'))
    .action(async (app: string, id: string, o: RemoteOptions) => print(await new Remote(o).server(app, 'POST', `${u(id)}/disable`)));
  remote(user.command('enable <app> <user>').description('enable a disabled user'))
    .action(async (app: string, id: string, o: RemoteOptions) => print(await new Remote(o).server(app, 'POST', `${u(id)}/enable`)));
  remote(user.command('delete <app> <user>').description('delete a user (their messages stay, marked as from a deleted user)'))
    .action(async (app: string, id: string, o: RemoteOptions) => print(await new Remote(o).server(app, 'DELETE', u(id))));
  remote(user.command('set-password <app> <user>').description('set a new password (read from stdin unless --password); every session is revoked'))
    .option('--password <password>', 'the new password (prefer stdin)')
    .action(async (app: string, id: string, o: RemoteOptions & { password?: string }) => {
      print(await new Remote(o).server(app, 'POST', `${u(id)}/password`, { password: await readPassword(o.password) }));
    });
}

/** `xpush app limits <app> [--set name=value…] [--reset name…]`: shows (and changes) an app's limits. */
export function registerLimitsCommand(appCmd: Command, out: Out = stdout): void {
  const print = (v: unknown): void => out(JSON.stringify(v) + '\n');
  const collect = (v: string, prev: string[]): string[] => [...prev, v];
  remote(appCmd.command('limits <app>').description("show an app's limits in effect; --set / --reset change its overrides"))
    .option('--set <name=value>', 'override one limit (repeatable)', collect, [])
    .option('--reset <name>', 'drop an override: back to the config default (repeatable)', collect, [])
    .option('--json', 'print JSON')
    .action(async (app: string, o: RemoteOptions & { set: string[]; reset: string[]; json?: boolean }) => {
      const r = new Remote(o);
      const limits: Record<string, number | null> = {};
      for (const kv of o.set) {
        const m = /^([A-Za-z]+)=(\d+)$/.exec(kv);
        if (!m) throw new Error(`--set takes name=value with a whole number, got "${kv}"`);
        limits[m[1]!] = Number(m[2]);
      }
      for (const name of o.reset) limits[name] = null;
      const a = encodeURIComponent(app);
      if (Object.keys(limits).length) await r.admin('PATCH', `/v1/admin/apps/${a}/settings`, { limits });
      const got = await r.admin<{ limits: Record<string, number>; overrides: Record<string, number> }>('GET', `/v1/admin/apps/${a}/limits`);
      if (o.json) return print(got);
      for (const [k, v] of Object.entries(got.limits)) out(`${k}\t${v}\t${k in got.overrides ? 'app' : 'default'}\n`);
    });
}
