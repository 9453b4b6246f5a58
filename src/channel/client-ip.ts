import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

/**
 * The client IP of a WebSocket upgrade, by the same rule fastify applies to HTTP requests
 * (config.trustProxy): without trust, the socket's peer; with it, the last untrusted hop of
 * X-Forwarded-For. The per-IP connect rate (docs/limits.md) counts what this returns.
 */
export function clientIpOf(trustProxy: boolean | string): (req: IncomingMessage) => string {
  if (trustProxy === false) return (req) => req.socket.remoteAddress ?? '';
  const trust = trustProxy === true ? () => true : proxyAddr.compile(trustProxy.split(',').map((s) => s.trim()));
  return (req) => proxyAddr(req, trust);
}
