import { randomUUID as cryptoRandomUUID } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Logger } from '../logger.js';
import { OAuthTokens } from './oauth.js';
import {
  type Failure,
  type Interpretation,
  interpretResponse,
  isTokenExpired,
  type Reader,
  rateLimitResetMs,
  readAddedRight,
  readDelegates,
  readRemoval,
} from './responses.js';
import { formatMimecastDate, signRequest } from './signing.js';
import { headerValue, Transport, transportFailure } from './transport.js';
import type {
  AddDelegateInput,
  DelegateRight,
  MimecastAuth,
  MimecastConfig,
  MimecastResult,
} from './types.js';

export { OAUTH_TOKEN_PATH } from './oauth.js';

export const ADD_DELEGATE_PATH = '/api/user/add-delegate-user';
export const REMOVE_DELEGATE_PATH = '/api/user/remove-delegate-user';
export const FIND_DELEGATES_PATH = '/api/user/find-delegate-users';

const DEFAULT_MAX_RATE_LIMIT_RETRIES = 2;
const DEFAULT_MAX_RATE_LIMIT_WAIT_MS = 30_000;

export interface MimecastClientDeps {
  logger: Logger;
  /** Clock for `x-mc-date` and token expiry. */
  now?: () => Date;
  /** Used to wait out 429s; tests pass a fake so they do not wait. */
  sleep?: (ms: number) => Promise<void>;
  /** Source of `x-mc-req-id` values. */
  randomUUID?: () => string;
}

interface CallOutcome<T> {
  result: Interpretation<T>;
  attempts: number;
  mcReqId?: string | undefined;
  httpStatus?: number | undefined;
  responseRequestId?: string | undefined;
}

/** How calls are authenticated: API 1.0 keys sign each request, API 2.0 sends a bearer token. */
type Authenticator =
  | { kind: 'hmac'; keys: Extract<MimecastAuth, { kind: 'hmac' }> }
  | { kind: 'oauth'; tokens: OAuthTokens };

type AuthHeaders =
  | {
      ok: true;
      headers: Record<string, string>;
      /** With a bearer token: drops it from the cache, for Mimecast said it expired early. */
      forget?: () => void;
    }
  | { ok: false; failure: Failure };

/**
 * The Mimecast API as the bot uses it: one method per function, each a POST retried only when Mimecast
 * says it did nothing (see #attempt), and logged as one line per call.
 */
/** Implements the core's Mimecast port (src/requests/ports/mimecast.ts), checked where the bot is wired. */
export class MimecastClient {
  readonly #auth: Authenticator;
  readonly #basePath: string;
  readonly #timeoutMs: number;
  readonly #maxRateLimitRetries: number;
  readonly #maxRateLimitWaitMs: number;
  readonly #transport: Transport;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #randomUUID: () => string;

  constructor(config: MimecastConfig, deps: MimecastClientDeps) {
    const base = new URL(config.baseUrl);
    this.#basePath = base.pathname.replace(/\/+$/, '');
    this.#timeoutMs = config.timeoutMs;
    this.#maxRateLimitRetries = config.maxRateLimitRetries ?? DEFAULT_MAX_RATE_LIMIT_RETRIES;
    this.#maxRateLimitWaitMs = config.maxRateLimitWaitMs ?? DEFAULT_MAX_RATE_LIMIT_WAIT_MS;
    this.#transport = new Transport(base.origin, config.timeoutMs);
    this.#logger = deps.logger;
    this.#now = deps.now ?? (() => new Date());
    this.#sleep = deps.sleep ?? ((ms) => sleepFor(ms));
    this.#randomUUID = deps.randomUUID ?? cryptoRandomUUID;
    const { auth } = config;
    this.#auth =
      auth.kind === 'hmac'
        ? { kind: 'hmac', keys: auth }
        : {
            kind: 'oauth',
            tokens: new OAuthTokens({
              clientId: auth.clientId,
              clientSecret: auth.clientSecret,
              transport: this.#transport,
              basePath: this.#basePath,
              logger: this.#logger,
              now: this.#now,
            }),
          };
  }

  addDelegate(input: AddDelegateInput): Promise<MimecastResult<{ id: string }>> {
    const payload = {
      data: [{ primaryAddress: input.primaryAddress, delegateAddress: input.delegateAddress }],
    };
    return this.#call(ADD_DELEGATE_PATH, payload, readAddedRight);
  }

  removeDelegate(id: string): Promise<MimecastResult<object>> {
    return this.#call(REMOVE_DELEGATE_PATH, { data: [{ id }] }, readRemoval);
  }

  /**
   * The rights the grantee holds: the mailboxes `granteeAddress` can open. Mimecast keeps a right
   * against the grantee's account, so this is searched by grantee, never by mailbox.
   */
  findDelegates(granteeAddress: string): Promise<MimecastResult<{ delegates: DelegateRight[] }>> {
    return this.#call(FIND_DELEGATES_PATH, { data: [{ primaryAddress: granteeAddress }] }, readDelegates);
  }

  async close(): Promise<void> {
    await this.#transport.close();
  }

  async #call<T extends object>(
    endpoint: string,
    payload: unknown,
    read: Reader<T>,
  ): Promise<MimecastResult<T>> {
    const startedAt = performance.now();
    const outcome = await this.#attempt(endpoint, JSON.stringify(payload), read);
    const { result } = outcome;
    const fields = {
      endpoint,
      durationMs: Math.round(performance.now() - startedAt),
      outcome: result.ok ? 'ok' : result.kind,
      httpStatus: outcome.httpStatus,
      mcReqId: outcome.mcReqId,
      responseRequestId: outcome.responseRequestId,
      attempts: outcome.attempts,
    };
    if (result.ok) {
      this.#logger.info(fields, 'mimecast call succeeded');
      return { ok: true, requestId: outcome.mcReqId, ...result.value };
    }
    // An answer we could not read is logged by its layout (keys only), which support needs to adapt.
    // Mimecast's own message is free text that may repeat an address, so it is logged at debug only.
    const { shape, ...failure } = result;
    this.#logger.warn(
      { ...fields, kind: failure.kind, code: failure.code, ...(shape ? { shape } : {}) },
      'mimecast call failed',
    );
    this.#logger.debug(
      { endpoint, mcReqId: outcome.mcReqId, reason: failure.message },
      "Mimecast's message for the failed call",
    );
    return { ...failure, requestId: outcome.mcReqId };
  }

  /**
   * Only two things are retried, both answers that say the function was not executed: a 429 (after
   * waiting as told) and, once, a 401 token_expired. Anything ambiguous is reported, never repeated,
   * because an add is not known to be idempotent.
   */
  async #attempt<T>(endpoint: string, body: string, read: Reader<T>): Promise<CallOutcome<T>> {
    const path = this.#basePath + endpoint;
    let attempts = 0;
    let rateLimitWaits = 0;
    let reauthenticated = false;
    let previousMcReqId: string | undefined;

    for (;;) {
      // Fresh per attempt: Mimecast may refuse a reused request id or a stale date.
      const mcReqId = this.#randomUUID();
      const auth = await this.#authHeaders(path, mcReqId);
      if (!auth.ok) {
        // Getting a token failed: this attempt sent nothing, so the last request id is the previous one.
        const { failure } = auth;
        return { result: failure, attempts, mcReqId: previousMcReqId, httpStatus: failure.httpStatus };
      }

      attempts += 1;
      previousMcReqId = mcReqId;
      const attemptStartedAt = performance.now();
      const headers = {
        ...auth.headers,
        'x-mc-req-id': mcReqId,
        'content-type': 'application/json',
        accept: 'application/json',
      };
      const exchange = await this.#transport.post(path, headers, body);
      if (!exchange.ok) {
        this.#logger.debug(
          {
            endpoint,
            attempt: attempts,
            mcReqId,
            durationMs: Math.round(performance.now() - attemptStartedAt),
          },
          'mimecast attempt got no answer',
        );
        return { result: transportFailure(exchange, this.#timeoutMs), attempts, mcReqId };
      }

      const { response } = exchange;
      const responseRequestId = headerValue(response.headers, 'x-request-id');
      this.#logger.debug(
        {
          endpoint,
          attempt: attempts,
          mcReqId,
          httpStatus: response.status,
          responseRequestId,
          durationMs: Math.round(performance.now() - attemptStartedAt),
        },
        'mimecast attempt answered',
      );

      if (response.status === 429 && rateLimitWaits < this.#maxRateLimitRetries) {
        const waitMs = rateLimitResetMs(response.headers);
        // A wait longer than we allow would only delay the same answer; report it instead.
        if (waitMs <= this.#maxRateLimitWaitMs) {
          rateLimitWaits += 1;
          this.#logger.debug({ endpoint, mcReqId, waitMs }, 'mimecast rate limit reached; waiting');
          await this.#sleep(waitMs);
          continue;
        }
      }

      if (auth.forget !== undefined && !reauthenticated && isTokenExpired(response)) {
        reauthenticated = true;
        auth.forget();
        this.#logger.debug({ endpoint, mcReqId }, 'mimecast access token expired early; re-authenticating');
        continue;
      }

      return {
        result: interpretResponse(response, read),
        attempts,
        mcReqId,
        httpStatus: response.status,
        responseRequestId,
      };
    }
  }

  async #authHeaders(path: string, mcReqId: string): Promise<AuthHeaders> {
    const auth = this.#auth;
    if (auth.kind === 'hmac') {
      const { keys } = auth;
      const date = formatMimecastDate(this.#now());
      const authorization = signRequest({
        appKey: keys.appKey,
        accessKey: keys.accessKey,
        secretKey: keys.secretKey,
        date,
        requestId: mcReqId,
        path,
      });
      return { ok: true, headers: { authorization, 'x-mc-app-id': keys.appId, 'x-mc-date': date } };
    }
    const token = await auth.tokens.get();
    if (!token.ok) return token;
    const bearer = token.token;
    return {
      ok: true,
      headers: { authorization: `Bearer ${bearer}` },
      forget: () => auth.tokens.forget(bearer),
    };
  }
}
