/**
 * The benchmark message and its minimal parser. Every message's data is one small JSON object
 * `{"xu":<publisher>,"xs":<sequence>,"xt":<sent, µs monotonic>,"p":"aaa…"}` padded to ~100 bytes.
 * Receivers never JSON.parse it: they find the three markers and read the digits, so the load
 * generator costs a few hundred nanoseconds per delivery whatever the server's envelope looks like.
 */

/** Monotonic microseconds. CLOCK_MONOTONIC is system-wide on Linux, so values compare across processes. */
export function nowUs(): number {
  const t = process.hrtime();
  return t[0] * 1e6 + Math.floor(t[1] / 1e3);
}

const PAD = 'a'.repeat(256);

/** The data object of message `seq` from publisher `u`, about `bytes` long (JSON text). */
export function encodeData(u: number, seq: number, t: number, bytes: number): string {
  const head = `{"xu":${u},"xs":${seq},"xt":${t},"p":"`;
  const padLen = Math.max(0, bytes - head.length - 2);
  return head + PAD.slice(0, padLen) + '"}';
}

export type OnMessage<C> = (ctx: C, u: number, seq: number, t: number) => void;

/** Reads a non-negative integer starting at `i`; returns -1 when there is no digit. */
function readInt(s: string, i: number): number {
  let v = 0;
  let any = false;
  for (;;) {
    const c = s.charCodeAt(i++);
    if (!(c >= 48 && c <= 57)) break; // NaN past the end too
    v = v * 10 + (c - 48);
    any = true;
  }
  return any ? v : -1;
}

/**
 * Calls `on(ctx, …)` for every benchmark message found in s[from, to). Returns how many were found,
 * so a caller can tell "frame without our data" (then it parses it properly) from "n messages".
 */
export function scanMessages<C>(s: string, from: number, to: number, ctx: C, on: OnMessage<C>): number {
  let n = 0;
  let i = from;
  for (;;) {
    i = s.indexOf('"xu":', i);
    if (i === -1 || i >= to) return n;
    const u = readInt(s, i + 5);
    const is = s.indexOf('"xs":', i + 5);
    const it = s.indexOf('"xt":', is + 5);
    if (u < 0 || is === -1 || it === -1) return n;
    on(ctx, u, readInt(s, is + 5), readInt(s, it + 5));
    n++;
    i = it + 5;
  }
}

/** Reads the integer after `prefix` at position i (e.g. `{"id":12,` → 12), or -1. */
export function intAfter(s: string, i: number, prefixLen: number): number {
  return readInt(s, i + prefixLen);
}
