import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// Slots of the Int32Array shared between the event loop and the worker.
const KICK = 0; // 1 = a commit happened since the worker last looked
const STOP = 1; // 1 = close: finish the current round and exit

/**
 * Least time between two checkpoint rounds. Pages rewritten by several commits in that window
 * (channel tops, index tails) reach the database file once. Measured at ~20k msg/s: 0 ms wrote
 * 1.6x the bytes of SQLite's own autocheckpoint, 50 ms about the same, with the WAL under ~26 MB.
 */
const PAUSE_MS = 50;

/**
 * The worker's whole program, plain CommonJS evaluated from a string, so it runs wherever this
 * file runs (tsx, compiled, bundled) without an entry file of its own. It sleeps on the shared
 * array until a commit wakes it, then checkpoints in rounds:
 * - PASSIVE never waits for the writer and never blocks it.
 * - The WAL only starts over when a writer begins while everything is copied. A commit landing
 *   during a pass is invisible to that pass's result, so passes repeat until one finds no new
 *   frames (a pass with nothing to copy costs no I/O).
 * - synchronous=NORMAL on this connection makes each checkpoint fsync the WAL before copying and
 *   the database file after, as SQLite's own autocheckpoint does: durability is unchanged.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const state = workerData.state;
const db = new Database(workerData.file);
try {
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  while (Atomics.load(state, ${STOP}) === 0) {
    Atomics.wait(state, ${KICK}, 0, 1000);
    if (Atomics.load(state, ${STOP}) !== 0) break;
    if (Atomics.exchange(state, ${KICK}, 0) === 0) continue;
    let last = -1;
    for (let pass = 0; pass < 8; pass++) {
      const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
      if (r.busy || r.log <= last) break;
      last = r.log;
    }
    Atomics.wait(state, ${STOP}, 0, ${PAUSE_MS});
  }
} finally {
  db.close();
}
`;

/**
 * Copies committed WAL frames back into the database file on a worker thread, so the event loop
 * only appends to the WAL. With SQLite's autocheckpoint the committing call copies the WAL itself
 * (every 1000 pages, about every 10 publish batches): measured, a third of the time spent in
 * `messages.append`, in stalls of ~10 ms.
 *
 * Started on the first `kick()` (a store that never publishes never starts a thread). While it
 * runs, the connection keeps its own autocheckpoint as a safety net at a high mark, reached only if
 * the worker keeps missing the moment the WAL can start over; the writer then catches up itself,
 * cheaply, since the worker has copied nearly everything. If the worker fails, `onFail` puts the
 * normal autocheckpoint back.
 */
export class Checkpointer {
  private readonly state = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  private worker?: Worker;
  private exited?: Promise<void>;
  private stopped = false;

  constructor(private readonly file: string, private readonly onStart: () => void, private readonly onFail: (err: Error) => void) {}

  /** After a commit: wakes the worker. Commits made while it is busy fold into its next round. */
  kick(): void {
    if (this.stopped) return;
    if (!this.worker) this.start();
    if (Atomics.compareExchange(this.state, KICK, 0, 1) === 0) Atomics.notify(this.state, KICK);
  }

  /** Lets the current round finish, then waits for the worker to close its connection. */
  async close(): Promise<void> {
    this.stopped = true;
    Atomics.store(this.state, STOP, 1);
    Atomics.notify(this.state, KICK);
    Atomics.notify(this.state, STOP);
    // Held while waiting: an unref'd worker alone would let the event loop end before it exits.
    this.worker?.ref();
    await this.exited;
  }

  private start(): void {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    // No execArgv: the worker is plain CommonJS and needs none of the parent's loaders (tsx).
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { file: this.file, driver, state: this.state } });
    // A store left open must not keep the process alive.
    worker.unref();
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.once('error', (err) => {
      this.stopped = true;
      this.onFail(err);
    });
    this.worker = worker;
    this.onStart();
  }
}
