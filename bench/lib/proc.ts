/**
 * Child processes of the bench: servers (bench/servers/*.ts) and their resource use. CPU and RSS come
 * from /proc/<pid>/stat|status so no process measures itself on the hot path; memory after GC is asked
 * for over IPC (the servers run with --expose-gc).
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const TICKS_PER_SEC = 100; // CLK_TCK on Linux

/** CPU seconds (user + system, all threads) used so far by process `pid`. */
export function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.sys;
}

/** CPU seconds used so far by process `pid` (all threads), in user space and in the kernel. */
export function cpuTimes(pid: number): { user: number; sys: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) / TICKS_PER_SEC, sys: Number(f[12]) / TICKS_PER_SEC }; // fields 14 and 15: utime, stime
}

export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** CPU use of a set of processes over an interval, in % of one core. */
export class CpuMeter {
  private start: { user: number; sys: number }[] = [];
  private t0 = 0;
  constructor(readonly pids: number[]) {}
  begin(): void {
    this.t0 = performance.now();
    this.start = this.pids.map(cpuTimes);
  }
  /** Total %, busiest process %, and the kernel's part of the total (%) since begin(). */
  end(): { total: number; max: number; sys: number; seconds: number } {
    const secs = (performance.now() - this.t0) / 1000;
    const now = this.pids.map(cpuTimes);
    const used = now.map((t, i) => t.user + t.sys - this.start[i].user - this.start[i].sys);
    const sys = now.reduce((a, t, i) => a + t.sys - this.start[i].sys, 0);
    return { total: (100 * used.reduce((a, b) => a + b, 0)) / secs, max: (100 * Math.max(0, ...used)) / secs, sys: (100 * sys) / secs, seconds: secs };
  }
}

/** Busy CPU of the whole machine (all processes, all cores) over an interval, in % of one core. */
export class MachineMeter {
  private start = [0, 0];
  private static read(): [number, number] {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0); // idle + iowait
    return [f.reduce((a, b) => a + b, 0) - idle, f.reduce((a, b) => a + b, 0)];
  }
  begin(): void {
    this.start = MachineMeter.read();
  }
  end(): number {
    const [busy, total] = MachineMeter.read();
    const cores = fs.readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d/.test(l)).length;
    return (100 * cores * (busy - this.start[0])) / Math.max(1, total - this.start[1]);
  }
}

type Reply = { rid?: number; [k: string]: unknown };

export class ServerProc {
  private rid = 0;
  private waiting = new Map<number, (r: Reply) => void>();
  private stderr = '';
  port = 0;
  constructor(readonly name: string, readonly child: ChildProcess) {
    child.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    child.on('message', (m: Reply) => {
      if (m.rid !== undefined) this.waiting.get(m.rid)?.(m);
    });
  }
  get pid(): number {
    return this.child.pid!;
  }

  /** Starts bench/servers/<script>.ts and waits for its port. Rejects with the reason it did not start. */
  static start(script: string, args: string[], timeoutMs = 60_000): Promise<ServerProc> {
    const child = fork(path.join(BENCH_DIR, 'servers', `${script}.ts`), args, {
      execArgv: [
        '--import', 'tsx', '--expose-gc',
        ...(process.env.BENCH_SERVER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVER_PROF}`] : []),
        // V8/Node flags for the server processes only (e.g. GC settings), space-separated
        ...(process.env.BENCH_SERVER_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      ],
      // BENCH_SERVER_STDOUT=1 lets the servers' standard output through (what V8 flags such as --trace-gc-nvp print).
      stdio: ['ignore', process.env.BENCH_SERVER_STDOUT ? 'inherit' : 'ignore', 'pipe', 'ipc'],
    });
    const sp = new ServerProc(script, child);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${script}: not listening after ${timeoutMs} ms`));
      }, timeoutMs);
      child.on('message', (m: { type?: string; port?: number; message?: string }) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          sp.port = m.port!;
          resolve(sp);
        } else if (m.type === 'fatal') {
          clearTimeout(timer);
          reject(new Error((m.message ?? 'failed').split('\n')[0].replace(/^Error: /, '')));
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited with ${code}: ${firstLines(sp.stderr) || 'no output'}`));
      });
    });
  }

  private ask(msg: object, timeoutMs = 30_000): Promise<Reply> {
    const rid = ++this.rid;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no answer to ${JSON.stringify(msg)}`)), timeoutMs);
      this.waiting.set(rid, (r) => {
        clearTimeout(timer);
        this.waiting.delete(rid);
        resolve(r);
      });
      this.child.send({ ...msg, rid });
    });
  }

  /** process.memoryUsage() of the server, after a full GC when `gc`. */
  async memory(gc = true): Promise<NodeJS.MemoryUsage> {
    return (await this.ask({ type: 'mem', gc })).mem as NodeJS.MemoryUsage;
  }

  /** Writes a V8 heap snapshot of the server to `file` (blocks the server meanwhile: seconds at 10,000 connections). */
  async heapSnapshot(file: string): Promise<string> {
    return (await this.ask({ type: 'snap', file }, 300_000)).file as string;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    await this.ask({ type: 'stop' }, 8000).catch(() => undefined);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }
}

function firstLines(s: string): string {
  return s.split('\n').filter((l) => l.trim()).slice(0, 3).join(' | ').slice(0, 400);
}
