import { config as loadDotenv } from 'dotenv';
import { createBot } from './app.js';
import { describeConfig, formatConfigProblems, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { installProcessGuards } from './process-guards.js';
import { stopOnSignals } from './shutdown.js';

loadDotenv({ quiet: true });
const loaded = loadConfig(process.env);
if (!loaded.ok) {
  process.stderr.write(`${formatConfigProblems(loaded.problems)}\n`);
  process.exit(1);
}
const { config } = loaded;
const logger = createLogger(config.logLevel);
const bot = createBot(config, { logger });

// SIGTERM and SIGINT: an orderly stop, bounded by SHUTDOWN_TIMEOUT_SECONDS (src/shutdown.ts).
const shutdown = stopOnSignals(bot, logger, { shutdownTimeoutMs: config.lifecycle.shutdownTimeoutMs });
// Errors nobody caught: logged with their request; the process keeps serving where that is safe, and
// stops in order (exit 1, to be restarted) where it is not. What is which: src/process-guards.ts.
installProcessGuards(logger, () => shutdown('uncaughtException', 1));

logger.info(describeConfig(config), 'starting');
try {
  await bot.start();
} catch (error) {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
}
