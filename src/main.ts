import { config as loadDotenv } from 'dotenv';
import { createBot } from './app.js';
import { describeConfig, formatConfigProblems, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { installProcessGuards } from './process-guards.js';

loadDotenv({ quiet: true });
const loaded = loadConfig(process.env);
if (!loaded.ok) {
  process.stderr.write(`${formatConfigProblems(loaded.problems)}\n`);
  process.exit(1);
}
const { config } = loaded;
const logger = createLogger(config.logLevel);
const bot = createBot(config, { logger });

/** An orderly stop that does not wait for ever: a stuck part must not keep a broken process alive. */
const STOP_DEADLINE_MS = 15_000;

let stopping = false;
async function shutdown(reason: string, exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ reason }, 'shutting down');
  setTimeout(() => {
    logger.error({ reason }, `could not stop in order within ${STOP_DEADLINE_MS / 1000} s; exiting`);
    process.exit(exitCode || 1);
  }, STOP_DEADLINE_MS).unref();
  try {
    await bot.stop();
  } catch (error) {
    logger.error({ err: error }, 'error while stopping');
  }
  process.exit(exitCode);
}
process.on('SIGINT', () => void shutdown('SIGINT', 0));
process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
// Errors nobody caught: logged with their request; the process keeps serving where that is safe, and
// stops in order (exit 1, to be restarted) where it is not. What is which: src/process-guards.ts.
installProcessGuards(logger, () => void shutdown('uncaughtException', 1));

logger.info(describeConfig(config), 'starting');
try {
  await bot.start();
} catch (error) {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
}
