import tls from 'node:tls';

import { PushConfigSchema, DEFAULT_WEB_PUSH_HOSTS } from '../config/schema-groups.ts';
import type { PushConfig } from '../config/schema.ts';
import { asSchema, defaultsOf } from '../config/walk.ts';

/** Server-wide push delivery settings (`config.push`): declared with their defaults in src/config/schema-groups.ts. */
export type { PushConfig };
export { DEFAULT_WEB_PUSH_HOSTS };

export const defaultPushConfig = defaultsOf(asSchema(PushConfigSchema)) as PushConfig;

/** Defaults + input, validated; throws a TypeError naming the field. */
export function resolvePushConfig(input: Partial<PushConfig> = {}): PushConfig {
  const c: PushConfig = { ...defaultPushConfig, ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) };
  for (const k of ['pollMs', 'leaseMs', 'batch', 'concurrency', 'maxAttempts', 'backoffMs', 'maxBackoffMs', 'requestTimeoutMs'] as const) {
    if (typeof c[k] !== 'number' || !Number.isFinite(c[k]) || c[k] <= 0) throw new TypeError(`config.push.${k} must be a positive number, got ${String(c[k])}`);
  }
  if (c.leaseMs <= c.requestTimeoutMs) throw new TypeError('config.push.leaseMs must exceed config.push.requestTimeoutMs, or a slow send could be claimed twice');
  if (!Array.isArray(c.webPushHosts) || !c.webPushHosts.every((h) => typeof h === 'string' && h)) throw new TypeError('config.push.webPushHosts must be an array of host names');
  if (c.ca !== undefined && !/-----BEGIN CERTIFICATE-----/.test(c.ca)) throw new TypeError('config.push.ca must be PEM certificates');
  return c;
}

/** Trust anchors for provider connections: the system roots plus config.push.ca. */
export function trustedCa(c: PushConfig): string[] | undefined {
  return c.ca ? [...tls.rootCertificates, c.ca] : undefined;
}

/** Whether a Web Push endpoint's host is allowed (exact, `*.suffix`, or `*`). */
export function webPushHostAllowed(c: PushConfig, host: string): boolean {
  const h = host.toLowerCase();
  return c.webPushHosts.some((p) => p === '*' || p.toLowerCase() === h || (p.startsWith('*.') && h.endsWith(p.slice(1).toLowerCase())));
}
