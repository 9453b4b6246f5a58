import type { FastifyInstance } from 'fastify';
import type { Core } from '../../domain/context.ts';
import type { Cluster } from '../../cluster/cluster.ts';
import { requireApiKey } from '../guards.ts';
import { AppParams } from '../../protocol/schemas.ts';
import { Connections, ConnectionsQuery, type ConnectionView } from '../../protocol/http.ts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';

export type { ConnectionView };

/** The HTTP base of a node from its WebSocket URL (same host and port). */
function httpBase(wsUrl: string): string {
  const u = new URL(wsUrl);
  return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
}

/** Connections of an app on every live channel node (each answers its own with `?scope=local`). */
export async function clusterConnections(core: Core, cluster: Cluster, local: (app: string) => ConnectionView[], app: string, secret: string): Promise<ConnectionView[]> {
  const mine = local(app);
  if (core.config.broker.kind === 'memory') return mine;
  const others = (await cluster.list()).filter((n) => n.id !== core.nodeId);
  const lists = await Promise.all(others.map(async (n) => {
    try {
      const r = await fetch(`${httpBase(n.url)}/v1/apps/${encodeURIComponent(app)}/connections?scope=local`, { headers: { 'x-api-key': secret }, signal: AbortSignal.timeout(2000) });
      return r.ok ? ((await r.json()) as { connections: ConnectionView[] }).connections : [];
    } catch (err) {
      core.log.warn({ err, node: n.id }, 'connections: node did not answer');
      return [];
    }
  }));
  return [...mine, ...lists.flat()];
}

/**
 * Connected users and devices of an app. Every role serves its own (`?scope=local`); the answer
 * without scope gathers all live channel nodes', so the session server can list the whole cluster.
 */
export function connectionRoutes(base: FastifyInstance, core: Core, cluster: Cluster, local: (app: string) => ConnectionView[]): void {
  const http = base.withTypeProvider<TypeBoxTypeProvider>();
  http.get('/v1/apps/:app/connections', {
    schema: { security: [{ apiKey: [] }], tags: ['server'], summary: 'Live connections of the app on every channel node (scope=local: this node only)', params: AppParams, querystring: ConnectionsQuery, response: { 200: Connections } },
  }, async (req) => {
    const { app } = req.params;
    const a = await requireApiKey(core, req, app);
    if (req.query.scope === 'local') return { connections: local(app) };
    return { connections: await clusterConnections(core, cluster, local, app, a.secret) };
  });
}
