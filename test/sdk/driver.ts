// The Node side of the SDK driver programs (test/sdk/{go,python,java}): commands go in as JSON lines
// on stdin, replies and SDK events come back as JSON lines on stdout. Plus a TCP relay that sits
// between a program and XPUSH so a test can drop the program's connection and hold it down.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { sleep } from '../e2e/e2e-kit.ts';
import type { Program } from './build.ts';

/** One SDK callback as the program reported it (`event` names it; `at` is when it arrived). */
export interface SdkEvent {
  event: string;
  at: number;
  [field: string]: any;
}

/** A command the SDK answered with an error: `code` is the server's reply code (0 for a local failure). */
export class SdkCallError extends Error {
  constructor(readonly op: string, readonly code: number, message: string, readonly temporary: boolean) {
    super(`${op}: ${code ? `error ${code}: ` : ''}${message}`);
  }
}

export class SdkDriver {
  readonly events: SdkEvent[] = [];
  private readonly stderr: string[] = [];
  private readonly pending = new Map<number, { op: string; resolve(v: any): void; reject(e: Error): void }>();
  private nextId = 1;
  private readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(readonly label: string, program: Program, extraArgs: string[] = []) {
    this.proc = spawn(program.cmd, [...program.args, ...extraArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code) => resolve(code));
      this.proc.once('error', () => resolve(null)); // could not start: no 'exit' follows
    });
    this.proc.on('error', (err) => this.stderr.push(String(err)));
    this.proc.stdin!.on('error', (err) => this.stderr.push(`(stdin) ${err}`)); // EPIPE once it died
    let buf = '';
    this.proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        this.line(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    this.proc.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    void this.exited.then((code) => {
      for (const [, p] of this.pending) p.reject(new Error(`${this.label} exited (${code}) before answering ${p.op}; ${this.tail()}`));
      this.pending.clear();
    });
  }

  private line(text: string): void {
    let m: any;
    try {
      m = JSON.parse(text);
    } catch {
      this.stderr.push(`(stdout) ${text}`);
      return;
    }
    if (typeof m.event === 'string') {
      this.events.push({ ...m, at: Date.now() });
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.error) p.reject(new SdkCallError(p.op, m.error.code ?? 0, m.error.message ?? '', m.error.temporary === true));
    else p.resolve(m.ok);
  }

  /** The last events and stderr lines, for failure messages. */
  tail(): string {
    return `last events: ${JSON.stringify(this.events.slice(-8).map(({ at, ...e }) => e))}; stderr: ${this.stderr.join('').slice(-1500)}`;
  }

  /** Sends one command; resolves with the SDK's result, rejects with SdkCallError. */
  call(op: string, params: Record<string, unknown> = {}, timeoutMs = 8000): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.label}: no answer to ${op} within ${timeoutMs} ms; ${this.tail()}`));
      }, timeoutMs);
      const done = <T>(f: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        f(v);
      };
      this.pending.set(id, { op, resolve: done(resolve), reject: done(reject) });
      this.proc.stdin!.write(JSON.stringify({ id, op, ...params }) + '\n');
    });
  }

  /** Where a step starts reading events from. */
  mark(): number {
    return this.events.length;
  }

  /** Events named `name` (all when omitted) that arrived at or after index `from`. */
  since(from: number, name?: string): SdkEvent[] {
    return this.events.slice(from).filter((e) => name === undefined || e.event === name);
  }

  /** The first event from index `from` on that matches; fails with the driver's recent output. */
  async waitEvent(what: string, pred: (e: SdkEvent) => boolean, from = 0, timeoutMs = 8000): Promise<SdkEvent> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.slice(from).find(pred);
      if (hit) return hit;
      if (Date.now() > end) throw new Error(`${this.label}: timed out after ${timeoutMs} ms waiting for ${what}; ${this.tail()}`);
      await sleep(10);
    }
  }

  /** Waits until `count` publications on `channel` arrived since `from`; returns them. */
  async publications(channel: string, count: number, from: number, timeoutMs = 8000): Promise<SdkEvent[]> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const got = this.since(from, 'publication').filter((e) => e.channel === channel);
      if (got.length >= count) return got;
      if (Date.now() > end) throw new Error(`${this.label}: ${got.length} of ${count} publications on ${channel} within ${timeoutMs} ms (offsets ${JSON.stringify(got.map((e) => e.offset))}); ${this.tail()}`);
      await sleep(10);
    }
  }

  /** Asks the program to close its client and exit; kills it if it does not within 5 s. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.stdin!.end(JSON.stringify({ op: 'exit' }) + '\n');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * A TCP pass-through to a server's port. `cut()` drops every open connection and refuses new ones
 * until `restore()`, which may also point the relay at another server (another cluster node).
 */
export class TcpRelay {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private blocked = false;
  port = 0;

  constructor(private target: number) {}

  /** The WebSocket URL the SDK programs connect to. */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/connection/websocket`;
  }

  async start(): Promise<void> {
    const server = net.createServer((client) => {
      if (this.blocked) {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  cut(): void {
    this.blocked = true;
    for (const s of this.sockets) s.destroy();
  }

  restore(target = this.target): void {
    this.target = target;
    this.blocked = false;
  }

  async close(): Promise<void> {
    this.cut();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Port of an http(s)/ws(s) URL. */
export function portOf(url: string): number {
  return Number(new URL(url).port);
}
