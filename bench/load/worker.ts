/**
 * One load-generator process (forked by bench/lib/pool.ts). It holds a share of the clients, publishes
 * on command, and checks every delivery against the sender's sequence: a gap is a lost message until
 * it shows up late (then it was out of order), a sequence seen twice is a duplicate.
 */
import { createHmac } from 'node:crypto';
import { Conn, FIRST_PUBLISH_ID, protocols, type Proto, type Sink } from './protocols.ts';
import { xpushProtobuf } from './protobuf.ts';
import { encodeData, nowUs } from './payload.ts';
import { RawWs } from './raw-ws.ts';
import type { ClientSpec, DrainReply, Encoding, EncodingTally, PublishCmd, SetupCmd, WorkerCmd } from './spec.ts';

const KEY = 2 ** 26; // seq < 67M: key = u * KEY + seq fits a double exactly
const MAX_GAP_TRACKED = 100_000;
const DRAIN_CAP_MS = 120_000;

class Client extends Conn {
  n = 0;
  seq = 0;
  /** Closed mode: publishes this publisher may send (acks received) but has not sent yet. */
  owed = 0;
  /** Send time (µs) of each unacknowledged publish, by publish id. */
  sent = new Map<number, number>();
  /** offset − sequence of the first acked publish (checkOffsets): the same for every later one. */
  offsetBase: number | undefined;
  last = new Map<number, number>();
  gaps: Set<number> | undefined;
  /** Resolves the setup promise once: ready or failed. */
  settle: (() => void) | undefined;
  constructor(sink: Sink, readonly spec: ClientSpec, token: string, readonly proto: Proto) {
    super(sink, spec.u, token, spec.subs);
  }
}

let dataBytes = 100;
let clients: Client[] = [];
let pubs: Client[] = [];
let watchers: Client[] = [];
let frameNow = 0;
let measuring = false;
let running = false;
let mode: PublishCmd | undefined;
let delivered = 0, published = 0, acked = 0, held = 0;
/** What the subscribers (clients that expect messages) read: TCP reads, WebSocket frames, bytes. */
let reads = 0, frames = 0, bytesIn = 0;
/** Closed mode with credit: the publisher may send sequences below this (window mode uses it too). */
let creditUpTo = Infinity;
let dup = 0, ooo = 0, lostUntracked = 0, offsetErrors = 0, failures = 0;
const reasons: string[] = [];
const lat: number[] = [], done: number[] = [], ackLat: number[] = [];
const pending = new Map<number, number>();
let readyCount = 0;

const sink: Sink = {
  ready(c) {
    c.isReady = true;
    readyCount++;
    (c as Client).settle?.();
  },
  fail(c, why) {
    failures++;
    if (reasons.length < 20) reasons.push(`client ${c.index}: ${why}`);
    (c as Client).settle?.();
  },
  message(conn, u, seq, t) {
    const c = conn as Client;
    delivered++;
    c.n++;
    const last = c.last.get(u) ?? 0;
    if (seq === last + 1) c.last.set(u, seq);
    else if (seq > last + 1) {
      if (seq - last - 1 > MAX_GAP_TRACKED) lostUntracked += seq - last - 1;
      else for (let k = last + 1; k < seq; k++) (c.gaps ??= new Set()).add(u * KEY + k);
      c.last.set(u, seq);
    } else if (c.gaps?.delete(u * KEY + seq)) ooo++;
    else dup++;
    if (measuring && (delivered & 15) === 0) lat.push((frameNow - t) / 1000);
    if (mode?.track) {
      const key = u * KEY + seq;
      const r = pending.get(key);
      if (r === undefined) return;
      if (r > 1) pending.set(key, r - 1);
      else {
        pending.delete(key);
        if (measuring) done.push((frameNow - t) / 1000);
      }
    }
  },
  ack(conn, id, offset) {
    const c = conn as Client;
    const seq = id - FIRST_PUBLISH_ID;
    const sentAt = c.sent.get(id);
    if (sentAt === undefined) {
      failures++;
      if (reasons.length < 20) reasons.push(`client ${c.index}: ack for publish ${seq}, which is not awaiting one`);
      return;
    }
    c.sent.delete(id);
    acked++;
    if (mode?.checkOffsets && offset >= 0) {
      c.offsetBase ??= offset - seq;
      if (offset - seq !== c.offsetBase) {
        offsetErrors++;
        if (reasons.length < 20) reasons.push(`client ${c.index}: publish ${seq} acked with offset ${offset}, expected ${c.offsetBase + seq}`);
      }
    }
    if (mode?.mode === 'closed') {
      if (measuring) ackLat.push((frameNow - sentAt) / 1000);
      if (!running) return;
      c.owed++;
      if (c.seq >= creditUpTo) held++;
      releaseOwed(c);
    }
  },
};

function publishOne(c: Client): void {
  c.seq++;
  const t = nowUs();
  c.sent.set(FIRST_PUBLISH_ID + c.seq, t);
  if (mode?.track) pending.set(c.index * KEY + c.seq, mode.track);
  c.proto.publish(c, c.spec.pub!, encodeData(c.index, c.seq, t, dataBytes), FIRST_PUBLISH_ID + c.seq);
  published++;
}

/** Closed mode: sends what the acks allow, as far as the credit allows. */
function releaseOwed(c: Client): void {
  while (c.owed > 0 && c.seq < creditUpTo) {
    c.owed--;
    publishOne(c);
  }
}

async function setup(m: SetupCmd): Promise<{ ready: number; failed: number; reasons: string[] }> {
  const proto = protocols[m.proto];
  if (m.proto !== 'xpush' && m.clients.some((c) => c.protobuf)) throw new Error(`the ${m.proto} protocol has no Protobuf encoding`);
  dataBytes = m.dataBytes;
  const exp = Math.floor(Date.now() / 1000) + 6 * 3600;
  const readyBefore = readyCount;
  let next = 0;
  const opener = async (): Promise<void> => {
    while (next < m.clients.length) {
      const spec = m.clients[next++];
      const token = m.auth ? jwt(m.auth.secret, { sub: spec.user, app: m.auth.app, exp }) : '';
      const c = new Client(sink, spec, token, spec.protobuf ? xpushProtobuf : proto);
      clients.push(c);
      if (spec.pub) pubs.push(c);
      if (spec.expect.length) watchers.push(c);
      await connect(c, m.urls[spec.node]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(m.concurrency, m.clients.length) }, opener));
  const ready = readyCount - readyBefore;
  return { ready, failed: m.clients.length - ready, reasons: reasons.slice() };
}

/** An HS256 JWT, signed synchronously (jose's WebCrypto round trip per token slows 10,000 connects). */
function jwt(secret: string, claims: object): string {
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** Opens one client; resolves once it is ready (connected and subscribed) or has failed. */
function connect(c: Client, url: string): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => sink.fail(c, 'connect/subscribe timed out'), 60_000);
    c.settle = () => {
      clearTimeout(timer);
      c.settle = undefined;
      resolve();
    };
    const subscriber = c.spec.expect.length > 0;
    c.ws = new RawWs(url, {
      open: () => c.proto.open(c),
      chunk: (n) => {
        frameNow = nowUs();
        if (subscriber) {
          reads++;
          bytesIn += n;
        }
      },
      text: (s) => {
        if (subscriber) frames++;
        c.proto.frame(c, s);
      },
      error: (e) => sink.fail(c, `socket error ${e.message}`),
      close: (code, reason) => {
        if (!closing) sink.fail(c, `closed ${code} ${reason}`);
      },
    }, { subprotocol: c.proto.subprotocol });
  });
}

let closing = false;
let rateTimer: NodeJS.Timeout | undefined;
let watchTimer: NodeJS.Timeout | undefined;

function startPublishing(m: PublishCmd): void {
  mode = m;
  running = true;
  if (m.mode === 'closed') {
    creditUpTo = m.credit ? 0 : Infinity; // with credit, the first publish waits for the first grant
    for (const c of pubs) {
      c.owed = m.inflight ?? 1;
      releaseOwed(c);
    }
  }
  if (m.mode === 'rate') {
    const periodUs = 1e6 / m.rate!;
    const phase = pubs.map(() => Math.random() * periodUs);
    const base = pubs.map((c) => c.seq); // a later phase continues the sequence
    const start = nowUs();
    rateTimer = setInterval(() => {
      const el = nowUs() - start;
      for (let i = 0; i < pubs.length; i++) {
        const due = base[i] + (el < phase[i] ? 0 : Math.floor((el - phase[i]) / periodUs) + 1);
        while (pubs[i].seq < due) publishOne(pubs[i]);
      }
    }, 5);
  }
  if ((m.mode === 'window' || m.credit) && watchers.length) {
    let sent = -1;
    watchTimer = setInterval(() => {
      let min = Infinity;
      for (const c of watchers) if (c.n < min) min = c.n;
      if (min !== sent) process.send!({ ev: 'min', v: (sent = min) });
    }, 3);
  }
}

function credit(upTo: number): void {
  if (!running) return;
  creditUpTo = upTo;
  if (mode?.mode === 'closed') for (const c of pubs) releaseOwed(c);
  else for (const c of pubs) while (c.seq < upTo) publishOne(c);
}

async function drain(finals: Map<number, number>, timeoutMs: number): Promise<DrainReply> {
  const missingAt = (c: Client): number => {
    let n = c.gaps?.size ?? 0;
    for (const u of c.spec.expect) n += Math.max(0, (finals.get(u) ?? 0) - (c.last.get(u) ?? 0));
    return n;
  };
  const missing = (): number => clients.reduce((n, c) => n + missingAt(c), lostUntracked);
  // A slow server may still be working through a backlog (Socket.IO with 100 publishes to 10,000
  // subscribers in flight needs ~15 s): wait as long as messages or acks keep arriving, and give up
  // only after `timeoutMs` without any, or after DRAIN_CAP_MS in all.
  const cap = Date.now() + DRAIN_CAP_MS;
  let deadline = Date.now() + timeoutMs;
  let seen = delivered + acked;
  while ((missing() > 0 || acked < published) && Date.now() < deadline && Date.now() < cap) {
    await new Promise((r) => setTimeout(r, 50));
    if (delivered + acked !== seen) {
      seen = delivered + acked;
      deadline = Date.now() + timeoutMs;
    }
  }
  const byEncoding: Record<Encoding, EncodingTally> = { json: { subscribers: 0, received: 0, lost: 0 }, protobuf: { subscribers: 0, received: 0, lost: 0 } };
  for (const c of watchers) {
    const e = byEncoding[c.spec.protobuf ? 'protobuf' : 'json'];
    e.subscribers++;
    e.received += c.n;
    e.lost += missingAt(c);
  }
  const r: DrainReply = { lost: missing(), dup, ooo, unacked: published - acked, offsetErrors, failures, reasons: reasons.splice(0), lat: lat.splice(0), done: done.splice(0), ack: ackLat.splice(0), byEncoding };
  dup = ooo = offsetErrors = failures = 0; // the next phase reports its own (lost is recomputed)
  return r;
}

async function handle(m: WorkerCmd): Promise<unknown> {
  switch (m.cmd) {
    case 'setup':
      return setup(m);
    case 'publish':
      return startPublishing(m);
    case 'credit':
      return credit(m.upTo);
    case 'mark':
      measuring = m.measuring;
      return { t: nowUs(), delivered, published, acked, held, reads, frames, bytesIn };
    case 'stop':
      running = false;
      for (const c of pubs) c.owed = 0;
      clearInterval(rateTimer);
      clearInterval(watchTimer);
      return { finals: pubs.map((c) => [c.index, c.seq]) };
    case 'drain':
      return drain(new Map(m.finals), m.timeoutMs);
    case 'close':
      closing = true;
      for (const c of clients) c.ws?.terminate();
      clients = [];
      pubs = [];
      watchers = [];
      return {};
  }
}

process.on('message', (msg: { rid: number } & WorkerCmd) => {
  handle(msg).then(
    (r) => process.send!({ rid: msg.rid, ok: true, r }),
    (e: Error) => process.send!({ rid: msg.rid, ok: false, error: e.stack ?? String(e) }),
  );
});
process.on('disconnect', () => process.exit(0));
