import type { Logger } from '../logger.js';
import { type Failure, interpretTokenExchange } from './responses.js';
import type { Transport } from './transport.js';

/**
 * API 2.0 access tokens (OAuth 2.0 client credentials): requested when needed, cached until shortly
 * before they expire, one request shared by every caller that finds the cache empty, and forgotten
 * when Mimecast says the one we sent has expired early.
 */

export const OAUTH_TOKEN_PATH = '/oauth/token';

/** Refresh a token this long before Mimecast says it expires, so it does not lapse in flight. */
const TOKEN_REFRESH_MARGIN_MS = 60_000;

export type TokenOutcome = { ok: true; token: string } | { ok: false; failure: Failure };

export interface OAuthTokensOptions {
  clientId: string;
  clientSecret: string;
  transport: Transport;
  /** The account's base path (empty for a bare origin); the token endpoint is below it. */
  basePath: string;
  logger: Logger;
  now: () => Date;
}

export class OAuthTokens {
  readonly #options: OAuthTokensOptions;
  #token: { value: string; refreshAt: number } | undefined;
  #tokenRequest: Promise<TokenOutcome> | undefined;

  constructor(options: OAuthTokensOptions) {
    this.#options = options;
  }

  /** A token that is good for a while yet: the cached one, or a fresh one. */
  get(): Promise<TokenOutcome> {
    const cached = this.#token;
    if (cached !== undefined && this.#options.now().getTime() < cached.refreshAt) {
      return Promise.resolve({ ok: true, token: cached.value });
    }
    // Callers that find the cache empty share one token request instead of stampeding the endpoint.
    this.#tokenRequest ??= this.#request().finally(() => {
      this.#tokenRequest = undefined;
    });
    return this.#tokenRequest;
  }

  /** Drops the cached token only if it is the one that failed: another caller may have refreshed it. */
  forget(token: string): void {
    if (this.#token?.value === token) this.#token = undefined;
  }

  async #request(): Promise<TokenOutcome> {
    const { clientId, clientSecret, transport, basePath, logger, now } = this.#options;
    const issuedAt = now().getTime();
    const startedAt = performance.now();
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    });
    const exchange = await transport.post(
      basePath + OAUTH_TOKEN_PATH,
      { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      form.toString(),
    );
    const outcome = interpretTokenExchange(exchange);
    logger.debug(
      {
        endpoint: OAUTH_TOKEN_PATH,
        httpStatus: exchange.ok ? exchange.response.status : undefined,
        outcome: outcome.ok ? 'ok' : outcome.failure.kind,
        durationMs: Math.round(performance.now() - startedAt),
      },
      'mimecast token request',
    );
    if (!outcome.ok) return outcome;

    const lifetimeMs = outcome.expiresInSeconds * 1000;
    // Half the lifetime when it is short, so a two-minute token is not refreshed on every call.
    const marginMs = Math.min(TOKEN_REFRESH_MARGIN_MS, lifetimeMs / 2);
    this.#token = { value: outcome.token, refreshAt: issuedAt + lifetimeMs - marginMs };
    return { ok: true, token: outcome.token };
  }
}
