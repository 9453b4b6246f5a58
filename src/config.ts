/**
 * Configuration: the schema of every setting (src/config/schema*.ts), its defaults and validation
 * (src/config/resolve.ts). The CLI reads the file, `XPUSH_*` variables and flags in src/cli/config-sources.ts.
 */
export {
  ConfigSchema, type Config, type ConfigInput, type Role, type StoreConfig, type BrokerConfig, type LoginThrottleConfig,
  type WebhookDeliveryConfig, type PushConfig, type ChannelNamespace,
} from './config/schema.ts';
export { resolveConfig, defaultConfig, sqlitePath, ConfigError } from './config/resolve.ts';
