import type { OutFrame } from './out-frame.ts';
import type { HubClient } from './hub.ts';

/** The fast path: one OutFrame (encoded and framed at most once per wire kind) queued to every connection in the set. */
export function deliver(targets: Iterable<HubClient>, frame: OutFrame): void {
  for (const c of targets) c.push(frame);
}
