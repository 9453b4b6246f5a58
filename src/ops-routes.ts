import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.ts';

/** Something a readiness check can ask "are you there?" (the store, the broker). */
export interface Pingable {
  ping(): Promise<void>;
}

export interface OpsOptions {
  nodeId: string;
  version: string;
  /** True once a graceful shutdown began: not ready, whatever the backends say. */
  draining(): boolean;
  store: Pingable;
  broker: Pingable;
  /** How long one backend may take to answer a readiness check. */
  checkTimeoutMs: number;
}

/**
 * Counts every HTTP request by method, route pattern (never the raw URL: bounded series) and status.
 * Installed before the routes so it sees all of them.
 */
export function countHttpRequests(http: FastifyInstance, metrics: Metrics): void {
  http.addHook('onResponse', (req, reply, done) => {
    metrics.http(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

/**
 * Operations endpoints, public and cheap: `/health` says the process serves HTTP (liveness: restart
 * it when this fails), `/ready` says it can do its work — store and broker answer and no drain is
 * under way (readiness: route traffic elsewhere while it fails, 503) — and `/metrics` is the
 * Prometheus scrape.
 */
export function opsRoutes(http: FastifyInstance, metrics: Metrics, o: OpsOptions): void {
  http.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok', node: o.nodeId, version: o.version }));
  http.get('/ready', { schema: { hide: true } }, async (_req, reply) => {
    if (o.draining()) return reply.status(503).send(notReady({ draining: true, store: 'not checked', broker: 'not checked' }));
    const [store, broker] = await Promise.all([check(o.store, o.checkTimeoutMs), check(o.broker, o.checkTimeoutMs)]);
    // A drain may have begun while the checks ran.
    const state = { draining: o.draining(), store, broker };
    if (store === 'ok' && broker === 'ok' && !state.draining) return { ready: true, ...state };
    return reply.status(503).send(notReady(state));
  });
  http.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const text = await metrics.scrape();
    return reply.type(metrics.contentType).send(text);
  });
}

/** The 503 body: the readiness fields, plus the API's usual `error` object saying why. */
function notReady(s: { draining: boolean; store: string; broker: string }): Record<string, unknown> {
  const why = s.draining ? ['draining (graceful shutdown)'] : [];
  if (s.store !== 'ok' && !s.draining) why.push(`store: ${s.store}`);
  if (s.broker !== 'ok' && !s.draining) why.push(`broker: ${s.broker}`);
  return { ready: false, ...s, error: { code: 503, message: `not ready: ${why.join('; ')}` } };
}

/** 'ok', or why not (the error's message, or a timeout). */
async function check(target: Pingable, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([target.ping().then(() => 'ok', (err: unknown) => (err instanceof Error ? err.message : String(err)) || 'unreachable'), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
