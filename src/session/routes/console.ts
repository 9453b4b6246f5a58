import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Cluster } from '../../cluster/cluster.ts';
import { requireAdmin } from '../guards.ts';
import { loadConsole, type Asset, type ConsoleFile } from '../console-assets.ts';
import { Errors } from '../../errors.ts';
import { RingView } from '../../protocol/http.ts';

/**
 * The page holds an admin token or an app secret: it runs only its own script, talks only to this
 * origin, and cannot be framed (clickjacking) or leak its URL in a Referer.
 */
const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-cache',
};

/**
 * The admin web console at /admin (src/console/, plain TypeScript and DOM bundled with esbuild, no
 * CDN), and what only it needs from the server: the hashing ring (admin token). Everything else it
 * does goes through the documented HTTP API with the credential the operator logged in with.
 */
export function consoleRoutes(http: FastifyInstance, cluster: Cluster, adminToken: string): void {
  let assets: Promise<Map<ConsoleFile, Asset>> | undefined;
  const send = async (reply: FastifyReply, file: ConsoleFile) => {
    assets ??= loadConsole();
    let all: Map<ConsoleFile, Asset>;
    try {
      all = await assets;
    } catch (err) {
      assets = undefined; // try again on the next request (e.g. after the build was run)
      reply.log.error({ err }, 'admin console unavailable');
      throw Errors.unavailable.with((err as Error).message);
    }
    const a = all.get(file)!;
    return reply.headers(PAGE_HEADERS).type(a.type).send(a.body);
  };
  const hide = { schema: { hide: true } };
  http.get('/admin', hide, (_req, reply) => send(reply, 'index.html'));
  http.get('/admin/', hide, (_req, reply) => send(reply, 'index.html'));
  http.get('/admin/console.js', hide, (_req, reply) => send(reply, 'console.js'));
  http.get('/admin/console.css', hide, (_req, reply) => send(reply, 'console.css'));

  http.get('/v1/admin/ring', { schema: { tags: ['cluster'], security: [{ admin: [] }], summary: "The hashing ring: each channel node's share of channels and users", response: { 200: RingView } } }, async (req) => {
    requireAdmin(req, adminToken);
    return cluster.ringView();
  });
}
