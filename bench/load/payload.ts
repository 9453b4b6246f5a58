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
 * Finds the first benchmark message in s[from, to) and calls `on(ctx, u, seq, t)`; returns the index
 * just past it, or -1. The search is for `xu":` rather than `"xu":` because `x` is rare in the
 * envelopes around our data while `"` is everywhere (a search stops at each first-character hit),
 * and the next two keys are read at their fixed places, falling back to a search if the server
 * re-ordered them.
 */
export function scanOne<C>(s: string, from: number, to: number, ctx: C, on: OnMessage<C>): number {
  let i = s.indexOf('xu":', from);
  while (i !== -1 && i < to && s.charCodeAt(i - 1) !== 34) i = s.indexOf('xu":', i + 4);
  if (i === -1 || i >= to) return -1;
  let j = i + 4;
  const u = readInt(s, j);
  j = skipDigits(s, j);
  j = s.startsWith(',"xs":', j) ? j + 6 : s.indexOf('"xs":', i) + 5;
  const seq = readInt(s, j);
  j = skipDigits(s, j);
  j = s.startsWith(',"xt":', j) ? j + 6 : s.indexOf('"xt":', i) + 5;
  const t = readInt(s, j);
  if (u < 0 || seq < 0 || t < 0) return -1;
  on(ctx, u, seq, t);
  return skipDigits(s, j);
}

function skipDigits(s: string, j: number): number {
  for (let c = s.charCodeAt(j); c >= 48 && c <= 57; c = s.charCodeAt(++j));
  return j;
}

/** Calls `on` for every benchmark message in s[from, to); returns how many there were. */
export function scanMessages<C>(s: string, from: number, to: number, ctx: C, on: OnMessage<C>): number {
  let n = 0;
  for (let i = scanOne(s, from, to, ctx, on); i !== -1; i = scanOne(s, i, to, ctx, on)) n++;
  return n;
}

/** Reads the integer after `prefix` at position i (e.g. `{"id":12,` → 12), or -1. */
export function intAfter(s: string, i: number, prefixLen: number): number {
  return readInt(s, i + prefixLen);
}
