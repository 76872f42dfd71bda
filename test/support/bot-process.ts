/**
 * The real bot in a process of its own, for tests that kill it (SIGKILL) mid-flight. Configured only from
 * the environment it is given (no .env is read); logs JSON lines to stdout like production, and prints
 * one line `{"botReady":true,"port":N}` once it listens.
 *
 * For the tests alone (src/main.ts knows nothing of it): TEST_CLOCK_OFFSET_MS runs the bot's clock that
 * many milliseconds ahead of the real one, so that a restarted process finds due what would be due
 * minutes later (the checks of an unknown outcome) without the test waiting for them.
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
const offsetMs = Number(process.env.TEST_CLOCK_OFFSET_MS ?? '0');
if (!Number.isSafeInteger(offsetMs)) {
  process.stderr.write(`TEST_CLOCK_OFFSET_MS must be a whole number of milliseconds\n`);
  process.exit(1);
}
const logger = createLogger(loaded.config.logLevel);
const bot = createBot(loaded.config, {
  logger,
  clientOptions: { retryConfig: { retries: 0 } },
  noticePollIntervalMs: 50,
  ...(offsetMs ? { clock: () => new Date(Date.now() + offsetMs) } : {}),
});
const { port } = await bot.start();
process.stdout.write(`${JSON.stringify({ botReady: true, port })}\n`);
