import { IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Serves a request that offered an upgrade we do not speak (e.g. `Upgrade: h2c`, which Java's
 * default HttpClient offers on every http:// call) as a plain HTTP/1.1 request, as RFC 9110 §7.8
 * allows. Node hands every request carrying an Upgrade header to the 'upgrade' listener with the
 * socket detached from its HTTP parser (and that request's body stream already ended), so a copy of
 * the request is emitted as 'request', with a response bound to that socket and the body
 * (Content-Length bytes: `head`, then the socket) pushed into the copy.
 * The connection closes after the response (the parser is gone). A chunked body is refused (411).
 */
export function serveIgnoringUpgrade(server: Server, original: IncomingMessage, socket: Socket, head: Buffer): void {
  const req = new IncomingMessage(socket);
  req.method = original.method;
  req.url = original.url;
  req.headers = original.headers;
  req.rawHeaders = original.rawHeaders;
  req.httpVersion = original.httpVersion;
  req.httpVersionMajor = original.httpVersionMajor;
  req.httpVersionMinor = original.httpVersionMinor;
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  res.on('finish', () => {
    res.detachSocket(socket);
    socket.end();
  });
  if (req.headers['transfer-encoding'] !== undefined) {
    res.writeHead(411, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ error: { code: 107, message: 'a request offering an upgrade must send its body with Content-Length' } }));
    return;
  }
  const length = Number(req.headers['content-length'] ?? 0) || 0;
  let got = 0;
  const feed = (chunk: Buffer): void => {
    const take = chunk.subarray(0, length - got);
    got += take.length;
    if (take.length) req.push(take);
    if (got >= length) {
      socket.off('data', feed);
      finish();
    }
  };
  // `complete` tells a reader the body arrived whole (an incomplete one reads as aborted when destroyed).
  const finish = (): void => {
    req.complete = true;
    req.push(null);
  };
  if (length === 0) finish();
  else {
    feed(head);
    if (got < length) socket.on('data', feed);
  }
  server.emit('request', req, res);
}
