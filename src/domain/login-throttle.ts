import net from 'node:net';
import type { Core } from './context.ts';
import type { LimitDecision, LimitRule } from '../limits/limiter.ts';
import { Errors, XPushError } from '../errors.ts';

export interface LoginGate {
  /** The password was right: the (user, IP) count starts over and this attempt does not count for the IP. */
  succeeded(): Promise<void>;
}

const OPEN: LoginGate = { succeeded: async () => undefined };

/**
 * Login throttling (docs/security.md "Login throttling"). Every attempt is counted before the password
 * is checked — atomically, so a burst of parallel guesses cannot slip past — against two keys:
 * (app, user, client IP), which stops guessing one account from one place, and the client IP alone,
 * which stops spraying many accounts. Passing a limit blocks that key with exponential backoff capped
 * at `maxBlockMs`. A success refunds the IP's count and clears (user, IP), so the real user's own
 * successful login is never held back by what an attacker elsewhere does: nothing is counted per user
 * alone, which would hand attackers a switch to lock anyone out. A blocked attempt is answered 429
 * with Retry-After before any password work, the same for existing and unknown users.
 */
export async function loginGate(core: Core, app: string, user: string, ip: string): Promise<LoginGate> {
  const cfg = core.config.loginThrottle;
  if (!cfg) return OPEN;
  const backoff = { baseMs: cfg.blockMs, maxMs: cfg.maxBlockMs };
  const bucket = ipBucket(ip);
  const userIp = { key: `login:uip:${JSON.stringify([app, user, bucket])}`, rule: { limit: cfg.userIpFailures, windowMs: cfg.windowMs, backoff } };
  const perIp = { key: `login:ip:${bucket}`, rule: { limit: cfg.ipFailures, windowMs: cfg.windowMs, backoff } };
  const hit = (k: { key: string; rule: LimitRule }, cost = 1): Promise<LimitDecision> => limiterCall(core.limiter.hit(k.key, k.rule, cost));
  const [a, b] = await Promise.all([hit(userIp), hit(perIp)]);
  if (!a.allowed || !b.allowed) {
    // This attempt is not evaluated: give back what the key that let it through counted.
    await Promise.all([a.allowed && hit(userIp, -1), b.allowed && hit(perIp, -1)]);
    const wait = Math.max(a.retryAfterMs, b.retryAfterMs);
    throw Errors.tooManyRequests.with(`too many failed logins; retry in ${Math.ceil(wait / 1000)} s`).retryAfter(wait);
  }
  return {
    async succeeded() {
      await Promise.all([limiterCall(core.limiter.reset(userIp.key)), hit(perIp, -1)]);
    },
  };
}

/** Throttling that cannot be checked fails closed: 503 (temporary), never an unthrottled guess. */
async function limiterCall<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof XPushError) throw err;
    throw Errors.unavailable.with('login throttling is unavailable; retry later');
  }
}

/**
 * The address an attacker cannot cheaply change: IPv4 as is, IPv6 by its /64 (one subscriber usually
 * holds a whole /64), an IPv4-mapped IPv6 address as its IPv4.
 */
export function ipBucket(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const bare = ip.split('%')[0]!;
  if (!net.isIPv6(bare)) return ip;
  const [head = '', tail] = bare.split('::');
  const groups = (part: string): string[] => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return all.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':') + '::/64';
}
