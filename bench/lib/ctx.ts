import type { Table } from './report.ts';
import type { LoadResult } from './drive.ts';
import { startTarget, type Kind, type Target, type TargetOpts } from './targets.ts';

/** What every scenario gets from bench/run.ts. */
export interface Ctx {
  full: boolean;
  kinds: Kind[];
  workers: number;
  /** A scenario's own command-line option (`--name value` or `--name=value`), or undefined. */
  option(name: string): string | undefined;
  log(msg: string): void;
}

export interface Scenario {
  name: string;
  run(ctx: Ctx): Promise<Table[]>;
}

/**
 * Starts a fresh deployment of `kind`, runs `fn` on it, stops it whatever happens, and records the
 * figures (and the correctness of every LoadResult `fn` pushed to `results`) in `table`.
 */
export async function withTarget(
  ctx: Ctx,
  table: Table,
  kind: Kind,
  opts: TargetOpts,
  fn: (t: Target, results: LoadResult[]) => Promise<Record<string, number>>,
): Promise<void> {
  const results: LoadResult[] = [];
  ctx.log(`${table.name}: ${kind}${opts.nodes && opts.nodes > 1 ? ` ×${opts.nodes}` : ''}${opts.store ? ` (${opts.store})` : ''}`);
  await table.run(
    kind,
    async () => {
      const target = await startTarget(kind, opts);
      try {
        return await fn(target, results);
      } finally {
        await target.stop();
      }
    },
    () => results,
  );
}

/** Server CPU microseconds per operation, from CPU % of one core and operations per second. */
export function usPer(cpuPct: number, perSec: number): number {
  return perSec > 0 ? (cpuPct * 1e4) / perSec : NaN;
}
