import { randomUUID } from 'node:crypto';
import type { Core } from './context.ts';
import type { Actor } from '../hooks.ts';
import type { ChannelKind, ChannelRecord, MessageRecord, NewMessage } from '../store/store.ts';
import { publicationOf } from './publication.ts';
import { rangeWithin } from './bounded-range.ts';
import { Errors } from '../errors.ts';
import { appLimits, cachedAppLimits, checkPublishRate } from '../limits/app-limits.ts';
import type { AppLimits } from '../protocol/app-settings.ts';
import type { PublishAck, HistoryPage } from '../protocol/results.ts';

export interface PublishInput {
  channel: string;
  event?: string;
  data: unknown;
  /** Client message id: publishing the same id twice stores and delivers once. */
  id?: string;
}

export type { PublishAck, HistoryPage };

/** The app's backend publishing (server API): no user, shown as sender ''. */
export const BACKEND: Actor = { app: '', user: '', device: '', client: '' };

/**
 * Publish: beforePublish hooks (veto/enrich) → size check → durable store (group commit) → broker.
 * Resolves with the stored sequence number only after the commit. Permission is the caller's job
 * (a subscribed client was authorised at subscribe; the server API may publish anywhere).
 */
export async function publish(core: Core, app: string, sender: Actor, input: PublishInput): Promise<PublishAck> {
  return commitPublish(core, await preparePublish(core, app, sender, input));
}

export interface PreparedPublish {
  msg: NewMessage;
  epoch: string;
  kind: ChannelKind;
  cacheSize: number;
}

/**
 * Everything before the store: may await (hooks, channel lookup, the app's publish rates and message
 * size), so callers that need order chain it. The per-user rate counts a connection's publishes
 * (`sender.client` set); the per-channel rate counts every publish.
 */
export async function preparePublish(core: Core, app: string, sender: Actor, input: PublishInput): Promise<PreparedPublish> {
  // Cached channel and app (nearly always): no await, no promise per message.
  const ch = core.channels.peek(app, input.channel) ?? (await core.channels.require(app, input.channel));
  const limits = cachedAppLimits(core, app) ?? (await appLimits(core, app));
  const rateUser = sender.client ? sender.user : undefined;
  if (rated(limits, rateUser)) await checkPublishRate(core, app, input.channel, rateUser, limits);
  let event = input.event ?? 'message';
  let data: unknown = input.data === undefined ? null : input.data;
  if (core.hooks.has('beforePublish')) {
    const p = await core.hooks.before('beforePublish', { app, channel: input.channel, event, data, sender });
    event = p.event;
    data = p.data;
  }
  return prepared(ch, limits, app, sender, input, event, data);
}

/**
 * preparePublish when nothing needs waiting for — channel and app cached, no publish rate to count,
 * no beforePublish hook — or undefined (then the caller takes preparePublish). Throws what it would.
 */
export function preparePublishNow(core: Core, app: string, sender: Actor, input: PublishInput): PreparedPublish | undefined {
  const ch = core.channels.peek(app, input.channel);
  const limits = ch && cachedAppLimits(core, app);
  if (!limits || rated(limits, sender.client ? sender.user : undefined) || core.hooks.has('beforePublish')) return undefined;
  return prepared(ch, limits, app, sender, input, input.event ?? 'message', input.data === undefined ? null : input.data);
}

function rated(limits: AppLimits, rateUser: string | undefined): boolean {
  return limits.publishesPerChannelPerSecond > 0 || (rateUser !== undefined && limits.publishesPerUserPerSecond > 0);
}

function prepared(ch: ChannelRecord, limits: AppLimits, app: string, sender: Actor, input: PublishInput, event: string, data: unknown): PreparedPublish {
  const dataJson = JSON.stringify(data) ?? 'null';
  const size = Buffer.byteLength(dataJson);
  if (size > limits.maxMessageBytes) throw Errors.limitExceeded.with(`message data is ${size} bytes; the limit is ${limits.maxMessageBytes}`);
  return {
    epoch: ch.epoch,
    kind: ch.kind,
    cacheSize: ch.cacheSize ?? 0,
    msg: {
      appId: app, channel: input.channel, id: input.id ?? randomUUID(), idempotent: input.id !== undefined, event, data, dataJson,
      senderUser: sender.user, senderDevice: sender.device, senderClient: sender.client, time: Date.now(),
    },
  };
}

/**
 * Enqueues synchronously (call order = store order) and resolves after the commit — or, for
 * ephemeral and cache channels, once the broker has the publication (nothing is stored).
 */
export async function commitPublish(core: Core, p: PreparedPublish): Promise<PublishAck> {
  let rec: MessageRecord;
  let epoch = p.epoch;
  if (p.kind === 'durable') rec = await core.publisher.publish(p.msg);
  else ({ record: rec, epoch } = await core.livePublisher.publish(p.msg, p.kind === 'cache' ? p.cacheSize : 0));
  core.hooks.after('afterPublish', { app: rec.appId, message: rec, kind: p.kind });
  return { channel: rec.channel, offset: rec.offset, epoch, id: rec.id, time: rec.time };
}

export interface HistoryQuery {
  after?: number;
  before?: number;
  limit?: number;
}

/**
 * History paged by sequence number; `before` pages backwards (newest first). At most `limit` and at
 * most maxReplyBytes of payload. Permission: caller's job.
 */
export async function history(core: Core, app: string, channel: string, q: HistoryQuery): Promise<HistoryPage> {
  const ch = await core.store.channels.get(app, channel);
  if (!ch) throw Errors.unknownChannel.with(`channel "${channel}" does not exist`);
  const limit = Math.min(q.limit ?? 100, core.config.maxHistoryLimit);
  if (ch.kind !== 'durable') return liveHistory(core, app, channel, ch.kind, q, limit);
  // A page is also cut at maxReplyBytes: fewer publications than asked, and the caller pages on.
  const recs = limit > 0 ? (await rangeWithin(core, app, channel, { after: q.after, before: q.before, limit })).records : [];
  return { publications: recs.map((r) => publicationOf(r)), offset: ch.topOffset, epoch: ch.epoch };
}

/** Ephemeral channels have no history; a cache channel's history is what it keeps. */
async function liveHistory(core: Core, app: string, channel: string, kind: ChannelKind, q: HistoryQuery, limit: number): Promise<HistoryPage> {
  const r = await core.live.recent(app, channel);
  let pubs = kind === 'cache' ? r.publications.map((p) => JSON.parse(p) as HistoryPage['publications'][number]) : [];
  if (q.before !== undefined) pubs = pubs.filter((p) => (p.offset ?? 0) < q.before!).reverse();
  else pubs = pubs.filter((p) => (p.offset ?? 0) > (q.after ?? 0));
  return { publications: pubs.slice(0, limit), offset: r.top, epoch: r.epoch };
}
