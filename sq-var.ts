import { SqliteStore } from '/work/main/src/store/sqlite/sqlite-store.ts';
import fs from 'node:fs';
// Variant runner: PRAGMAS env (';'-separated) applied after open. Reports msg/s and per-batch ms percentiles.
const dir = fs.mkdtempSync('/tmp/sqv-');
const s = new SqliteStore(dir + '/x.db'); await s.migrate();
const db = (s as any).db;
for (const p of (process.env.PRAGMAS ?? '').split(';').filter(Boolean)) db.pragma(p);
await s.apps.create({ id: 'app-0123456789', name: 'a', key: 'k', secret: 's', createdAt: 1 });
const CH = Number(process.env.CH ?? 200), BS = Number(process.env.BS ?? 200), NB = Number(process.env.NB ?? 400);
for (let i = 0; i < CH; i++) await s.channels.create({ appId: 'app-0123456789', name: 'in-' + i, type: 'open', data: null, ownerId: null, epoch: 'e', topOffset: 0, createdAt: 1 }, []);
let n = 0; const times: number[] = [];
const mk = () => Array.from({ length: BS }, (_, i) => ({ appId: 'app-0123456789', channel: 'in-' + ((n + i) % CH), id: crypto.randomUUID(), event: 'message', data: { xu: i, xs: n, xt: 123456789012, p: 'a'.repeat(40) }, senderUser: 'p' + ((n + i) % CH), senderDevice: 'dev-' + i, senderClient: 'cli-' + i, time: Date.now() }));
const c0 = process.cpuUsage(); const t0 = performance.now();
for (let b = 0; b < NB; b++) { const batch = mk(); n += BS; const t = performance.now(); await s.messages.append(batch); times.push(performance.now() - t); }
const ms = performance.now() - t0; const cpu = process.cpuUsage(c0);
times.sort((a, b) => a - b);
const pct = (q: number) => times[Math.floor(q * (times.length - 1))]!.toFixed(2);
console.log(`${process.env.PRAGMAS ?? '-'} | ${Math.round(n / ms * 1000)} msg/s | batch ms p50 ${pct(0.5)} p90 ${pct(0.9)} p99 ${pct(0.99)} max ${pct(1)} | cpu µs/msg ${((cpu.user + cpu.system) / n).toFixed(1)} | mean ${(times.reduce((a, b) => a + b) / times.length).toFixed(2)}`);
await s.close(); fs.rmSync(dir, { recursive: true });
