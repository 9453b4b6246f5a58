import { randomUUID } from 'node:crypto';
import type { Core } from '../domain/context.ts';
import type { MessageRecord } from '../store/store.ts';
import type { OutboxInput, PushTargetRecord } from '../store/push-store.ts';
import { Errors } from '../errors.ts';
import { mentionsOf, messagePayload, type DataPayload } from './payload.ts';

/** Orders inputs of one collapse key across channel re-creation (offsets restart, time does not). */
export function seqOf(time: number, offset: number): number {
  return time * 1024 + (offset % 1024);
}

/**
 * A stored message → one outbox input per target of each member who should hear of it: not the
 * sender, no live connection on any device (cluster-wide user presence), and a push mode that
 * matches (`all`, or `mentions` when `data.mentions` names them). Inputs collapse per channel, so a
 * burst becomes one notification per device showing the newest message. Returns the earliest due time.
 */
export async function notifyMessage(core: Core, rec: MessageRecord): Promise<number | undefined> {
  const app = await core.apps.get(rec.appId);
  const s = app?.settings.push;
  if (!s?.enabled) return undefined;
  const members = (await core.store.channels.members(rec.appId, rec.channel)).filter((u) => u !== rec.senderUser);
  if (members.length === 0) return undefined;
  const targets = await core.store.push.targets(rec.appId, members);
  if (targets.length === 0) return undefined;
  const users = [...new Set(targets.map((t) => t.userId))];
  const online = await core.userPresence.online(rec.appId, users);
  const offline = users.filter((u) => !online.has(u));
  if (offline.length === 0) return undefined;
  const modes = await core.store.push.modes(rec.appId, rec.channel, offline);
  const mentioned = mentionsOf(rec.data);
  const wanted = new Set(offline.filter((u) => {
    const m = modes.get(u) ?? s.defaultMode;
    return m === 'all' || (m === 'mentions' && mentioned.has(u));
  }));
  const payload = messagePayload(rec, s);
  const dueAt = Date.now() + s.delayMs;
  const inputs: OutboxInput[] = targets.filter((t) => wanted.has(t.userId)).map((t) => ({
    appId: rec.appId, targetId: t.id, userId: t.userId, collapseKey: 'c:' + rec.channel, kind: 'message',
    seq: seqOf(rec.time, rec.offset), payload, dueAt, throttleMs: s.throttleMs,
  }));
  if (inputs.length === 0) return undefined;
  await core.store.push.enqueue(inputs);
  return dueAt;
}

export interface DataPush {
  users: string[];
  data: Record<string, unknown>;
  collapseKey?: string;
  offlineOnly?: boolean;
}

/**
 * A data-only push from the app's backend to every device of these users (server API). Each call
 * is its own notification unless it names a `collapseKey`. Returns how many targets it queued for.
 */
export async function queueDataPush(core: Core, app: string, p: DataPush): Promise<number> {
  const a = await core.apps.get(app);
  if (!a) throw Errors.notFound.with('no such app');
  const payload: DataPayload = { type: 'data', data: p.data, offlineOnly: p.offlineOnly ?? false };
  const size = Buffer.byteLength(JSON.stringify(p.data));
  if (size > a.settings.push.maxPayloadBytes) {
    throw Errors.limitExceeded.with(`push data is ${size} bytes; the limit is ${a.settings.push.maxPayloadBytes} (app setting push.maxPayloadBytes)`);
  }
  let targets: PushTargetRecord[] = await core.store.push.targets(app, [...new Set(p.users)]);
  if (p.offlineOnly) {
    const online = await core.userPresence.online(app, [...new Set(targets.map((t) => t.userId))]);
    targets = targets.filter((t) => !online.has(t.userId));
  }
  const key = 'd:' + (p.collapseKey ?? randomUUID());
  const now = Date.now();
  await core.store.push.enqueue(targets.map((t) => ({
    appId: app, targetId: t.id, userId: t.userId, collapseKey: key, kind: 'data', seq: seqOf(now, 0), payload, dueAt: now, throttleMs: 0,
  })));
  core.push?.wake(now);
  return targets.length;
}
