import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import type { Readable } from 'node:stream';
import { XPushError } from '../../src/errors.ts';
import type { BlobKey, BlobStore } from '../../src/files/blob-store.ts';

/**
 * The BlobStore contract (src/files/blob-store.ts), written once and run against every
 * implementation: `blobContract('fs', () => ...)`. `open` returns a fresh, empty store; the suite
 * closes each one (wrap `close` to drop a temp dir or schema).
 */
export type OpenBlobs = () => Promise<BlobStore>;

async function fresh(t: TestContext, open: OpenBlobs): Promise<BlobStore> {
  const b = await open();
  t.after(() => b.close().catch(() => undefined));
  return b;
}

const key = (id: string, channel = 'room', app = 'a1'): BlobKey => ({ app, channel, id });

/** The bytes as a source of uneven chunks (as a network delivers them). */
async function* chunks(data: Buffer, sizes = [1, 1000, 65536, 7, 300_000]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield data.subarray(at, at + n);
    at += n;
  }
}

/** A source that yields `data` and then fails, as a cut upload or an over-limit one does. */
async function* failing(data: Buffer, err: Error): AsyncGenerator<Uint8Array> {
  yield* chunks(data);
  throw err;
}

async function bytes(s: Readable | undefined): Promise<Buffer> {
  assert.ok(s, 'expected a stream');
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function rejectsCode(p: Promise<unknown>, code: number): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof XPushError && err.code === code);
}

export function blobContract(name: string, open: OpenBlobs): void {
  describe(`blob store contract: ${name}`, () => {
    test('put then read all, and any range, byte for byte', async (t) => {
      const b = await fresh(t, open);
      const data = randomBytes(1_300_000);
      assert.equal(await b.put(key('f1'), chunks(data)), data.length);
      assert.equal(await b.size(key('f1')), data.length);
      assert.ok((await bytes(await b.read(key('f1')))).equals(data));
      const ranges: [number, number][] = [[0, 0], [0, 99], [262_143, 262_144], [100, 1_299_999], [1_299_999, 1_299_999], [500_000, 1_100_000]];
      for (const [start, end] of ranges) {
        assert.ok((await bytes(await b.read(key('f1'), { start, end }))).equals(data.subarray(start, end + 1)), `${start}-${end}`);
      }
    });

    test('small and exactly chunk-sized blobs', async (t) => {
      const b = await fresh(t, open);
      for (const n of [1, 262_144, 524_288, 3]) {
        const data = randomBytes(n);
        const id = `n${n}`;
        assert.equal(await b.put(key(id), chunks(data)), n);
        assert.ok((await bytes(await b.read(key(id)))).equals(data), `${n} bytes`);
      }
    });

    test('not found is undefined / false / 0', async (t) => {
      const b = await fresh(t, open);
      assert.equal(await b.size(key('nope')), undefined);
      assert.equal(await b.read(key('nope')), undefined);
      assert.equal(await b.delete(key('nope')), false);
      assert.equal(await b.deleteChannel('a1', 'nowhere'), 0);
      assert.equal(await b.deleteApp('a9'), 0);
    });

    test('blobs are scoped by app and channel', async (t) => {
      const b = await fresh(t, open);
      await b.put(key('same', 'room', 'a1'), chunks(Buffer.from('one')));
      await b.put(key('same', 'hall', 'a1'), chunks(Buffer.from('two')));
      await b.put(key('same', 'room', 'a2'), chunks(Buffer.from('three')));
      assert.equal((await bytes(await b.read(key('same', 'room', 'a1')))).toString(), 'one');
      assert.equal((await bytes(await b.read(key('same', 'hall', 'a1')))).toString(), 'two');
      assert.equal((await bytes(await b.read(key('same', 'room', 'a2')))).toString(), 'three');
      // Channel names may hold any character: they never become paths or SQL.
      const odd = key('x', '../../etc/passwd \u00e9 \' " ; --', 'a1');
      await b.put(odd, chunks(Buffer.from('odd')));
      assert.equal((await bytes(await b.read(odd))).toString(), 'odd');
    });

    test('put of an existing key rejects with conflict and keeps the first blob', async (t) => {
      const b = await fresh(t, open);
      await b.put(key('f'), chunks(Buffer.from('first')));
      await rejectsCode(b.put(key('f'), chunks(Buffer.from('second'))), 409);
      assert.equal((await bytes(await b.read(key('f')))).toString(), 'first');
    });

    test('a put whose source fails leaves nothing and rejects with that error', async (t) => {
      const b = await fresh(t, open);
      const boom = new Error('cut');
      await assert.rejects(b.put(key('f'), failing(randomBytes(700_000), boom)), (e) => e === boom);
      assert.equal(await b.size(key('f')), undefined);
      assert.equal(await b.read(key('f')), undefined);
      assert.equal(await b.sweep(Date.now() + 60_000), 0, 'no partial blob left to sweep');
      // The key is free again.
      assert.equal(await b.put(key('f'), chunks(Buffer.from('ok'))), 2);
    });

    test('a blob is not readable before its put completes', async (t) => {
      const b = await fresh(t, open);
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      async function* slow(): AsyncGenerator<Uint8Array> {
        yield randomBytes(300_000);
        await gate;
        yield Buffer.from('end');
      }
      const put = b.put(key('f'), slow());
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(await b.size(key('f')), undefined);
      assert.equal(await b.read(key('f')), undefined);
      release();
      assert.equal(await put, 300_003);
      assert.equal(await b.size(key('f')), 300_003);
    });

    test('delete, deleteChannel and deleteApp remove exactly their blobs', async (t) => {
      const b = await fresh(t, open);
      for (const [app, ch, id] of [['a1', 'room', 'f1'], ['a1', 'room', 'f2'], ['a1', 'hall', 'f3'], ['a2', 'room', 'f4']] as const) {
        await b.put(key(id, ch, app), chunks(randomBytes(300_000)));
      }
      assert.equal(await b.delete(key('f1')), true);
      assert.equal(await b.size(key('f1')), undefined);
      assert.equal(await b.delete(key('f1')), false);
      assert.equal(await b.deleteChannel('a1', 'room'), 1);
      assert.equal(await b.size(key('f2')), undefined);
      assert.equal(await b.size(key('f3', 'hall')), 300_000);
      assert.equal(await b.deleteApp('a1'), 1);
      assert.equal(await b.size(key('f3', 'hall')), undefined);
      assert.equal(await b.size(key('f4', 'room', 'a2')), 300_000, 'other app untouched');
      // The channel can be used again.
      await b.put(key('f5'), chunks(Buffer.from('again')));
      assert.equal((await bytes(await b.read(key('f5')))).toString(), 'again');
    });

    test('deleting the channel during a put makes the put fail and leaves nothing', async (t) => {
      const b = await fresh(t, open);
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      async function* slow(): AsyncGenerator<Uint8Array> {
        yield randomBytes(300_000);
        await gate;
        yield randomBytes(300_000);
      }
      const put = b.put(key('f'), slow());
      await new Promise((r) => setTimeout(r, 100));
      await b.deleteChannel('a1', 'room');
      release();
      await rejectsCode(put, 404);
      assert.equal(await b.size(key('f')), undefined);
      assert.equal(await b.sweep(Date.now() + 60_000), 0);
    });

    test('sweep removes what a crashed put left, and only what is older than asked', async (t) => {
      const b = await fresh(t, open);
      await b.put(key('done'), chunks(Buffer.from('kept')));
      // A put that never finishes stands for one cut by a crash.
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      async function* stuck(): AsyncGenerator<Uint8Array> {
        yield randomBytes(300_000);
        await gate;
        throw new Error('never');
      }
      const put = b.put(key('crashed'), stuck()).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(await b.sweep(Date.now() - 60_000), 0, 'too recent to sweep');
      assert.equal(await b.sweep(Date.now() + 60_000), 1);
      release();
      await put;
      assert.equal((await bytes(await b.read(key('done')))).toString(), 'kept', 'complete blobs are never swept');
    });

    test('after close, calls reject', async (t) => {
      const b = await fresh(t, open);
      await b.close();
      await assert.rejects(b.size(key('f')));
      await assert.rejects(b.put(key('f'), chunks(Buffer.from('x'))));
    });
  });
}
