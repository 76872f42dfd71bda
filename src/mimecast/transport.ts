import { Pool } from 'undici';
import type { MimecastFailure } from './types.js';

/**
 * One HTTP attempt on an undici Pool, and nothing more: no retries, no authentication, no reading of
 * Mimecast's answers. The one judgement made here is where an attempt stopped (see Exchange).
 */

/**
 * Shorter than any load balancer's idle timeout we know of: a POST written on a socket the server is
 * closing at that moment ends as outcome_unknown, which for an add is costly.
 */
const KEEP_ALIVE_TIMEOUT_MS = 4_000;

export type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface HttpResponse {
  status: number;
  headers: ResponseHeaders;
  body: string;
}

/**
 * One HTTP attempt. `requestStarted` is the line between "Mimecast was never reached, nothing happened"
 * and "the request may have been acted on": undici calls onRequestStart only once a socket is connected
 * and the request is about to be written on it.
 */
export type Exchange =
  | { ok: true; response: HttpResponse }
  | { ok: false; error: Error; requestStarted: boolean; timedOut: boolean };

class AttemptTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = 'AttemptTimeoutError';
  }
}

/** POSTs to one origin over a keep-alive pool; every phase and the whole answer are bounded by `timeoutMs`. */
export class Transport {
  readonly #pool: Pool;
  readonly #timeoutMs: number;

  constructor(origin: string, timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#pool = new Pool(origin, {
      connectTimeout: timeoutMs,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    });
  }

  /** Never rejects: a failure to get a complete answer is an Exchange with `ok: false`. */
  post(path: string, headers: Record<string, string>, body: string): Promise<Exchange> {
    const timeoutMs = this.#timeoutMs;
    return new Promise((resolve) => {
      let requestStarted = false;
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      let status = 0;
      let responseHeaders: ResponseHeaders = {};
      const chunks: Buffer[] = [];
      const settle = (exchange: Exchange) => {
        clearTimeout(timer);
        resolve(exchange);
      };

      this.#pool.dispatch(
        { path, method: 'POST', headers, body },
        {
          onRequestStart(controller) {
            requestStarted = true;
            clearTimeout(timer);
            // headersTimeout and bodyTimeout bound each phase; this bounds the whole answer.
            timer = setTimeout(() => {
              timedOut = true;
              controller.abort(new AttemptTimeoutError(timeoutMs));
            }, timeoutMs);
          },
          onResponseStart(_controller, statusCode, receivedHeaders) {
            status = statusCode;
            responseHeaders = receivedHeaders;
          },
          onResponseData(_controller, chunk) {
            chunks.push(chunk);
          },
          onResponseEnd() {
            const response = {
              status,
              headers: responseHeaders,
              body: Buffer.concat(chunks).toString('utf8'),
            };
            settle({ ok: true, response });
          },
          onResponseError(_controller, error) {
            settle({ ok: false, error, requestStarted, timedOut: timedOut || isUndiciTimeout(error) });
          },
        },
      );
    });
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

/** What an attempt that got no complete answer means for the caller: was anything possibly done? */
export function transportFailure(
  exchange: Exchange & { ok: false },
  timeoutMs: number,
): Omit<MimecastFailure, 'requestId'> {
  if (exchange.timedOut) {
    return {
      ok: false,
      kind: 'outcome_unknown',
      message: `Mimecast did not answer within ${timeoutMs} ms; the request may or may not have taken effect`,
    };
  }
  if (exchange.requestStarted) {
    return {
      ok: false,
      kind: 'outcome_unknown',
      message: `The connection to Mimecast was lost after the request was sent (${describeError(exchange.error)}); the request may or may not have taken effect`,
    };
  }
  return {
    ok: false,
    kind: 'server_error',
    message: `Mimecast could not be reached (${describeError(exchange.error)}); nothing was sent`,
  };
}

export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** An error's message, prefixed by its code (ECONNREFUSED, UND_ERR_…) when it has one. */
export function describeError(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}

function isUndiciTimeout(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}
