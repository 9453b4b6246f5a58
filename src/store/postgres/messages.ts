import type pg from 'pg';
import { Errors } from '../../errors.ts';
import type { MessageRecord, MessageStore, NewMessage } from '../store.ts';
import { json, mapError } from './db.ts';

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
          send.map((m) => json(m.data)), send.map((m) => m.senderUser), send.map((m) => m.senderDevice),
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
        : {
          appId: m.appId, channel: m.channel, offset: r.msg_offset, id: m.id, event: m.event, data: m.data === undefined ? null : m.data,
          senderUser: m.senderUser, senderDevice: m.senderDevice, senderClient: m.senderClient, time: m.time,
        };
    }
    return slot.map((s) => stored[s]!);
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
