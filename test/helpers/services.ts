import net from 'node:net';
import type { TestContext } from 'node:test';

export const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port || defaultPort), u.hostname || '127.0.0.1');
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(1000, () => done(false));
  });
}

/**
 * Cluster tests need the real PostgreSQL and Redis. On a developer machine without them they skip;
 * under CI=true they FAIL, so CI can never go green without running them.
 */
export async function requireServices(t: TestContext, ...which: ('postgres' | 'redis')[]): Promise<boolean> {
  for (const w of which) {
    const ok = w === 'postgres' ? await reachable(PG_URL, 5432) : await reachable(REDIS_URL, 6379);
    if (ok) continue;
    const msg = `${w} is not reachable (${w === 'postgres' ? PG_URL : REDIS_URL})`;
    if (process.env.CI) throw new Error(`${msg}: CI must run the cluster tests (.ci/run starts the services)`);
    t.skip(msg);
    return false;
  }
  return true;
}
