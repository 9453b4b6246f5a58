/**
 * An XPUSH server for the benchmarks. `--config <json>` is merged over the bench defaults (loopback,
 * port 0, silent logs, admin token `bench`, no per-connection command rate limit — the load generator
 * publishes far faster than a person, and the references have no limit either).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { arg, serve } from './child.ts';

serve(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-bench-'));
  const extra = JSON.parse(arg('config') ?? '{}') as Record<string, unknown>;
  const config = { host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', adminToken: 'bench', maxCommandsPerSecond: 0, ...extra };
  // imported here, not at the top, so a half-written server reports a reason instead of a stack
  let mod: typeof import('../../src/index.ts');
  try {
    mod = await import('../../src/index.ts');
  } catch (e) {
    throw new Error(`cannot load src/index.ts: ${(e as Error).message.split('\n')[0]}`);
  }
  const server = await mod.createServer(config as Parameters<typeof mod.createServer>[0]);
  await server.start();
  return {
    port: Number(new URL(server.url).port),
    async stop() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
