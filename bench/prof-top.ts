/**
 * Summarises a V8 CPU profile (`BENCH_SERVER_PROF=<dir>` writes one per server process): where the
 * CPU went, by self time and by inclusive time per function, optionally only inside a time window
 * (the measured window the bench prints when profiling, in CLOCK_MONOTONIC µs, the profile's clock).
 *
 *   node --import tsx bench/prof-top.ts <file.cpuprofile> [--window <fromUs>,<toUs>] [--top 30] [--per <deliveries>]
 *
 * `--per N`: also print each line as CPU µs per unit, N being how many units (e.g. deliveries) the
 * window saw — "µs per delivery" per function.
 */
import fs from 'node:fs';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfNode { id: number; callFrame: CallFrame; children?: number[] }
interface Profile { nodes: ProfNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

function label(f: CallFrame): string {
  const name = f.functionName || '(anonymous)';
  if (!f.url) return name;
  const url = f.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '~/').replace(/^.*\/(src|bench)\//, '$1/');
  // files loaded through tsx report line 0 for every function: show a line only when there is one
  return f.lineNumber > 0 ? `${name} ${url}:${f.lineNumber + 1}` : `${name} ${url}`;
}

function main(): void {
  const file = process.argv[2];
  if (!file) throw new Error('usage: prof-top.ts <file.cpuprofile> [--window from,to] [--top N] [--per N]');
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const [from, to] = (option('window') ?? `0,${Number.MAX_SAFE_INTEGER}`).split(',').map(Number);
  const top = Number(option('top') ?? 30);
  const per = option('per') ? Number(option('per')) : undefined;

  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (t < from || t > to) continue;
    const dt = p.timeDeltas[i + 1] ?? 0; // the sample stands for the time until the next one
    const node = byId.get(p.samples[i]!)!;
    const key = label(node.callFrame);
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    total += dt;
    self.set(key, (self.get(key) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const k = label(byId.get(id)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + dt);
    }
  }
  const wall = total + idle;
  const out: string[] = [];
  out.push(`window ${(wall / 1e6).toFixed(2)} s: busy ${(total / 1e6).toFixed(2)} s (${((100 * total) / Math.max(1, wall)).toFixed(1)} %)` + (per ? `, ${per} units: ${(total / per).toFixed(3)} µs busy per unit` : ''));
  const print = (title: string, m: Map<string, number>): void => {
    out.push(`\n${title} (% of busy time${per ? ', µs per unit' : ''})`);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      out.push(`${((100 * v) / total).toFixed(1).padStart(6)} %${per ? `  ${(v / per).toFixed(4).padStart(8)}` : ''}  ${k}`);
    }
  };
  print('self time', self);
  print('inclusive time', incl);
  process.stdout.write(out.join('\n') + '\n'); // one write: piping into `head` ends quietly
}

main();
