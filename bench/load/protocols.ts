/**
 * Client side of the three wire protocols, over raw `ws` sockets with minimal parsing: the load
 * generator must stay cheap, so frames are scanned as latin1 strings and only replies that carry
 * something we check (errors, publish offsets) are looked at closely.
 *
 * - xpush: Centrifugal protocol v2 JSON (docs/protocol.md), several objects per frame split by "\n";
 *   also spoken to the Centrifugal no-store reference (bench/servers/centrifugal-nostore.ts). Its
 *   Protobuf encoding is bench/load/protobuf.ts, chosen per client (ClientSpec.protobuf).
 * - socketio: Engine.IO v4 / Socket.IO v5 packets over the websocket transport, one packet per frame.
 * - bare: the bench's own tiny protocol for bench/servers/bare-ws.ts (`S<ch>`, `P<ack> <ch> <data>`).
 */
import { intAfter, scanMessages, scanOne } from './payload.ts';

export type ProtoName = 'xpush' | 'socketio' | 'bare';

/** Publish ids start here so they never collide with connect/subscribe ids. */
export const FIRST_PUBLISH_ID = 1000;

export interface Sink {
  ready(c: Conn): void;
  fail(c: Conn, why: string): void;
  message(c: Conn, u: number, seq: number, t: number): void;
  /** A publish was acknowledged; `offset` is the stored offset (xpush) or -1. */
  ack(c: Conn, id: number, offset: number): void;
}

/** The socket under a client: bench/load/raw-ws.ts. */
export interface Wire {
  send(s: string): void;
  /** A binary frame (Protobuf clients). */
  sendBytes(b: Uint8Array): void;
  terminate(): void;
}

export class Conn {
  ws!: Wire;
  pendingSubs = 0;
  isReady = false;
  constructor(
    readonly sink: Sink,
    readonly index: number,
    readonly token: string,
    readonly subs: string[],
  ) {}
}

export interface Proto {
  /** WebSocket subprotocol to offer (and require) in the upgrade. */
  subprotocol?: string;
  open(c: Conn): void;
  frame(c: Conn, s: string): void;
  publish(c: Conn, channel: string, data: string, id: number): void;
}

// module-level so the hot path allocates no closure per frame
export function onMessage(c: Conn, u: number, seq: number, t: number): void {
  c.sink.message(c, u, seq, t);
}

export function subscribed(c: Conn): void {
  if (--c.pendingSubs === 0 && !c.isReady) c.sink.ready(c);
}

const xpush: Proto = {
  open(c) {
    c.ws.send(`{"id":1,"connect":{"token":${JSON.stringify(c.token)}}}`);
  },
  frame(c, s) {
    const len = s.length;
    let pos = 0;
    while (pos < len) {
      let end = s.indexOf('\n', pos);
      if (end === -1) end = len;
      if (s.startsWith('{"push"', pos)) {
        if (scanOne(s, pos, end, c, onMessage) === -1) otherPush(c, JSON.parse(s.slice(pos, end)));
      } else if (end - pos === 2 && s.startsWith('{}', pos)) {
        c.ws.send('{}');
      } else if (s.startsWith('{"id":', pos)) {
        const line = s.slice(pos, end);
        const id = intAfter(line, 0, 6);
        if (line.includes('"error":')) c.sink.fail(c, `reply ${line.slice(0, 300)}`);
        else xpushReply(c, id, line);
      } else if (end > pos) {
        generic(c, s.slice(pos, end));
      }
      pos = end + 1;
    }
  },
  publish(c, channel, data, id) {
    c.ws.send(`{"id":${id},"publish":{"channel":${JSON.stringify(channel)},"data":${data}}}`);
  },
};

function xpushReply(c: Conn, id: number, line: string): void {
  if (id === 1) {
    c.pendingSubs = c.subs.length;
    if (c.subs.length === 0) return c.sink.ready(c);
    c.ws.send(c.subs.map((ch, i) => `{"id":${i + 2},"subscribe":{"channel":${JSON.stringify(ch)}}}`).join('\n'));
  } else if (id < FIRST_PUBLISH_ID) {
    subscribed(c);
  } else {
    const o = line.indexOf('"offset":');
    c.sink.ack(c, id, o === -1 ? -1 : intAfter(line, o, 9));
  }
}

/** A push that is not one of our publications: only unsubscribe and disconnect matter (they lose messages). */
function otherPush(c: Conn, m: { push?: Record<string, unknown> }): void {
  const p = m.push ?? {};
  if (p.unsubscribe || p.disconnect) c.sink.fail(c, `push ${JSON.stringify(p).slice(0, 300)}`);
  const pub = p.pub as { data?: unknown } | undefined;
  if (pub && typeof pub.data === 'string') scanMessages(pub.data, 0, pub.data.length, c, onMessage);
}

/** Anything the fast path did not recognise (another key order, say): parse it properly. */
function generic(c: Conn, line: string): void {
  const m = JSON.parse(line) as { id?: number; error?: unknown; push?: Record<string, unknown> };
  if (m.push) return otherPush(c, m);
  if (m.error) return c.sink.fail(c, `reply ${m.id}: ${JSON.stringify(m.error)}`);
  if (typeof m.id === 'number') xpushReply(c, m.id, line);
}

const socketio: Proto = {
  open() {
    // the server speaks first (Engine.IO open packet "0{...}")
  },
  frame(c, s) {
    const k = s.charCodeAt(0);
    const k1 = s.charCodeAt(1);
    if (k === 52 /* 4 */ && k1 === 50 /* 42: event */) {
      if (scanMessages(s, 2, s.length, c, onMessage) === 0) c.sink.fail(c, `event ${s.slice(0, 200)}`);
    } else if (s === '2') {
      c.ws.send('3');
    } else if (k === 52 && k1 === 51 /* 43: ack */) {
      const id = intAfter(s, 0, 2);
      if (id < FIRST_PUBLISH_ID) subscribed(c);
      else c.sink.ack(c, id, -1);
    } else if (k === 48 /* 0: open */) {
      c.ws.send(c.token ? `40${JSON.stringify({ token: c.token })}` : '40');
    } else if (k === 52 && k1 === 48 /* 40: connected */) {
      c.pendingSubs = c.subs.length;
      if (c.subs.length === 0) return c.sink.ready(c);
      for (let i = 0; i < c.subs.length; i++) c.ws.send(`42${i + 2}["join",${JSON.stringify(c.subs[i])}]`);
    } else {
      c.sink.fail(c, `socket.io packet ${s.slice(0, 200)}`);
    }
  },
  publish(c, channel, data, id) {
    c.ws.send(`42${id}["pub",${JSON.stringify(channel)},${data}]`);
  },
};

const bare: Proto = {
  open(c) {
    c.pendingSubs = c.subs.length;
    if (c.subs.length === 0) return c.sink.ready(c);
    for (const ch of c.subs) c.ws.send('S' + ch);
  },
  frame(c, s) {
    const k = s.charCodeAt(0);
    if (k === 123 /* { */) {
      if (scanMessages(s, 0, s.length, c, onMessage) === 0) c.sink.fail(c, `frame ${s.slice(0, 200)}`);
    } else if (k === 65 /* A */) {
      c.sink.ack(c, intAfter(s, 0, 1), -1);
    } else if (k === 75 /* K */) {
      subscribed(c);
    } else {
      c.sink.fail(c, `bare frame ${s.slice(0, 200)}`);
    }
  },
  publish(c, channel, data, id) {
    c.ws.send(`P${id} ${channel} ${data}`);
  },
};

export const protocols: Record<ProtoName, Proto> = { xpush, socketio, bare };
