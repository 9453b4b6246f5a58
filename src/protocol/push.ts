import { Type, type Static } from 'typebox';
import { ChannelName, UserId } from './schemas.ts';

/**
 * The push wire contract (src/push/): app settings, target registration, per-channel modes, the
 * server API's data push and the admin API's provider credentials. Routes, RPC methods and the SDK
 * take their types from here.
 */
const strict = { additionalProperties: false } as const;
const O = Type.Object;
const Int = Type.Integer();

export const PushModeSchema = Type.Union([Type.Literal('all'), Type.Literal('mentions'), Type.Literal('none')]);
export const PushKindSchema = Type.Union([Type.Literal('webpush'), Type.Literal('fcm'), Type.Literal('apns')]);

/** App settings group `push` (protocol/app-settings.ts). */
export const PushSettingsSchema = O({
  /** Push at all for this app (providers must also be configured). */
  enabled: Type.Boolean(),
  /** A member who chose nothing for a channel gets: every message (`all`), only messages naming them in `data.mentions`, or none. */
  defaultMode: PushModeSchema,
  /** A new notification waits this long, ms, so a burst of messages goes out as one. */
  delayMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
  /** After a notification for a channel, the next for that channel and device waits at least this long, ms (it then shows the newest message). */
  throttleMs: Type.Integer({ minimum: 0, maximum: 3_600_000 }),
  /** Most message notifications (all channels, all devices) one user gets per minute; beyond, they wait. Data pushes do not count. 0 = no cap. */
  maxPerUserPerMinute: Type.Integer({ minimum: 0, maximum: 100_000 }),
  /** Show the message text in the notification (off: "New message" only). */
  preview: Type.Boolean(),
  /** How long a provider keeps a notification for a device that is off, seconds. */
  ttlSec: Type.Integer({ minimum: 0, maximum: 2_419_200 }),
  /** Largest notification payload (title, body, channel, offset, event…), bytes; the body preview is cut to fit. */
  maxPayloadBytes: Type.Integer({ minimum: 512, maximum: 3072 }),
}, strict);
export type PushSettings = Static<typeof PushSettingsSchema>;

export const DEFAULT_PUSH_SETTINGS: PushSettings = Object.freeze({
  enabled: true, defaultMode: 'all', delayMs: 1000, throttleMs: 10_000, maxPerUserPerMinute: 60, preview: true, ttlSec: 86_400, maxPayloadBytes: 2048,
});

// ---- targets (a device registers itself) ----
const B64Url = (min: number, max: number) => Type.String({ minLength: min, maxLength: max, pattern: '^[A-Za-z0-9_-]+=*$' });
export const WebPushSubscription = O({
  endpoint: Type.String({ minLength: 9, maxLength: 2048, pattern: '^https://' }),
  keys: O({ p256dh: B64Url(80, 100), auth: B64Url(16, 64) }),
  /** Browsers add it to PushSubscription.toJSON(); ignored. */
  expirationTime: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
});
/**
 * One flat shape (errors then name the field, not a union branch): `webpush` takes `subscription`
 * (what `PushSubscription.toJSON()` gives), `fcm` a registration `token`, `apns` a hex device `token`
 * and its `environment` (default production). The domain checks which fields go with which kind.
 */
export const PushRegisterBody = O({
  kind: PushKindSchema,
  subscription: Type.Optional(WebPushSubscription),
  token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, pattern: '^[\\x21-\\x7e]+$' })),
  environment: Type.Optional(Type.Union([Type.Literal('sandbox'), Type.Literal('production')])),
}, strict);
export type PushRegisterBody = Static<typeof PushRegisterBody>;

export const PushTargetView = O({
  id: Type.String(),
  user: Type.String(),
  device: Type.String(),
  kind: PushKindSchema,
  /** The endpoint's host (Web Push) or the token's last 6 characters: enough to tell targets apart, not to use them. */
  hint: Type.String(),
  environment: Type.Optional(Type.Union([Type.Literal('sandbox'), Type.Literal('production')])),
  createdAt: Int,
});
export type PushTargetView = Static<typeof PushTargetView>;
export const PushTargets = O({ targets: Type.Array(PushTargetView) });
export const PushUnregisterBody = O({ kind: Type.Optional(PushKindSchema) }, strict);
export const PushRemoved = O({ removed: Int });

export const PushModeGetBody = O({ channel: ChannelName }, strict);
/** `default` forgets the member's choice: the app's `push.defaultMode` applies again. */
export const PushModeSetBody = O({ channel: ChannelName, mode: Type.Union([PushModeSchema, Type.Literal('default')]) }, strict);
export const PushModeView = O({ channel: Type.String(), mode: PushModeSchema, isDefault: Type.Boolean() });
export type PushModeView = Static<typeof PushModeView>;

// ---- server API ----
export const ServerPushBody = O({
  users: Type.Array(UserId, { minItems: 1, maxItems: 1000 }),
  /** Delivered as is to the app (string values go through FCM unchanged; others as JSON text). */
  data: Type.Record(Type.String({ maxLength: 64 }), Type.Unknown()),
  /** A second push with the same key replaces a pending one instead of adding another. */
  collapseKey: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' })),
  /** Skip users that have a live connection (default false: every device of every user). */
  offlineOnly: Type.Optional(Type.Boolean()),
}, strict);
export const ServerPushResult = O({ queued: Int });

export const VapidKey = O({ publicKey: Type.String() });

// ---- admin: provider credentials (secrets are write-only) ----
export const WebPushConfigBody = O({
  /** `mailto:` or `https:` contact the push services may use (VAPID `sub`). */
  subject: Type.Optional(Type.String({ minLength: 8, maxLength: 256, pattern: '^(mailto:|https://)' })),
  /** Bring your own VAPID key pair (both or neither); without them the app's generated pair stays. */
  publicKey: Type.Optional(B64Url(80, 100)),
  privateKey: Type.Optional(B64Url(40, 50)),
}, strict);
export const FcmConfigBody = O({
  /** The Firebase service-account JSON (project_id, client_email, private_key…), as an object. */
  serviceAccount: O({
    project_id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-z0-9-]+$' }),
    client_email: Type.String({ minLength: 3, maxLength: 256 }),
    private_key: Type.String({ minLength: 100, maxLength: 8192 }),
    private_key_id: Type.Optional(Type.String({ maxLength: 128 })),
  }),
  /** Default https://fcm.googleapis.com (tests point it at a fake). */
  baseUrl: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 512 })),
  /** Default https://oauth2.googleapis.com/token. */
  tokenUrl: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 512 })),
}, strict);
export const ApnsConfigBody = O({
  /** The .p8 signing key (PKCS#8 PEM) from the Apple developer account. */
  key: Type.String({ minLength: 100, maxLength: 4096 }),
  keyId: Type.String({ minLength: 10, maxLength: 10, pattern: '^[A-Z0-9]+$' }),
  teamId: Type.String({ minLength: 10, maxLength: 10, pattern: '^[A-Z0-9]+$' }),
  /** The app's bundle id (apns-topic). */
  topic: Type.String({ minLength: 1, maxLength: 255 }),
  /** Defaults https://api.push.apple.com:443 and https://api.sandbox.push.apple.com:443. */
  productionUrl: Type.Optional(Type.String({ pattern: '^https://', maxLength: 512 })),
  sandboxUrl: Type.Optional(Type.String({ pattern: '^https://', maxLength: 512 })),
}, strict);
/** A provider as the admin API shows it: its settings, and for each secret only that it is set and a fingerprint. */
export const ProviderView = O({
  provider: PushKindSchema,
  config: Type.Record(Type.String(), Type.Unknown()),
  secrets: Type.Record(Type.String(), Type.String()),
  updatedAt: Int,
});
export const ProviderViews = O({ providers: Type.Array(ProviderView) });
export const ProviderParams = O({ app: Type.String({ minLength: 1, maxLength: 64 }), provider: PushKindSchema });
export const TargetParams = O({ app: Type.String({ minLength: 1, maxLength: 64 }), user: Type.String({ minLength: 1, maxLength: 128 }), target: Type.String({ minLength: 1, maxLength: 64 }) });
export const ModeParams = O({ app: Type.String({ minLength: 1, maxLength: 64 }), channel: ChannelName });
export const ModeBody = O({ mode: Type.Union([PushModeSchema, Type.Literal('default')]) }, strict);
