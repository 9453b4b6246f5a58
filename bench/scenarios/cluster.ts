/**
 * cluster: three server nodes sharing Redis, the subscribers of one channel spread evenly over the
 * nodes, one publisher (on the first node) at full speed in a credit window, as in broadcast, for
 * throughput; then, on the same connections, at a fixed 30,000 deliveries/s for latency (publish →
 * each subscriber received, p50/p99 over every 16th delivery).
 * XPUSH runs 3 channel-role nodes plus one session-role node (HTTP API) on PostgreSQL; Socket.IO uses
 * @socket.io/redis-adapter; bare ws relays each payload through Redis pub/sub.
 */
import type { ClientSpec } from '../load/spec.ts';
import { runLoad } from '../lib/drive.ts';
import { withTarget, usPer, type Ctx, type Scenario } from '../lib/ctx.ts';
import { Table } from '../lib/report.ts';
import { windowFor } from './broadcast.ts';
import { redisCpuSeconds } from '../lib/targets.ts';

const NODES = 3;
/** Deliveries/s offered in the latency phase: below every server's capacity, so latency is not queueing. */
const LATENCY_LOAD = 30_000;

export const cluster: Scenario = {
  name: 'cluster',
  async run(ctx: Ctx) {
    const n = ctx.full ? 10_000 : 3000;
    const table = new Table('cluster', `${NODES} nodes + Redis, one channel with ${n.toLocaleString('en-US')} subscribers spread over the nodes`);
    for (const kind of ctx.kinds) {
      await withTarget(ctx, table, kind, { nodes: NODES }, async (target, results) => {
        await target.createChannels(['bcast']);
        const clients: ClientSpec[] = Array.from({ length: n }, (_, i) => ({ u: i, user: `s${i}`, node: i % NODES, subs: ['bcast'], expect: [n] }));
        clients.push({ u: n, user: 'publisher', node: 0, subs: [], pub: 'bcast', expect: [] });
        const [r, l] = await runLoad(target, {
          clients,
          workerOf: (c, i) => (c.pub ? 0 : i % ctx.workers),
          phases: [
            { publish: { mode: 'window' }, window: windowFor(n), warmupMs: ctx.full ? 3000 : 1000, measureMs: ctx.full ? 10_000 : 2500 },
            { publish: { mode: 'rate', rate: LATENCY_LOAD / n }, warmupMs: ctx.full ? 1000 : 500, measureMs: ctx.full ? 10_000 : 1500 },
          ],
          workers: ctx.workers,
          extraCpu: redisCpuSeconds,
        });
        results.push(r, l);
        return {
          'deliveries/s': r.deliveredPerSec,
          'delivery latency p50 ms @30k/s': l.lat.p50,
          'delivery latency p99 ms @30k/s': l.lat.p99,
          'server CPU % (all nodes)': r.serverCpu,
          'server CPU µs/delivery': usPer(r.serverCpu, r.deliveredPerSec),
          'Redis CPU %': r.extraCpu ?? NaN,
          'load-gen CPU %': r.loadCpu,
          'other processes CPU %': r.otherCpu,
        };
      });
    }
    return [table];
  },
};
