import { Type, type Static, type TObject, type TProperties } from 'typebox';
import { ProxySettingsSchema, DEFAULT_PROXY_SETTINGS, WebhookSettingsSchema, DEFAULT_WEBHOOK_SETTINGS } from './backend-settings.ts';
import { PushSettingsSchema, DEFAULT_PUSH_SETTINGS } from './push.ts';

/**
 * Per-app settings: one JSON document per app (`apps.settings`), read and changed through the admin
 * API (`GET|PATCH /v1/admin/apps/:app/settings`). Every field has a default, so an app stored before a
 * field existed reads as that default.
 *
 * Adding a setting (push, limits, webhooks…): add the field to `AppSettingsSchema` with its default in
 * `DEFAULT_APP_SETTINGS`; a group of related fields goes under one key as a nested object (`limits:
 * {...}`). PATCH merges nested objects field by field, so changing one limit keeps the others; no
 * migration is needed.
 */
/**
 * The limits an app may override (docs/limits.md). Each defaults to the config field of the same
 * name; `null` in a PATCH drops the override (back to the config default). For the connection
 * counts, rates, members and presence size 0 means "no limit".
 */
export const LIMIT_NAMES = [
  'maxConnectionsPerUser', 'maxConnectionsPerApp', 'connectsPerIpPerMinute', 'publishesPerUserPerSecond',
  'publishesPerChannelPerSecond', 'maxMessageBytes', 'maxChannelsPerConnection', 'maxMembersPerChannel',
  'maxPresenceSize',
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];
/** Every limit of one app, in effect (overrides applied over the config defaults). */
export type AppLimits = Record<LimitName, number>;

const Limit = Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]);
export const LimitsSchema = Type.Object(
  Object.fromEntries(LIMIT_NAMES.map((n) => [n, Type.Optional(Limit)])) as Record<LimitName, ReturnType<typeof Type.Optional<typeof Limit>>>,
  { additionalProperties: false },
);
export type LimitOverrides = Static<typeof LimitsSchema>;

export const AppSettingsSchema = Type.Object({
  /**
   * Whether users of the app may list everyone with `user.search` without a filter (no prefix and no
   * field). Off by default: a client must already know part of an id or a public profile value.
   */
  userListing: Type.Boolean(),
  /** Files in channels (src/files/, README "Files in channels"). */
  files: Type.Object({
    /** Largest upload, bytes; a bigger one is refused with 413 / code 106 and nothing is stored. */
    maxFileBytes: Type.Integer({ minimum: 1, maximum: 5 * 1024 ** 3 }),
    /** Lifetime of a signed download URL, seconds: shorter limits how long a leaked URL works. */
    urlTtlSec: Type.Integer({ minimum: 10, maximum: 7 * 24 * 3600 }),
  }, { additionalProperties: false }),
  /** HTTP endpoints of the app's backend asked about client commands (docs/proxies.md). */
  proxy: ProxySettingsSchema,
  /** Where and how events are delivered to the app's backend (docs/webhooks.md). */
  webhooks: WebhookSettingsSchema,
  /** Per-app limits over the config defaults (absent: all defaults). */
  limits: Type.Optional(LimitsSchema),
  /** Push to offline devices (src/push/): non-secret defaults; provider credentials live apart (admin `/push`). */
  push: PushSettingsSchema,
}, { additionalProperties: false });

export type AppSettings = Static<typeof AppSettingsSchema>;

export const DEFAULT_APP_SETTINGS: AppSettings = Object.freeze({
  userListing: false,
  files: Object.freeze({ maxFileBytes: 25 * 1024 * 1024, urlTtlSec: 300 }),
  proxy: DEFAULT_PROXY_SETTINGS,
  webhooks: DEFAULT_WEBHOOK_SETTINGS,
  push: DEFAULT_PUSH_SETTINGS,
});

/** The PATCH body: any subset of the settings, nested groups partial too. */
export const AppSettingsPatchSchema = deepPartial(AppSettingsSchema);
export type AppSettingsPatch = { [K in keyof AppSettings]?: AppSettings[K] extends object ? Partial<AppSettings[K]> : AppSettings[K] };

/** The config defaults with an app's overrides applied (a `null` or absent override keeps the default). */
export function effectiveLimits(defaults: AppLimits, overrides: LimitOverrides | undefined): AppLimits {
  const out = { ...defaults };
  for (const n of LIMIT_NAMES) {
    const v = overrides?.[n];
    if (typeof v === 'number') out[n] = v;
  }
  return out;
}

/** Stored JSON (possibly from an older version, possibly partial) → complete settings. */
export function withDefaults(stored: unknown): AppSettings {
  return merge(DEFAULT_APP_SETTINGS, isPlainObject(stored) ? stored : {}) as AppSettings;
}

/** Settings with a patch applied: nested objects merged field by field, anything else replaced. */
export function applyPatch(current: AppSettings, patch: AppSettingsPatch): AppSettings {
  return merge(current, patch) as AppSettings;
}

function merge(base: object, over: object): object {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = isPlainObject(v) && isPlainObject(b) ? merge(b, v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepPartial<T extends TObject>(schema: T): TObject {
  const props: TProperties = {};
  for (const [k, s] of Object.entries(schema.properties)) {
    props[k] = Type.Optional((s as { type?: string }).type === 'object' && 'properties' in s ? deepPartial(s as TObject) : s);
  }
  return Type.Object(props, { additionalProperties: false });
}
