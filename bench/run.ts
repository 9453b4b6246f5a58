/**
 * XPUSH benchmark suite (issues 4 and 13). `npm run bench` runs the quick suite (~5 minutes),
 * `npm run bench -- --full` the full one. Options:
 *   --only broadcast,acked,chat,ingest,idle,cluster   scenarios to run (default: all)
 *   --servers xpush,socketio,bare,centrifugal         servers to compare (default: all four)
 *   --workers N                                       load-generator processes (default 3)
 *   --acked-channel, --acked-protobuf                 variants of the acked scenario (scenarios/acked.ts)
 *   --chat-channel durable|ephemeral                  XPUSH's channel kind in the chat scenario (scenarios/chat.ts)
 *   --chat-members N, --chat-pace R                   chat's channel size (5) and latency-phase rate per user (0.1 msg/s)
 * Prints one table per scenario, writes bench/results/<timestamp>.json and bench/results/latest.json,
 * and exits 1 if any message was lost, duplicated or reordered, or a run failed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_DIR } from './lib/proc.ts';
import { KINDS, type Kind } from './lib/targets.ts';
import type { Ctx, Scenario } from './lib/ctx.ts';
import type { Table } from './lib/report.ts';
import { broadcast } from './scenarios/broadcast.ts';
import { acked } from './scenarios/acked.ts';
import { chat } from './scenarios/chat.ts';
import { ingest } from './scenarios/ingest.ts';
import { idle } from './scenarios/idle.ts';
import { cluster } from './scenarios/cluster.ts';

const SCENARIOS: Scenario[] = [broadcast, acked, chat, ingest, idle, cluster];
/** The most connections one process holds in any scenario (idle and broadcast: 10,000 on one server). */
const MAX_CONNECTIONS = 10_000;

function option(name: string): string | undefined {
  const argv = process.argv.slice(2);
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i === -1) return undefined;
  return argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
}

/** Node raises its soft fd limit to the hard one at start-up, so the hard limit is what counts. */
function checkOpenFiles(): void {
  const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const soft = Number(line?.split(/\s+/)[3]);
  const need = MAX_CONNECTIONS + 1000;
  if (Number.isFinite(soft) && soft < need) {
    console.error(
      `bench: this process may open only ${soft} files, the servers need ${need} (10,000 connections).\n` +
        `Raise the limit in the shell that runs the bench, e.g. \`ulimit -n 65536 && npm run bench\` ` +
        `(as root, or after raising the hard limit in /etc/security/limits.conf).`,
    );
    process.exit(1);
  }
}

function machine(): object {
  const cpus = os.cpus();
  return { cpu: cpus[0]?.model, cores: cpus.length, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, os: `${os.type()} ${os.release()}` };
}

async function main(): Promise<void> {
  checkOpenFiles();
  const full = process.argv.includes('--full');
  const only = option('only')?.split(',');
  const kinds = (option('servers')?.split(',') ?? KINDS).filter((k): k is Kind => (KINDS as string[]).includes(k));
  const workers = Number(option('workers') ?? 3);
  const selected = SCENARIOS.filter((s) => !only || only.includes(s.name));
  const started = Date.now();
  const ctx: Ctx = {
    full,
    kinds,
    workers,
    option,
    log: (m) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${m}\n`),
  };
  const m = machine();
  console.log(`XPUSH bench (${full ? 'full' : 'quick'}) — ${JSON.stringify(m)}, ${workers} load-generator processes`);
  const tables: Table[] = [];
  for (const s of selected) {
    for (const t of await s.run(ctx)) {
      console.log(t.print(kinds));
      tables.push(t);
    }
  }
  const failures = tables.flatMap((t) => t.failures.map((f) => `${t.name}: ${f}`));
  const result = { startedAt: new Date(started).toISOString(), seconds: (Date.now() - started) / 1000, mode: full ? 'full' : 'quick', machine: m, workers, ok: failures.length === 0, tables };
  const dir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${result.startedAt.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2));
  fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(result, null, 2));
  console.log(`\n${tables.length} tables in ${result.seconds.toFixed(0)} s; results: ${path.relative(process.cwd(), file)}`);
  if (failures.length) {
    console.log(`FAILED: ${failures.length} problem(s):\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  process.exit(0);
}

main().catch((e: Error) => {
  console.error(e.stack ?? e);
  process.exit(1);
});
