import type { Logger } from 'pino';
import type { MessageRecord, ChannelType, ChannelKind } from './store/store.ts';
import { XPushError } from './errors.ts';

/**
 * The typed hook table. Grammar (fixed): `beforeX` may veto (throw an XPushError, which answers the
 * client) or enrich (return a partial payload that is merged in); `afterX` observes (its errors are
 * logged, never reach the client). Custom commands are registered with `server.command` (see server.ts).
 */
export interface Actor {
  app: string;
  user: string;
  device: string;
  /** Connection id, '' for HTTP callers. */
  client: string;
}

export interface HookPayloadByName {
  beforeConnect: Actor & { info: unknown; data: unknown };
  afterConnect: Actor;
  afterDisconnect: Actor & { code: number; reason: string };
  /** The user's first connection anywhere in the cluster (fires once per transition; see presence/user-presence.ts). */
  afterUserOnline: { app: string; user: string };
  /** The user's last connection is gone and stayed gone for presenceDelayMs (once per transition). */
  afterUserOffline: { app: string; user: string };
  beforeSubscribe: Actor & { channel: string };
  /** A subscription went live on this node (client or server-side). */
  afterSubscribe: Actor & { channel: string };
  /** A live subscription ended (unsubscribe, access lost, disconnect). */
  afterUnsubscribe: Actor & { channel: string };
  /** A user became a member of a channel (with its creation, added, or joined an open one). */
  afterMemberAdded: { app: string; channel: string; user: string };
  /** A user stopped being a member (removed, or left). */
  afterMemberRemoved: { app: string; channel: string; user: string };
  /** A push notification could not be delivered (raised with webhooks/events.ts emitPushFailed). */
  afterPushFailed: { app: string } & PushFailure;
  beforePublish: { app: string; channel: string; event: string; data: unknown; sender: Actor };
  /** `kind`: ephemeral and cache publications are not stored (their offsets order them only). */
  afterPublish: { app: string; message: MessageRecord; kind: ChannelKind };
  beforeChannelCreate: { app: string; actor: Actor | null; channel: string; type: ChannelType; members: string[]; data: unknown };
  afterChannelCreate: { app: string; channel: string; type: ChannelType; members: string[] };
  beforeRegister: { app: string; user: string; profile: Record<string, unknown>; privateProfile: Record<string, unknown> };
  afterLogin: { app: string; user: string; device: string; session: string };
  beforeRpc: Actor & { method: string; data: unknown };
}

/** Why a push notification was not delivered (the `push.failed` webhook carries it as is). */
export interface PushFailure {
  user: string;
  device: string;
  /** The push service: 'fcm', 'apns', 'webpush', … */
  provider: string;
  /** The service's answer or XPUSH's reason, e.g. 'token unregistered'. */
  reason: string;
  /** True when retrying cannot help (the device token is gone); the token was dropped. */
  permanent: boolean;
  /** The message the push was for, when it was for one. */
  channel?: string;
  messageId?: string;
}

export type HookName = keyof HookPayloadByName;
type Before = { [K in HookName]: K extends `before${string}` ? K : never }[HookName];

export type HookFn<K extends HookName> = (payload: HookPayloadByName[K]) =>
  | void
  | Partial<HookPayloadByName[K]>
  | Promise<void | Partial<HookPayloadByName[K]>>;

export type HookTable = { [K in HookName]: HookFn<K> };

/** A plugin: a named bundle of hooks, custom commands and HTTP routes (see server.ts `use`). */
export interface HookEntry<K extends HookName> { fn: HookFn<K>; priority: number }

export class Hooks {
  private readonly table = new Map<HookName, HookEntry<any>[]>();
  constructor(private readonly log: Logger) {}

  /** Higher priority runs first; equal priorities run in registration order. */
  add<K extends HookName>(name: K, fn: HookFn<K>, priority = 0): void {
    if (typeof fn !== 'function') throw new TypeError(`hook ${name} must be a function`);
    if (!name.startsWith('before') && !name.startsWith('after')) throw new TypeError(`unknown hook ${name}`);
    // A new array: hooks running meanwhile (after-hooks iterate later, in a microtask) keep the list they started with.
    const list = [...(this.table.get(name) ?? []), { fn, priority }];
    list.sort((a, b) => b.priority - a.priority);
    this.table.set(name, list);
  }

  has(name: HookName): boolean {
    return (this.table.get(name)?.length ?? 0) > 0;
  }

  /** Runs `before` hooks in order; returns the (possibly enriched) payload. A thrown XPushError vetoes. */
  async before<K extends Before>(name: K, payload: HookPayloadByName[K]): Promise<HookPayloadByName[K]> {
    const list = this.table.get(name);
    if (!list) return payload;
    let p = payload;
    for (const { fn } of list) {
      let out: unknown;
      try {
        out = await fn(p);
      } catch (err) {
        if (err instanceof XPushError) throw err;
        this.log.error({ err, hook: name }, 'hook failed');
        throw err;
      }
      if (out && typeof out === 'object') p = { ...p, ...(out as object) };
    }
    return p;
  }

  /** Runs `after` hooks without waiting the caller on them; failures are logged. */
  after<K extends Exclude<HookName, Before>>(name: K, payload: HookPayloadByName[K]): void {
    const list = this.table.get(name);
    if (!list) return;
    // After the current code, in one microtask for all of them (these run per message); a hook that
    // throws is logged and the next still runs.
    queueMicrotask(() => {
      for (const { fn } of list) {
        try {
          const r = fn(payload) as unknown;
          if (typeof (r as PromiseLike<unknown> | undefined)?.then === 'function') {
            Promise.resolve(r).catch((err: unknown) => this.log.error({ err, hook: name }, 'after-hook failed'));
          }
        } catch (err) {
          this.log.error({ err, hook: name }, 'after-hook failed');
        }
      }
    });
  }
}
