import { config as loadDotenv } from 'dotenv';
import { createBot } from './app.js';
import { describeConfig, formatConfigProblems, loadConfig } from './config.js';
import { createLogger } from './logger.js';
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

stopOnSignals(bot, logger, { shutdownTimeoutMs: config.lifecycle.shutdownTimeoutMs });

logger.info(describeConfig(config), 'starting');
try {
  await bot.start();
} catch (error) {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
}
