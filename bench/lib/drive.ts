/**
 * Runs one load against one target: connect every client (spread over the workers), publish, measure
 * a window after a warm-up, stop, wait for every message to arrive, and check there was no loss,
 * duplicate or reordering. All figures are per second of the measured window.
 */
import type { ClientSpec, DrainReply, Encoding, EncodingTally, MarkReply, PublishCmd } from '../load/spec.ts';
import { LoadPool } from './pool.ts';
import { CpuMeter, MachineMeter, rssBytes } from './proc.ts';
import { summarize, type Summary } from './stats.ts';
import type { Target } from './targets.ts';

/** One publishing phase on the same connections: the next phase continues the sequences. */
export interface Phase {
  publish: Omit<PublishCmd, 'cmd'>;
  /**
   * How many messages the publisher may be ahead of the slowest subscriber: window mode's pace
   * (default 64); in closed mode an optional safety bound on top of the acks.
   */
  window?: number;
  warmupMs: number;
  measureMs: number;
  /** Once publishing stopped, how long to wait for the last messages after the latest arrival. Default 20 s. */
  drainMs?: number;
}

export interface LoadPlan {
  clients: ClientSpec[];
  /** Which worker holds client i. Default round-robin. */
  workerOf?: (c: ClientSpec, i: number) => number;
  phases: Phase[];
  workers: number;
  dataBytes?: number;
  /**
   * Workers that stay at normal priority in throughput phases: a publisher with a process of its own
   * (acked broadcast) must react to its acks at once, not after the niced subscribers' turn.
   */
  normalPriority?: number[];
  /** Extra CPU meter sampled over the same window (e.g. Redis in the cluster). */
  extraCpu?: () => Promise<number>;
}

export interface LoadResult {
  setupSec: number;
  deliveredPerSec: number;
  publishedPerSec: number;
  ackedPerSec: number;
  /** Closed mode with a window: % of the acks after which the publisher had to wait for the subscribers. */
  heldPct: number;
  /** Subscribers' WebSocket frames, TCP reads and bytes received per second. */
  framesPerSec: number;
  readsPerSec: number;
  bytesPerSec: number;
  /** The measured window in CLOCK_MONOTONIC µs (the clock of V8 CPU profiles), to cut a profile to it. */
  windowUs: [number, number];
  serverCpu: number;
  /** The part of serverCpu spent in the kernel (system calls: socket writes, fsync…), % of one core. */
  serverSysCpu: number;
  serverCpuMax: number;
  loadCpu: number;
  loadCpuMax: number;
  extraCpu?: number;
  /** CPU used by everything else on the machine meanwhile (% of one core): non-zero means a noisy run. */
  otherCpu: number;
  serverRssMb: number;
  lat: Summary;
  done: Summary;
  ack: Summary;
  errors: { lost: number; dup: number; ooo: number; unacked: number; offsetErrors: number; failures: number };
  reasons: string[];
  /** Messages published from the start of the run (every publisher's last sequence), after the drain. */
  published: number;
  /** The subscribers of each encoding (JSON, Protobuf) and what they received, from the start of the run. */
  byEncoding: Record<Encoding, EncodingTally>;
}

/** Connects and subscribes every client of the plan (in a new pool, or in `existing`). */
export async function connectClients(
  target: Target,
  plan: Pick<LoadPlan, 'clients' | 'workerOf' | 'workers' | 'dataBytes'>,
  existing?: LoadPool,
): Promise<{ pool: LoadPool; owner: number[] }> {
  const pool = existing ?? (await LoadPool.start(plan.workers));
  const per: ClientSpec[][] = Array.from({ length: plan.workers }, () => []);
  const owner: number[] = [];
  plan.clients.forEach((c, i) => {
    const w = plan.workerOf ? plan.workerOf(c, i) : i % plan.workers;
    owner[c.u] = w;
    per[w].push(c);
  });
  try {
    const res = await pool.all<{ ready: number; failed: number; reasons: string[] }>((w) => ({
      cmd: 'setup', proto: target.proto, urls: target.urls, auth: target.auth, clients: per[w], dataBytes: plan.dataBytes ?? 100, concurrency: 64,
    }));
    const failed = res.reduce((a, r) => a + r.failed, 0);
    if (failed) throw new Error(`${failed} of ${plan.clients.length} clients could not connect/subscribe: ${res.flatMap((r) => r.reasons).slice(0, 3).join('; ')}`);
  } catch (e) {
    await pool.close();
    throw e;
  }
  return { pool, owner };
}

/** Connects the clients once, then runs each phase on them; one result per phase. */
export async function runLoad(target: Target, plan: LoadPlan): Promise<LoadResult[]> {
  const t0 = performance.now();
  const { pool, owner } = await connectClients(target, plan);
  const setupSec = (performance.now() - t0) / 1000;
  if (process.env.BENCH_DEBUG) process.stderr.write(`  ${plan.clients.length} clients ready in ${setupSec.toFixed(1)} s\n`);
  try {
    const out: LoadResult[] = [];
    for (const phase of plan.phases) out.push({ ...(await runPhase(target, plan, phase, pool, owner)), setupSec });
    return out;
  } finally {
    pool.onMin = undefined;
    await pool.close();
  }
}

async function runPhase(target: Target, plan: LoadPlan, phase: Phase, pool: LoadPool, owner: number[]): Promise<Omit<LoadResult, 'setupSec'>> {
  const window = phase.window ?? (phase.publish.mode === 'window' ? 64 : 0);
  pool.setPriority(phase.publish.mode !== 'rate', plan.normalPriority);
  if (window) startCredit(pool, plan, owner, window);
  await pool.all(() => ({ cmd: 'publish', ...phase.publish, credit: window > 0 }));
  await sleep(phase.warmupMs);

  const server = new CpuMeter(target.procs.map((p) => p.pid));
  const load = new CpuMeter(pool.pids);
  const machine = new MachineMeter();
  const extra0 = await plan.extraCpu?.();
  machine.begin();
  server.begin();
  load.begin();
  const m0 = await pool.all<MarkReply>(() => ({ cmd: 'mark', measuring: true }));
  await sleep(phase.measureMs);
  const m1 = await pool.all<MarkReply>(() => ({ cmd: 'mark', measuring: false }));
  const sc = server.end();
  const lc = load.end();
  const busy = machine.end();
  const extra1 = await plan.extraCpu?.();
  const serverRssMb = target.procs.reduce((a, p) => a + rssBytes(p.pid), 0) / 2 ** 20;

  const stops = await pool.all<{ finals: [number, number][] }>(() => ({ cmd: 'stop' }));
  pool.onMin = undefined;
  const finals = stops.flatMap((s) => s.finals);
  const tDrain = performance.now();
  const drains = await pool.all<DrainReply>(() => ({ cmd: 'drain', finals, timeoutMs: phase.drainMs ?? 20_000 }));
  if (process.env.BENCH_DEBUG) process.stderr.write(`  phase ${JSON.stringify(phase.publish)}: drained in ${((performance.now() - tDrain) / 1000).toFixed(1)} s\n`);

  const windowUs: [number, number] = [Math.min(...m0.map((m) => m.t)), Math.max(...m1.map((m) => m.t))];
  if (process.env.BENCH_SERVER_PROF) {
    const delivered = m1.reduce((a, r, i) => a + r.delivered - m0[i].delivered, 0);
    process.stderr.write(`  measured window (for bench/prof-top.ts): --window ${windowUs.join(',')} --per ${delivered}  (deliveries)\n`);
  }
  const extraCpu = extra0 !== undefined && extra1 !== undefined ? (100 * (extra1 - extra0)) / sc.seconds : undefined;
  const rate = (k: keyof MarkReply): number => m1.reduce((a, r, i) => a + (r[k] - m0[i][k]) / ((r.t - m0[i].t) / 1e6), 0);
  const sum = (k: keyof LoadResult['errors']): number => drains.reduce((a, d) => a + d[k], 0);
  return {
    deliveredPerSec: rate('delivered'),
    publishedPerSec: rate('published'),
    ackedPerSec: rate('acked'),
    heldPct: rate('acked') > 0 ? (100 * rate('held')) / rate('acked') : 0,
    framesPerSec: rate('frames'),
    readsPerSec: rate('reads'),
    bytesPerSec: rate('bytesIn'),
    windowUs,
    serverCpu: sc.total,
    serverSysCpu: sc.sys,
    serverCpuMax: sc.max,
    loadCpu: lc.total,
    loadCpuMax: lc.max,
    extraCpu,
    otherCpu: Math.max(0, busy - sc.total - lc.total - (extraCpu ?? 0)),
    serverRssMb,
    lat: summarize(drains.flatMap((d) => d.lat)),
    done: summarize(drains.flatMap((d) => d.done)),
    ack: summarize(drains.flatMap((d) => d.ack)),
    errors: { lost: sum('lost'), dup: sum('dup'), ooo: sum('ooo'), unacked: sum('unacked'), offsetErrors: sum('offsetErrors'), failures: sum('failures') },
    reasons: drains.flatMap((d) => d.reasons).slice(0, 10),
    published: finals.reduce((a, [, seq]) => a + seq, 0),
    byEncoding: { json: tally(drains, 'json'), protobuf: tally(drains, 'protobuf') },
  };
}

function tally(drains: DrainReply[], e: Encoding): EncodingTally {
  const t: EncodingTally = { subscribers: 0, received: 0, lost: 0 };
  for (const d of drains) {
    t.subscribers += d.byEncoding[e].subscribers;
    t.received += d.byEncoding[e].received;
    t.lost += d.byEncoding[e].lost;
  }
  return t;
}

/** The publisher may run `window` messages ahead of the slowest subscriber anywhere. */
function startCredit(pool: LoadPool, plan: LoadPlan, owner: number[], window: number): void {
  const watching = new Set(plan.clients.filter((c) => c.expect.length).map((c) => owner[c.u]));
  const mins = new Map<number, number>();
  let sent = 0;
  pool.onMin = (w, v) => {
    mins.set(w, v);
    if (mins.size < watching.size) return;
    const credit = Math.min(...mins.values()) + window;
    if (credit > sent) {
      sent = credit;
      void sendCredit(pool, plan, owner, credit);
    }
  };
}

function sendCredit(pool: LoadPool, plan: LoadPlan, owner: number[], upTo: number): Promise<unknown> {
  const w = owner[plan.clients.find((c) => c.pub)!.u];
  return pool.send(w, { cmd: 'credit', upTo }).catch(() => undefined);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Total errors of a run: anything non-zero fails the bench. */
export function errorCount(r: LoadResult): number {
  const e = r.errors;
  return e.lost + e.dup + e.ooo + e.unacked + e.offsetErrors + e.failures;
}
