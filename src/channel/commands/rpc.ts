import type { Conn } from '../conn.ts';
import { runBuiltin } from '../rpc/builtin.ts';
import { isBuiltinRpc } from '../../protocol/rpc.ts';
import { Errors } from '../../errors.ts';

/**
 * rpc {method, data} → {data}: built-in XPUSH methods first, then the app developer's custom
 * commands (server.command), then the app's rpc proxy. Unknown means refused: 104.
 */
export async function rpc(c: Conn, body: Record<string, unknown>): Promise<unknown> {
  const method = body.method;
  if (typeof method !== 'string' || method.length === 0 || method.length > 128) throw Errors.badRequest.with('rpc.method must be a non-empty string');
  let data: unknown = body.data === undefined ? {} : body.data;
  const { core, commands, proxies } = c.ctx;
  const builtin = isBuiltinRpc(method);
  const custom = builtin ? undefined : commands.get(method);
  // Then the app's rpc proxy, for the methods it takes (all others, or those with its prefix).
  const proxy = builtin || custom ? undefined : await proxies.rpcTarget(c.app, method);
  if (!builtin && !custom && !proxy) throw Errors.methodNotFound.with(`no rpc method "${method.slice(0, 64)}"`);
  if (core.hooks.has('beforeRpc')) data = (await core.hooks.before('beforeRpc', { ...c.actor, method, data })).data;
  const result = builtin ? await runBuiltin(c, method, data) : custom ? await custom({ ...c.actor, data }) : await proxies.rpc(c, proxy!, method, data);
  return { data: result ?? {} };
}

/**
 * send {data}: a one-way message to the server, handed to the custom command named "send" when
 * one is registered (there is no reply to carry an error).
 */
export async function send(c: Conn, body: Record<string, unknown>): Promise<unknown> {
  const handler = c.ctx.commands.get('send');
  if (handler) await handler({ ...c.actor, data: body.data });
  return undefined;
}
