import type { Frame } from './writer.ts';
import type { HubClient } from './hub.ts';

/** The fast path: one pre-encoded frame (a Buffer made once) queued to every connection in the set. */
export function deliver(targets: Iterable<HubClient>, frame: Frame): void {
  for (const c of targets) c.push(frame);
}
