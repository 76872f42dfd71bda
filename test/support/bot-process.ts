/**
 * The real bot in a process of its own, for tests that kill it (SIGKILL) mid-flight. Configured only from
 * the environment it is given (no .env is read); logs JSON lines to stdout like production, and prints
 * one line `{"botReady":true,"port":N}` once it listens.
 *
 * Run with: node --import tsx test/support/bot-process.ts
 */
import { createBot } from '../../src/app.js';
import { formatConfigProblems, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';

const loaded = loadConfig(process.env);
if (!loaded.ok) {
  process.stderr.write(`${formatConfigProblems(loaded.problems)}\n`);
  process.exit(1);
}
const logger = createLogger(loaded.config.logLevel);
const bot = createBot(loaded.config, {
  logger,
  clientOptions: { retryConfig: { retries: 0 } },
  noticePollIntervalMs: 50,
});
const { port } = await bot.start();
process.stdout.write(`${JSON.stringify({ botReady: true, port })}\n`);
