import tls from 'node:tls';

/**
 * Server-wide push delivery settings (`config.push`). Per-app behaviour (delay, throttle, preview,
 * default mode) is in the app settings' `push` group; provider credentials are per app (admin API).
 */
export interface PushConfig {
  /** Run the outbox dispatcher in this process. Any number of nodes may: each row is leased to one. Default true. */
  dispatch: boolean;
  /** How often an idle dispatcher looks for rows written by other nodes, ms. Lower = quicker, more queries. Default 1000. */
  pollMs: number;
  /** A claimed row belongs to its node this long, ms; a node that dies mid-send frees its rows after it. Must exceed requestTimeoutMs. Default 60000. */
  leaseMs: number;
  /** Rows claimed per query. Default 100. */
  batch: number;
  /** Sends in flight at once per node. Default 32. */
  concurrency: number;
  /** Attempts before a notification is given up (logged, counted as failed `gave_up`). Default 10. */
  maxAttempts: number;
  /** First retry delay, ms; doubles per attempt up to maxBackoffMs (Retry-After, when a provider sends one, wins). Default 1000. */
  backoffMs: number;
  maxBackoffMs: number;
  /** One provider request, ms. Default 10000. */
  requestTimeoutMs: number;
  /** Extra trusted CA certificates (PEM) for Web Push endpoints and APNs, besides the system roots (a proxy, a test CA). */
  ca?: string;
  /**
   * Hosts a Web Push subscription may point at (`*.example.com` matches subdomains; `*` any). The endpoint
   * comes from the browser, so this keeps users from making the server POST to internal addresses.
   * Default: the push services of Chrome/Edge/Opera (FCM), Firefox, Safari and Windows.
   */
  webPushHosts: string[];
}

export const DEFAULT_WEB_PUSH_HOSTS = [
  'fcm.googleapis.com', 'android.googleapis.com', '*.push.services.mozilla.com', 'web.push.apple.com', '*.push.apple.com', '*.notify.windows.com',
];

export const defaultPushConfig: PushConfig = {
  dispatch: true, pollMs: 1000, leaseMs: 60_000, batch: 100, concurrency: 32, maxAttempts: 10, backoffMs: 1000, maxBackoffMs: 300_000,
  requestTimeoutMs: 10_000, webPushHosts: DEFAULT_WEB_PUSH_HOSTS,
};

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
