/**
 * The real bot in a process of its own, for tests that kill it (SIGKILL), stop it (SIGTERM) or run
 * several of it as replicas. Configured only from the environment it is given (no .env is read); logs
 * JSON lines to stdout like production, prints one line `{"botReady":true,"port":N}` once it listens,
 * and stops on SIGTERM and SIGINT as src/main.ts does (the same stopOnSignals).
 *
 * Test-only settings, shorter than the real settings allow, so that taking over the work of a replica
 * that died takes seconds: TEST_CLAIM_LEASE_MS (claims on Mimecast work; approvals nobody claimed
 * are taken up after as long), TEST_SCHEDULER_INTERVAL_MS (the lifecycle sweep) and
 * TEST_NOTICE_LEASE_MS (notices being delivered).
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
  ...(claimLeaseMs ? { claimLeaseMs } : {}),
  ...(schedulerIntervalMs ? { schedulerIntervalMs } : {}),
  ...(noticeLeaseMs ? { noticeLeaseMs } : {}),
});
stopOnSignals(bot, logger, { shutdownTimeoutMs: loaded.config.lifecycle.shutdownTimeoutMs });
const { port } = await bot.start();
process.stdout.write(`${JSON.stringify({ botReady: true, port })}\n`);
