/**
 * Shared plumbing of every benchmarked server process: tell the parent the port once listening,
 * answer memory requests (after a full GC, the process runs with --expose-gc), write heap snapshots
 * and stop on request.
 * CPU is read by the parent from /proc/<pid>/stat, so nothing here runs on the hot path.
 */
import path from 'node:path';
import v8 from 'node:v8';
import { startLoopStats } from './loop-stats.ts';

export interface Running {
  port: number;
  stop(): Promise<void>;
}

type Msg = { type: 'mem'; gc: boolean; rid: number } | { type: 'snap'; file: string; rid: number } | { type: 'stop'; rid: number };

export function serve(start: () => Promise<Running>): void {
  const stats = process.env.BENCH_SERVER_LOOPSTAT;
  if (stats) startLoopStats(`${stats}.${path.basename(process.argv[1] ?? 'server', '.ts')}.${process.pid}`);
  start().then(
    (r) => {
      process.on('message', (m: Msg) => {
        if (m.type === 'mem') {
          if (m.gc && global.gc) {
            // two passes: the first may only queue finalizers (sockets, buffers) for the second
            global.gc();
            global.gc();
          }
          process.send!({ rid: m.rid, mem: process.memoryUsage() });
        } else if (m.type === 'snap') {
          // synchronous: the reply leaves once the file is complete
          process.send!({ rid: m.rid, file: v8.writeHeapSnapshot(m.file) });
        } else if (m.type === 'stop') {
          const done = (): void => {
            process.send!({ rid: m.rid, stopped: true }, () => process.exit(0));
          };
          Promise.race([r.stop(), new Promise((res) => setTimeout(res, 3000))]).then(done, done);
        }
      });
      process.send!({ type: 'ready', port: r.port, pid: process.pid });
    },
    (e: Error) => {
      process.send!({ type: 'fatal', message: e?.stack ?? String(e) }, () => process.exit(1));
    },
  );
  process.on('disconnect', () => process.exit(0));
}

/** Command-line option `--name value` of this process, or undefined. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}
