import type { Config } from '../config.ts';
import type { Core } from '../domain/context.ts';
import { Errors, XPushError } from '../errors.ts';
import { Disconnects, type Disconnect } from '../disconnect.ts';
import { ipBucket } from '../domain/login-throttle.ts';
import { LIMIT_NAMES, effectiveLimits, type AppLimits, type LimitOverrides } from '../protocol/app-settings.ts';
import type { Admission } from '../presence/user-presence.ts';
import type { AppRecord } from '../store/store.ts';

/**
 * Per-app limits (docs/limits.md): the config's defaults with the app's `settings.limits` over them,
 * and the checks that use the cluster-wide backends — connection counts through user presence,
 * connect and publish rates through the rate limiter (Redis in a cluster), presence size through the
 * presence manager, members through the store.
 */

// One frozen object per config and per app settings record, shared by every connection and publish
// of the app: a connection holds a reference, not a copy, and the hot path allocates nothing.
const defaultsOf = new WeakMap<Config, AppLimits>();
const effectiveOf = new WeakMap<object, AppLimits>();

/** The config defaults of every per-app limit. */
export function defaultLimits(config: Config): AppLimits {
  let d = defaultsOf.get(config);
  if (!d) {
    d = Object.freeze(Object.fromEntries(LIMIT_NAMES.map((n) => [n, config[n]])) as AppLimits);
    defaultsOf.set(config, d);
  }
  return d;
}

/** The limits in effect for an app (its settings are cached for a few seconds, see AppCache). */
export async function appLimits(core: Core, app: string): Promise<AppLimits> {
  return limitsOf(core, (core.apps.peek(app) ?? { app: await core.apps.get(app) }).app);
}

/** appLimits without waiting, when the app is cached (the per-message path); undefined otherwise. */
export function cachedAppLimits(core: Core, app: string): AppLimits | undefined {
  const hit = core.apps.peek(app);
  return hit && limitsOf(core, hit.app);
}

function limitsOf(core: Core, rec: AppRecord | undefined): AppLimits {
  const overrides = rec?.settings.limits;
  if (!overrides) return defaultLimits(core.config);
  // Settings records are replaced, never changed in place, when an app's settings change.
  let e = effectiveOf.get(overrides);
  if (!e) {
    e = Object.freeze(effectiveLimits(defaultLimits(core.config), overrides));
    effectiveOf.set(overrides, e);
  }
  return e;
}

/** Limits that must stay positive (0 would forbid everything rather than lift the limit). */
const POSITIVE: readonly string[] = ['maxMessageBytes', 'maxChannelsPerConnection'];

/** Refuses (107) overrides no server could honour; checked before an app's settings change. */
export function checkLimitOverrides(config: Config, o: LimitOverrides | undefined): void {
  if (!o) return;
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'number' && v === 0 && POSITIVE.includes(k)) throw Errors.badRequest.with(`limits.${k} must be at least 1`);
  }
  // A bigger message than the frame limit allows would close the connection (1009) instead of getting 106.
  const frameRoom = config.maxFrameBytes - 4096;
  if (typeof o.maxMessageBytes === 'number' && o.maxMessageBytes > frameRoom) {
    throw Errors.badRequest.with(`limits.maxMessageBytes must be at most ${frameRoom} (config maxFrameBytes - 4096)`);
  }
}

/** What a refused connection gets: the user's cap is final (3504, the SDKs stop); the app's is temporary (they retry with backoff). */
export function admissionRefusal(a: Exclude<Admission, { admitted: true }>): Disconnect | XPushError {
  if (a.limit === 'user') return Disconnects.connectionLimit.with(`connection limit: at most ${a.max} connections per user`);
  return new XPushError(Errors.limitExceeded.code, `the app has its maximum of ${a.max} connections; retry later`, { temporary: true, status: 503 });
}

/** Connect rate per (app, client IP): 111 (temporary) with a retry delay once passed. */
export async function checkConnectRate(core: Core, app: string, ip: string, limits: AppLimits): Promise<void> {
  const n = limits.connectsPerIpPerMinute;
  if (n <= 0 || !ip) return;
  const d = await core.limiter.hit(`connect:${JSON.stringify([app, ipBucket(ip)])}`, { limit: n, windowMs: 60_000 });
  if (!d.allowed) throw Errors.tooManyRequests.with(`more than ${n} connection attempts per minute from this address; retry in ${Math.ceil(d.retryAfterMs / 1000)} s`).retryAfter(d.retryAfterMs);
}

/**
 * Publish rates: per channel (everyone, the backend included) and per user (`user` given for a
 * connection's publishes). 111 (temporary) with a retry delay once passed; a refused publish is not
 * counted against the other budget.
 */
export async function checkPublishRate(core: Core, app: string, channel: string, user: string | undefined, limits: AppLimits): Promise<void> {
  const perUser = user ? limits.publishesPerUserPerSecond : 0;
  const perChannel = limits.publishesPerChannelPerSecond;
  if (perUser > 0) {
    const d = await core.limiter.hit(`pub:u:${JSON.stringify([app, user])}`, { limit: perUser, windowMs: 1000 });
    if (!d.allowed) throw Errors.tooManyRequests.with(`more than ${perUser} publishes per second by this user`).retryAfter(d.retryAfterMs);
  }
  if (perChannel > 0) {
    const d = await core.limiter.hit(`pub:c:${JSON.stringify([app, channel])}`, { limit: perChannel, windowMs: 1000 });
    if (!d.allowed) {
      if (perUser > 0) await core.limiter.hit(`pub:u:${JSON.stringify([app, user])}`, { limit: perUser, windowMs: 1000 }, -1);
      throw Errors.tooManyRequests.with(`more than ${perChannel} publishes per second in channel "${channel}"`).retryAfter(d.retryAfterMs);
    }
  }
}

/** A cap for the store (`undefined` = none). */
export function cap(n: number): number | undefined {
  return n > 0 ? n : undefined;
}
