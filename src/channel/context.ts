import type { Core } from '../domain/context.ts';
import type { Hub } from './hub.ts';
import type { Actor } from '../hooks.ts';
import type { Proxies } from '../proxy/proxies.ts';

/** A custom service command: gets the caller's identity and the rpc data; its return value is the ack. */
export type CommandHandler = (ctx: Actor & { data: unknown }) => unknown | Promise<unknown>;

/** What the channel server's commands need beyond the shared Core. */
export interface ChannelContext {
  core: Core;
  hub: Hub;
  commands: Map<string, CommandHandler>;
  /** The app's backend endpoints asked about client commands (per-app settings `proxy`). */
  proxies: Proxies;
}
