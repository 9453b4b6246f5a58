// Files written into the empty project that the pack test installs both packages into: what a
// new user of the published packages would write.

/** Node script using the installed client package: two users chat once; prints what it saw as JSON. */
export const CLIENT_SCRIPT = `
import WebSocket from 'ws';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { XPush, XPushError } from '@xpush/client';

const [url, app, appKey] = process.argv.slice(2);
const opts = { url, app, appKey, websocket: WebSocket };
const alice = new XPush(opts), bob = new XPush(opts);
await alice.register('alice', 'alice-password-1');
await bob.register('bob', 'bob-password-1');
await alice.login('alice', 'alice-password-1', 'laptop');
await bob.login('bob', 'bob-password-1', 'phone');
await alice.connect();
await bob.connect();
const received = new Promise((resolve, reject) => {
  bob.on('message', (channel, event, data, meta) => resolve({ channel, event, data, user: meta.user }));
  setTimeout(() => reject(new Error('bob received nothing in 10 s')), 10_000).unref();
});
await alice.createChannel('lunch', { members: ['bob'] });
const ack = await alice.send('lunch', 'chat', { text: 'noodles at noon?' });
const message = await received;
let refused;
try { await bob.login('bob', 'wrong-password', 'tablet'); } catch (err) { refused = err; }
alice.disconnect();
bob.disconnect();
const bundles = ['@xpush/client/browser', '@xpush/client/browser.min.js'].map((s) => existsSync(fileURLToPath(import.meta.resolve(s))));
const server = await import('@xpush/server');
process.stdout.write(JSON.stringify({
  message, offset: ack.offset, refusedIsXPushError: refused instanceof XPushError, refusedCode: refused?.code, bundles,
  serverExports: typeof server.createServer === 'function' && typeof server.resolveConfig === 'function',
}) + '\\n');
`;

/**
 * Type-checked against the installed packages' declarations. The @ts-expect-error lines fail the
 * check if the declarations are missing or resolve to \`any\`.
 */
export const CONSUMER_TS = `
import { createServer, resolveConfig, Errors, type Config } from '@xpush/server';
import { XPush, XPushError, type Message, type XPushOptions } from '@xpush/client';

const config: Config = resolveConfig({ port: 0 });
export const start: typeof createServer = createServer;
export const opts: XPushOptions = { url: 'http://127.0.0.1:8080', app: 'app-id' };
export function text(m: Message): unknown { return m.data; }
export const err: XPushError = new XPushError(Errors.badRequest.code, 'x');
// @ts-expect-error the SDK's options are typed: app is a string
export const wrong: XPushOptions = { url: 'http://127.0.0.1:8080', app: 42 };
// @ts-expect-error the server's config is typed: port is a number
export const port: string = config.port;
export const client = new XPush(opts);
`;

export const CONSUMER_TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
    skipLibCheck: true, types: ['node'],
  },
  files: ['consumer.ts'],
});
