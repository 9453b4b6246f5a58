/** Upload and download over the real HTTP API, for the file tests (single server and cluster). */

export interface Who {
  /** A user's access token (Bearer)… */
  token?: string;
  /** …or the app secret (the backend). */
  secret?: string;
}

function auth(who: Who): Record<string, string> {
  if (who.token) return { authorization: `Bearer ${who.token}` };
  if (who.secret) return { 'x-api-key': who.secret };
  return {};
}

async function parsed(res: Response): Promise<{ status: number; body: any; headers: Headers }> {
  const text = await res.text();
  let body: any = text;
  try { body = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
  return { status: res.status, body, headers: res.headers };
}

const filesPath = (app: string, channel: string) => `/v1/apps/${encodeURIComponent(app)}/channels/${encodeURIComponent(channel)}/files`;

/** POST the bytes (a Buffer: sent with Content-Length; a ReadableStream: chunked) as a file. */
export async function upload(base: string, app: string, channel: string, body: Buffer | ReadableStream<Uint8Array>, who: Who, opts: { name?: string; contentType?: string; sender?: string } = {}) {
  const q = new URLSearchParams();
  if (opts.name !== undefined) q.set('name', opts.name);
  if (opts.sender !== undefined) q.set('sender', opts.sender);
  const res = await fetch(`${base}${filesPath(app, channel)}${q.size ? '?' + q : ''}`, {
    method: 'POST',
    headers: { ...auth(who), 'content-type': opts.contentType ?? 'application/octet-stream' },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  return parsed(res);
}

export async function fileUrl(base: string, app: string, channel: string, id: string, who: Who) {
  return parsed(await fetch(`${base}${filesPath(app, channel)}/${id}/url`, { headers: auth(who) }));
}

export async function listFiles(base: string, app: string, channel: string, who: Who, query = '') {
  return parsed(await fetch(`${base}${filesPath(app, channel)}${query}`, { headers: auth(who) }));
}

export async function deleteFile(base: string, app: string, channel: string, id: string, who: Who) {
  return parsed(await fetch(`${base}${filesPath(app, channel)}/${id}`, { method: 'DELETE', headers: auth(who) }));
}

/** GET a download URL (absolute, or a path on `base`); the body as bytes. */
export async function download(url: string, headers: Record<string, string> = {}): Promise<{ status: number; bytes: Buffer; headers: Headers; json: any }> {
  const res = await fetch(url, { headers });
  const bytes = Buffer.from(await res.arrayBuffer());
  let json: any;
  if ((res.headers.get('content-type') ?? '').startsWith('application/json')) json = JSON.parse(bytes.toString('utf8'));
  return { status: res.status, bytes, headers: res.headers, json };
}

/** A stream of `total` bytes in chunks of `chunk`, produced as read (nothing known up front: sent chunked). */
export function byteStream(data: Buffer, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(ctrl) {
      if (at >= data.length) return ctrl.close();
      ctrl.enqueue(data.subarray(at, at + chunk));
      at += chunk;
    },
  });
}
