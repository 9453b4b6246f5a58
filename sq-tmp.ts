import { SqliteStore } from '/work/main/src/store/sqlite/sqlite-store.ts';
import fs from 'node:fs';
const dir = fs.mkdtempSync('/tmp/sqb-');
const s = new SqliteStore(dir + '/x.db'); await s.migrate();
await s.apps.create({ id: 'a', name: 'a', key: 'k', secret: 's', createdAt: 1 });
const CH = Number(process.argv[2] ?? 200);
for (let i = 0; i < CH; i++) await s.channels.create({ appId: 'a', name: 'c' + i, type: 'open', data: null, ownerId: null, epoch: 'e', topOffset: 0, createdAt: 1 }, []);
let n = 0; const t0 = performance.now(); const c0 = process.cpuUsage();
for (let b = 0; b < 200; b++) {
  const batch = Array.from({ length: 200 }, (_, i) => ({ appId: 'a', channel: 'c' + (i % CH), id: crypto.randomUUID(), event: 'message', data: { seq: n++, pad: 'x'.repeat(60) }, senderUser: 'u' + (i % CH), senderDevice: 'd', senderClient: 'c', time: Date.now() }));
  await s.messages.append(batch);
}
const ms = performance.now() - t0; const cpu = process.cpuUsage(c0);
console.log(CH, 'channels:', Math.round(n / ms * 1000), 'msg/s', 'cpu µs/msg', ((cpu.user + cpu.system) / n).toFixed(1));
