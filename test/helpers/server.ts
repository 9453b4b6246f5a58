import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { createServer, type XPushServer } from '../../src/index.ts';
import type { ConfigInput } from '../../src/config.ts';

export interface TestApp {
  id: string;
  key: string;
  secret: string;
}

export interface TestServer {
  server: XPushServer;
  /** http://127.0.0.1:PORT */
  url: string;
  /** ws://127.0.0.1:PORT/connection/websocket */
  wsUrl: string;
  adminToken: string;
  dataDir: string;
  /** Creates an app through the admin HTTP endpoint. */
  createApp(name?: string): Promise<TestApp>;
  /** JSON request helper: returns {status, body}. */
  http(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
}

/** Starts a real server on port 0 with a temp SQLite dir; stopped and removed when the test ends. */
export async function startServer(t: TestContext | { after(fn: () => unknown): void }, config: ConfigInput = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xpush-test-'));
  const server = await createServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', adminToken: 'test-admin-token', ...config });
  return wrapServer(t, server, dataDir);
}

/**
 * Starts `server` unless it already runs (a test that registers commands, hooks or routes first builds
 * its own), gives it the test helpers, and stops it and removes `dataDir` when the test ends.
 */
export async function wrapServer(t: { after(fn: () => unknown): void }, server: XPushServer, dataDir: string): Promise<TestServer> {
  if (!server.url) await server.start();
  t.after(async () => {
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const url = server.url;
  const http = async (method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(url + urlPath, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let parsed: any = text;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { /* non-JSON body stays text */ }
    return { status: res.status, body: parsed };
  };
  const adminToken = server.adminToken;
  return {
    server, url, wsUrl: server.wsUrl, adminToken, dataDir, http,
    async createApp(name = 'test-app') {
      const r = await http('POST', '/v1/admin/apps', { name }, { authorization: `Bearer ${adminToken}` });
      if (r.status !== 201) throw new Error(`createApp failed: ${r.status} ${JSON.stringify(r.body)}`);
      return { id: r.body.id, key: r.body.key, secret: r.body.secret };
    },
  };
}
