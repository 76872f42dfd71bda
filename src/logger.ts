import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths that must never reach a log line even if someone logs a whole object by mistake.
 * Secrets are also kept out by construction: we log chosen fields, never requests or configs whole.
 */
const REDACT_PATHS = [
  'authorization',
  'Authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.authorization',
  '*.Authorization',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'client_secret',
  '*.client_secret',
  'secretKey',
  '*.secretKey',
  'clientSecret',
  '*.clientSecret',
  'signingSecret',
  '*.signingSecret',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'mimecast-delegate-bot' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that writes every line into an array, for tests that assert what was (not) logged. */
export function createMemoryLogger(level = 'trace'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination: DestinationStream = {
    write(chunk: string) {
      lines.push(chunk);
    },
  };
  return { logger: createLogger(level, destination), lines };
}
