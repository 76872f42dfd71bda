import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from '../logger.js';

/**
 * Bolt's and the WebClient's own log lines, routed through our pino logger so everything is structured
 * alike. Their debug lines carry whole request and response bodies (names, emails, reasons), so they
 * are logged at `trace`: `LOG_LEVEL=debug` shows the bot's own debug lines, which name ids, not people.
 */
export function boltLogger(logger: Logger): BoltLogger {
  const log = logger.child({ component: 'bolt' });
  const text = (parts: unknown[]) =>
    parts.map((part) => (typeof part === 'string' ? part : String(part))).join(' ');
  let level = LogLevel.INFO;
  return {
    debug: (...parts: unknown[]) => {
      if (log.isLevelEnabled('trace')) log.trace(text(parts));
    },
    info: (...parts: unknown[]) => log.info(text(parts)),
    warn: (...parts: unknown[]) => log.warn(text(parts)),
    error: (...parts: unknown[]) => log.error(text(parts)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
