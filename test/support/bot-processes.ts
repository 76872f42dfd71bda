/**
 * Real bots in processes of their own (test/support/bot-process.ts), for tests that kill them
 * (SIGKILL), stop them (SIGTERM) or run several of them on one database as replicas, with clicks
 * spread over them as a load balancer would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { simulatorSettings } from '../../testkit/local-stack.js';
import type { MimecastSimulator } from '../../testkit/mimecast/index.js';
import type { SlackSimulator } from '../../testkit/slack/index.js';
import { SlackDriver } from '../../testkit/slack-driver/index.js';
import { SIGNING_SECRET } from './harness.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface BotProcess {
  name: string;
  process: ChildProcess;
  port: number;
  /** Every line it wrote (stdout JSON log lines, and stderr). */
  output: string[];
  /** Sends signed Slack requests to this process alone. */
  driver: SlackDriver;
  /** Resolves with how it exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  url(path: string): string;
  /** Log lines at error level or above. */
  errors(): string[];
}

/** The environment of a bot process on these simulators: HTTP mode, a free port, no .env. */
export function botEnv(
  sim: SlackSimulator,
  mimecast: MimecastSimulator,
  database: { DATABASE_PATH: string } | { DATABASE_URL: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  const settings: Record<string, string> = simulatorSettings(sim, mimecast, '');
  delete settings.DATABASE_PATH;
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    ...settings,
    ...database,
    PORT: '0',
    MIMECAST_TIMEOUT_MS: '20000',
    // No scheduled reconciliation with Mimecast: its searches are not what these tests count.
    RECONCILE_INTERVAL_HOURS: '0',
    ...extra,
  };
}

/** Starts test/support/bot-process.ts with `env` and waits until it listens. */
export async function spawnBotProcess(
  name: string,
  sim: SlackSimulator,
  env: Record<string, string>,
): Promise<BotProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/bot-process.ts'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within 20 s:\n${output.join('\n')}`)),
      20_000,
    );
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (;;) {
        const end = buffered.indexOf('\n');
        if (end < 0) break;
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        output.push(line);
        if (line.includes('"botReady":true')) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { port: number }).port);
        }
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} while starting:\n${output.join('\n')}`));
    });
  });
  return {
    name,
    process: child,
    port,
    output,
    driver: new SlackDriver({
      appUrl: `http://127.0.0.1:${port}/slack/events`,
      signingSecret: SIGNING_SECRET,
      sim,
    }),
    exited,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    errors: () => output.filter((line) => /"level":(50|60)/.test(line)),
  };
}

/** Kills it (if still running) and waits for the exit. */
export async function killBot(bot: BotProcess, signal: NodeJS.Signals = 'SIGKILL') {
  if (bot.process.exitCode === null && bot.process.signalCode === null) bot.process.kill(signal);
  return bot.exited;
}

/** Spreads requests over replicas in turn, as a round-robin load balancer does. */
export class RoundRobin {
  private next = 0;

  constructor(readonly replicas: BotProcess[]) {}

  /** The replica the next request goes to. */
  pick(): BotProcess {
    const live = this.replicas.filter(
      (bot) => bot.process.exitCode === null && bot.process.signalCode === null,
    );
    const bot = live[this.next % live.length];
    if (!bot) throw new Error('no replica is running');
    this.next += 1;
    return bot;
  }

  get driver(): SlackDriver {
    return this.pick().driver;
  }
}
