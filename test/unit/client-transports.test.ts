import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routedTransports } from '../../src/client/transports.ts';

class FakeCtor {
  static urls: string[] = [];
  constructor(url: string) { FakeCtor.urls.push(url); }
}

function routed(current: string, transports: ('websocket' | 'http_stream' | 'sse')[] = ['websocket', 'http_stream', 'sse']) {
  const fetched: string[] = [];
  const r = routedTransports({
    transports, sessionUrl: 'https://api.example/app', current: () => current,
    websocket: FakeCtor, eventsource: FakeCtor,
    fetch: (async (u: string | URL) => { fetched.push(String(u)); return new Response(null, { status: 204 }); }) as typeof fetch,
  });
  return { r, fetched };
}

test('routedTransports: endpoints in order; HTTP requests go to the node of the current attempt, under its path prefix', async () => {
  const { r, fetched } = routed('wss://n1.example/xpush/connection/websocket');
  assert.deepEqual(r.endpoints.map((e) => e.transport), ['websocket', 'http_stream', 'sse']);
  await r.fetch(r.endpoints[1]!.endpoint, { method: 'POST' });
  await r.fetch(r.emulationEndpoint, { method: 'POST' });
  await r.fetch('https://elsewhere.example/connection/http_stream');
  await r.fetch('https://api.example/v1/apps/a/users');
  assert.deepEqual(fetched, [
    'https://n1.example/xpush/connection/http_stream',
    'https://n1.example/xpush/emulation',
    'https://elsewhere.example/connection/http_stream', // not ours: untouched
    'https://api.example/v1/apps/a/users', // session API: untouched
  ]);
  FakeCtor.urls = [];
  new (r.eventsource as new (u: string) => unknown)(r.endpoints[2]!.endpoint + '?cf_connect=%7B%7D');
  new (r.websocket as new (u: string) => unknown)(r.endpoints[0]!.endpoint);
  assert.deepEqual(FakeCtor.urls, ['https://n1.example/xpush/connection/sse?cf_connect=%7B%7D', 'wss://n1.example/xpush/connection/websocket']);
});

test('routedTransports: plain ws node URLs map to http; no node yet means the session origin', async () => {
  const plain = routed('ws://10.0.0.5:8080/connection/websocket');
  await plain.r.fetch(plain.r.emulationEndpoint);
  assert.deepEqual(plain.fetched, ['http://10.0.0.5:8080/emulation']);
  const none = routed('');
  await none.r.fetch(none.r.emulationEndpoint);
  assert.deepEqual(none.fetched, ['https://api.example/emulation']);
});

test('routedTransports: a transport without its constructor is skipped; none usable throws', () => {
  const r = routedTransports({ transports: ['websocket', 'http_stream', 'sse'], sessionUrl: 'http://h', current: () => '', websocket: undefined, eventsource: undefined, fetch });
  assert.deepEqual(r.endpoints.map((e) => e.transport), ['http_stream']);
  assert.throws(() => routedTransports({ transports: ['websocket', 'sse'], sessionUrl: 'http://h', current: () => '', websocket: undefined, eventsource: undefined, fetch }), /no usable transport/);
});
