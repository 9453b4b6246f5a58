/**
 * broadcast: one channel with 1,000 and 10,000 subscribers, one publisher as fast as the slowest
 * subscriber allows (a credit window, so no server is pushed into unbounded buffering), ~100-byte
 * messages. Figures: deliveries/s and server CPU per delivery.
 */
import type { ClientSpec } from '../load/spec.ts';
import { runLoad } from '../lib/drive.ts';
import { withTarget, usPer, type Ctx, type Scenario } from '../lib/ctx.ts';
import { Table } from '../lib/report.ts';

/**
 * Messages the publisher may be ahead of the slowest subscriber: about 200,000 deliveries in flight,
 * enough to keep a server busy through the credit round trip (worker → bench → publisher) even when
 * the scheduler delays one of them by a few milliseconds, and at most ~30 KB queued per connection.
 */
export function windowFor(subscribers: number): number {
  return Math.min(200, Math.max(16, Math.round(200_000 / subscribers)));
}

export const broadcast: Scenario = {
  name: 'broadcast',
  async run(ctx: Ctx) {
    const table = new Table('broadcast', 'one channel, one publisher at full speed, ~100 B messages');
    for (const n of [1000, 10_000]) {
      const at = n >= 1000 ? `${n / 1000}k` : String(n);
      for (const kind of ctx.kinds) {
        await withTarget(ctx, table, kind, {}, async (target, results) => {
          await target.createChannels(['bcast']);
          const clients: ClientSpec[] = Array.from({ length: n }, (_, i) => ({ u: i, user: `s${i}`, node: 0, subs: ['bcast'], expect: [n] }));
          clients.push({ u: n, user: 'publisher', node: 0, subs: [], pub: 'bcast', expect: [] });
          const [r] = await runLoad(target, {
            clients,
            workerOf: (c, i) => (c.pub ? 0 : i % ctx.workers),
            phases: [{ publish: { mode: 'window' }, window: windowFor(n), warmupMs: ctx.full ? 3000 : 1000, measureMs: ctx.full ? 10_000 : 2500 }],
            workers: ctx.workers,
          });
          results.push(r);
          return {
            [`deliveries/s @${at}`]: r.deliveredPerSec,
            [`server CPU µs/delivery @${at}`]: usPer(r.serverCpu, r.deliveredPerSec),
            [`server CPU % @${at}`]: r.serverCpu,
            [`load-gen CPU % @${at}`]: r.loadCpu,
            [`other processes CPU % @${at}`]: r.otherCpu,
          };
        });
      }
    }
    return [table];
  },
};
