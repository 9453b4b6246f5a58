import type { XPushPlugin, XPushServer } from '../../src/index.ts';
import { XPushError } from '../../src/index.ts';
import { authorize } from '../../src/domain/channels.ts';
import { encodeEvent, userTopic } from '../../src/protocol/events.ts';
import { Push } from '../../src/protocol/frames.ts';

/** The custom command's name: clients call `rpc('typing', {channel})`. */
export const TYPING = 'typing';

/**
 * Typing indicators without storing keystrokes: a custom command that pushes `{type: 'typing',
 * channel, user}` as an async message (the SDK's `push` event) to the users present in the channel
 * right now, the caller excepted. Nothing is written to the channel's history, nobody offline gets
 * it, and a channel with nobody else online costs one presence read. The client sends it at most
 * once every two seconds while typing and shows "… is typing" for three.
 *
 * The other way, a publication on a side channel (`typing:<room>`), would store every indicator
 * and count it as unread; a publication on the room itself would put them in its history.
 */
export function typingPlugin(server: XPushServer): XPushPlugin {
  const core = server.core;
  return {
    name: 'chat-web.typing',
    commands: {
      [TYPING]: async ({ app, user, data }) => {
        const channel = (data as { channel?: unknown } | null)?.channel;
        if (typeof channel !== 'string' || channel.length === 0 || channel.length > 255) throw new XPushError(107, 'typing: {channel} is required');
        await authorize(core, app, channel, user); // members only (or an open channel): else 102/103
        const present = await core.presence.get(app, channel);
        const others = new Set(Object.values(present).map((p) => p.user));
        others.delete(user);
        const frame = JSON.stringify(Push.message({ type: 'typing', channel, user }));
        await Promise.all([...others].map((u) => core.broker.publish(userTopic(app, u), encodeEvent('m', 0, frame))));
        return { notified: others.size };
      },
    },
  };
}
