import { signatureHeader, SIGNATURE_HEADER } from '../auth/signature.ts';
import { Errors, XPushError } from '../errors.ts';
import { Disconnect } from '../disconnect.ts';

/** The proxy calls, named as in the request path docs/proxies.md shows. */
export type ProxyKind = 'connect' | 'refresh' | 'subscribe' | 'publish' | 'rpc' | 'sub_refresh';

export interface ProxyTarget {
  url: string;
  /** The app secret: signs the request. */
  secret: string;
  timeoutMs: number;
}

/** Larger answers are refused (a backend bug, not something to buffer). */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * One proxy call: POSTs `body` as signed JSON and returns the answer's `result` object (`{}` when the
 * backend answered without one: "allowed, nothing to change"). The backend's own verdicts become
 * what they say — `{error: {code, message, temporary}}` an XPushError answering the command,
 * `{disconnect: {code, reason}}` a Disconnect ending the connection. Anything else going wrong is
 * XPUSH's 504 (no answer in time) or 502 (unreachable, HTTP status other than 200, not a valid
 * answer), both temporary, so the SDKs retry connects and subscribes by themselves.
 */
export async function callProxy(kind: ProxyKind, target: ProxyTarget, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const text = JSON.stringify(body);
  let res: Response;
  let answer: string;
  try {
    res = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'xpush-proxy', [SIGNATURE_HEADER]: signatureHeader(target.secret, text) },
      body: text,
      signal: AbortSignal.timeout(target.timeoutMs),
      redirect: 'error',
    });
    answer = await res.text();
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw Errors.proxyTimeout.with(`${kind} proxy did not answer within ${target.timeoutMs} ms`);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw Errors.proxyFailed.with(`${kind} proxy unreachable: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  if (res.status !== 200) throw Errors.proxyFailed.with(`${kind} proxy answered HTTP ${res.status}`);
  if (answer.length > MAX_ANSWER_BYTES) throw Errors.proxyFailed.with(`${kind} proxy answer is larger than ${MAX_ANSWER_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer);
  } catch {
    throw Errors.proxyFailed.with(`${kind} proxy answer is not JSON`);
  }
  if (!isObject(parsed)) throw Errors.proxyFailed.with(`${kind} proxy answer is not a JSON object`);
  if (parsed.disconnect !== undefined) throw disconnectOf(kind, parsed.disconnect);
  if (parsed.error !== undefined) throw errorOf(kind, parsed.error);
  if (parsed.result === undefined) return {};
  if (!isObject(parsed.result)) throw Errors.proxyFailed.with(`${kind} proxy answer: result must be an object`);
  return parsed.result;
}

/** The backend refuses: codes 100–1999 (the protocol's 100–112, or the app's own from 400). */
function errorOf(kind: ProxyKind, e: unknown): XPushError {
  if (!isObject(e) || !Number.isInteger(e.code) || (e.code as number) < 100 || (e.code as number) > 1999) {
    return Errors.proxyFailed.with(`${kind} proxy answer: error.code must be an integer from 100 to 1999`);
  }
  const message = typeof e.message === 'string' ? e.message.slice(0, 512) : '';
  return new XPushError(e.code as number, message, { temporary: e.temporary === true, status: 400 });
}

/** The backend ends the connection: codes 3000–4999 (reconnect below 3500 and in 4000–4499, see FIELD-NOTES). */
function disconnectOf(kind: ProxyKind, d: unknown): Disconnect | XPushError {
  if (!isObject(d) || !Number.isInteger(d.code) || (d.code as number) < 3000 || (d.code as number) > 4999) {
    return Errors.proxyFailed.with(`${kind} proxy answer: disconnect.code must be an integer from 3000 to 4999`);
  }
  return new Disconnect(d.code as number, typeof d.reason === 'string' ? d.reason : '');
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
