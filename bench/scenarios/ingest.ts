/**
 * ingest: 200 publishers, each on its own channel, each sending its next message as soon as the
 * previous one is acknowledged. XPUSH acknowledges after the message is stored (SQLite; PostgreSQL in
 * extra rows); the references acknowledge without storing anything (an upper bound, not a peer).
 */
import type { ClientSpec } from '../load/spec.ts';
import { runLoad } from '../lib/drive.ts';
import { withTarget, usPer, type Ctx, type Scenario } from '../lib/ctx.ts';
import { Table } from '../lib/report.ts';
import type { Target } from '../lib/targets.ts';
import type { LoadResult } from '../lib/drive.ts';

const PUBLISHERS = 200;

async function ingestRun(ctx: Ctx, target: Target, results: LoadResult[]): Promise<LoadResult> {
  const names = Array.from({ length: PUBLISHERS }, (_, i) => `in-${i}`);
  await target.createChannels(names);
  const clients: ClientSpec[] = names.map((ch, i) => ({ u: i, user: `p${i}`, node: 0, subs: [], pub: ch, expect: [] }));
  const [r] = await runLoad(target, {
    clients,
    phases: [{ publish: { mode: 'closed', checkOffsets: true }, warmupMs: ctx.full ? 3000 : 1000, measureMs: ctx.full ? 10_000 : 2500 }],
    workers: ctx.workers,
  });
  results.push(r);
  return r;
}

export const ingest: Scenario = {
  name: 'ingest',
  async run(ctx: Ctx) {
    const table = new Table('ingest', `${PUBLISHERS} publishers waiting for the stored-ack, one channel each`);
    for (const kind of ctx.kinds) {
      await withTarget(ctx, table, kind, {}, async (target, results) => {
        const r = await ingestRun(ctx, target, results);
        return {
          'acked msg/s': r.ackedPerSec,
          'ack latency p50 ms': r.ack.p50,
          'ack latency p99 ms': r.ack.p99,
          'server CPU %': r.serverCpu,
          'server CPU µs/ack': usPer(r.serverCpu, r.ackedPerSec),
          'load-gen CPU %': r.loadCpu,
          'other processes CPU %': r.otherCpu,
        };
      });
    }
    if (ctx.kinds.includes('xpush')) {
      await withTarget(ctx, table, 'xpush', { store: 'postgres' }, async (target, results) => {
        const r = await ingestRun(ctx, target, results);
        return {
          'acked msg/s, PostgreSQL store': r.ackedPerSec,
          'ack latency p99 ms, PostgreSQL': r.ack.p99,
          'server CPU %, PostgreSQL': r.serverCpu,
        };
      });
    }
    table.notes.push('XPUSH acknowledges after the SQLite (or PostgreSQL) commit; Socket.IO, bare ws and Centrifugal no-store acknowledge without storing');
    return [table];
  },
};
