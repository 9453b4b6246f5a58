import { SqliteStore } from '/work/main/src/store/sqlite/sqlite-store.ts';
import fs from 'node:fs';
// Counts WAL pages written per batch (autocheckpoint off) and commit time.
const dir = fs.mkdtempSync('/tmp/sqp-');
const s = new SqliteStore(dir + '/x.db'); await s.migrate();
const db = (s as any).db;
db.pragma('wal_autocheckpoint = 0');
await s.apps.create({ id: 'a', name: 'a', key: 'k', secret: 's', createdAt: 1 });
const CH = Number(process.argv[2] ?? 200);
const IDEM = process.env.IDEM === '1';
for (let i = 0; i < CH; i++) await s.channels.create({ appId: 'a', name: 'c' + i, type: 'open', data: null, ownerId: null, epoch: 'e', topOffset: 0, createdAt: 1 }, []);
let n = 0;
const B = Number(process.env.B ?? 100);
// warm: 
for (let b = 0; b < 50; b++) await s.messages.append(Array.from({ length: 200 }, (_, i) => ({ appId: 'a', channel: 'c' + (i % CH), id: crypto.randomUUID(), idempotent: IDEM, event: 'message', data: { seq: n++, pad: 'x'.repeat(60) }, senderUser: 'u' + (i % CH), senderDevice: 'd', senderClient: 'c', time: Date.now() })));
db.pragma('wal_checkpoint(TRUNCATE)');
const t0 = performance.now();
for (let b = 0; b < B; b++) {
  const batch = Array.from({ length: 200 }, (_, i) => ({ appId: 'a', channel: 'c' + (i % CH), id: crypto.randomUUID(), idempotent: IDEM, event: 'message', data: { seq: n++, pad: 'x'.repeat(60) }, senderUser: 'u' + (i % CH), senderDevice: 'd', senderClient: 'c', time: Date.now() }));
  await s.messages.append(batch);
}
const ms = performance.now() - t0;
const wal = fs.statSync(dir + '/x.db-wal').size;
const pageSize = db.pragma('page_size', { simple: true });
console.log(`idem=${IDEM} pages/batch=${(wal / (pageSize + 24) / B).toFixed(0)} ms/batch(no ckpt)=${(ms / B).toFixed(2)}`);
await s.close(); fs.rmSync(dir, { recursive: true });
