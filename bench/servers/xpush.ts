/**
 * An XPUSH server for the benchmarks. `--config <json>` is merged over the bench defaults (loopback,
 * port 0, silent logs, admin token `bench`, no per-connection command rate limit — the load generator
 * publishes far faster than a person, and the references have no limit either).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { arg, serve } from './child.ts';

interface StartedServer {
  start(): Promise<unknown>;
  stop?(): Promise<void>;
  close?(): Promise<void>;
  port?: number;
  address?(): { port: number } | string | null;
}

/** The listening port, whichever way this server exposes it (start() result, a field or address()). */
function portOf(server: StartedServer, started: unknown): number {
  const fromStart = started as { port?: number } | number | undefined;
  if (typeof fromStart === 'number') return fromStart;
  if (fromStart && typeof fromStart.port === 'number') return fromStart.port;
  if (typeof server.port === 'number' && server.port > 0) return server.port;
  const a = server.address?.();
  if (a && typeof a === 'object') return a.port;
  throw new Error('cannot tell which port the XPUSH server listens on (start() result, server.port, server.address())');
}

serve(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-bench-'));
  const extra = JSON.parse(arg('config') ?? '{}') as Record<string, unknown>;
  const config = { host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', adminToken: 'bench', maxCommandsPerSecond: 0, ...extra };
  let mod: { createServer?: (c: unknown) => StartedServer };
  try {
    mod = (await import('../../src/index.ts')) as typeof mod;
  } catch (e) {
    throw new Error(`cannot load src/index.ts: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof mod.createServer !== 'function') throw new Error('src/index.ts does not export createServer yet');
  const server = mod.createServer(config);
  const started = await server.start();
  return {
    port: portOf(server, started),
    async stop() {
      await (server.stop ?? server.close)?.call(server);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
