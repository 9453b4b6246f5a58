import type { Logger } from 'pino';
import type { Broker, BrokerHandler } from '../broker/broker.ts';
import type { Store } from '../store/store.ts';
import { onBeforeFlush, scheduleFlush } from './writer.ts';
import { OutFrame, joinJson } from './out-frame.ts';
import { channelTopic, decodeEvent, parseTopic, userTopic } from '../protocol/events.ts';
import { pubPushJson } from '../domain/publication.ts';
import { deliver } from './fanout.ts';
import { MultiMap } from '../multimap.ts';
import { Disconnects, type Disconnect } from '../disconnect.ts';
import { matchesFilter, type ConnectionFilter } from '../domain/kick.ts';
import type { Metrics } from '../metrics.ts';
import { BROKER_LOG, STORE_LOG } from '../infra-error.ts';

/** What the hub needs of a connection (implemented by channel/client.ts). */
export interface HubClient {
  readonly id: string;
  readonly app: string;
  readonly user: string;
  readonly device: string;
  readonly info: unknown;
  readonly session: string | undefined;
  /** Channels this connection is subscribed to (answered or pending). */
  channels(): Iterable<string>;
  push(frame: OutFrame): void;
  close(d: Disconnect): void;
  /** The user was added to a channel whose top was `from`: subscribe server-side (from there) if this connection asked for it. */
  onMemberAdded(channel: string, from: number): void;
  /** The user lost access to a channel (removed, or channel deleted): push unsubscribe 2000. */
  onAccessLost(channel: string): void;
}

interface ChannelState {
  /**
   * An ephemeral or cache channel: nothing to repair from the store, so publications are delivered
   * as they arrive (offsets only order them per publisher node); no gaps, floors or duplicates logic.
   */
  live: boolean;
  subs: Set<HubClient>;
  joinLeave: Set<HubClient>;
  /**
   * Connections between broker-subscribe and their subscribe reply: every publication that reaches
   * this node meanwhile is held for them (sorted and deduplicated when they complete).
   */
  joining: Map<HubClient, { offset: number; frame: string }[]>;
  /** Publications of this event-loop turn, sent as one frame to every subscriber at the flush. */
  tick: { offset: number; payload: string }[];
  inTick: boolean;
  /** Highest offset delivered here; -1 until the first subscriber's position sets it. */
  last: number;
  /**
   * Subscribers whose position (read from the store) is ahead of `last`: publications up to it may
   * still be in flight from other nodes and must not reach them twice. Empty on the fast path.
   */
  floors: Map<HubClient, number>;
  /** Publications (JSON push text) that arrived ahead of a gap or before any position was known, by offset. */
  ahead: Map<number, string>;
  gapTimer: NodeJS.Timeout | undefined;
  /** Store reads that did not find the hole yet (see fillGap). */
  gapTries: number;
  ready: Promise<void>;
}

/** How long a gap may stay open before it is filled from the store (cross-node reordering is ~ms). */
const GAP_WAIT_MS = 100;
/** Store reads of a hole before it is skipped (only a commit lost between store and broker could cause it). */
const GAP_TRIES = 20;

/**
 * Who is subscribed to what on this node, and the broker side of it: a node subscribes to a
 * channel's topic only while it has local subscribers, and to a user's topic only while that user
 * has a connection here. Publications are delivered in offset order, once: duplicates are dropped,
 * and a gap (publications of several nodes overtaking each other) is held briefly, then filled
 * from the store.
 */
export class Hub implements BrokerHandler {
  private readonly channels = new Map<string, ChannelState>();
  /** This node's connections by user topic (most users have one: held without a Set). */
  private readonly users = new MultiMap<string, HubClient>();
  readonly clients = new Set<HubClient>();
  private ticked: ChannelState[] = [];
  private readonly stopFlushHook: () => void;

  constructor(
    private readonly broker: Broker,
    private readonly store: Store,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly maxPerFrame = 256,
    private readonly reconnectSpreadMs = 0,
  ) {
    this.stopFlushHook = onBeforeFlush(() => this.flushTicks());
  }

  close(): void {
    this.stopFlushHook();
  }

  // ---- users / connections ----

  async addClient(c: HubClient): Promise<void> {
    this.clients.add(c);
    const topic = userTopic(c.app, c.user);
    if (this.users.add(topic, c)) await this.broker.subscribe(topic);
  }

  removeClient(c: HubClient): void {
    this.clients.delete(c);
    const topic = userTopic(c.app, c.user);
    if (this.users.delete(topic, c)) {
      this.broker.unsubscribe(topic).catch((err) => this.log.warn({ err, ...BROKER_LOG(this.broker.kind) }, 'broker unsubscribe failed'));
    }
  }

  // ---- channel subscriptions ----

  /** Step 1 of subscribe: listen on the channel topic and hold publications for this client. */
  async beginSubscribe(c: HubClient, app: string, channel: string, live = false): Promise<void> {
    const topic = channelTopic(app, channel);
    let st = this.channels.get(topic);
    if (!st) {
      st = { live, subs: new Set(), joinLeave: new Set(), joining: new Map(), tick: [], inTick: false, last: -1, floors: new Map(), ahead: new Map(), gapTimer: undefined, gapTries: 0, ready: Promise.resolve() };
      st.ready = this.broker.subscribe(topic);
      this.channels.set(topic, st);
    }
    st.joining.set(c, []);
    try {
      await st.ready;
    } catch (err) {
      this.abortSubscribe(c, app, channel);
      throw err;
    }
  }

  /**
   * Step 2: the client's subscribe reply (with everything up to `offset`) has been queued; release
   * what arrived meanwhile past that offset and make it a live subscriber.
   */
  completeSubscribe(c: HubClient, app: string, channel: string, offset: number, joinLeave: boolean): void {
    const topic = channelTopic(app, channel);
    const st = this.channels.get(topic);
    if (!st) return;
    this.flushChannel(st); // this turn's frame goes to the subscribers before c; c gets its share from `held`
    const held = st.joining.get(c) ?? [];
    st.joining.delete(c);
    if (st.live) {
      // Everything after what c's reply carried, in arrival order.
      for (const h of held) if (h.offset > offset) c.push(OutFrame.json(h.frame));
    } else if (st.last === -1) {
      st.last = offset; // the first position known here: the stream is delivered from it on
    } else {
      // c's reply covered up to `offset`; what this node received since c began joining and is
      // past that goes to c now (held, in offset order, once), the rest comes live from here on.
      // Publications that arrived before anyone was positioned are held too: a joiner behind the
      // first subscriber's position gets them from here, not from `ahead` (released to subscribers only).
      held.sort((a, b) => a.offset - b.offset);
      let sent = offset;
      let n = 0;
      for (const h of held) {
        if (h.offset <= sent || h.offset > st.last) continue;
        c.push(OutFrame.json(h.frame));
        sent = h.offset;
        n++;
      }
      if (n) this.metrics.delivered(n, n);
      if (offset > st.last) st.floors.set(c, offset);
    }
    st.subs.add(c);
    if (joinLeave) st.joinLeave.add(c);
    if (st.ahead.size) this.release(topic, st);
  }

  abortSubscribe(c: HubClient, app: string, channel: string): void {
    const topic = channelTopic(app, channel);
    const st = this.channels.get(topic);
    if (!st) return;
    st.joining.delete(c);
    this.dropIfEmpty(topic, st);
  }

  unsubscribe(c: HubClient, app: string, channel: string): void {
    const topic = channelTopic(app, channel);
    const st = this.channels.get(topic);
    if (!st) return;
    st.subs.delete(c);
    st.joinLeave.delete(c);
    st.joining.delete(c);
    st.floors.delete(c);
    this.dropIfEmpty(topic, st);
  }

  private dropIfEmpty(topic: string, st: ChannelState): void {
    if (st.subs.size || st.joining.size) return;
    if (st.gapTimer) clearTimeout(st.gapTimer);
    this.channels.delete(topic);
    this.broker.unsubscribe(topic).catch((err) => this.log.warn({ err, ...BROKER_LOG(this.broker.kind) }, 'broker unsubscribe failed'));
  }

  // ---- broker events ----

  onEvent(topic: string, payload: string): void {
    const ev = decodeEvent(payload);
    if (topic.charCodeAt(0) === 99 /* c */) this.onChannelEvent(topic, ev.kind, ev.offset, ev.body);
    else this.onUserEvent(topic, ev.kind, ev.body, ev.offset);
  }

  onConnectionState(lost: boolean): void {
    if (lost) return;
    // The broker came back: anything published while it was away is in the store. Reconnecting the
    // clients makes them recover it in order (3011 force reconnect). Spread over `reconnectSpreadMs`
    // so they do not all land on the first node back in the registry.
    this.log.warn({ clients: this.clients.size }, 'broker link restored: asking clients to reconnect and recover');
    for (const c of this.clients) {
      const t = setTimeout(() => c.close(Disconnects.forceReconnect), Math.floor(Math.random() * this.reconnectSpreadMs));
      t.unref();
    }
  }

  private onChannelEvent(topic: string, kind: string, offset: number, body: string): void {
    const st = this.channels.get(topic);
    if (!st) return;
    if (kind === 'p') return this.onPublication(topic, st, offset, body);
    if (kind === 'j' || kind === 'l') {
      if (st.joinLeave.size) deliver(st.joinLeave, OutFrame.json(body));
      return;
    }
    if (kind === 'x') for (const c of [...st.subs, ...st.joining.keys()]) c.onAccessLost(body);
  }

  private onPublication(topic: string, st: ChannelState, offset: number, frame: string): void {
    if (st.live) return this.emit(st, offset, frame);
    if (st.last === -1) {
      st.ahead.set(offset, frame); // nobody positioned yet: wait for the first subscriber's offset
      for (const held of st.joining.values()) held.push({ offset, frame });
      return;
    }
    if (offset <= st.last) return; // duplicate (already delivered or recovered)
    if (offset > st.last + 1) {
      st.ahead.set(offset, frame);
      if (!st.gapTimer) st.gapTimer = setTimeout(() => void this.fillGap(topic), GAP_WAIT_MS);
      return;
    }
    this.emit(st, offset, frame);
    this.release(topic, st);
  }

  /** Delivers what waited behind a gap that is now closed; drops what is already behind `last`. */
  private release(topic: string, st: ChannelState): void {
    for (const o of st.ahead.keys()) if (o <= st.last) st.ahead.delete(o);
    let next = st.ahead.get(st.last + 1);
    while (next !== undefined) {
      st.ahead.delete(st.last + 1);
      this.emit(st, st.last + 1, next);
      next = st.ahead.get(st.last + 1);
    }
    if (st.ahead.size === 0) {
      if (st.gapTimer) clearTimeout(st.gapTimer);
      st.gapTimer = undefined;
    } else if (!st.gapTimer) {
      st.gapTimer = setTimeout(() => void this.fillGap(topic), GAP_WAIT_MS);
    }
  }

  private emit(st: ChannelState, offset: number, payload: string): void {
    st.last = offset;
    st.tick.push({ offset, payload });
    if (!st.inTick) {
      st.inTick = true;
      this.ticked.push(st);
      scheduleFlush();
    }
    for (const held of st.joining.values()) held.push({ offset, frame: payload });
  }

  private flushTicks(): void {
    const list = this.ticked;
    this.ticked = [];
    for (const st of list) this.flushChannel(st);
  }

  /**
   * The fan-out fast path: a channel's publications of one turn become ONE frame (newline-separated,
   * at most maxPerFrame each), framed once and queued to every subscriber as the same buffer.
   */
  private flushChannel(st: ChannelState): void {
    st.inTick = false;
    const items = st.tick;
    if (items.length === 0) return;
    st.tick = [];
    if (st.subs.size === 0) return;
    if (st.floors.size === 0) {
      let frames = 0;
      for (let i = 0; i < items.length; i += this.maxPerFrame, frames++) deliver(st.subs, OutFrame.json(joinJson(items, i, Math.min(items.length, i + this.maxPerFrame))));
      // Counted once per channel and turn, not per connection.
      this.metrics.delivered(items.length * st.subs.size, frames * st.subs.size);
      return;
    }
    // Slow path: some subscribers are positioned ahead of what is delivered here (cross-node race).
    let pushed = 0;
    for (const it of items) {
      const f = OutFrame.json(it.payload);
      for (const c of st.subs) {
        const floor = st.floors.get(c);
        if (floor === undefined || it.offset > floor) {
          c.push(f);
          pushed++;
        }
      }
    }
    this.metrics.delivered(pushed, pushed);
    for (const [c, floor] of st.floors) if (st.last >= floor) st.floors.delete(c);
  }

  /** A gap stayed open: read the missing publications from the store and deliver in order. */
  private async fillGap(topic: string): Promise<void> {
    const st = this.channels.get(topic);
    if (!st) return;
    st.gapTimer = undefined;
    if (st.ahead.size === 0) return;
    const { app, name } = parseTopic(topic);
    const upTo = Math.min(...st.ahead.keys());
    try {
      const missing = await this.store.messages.range(app, name, { after: st.last, limit: upTo - st.last - 1 });
      for (const m of missing) if (m.offset === st.last + 1) this.onPublication(topic, st, m.offset, pubPushJson(m));
    } catch (err) {
      // The store did not answer: nothing is known about the hole, so keep waiting and ask again.
      this.log.error({ err, topic, ...STORE_LOG(this.store.kind) }, 'gap fill failed: cannot read the store; retrying');
      if (this.channels.get(topic) === st && st.ahead.size && !st.gapTimer) st.gapTimer = setTimeout(() => void this.fillGap(topic), GAP_WAIT_MS);
      return;
    }
    if (this.channels.get(topic) !== st || st.ahead.size === 0) return;
    if (!st.ahead.has(st.last + 1)) {
      // Offsets are allocated gap-free at commit and published after it, so a hole the store does not
      // have yet is a commit still in flight elsewhere: ask again a few times before giving up on it.
      if (++st.gapTries < GAP_TRIES) {
        if (!st.gapTimer) st.gapTimer = setTimeout(() => void this.fillGap(topic), GAP_WAIT_MS);
        return;
      }
      this.log.error({ topic, from: st.last + 1 }, 'publication gap not in store after retries; skipping ahead (clients recover it from history)');
      st.last = Math.min(...st.ahead.keys()) - 1;
    }
    st.gapTries = 0;
    this.release(topic, st);
  }

  private onUserEvent(topic: string, kind: string, body: string, offset: number): void {
    if (!this.users.has(topic)) return;
    switch (kind) {
      case 'm': {
        const frame = OutFrame.json(body);
        this.users.forEach(topic, (c) => c.push(frame));
        return;
      }
      case 's':
        for (const c of this.users.members(topic)) c.onMemberAdded(body, offset);
        return;
      case 'x':
        for (const c of this.users.members(topic)) c.onAccessLost(body);
        return;
      case 'o':
        for (const c of this.users.members(topic)) if (c.session === body) c.close(Disconnects.loggedOut);
        return;
    }
  }

  /** Ends every connection of an app on this node (the app was deleted). */
  closeApp(app: string, d: Disconnect): void {
    for (const c of [...this.clients]) if (c.app === app) c.close(d);
  }

  /** Ends this node's connections of an app that the filter names (server API disconnect); returns how many. */
  closeMatching(app: string, f: ConnectionFilter, d: Disconnect): number {
    // A user's connections are indexed by user topic; only a bare client id needs the full scan.
    const pool = f.user !== undefined ? this.users.members(userTopic(app, f.user)) : this.clients;
    let n = 0;
    for (const c of [...pool]) {
      if (c.app !== app || !matchesFilter(c, f)) continue;
      c.close(d);
      n++;
    }
    return n;
  }

  /** Every connection on this node, for listing and shutdown. */
  all(): HubClient[] {
    return [...this.clients];
  }
}
