import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { XPushError } from '../../src/errors.ts';
import { DEFAULT_APP_SETTINGS } from '../../src/protocol/app-settings.ts';
import type { AppRecord, ChannelRecord, NewMessage, SessionRecord, Store, UserRecord } from '../../src/store/store.ts';

/** Record builders and helpers shared by the store contract files (implementation-neutral). */

export type Open = () => Promise<Store>;

/**
 * A fresh, migrated store with apps `a1` and `a2`, closed when the test ends. The factory owns
 * cleanup of whatever backs the store (temp dir, schema); the contract only closes.
 */
export async function fresh(t: TestContext, open: Open): Promise<Store> {
  const s = await open();
  t.after(() => s.close().catch(() => undefined));
  await s.apps.create(app('a1'));
  await s.apps.create(app('a2'));
  return s;
}

export function app(id: string, over: Partial<AppRecord> = {}): AppRecord {
  return { id, name: `App ${id}`, key: `key-${id}`, secret: `secret-${id}`, settings: { ...DEFAULT_APP_SETTINGS }, createdAt: 1_700_000_000_000, ...over };
}

export function user(appId: string, userId: string, profile: Record<string, unknown> = {}, privateProfile: Record<string, unknown> = {}): UserRecord {
  return { appId, userId, passwordHash: `$argon2id$v=19$${userId}`, profile, privateProfile, createdAt: 1_700_000_000_001 };
}

export function session(appId: string, id: string, over: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id, appId, userId: 'u1', deviceId: `dev-${id}`, pushToken: null, refreshHash: `hash-${id}`,
    createdAt: 1000, refreshedAt: 1000, expiresAt: 10_000, revokedAt: null, ...over,
  };
}

export function channel(appId: string, name: string, over: Partial<ChannelRecord> = {}): ChannelRecord {
  return { appId, name, type: 'members', data: null, ownerId: null, epoch: `ep-${name}`, topOffset: 0, createdAt: 2000, ...over };
}

let seq = 0;
export function msg(appId: string, channel: string, over: Partial<NewMessage> = {}): NewMessage {
  seq++;
  return {
    appId, channel, id: `m${seq}`, event: 'message', data: { n: seq },
    senderUser: '', senderDevice: '', senderClient: '', time: 3000 + seq, ...over,
  };
}

/** Asserts the promise rejects with the given XPushError code. */
export async function rejectsCode(p: Promise<unknown>, code: number): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof XPushError, `expected XPushError ${code}, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

export const sorted = (xs: string[]): string[] => [...xs].sort();
