import type { Conn } from '../conn.ts';
import type { CommandName } from '../../protocol/types.ts';
import { Errors } from '../../errors.ts';
import { connect, refresh } from './connect.ts';
import { subscribe, unsubscribe } from './subscribe.ts';
import { publish } from './publish.ts';
import { history } from './history.ts';
import { presence, presenceStats } from './presence.ts';
import { rpc, send } from './rpc.ts';

export { REPLIED } from './replied.ts';

/** A protocol command: its result becomes the reply (or it returns REPLIED after queuing its own). */
export type CommandFn = (c: Conn, body: Record<string, unknown>, id: number) => Promise<unknown>;

/** XPUSH channels need no subscription tokens, so there is nothing to refresh. */
async function subRefresh(): Promise<unknown> {
  throw Errors.notAvailable.with('sub_refresh: XPUSH subscriptions have no tokens');
}

export const COMMANDS: Record<CommandName, CommandFn> = {
  connect,
  subscribe,
  unsubscribe,
  publish,
  presence,
  presence_stats: presenceStats,
  history,
  rpc,
  send,
  refresh,
  sub_refresh: subRefresh,
};
