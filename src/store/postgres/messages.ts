import type pg from 'pg';
import { Errors } from '../../errors.ts';
import { recordOf, type MessageRecord, type MessageStore, type NewMessage } from '../store.ts';
import { json, mapError, tx } from './db.ts';

/** SQLSTATE raised by append_messages when a channel of the batch does not exist. */
const UNKNOWN_CHANNEL = 'XP102';

interface MessageRow {
  app_id: string; channel: string; msg_offset: number; id: string; event: string; data: unknown;
  sender_user: string; sender_device: string; sender_client: string; time: number;
}

const toMessage = (r: MessageRow): MessageRecord => ({
  appId: r.app_id, channel: r.channel, offset: r.msg_offset, id: r.id, event: r.event, data: r.data,
  senderUser: r.sender_user, senderDevice: r.sender_device, senderClient: r.sender_client, time: r.time,
});

// NUL cannot appear in a PostgreSQL text value, so it separates key parts unambiguously.
const msgKey = (m: NewMessage): string => `${m.appId}\0${m.channel}\0${m.senderUser}\0${m.id}`;

/** The stored function (migration 3, per-sender ids since migration 6) does the whole append; see its comments there. */
const APPEND = `SELECT * FROM append_messages($1::text[], $2::text[], $3::text[], $4::text[], $5::json[],
  $6::text[], $7::text[], $8::text[], $9::int8[], $10::boolean[])`;

/** One row per message sent: its offset, and for an id already stored, that stored message. */
interface AppendRow {
  i: number; msg_offset: number; known: boolean; event: string | null; data: unknown;
  sender_user: string | null; sender_device: string | null; sender_client: string | null; time: number | null;
}

/** See MessageStore. */
export class PostgresMessageStore implements MessageStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * One statement, committed on its own (one round trip; the reply comes after the commit). A
   * repeated idempotent id inside the batch is resolved here and sent once.
   */
  async append(batch: NewMessage[]): Promise<MessageRecord[]> {
    if (batch.length === 0) return [];
    const send: NewMessage[] = [];
    const slot: number[] = new Array(batch.length);
    const firstOf = new Map<string, number>();
    for (let j = 0; j < batch.length; j++) {
      const m = batch[j]!;
      if (m.idempotent) {
        const k = msgKey(m);
        const first = firstOf.get(k);
        if (first !== undefined) { slot[j] = first; continue; }
        firstOf.set(k, send.length);
      }
      slot[j] = send.length;
      send.push(m);
    }
    let rows: AppendRow[];
    try {
      ({ rows } = await this.pool.query<AppendRow>({
        name: 'xpush.append',
        text: APPEND,
        values: [
          send.map((m) => m.appId), send.map((m) => m.channel), send.map((m) => m.id), send.map((m) => m.event),
          send.map((m) => m.dataJson ?? json(m.data)), send.map((m) => m.senderUser), send.map((m) => m.senderDevice),
          send.map((m) => m.senderClient), send.map((m) => m.time), send.map((m) => m.idempotent === true),
        ],
      }));
    } catch (err) {
      if ((err as { code?: unknown }).code === UNKNOWN_CHANNEL) throw Errors.unknownChannel;
      throw mapError(err);
    }
    const stored: MessageRecord[] = new Array(send.length);
    for (const r of rows) {
      const m = send[r.i - 1]!;
      stored[r.i - 1] = r.known
        ? {
          appId: m.appId, channel: m.channel, offset: r.msg_offset, id: m.id, event: r.event!, data: r.data,
          senderUser: r.sender_user!, senderDevice: r.sender_device!, senderClient: r.sender_client!, time: r.time!,
        }
        : recordOf(m, r.msg_offset);
    }
    return slot.map((s) => stored[s]!);
  }

  /** See MessageStore.trim: under the channel row lock appenders take, so the cut never races an append. */
  async trim(appId: string, channel: string, cut: { olderThan?: number; keepLast?: number }): Promise<number> {
    return tx(this.pool, async (c) => {
      const { rows } = await c.query<{ top_offset: string; trim_offset: string }>(
        'SELECT top_offset, trim_offset FROM channels WHERE app_id = $1 AND name = $2 FOR NO KEY UPDATE', [appId, channel]);
      if (!rows[0]) return 0;
      const top = Number(rows[0].top_offset);
      const trimmed = Number(rows[0].trim_offset);
      let upTo = trimmed;
      if (cut.keepLast !== undefined) upTo = Math.max(upTo, top - cut.keepLast);
      if (cut.olderThan !== undefined) {
        const r = await c.query<{ m: string | null }>(
          'SELECT max(msg_offset) AS m FROM messages WHERE app_id = $1 AND channel = $2 AND msg_offset > $3 AND time < $4',
          [appId, channel, trimmed, cut.olderThan]);
        if (r.rows[0]?.m !== null && r.rows[0]?.m !== undefined) upTo = Math.max(upTo, Number(r.rows[0].m));
      }
      if (upTo <= trimmed) return trimmed;
      await c.query('DELETE FROM messages WHERE app_id = $1 AND channel = $2 AND msg_offset <= $3', [appId, channel, upTo]);
      await c.query('UPDATE channels SET trim_offset = $3 WHERE app_id = $1 AND name = $2', [appId, channel, upTo]);
      return upTo;
    });
  }

  async range(appId: string, channel: string, q: { after?: number; before?: number; limit: number; reverse?: boolean }): Promise<MessageRecord[]> {
    const limit = Math.max(0, Math.floor(q.limit));
    if (limit === 0) return [];
    const where = ['app_id = $1', 'channel = $2'];
    const params: unknown[] = [appId, channel];
    if (q.after !== undefined) { params.push(q.after); where.push(`msg_offset > $${params.length}`); }
    if (q.before !== undefined) { params.push(q.before); where.push(`msg_offset < $${params.length}`); }
    params.push(limit);
    const { rows } = await this.pool.query<MessageRow>(
      `SELECT * FROM messages WHERE ${where.join(' AND ')}
       ORDER BY msg_offset ${q.reverse ? 'DESC' : 'ASC'} LIMIT $${params.length}`,
      params,
    );
    return rows.map(toMessage);
  }
}
