import { Type, type Static, type TSchema } from 'typebox';
import type { HookTable } from '../hooks.ts';
import { ClusterSettings, ServerSettings } from './schema-server.ts';
import { ConnectionSettings, LoginThrottleSchema, SecuritySettings } from './schema-security.ts';
import { LimitSettings } from './schema-limits.ts';
import { ChannelNamespaceSchema, DeliverySettings, PushConfigSchema, WebhookDeliverySchema } from './schema-groups.ts';

/**
 * Every setting of XPUSH, once: the `Config` type, the defaults, validation of the config file, the
 * `XPUSH_*` variables and the `start` flags, and docs/configuration.md all come from this schema.
 * Adding a setting: add it to the right section with its description and default; nothing else.
 */
export const SECTIONS: { title: string; settings: Record<string, TSchema> }[] = [
  { title: 'Server', settings: ServerSettings },
  { title: 'Security', settings: SecuritySettings },
  { title: 'Connections', settings: ConnectionSettings },
  { title: 'Limits', settings: LimitSettings },
  { title: 'Cluster and presence', settings: ClusterSettings },
  { title: 'Channels, webhooks and push', settings: DeliverySettings },
];

export const ConfigSchema = Type.Object({
  ...ServerSettings, ...SecuritySettings, ...ConnectionSettings, ...LimitSettings, ...ClusterSettings, ...DeliverySettings,
}, { additionalProperties: false });

/** Hooks are functions: passed to createServer only, never in a file, a variable or a flag. */
export interface ProgrammaticConfig {
  /** Hooks passed inline (see hooks.ts); plugins can add more. */
  hooks?: Partial<HookTable>;
}

export type Config = Static<typeof ConfigSchema> & ProgrammaticConfig;
export type Role = Config['role'];
export type StoreConfig = Config['store'];
export type BrokerConfig = Config['broker'];
export type LoginThrottleConfig = Static<typeof LoginThrottleSchema>;
export type WebhookDeliveryConfig = Static<typeof WebhookDeliverySchema>;
export type PushConfig = Static<typeof PushConfigSchema>;
export type ChannelNamespace = Static<typeof ChannelNamespaceSchema>;

/** What callers pass: any subset; the groups may name only the fields they change. */
export type ConfigInput = Omit<Partial<Config>, 'loginThrottle' | 'webhookDelivery' | 'push'> & {
  loginThrottle?: Partial<LoginThrottleConfig> | false;
  webhookDelivery?: Partial<WebhookDeliveryConfig>;
  push?: Partial<PushConfig>;
};
