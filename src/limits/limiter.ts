/**
 * Keyed rate limits shared by the whole cluster (Redis) or one process (memory). Used for login
 * throttling (domain/login-throttle.ts) and meant for any per-key budget (per-app publish or connect
 * rates): the caller names the key and the rule, the limiter keeps the count.
 *
 * Contract (test/contract/rate-limiter.contract.ts runs it against every implementation):
 * - `hit` is atomic per key: N concurrent hits on a fresh key with `limit: L` allow exactly min(N, L).
 * - A window starts at the first hit and lasts `windowMs`; at most `limit` cost units fit in it.
 * - The hit that passes the limit is denied. Without `backoff` the key stays denied until its window
 *   ends. With `backoff` it is blocked for `baseMs`, doubled for each further block ("strike"), at most
 *   `maxMs`; the window restarts when the block ends. Strikes are forgotten once the key has had no
 *   hit for `maxMs` after its window or block ended, so a key never stays blocked for good.
 * - A denied hit is not counted (a blocked key's block is not extended by retries).
 * - A negative `cost` gives units back (never below zero, never lifting a block): count an attempt
 *   up front, atomically, and refund it once it turns out not to matter (a successful login).
 * - Keys are opaque strings; implementations may prefix them (Redis key prefix).
 * - Time comes from one clock per implementation (Redis: the server's TIME), so nodes with skewed
 *   clocks agree.
 * - Failures reject with `Errors.unavailable` (the caller decides whether to fail open or closed).
 */
export interface RateLimiter {
  readonly kind: 'memory' | 'redis';
  /** Counts `cost` (default 1) against `key` under `rule` and says whether it was allowed. */
  hit(key: string, rule: LimitRule, cost?: number): Promise<LimitDecision>;
  /** The decision a hit of cost 1 would get, without counting it. */
  peek(key: string, rule: LimitRule): Promise<LimitDecision>;
  /** Forgets the key: count, window, block and strikes. */
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

export interface LimitRule {
  /** Cost units allowed per window. */
  limit: number;
  windowMs: number;
  /** Block with exponential backoff once the limit is passed (omit: plain window limit). */
  backoff?: { baseMs: number; maxMs: number };
}

export interface LimitDecision {
  allowed: boolean;
  /** When denied: how long until a hit can be allowed again, ms (> 0). 0 when allowed. */
  retryAfterMs: number;
  /** Units left in the current window (0 when denied). */
  remaining: number;
}

/** Throws a TypeError at once for a rule or cost no limiter can honour (programmer misuse). */
export function checkArgs(rule: LimitRule, cost: number): void {
  if (typeof cost !== 'number' || !Number.isFinite(cost)) throw new TypeError(`RateLimiter: cost must be a finite number, got ${String(cost)}`);
  const ok = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n > 0;
  if (!ok(rule.limit) || !ok(rule.windowMs)) throw new TypeError(`LimitRule: limit and windowMs must be positive numbers, got ${JSON.stringify(rule)}`);
  if (rule.backoff && (!ok(rule.backoff.baseMs) || !ok(rule.backoff.maxMs) || rule.backoff.maxMs < rule.backoff.baseMs)) {
    throw new TypeError(`LimitRule: backoff needs 0 < baseMs <= maxMs, got ${JSON.stringify(rule.backoff)}`);
  }
}

/** One key's state. Both implementations keep exactly these four numbers (Redis: hash fields c, w, b, s). */
export interface LimitState {
  /** Units counted in the current window. */
  count: number;
  /** End of the current window (0: no window open). */
  windowEnd: number;
  /** End of the current block (0: not blocked). */
  blockedUntil: number;
  /** Blocks so far (backoff exponent). */
  strikes: number;
}

export const EMPTY_STATE: LimitState = { count: 0, windowEnd: 0, blockedUntil: 0, strikes: 0 };

/**
 * The state machine of the contract above, as a pure function: the memory limiter runs it, and the
 * Redis script (limiter.lua) is the same steps. Returns the decision, the new state, and how long the
 * state must be kept (ms from `now`; afterwards the key is as good as new).
 */
export function step(s: LimitState, now: number, rule: LimitRule, cost: number): { decision: LimitDecision; state: LimitState; keepMs: number } {
  const memory = rule.backoff?.maxMs ?? 0;
  if (s.blockedUntil > now) {
    return { decision: { allowed: false, retryAfterMs: s.blockedUntil - now, remaining: 0 }, state: s, keepMs: s.blockedUntil - now + memory };
  }
  let count = s.count;
  let windowEnd = s.windowEnd;
  if (windowEnd <= now) {
    count = 0;
    windowEnd = now + rule.windowMs;
  }
  if (cost <= 0 || count + cost <= rule.limit) {
    count = Math.max(0, count + cost);
    return {
      decision: { allowed: true, retryAfterMs: 0, remaining: Math.max(0, rule.limit - count) },
      state: { count, windowEnd, blockedUntil: 0, strikes: s.strikes },
      keepMs: windowEnd - now + memory,
    };
  }
  if (!rule.backoff) {
    return { decision: { allowed: false, retryAfterMs: windowEnd - now, remaining: 0 }, state: { ...s, count, windowEnd }, keepMs: windowEnd - now };
  }
  const strikes = s.strikes + 1;
  const block = Math.min(rule.backoff.baseMs * 2 ** (strikes - 1), rule.backoff.maxMs);
  return {
    decision: { allowed: false, retryAfterMs: block, remaining: 0 },
    state: { count: 0, windowEnd: 0, blockedUntil: now + block, strikes },
    keepMs: block + memory,
  };
}

/** What a hit of cost 1 would get, counting nothing: `remaining` is what is left now. */
export function peekDecision(s: LimitState, now: number, rule: LimitRule): LimitDecision {
  const d = step(s, now, rule, 1).decision;
  return d.allowed ? { ...d, remaining: d.remaining + 1 } : d;
}
