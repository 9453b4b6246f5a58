import { Centrifuge } from 'centrifuge';
import type { HistoryOptions } from 'centrifuge';
import { XPushError } from '../errors.ts';
import { XPushApi } from './api.ts';
import { SessionClient, tokenClaims } from './session.ts';
import { ChannelStreams, isTemporary, toMessage, type PubLike } from './streams.ts';
import { actor, wireEvents } from './events.ts';
import { TokenKeeper } from './token-keeper.ts';
import { routedTransports, DEFAULT_TRANSPORTS } from './transports.ts';
import { uploadFile, signedUrl, type FileRef, type FileSource, type SendFileOptions } from './files.ts';
import type { UploadResult } from '../protocol/types.generated.ts';
import { PushClient, type PushKind, type PushMode, type PushModeView, type PushTargetInput, type PushTargetView } from './push.ts';
import type {
  Actor, ConnectedInfo, DeviceInfo, HistoryPage, Message, SendResult, Tokens, UnreadCount, UserEntry, XPushOptions,
} from './types.ts';

/**
 * The XPUSH client: logs in against the session server, keeps one connection to the user's
 * channel server (centrifuge-js underneath) on which the server subscribes it to all the user's
 * channels, and delivers each channel's messages once and in order across reconnects.
 */
export class XPush extends XPushApi {
  /** Unread count per channel from the last connect reply, kept current by `read` pushes. */
  unreadCounts: Record<string, number> = {};
  readonly #opts: XPushOptions;
  readonly #session: SessionClient;
  readonly #streams: ChannelStreams;
  #centrifuge: Centrifuge | null = null;
  #connected: ConnectedInfo | null = null;
  /** The URL the next socket opens: set by each connect attempt (getData) before the socket is made. */
  #wsUrl = '';
  readonly #keeper: TokenKeeper;
  readonly #push: PushClient;

  constructor(opts: XPushOptions) {
    super();
    if (!opts || typeof opts.url !== 'string' || typeof opts.app !== 'string') throw new TypeError('XPush: options.url and options.app are required');
    this.#opts = opts;
    this.#session = new SessionClient({ ...opts, onTokens: (t) => this.emit('tokens', { ...t }) });
    this.#keeper = new TokenKeeper(this.#session);
    this.#push = new PushClient(this.#session, opts.appKey);
    this.#streams = new ChannelStreams(
      (m) => this.emit('message', m.channel, m.event, m.data, m.meta),
      (channel, offset, epoch, limit) => this.#historyAfter(channel, offset, epoch, limit),
      (err) => this.emit('error', err),
      opts.maxCatchUp ?? 10_000,
    );
  }

  get user(): string | undefined { return this.#session.tokens?.user; }
  get device(): string | undefined { return this.#session.tokens?.device; }
  get tokens(): Tokens | null { return this.#session.tokens ? { ...this.#session.tokens } : null; }
  get state(): 'disconnected' | 'connecting' | 'connected' { return this.#centrifuge?.state ?? 'disconnected'; }
  /** This connection's client id, while connected. */
  get client(): string | undefined { return this.#connected?.client; }

  register(user: string, password: string, profile?: unknown): Promise<UserEntry> {
    return this.#session.register(user, password, profile);
  }

  /** Logs in this device; the tokens are kept and refreshed by the SDK. */
  async login(user: string, password: string, device: string, pushToken?: string): Promise<Tokens> {
    if (this.#centrifuge && this.user !== user) this.#teardown();
    const t = await this.#session.login(user, password, device, pushToken);
    this.#keeper.source = null;
    return { ...t };
  }

  /** Gets a new access token with the refresh token (refresh tokens rotate). */
  async refresh(): Promise<Tokens> {
    if (this.#keeper.source) throw new XPushError(107, 'tokens come from the getToken passed to useToken()');
    return { ...(await this.#session.refresh()) };
  }

  /** Ends this device's session on the server (its sockets close) and forgets the tokens. */
  async logout(): Promise<void> {
    try {
      await this.#session.logout();
    } finally {
      this.#teardown();
    }
  }

  /**
   * Uses a connection token minted by the app's backend (server API `POST /tokens`). `getToken`,
   * if given, is asked for a new one when the token expires; without it the connection ends then.
   */
  useToken(token: string, getToken?: () => Promise<string>): void {
    const c = tokenClaims(token);
    if (!c.sub) throw new XPushError(101, 'token has no sub claim');
    if (this.#centrifuge && this.user !== c.sub) this.#teardown();
    this.#session.tokens = { accessToken: token, expiresAt: (c.exp ?? 0) * 1000, user: c.sub, device: c.device, session: c.sid };
    this.#keeper.source = getToken ?? null;
  }

  /** Resumes a login saved from a `tokens` event (e.g. after a page reload). */
  useTokens(tokens: Tokens): void {
    if (this.#centrifuge && this.user !== tokens.user) this.#teardown();
    this.#session.tokens = { ...tokens };
    this.#keeper.source = null;
  }

  /** The user's logged-in devices (one per session), each with whether it is online now. */
  devices(): Promise<DeviceInfo[]> {
    return this.#session.devices();
  }

  /**
   * Logs out another of the user's devices (its `session` from `devices()`): its refresh token stops
   * working and its connections close with 3503. Revoking this device's own session is `logout()`.
   */
  revokeDevice(session: string): Promise<void> {
    return this.#session.revokeDevice(session);
  }

  /**
   * Changes the password (the old one is required; wrong → 101, too many wrong tries → 111). Every
   * other device of the user is logged out; this one stays. Resolves with how many were logged out.
   */
  changePassword(oldPassword: string, newPassword: string): Promise<number> {
    return this.#session.changePassword(oldPassword, newPassword);
  }

  /**
   * Registers where this device receives pushes while it has no connection: a browser
   * PushSubscription (Web Push), `{kind: 'fcm', token}` or `{kind: 'apns', token, environment}`.
   * One target per provider per device; a new token replaces the old. Logout removes them.
   */
  registerPush(target: PushTargetInput): Promise<PushTargetView> {
    return this.#push.register(target);
  }

  /** Stops pushes to this device (one provider, or all); resolves with how many targets were removed. */
  unregisterPush(kind?: PushKind): Promise<number> {
    return this.#push.unregister(kind);
  }

  pushTargets(): Promise<PushTargetView[]> {
    return this.#push.targets();
  }

  /** This user's push mode in a channel: `all`, `mentions` (only messages whose `data.mentions` names the user) or `none`. */
  pushMode(channel: string): Promise<PushModeView> {
    return this.#push.mode(channel);
  }

  setPushMode(channel: string, mode: PushMode | 'default'): Promise<PushModeView> {
    return this.#push.setMode(channel, mode);
  }

  /** The app's VAPID public key: the `applicationServerKey` of `pushManager.subscribe`. */
  vapidPublicKey(): Promise<string> {
    return this.#push.vapidPublicKey();
  }

  /**
   * Connects (resolves on the first connect reply). The server subscribes the connection to all
   * the user's channels; after a drop the SDK reconnects and resumes by itself.
   */
  connect(): Promise<ConnectedInfo> {
    const tokens = this.#session.tokens;
    if (!tokens) return Promise.reject(new XPushError(101, 'not logged in: call login() or useToken() first'));
    const c = this.#centrifuge ?? this.#create(tokens.accessToken);
    if (c.state === 'connected' && this.#connected) return Promise.resolve(this.#connected);
    if (tokens.accessToken !== this.#keeper.inClient) {
      // Tokens replaced since the last connection (login, useToken): connect with the new ones.
      c.setToken(tokens.accessToken);
      this.#keeper.inClient = tokens.accessToken;
    }
    const done = new Promise<ConnectedInfo>((resolve, reject) => {
      const onConnected = (info: ConnectedInfo) => { cleanup(); resolve(info); };
      const onDisconnected = (d: { code: number; reason: string; reconnecting: boolean }) => {
        if (d.reconnecting) return;
        cleanup();
        reject(new XPushError(d.code, d.reason || 'disconnected'));
      };
      const cleanup = () => { this.off('connected', onConnected); this.off('disconnected', onDisconnected); };
      this.on('connected', onConnected);
      this.on('disconnected', onDisconnected);
    });
    c.connect();
    return done;
  }

  /** Closes the connection; `connect()` later resumes every channel from where it stopped. */
  disconnect(): void {
    this.#centrifuge?.disconnect();
  }

  /**
   * Publishes a message and resolves with the stored ack. The message id (generated unless given)
   * makes retries safe: after a network error the same id is sent again, and the server stores it once.
   */
  async send(channel: string, event: string, data: unknown, opts: { id?: string } = {}): Promise<SendResult> {
    const id = opts.id ?? newMessageId();
    const retries = this.#opts.sendRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.call('publish', { channel, event, data, id });
      } catch (err) {
        if (!isTemporary(err) || attempt >= retries) throw err;
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }

  async rpc<T = any>(method: string, data: unknown = {}): Promise<T> {
    try {
      return (await this.#client().rpc(method, data)).data as T;
    } catch (err) {
      throw toError(err);
    }
  }

  /**
   * A page of stored messages. `before`: older than that offset, newest first; `after`: newer than
   * that offset, oldest first; neither: the newest, newest first.
   */
  async history(channel: string, q: { before?: number; after?: number; limit?: number } = {}): Promise<HistoryPage> {
    const c = this.#client();
    const opts: HistoryOptions = { limit: q.limit ?? 50 };
    const since = q.after ?? q.before;
    if (q.after === undefined) opts.reverse = true;
    try {
      if (since !== undefined) {
        const epoch = this.#streams.position(channel)?.epoch ?? (await c.history(channel, { limit: 0 })).epoch;
        opts.since = { offset: since, epoch };
      }
      let r;
      try {
        r = await c.history(channel, opts);
      } catch (err) {
        // 112: the epoch we knew is stale (channel recreated); ask the current one once.
        if ((err as { code?: number }).code !== 112 || !opts.since) throw err;
        opts.since = { offset: since!, epoch: (await c.history(channel, { limit: 0 })).epoch };
        r = await c.history(channel, opts);
      }
      return { messages: r.publications.map((p) => toMessage(channel, p as PubLike, r.epoch)), offset: r.offset, epoch: r.epoch };
    } catch (err) {
      throw toError(err);
    }
  }

  /** Unread counts of all the user's channels, from the server. */
  async unread(): Promise<UnreadCount[]> {
    return (await this.call('unread.counts', {})).channels;
  }

  /** Messages after the user's read position, oldest first. */
  async fetchUnread(channel: string, limit?: number): Promise<{ messages: Message[]; readOffset: number; offset: number; epoch: string }> {
    const r = await this.call('unread.fetch', limit === undefined ? { channel } : { channel, limit });
    return { messages: r.publications.map((p) => toMessage(channel, p, r.epoch)), readOffset: r.readOffset, offset: r.offset, epoch: r.epoch };
  }

  /** Moves the read position (default: the newest message); every device of the user gets a `read` event. */
  async markRead(channel: string, offset?: number): Promise<{ channel: string; readOffset: number; unread: number }> {
    const r = await this.call('read.mark', offset === undefined ? { channel } : { channel, offset });
    this.unreadCounts[channel] = r.unread;
    return r;
  }

  /** Connections currently in the channel. */
  async presence(channel: string): Promise<Actor[]> {
    try {
      const r = await this.#client().presence(channel);
      return Object.values(r.clients).map((i) => actor(i));
    } catch (err) {
      throw toError(err);
    }
  }

  /**
   * Uploads a file into a channel: the server sniffs its type, stores it and publishes a `file`
   * message (data `{id, name, size, type, width?, height?}`) that every member receives. Progress
   * goes to `opts.onProgress` and to `upload.progress` listeners. Over the app's limit it rejects
   * with XPushError 106. Needs no connection, only a login (or useToken).
   */
  async sendFile(channel: string, file: FileSource, opts: SendFileOptions = {}): Promise<UploadResult> {
    const own = opts.onProgress;
    const onProgress: SendFileOptions['onProgress'] = (p) => {
      own?.(p);
      this.emit('upload.progress', channel, p);
    };
    return uploadFile(this.#session, await this.#accessToken(), channel, file, { ...opts, onProgress });
  }

  /** A short-lived signed URL to download the file of a `file` message (or `{channel, id}`): for `<img src>`, links, fetch. */
  async fileUrl(message: FileRef): Promise<string> {
    return signedUrl(this.#session, await this.#accessToken(), message);
  }

  /** An access token for an HTTP call, renewed first if it expires within 30 s. */
  async #accessToken(): Promise<string> {
    const t = this.#session.tokens;
    if (!t) throw new XPushError(101, 'not logged in: call login() or useToken() first');
    if (t.expiresAt && t.expiresAt - Date.now() < 30_000) {
      if (this.#keeper.source) {
        const token = await this.#keeper.source();
        this.#session.tokens = { ...t, accessToken: token, expiresAt: (tokenClaims(token).exp ?? 0) * 1000 };
      } else if (t.refreshToken) {
        await this.#session.refresh();
      }
    }
    return this.#session.tokens!.accessToken;
  }

  #client(): Centrifuge {
    if (!this.#centrifuge) throw new XPushError(101, 'not connected: call connect() first');
    return this.#centrifuge;
  }

  #create(token: string): Centrifuge {
    const g = globalThis as { WebSocket?: unknown; EventSource?: unknown; fetch?: typeof fetch };
    const ws = (this.#opts.websocket ?? g.WebSocket) as (new (url: string, p?: string | string[]) => unknown) | undefined;
    const es = (this.#opts.eventsource ?? g.EventSource) as (new (url: string, init?: unknown) => unknown) | undefined;
    this.#wsUrl = this.#opts.wsUrl ?? '';
    this.#keeper.inClient = token;
    const routed = routedTransports({
      transports: this.#opts.transports ?? DEFAULT_TRANSPORTS,
      sessionUrl: this.#opts.url,
      current: () => this.#wsUrl,
      websocket: typeof ws === 'function' ? ws : undefined,
      eventsource: typeof es === 'function' ? es : undefined,
      fetch: (this.#opts.fetch ?? g.fetch!).bind(globalThis),
    });
    const c = new Centrifuge(routed.endpoints, {
      websocket: routed.websocket,
      eventsource: routed.eventsource,
      fetch: routed.fetch,
      emulationEndpoint: routed.emulationEndpoint,
      token,
      getToken: () => this.#keeper.next(),
      // Runs before every connection attempt, before the transport opens: pick the node for it.
      getData: async () => {
        this.#wsUrl = this.#opts.wsUrl ?? await this.#session.nodeUrl();
        return { auto_subscribe: true, unread: true };
      },
      name: this.#opts.name ?? 'xpush-js',
      timeout: this.#opts.timeoutMs ?? 5000,
      minReconnectDelay: this.#opts.minReconnectDelayMs ?? 500,
      maxReconnectDelay: this.#opts.maxReconnectDelayMs ?? 20_000,
    });
    wireEvents(c, this.#streams, {
      emit: (event, ...args) => (this.emit as (e: string, ...a: unknown[]) => void)(event, ...args),
      setConnected: (info) => {
        this.#connected = info;
        if (info) this.unreadCounts = { ...info.unread };
        if (info) this.#keeper.schedule();
        else this.#keeper.cancel();
      },
      setUnread: (channel, n) => { this.unreadCounts[channel] = n; },
    });
    this.#centrifuge = c;
    this.#keeper.client = c;
    return c;
  }

  async #historyAfter(channel: string, offset: number, epoch: string | undefined, limit: number): Promise<PubLike[]> {
    const r = await this.#client().history(channel, { limit, since: { offset, epoch: epoch ?? '' } });
    return r.publications as PubLike[];
  }

  #teardown(): void {
    const c = this.#centrifuge;
    this.#centrifuge = null;
    this.#keeper.client = null;
    this.#keeper.cancel();
    this.#connected = null;
    this.#streams.clear();
    this.unreadCounts = {};
    if (c) {
      c.disconnect();
      c.removeAllListeners();
    }
  }
}

/** centrifuge rejects with plain `{code, message, temporary?}` objects; the SDK throws XPushError. */
export function toError(err: unknown): Error {
  if (err instanceof Error) return err;
  const e = err as { code?: unknown; message?: unknown; temporary?: unknown } | null;
  if (e && typeof e === 'object' && typeof e.code === 'number') {
    const temporary = e.temporary === true || isTemporary(e);
    return new XPushError(e.code, typeof e.message === 'string' ? e.message : 'error', { temporary });
  }
  return new Error(String(err));
}

function newMessageId(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  // randomUUID needs a secure context in browsers; getRandomValues does not.
  const b = new Uint8Array(16);
  c!.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
