import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

/**
 * An app's backend written with plain node:http, standing in for one in any language: it receives
 * XPUSH's proxy calls and webhook batches, checks their signatures with the JavaScript check shown in
 * docs/webhooks.md (loaded from the doc itself, so the doc's code is the code under test), and
 * answers what the test's handler says.
 */
export interface BackendRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: any;
  /** The docs' signature check passed with the app secret known at the time. */
  signed: boolean;
  at: number;
}

/** What the handler answers: a JSON body (status 200), or a status and optional body; 'hang' never answers. */
export type Answer = { status?: number; json?: unknown; text?: string; delayMs?: number } | 'hang';

export interface Backend {
  url: string;
  readonly requests: BackendRequest[];
  /** Requests to one path. */
  on(p: string): BackendRequest[];
  close(): Promise<void>;
}

let verifier: Promise<(secret: string, body: string, header: string | undefined) => boolean> | undefined;

/** The ```js block of docs/webhooks.md that defines `verifyXPush`, imported as a module. */
export function docsVerifier(): Promise<(secret: string, body: string, header: string | undefined) => boolean> {
  verifier ??= (async () => {
    const md = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/webhooks.md'), 'utf8');
    const block = /```js\n([\s\S]*?export function verifyXPush[\s\S]*?)```/.exec(md);
    if (!block) throw new Error('docs/webhooks.md has no ```js block exporting verifyXPush');
    const mod = await import('data:text/javascript,' + encodeURIComponent(block[1]!));
    return mod.verifyXPush;
  })();
  return verifier;
}

export async function startBackend(
  t: { after(fn: () => unknown): void },
  secret: () => string,
  handler: (req: BackendRequest) => Answer | Promise<Answer>,
): Promise<Backend> {
  const verify = await docsVerifier();
  const requests: BackendRequest[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try { body = JSON.parse(raw); } catch { body = undefined; }
      const header = req.headers['x-xpush-signature'];
      const rec: BackendRequest = { path: req.url ?? '', headers: req.headers, raw, body, signed: verify(secret(), raw, typeof header === 'string' ? header : undefined), at: Date.now() };
      requests.push(rec);
      const a = await handler(rec);
      if (a === 'hang') {
        hanging.add(res);
        return;
      }
      if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
      const text = a.text ?? (a.json !== undefined ? JSON.stringify(a.json) : '');
      res.writeHead(a.status ?? 200, { 'content-type': a.text !== undefined ? 'text/plain' : 'application/json' });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async (): Promise<void> => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  t.after(close);
  return { url, requests, on: (p) => requests.filter((r) => r.path === p), close };
}
