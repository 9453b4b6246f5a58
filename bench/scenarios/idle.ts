/**
 * idle: server memory per idle connection at 10,000 connections: RSS after a full GC with the
 * connections open, minus RSS after a full GC before they opened, divided by the count. XPUSH and
 * Socket.IO connections are authenticated (token checked); bare ws connections just open.
 * BENCH_HEAPSNAP=<dir> also writes a heap snapshot of each server at both points (after the figures
 * are taken); `bench/heap-diff.ts` tells what the connections added, per connection.
 */
import { connectClients, sleep } from '../lib/drive.ts';
import { withTarget, type Ctx, type Scenario } from '../lib/ctx.ts';
import { Table } from '../lib/report.ts';
import type { ClientSpec } from '../load/spec.ts';
import { CpuMeter } from '../lib/proc.ts';
import fs from 'node:fs';
import path from 'node:path';

export const idle: Scenario = {
  name: 'idle',
  async run(ctx: Ctx) {
    const n = 10_000;
    const table = new Table('idle', `${n.toLocaleString('en-US')} idle authenticated connections`);
    for (const kind of ctx.kinds) {
      await withTarget(ctx, table, kind, {}, async (target) => {
        const server = target.procs[0];
        await sleep(500);
        const before = await server.memory(true);
        const snapDir = process.env.BENCH_HEAPSNAP;
        const snap = (at: string): Promise<string> => server.heapSnapshot(path.resolve(snapDir!, `idle-${kind}-${at}.heapsnapshot`));
        // The snapshot before is written after `before` is read; it can raise the RSS read after, so a run with
        // snapshots is for heap-diff.ts, not for the RSS figure.
        if (snapDir) fs.mkdirSync(snapDir, { recursive: true });
        const snapBefore = snapDir ? await snap('0') : undefined;
        const clients: ClientSpec[] = Array.from({ length: n }, (_, i) => ({ u: i, user: `i${i}`, node: 0, subs: [], expect: [] }));
        const { pool } = await connectClients(target, { clients: [], workers: ctx.workers });
        const cpu = new CpuMeter([server.pid]);
        cpu.begin();
        const t0 = performance.now();
        await connectClients(target, { clients, workers: ctx.workers }, pool);
        const connectSec = (performance.now() - t0) / 1000;
        const connectCpu = cpu.end();
        try {
          await sleep(ctx.full ? 3000 : 1000);
          const after = await server.memory(true);
          if (snapDir) {
            const snapAfter = await snap(String(n));
            table.notes.push(`heap snapshots (the RSS figure above includes what writing the first one took): node --max-old-space-size=8192 --import tsx bench/heap-diff.ts ${snapBefore} ${snapAfter} ${n}`);
          }
          return {
            'KB per connection (RSS)': (after.rss - before.rss) / n / 1024,
            'KB per connection (JS heap)': (after.heapUsed - before.heapUsed) / n / 1024,
            'server RSS MB, no connections': before.rss / 2 ** 20,
            'server RSS MB, all connected': after.rss / 2 ** 20,
            'connections/s while connecting': n / connectSec,
            'server CPU µs per connect': (connectCpu.total * connectCpu.seconds * 1e4) / n,
          };
        } finally {
          await pool.close();
        }
      });
    }
    return [table];
  },
};
