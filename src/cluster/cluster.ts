import type { FastifyInstance, FastifyRequest } from 'fastify';
import { WS_PATH } from '../channel/gateway.ts';
import { Type } from 'typebox';
import type { Logger } from 'pino';
import type { Config, Role } from '../config.ts';
import { HashRing } from './ring.ts';
import type { NodeInfo, NodeRegistry } from './registry.ts';
import { Errors } from '../errors.ts';
import { AppId } from '../protocol/schemas.ts';
import { requireAdmin } from '../session/guards.ts';
import { NodeRef, Nodes } from '../protocol/http.ts';

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

  /** Whether this node's URL was configured (`publicUrl`) rather than derived from its bind address. */
  get hasPublicUrl(): boolean {
    return this.config.publicUrl !== undefined;
  }

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
      onError: (err) => this.log.warn({ err, component: 'node registry', setting: 'broker.url' }, 'node registry: Redis command failed (will retry)'),
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

  /** The hashing ring this process assigns with: its nodes, each one's share of the circle, vnodes per node. */
  ringView(): { vnodes: number; nodes: { id: string; share: number }[] } {
    const shares = this.ring.shares();
    return { vnodes: this.ring.vnodesPerNode, nodes: this.ring.nodes().map((id) => ({ id, share: shares.get(id) ?? 0 })) };
  }

  /** Open client connections on this node. */
  get connections(): number {
    return this.load();
  }

  async stop(): Promise<void> {
    await this.registry?.stop();
  }
}

/**
 * Node assignment (`/node/...`, public: the SDK asks it before connecting) and the node list (admin
 * token: it shows every node's URL and load). Metrics are in ops-routes.ts.
 */
export function clusterRoutes(http: FastifyInstance, cluster: Cluster, adminToken: string): void {
  /**
   * This process's own URL is a guess (its bind address) unless `publicUrl` says it: when the node
   * picked is this process, answer with the address the client reached us at instead, so a browser
   * that came through a host name or an HTTPS proxy connects back the same way.
   */
  const urlOf = (req: FastifyRequest, n: NodeInfo): string =>
    n.id === cluster.nodeId && !cluster.hasPublicUrl ? `${req.protocol === 'https' ? 'wss' : 'ws'}://${req.host}${WS_PATH}` : n.url;
  const params = Type.Object({ app: AppId, channel: Type.String({ minLength: 1, maxLength: 255 }) });
  http.get('/node/:app/:channel', { schema: { tags: ['cluster'], params, summary: 'The channel node that holds a channel (public: the SDK asks before connecting)', response: { 200: NodeRef } } }, async (req) => {
    const { app, channel } = req.params as { app: string; channel: string };
    const n = cluster.pick(`${app}:c:${channel}`);
    return { node: { id: n.id, url: urlOf(req, n) } };
  });
  http.get('/node/:app/user/:user', { schema: { tags: ['cluster'], params: Type.Object({ app: AppId, user: Type.String({ minLength: 1, maxLength: 128 }) }), summary: "The channel node for a user's personal connection (public)", response: { 200: NodeRef } } }, async (req) => {
    const { app, user } = req.params as { app: string; user: string };
    const n = cluster.pick(`${app}:u:${user}`);
    return { node: { id: n.id, url: urlOf(req, n) } };
  });
  http.get('/v1/nodes', { schema: { tags: ['cluster'], security: [{ admin: [] }], summary: 'Live channel nodes with their URLs and connection counts', response: { 200: Nodes } } }, async (req) => {
    requireAdmin(req, adminToken);
    return { nodes: await cluster.list() };
  });
}
