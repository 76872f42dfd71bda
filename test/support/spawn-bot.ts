import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { SlackDriver } from '../../testkit/slack-driver/index.js';
import { APPROVAL_CHANNEL, BOT_TOKEN, type Harness, SIGNING_SECRET } from './harness.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface BotProcess {
  process: ChildProcess;
  driver: SlackDriver;
  output: string[];
}

/** Every bot process started by the tests of this file, so that afterEach can kill what is left. */
const started = new Set<ChildProcess>();

/**
 * Starts the real bot in a child process (test/support/bot-process.ts) on the harness's simulators and
 * database; `env` adds or overrides settings (and TEST_CLOCK_OFFSET_MS).
 */
export async function spawnBot(stack: Harness, env: Record<string, string> = {}): Promise<BotProcess> {
  const keys = stack.mimecast.credentials.hmac;
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/support/bot-process.ts'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'debug',
      SLACK_MODE: 'http',
      SLACK_API_URL: stack.sim.apiUrl,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      PORT: '0',
      REQUESTER_GROUP_IDS: 'SREQUESTERS',
      APPROVER_GROUP_IDS: 'SAPPROVERS',
      ADMIN_GROUP_IDS: 'SADMINS',
      APPROVAL_CHANNEL_ID: APPROVAL_CHANNEL,
      DATABASE_PATH: stack.databasePath,
      MIMECAST_BASE_URL: stack.mimecast.url,
      MIMECAST_APP_ID: keys.appId,
      MIMECAST_APP_KEY: keys.appKey,
      MIMECAST_ACCESS_KEY: keys.accessKey,
      MIMECAST_SECRET_KEY: keys.secretKey,
      MIMECAST_TIMEOUT_MS: '20000',
      RECONCILE_INTERVAL_HOURS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(proc);
  proc.once('exit', () => started.delete(proc));
  const output: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => reject(new Error(`bot process did not start:\n${output.join('')}`)),
      15_000,
    );
    proc.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    proc.stdout?.on('data', (chunk: Buffer) => {
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
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bot process exited with ${code}:\n${output.join('\n')}`));
    });
  });
  const driver = new SlackDriver({
    appUrl: `http://127.0.0.1:${port}/slack/events`,
    signingSecret: SIGNING_SECRET,
    sim: stack.sim,
  });
  return { process: proc, driver, output };
}

/** SIGKILL, as a crash or an OOM kill would: no handler runs, nothing is flushed. */
export async function kill(bot: BotProcess): Promise<void> {
  const exited = once(bot.process, 'exit');
  bot.process.kill('SIGKILL');
  const [code, signal] = await exited;
  expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
}

/** Kills every bot process a test left running (for afterEach). */
export async function killLeftovers(): Promise<void> {
  await Promise.all(
    [...started].map(async (proc) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = once(proc, 'exit');
      proc.kill('SIGKILL');
      await exited;
    }),
  );
}
