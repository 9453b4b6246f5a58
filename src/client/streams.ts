import type { Message } from './types.ts';

/** A publication as centrifuge hands it over (`info.connInfo`) or as an rpc result carries it (`info.conn_info`). */
export interface PubLike {
  data: unknown;
  offset?: number;
  tags?: Record<string, string>;
  time?: number;
  info?: { user: string; client: string; connInfo?: any; conn_info?: any };
}

export interface HistoryPageFetcher {
  /** Publications after `offset`, ascending, at most `limit`. */
  (channel: string, offset: number, epoch: string | undefined, limit: number): Promise<PubLike[]>;
}

const PAGE = 100;
const RETRIES = 5;

interface Stream {
  /** Offset of the last message delivered; undefined until the subscription tells where the stream is. */
  last?: number;
  epoch?: string;
  filling: boolean;
  /** Catch up at least to here. */
  target: number;
  /** Live publications that arrived past a gap, held until the gap is filled. */
  buffer: PubLike[];
  /**
   * An ephemeral or cache channel (subscribed without a position): nothing to repair from history,
   * publications are delivered as they arrive.
   */
  live?: boolean;
}

/**
 * Delivers each channel's messages once and in offset order. The server recovers missed
 * publications on reconnect; this is the guard behind it: a publication at or below the last
 * delivered offset is dropped, one past a gap waits while the gap is fetched from history
 * (a recovery the server declined, or a lost frame), then the waiting ones follow.
 */
export class ChannelStreams {
  #streams = new Map<string, Stream>();

  constructor(
    private readonly deliver: (m: Message) => void,
    private readonly fetchAfter: HistoryPageFetcher,
    private readonly onError: (err: Error) => void,
    private readonly maxCatchUp: number,
  ) {}

  position(channel: string): { offset: number; epoch?: string } | undefined {
    const s = this.#streams.get(channel);
    return s?.last === undefined ? undefined : { offset: s.last, epoch: s.epoch };
  }

  /** A (re)subscription: `pos` is the stream top; `recovered` means the missed publications follow. */
  subscribed(channel: string, pos: { offset: number; epoch: string } | undefined, recovered: boolean): void {
    const s = this.#get(channel);
    s.live = !pos;
    if (!pos) return;
    if (s.last === undefined || (s.epoch && pos.epoch && s.epoch !== pos.epoch)) {
      // First sight of the channel, or a new stream (channel recreated): live from here on.
      s.last = pos.offset;
      s.epoch = pos.epoch;
      return;
    }
    if (pos.epoch) s.epoch = pos.epoch;
    if (!recovered && pos.offset > s.last) void this.#catchUp(channel, s, pos.offset);
  }

  publication(channel: string, pub: PubLike): void {
    const s = this.#get(channel);
    const offset = pub.offset;
    if (offset === undefined || offset === 0 || s.live) {
      this.deliver(toMessage(channel, pub, s.epoch));
      return;
    }
    if (s.filling) {
      s.buffer.push(pub);
      return;
    }
    if (s.last !== undefined && offset <= s.last) return;
    if (s.last !== undefined && offset > s.last + 1) {
      s.buffer.push(pub);
      void this.#catchUp(channel, s, offset - 1);
      return;
    }
    s.last = offset;
    this.deliver(toMessage(channel, pub, s.epoch));
  }

  forget(channel: string): void {
    this.#streams.delete(channel);
  }

  clear(): void {
    this.#streams.clear();
  }

  #get(channel: string): Stream {
    let s = this.#streams.get(channel);
    if (!s) {
      s = { filling: false, target: 0, buffer: [] };
      this.#streams.set(channel, s);
    }
    return s;
  }

  async #catchUp(channel: string, s: Stream, target: number): Promise<void> {
    s.target = Math.max(s.target, target);
    if (s.filling) return;
    s.filling = true;
    let failures = 0;
    try {
      while (this.#streams.get(channel) === s) {
        this.#drain(channel, s);
        const last = s.last ?? 0;
        const needed = Math.max(s.target, s.buffer.length > 0 ? s.buffer[0].offset! - 1 : 0);
        if (last >= needed) break;
        if (needed - last > this.maxCatchUp) {
          this.onError(new Error(`xpush: ${channel}: ${needed - last - this.maxCatchUp} messages skipped (gap over maxCatchUp); read them with history()`));
          s.last = needed - this.maxCatchUp;
          continue;
        }
        let page: PubLike[];
        try {
          page = await this.fetchAfter(channel, last, s.epoch, Math.min(PAGE, needed - last));
        } catch (err) {
          if (!isTemporary(err) || ++failures > RETRIES) throw err;
          await sleep(500 * 2 ** failures);
          continue;
        }
        failures = 0;
        if (this.#streams.get(channel) !== s) return;
        let delivered = false;
        for (const p of [...page].sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0))) {
          if (p.offset === undefined || p.offset <= (s.last ?? 0)) continue;
          s.last = p.offset;
          delivered = true;
          this.deliver(toMessage(channel, p, s.epoch));
        }
        // Nothing newer in history (trimmed, or deleted): the gap cannot be filled, move past it.
        if (!delivered) s.last = needed;
      }
    } catch (err) {
      this.onError(new Error(`xpush: ${channel}: could not fetch missed messages: ${errorText(err)}`));
      s.last = Math.max(s.last ?? 0, s.target);
      this.#drain(channel, s, true);
    } finally {
      s.filling = false;
    }
  }

  /** Delivers buffered publications that follow the last one; with `force`, all of them, in order. */
  #drain(channel: string, s: Stream, force = false): void {
    s.buffer.sort((a, b) => a.offset! - b.offset!);
    while (s.buffer.length > 0) {
      const p = s.buffer[0];
      const last = s.last ?? 0;
      if (p.offset! > last + 1 && !force) break;
      s.buffer.shift();
      if (p.offset! <= last) continue;
      s.last = p.offset;
      this.deliver(toMessage(channel, p, s.epoch));
    }
  }
}

export function toMessage(channel: string, pub: PubLike, epoch?: string): Message {
  const info = pub.info;
  const connInfo = info?.connInfo ?? info?.conn_info;
  const ts = pub.tags?.ts !== undefined ? Number(pub.tags.ts) : pub.time;
  const meta: Message['meta'] = { offset: pub.offset ?? 0 };
  if (pub.tags?.id !== undefined) meta.id = pub.tags.id;
  if (info?.user !== undefined) meta.user = info.user;
  if (connInfo && typeof connInfo === 'object' && typeof connInfo.device === 'string') meta.device = connInfo.device;
  if (info?.client) meta.client = info.client;
  if (ts !== undefined && Number.isFinite(ts)) meta.time = ts;
  if (epoch) meta.epoch = epoch;
  return { channel, event: pub.tags?.event ?? 'message', data: pub.data, meta };
}

/** Network trouble or a server error marked temporary: worth another try. centrifuge's own codes are < 100. */
export function isTemporary(err: unknown): boolean {
  const e = err as { code?: unknown; temporary?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.temporary === true) return true;
  // 1 timeout, 2 transport closed, 10 write error, 11 connection closed (centrifuge errorCodes).
  return e.code === 1 || e.code === 2 || e.code === 10 || e.code === 11;
}

function errorText(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e && typeof e === 'object' ? `${e.message ?? ''}${e.code !== undefined ? ` (${String(e.code)})` : ''}` : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
