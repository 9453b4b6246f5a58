/**
 * acked broadcast (issue 13): one open channel whose subscribers are spread over 100 users' tokens,
 * one publisher sending native publish commands that keeps at most W of them unacknowledged (W = 1,
 * 10, 100) and sends the next one only when an ack arrives, ~100-byte messages, at 1,000 and 10,000
 * subscribers. This is what a chat backend or an SDK user does; broadcast.ts instead lets the
 * publisher run ahead on a credit window without waiting for acks.
 *
 * What an ack means per server: XPUSH answers the publish after the SQLite commit (stored); the
 * Centrifugal no-store server and Socket.IO (emit with an ack callback) answer once the publication is
 * queued to every subscriber; bare ws has no acks in its protocol, so its `A<id>` reply — written in the
 * same flush as the fan-out, after it — plays that part.
 *
 * A server that acks before its subscribers have read (all four may) could let the publisher run
 * ahead without bound; a safety bound stops it W + broadcast's credit window ahead of the slowest
 * subscriber, and the table shows how often that bound, not the ack, held the publisher back.
 *
 * Figures per W: deliveries/s, publishes acked/s, server CPU µs per delivery, ack latency p50/p99
 * (publish sent → ack arrived, in the publisher's process), and the usual CPU columns. Lost,
 * duplicated or reordered deliveries, unacknowledged publishes and (XPUSH) skipped or repeated stored
 * offsets fail the run.
 */
import type { ClientSpec } from '../load/spec.ts';
import { runLoad } from '../lib/drive.ts';
import { withTarget, usPer, type Ctx, type Scenario } from '../lib/ctx.ts';
import { Table } from '../lib/report.ts';
import { LABEL, NotAvailable, type ChannelKind } from '../lib/targets.ts';
import { windowFor } from './broadcast.ts';

/** The subscribers connect with the tokens of this many users (several connections per user). */
const USERS = 100;
const SIZES = [1000, 10_000];
const WINDOWS = [1, 10, 100];
/**
 * The quick suite runs every W at 1k but only W = 100 (issue 13's headline) at 10k, where connecting
 * and each phase take longest; `--full` runs every W at both sizes with longer windows.
 */
function quickWindows(n: number): number[] {
  return n >= 10_000 ? [100] : WINDOWS;
}

/** `--acked-sizes 1000` / `--acked-windows 100`: a subset, e.g. to profile one case. */
function listOption(ctx: Ctx, name: string, all: number[]): number[] {
  const v = ctx.option(name);
  if (v === undefined) return all;
  const list = v.split(',').map(Number);
  if (!list.every((x) => Number.isInteger(x) && x > 0)) throw new Error(`--${name} takes positive integers separated by commas`);
  return list;
}

/**
 * The two variants issue 13 asks for:
 * - `channel`: `--acked-channel ephemeral` runs XPUSH on an ephemeral channel (not stored, acked at fan-out);
 * - `protobufShare`: `--acked-protobuf 0.5` makes that share of the subscribers speak the Protobuf
 *   encoding (load/protobuf.ts); the publisher stays on JSON, whose publish reply carries the stored
 *   offset the run checks. Only XPUSH speaks Protobuf here: the other servers are n/a in such a run.
 */
export interface AckedVariant {
  channel: ChannelKind;
  protobufShare: number;
}

function variantOf(ctx: Ctx): AckedVariant {
  const channel = (ctx.option('acked-channel') ?? 'durable') as ChannelKind;
  if (channel !== 'durable' && channel !== 'ephemeral') throw new Error(`--acked-channel must be durable or ephemeral, not ${String(channel)}`);
  const protobufShare = Number(ctx.option('acked-protobuf') ?? 0);
  if (!(protobufShare >= 0 && protobufShare <= 1)) throw new Error('--acked-protobuf must be a share between 0 and 1');
  return { channel, protobufShare };
}

/** Whether subscriber i speaks Protobuf: evenly spread, `share` of them. */
function speaksProtobuf(i: number, share: number): boolean {
  return Math.floor((i + 1) * share) > Math.floor(i * share);
}

export const acked: Scenario = {
  name: 'acked',
  async run(ctx: Ctx) {
    const variant = variantOf(ctx);
    const sizes = listOption(ctx, 'acked-sizes', SIZES);
    const chosen = ctx.option('acked-windows') !== undefined ? listOption(ctx, 'acked-windows', WINDOWS) : undefined;
    const tables: Table[] = [];
    for (const n of sizes) {
      const windows = chosen ?? (ctx.full ? WINDOWS : quickWindows(n));
      const at = n >= 1000 ? `${n / 1000}k` : String(n);
      const table = new Table(
        `acked broadcast @${at}`,
        `one ${variant.channel} open channel, ${n.toLocaleString('en-US')} subscribers on ${USERS} users' tokens` +
          `${variant.protobufShare ? ` (${variant.protobufShare * 100} % Protobuf)` : ''}, one publisher keeping ≤ W publishes unacknowledged, ~100 B messages`,
      );
      for (const kind of ctx.kinds) {
        const protobuf = (i: number): boolean => speaksProtobuf(i, variant.protobufShare);
        if (kind !== 'xpush' && Array.from({ length: n }, (_, i) => i).some(protobuf)) {
          await table.run(kind, () => Promise.reject(new NotAvailable(`${LABEL[kind]} speaks no Protobuf in this bench`)));
          continue;
        }
        await withTarget(ctx, table, kind, {}, async (target, results) => {
          await target.createChannels(['acked'], variant.channel);
          const clients: ClientSpec[] = Array.from({ length: n }, (_, i) => ({ u: i, user: `s${i % USERS}`, node: 0, subs: ['acked'], expect: [n], ...(protobuf(i) && { protobuf: true }) }));
          clients.push({ u: n, user: 'publisher', node: 0, subs: [], pub: 'acked', expect: [] });
          const runs = await runLoad(target, {
            clients,
            // the publisher has a process of its own at normal priority: its acks are read at once,
            // not behind the deliveries of the subscribers it would otherwise share a worker with
            workerOf: (c, i) => (c.pub ? 0 : 1 + (i % ctx.workers)),
            workers: ctx.workers + 1,
            normalPriority: [0],
            phases: windows.map((w) => ({
              publish: { mode: 'closed' as const, inflight: w, checkOffsets: true },
              // safety bound: never more than W + broadcast's window (~200k deliveries) ahead of the
              // slowest subscriber, so a server that acks before delivering cannot queue without limit
              window: w + windowFor(n),
              warmupMs: ctx.full ? 2000 : 700,
              measureMs: ctx.full ? 8000 : 1500,
            })),
          });
          results.push(...runs);
          const figures: Record<string, number> = {};
          runs.forEach((r, k) => {
            const w = `W=${windows[k]}`;
            figures[`${w}: deliveries/s`] = r.deliveredPerSec;
            figures[`${w}: publishes acked/s`] = r.ackedPerSec;
            figures[`${w}: server CPU µs/delivery`] = usPer(r.serverCpu, r.deliveredPerSec);
            figures[`${w}: ack latency p50 ms`] = r.ack.p50;
            figures[`${w}: ack latency p99 ms`] = r.ack.p99;
            figures[`${w}: publishes held for lagging subscribers %`] = r.heldPct;
            figures[`${w}: publications per WebSocket frame`] = r.deliveredPerSec / r.framesPerSec;
            figures[`${w}: publications per TCP read`] = r.deliveredPerSec / r.readsPerSec;
            figures[`${w}: wire bytes per delivery`] = r.bytesPerSec / r.deliveredPerSec;
            figures[`${w}: server CPU %`] = r.serverCpu;
            figures[`${w}: server CPU in the kernel %`] = r.serverSysCpu;
            figures[`${w}: load-gen CPU %`] = r.loadCpu;
            figures[`${w}: other processes CPU %`] = r.otherCpu;
            if (variant.protobufShare > 0) {
              // from the start of the run, after this W's drain: 100 % = every message reached every subscriber
              for (const [e, label] of [['json', 'JSON'], ['protobuf', 'Protobuf']] as const) {
                const t = r.byEncoding[e];
                figures[`${w}: ${label} subscribers`] = t.subscribers;
                figures[`${w}: messages received by the ${label} subscribers %`] = t.subscribers ? (100 * t.received) / (t.subscribers * r.published) : NaN;
              }
            }
          });
          return figures;
        });
      }
      table.notes.push(
        'ack = XPUSH: stored (SQLite commit); Socket.IO: emit ack callback after io.to(room).emit; Centrifugal no-store: publish reply once queued to every subscriber; bare ws: its A<id> reply, written in the flush after the fan-out',
      );
      if (variant.protobufShare > 0) {
        table.notes.push(
          'Protobuf: the subscribers marked Protobuf speak the centrifuge-protobuf subprotocol (binary frames), the others and the publisher JSON; ' +
            'only XPUSH speaks Protobuf in this bench, so the other servers are n/a here (compare with a run at --acked-protobuf 0)',
        );
      }
      tables.push(table);
    }
    return tables;
  },
};
