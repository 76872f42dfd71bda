import type { Bot } from './app.js';
import type { Logger } from './logger.js';

/** Past the drain's own bound, how long closing Slack, the outbox and the store may take. */
const CLOSE_MARGIN_MS = 10_000;

/**
 * SIGTERM and SIGINT stop the bot in order (see Bot.stop) and exit 0; a second signal changes
 * nothing. Should the stop itself hang past its bound plus a margin, the process exits 1 rather
 * than outlive its orchestrator's patience silently. Used by src/main.ts and by the test entry.
 */
export function stopOnSignals(
  bot: Pick<Bot, 'stop'>,
  logger: Logger,
  options: { shutdownTimeoutMs: number; exit?: (code: number) => void },
): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const hang = setTimeout(() => {
      logger.error({ signal }, 'the orderly stop did not end in time; exiting anyway');
      exit(1);
    }, options.shutdownTimeoutMs + CLOSE_MARGIN_MS);
    hang.unref();
    bot.stop().then(
      () => exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
