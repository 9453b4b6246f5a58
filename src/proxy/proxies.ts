import type { Core } from '../domain/context.ts';
import type { Conn } from '../channel/conn.ts';
import type { VerifiedToken } from '../auth/tokens.ts';
import type { ProxySettings } from '../protocol/backend-settings.ts';
import type { AppRecord } from '../store/store.ts';
import { Errors } from '../errors.ts';
import { callProxy, isObject, type ProxyKind, type ProxyTarget } from './call.ts';
import { ExpiryWatch } from './expiry.ts';

/** What a connect proxy decided: the identity, plus what XPUSH does with it. */
export interface ProxyConnect {
  identity: VerifiedToken;
  /** `data` for the connect reply. */
  data: unknown;
  /** Channels to subscribe server-side. */
  channels: string[];
}

const URL_OF: Record<ProxyKind, keyof ProxySettings> = {
  connect: 'connectUrl', refresh: 'refreshUrl', subscribe: 'subscribeUrl', publish: 'publishUrl', rpc: 'rpcUrl', sub_refresh: 'subRefreshUrl',
};

/**
 * The app's backend as a participant in client commands (docs/proxies.md). Each method is called
 * by the command it is named after, first of its checks' extra steps: the proxy answers, then the
 * in-process `beforeX` hooks run with what it returned, then XPUSH's own rules apply as they always
 * do. A method whose proxy URL is '' does nothing (returns undefined).
 */
export class Proxies {
  readonly expiry: ExpiryWatch;

  constructor(private readonly core: Core) {
    this.expiry = new ExpiryWatch(core, this);
  }

  /** True when the cached app settings say the `kind` proxy is off (false: on, or not cached). */
  off(app: string, kind: ProxyKind): boolean {
    const hit = this.core.apps.peek(app);
    return hit?.app !== undefined && urlOf(hit.app, kind) === undefined;
  }

  /** The app's endpoint for `kind`, or undefined when that proxy is off. */
  async target(app: string, kind: ProxyKind): Promise<(ProxyTarget & { settings: ProxySettings }) | undefined> {
    const rec = await this.core.apps.get(app);
    const url = rec && urlOf(rec, kind);
    if (!rec || url === undefined) return undefined;
    const settings = rec.settings.proxy!;
    return { url, secret: rec.secret, timeoutMs: settings.timeoutMs, settings };
  }

  /**
   * connect without a token: `data.app` names the app; undefined when it has no connect proxy (the
   * caller then asks for a token as usual). The backend's `result.user` is required.
   */
  async connect(c: Conn, req: { data?: unknown; name?: unknown; version?: unknown }): Promise<ProxyConnect | undefined> {
    const data = isObject(req.data) ? req.data : {};
    if (typeof data.app !== 'string' || data.app === '') return undefined;
    const app = data.app;
    const target = await this.target(app, 'connect');
    if (!target) return undefined;
    const body: Record<string, unknown> = { ...base(c), app, data: req.data ?? null };
    if (typeof req.name === 'string') body.name = req.name;
    if (typeof req.version === 'string') body.version = req.version;
    const r = await callProxy('connect', target, body);
    if (typeof r.user !== 'string' || r.user === '' || r.user.length > 255) throw Errors.proxyFailed.with('connect proxy answer: result.user must be a non-empty string');
    const device = r.device === undefined ? 'default' : r.device;
    if (typeof device !== 'string' || device === '' || device.length > 255) throw Errors.proxyFailed.with('connect proxy answer: result.device must be a non-empty string');
    const channels = r.channels === undefined ? [] : r.channels;
    if (!Array.isArray(channels) || !channels.every((ch) => typeof ch === 'string' && ch !== '')) throw Errors.proxyFailed.with('connect proxy answer: result.channels must be an array of channel names');
    return {
      identity: { app, user: r.user, device, info: r.info, exp: expireAt('connect', r.expire_at) },
      data: r.data,
      channels: [...new Set(channels as string[])].slice(0, this.core.config.maxChannelsPerConnection),
    };
  }

  /** A proxy-authenticated connection reached its expiry: `expire_at` (seconds, 0 = never) or 'expired'. */
  async refresh(c: Conn): Promise<{ expireAt: number } | 'expired' | 'no-proxy'> {
    const target = await this.target(c.app, 'refresh');
    if (!target) return 'no-proxy';
    const r = await callProxy('refresh', target, { ...base(c), ...who(c) });
    if (r.expired === true) return 'expired';
    return { expireAt: expireAt('refresh', r.expire_at) };
  }

  /** A client subscribe: refusal throws; the answer's `data` goes into the subscribe reply. */
  async subscribe(c: Conn, channel: string, data: unknown): Promise<{ data?: unknown; expireAt: number } | undefined> {
    const target = await this.target(c.app, 'subscribe');
    if (!target) return undefined;
    const r = await callProxy('subscribe', target, { ...base(c), ...who(c), channel, data: data ?? null });
    return { ...('data' in r ? { data: r.data } : {}), expireAt: expireAt('subscribe', r.expire_at) };
  }

  async subRefresh(c: Conn, channel: string): Promise<{ expireAt: number } | 'expired' | 'no-proxy'> {
    const target = await this.target(c.app, 'sub_refresh');
    if (!target) return 'no-proxy';
    const r = await callProxy('sub_refresh', target, { ...base(c), ...who(c), channel });
    if (r.expired === true) return 'expired';
    return { expireAt: expireAt('sub_refresh', r.expire_at) };
  }

  /** A client publish: refusal throws; `result.data`, when present, replaces the published data. */
  async publish(c: Conn, input: { channel: string; event?: string; data: unknown }): Promise<{ data: unknown } | undefined> {
    const target = await this.target(c.app, 'publish');
    if (!target) return undefined;
    const body: Record<string, unknown> = { ...base(c), ...who(c), channel: input.channel, data: input.data === undefined ? null : input.data };
    if (input.event !== undefined) body.event = input.event;
    const r = await callProxy('publish', target, body);
    return 'data' in r ? { data: r.data } : undefined;
  }

  /** The rpc endpoint for `method` (not built in, not registered in-process), if the app routes it there. */
  async rpcTarget(app: string, method: string): Promise<ProxyTarget | undefined> {
    const target = await this.target(app, 'rpc');
    return target && method.startsWith(target.settings.rpcPrefix) ? target : undefined;
  }

  async rpc(c: Conn, target: ProxyTarget, method: string, data: unknown): Promise<unknown> {
    const r = await callProxy('rpc', target, { ...base(c), ...who(c), method, data: data ?? null });
    return r.data;
  }

  close(): void {
    this.expiry.stop();
  }
}

function base(c: Conn): Record<string, unknown> {
  return { client: c.id, transport: c.transport.name, encoding: c.transport.encoding };
}

function who(c: Conn): Record<string, unknown> {
  return { app: c.app, user: c.user, device: c.device };
}

/** `expire_at`: unix seconds, absent or 0 = no expiry. */
function expireAt(kind: ProxyKind, v: unknown): number {
  if (v === undefined || v === null || v === 0) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw Errors.proxyFailed.with(`${kind} proxy answer: expire_at must be unix seconds`);
  return v;
}

/** The app's URL for the `kind` proxy; undefined when that proxy is off. */
function urlOf(rec: AppRecord, kind: ProxyKind): string | undefined {
  const url = rec.settings.proxy?.[URL_OF[kind]];
  return typeof url === 'string' && url !== '' ? url : undefined;
}
