/**
 * chat: users in channels of 5 members (10,000 users in 2,000 channels), every user publishing at a
 * fixed rate into their channel. Figures: publish → every member received latency (p50/p99/max),
 * deliveries/s, server CPU, and deliveries per server CPU-second (the "at equal CPU" comparison).
 */
import type { ClientSpec } from '../load/spec.ts';
import { runLoad } from '../lib/drive.ts';
import { withTarget, type Ctx, type Scenario } from '../lib/ctx.ts';
import { Table } from '../lib/report.ts';

const MEMBERS = 5;

export const chat: Scenario = {
  name: 'chat',
  async run(ctx: Ctx) {
    const users = 10_000;
    const rate = 1; // messages per second per user
    const channels = users / MEMBERS;
    const table = new Table('chat', `${users.toLocaleString('en-US')} users in ${channels.toLocaleString('en-US')} channels of ${MEMBERS}, each publishing ${rate} msg/s`);
    for (const kind of ctx.kinds) {
      await withTarget(ctx, table, kind, {}, async (target, results) => {
        const names = Array.from({ length: channels }, (_, c) => `chat-${c}`);
        await target.createChannels(names);
        const clients: ClientSpec[] = Array.from({ length: users }, (_, i) => {
          const c = Math.floor(i / MEMBERS);
          const members = Array.from({ length: MEMBERS }, (_, k) => c * MEMBERS + k);
          return { u: i, user: `u${i}`, node: 0, subs: [names[c]], pub: names[c], expect: members };
        });
        const [r] = await runLoad(target, {
          clients,
          // a channel's members share a worker, so "every member received" is known in one process
          workerOf: (c) => Math.floor(c.u / MEMBERS) % ctx.workers,
          phases: [{ publish: { mode: 'rate', rate, track: MEMBERS }, warmupMs: ctx.full ? 3000 : 1500, measureMs: ctx.full ? 15_000 : 3000 }],
          workers: ctx.workers,
        });
        results.push(r);
        return {
          'latency p50 ms (all members)': r.done.p50,
          'latency p99 ms': r.done.p99,
          'latency max ms': r.done.max,
          'deliveries/s': r.deliveredPerSec,
          'server CPU %': r.serverCpu,
          'deliveries per server CPU-second': r.serverCpu > 0 ? r.deliveredPerSec / (r.serverCpu / 100) : NaN,
          'server RSS MB': r.serverRssMb,
          'load-gen CPU %': r.loadCpu,
          'other processes CPU %': r.otherCpu,
        };
      });
    }
    return [table];
  },
};
