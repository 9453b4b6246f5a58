export { createServer, type XPushServer, type XPushPlugin } from './server.ts';
export { resolveConfig, defaultConfig, type Config, type ConfigInput } from './config.ts';
export { XPushError, Errors } from './errors.ts';
export { Disconnect, Disconnects } from './disconnect.ts';
export type { HookName, HookPayloadByName, HookFn, HookTable, Actor } from './hooks.ts';
export type { CommandHandler } from './channel/context.ts';
export { RPC, isBuiltinRpc, type RpcMethod, type RpcRequest, type RpcResult } from './protocol/rpc.ts';
export type * as Results from './protocol/results.ts';
