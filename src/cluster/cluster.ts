import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Logger } from 'pino';
import client from 'prom-client';
import type { Config, Role } from '../config.ts';
import { HashRing } from './ring.ts';
import type { NodeInfo, NodeRegistry } from './registry.ts';
import { Errors } from '../errors.ts';
import { AppId } from '../protocol/schemas.ts';
import { requireAdmin } from '../session/guards.ts';
import { pushRegistry } from '../push/metrics.ts';

/**
 * This process's view of the cluster: its own registry record (channel roles), the live channel
 * nodes, and the consistent-hash ring that assigns a channel or user to one of them. With the memory
 * broker there is no registry: the cluster is this process alone.
 */
export class Cluster {
  private registry: NodeRegistry | undefined;
  private readonly ring = new HashRing();
  private nodes: NodeInfo[] = [];
  private self: NodeInfo | undefined;

  constructor(private readonly config: Config, readonly nodeId: string, private readonly log: Logger, private readonly load: () => number) {}

  async start(addr: { url: string; wsUrl: string; role: Role }): Promise<void> {
    const isChannel = addr.role !== 'session';
    this.self = { id: this.nodeId, url: addr.wsUrl, role: addr.role, connections: 0, updatedAt: Date.now() };
    if (this.config.broker.kind !== 'redis') {
      if (isChannel) this.setNodes([this.self]);
      return;
    }
    const { NodeRegistry } = await import('./registry.ts');
    this.registry = new NodeRegistry(this.config.broker.url, this.config.broker.prefix ?? 'xpush:', {
      ttlMs: this.config.nodeTtlMs,
      heartbeatMs: Math.max(100, Math.floor(this.config.nodeTtlMs / 5)),
      onError: (err) => this.log.warn({ err }, 'node registry'),
    });
    if (isChannel) await this.registry.start({ id: this.nodeId, url: addr.wsUrl, role: addr.role }, () => ({ connections: this.load() }));
    if (addr.role !== 'channel') {
      this.registry.onChange((nodes) => this.setNodes(nodes));
      this.setNodes(await this.registry.list());
    }
  }

  private setNodes(nodes: NodeInfo[]): void {
    this.nodes = nodes.filter((n) => n.role !== 'session');
    this.ring.set(this.nodes.map((n) => n.id));
  }

  /** Live nodes with their connection counts (fresh from Redis in a cluster). */
  async list(): Promise<NodeInfo[]> {
    if (this.registry) return this.registry.list();
    return this.self && this.self.role !== 'session' ? [{ ...this.self, connections: this.load(), updatedAt: Date.now() }] : [];
  }

  private liveCache: { at: number; ids: Set<string> } | undefined;

  /**
   * Whether a node id is alive (in the registry). Read at most once a second from Redis: it answers
   * per-request questions (which node holds an emulation session) without a Redis call each time.
   */
  async isLive(id: string): Promise<boolean> {
    if (!this.registry) return id === this.nodeId;
    if (!this.liveCache || Date.now() - this.liveCache.at > 1000) {
      this.liveCache = { at: Date.now(), ids: new Set((await this.registry.list()).map((n) => n.id)) };
    }
    return this.liveCache.ids.has(id);
  }

  /** The channel node for a key: the same key lands on the same node while membership holds. */
  pick(key: string): NodeInfo {
    const id = this.ring.get(key);
    const node = id && this.nodes.find((n) => n.id === id);
    if (!node) throw Errors.unavailable.with('no live channel server');
    return node;
  }

  /** Open client connections on this node. */
  get connections(): number {
    return this.load();
  }

  async stop(): Promise<void> {
    await this.registry?.stop();
  }
}

const nodeRegistry = new client.Registry();
client.collectDefaultMetrics({ register: nodeRegistry });
/** The node's metrics and push delivery's (push/metrics.ts). */
const metricsRegistry = client.Registry.merge([nodeRegistry, pushRegistry]);
let connectionsGauge: client.Gauge | undefined;

/**
 * Node assignment (`/node/...`, public: the SDK asks it before connecting), the node list (admin
 * token: it shows every node's URL and load), and Prometheus metrics.
 */
export function clusterRoutes(http: FastifyInstance, cluster: Cluster, adminToken: string): void {
  const params = Type.Object({ app: AppId, channel: Type.String({ minLength: 1, maxLength: 255 }) });
  http.get('/node/:app/:channel', { schema: { tags: ['cluster'], params } }, async (req) => {
    const { app, channel } = req.params as { app: string; channel: string };
    const n = cluster.pick(`${app}:c:${channel}`);
    return { node: { id: n.id, url: n.url } };
  });
  http.get('/node/:app/user/:user', { schema: { tags: ['cluster'], params: Type.Object({ app: AppId, user: Type.String({ minLength: 1, maxLength: 128 }) }) } }, async (req) => {
    const { app, user } = req.params as { app: string; user: string };
    const n = cluster.pick(`${app}:u:${user}`);
    return { node: { id: n.id, url: n.url } };
  });
  http.get('/v1/nodes', { schema: { tags: ['cluster'], security: [{ admin: [] }] } }, async (req) => {
    requireAdmin(req, adminToken);
    return { nodes: await cluster.list() };
  });
  connectionsGauge ??= new client.Gauge({ name: 'xpush_connections', help: 'Open client connections on this node', registers: [metricsRegistry] });
  const gauge = connectionsGauge;
  http.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    gauge.set(cluster.connections);
    return reply.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
  });
}
