import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { resolveConfig, type Config, type ConfigInput } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { Hooks, type HookFn, type HookName, type HookTable } from './hooks.ts';
import type { Store } from './store/store.ts';
import { openStore } from './store/open-store.ts';
import type { Broker, BrokerHandler } from './broker/broker.ts';
import { MemoryBroker } from './broker/broker-memory.ts';
import type { PresenceManager } from './presence/presence.ts';
import { MemoryPresence } from './presence/presence-memory.ts';
import type { UserPresence } from './presence/user-presence.ts';
import { MemoryUserPresence } from './presence/user-presence-memory.ts';
import type { RateLimiter } from './limits/limiter.ts';
import { MemoryRateLimiter } from './limits/limiter-memory.ts';
import { AppCache } from './auth/app-cache.ts';
import { ChannelCache } from './domain/channel-cache.ts';
import { Publisher } from './domain/publisher.ts';
import { LivePublisher } from './domain/live-publisher.ts';
import type { LiveStreams } from './streams/live-streams.ts';
import { MemoryLiveStreams } from './streams/live-streams-memory.ts';
import type { Core } from './domain/context.ts';
import { Hub } from './channel/hub.ts';
import { Gateway, WS_PATH } from './channel/gateway.ts';
import type { CommandHandler } from './channel/context.ts';
import { isBuiltinRpc } from './protocol/rpc.ts';
import { createHttp } from './session/http.ts';
import { adminRoutes } from './session/routes/admin.ts';
import { authRoutes } from './session/routes/auth.ts';
import { serverApiRoutes } from './session/routes/server-api.ts';
import { userOpsRoutes } from './session/routes/user-ops.ts';
import { limitRoutes } from './session/routes/limits.ts';
import { connectionRoutes, clusterConnections, type ConnectionView } from './session/routes/connections.ts';
import { disconnectRoutes } from './session/routes/disconnect.ts';
import { directoryRoutes } from './session/routes/directory.ts';
import { watchRoutes, type Watchers } from './session/routes/watch.ts';
import { consoleRoutes } from './session/routes/console.ts';
import { decodeKick } from './domain/kick.ts';
import { clusterRoutes, Cluster } from './cluster/cluster.ts';
import { startPresenceKeeper } from './channel/presence-keeper.ts';
import { startRetention } from './domain/retention.ts';
import { CONTROL_TOPIC, channelOfChangedEvent, decodeEvent } from './protocol/events.ts';
import { EmulationRouter } from './channel/emulation.ts';
import { streamRoutes } from './channel/http-endpoints.ts';
import { flushNow } from './channel/writer.ts';
import { Disconnect, Disconnects } from './disconnect.ts';
import { makePrivateDir, makePrivateFile } from './private-files.ts';
import { openBlobStore, blobStoreKind } from './files/open-blob-store.ts';
import { fileRoutes } from './files/routes.ts';
import { Metrics } from './metrics.ts';
import { countHttpRequests, opsRoutes } from './ops-routes.ts';
import { InfraError, safeUrl } from './infra-error.ts';
import { VERSION } from './version.ts';
import { Proxies } from './proxy/proxies.ts';
import { startWebhooks } from './webhooks/webhooks.ts';
import { webhookRoutes } from './webhooks/routes.ts';
import { PushService } from './push/service.ts';
import { pushRoutes } from './push/routes.ts';
import { pushRegistry } from './push/metrics.ts';

/** A plugin bundles service features: hooks, custom commands and HTTP routes, added with `use`. */
export interface XPushPlugin {
  name: string;
  /** Hooks of higher priority run first. Default 0. */
  priority?: number;
  hooks?: Partial<HookTable>;
  commands?: Record<string, CommandHandler>;
  routes?(http: FastifyInstance, server: XPushServer): void | Promise<void>;
}

export interface XPushServer {
  readonly config: Config;
  readonly log: Logger;
  /** The fastify instance: add your own HTTP routes before `start()`. */
  readonly http: FastifyInstance;
  readonly core: Core;
  readonly nodeId: string;
  /** http://host:port once started. */
  readonly url: string;
  /** ws://host:port/connection/websocket once started. */
  readonly wsUrl: string;
  readonly adminToken: string;
  /** Prometheus series (served at /metrics); features with a queue register it here (`registerQueue`). */
  readonly metrics: Metrics;
  /** A custom command clients call with `rpc {method: name, data}`; the handler's return is the ack. */
  command(name: string, handler: CommandHandler): this;
  hook<K extends HookName>(name: K, fn: HookFn<K>, priority?: number): this;
  use(plugin: XPushPlugin): Promise<this>;
  /** Connections on this node (all apps, or one). */
  connections(app?: string): ConnectionView[];
  start(): Promise<void>;
  /** Graceful: stop accepting, tell clients to reconnect (3001), flush the store, close. */
  close(): Promise<void>;
}

/** Builds a server from config (embedded defaults: SQLite in ./data, in-process broker). */
export async function createServer(input: ConfigInput = {}): Promise<XPushServer> {
  const config = resolveConfig(input);
  const log = createLogger(config.logLevel);
  const nodeId = config.nodeId ?? 'node-' + randomBytes(4).toString('hex');
  const metrics = new Metrics(nodeId, VERSION);
  const store: Store = await openStore(config.store, config.dataDir);
  // The admin token before anything else that lives in the data dir: its failure names the setting.
  let adminToken = config.adminToken ?? '';
  try {
    adminToken ||= readOrCreateAdminToken(config.dataDir, log);
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  const blobs = await openBlobStore(config).catch(async (err: unknown) => {
    await store.close().catch(() => undefined);
    const where = blobStoreKind(config) === 'fs' ? ` under ${config.blobDir ?? path.join(config.dataDir, 'files')}` : '';
    throw new InfraError(`blob store (${blobStoreKind(config)})`, config.blobDir ? 'blobDir' : 'dataDir', `cannot open the file store${where}`, err);
  });
  const { broker, presence, limiter, live, userPresence } = await openBackends(config, metrics);
  const hooks = new Hooks(log);
  for (const [name, fn] of Object.entries(config.hooks ?? {})) hooks.add(name as HookName, fn as HookFn<HookName>);
  const publisher = new Publisher(store, broker, log, config.maxStoreBatch, metrics, flushNow);
  const livePublisher = new LivePublisher(live, broker, log, metrics, flushNow);
  const core: Core = { config, log, store, broker, presence, userPresence, hooks, apps: new AppCache(store), channels: new ChannelCache(store), publisher, livePublisher, live, limiter, metrics, nodeId, blobs };
  // Push to offline devices: every stored message may queue notifications (src/push/).
  const push = new PushService(core, config.push);
  metrics.addRegistry(pushRegistry);
  core.push = push;
  hooks.add('afterPublish', ({ message, kind }) => { if (kind === 'durable') push.onMessage(message); });
  await userPresence.start({
    online: (app, user) => hooks.after('afterUserOnline', { app, user }),
    offline: (app, user) => hooks.after('afterUserOffline', { app, user }),
  });
  const hub = new Hub(broker, store, log, metrics, config.maxMessagesPerFrame, config.nodeTtlMs);
  const commands = new Map<string, CommandHandler>();
  const runsChannel = config.role !== 'session';
  const proxies = new Proxies(core);
  const channelCtx = { core, hub, commands, proxies };
  const gateway = runsChannel ? new Gateway(channelCtx) : undefined;

  let watchers: Watchers | undefined;
  /**
   * Control events reach every node: an app deleted anywhere is forgotten and disconnected
   * everywhere; a disconnect order (server API) closes the matching connections wherever they are.
   */
  const onControl = (payload: string): void => {
    const ev = decodeEvent(payload);
    if (ev.kind === 'd') {
      core.apps.forget(ev.body);
      core.channels.forgetApp(ev.body);
      hub.closeApp(ev.body, Disconnects.appDeleted);
      watchers?.closeApp(ev.body);
    } else if (ev.kind === 'c') {
      const changed = channelOfChangedEvent(ev.body);
      if (changed) core.channels.forget(changed[0], changed[1]);
      else log.warn({ body: ev.body.slice(0, 200) }, 'control: malformed channel change ignored');
    } else if (ev.kind === 'k') {
      const k = decodeKick(ev.body);
      if (k) hub.closeMatching(k.app, k.filter, k.disconnect);
      else log.warn({ body: ev.body.slice(0, 200) }, 'control: malformed disconnect order ignored');
    }
  };
  const cluster = new Cluster(config, nodeId, log, () => hub.clients.size);
  const router = new EmulationRouter(nodeId, broker, log, (id) => cluster.isLive(id));
  const handler: BrokerHandler = {
    onEvent: (topic, payload) => {
      if (topic === CONTROL_TOPIC) onControl(payload);
      else if (topic === router.topic) router.onNodeEvent(payload);
      else hub.onEvent(topic, payload);
    },
    onConnectionState: (lost) => {
      // Back from a broker outage: channel creations and deletions published meanwhile were missed.
      if (!lost) core.channels.clear();
      publisher.brokerUp = !lost;
      livePublisher.brokerUp = !lost;
      hub.onConnectionState(lost);
    },
  };
  /** A start that fails releases what it opened, so an embedding process is not kept alive by it. */
  const abandon = async (err: unknown): Promise<never> => {
    await Promise.allSettled([broker.close(), presence.close(), userPresence.close(), limiter.close(), live.close(), blobs.close(), store.close()]);
    router.close();
    hub.close();
    throw err;
  };
  try {
    await broker.start(handler);
    await broker.subscribe(CONTROL_TOPIC);
    await broker.subscribe(router.topic);
  } catch (err) {
    const where = config.broker.kind === 'redis' ? ` at ${safeUrl(config.broker.url)}` : '';
    await abandon(new InfraError(`broker (${broker.kind})`, 'broker.url', `cannot reach Redis${where} at start`, err));
  }
  // After the broker answered: the webhook backends (occupancy in Redis) would fail first, and less clearly.
  const webhooks = await startWebhooks(core).catch((err: unknown) => abandon(err));

  const http = await createHttp(log, config.maxFrameBytes, config.corsOrigins, config.trustProxy);
  countHttpRequests(http, metrics);
  const connections = (app?: string): ConnectionView[] => hub.all()
    .filter((c) => !app || c.app === app)
    .map((c) => ({ client: c.id, user: c.user, device: c.device, node: nodeId, channels: [...c.channels()] }));
  const onlineDevices = async (app: string, user: string): Promise<Set<string>> => {
    const a = await core.apps.get(app);
    const all = a ? await clusterConnections(core, cluster, connections, app, a.secret) : [];
    return new Set(all.filter((c) => c.user === user).map((c) => c.device));
  };
  if (config.role !== 'channel') {
    adminRoutes(http, core, adminToken);
    webhookRoutes(http, core, adminToken);
    authRoutes(http, core, onlineDevices);
    serverApiRoutes(http, core);
    disconnectRoutes(http, core, (app, secret) => clusterConnections(core, cluster, connections, app, secret));
    directoryRoutes(http, core, onlineDevices);
    watchers = watchRoutes(http, core, hub);
    consoleRoutes(http, cluster, adminToken);
    fileRoutes(http, core);
    userOpsRoutes(http, core);
    limitRoutes(http, core, adminToken);
    pushRoutes(http, core, adminToken);
  }
  connectionRoutes(http, core, cluster, connections);
  // /emulation on every role (it forwards to the stream's node); the streams only on channel servers.
  await streamRoutes(http, { ctx: gateway && config.httpStreaming ? channelCtx : undefined, gateway: config.httpStreaming ? gateway : undefined, router });
  clusterRoutes(http, cluster, adminToken);
  let closing: Promise<void> | undefined;
  opsRoutes(http, metrics, { nodeId, version: VERSION, draining: () => closing !== undefined, store, broker, checkTimeoutMs: 2000 });
  metrics.bind({
    brokerUp: () => publisher.brokerUp,
    perApp: () => {
      const out = new Map<string, { connections: number; subscriptions: number }>();
      for (const c of hub.clients) {
        const s = out.get(c.app) ?? { connections: 0, subscriptions: 0 };
        s.connections++;
        for (const _ of c.channels()) s.subscriptions++;
        out.set(c.app, s);
      }
      return out;
    },
  });

  let url = '';
  let wsUrl = '';
  let started = false;
  let stopKeeper = (): void => undefined;
  let stopRetention = (): void => undefined;

  const server: XPushServer = {
    config, log, http, core, nodeId, adminToken, metrics,
    get url() { return url; },
    get wsUrl() { return wsUrl; },
    command(name, fn) {
      if (typeof fn !== 'function') throw new TypeError(`command ${name}: handler must be a function`);
      if (!name || isBuiltinRpc(name)) throw new TypeError(`command name "${name}" is empty or reserved by a built-in RPC method`);
      if (commands.has(name)) throw new TypeError(`command "${name}" is already registered`);
      commands.set(name, fn);
      return server;
    },
    hook(name, fn, priority = 0) {
      hooks.add(name, fn, priority);
      return server;
    },
    async use(plugin) {
      for (const [name, fn] of Object.entries(plugin.hooks ?? {})) hooks.add(name as HookName, fn as HookFn<HookName>, plugin.priority ?? 0);
      for (const [name, fn] of Object.entries(plugin.commands ?? {})) server.command(name, fn);
      if (plugin.routes) await plugin.routes(http, server);
      return server;
    },
    connections,
    async start() {
      if (started) throw new Error('server already started');
      started = true;
      await http.listen({ host: config.host, port: config.port });
      const addr = http.server.address() as AddressInfo;
      const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
      url = `http://${host}:${addr.port}`;
      wsUrl = config.publicUrl ?? `ws://${host}:${addr.port}${WS_PATH}`;
      gateway?.attach(http.server);
      if (gateway) stopKeeper = startPresenceKeeper(core, hub);
      webhooks.start();
      if (config.role !== 'channel') stopRetention = startRetention(core);
      try {
        await cluster.start({ url, wsUrl, role: config.role });
      } catch (err) {
        const redis = config.broker.kind === 'redis' ? ` in Redis at ${safeUrl(config.broker.url)}` : '';
        throw new InfraError('node registry (redis)', 'broker.url', `cannot register this node${redis}`, err);
      }
      push.start();
      log.info({ url, wsUrl, role: config.role, nodeId, store: store.kind, broker: broker.kind }, 'xpush started');
    },
    close() {
      closing ??= (async () => {
        // Order: leave the registry (no new clients routed here), stop accepting, refuse new commands
        // (503) and let those already running answer — publishes commit and are acknowledged —, then
        // tell clients to reconnect (3001) elsewhere.
        await cluster.stop();
        gateway?.stopAccepting();
        stopKeeper();
        stopRetention();
        const deadline = Date.now() + config.shutdownTimeoutMs;
        if (gateway) await withTimeout(gateway.drain(), config.shutdownTimeoutMs);
        log.info('drain: commands answered');
        await withTimeout(Promise.all([publisher.drain(), livePublisher.drain()]).then(() => undefined), Math.max(0, deadline - Date.now()));
        log.info('drain: publisher idle');
        gateway?.shutdown();
        proxies.close();
        hub.close();
        router.close();
        log.info('drain: clients closed');
        // Events the closing connections raised (vacated channels) are queued before the store closes.
        await withTimeout(webhooks.close(), Math.max(100, deadline - Date.now()));
        // Connections that never sent a request (browsers preconnect) would hold http.close() until the
        // keep-alive timeout: what remains of the deadline is all it gets, then every socket is cut.
        if (started) {
          http.server.closeIdleConnections();
          await withTimeout(http.close(), Math.max(100, deadline - Date.now()));
          http.server.closeAllConnections();
        }
        log.info('drain: http closed');
        await push.close();
        await broker.close();
        await presence.close();
        await userPresence.close();
        await live.close();
        await limiter.close();
        await store.close();
        await blobs.close();
      })();
      return closing;
    },
  };
  return server;
}

interface Backends { broker: Broker; presence: PresenceManager; limiter: RateLimiter; live: LiveStreams; userPresence: UserPresence }

async function openBackends(config: Config, metrics: Metrics): Promise<Backends> {
  if (config.broker.kind === 'memory') {
    return {
      broker: new MemoryBroker(), presence: new MemoryPresence(), limiter: new MemoryRateLimiter(), live: new MemoryLiveStreams(),
      userPresence: new MemoryUserPresence(config.presenceDelayMs),
    };
  }
  const { RedisBroker } = await import('./broker/broker-redis.ts');
  const { RedisPresence } = await import('./presence/presence-redis.ts');
  const { RedisRateLimiter } = await import('./limits/limiter-redis.ts');
  const { RedisLiveStreams } = await import('./streams/live-streams-redis.ts');
  const { RedisUserPresence } = await import('./presence/user-presence-redis.ts');
  const { url, prefix = 'xpush:' } = config.broker;
  const broker = new RedisBroker(url, prefix, { onReceiveLag: (s, self) => metrics.brokerReceived(s, self) });
  return {
    broker, presence: new RedisPresence(url, prefix, config.presenceTtlMs),
    limiter: new RedisRateLimiter(url, prefix), live: new RedisLiveStreams(url, prefix),
    userPresence: new RedisUserPresence(url, prefix, config.presenceDelayMs, config.presenceTtlMs),
  };
}

/**
 * The admin credential survives restarts: generated once into the data dir, owner-only (0600). The
 * first start logs where it was written (never the token itself).
 */
function readOrCreateAdminToken(dataDir: string, log: Logger): string {
  const file = path.resolve(dataDir, 'admin-token');
  try {
    makePrivateDir(dataDir);
    const token = 'adm_' + randomBytes(24).toString('base64url');
    try {
      // 'wx': of two processes starting on one data dir, one writes and the other reads its token.
      fs.writeFileSync(file, token + '\n', { flag: 'wx', mode: 0o600 });
      log.info({ adminTokenFile: file }, `admin token generated: ${file} (owner-only; send it as "Authorization: Bearer <token>" to /v1/admin)`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    makePrivateFile(file); // exact 0600 whatever the umask; tightens a file an older version wrote
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new InfraError('admin token', 'dataDir', `cannot create or read ${file}`, err);
  }
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    p.finally(() => {
      clearTimeout(t);
      resolve();
    }).catch(() => undefined);
  });
}
