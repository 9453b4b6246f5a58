// The XPUSH web chat demo: one command starts an XPUSH server with the demo's app and serves the
// page. Run from the repository root: node --import tsx examples/chat-web/server.ts
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { createServer, type ConfigInput, type XPushServer } from '../../src/index.ts';
import { createApp } from '../../src/session/routes/admin.ts';
import { createChannel } from '../../src/domain/channels.ts';
import { typingPlugin } from './typing.ts';

const WEB = path.join(path.dirname(fileURLToPath(import.meta.url)), 'web');
export const DEMO_APP_NAME = 'chat-web';
/** The open channel every user joins on first login. */
export const LOBBY = 'general';

/** Same rules as the admin console: own scripts and styles only, talk to this origin only. */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

export interface ChatDemo extends XPushServer {
  /** The demo app (its id and public key are what the page gets). */
  demoApp: { id: string; key: string };
}

/**
 * Starts XPUSH with the demo: the `chat-web` app (created on the first start, found again in the
 * store after), its open channel `general`, the typing command, and the page at `/`.
 */
export async function startChatDemo(config: ConfigInput = {}): Promise<ChatDemo> {
  const server = await createServer(config);
  const core = server.core;
  const app = (await core.store.apps.list()).find((a) => a.name === DEMO_APP_NAME) ?? (await createApp(core, DEMO_APP_NAME));
  if (!(await core.store.channels.get(app.id, LOBBY))) await createChannel(core, app.id, null, { channel: LOBBY, type: 'open', data: { topic: 'Everyone' } });
  await server.use(typingPlugin(server));

  // The page's script (the XPush SDK and the demo) and the service worker, bundled once at start
  // (esbuild, ~100 ms). The worker is at the root so that its scope is the whole page.
  const bundle = await build({ entryPoints: { app: path.join(WEB, 'main.ts'), sw: path.join(WEB, 'sw.ts') }, outdir: 'out', bundle: true, format: 'esm', platform: 'browser', target: ['es2020'], minify: true, write: false, logLevel: 'silent' });
  const js = (name: string) => Buffer.from(bundle.outputFiles.find((f) => path.basename(f.path) === `${name}.js`)!.contents);
  const files: Record<string, { body: Buffer | string; type: string }> = {
    '/': { body: fs.readFileSync(path.join(WEB, 'index.html')), type: 'text/html; charset=utf-8' },
    '/chat/app.js': { body: js('app'), type: 'text/javascript; charset=utf-8' },
    '/sw.js': { body: js('sw'), type: 'text/javascript; charset=utf-8' },
    '/chat/chat.css': { body: fs.readFileSync(path.join(WEB, 'chat.css')), type: 'text/css; charset=utf-8' },
    // The app id and its PUBLIC key: what any client app ships with. The secret stays here.
    '/chat/config.json': { body: JSON.stringify({ app: app.id, appKey: app.key, lobby: LOBBY }), type: 'application/json' },
  };
  for (const [url, f] of Object.entries(files)) {
    server.http.get(url, { schema: { hide: true } }, (_req, reply) => reply.headers(PAGE_HEADERS).type(f.type).send(f.body));
  }
  await server.start();
  return Object.assign(server, { demoApp: { id: app.id, key: app.key } });
}

// Started directly (not imported by a test): listen on PORT (default 8080), data in ./data/chat-web.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.env.PORT ?? 8080);
  const dataDir = process.env.XPUSH_DATA_DIR ?? './data/chat-web';
  const server = await startChatDemo({ port, dataDir, logLevel: process.env.XPUSH_LOG_LEVEL ?? 'info' });
  server.log.info({ chat: `${server.url}/`, console: `${server.url}/admin`, adminToken: path.join(dataDir, 'admin-token') }, 'chat demo running: open the chat URL in two browser windows');
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
