// A chat server with a bot, built on the XPUSH library: one custom command, one hook and one extra
// HTTP route, on top of everything the stock server does. Run: node --import tsx examples/chat-bot/server.ts
import { pathToFileURL } from 'node:url';
import { createServer, XPushError, type ConfigInput, type XPushServer } from '../../src/index.ts';

/** Words the filter masks. Kept tiny on purpose: a real app would load a list or call a service. */
const BAD_WORDS = ['darn', 'heck', 'rats'];
const BAD = new RegExp(`\\b(${BAD_WORDS.join('|')})\\b`, 'gi');

/** What the bot has done since start: served by the extra HTTP route. */
export interface BotStats {
  rolls: number;
  masked: number;
  rejected: number;
}

/** Builds and starts the example server; `config` is the usual XPUSH config (port, dataDir...). */
export async function startExample(config: ConfigInput = {}): Promise<XPushServer & { stats: BotStats }> {
  const server = await createServer(config);
  const stats: BotStats = { rolls: 0, masked: 0, rejected: 0 };

  // 1. A custom command: clients call rpc("bot.roll", {sides}); the return value is the ack.
  server.command('bot.roll', ({ user, data }) => {
    const sides = (data as { sides?: unknown } | null)?.sides ?? 6;
    if (typeof sides !== 'number' || !Number.isInteger(sides) || sides < 2 || sides > 1000) {
      throw new XPushError(107, 'sides: must be an integer from 2 to 1000');
    }
    stats.rolls++;
    return { user, sides, value: 1 + Math.floor(Math.random() * sides) };
  });

  // 2. A hook around a built-in operation: the profanity filter runs before every publish (socket
  //    or server API). It masks bad words in `text`, and refuses a message that is nothing else.
  server.hook('beforePublish', ({ data }) => {
    if (!data || typeof data !== 'object' || typeof (data as { text?: unknown }).text !== 'string') return;
    const text = (data as { text: string }).text;
    const masked = text.replace(BAD, (w) => '*'.repeat(w.length));
    if (masked === text) return;
    if (masked.replace(/[\s*!?.,]/g, '') === '') {
      stats.rejected++;
      throw new XPushError(4001, 'message rejected by the profanity filter');
    }
    stats.masked++;
    return { data: { ...(data as object), text: masked, filtered: true } };
  });

  // 3. An extra HTTP route next to the built-in API (added before start).
  server.http.get('/bot/stats', async () => ({ ...stats, connections: server.connections().length }));

  await server.start();
  return Object.assign(server, { stats });
}

// Started directly (not imported by a test): listen on PORT (default 8080), data in ./data.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startExample({ port: Number(process.env.PORT ?? 8080), dataDir: process.env.XPUSH_DATA_DIR ?? './data' });
  server.log.info({ url: server.url, admin: `${server.config.dataDir}/admin-token` }, 'chat-bot example running');
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
