/** Starting the load generator's process (bench/generator.ts), and sending requests through it. */
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { FromGenerator, ToGenerator } from './generator.js';

export interface Sent {
  status: number;
  text: string;
  elapsedMs: number;
  sentAt: number;
}

/** Whether `taskset` (util-linux) can pin processes here. */
export function canPin(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** Pins a running process to one CPU; false when that did not work. */
export function pin(pid: number, cpu: number): boolean {
  try {
    execFileSync('taskset', ['-p', '-c', String(cpu), String(pid)], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

export class Generator {
  private readonly pending = new Map<number, { resolve: (sent: Sent) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private nextPool = 0;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: FromGenerator) => {
      if (message.type === 'ready') return;
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.type === 'sent') waiting?.resolve(message);
      else waiting?.reject(new Error(message.message));
    });
    child.on('exit', () => {
      for (const waiting of this.pending.values()) waiting.reject(new Error('the load generator exited'));
      this.pending.clear();
    });
  }

  /** Starts it, pinned to `cpu` with taskset when given. */
  static async start(script: string, cpu: number | undefined): Promise<Generator> {
    const child =
      cpu === undefined
        ? fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
        : spawn('taskset', ['-c', String(cpu), process.execPath, script], {
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          });
    await new Promise<void>((resolve, reject) => {
      child.once('message', (message: FromGenerator) =>
        message.type === 'ready' ? resolve() : reject(new Error('the load generator did not start')),
      );
      child.once('exit', (code) => reject(new Error(`the load generator exited with ${code}`)));
    });
    return new Generator(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** A pool of at most `connections` connections to `origin`; returns its number. */
  openPool(origin: string, connections: number): number {
    const pool = ++this.nextPool;
    this.post({ type: 'pool', pool, origin, connections });
    return pool;
  }

  closePool(pool: number): void {
    this.post({ type: 'close', pool });
  }

  send(pool: number, path: string, headers: Record<string, string>, body: string): Promise<Sent> {
    const id = ++this.nextId;
    return new Promise<Sent>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ type: 'send', id, pool, path, headers, body });
    });
  }

  /** CPU time it has used, in microseconds (Linux /proc), for the report. */
  cpuUs(): number | undefined {
    try {
      const stat = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) / 100) * 1e6;
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    await exited;
  }

  private post(message: ToGenerator): void {
    this.child.send(message);
  }
}
