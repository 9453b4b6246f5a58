import type Database from 'better-sqlite3';
import { Errors } from '../../errors.ts';
import { recordOf, type MessageRecord, type MessageStore, type NewMessage } from '../store.ts';
import { fromJson, toJson, type Statements } from './db.ts';

interface MessageRow {
  app_id: string;
  channel: string;
  msg_offset: number;
  id: string;
  event: string;
  data: string | null;
  sender_user: string;
  sender_device: string;
  sender_client: string;
  time: number;
}

const COLS = 'app_id, channel, msg_offset, id, event, data, sender_user, sender_device, sender_client, time';

/** Per-batch state of one channel: offsets reserved for the batch, used so far, and the last one used. */
interface Top {
  key: string;
  appId: string;
  channel: string;
  reserved: number;
  used: number;
  top: number;
}

/** Per-batch highest offset each sender wrote in each channel. */
interface SenderRead {
  appId: string;
  userId: string;
  channel: string;
  offset: number;
}

/** See MessageStore (src/store/store.ts). */
export class SqliteMessageStore implements MessageStore {
  private appendTx?: Database.Transaction<(batch: NewMessage[]) => MessageRecord[]>;

  /** `afterCommit` runs after each stored batch (the store wakes its checkpoint worker there). */
  constructor(private readonly q: Statements, private readonly afterCommit: () => void = () => {}) {}

  /**
   * The whole batch runs in one IMMEDIATE transaction (the write lock is taken before the top
   * offsets are read, so another process sharing the file cannot allocate the same offsets).
   * Each channel's top is read once per batch and written once at the end. Only idempotent
   * messages go through the partial unique index (app, channel, sender, id) WHERE dedupe, which detects a
   * duplicate on insert (no lookup before every insert); the others are plain inserts.
   * Durability: WAL with synchronous=NORMAL survives a process crash; a power loss may lose the
   * last commits (the trade-off the embedded default makes for throughput).
   */
  async append(batch: NewMessage[]): Promise<MessageRecord[]> {
    if (batch.length === 0) return [];
    this.appendTx ??= this.q.db.transaction((b: NewMessage[]) => this.appendSync(b));
    const out = this.appendTx.immediate(batch);
    this.afterCommit();
    return out;
  }

  private appendSync(batch: NewMessage[]): MessageRecord[] {
    // Each channel's offsets for the batch are reserved in ONE statement (its new top comes back),
    // then handed out in order; reserved ones a dedupe hit did not use are given back at the end.
    const reserve = this.q.get<[number, string, string]>('UPDATE channels SET top_offset = top_offset + ? WHERE app_id = ? AND name = ? RETURNING top_offset').pluck();
    // The conflict target names the partial index's WHERE: SQLite only matches a partial index that way.
    const insertOnce = this.q.get(
      `INSERT INTO messages (${COLS}, dedupe) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (app_id, channel, sender_user, id) WHERE dedupe DO NOTHING`,
    );
    const insert = this.q.get(`INSERT INTO messages (${COLS}, dedupe) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`);
    const tops = new Map<string, Top>();
    const topOf = new Array<Top>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const m = batch[i]!;
      const key = `${m.appId}\0${m.channel}`;
      let t = tops.get(key);
      if (!t) {
        t = { key, appId: m.appId, channel: m.channel, reserved: 0, used: 0, top: 0 };
        tops.set(key, t);
      }
      t.reserved++;
      topOf[i] = t;
    }
    for (const t of tops.values()) {
      const end = reserve.get(t.reserved, t.appId, t.channel) as number | undefined;
      if (end === undefined) throw Errors.unknownChannel.with(`unknown channel ${t.channel}`);
      t.top = end - t.reserved;
    }
    const senders = new Map<string, SenderRead>();
    const out: MessageRecord[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const m = batch[i]!;
      const t = topOf[i]!;
      const offset = t.top + 1;
      const r = (m.idempotent ? insertOnce : insert)
        .run(m.appId, m.channel, offset, m.id, m.event, m.dataJson ?? toJson(m.data), m.senderUser, m.senderDevice, m.senderClient, m.time);
      if (r.changes === 0) {
        out[i] = this.existing(m.appId, m.channel, m.senderUser, m.id);
        continue;
      }
      t.top = offset;
      t.used++;
      out[i] = recordOf(m, offset);
      if (m.senderUser !== '') {
        // Offsets only grow within a batch, so the last write per sender is the highest.
        senders.set(`${t.key}\0${m.senderUser}`, { appId: m.appId, userId: m.senderUser, channel: m.channel, offset });
      }
    }
    // Offsets stay gapless: a channel's top goes back to the last offset actually used.
    const setTop = this.q.get('UPDATE channels SET top_offset = ? WHERE app_id = ? AND name = ?');
    for (const t of tops.values()) if (t.used < t.reserved) setTop.run(t.top, t.appId, t.channel);
    const markRead = this.q.get(
      `INSERT INTO read_positions (app_id, user_id, channel, read_offset) VALUES (?, ?, ?, ?)
       ON CONFLICT (app_id, user_id, channel) DO UPDATE SET read_offset = max(read_offset, excluded.read_offset)`,
    );
    for (const s of senders.values()) markRead.run(s.appId, s.userId, s.channel, s.offset);
    return out;
  }

  private existing(appId: string, channel: string, sender: string, id: string): MessageRecord {
    const row = this.q
      .get(`SELECT ${COLS} FROM messages WHERE app_id = ? AND channel = ? AND sender_user = ? AND id = ? AND dedupe`)
      .get(appId, channel, sender, id) as MessageRow;
    return toMessage(row);
  }

  async trim(appId: string, channel: string, q: { olderThan?: number; keepLast?: number }): Promise<number> {
    return trimSync(this.q, appId, channel, q);
  }

  /** Both bounds are exclusive and optional; the primary key (app, channel, offset) serves either direction. */
  async range(appId: string, channel: string, q: { after?: number; before?: number; limit: number; reverse?: boolean }): Promise<MessageRecord[]> {
    const limit = Math.max(0, Math.floor(q.limit));
    if (limit === 0) return [];
    const sql = q.reverse
      ? `SELECT ${COLS} FROM messages WHERE app_id = ? AND channel = ? AND msg_offset > ? AND msg_offset < ? ORDER BY msg_offset DESC LIMIT ?`
      : `SELECT ${COLS} FROM messages WHERE app_id = ? AND channel = ? AND msg_offset > ? AND msg_offset < ? ORDER BY msg_offset LIMIT ?`;
    const rows = this.q.get(sql).all(appId, channel, q.after ?? 0, q.before ?? Number.MAX_SAFE_INTEGER, limit) as MessageRow[];
    return rows.map(toMessage);
  }
}

/** See MessageStore.trim. One IMMEDIATE transaction: the cut and the channel's trimOffset move together. */
export function trimSync(q: Statements, appId: string, channel: string, cut: { olderThan?: number; keepLast?: number }): number {
  return q.db.transaction(() => {
    const ch = q.get('SELECT top_offset, trim_offset FROM channels WHERE app_id = ? AND name = ?').get(appId, channel) as { top_offset: number; trim_offset: number } | undefined;
    if (!ch) return 0;
    let upTo = ch.trim_offset;
    if (cut.keepLast !== undefined) upTo = Math.max(upTo, ch.top_offset - cut.keepLast);
    if (cut.olderThan !== undefined) {
      // Times grow with offsets (one clock per commit), so the newest old message bounds the cut.
      const old = q.get('SELECT max(msg_offset) FROM messages WHERE app_id = ? AND channel = ? AND msg_offset > ? AND time < ?').pluck()
        .get(appId, channel, ch.trim_offset, cut.olderThan) as number | null;
      if (old !== null) upTo = Math.max(upTo, old);
    }
    if (upTo <= ch.trim_offset) return ch.trim_offset;
    q.get('DELETE FROM messages WHERE app_id = ? AND channel = ? AND msg_offset <= ?').run(appId, channel, upTo);
    q.get('UPDATE channels SET trim_offset = ? WHERE app_id = ? AND name = ?').run(upTo, appId, channel);
    return upTo;
  }).immediate();
}

function toMessage(r: MessageRow): MessageRecord {
  return {
    appId: r.app_id,
    channel: r.channel,
    offset: r.msg_offset,
    id: r.id,
    event: r.event,
    data: fromJson(r.data),
    senderUser: r.sender_user,
    senderDevice: r.sender_device,
    senderClient: r.sender_client,
    time: r.time,
  };
}
