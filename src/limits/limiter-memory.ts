import { checkArgs, EMPTY_STATE, peekDecision, step, type LimitDecision, type LimitRule, type LimitState, type RateLimiter } from './limiter.ts';

/** Keys kept at most; beyond, the least recently written go first (bounds memory under a key flood). */
const DEFAULT_MAX_KEYS = 100_000;
/** How often expired keys are swept. */
const SWEEP_MS = 60_000;

interface Entry {
  state: LimitState;
  /** Time after which the entry is as good as absent. */
  expiresAt: number;
}

/**
 * One process's limits (single-node deployments with the memory broker): see RateLimiter for the
 * contract. Plain JS between awaits, so every hit is atomic. Memory is bounded: expired keys are swept
 * every minute and at most `maxKeys` are kept (an attacker flooding new keys evicts the oldest, which
 * can only make old counts start over — documented in docs/security.md).
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly kind = 'memory' as const;
  private readonly keys = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly maxKeys = DEFAULT_MAX_KEYS, private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  async hit(key: string, rule: LimitRule, cost = 1): Promise<LimitDecision> {
    checkArgs(rule, cost);
    const now = this.now();
    const r = step(this.read(key, now), now, rule, cost);
    // Re-inserting moves the key to the end: the Map's order is least recently written first.
    this.keys.delete(key);
    this.keys.set(key, { state: r.state, expiresAt: now + r.keepMs });
    if (this.keys.size > this.maxKeys) this.keys.delete(this.keys.keys().next().value as string);
    return r.decision;
  }

  async peek(key: string, rule: LimitRule): Promise<LimitDecision> {
    checkArgs(rule, 1);
    const now = this.now();
    return peekDecision(this.read(key, now), now, rule);
  }

  async reset(key: string): Promise<void> {
    this.keys.delete(key);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.keys.clear();
  }

  private read(key: string, now: number): LimitState {
    const e = this.keys.get(key);
    return e && e.expiresAt > now ? e.state : EMPTY_STATE;
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, e] of this.keys) if (e.expiresAt <= now) this.keys.delete(k);
  }
}
