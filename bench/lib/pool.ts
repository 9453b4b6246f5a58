/** The load generator: several forked worker processes (bench/load/worker.ts), driven over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { BENCH_DIR } from './proc.ts';
import type { WorkerCmd } from '../load/spec.ts';

const LOAD_NICE = 10;

type Reply = { rid?: number; ok?: boolean; r?: unknown; error?: string; ev?: string; v?: number };

export class LoadPool {
  private rid = 0;
  private waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Called with (worker index, value) for unsolicited `min` progress events (window mode). */
  onMin: ((w: number, v: number) => void) | undefined;

  private constructor(readonly workers: ChildProcess[]) {
    workers.forEach((w, i) => {
      w.on('message', (m: Reply) => {
        if (m.ev === 'min') return this.onMin?.(i, m.v!);
        const p = this.waiting.get(m.rid!);
        if (!p) return;
        this.waiting.delete(m.rid!);
        if (m.ok) p.resolve(m.r);
        else p.reject(new Error(`load worker ${i}: ${m.error}`));
      });
      w.on('exit', (code) => {
        for (const p of this.waiting.values()) p.reject(new Error(`load worker ${i} exited (${code})`));
        this.waiting.clear();
      });
    });
  }

  static async start(n: number): Promise<LoadPool> {
    const workers = Array.from({ length: n }, () =>
      fork(path.join(BENCH_DIR, 'load', 'worker.ts'), [], { execArgv: ['--import', 'tsx', ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROF] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    await Promise.all(workers.map((w) => new Promise((r) => w.once('spawn', r))));
    return new LoadPool(workers);
  }

  /**
   * Throughput phases: the server under test is one process and the workers are several, so at equal
   * priority the scheduler would give the load generator most of a 2-core machine. A lower priority
   * lets the server take a whole core when it has work and the workers use whatever is left.
   * Latency phases run at normal priority so a delivery is timed when it arrives (going back to 0
   * needs CAP_SYS_NICE; without it the workers stay niced and that is printed).
   */
  setPriority(throughput: boolean, keepNormal: number[] = []): void {
    for (const [i, w] of this.workers.entries()) {
      try {
        os.setPriority(w.pid!, throughput && !keepNormal.includes(i) ? LOAD_NICE : 0);
      } catch {
        if (!this.warned) process.stderr.write('bench: cannot restore the load generator priority (needs CAP_SYS_NICE); latency includes its scheduling\n');
        this.warned = true;
      }
    }
  }
  private warned = false;

  get pids(): number[] {
    return this.workers.map((w) => w.pid!);
  }

  send<T>(w: number, cmd: WorkerCmd): Promise<T> {
    const rid = ++this.rid;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(rid, { resolve: resolve as (v: unknown) => void, reject });
      this.workers[w].send({ ...cmd, rid });
    });
  }

  /** Sends `cmd(i)` to every worker i (skipping undefined) and waits for all replies. */
  all<T>(cmd: (w: number) => WorkerCmd | undefined): Promise<T[]> {
    return Promise.all(this.workers.map((_, i) => cmd(i)).flatMap((c, i) => (c ? [this.send<T>(i, c)] : [])));
  }

  async close(): Promise<void> {
    await this.all(() => ({ cmd: 'close' })).catch(() => undefined);
    await Promise.all(
      this.workers.map((w) => {
        if (w.exitCode !== null) return undefined;
        const done = new Promise((r) => w.once('exit', r));
        w.disconnect();
        const t = setTimeout(() => w.kill('SIGKILL'), 3000);
        return done.then(() => clearTimeout(t));
      }),
    );
  }
}
