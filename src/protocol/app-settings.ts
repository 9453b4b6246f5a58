import { Type, type Static, type TObject, type TProperties } from 'typebox';
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
export const AppSettingsSchema = Type.Object({
  /**
   * Whether users of the app may list everyone with `user.search` without a filter (no prefix and no
   * field). Off by default: a client must already know part of an id or a public profile value.
   */
  userListing: Type.Boolean(),
  /** Push to offline devices (src/push/): non-secret defaults; provider credentials live apart (admin `/push`). */
  push: PushSettingsSchema,
}, { additionalProperties: false });

export type AppSettings = Static<typeof AppSettingsSchema>;

export const DEFAULT_APP_SETTINGS: AppSettings = Object.freeze({ userListing: false, push: DEFAULT_PUSH_SETTINGS });

/** The PATCH body: any subset of the settings, nested groups partial too. */
export const AppSettingsPatchSchema = deepPartial(AppSettingsSchema);
export type AppSettingsPatch = { [K in keyof AppSettings]?: AppSettings[K] extends object ? Partial<AppSettings[K]> : AppSettings[K] };

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
