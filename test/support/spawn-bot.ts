import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { expect } from 'vitest';
import { type BotProcess, botEnv, spawnBotProcess } from './bot-processes.js';
import type { Harness } from './harness.js';

export type { BotProcess } from './bot-processes.js';

/** Every bot process started by the tests of this file, so that afterEach can kill what is left. */
const started = new Set<ChildProcess>();

/**
 * Starts the real bot in a child process (test/support/bot-process.ts) on the harness's simulators and
 * database; `env` adds or overrides settings (and TEST_CLOCK_OFFSET_MS).
 */
export async function spawnBot(stack: Harness, env: Record<string, string> = {}): Promise<BotProcess> {
  const bot = await spawnBotProcess(
    'bot process',
    stack.sim,
    botEnv(stack.sim, stack.mimecast, { DATABASE_PATH: stack.databasePath }, env),
  );
  started.add(bot.process);
  bot.process.once('exit', () => started.delete(bot.process));
  return bot;
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
