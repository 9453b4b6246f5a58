/**
 * Server-sent events read with fetch (EventSource cannot send the X-API-Key header): a tiny
 * incremental parser of the text/event-stream format, and the watch stream on top of it.
 */
export interface SseEvent {
  event: string;
  data: string;
}

/** Feed it chunks of text as they arrive; it returns the events they complete. */
export class SseParser {
  private buf = '';

  feed(text: string): SseEvent[] {
    this.buf += text.replace(/\r\n?/g, '\n');
    const out: SseEvent[] = [];
    let i: number;
    while ((i = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue; // comment (heartbeat)
        const colon = line.indexOf(':');
        const name = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (name === 'event') event = value;
        else if (name === 'data') data.push(value);
      }
      if (data.length) out.push({ event, data: data.join('\n') });
    }
    return out;
  }
}

/**
 * Reads `url` as an event stream until it ends or `signal` aborts; resolves then. Rejects when the
 * answer is not a stream (with the server's error message).
 */
export async function readStream(url: string, headers: Record<string, string>, signal: AbortSignal, onEvent: (e: SseEvent) => void): Promise<void> {
  const res = await fetch(url, { headers, signal });
  if (!res.ok || !res.body) {
    const body = await res.json().catch(() => undefined) as { error?: { message?: string } } | undefined;
    throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
  }
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  const parser = new SseParser();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      for (const e of parser.feed(dec.decode(value, { stream: true }))) onEvent(e);
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  }
}
