import { startBackend, type Answer, type Backend } from './backend.ts';

export interface ReceivedEvent { id: string; type: string; time: number; attempt: number; data: any }

export interface Batch {
  delivery: string;
  events: ReceivedEvent[];
  /** The status the receiver answered. */
  status: number;
  signed: boolean;
  at: number;
}

/**
 * A webhook receiver as an app would write one: checks the signature (docs/webhooks.md's code),
 * answers with `status(n)` for its n-th batch (0-based; 'hang' never answers), and de-duplicates
 * by event id as the docs tell receivers to.
 */
export interface Receiver {
  url: string;
  backend: Backend;
  readonly batches: Batch[];
  /** Events of the batches answered 2xx, de-duplicated by id, in arrival order. */
  accepted(): ReceivedEvent[];
  /** Ids that arrived in more than one batch answered 2xx (what "nothing twice" rules out). */
  acceptedTwice(): string[];
  /** Accepted events of one type. */
  ofType(type: string): ReceivedEvent[];
}

export async function startReceiver(t: { after(fn: () => unknown): void }, secret: () => string, status: (n: number) => number | 'hang' = () => 200): Promise<Receiver> {
  const batches: Batch[] = [];
  const backend = await startBackend(t, secret, (r): Answer => {
    const s = status(batches.length);
    const b = r.body ?? {};
    batches.push({ delivery: b.delivery, events: b.events ?? [], status: s === 'hang' ? 0 : s, signed: r.signed, at: r.at });
    return s === 'hang' ? 'hang' : { status: s, json: {} };
  });
  const ok = () => batches.filter((b) => b.status >= 200 && b.status < 300);
  const accepted = (): ReceivedEvent[] => {
    const seen = new Set<string>();
    const out: ReceivedEvent[] = [];
    for (const b of ok()) for (const e of b.events) if (!seen.has(e.id)) { seen.add(e.id); out.push(e); }
    return out;
  };
  return {
    url: backend.url + '/hooks',
    backend,
    batches,
    accepted,
    acceptedTwice() {
      const count = new Map<string, number>();
      for (const b of ok()) for (const e of b.events) count.set(e.id, (count.get(e.id) ?? 0) + 1);
      return [...count].filter(([, n]) => n > 1).map(([id]) => id);
    },
    ofType: (type) => accepted().filter((e) => e.type === type),
  };
}
