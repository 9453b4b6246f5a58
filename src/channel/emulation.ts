import { randomUUID } from 'node:crypto';
import type { Broker } from '../broker/broker.ts';
import type { Logger } from '../logger.ts';
import { decodeEvent, encodeEvent, nodeTopic } from '../protocol/events.ts';

/** What the router needs of a stream connection (channel/client.ts). */
export interface EmulatedClient {
  readonly closed: boolean;
  onMessage(data: Buffer): void;
}

interface Forwarded {
  /** Request id (set on requests), or the id answered (set on replies). */
  id: string;
  reply?: boolean;
  /** The node waiting for the answer. */
  from?: string;
  session?: string;
  /** The commands, base64 (JSON text or Protobuf bytes alike). */
  data?: string;
  status?: number;
}

/**
 * Routes the later commands of an HTTP-streaming/SSE connection (POST /emulation {session, node,
 * data}) to the node that holds its stream — with no sticky sessions: a POST that lands on another
 * node (or on the session server) is forwarded over the broker to `n:<node>` and answered once that
 * node has handed the commands to the connection, as Centrifugo does. Status codes as the SDK
 * expects them: 204 handled, 404 unknown node or session (the SDK reconnects), 503 when the owner
 * did not answer in time.
 */
export class EmulationRouter {
  private readonly sessions = new Map<string, EmulatedClient>();
  private readonly waiting = new Map<string, { done: (status: number) => void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly nodeId: string,
    private readonly broker: Broker,
    private readonly log: Logger,
    /** Whether a node id is alive in the cluster (the registry); only asked for other nodes. */
    private readonly isLive: (node: string) => Promise<boolean>,
    private readonly timeoutMs = 10_000,
  ) {}

  get topic(): string {
    return nodeTopic(this.nodeId);
  }

  /** A new stream connection on this node, under a fresh session id (`newSession`). */
  register(session: string, c: EmulatedClient): void {
    this.sessions.set(session, c);
  }

  newSession(): string {
    return randomUUID();
  }

  unregister(session: string): void {
    this.sessions.delete(session);
  }

  async route(node: string, session: string, data: Buffer): Promise<number> {
    if (node === this.nodeId) return this.deliver(session, data);
    if (!(await this.isLive(node))) return 404;
    const id = randomUUID();
    const answered = new Promise<number>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(503);
      }, this.timeoutMs);
      this.waiting.set(id, { done: resolve, timer });
    });
    const req: Forwarded = { id, from: this.nodeId, session, data: data.toString('base64') };
    try {
      await this.broker.publish(nodeTopic(node), encodeEvent('e', 0, JSON.stringify(req)));
    } catch (err) {
      this.log.warn({ err, node }, 'emulation: forward failed');
      clearTimeout(this.waiting.get(id)?.timer);
      this.waiting.delete(id);
      return 503;
    }
    return answered;
  }

  /** An event on this node's topic: a forwarded request to handle, or the answer to one of ours. */
  onNodeEvent(payload: string): void {
    const ev = decodeEvent(payload);
    if (ev.kind !== 'e') return;
    let m: Forwarded;
    try {
      m = JSON.parse(ev.body) as Forwarded;
    } catch {
      return;
    }
    if (m.reply) {
      const w = this.waiting.get(m.id);
      if (!w) return;
      clearTimeout(w.timer);
      this.waiting.delete(m.id);
      w.done(m.status ?? 503);
      return;
    }
    if (typeof m.session !== 'string' || typeof m.data !== 'string' || typeof m.from !== 'string') return;
    const status = this.deliver(m.session, Buffer.from(m.data, 'base64'));
    const answer: Forwarded = { id: m.id, reply: true, status };
    this.broker.publish(nodeTopic(m.from), encodeEvent('e', 0, JSON.stringify(answer)))
      .catch((err) => this.log.warn({ err, node: m.from }, 'emulation: answer failed'));
  }

  private deliver(session: string, data: Buffer): number {
    const c = this.sessions.get(session);
    if (!c || c.closed) return 404;
    c.onMessage(data);
    return 204;
  }

  close(): void {
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.done(503);
    }
    this.waiting.clear();
  }
}
