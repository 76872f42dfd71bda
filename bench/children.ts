/** Starting, querying and stopping the process under test (bench/bot-process.ts). */
import { type ChildProcess, fork } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { ChildStats, FromChild, ToChild } from './bot-process.js';

export type AppKind = 'bot' | 'baseline';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A free loopback port, so the parent knows where to poll /readyz before the child is up. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function readyzAnswers200(url: string): Promise<boolean> {
  try {
    const response = await request(url, { headersTimeout: 1000, bodyTimeout: 1000 });
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}

export class BenchChild {
  /** Log lines the child wrote (the bot logs at warn level), counted by message. */
  readonly logCounts = new Map<string, number>();
  /** The last lines the child wrote, raw, to explain a failed start. */
  readonly tail: string[] = [];
  private readonly pending = new Map<number, (stats: ChildStats) => void>();
  private nextId = 0;
  private exited = false;
  /** The last stats read, kept for after the child has exited (its total CPU time). */
  lastStats: ChildStats | undefined;

  private constructor(
    readonly kind: AppKind,
    private readonly process: ChildProcess,
    readonly port: number,
  ) {
    process.on('message', (message: FromChild) => {
      if (message.type !== 'stats') return;
      this.pending.get(message.id)?.(message);
      this.pending.delete(message.id);
    });
    process.on('exit', () => {
      this.exited = true;
    });
    const countLines = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.tail.push(line);
        if (this.tail.length > 20) this.tail.shift();
        const key = logMessage(line);
        this.logCounts.set(key, (this.logCounts.get(key) ?? 0) + 1);
      }
    };
    process.stdout?.on('data', countLines);
    process.stderr?.on('data', countLines);
  }

  get appUrl(): string {
    return `http://127.0.0.1:${this.port}/slack/events`;
  }

  /**
   * Starts the child and waits until it is ready: for the bot, until GET /readyz answers 200 (polled every
   * 5 ms); for the baseline, which has no such route, until it says so over IPC. Returns the time taken.
   */
  static async start(
    kind: AppKind,
    script: string,
    env: Record<string, string>,
  ): Promise<{ child: BenchChild; readyMs: number }> {
    const port = await freePort();
    const started = performance.now();
    const process = fork(script, [], {
      cwd: REPO_ROOT,
      // BENCH_NODE_ARGS adds flags for a look inside, e.g. '--cpu-prof --cpu-prof-dir=.prof'.
      execArgv: ['--expose-gc', ...(globalThis.process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)],
      env: { ...env, BENCH_APP: kind, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const child = new BenchChild(kind, process, port);
    const saidReady = new Promise<void>((resolve, reject) => {
      process.on('message', (message: FromChild) => {
        if (message.type === 'ready') resolve();
        if (message.type === 'failed') reject(new Error(`${kind} failed to start: ${message.message}`));
      });
      process.on('exit', (code) =>
        reject(new Error(`${kind} exited with ${code} while starting:\n${child.tail.join('\n')}`)),
      );
    });
    saidReady.catch(() => undefined);
    const deadline = started + 15_000;
    if (kind === 'bot') {
      const url = `http://127.0.0.1:${port}/readyz`;
      while (!(await readyzAnswers200(url))) {
        if (performance.now() > deadline || child.exited) {
          await saidReady; // throws the child's own reason when it has one
          throw new Error('the bot did not become ready within 15 s');
        }
        await sleep(5);
      }
    } else {
      await Promise.race([
        saidReady,
        // Unref'd: a timer left over from a race must not keep the benchmark alive at the end.
        sleep(15_000, undefined, { ref: false }).then(() => {
          throw new Error('the baseline did not become ready within 15 s');
        }),
      ]);
    }
    const readyMs = performance.now() - started;
    await saidReady;
    return { child, readyMs };
  }

  /**
   * Memory, CPU and event-loop delay of the child. `gc` first runs a full collection, so RSS shows what is
   * retained; `resetLoop` starts a new event-loop delay window.
   */
  stats(gc = false, resetLoop = false): Promise<ChildStats> {
    if (this.exited) return Promise.reject(new Error(`${this.kind} has exited`));
    const id = ++this.nextId;
    return new Promise<ChildStats>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('no stats from the child within 5 s'));
      }, 5000);
      this.pending.set(id, (stats) => {
        clearTimeout(timer);
        this.lastStats = stats;
        resolve(stats);
      });
      this.process.send({ type: 'stats', id, gc, resetLoop } satisfies ToChild);
    });
  }

  /** Asks the child to stop cleanly; kills it (by pid) if it has not exited after 10 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    await this.stats().catch(() => undefined);
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    this.process.send({ type: 'stop' } satisfies ToChild);
    const inTime = await Promise.race([
      exited.then(() => true),
      sleep(10_000, undefined, { ref: false }).then(() => false),
    ]);
    if (!inTime) {
      this.process.kill('SIGKILL');
      await exited;
    }
  }
}

function logMessage(line: string): string {
  try {
    const parsed = JSON.parse(line) as { level?: number; msg?: string };
    return `level ${parsed.level ?? '?'}: ${parsed.msg ?? line.slice(0, 120)}`;
  } catch {
    return line.slice(0, 160);
  }
}
