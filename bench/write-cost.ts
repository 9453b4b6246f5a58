/**
 * What one socket write costs on this machine, by size: the floor under every server's CPU per
 * delivery (a server spends about this per write, divided by the publications the write carries).
 * 1,000 loopback TCP connections read by two child processes; each event-loop turn writes one buffer
 * of the given size to every connection that is not backed up; CPU (user and kernel) per write is
 * read from process.cpuUsage() over 2 s per size, three rounds.
 *
 *   node --import tsx bench/write-cost.ts [size …]     (default: 256 4096 16384 bytes)
 */
import net, { type Socket } from 'node:net';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CONNECTIONS = 1000;
const SECONDS = 2;
const BACKED_UP = 1 << 20;

if (process.argv[2] === '--reader') {
  const [port, n] = [Number(process.argv[3]), Number(process.argv[4])];
  for (let i = 0; i < n; i++) net.connect(port, '127.0.0.1').on('data', () => undefined);
} else {
  const sizes = process.argv.slice(2).map(Number);
  await measure(sizes.length ? sizes : [256, 4096, 16384]);
}

async function measure(sizes: number[]): Promise<void> {
  const socks: Socket[] = [];
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    socks.push(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const self = fileURLToPath(import.meta.url);
  const readers = [0, 1].map(() => fork(self, ['--reader', String(port), String(CONNECTIONS / 2)], { execArgv: ['--import', 'tsx'] }));
  while (socks.length < CONNECTIONS) await new Promise((r) => setTimeout(r, 50));
  console.log('bytes\twrites\tuser µs/write\tkernel µs/write\ttotal µs/write');
  for (let round = 0; round < 3; round++) {
    for (const size of sizes) {
      const buf = Buffer.alloc(size, 97);
      let writes = 0;
      const t0 = Date.now();
      const c0 = process.cpuUsage();
      await new Promise<void>((done) => {
        const turn = (): void => {
          for (const s of socks) {
            if (s.writableLength < BACKED_UP) {
              s.write(buf);
              writes++;
            }
          }
          if (Date.now() - t0 < SECONDS * 1000) setImmediate(turn);
          else done();
        };
        turn();
      });
      const c = process.cpuUsage(c0);
      console.log([size, writes, (c.user / writes).toFixed(2), (c.system / writes).toFixed(2), ((c.user + c.system) / writes).toFixed(2)].join('\t'));
      await new Promise((r) => setTimeout(r, 300)); // let the readers catch up
    }
  }
  for (const r of readers) r.kill();
  process.exit(0);
}
