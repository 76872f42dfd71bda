import { config as loadDotenv } from 'dotenv';
import { createBot } from './app.js';
import { describeConfig, formatConfigProblems, loadConfig } from './config.js';
import { createLogger } from './logger.js';

loadDotenv({ quiet: true });
const loaded = loadConfig(process.env);
if (!loaded.ok) {
  process.stderr.write(`${formatConfigProblems(loaded.problems)}\n`);
  process.exit(1);
}
const { config } = loaded;
const logger = createLogger(config.logLevel);
const bot = createBot(config, { logger });

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  await bot.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

logger.info(describeConfig(config), 'starting');
try {
  await bot.start();
} catch (error) {
  logger.fatal({ err: error }, 'could not start');
  process.exit(1);
}
