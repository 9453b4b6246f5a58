import http from 'node:http';

/** One server-sent event as the stream carried it. */
export interface SseEvent {
  event: string;
  data: any;
}

/**
 * Reads a server-sent-events response and keeps every event, parsed, in `events`; `done` resolves
 * when the server ends the stream (or `close()` drops it). node:http with a socket of its own (no
 * pool): closing a reader leaves no spare connection behind for the server's shutdown to wait on.
 */
export class SseReader {
  readonly events: SseEvent[] = [];
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  /** The JSON error body when the answer was not a stream. */
  error: any;
  done: Promise<void> = Promise.resolve();
  private req: http.ClientRequest | undefined;
  private res: http.IncomingMessage | undefined;

  /** `onChunk` sees the raw text as it arrives (comments included). */
  static open(url: string, headers: Record<string, string>, onChunk?: (text: string) => void): Promise<SseReader> {
    const r = new SseReader();
    return new Promise((resolve, reject) => {
      r.req = http.get(url, { headers, agent: false }, (res) => {
        r.res = res;
        r.status = res.statusCode ?? 0;
        r.headers = res.headers;
        res.setEncoding('utf8');
        if (r.status !== 200) {
          let text = '';
          res.on('data', (c: string) => { text += c; });
          res.on('end', () => {
            r.error = JSON.parse(text);
            resolve(r);
          });
          return;
        }
        r.done = new Promise((end) => {
          let buf = '';
          res.on('data', (c: string) => {
            onChunk?.(c);
            buf += c;
            let i;
            while ((i = buf.indexOf('\n\n')) >= 0) {
              r.take(buf.slice(0, i));
              buf = buf.slice(i + 2);
            }
          });
          res.on('close', () => end());
        });
        resolve(r);
      });
      r.req.on('error', (err) => { if (r.status === 0) reject(err); });
    });
  }

  close(): void {
    this.req?.destroy();
  }

  /** Stops reading: the server's writes pile up in its socket (a slow reader). */
  pause(): void {
    this.res?.pause();
  }

  resume(): void {
    this.res?.resume();
  }

  /** Publications received so far (default events: `data: {channel, pub}`). */
  get pubs(): any[] {
    return this.events.filter((e) => e.event === 'message').map((e) => e.data.pub);
  }

  named(name: string): SseEvent | undefined {
    return this.events.find((e) => e.event === name);
  }

  private take(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length) this.events.push({ event, data: JSON.parse(data.join('\n')) });
  }
}
