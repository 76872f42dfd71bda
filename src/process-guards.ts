import type { Logger } from './logger.js';
import { currentRequest } from './request-context.js';

/**
 * What the process does with an error nobody caught. Node's default is to exit on either kind; one bad
 * request must not stop the bot for everyone, so:
 *
 * - An unhandled promise rejection is logged, with the request it came from, and the bot keeps
 *   serving. That is safe: a rejection unwinds nothing but its own chain; every change of a request is
 *   one transaction (committed whole or not at all) with its notices, and work in flight is tracked
 *   by promises that settle either way.
 * - An uncaught exception on a network connection (a client that reset or vanished: ECONNRESET, EPIPE
 *   and the like) is logged and the bot keeps serving: it concerns that one connection, which Node has
 *   already torn down.
 * - Any other uncaught exception stops the process, in order (Mimecast calls under way finish and
 *   record their outcome), with exit code 1 so that the supervisor restarts it. It is not safe to go
 *   on: a synchronous throw from a timer or an event handler may have left in-memory state half
 *   changed (the turn queue, the work being tracked, a half-written response), and Node documents
 *   that resuming after 'uncaughtException' is unsafe. Start-up recovery handles what was interrupted.
 */
const CONNECTION_ERRORS = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);

/** True for an uncaught exception after which the process may go on: one connection's failure. */
export function isSafeToContinue(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (CONNECTION_ERRORS.has(code) || code.startsWith('HPE_'));
}

/** The part of `process` the guards use, so that tests can hand in their own. */
export interface ProcessEvents {
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  on(event: 'uncaughtException', listener: (error: Error, origin: string) => void): unknown;
}

/**
 * Installs the handlers described above. `stop` is called once for an exception that is unsafe to go
 * on after; it should stop the bot in order and exit with a failure code.
 */
export function installProcessGuards(
  logger: Logger,
  stop: (error: unknown) => void,
  target: ProcessEvents = process,
): void {
  let stopping = false;
  target.on('unhandledRejection', (reason) => {
    logger.error({ err: reason, req: currentRequest() }, 'unhandled promise rejection; still serving');
  });
  target.on('uncaughtException', (error, origin) => {
    const req = currentRequest();
    if (isSafeToContinue(error)) {
      logger.warn({ err: error, req, origin }, 'uncaught connection error; still serving');
      return;
    }
    logger.fatal({ err: error, req, origin }, 'uncaught exception: stopping, as it is not safe to go on');
    if (stopping) return;
    stopping = true;
    stop(error);
  });
}
