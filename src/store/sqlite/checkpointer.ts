import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program. It is CommonJS text rather than a file of its own so that it runs the
 * same under tsx, Vitest, the bundled benchmark and compiled JavaScript. PASSIVE never waits for
 * locks: it copies what it can, and the next commit on the main connection rewinds the WAL once it
 * has all been copied.
 */
const WORKER_PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.betterSqlite3);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
function checkpoint() {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage({ type: 'error', message: String(error && error.message || error) });
  }
}
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface CheckpointerOptions {
  intervalMs?: number;
  /** Called when the thread failed or a checkpoint did; the store then checkpoints on its own again. */
  onError: (message: string) => void;
}

/**
 * Copies SQLite's write-ahead log back into the database file on a worker thread. Left to itself,
 * SQLite does this inside whichever commit crosses 1,000 WAL pages, on the event loop, with an
 * fsync: a commit every few hundred then takes tens of milliseconds, and Slack's acks wait behind it.
 * The main connection turns that off (`wal_autocheckpoint = 0`) and this thread takes over.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private stopping = false;

  constructor(path: string, options: CheckpointerOptions) {
    this.worker = new Worker(WORKER_PROGRAM, {
      eval: true,
      workerData: {
        path,
        intervalMs: options.intervalMs ?? 1_000,
        betterSqlite3: createRequire(import.meta.url).resolve('better-sqlite3'),
      },
    });
    // Never what keeps the process alive.
    this.worker.unref();
    this.worker.on('message', (message: { type?: string; message?: string }) => {
      if (message.type === 'error') options.onError(message.message ?? 'unknown error');
    });
    this.worker.on('error', (error) => options.onError(error.message));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        if (!this.stopping) options.onError(`the checkpoint thread exited with code ${code}`);
        resolve();
      }),
    );
  }

  /** Runs a last checkpoint and ends the thread. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.worker.postMessage('stop');
    const timeout = setTimeout(() => void this.worker.terminate(), 5_000);
    await this.exited;
    clearTimeout(timeout);
  }
}
