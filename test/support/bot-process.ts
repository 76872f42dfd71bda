/**
 * The real bot in a process of its own, for tests that kill it (SIGKILL), stop it (SIGTERM) or run
 * several of it as replicas. Configured only from the environment it is given (no .env is read); logs
 * JSON lines to stdout like production, prints one line `{"botReady":true,"port":N}` once it listens,
 * and stops on SIGTERM and SIGINT as src/main.ts does (the same stopOnSignals).
 *
 * For the tests alone (src/main.ts knows nothing of them):
 * - TEST_CLOCK_OFFSET_MS runs the bot's clock that many milliseconds ahead of the real one, so that a
 *   restarted process finds due what would be due minutes later (the checks of an unknown outcome)
 *   without the test waiting for them;
 * - TEST_CLAIM_LEASE_MS (claims on Mimecast work; approvals nobody claimed are taken up after as
 *   long), TEST_SCHEDULER_INTERVAL_MS (the lifecycle sweep) and TEST_NOTICE_LEASE_MS (notices being
 *   delivered), shorter than the settings allow, so that taking over the work of a replica that died
 *   takes seconds.
 *
 * Run with: node --import tsx test/support/bot-process.ts
 */
import { createBot } from '../../src/app.js';
import { formatConfigProblems, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { stopOnSignals } from '../../src/shutdown.js';

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
const milliseconds = (name: string): number | undefined => {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : undefined;
};
const claimLeaseMs = milliseconds('TEST_CLAIM_LEASE_MS');
const schedulerIntervalMs = milliseconds('TEST_SCHEDULER_INTERVAL_MS');
const noticeLeaseMs = milliseconds('TEST_NOTICE_LEASE_MS');
const logger = createLogger(loaded.config.logLevel);
const bot = createBot(loaded.config, {
  logger,
  clientOptions: { retryConfig: { retries: 0 } },
  noticePollIntervalMs: 50,
  ...(offsetMs ? { clock: () => new Date(Date.now() + offsetMs) } : {}),
  ...(claimLeaseMs ? { claimLeaseMs } : {}),
  ...(schedulerIntervalMs ? { schedulerIntervalMs } : {}),
  ...(noticeLeaseMs ? { noticeLeaseMs } : {}),
});
stopOnSignals(bot, logger, { shutdownTimeoutMs: loaded.config.lifecycle.shutdownTimeoutMs });
const { port } = await bot.start();
process.stdout.write(`${JSON.stringify({ botReady: true, port })}\n`);
