import { randomBytes } from 'node:crypto';
import type { LiveStreams } from './live-streams.ts';

interface Stream {
  top: number;
  epoch: string;
  /** Newest publications by offset (JSON text), at most the channel's cache size. */
  kept: Map<number, string>;
}

/** Live streams of a single process: see LiveStreams for the contract. */
export class MemoryLiveStreams implements LiveStreams {
  readonly kind = 'memory' as const;
  private readonly streams = new Map<string, Stream>();

  private stream(app: string, channel: string): Stream {
    const k = `${app}\0${channel}`;
    let s = this.streams.get(k);
    if (!s) this.streams.set(k, (s = { top: 0, epoch: randomBytes(4).toString('hex'), kept: new Map() }));
    return s;
  }

  async allocate(app: string, channel: string, count: number): Promise<{ first: number; epoch: string }> {
    const s = this.stream(app, channel);
    const first = s.top + 1;
    s.top += count;
    return { first, epoch: s.epoch };
  }

  async keep(app: string, channel: string, items: { offset: number; publication: string }[], limit: number): Promise<void> {
    const s = this.stream(app, channel);
    for (const it of items) s.kept.set(it.offset, it.publication);
    if (s.kept.size > limit) {
      const offsets = [...s.kept.keys()].sort((a, b) => a - b);
      for (const o of offsets.slice(0, offsets.length - limit)) s.kept.delete(o);
    }
  }

  async recent(app: string, channel: string): Promise<{ publications: string[]; top: number; epoch: string }> {
    const s = this.stream(app, channel);
    const publications = [...s.kept.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
    return { publications, top: s.top, epoch: s.epoch };
  }

  async drop(app: string, channel: string): Promise<void> {
    this.streams.delete(`${app}\0${channel}`);
  }

  async close(): Promise<void> {
    this.streams.clear();
  }
}
