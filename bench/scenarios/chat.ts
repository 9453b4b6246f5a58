/**
 * chat: users in channels of 5 members (10,000 users in 2,000 channels), every user publishing at a
 * fixed rate into their channel. Figures: publish → every member received latency (p50/p99/max),
 * deliveries/s, server CPU, and deliveries per server CPU-second (the "at equal CPU" comparison).
 * `--chat-channel ephemeral` runs XPUSH's channels unstored (what the store costs in latency and CPU).
 * `--chat-members N` and `--chat-pace R` (messages/s per user in the latency phase) change the shape:
 * `--chat-members 10 --chat-pace 0.2` is issue 13's 1,000 channels of 10 at 2,000 messages/s.
 */
import type { ClientSpec } from '../load/spec.ts';
import { runLoad } from '../lib/drive.ts';
import { withTarget, type Ctx, type Scenario } from '../lib/ctx.ts';
import { Table } from '../lib/report.ts';
import type { ChannelKind } from '../lib/targets.ts';

export const chat: Scenario = {
  name: 'chat',
  async run(ctx: Ctx) {
    const users = 10_000;
    // Two phases: latency at a realistic chat pace (one message per user every 10 s), then capacity at a
    // pace that saturates every server here (1 msg/s per user), where CPU per delivery is compared.
    const MEMBERS = positive(ctx.option('chat-members') ?? '5', 'chat-members');
    const paceRate = positive(ctx.option('chat-pace') ?? '0.1', 'chat-pace');
    if (!Number.isInteger(MEMBERS) || users % MEMBERS !== 0) throw new Error(`--chat-members must divide ${users}`);
    const rate = 1; // messages per second per user
    const channels = users / MEMBERS;
    const channelKind = (ctx.option('chat-channel') ?? 'durable') as ChannelKind;
    if (channelKind !== 'durable' && channelKind !== 'ephemeral') throw new Error(`--chat-channel must be durable or ephemeral, not ${String(channelKind)}`);
    const table = new Table('chat', `${users.toLocaleString('en-US')} users in ${channels.toLocaleString('en-US')} channels of ${MEMBERS}; latency at ${paceRate} msg/s per user, capacity at ${rate} msg/s per user${channelKind === 'durable' ? '' : `, XPUSH on ${channelKind} channels`}`);
    for (const kind of ctx.kinds) {
      await withTarget(ctx, table, kind, {}, async (target, results) => {
        const names = Array.from({ length: channels }, (_, c) => `chat-${c}`);
        await target.createChannels(names, channelKind);
        const clients: ClientSpec[] = Array.from({ length: users }, (_, i) => {
          const c = Math.floor(i / MEMBERS);
          const members = Array.from({ length: MEMBERS }, (_, k) => c * MEMBERS + k);
          return { u: i, user: `u${i}`, node: 0, subs: [names[c]], pub: names[c], expect: members };
        });
        const [p, r] = await runLoad(target, {
          clients,
          // a channel's members share a worker, so "every member received" is known in one process
          workerOf: (c) => Math.floor(c.u / MEMBERS) % ctx.workers,
          phases: [
            { publish: { mode: 'rate', rate: paceRate, track: MEMBERS }, warmupMs: ctx.full ? 3000 : 1500, measureMs: ctx.full ? 15_000 : 4000 },
            { publish: { mode: 'rate', rate, track: MEMBERS }, warmupMs: ctx.full ? 3000 : 1500, measureMs: ctx.full ? 15_000 : 3000 },
          ],
          workers: ctx.workers,
        });
        results.push(p!, r!);
        return {
          [`latency p50 ms (all members) @${paceRate} msg/s/user`]: p!.done.p50,
          [`latency p99 ms @${paceRate} msg/s/user`]: p!.done.p99,
          [`latency max ms @${paceRate} msg/s/user`]: p!.done.max,
          [`server CPU % @${paceRate} msg/s/user`]: p!.serverCpu,
          [`saturated: latency p99 ms @${rate} msg/s/user`]: r!.done.p99,
          'deliveries/s': r!.deliveredPerSec,
          'server CPU %': r!.serverCpu,
          'deliveries per server CPU-second': r!.serverCpu > 0 ? r!.deliveredPerSec / (r!.serverCpu / 100) : NaN,
          'server RSS MB': r!.serverRssMb,
          'load-gen CPU %': r!.loadCpu,
          'other processes CPU %': r!.otherCpu,
        };
      });
    }
    return [table];
  },
};

function positive(v: string, name: string): number {
  const n = Number(v);
  if (!(n > 0)) throw new Error(`--${name} must be a positive number, not ${v}`);
  return n;
}
