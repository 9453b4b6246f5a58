export { createServer, type XPushServer, type XPushPlugin } from './server.ts';
export { resolveConfig, defaultConfig, type Config, type ConfigInput } from './config.ts';
export { XPushError, Errors } from './errors.ts';
export { Disconnects, type Disconnect } from './disconnect.ts';
export type { HookName, HookPayloadByName, HookFn, HookTable, Actor } from './hooks.ts';
export type { CommandHandler } from './channel/context.ts';
export { RpcMethods } from './protocol/rpc-methods.ts';
