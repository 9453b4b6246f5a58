import type { Core } from './context.ts';

/**
 * The background trim: every `retentionSweepMs` each durable channel with a retention loses its
 * messages older than `maxAgeSec` and beyond its newest `maxCount` (messages.trim, which also moves
 * the channel's trimOffset, so a resubscribe from a trimmed position answers `recovered: false`).
 * Several nodes may run it at once: a trim is idempotent and takes the channel's row lock.
 */
export function startRetention(core: Core): () => void {
  let busy = false;
  const sweep = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      const now = Date.now();
      for (const { appId, name, retention } of await core.store.channels.retained()) {
        await core.store.messages.trim(appId, name, {
          olderThan: retention.maxAgeSec !== undefined ? now - retention.maxAgeSec * 1000 : undefined,
          keepLast: retention.maxCount,
        });
      }
    } catch (err) {
      core.log.warn({ err }, 'retention sweep failed; retrying next time');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void sweep(), core.config.retentionSweepMs);
  timer.unref();
  return () => clearInterval(timer);
}
