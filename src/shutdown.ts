import type { Bot } from './app.js';
import type { Logger } from './logger.js';

/** Past the drain's own bound, how long closing Slack, the outbox and the store may take. */
const CLOSE_MARGIN_MS = 10_000;

/** Stops the bot in order for `reason`, then exits with `exitCode`; a second call changes nothing. */
export type Shutdown = (reason: string, exitCode: number) => void;

/**
 * SIGTERM and SIGINT stop the bot in order (see Bot.stop) and exit 0; the returned function does the
 * same for other reasons (an uncaught exception: exit 1). An orderly stop does not wait for ever: a
 * stuck part must not keep a broken process alive, so past SHUTDOWN_TIMEOUT_SECONDS plus a margin for
 * closing, the process exits anyway (1 if it was to exit 0). Used by src/main.ts and the test entry.
 */
export function stopOnSignals(
  bot: Pick<Bot, 'stop'>,
  logger: Logger,
  options: { shutdownTimeoutMs: number; exit?: (code: number) => void },
): Shutdown {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const deadlineMs = options.shutdownTimeoutMs + CLOSE_MARGIN_MS;
  let stopping = false;
  const shutdown: Shutdown = (reason, exitCode) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down');
    setTimeout(() => {
      logger.error({ reason }, `could not stop in order within ${deadlineMs / 1000} s; exiting`);
      exit(exitCode || 1);
    }, deadlineMs).unref();
    bot.stop().then(
      () => exit(exitCode),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        exit(exitCode);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT', 0));
  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  return shutdown;
}
