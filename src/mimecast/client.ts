import { randomUUID as cryptoRandomUUID } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { Pool } from 'undici';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import { formatMimecastDate, signRequest } from './signing.js';
import type {
  AddDelegateInput,
  DelegateRight,
  MimecastApi,
  MimecastAuth,
  MimecastConfig,
  MimecastFailure,
  MimecastResult,
} from './types.js';

export const ADD_DELEGATE_PATH = '/api/user/add-delegate-user';
export const REMOVE_DELEGATE_PATH = '/api/user/remove-delegate-user';
export const FIND_DELEGATES_PATH = '/api/user/find-delegate-users';
export const OAUTH_TOKEN_PATH = '/oauth/token';

const DEFAULT_MAX_RATE_LIMIT_RETRIES = 2;
const DEFAULT_MAX_RATE_LIMIT_WAIT_MS = 30_000;
/** What we wait after a 429 that does not say how long: Mimecast documents the header, not its absence. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 1_000;
/** Refresh a token this long before Mimecast says it expires, so it does not lapse in flight. */
const TOKEN_REFRESH_MARGIN_MS = 60_000;
/**
 * Shorter than any load balancer's idle timeout we know of: a POST written on a socket the server is
 * closing at that moment ends as outcome_unknown, which for an add is costly.
 */
const KEEP_ALIVE_TIMEOUT_MS = 4_000;

export interface MimecastClientDeps {
  logger: Logger;
  /** Clock for `x-mc-date` and token expiry. */
  now?: () => Date;
  /** Used to wait out 429s; tests pass a fake so they do not wait. */
  sleep?: (ms: number) => Promise<void>;
  /** Source of `x-mc-req-id` values. */
  randomUUID?: () => string;
}

type ResponseHeaders = Record<string, string | string[] | undefined>;

interface HttpResponse {
  status: number;
  headers: ResponseHeaders;
  body: string;
}

/**
 * One HTTP attempt. `requestStarted` is the line between "Mimecast was never reached, nothing happened"
 * and "the request may have been acted on": undici calls onRequestStart only once a socket is connected
 * and the request is about to be written on it.
 */
type Exchange =
  | { ok: true; response: HttpResponse }
  | { ok: false; error: Error; requestStarted: boolean; timedOut: boolean };

/** A failure before the request id is attached; the caller knows which attempt it belongs to. */
type Failure = Omit<MimecastFailure, 'requestId'>;
type Interpretation<T> = { ok: true; value: T } | Failure;

interface CallOutcome<T> {
  result: Interpretation<T>;
  attempts: number;
  mcReqId?: string;
  httpStatus?: number;
  responseRequestId?: string;
}

type TokenOutcome = { ok: true; token: string } | { ok: false; failure: Failure };

type AuthHeaders =
  | { ok: true; headers: Record<string, string>; bearerToken?: string }
  | { ok: false; failure: Failure };

class AttemptTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = 'AttemptTimeoutError';
  }
}

/** Mimecast's own words reach people in Slack; a runaway error body must not make those messages too long. */
const MESSAGE_MAX = 500;
const mimecastMessage = z
  .string()
  .transform((text) => (text.length > MESSAGE_MAX ? `${text.slice(0, MESSAGE_MAX - 1)}…` : text));

const mimecastErrorSchema = z.looseObject({
  code: z.string(),
  message: mimecastMessage.optional(),
  field: z.string().optional(),
  retryable: z.boolean().optional(),
});

/** API 1.0 nests errors under `errors`; API 2.0 puts `code`/`message` on the item itself (token_expired). */
const failItemSchema = z.looseObject({
  key: z.unknown().optional(),
  code: z.string().optional(),
  message: mimecastMessage.optional(),
  errors: z.array(mimecastErrorSchema).optional(),
});

/** `meta` and `fail` are tolerated missing: refusing a readable success would misreport a change that was made. */
const envelopeSchema = z.looseObject({
  meta: z.looseObject({ status: z.number() }).optional(),
  data: z.array(z.unknown()),
  fail: z.array(failItemSchema).default([]),
});

/** Error bodies are read only for a code and message; any shape (or none) is acceptable there. */
const errorBodySchema = z.looseObject({
  fail: z.array(failItemSchema).optional(),
  error: z.string().optional(),
  error_description: mimecastMessage.optional(),
});

const tokenSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().positive(),
});

const addResultSchema = z.looseObject({ id: z.string().optional(), success: z.boolean().optional() });
const removeResultSchema = z.looseObject({ success: z.boolean().optional() });
const delegateRightSchema = z.looseObject({
  id: z.string().min(1),
  primaryAddress: z.string(),
  delegateAddress: z.string(),
});

interface ErrorDetail {
  code?: string;
  message?: string;
  codes: string[];
}

export class MimecastClient implements MimecastApi {
  readonly #auth: MimecastAuth;
  readonly #basePath: string;
  readonly #timeoutMs: number;
  readonly #maxRateLimitRetries: number;
  readonly #maxRateLimitWaitMs: number;
  readonly #pool: Pool;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #randomUUID: () => string;
  #token: { value: string; refreshAt: number } | undefined;
  #tokenRequest: Promise<TokenOutcome> | undefined;

  constructor(config: MimecastConfig, deps: MimecastClientDeps) {
    const base = new URL(config.baseUrl);
    this.#auth = config.auth;
    this.#basePath = base.pathname.replace(/\/+$/, '');
    this.#timeoutMs = config.timeoutMs;
    this.#maxRateLimitRetries = config.maxRateLimitRetries ?? DEFAULT_MAX_RATE_LIMIT_RETRIES;
    this.#maxRateLimitWaitMs = config.maxRateLimitWaitMs ?? DEFAULT_MAX_RATE_LIMIT_WAIT_MS;
    this.#pool = new Pool(base.origin, {
      connectTimeout: config.timeoutMs,
      headersTimeout: config.timeoutMs,
      bodyTimeout: config.timeoutMs,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    });
    this.#logger = deps.logger;
    this.#now = deps.now ?? (() => new Date());
    this.#sleep = deps.sleep ?? ((ms) => sleepFor(ms));
    this.#randomUUID = deps.randomUUID ?? cryptoRandomUUID;
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

  findDelegates(primaryAddress: string): Promise<MimecastResult<{ delegates: DelegateRight[] }>> {
    return this.#call(FIND_DELEGATES_PATH, { data: [{ primaryAddress }] }, readDelegates);
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  async #call<T extends object>(
    endpoint: string,
    payload: unknown,
    read: (data: unknown[]) => Interpretation<T>,
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
    this.#logger.warn({ ...fields, code: result.code, reason: result.message }, 'mimecast call failed');
    return { ...result, requestId: outcome.mcReqId };
  }

  /**
   * Only two things are retried, both answers that say the function was not executed: a 429 (after
   * waiting as told) and, once, a 401 token_expired. Anything ambiguous is reported, never repeated,
   * because an add is not known to be idempotent.
   */
  async #attempt<T>(
    endpoint: string,
    body: string,
    read: (data: unknown[]) => Interpretation<T>,
  ): Promise<CallOutcome<T>> {
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
      const exchange = await this.#dispatch(path, headers, body);
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

      if (
        response.status === 401 &&
        auth.bearerToken !== undefined &&
        !reauthenticated &&
        errorDetail(response.body).codes.includes('token_expired')
      ) {
        reauthenticated = true;
        this.#forgetToken(auth.bearerToken);
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
      const date = formatMimecastDate(this.#now());
      const authorization = signRequest({
        appKey: auth.appKey,
        accessKey: auth.accessKey,
        secretKey: auth.secretKey,
        date,
        requestId: mcReqId,
        path,
      });
      return { ok: true, headers: { authorization, 'x-mc-app-id': auth.appId, 'x-mc-date': date } };
    }
    const token = await this.#accessToken();
    if (!token.ok) return token;
    return { ok: true, headers: { authorization: `Bearer ${token.token}` }, bearerToken: token.token };
  }

  #accessToken(): Promise<TokenOutcome> {
    const cached = this.#token;
    if (cached !== undefined && this.#now().getTime() < cached.refreshAt) {
      return Promise.resolve({ ok: true, token: cached.value });
    }
    // Callers that find the cache empty share one token request instead of stampeding the endpoint.
    this.#tokenRequest ??= this.#requestToken().finally(() => {
      this.#tokenRequest = undefined;
    });
    return this.#tokenRequest;
  }

  /** Drops the cached token only if it is the one that failed: another caller may have refreshed it. */
  #forgetToken(token: string): void {
    if (this.#token?.value === token) this.#token = undefined;
  }

  async #requestToken(): Promise<TokenOutcome> {
    const auth = this.#auth;
    if (auth.kind !== 'oauth') throw new Error('token requested with API 1.0 keys');
    const issuedAt = this.#now().getTime();
    const startedAt = performance.now();
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: auth.clientId,
      client_secret: auth.clientSecret,
    });
    const exchange = await this.#dispatch(
      this.#basePath + OAUTH_TOKEN_PATH,
      { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      form.toString(),
    );
    const outcome = interpretTokenExchange(exchange);
    this.#logger.debug(
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

  #dispatch(path: string, headers: Record<string, string>, body: string): Promise<Exchange> {
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
}

function transportFailure(exchange: Exchange & { ok: false }, timeoutMs: number): Failure {
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

function interpretResponse<T>(
  response: HttpResponse,
  read: (data: unknown[]) => Interpretation<T>,
): Interpretation<T> {
  const { status } = response;
  if (status !== 200) return failureForStatus(status, errorDetail(response.body), response.headers);

  const json = parseJson(response.body);
  const envelope = json.ok ? envelopeSchema.safeParse(json.value) : undefined;
  if (envelope === undefined || !envelope.success) {
    return {
      ok: false,
      kind: 'unexpected_response',
      message: `Mimecast answered HTTP 200 with a body that is not ${json.ok ? 'the expected envelope' : 'JSON'}`,
      httpStatus: status,
    };
  }
  if (envelope.data.fail.length > 0) {
    const detail = detailOf(envelope.data.fail);
    const kind = detail.codes.includes('err_xdk_binding_expired') ? 'binding_expired' : 'validation';
    return {
      ok: false,
      kind,
      message: detail.message ?? 'Mimecast refused the request without giving a reason',
      httpStatus: status,
      code: detail.code,
    };
  }
  const result = read(envelope.data.data);
  return result.ok ? result : { ...result, httpStatus: status };
}

function failureForStatus(status: number, detail: ErrorDetail, headers: ResponseHeaders): Failure {
  const failure = (kind: MimecastFailure['kind'], fallbackMessage: string): Failure => ({
    ok: false,
    kind,
    message: detail.message ?? fallbackMessage,
    httpStatus: status,
    code: detail.code,
  });

  if (status === 418 || detail.codes.includes('err_xdk_binding_expired')) {
    return failure(
      'binding_expired',
      'The Mimecast API 1.0 keys have expired (binding expired); an operator must issue new keys',
    );
  }
  if (status === 400) {
    if (detail.codes.some((code) => code.startsWith('err_validation_'))) {
      return failure('validation', 'Mimecast refused the request as invalid (HTTP 400)');
    }
    // Mimecast documents 400 for missing or malformed credentials as well as for bad input.
    return isAboutCredentials(detail)
      ? failure('authentication', 'Mimecast refused the request: credentials missing or malformed (HTTP 400)')
      : failure('validation', 'Mimecast refused the request as invalid (HTTP 400)');
  }
  if (status === 401) return failure('authentication', 'Mimecast refused the API credentials (HTTP 401)');
  if (status === 403) {
    return failure(
      'permission',
      'The Mimecast API user lacks the administrator permission this needs (HTTP 403)',
    );
  }
  if (status === 404)
    return failure('not_found', 'Mimecast does not know this endpoint or resource (HTTP 404)');
  if (status === 409) return failure('validation', 'Mimecast refused the request as conflicting (HTTP 409)');
  if (status === 429) {
    const retryAfterMs = rateLimitResetMs(headers);
    return {
      ...failure('rate_limited', `Mimecast's rate limit was reached; it asked us to wait ${retryAfterMs} ms`),
      retryAfterMs,
    };
  }
  if (status >= 500 && status <= 599) {
    return failure('server_error', `Mimecast had an internal error (HTTP ${status})`);
  }
  return failure('unexpected_response', `Mimecast answered with an unexpected HTTP status ${status}`);
}

type TokenExchangeOutcome =
  | { ok: true; token: string; expiresInSeconds: number }
  | { ok: false; failure: Failure };

function interpretTokenExchange(exchange: Exchange): TokenExchangeOutcome {
  if (!exchange.ok) {
    return {
      ok: false,
      failure: {
        ok: false,
        kind: 'server_error',
        message: `Could not get a Mimecast access token (${describeError(exchange.error)}); the request itself was not sent`,
      },
    };
  }
  const { status, body, headers } = exchange.response;
  if (status === 200) {
    const json = parseJson(body);
    const token = json.ok ? tokenSchema.safeParse(json.value) : undefined;
    if (token?.success) {
      return { ok: true, token: token.data.access_token, expiresInSeconds: token.data.expires_in };
    }
    return {
      ok: false,
      failure: {
        ok: false,
        kind: 'unexpected_response',
        message: 'Mimecast answered the token request with a body we cannot read',
        httpStatus: status,
      },
    };
  }
  if (status === 400 || status === 401) {
    const detail = errorDetail(body);
    return {
      ok: false,
      failure: {
        ok: false,
        kind: 'authentication',
        message: detail.message ?? `Mimecast refused the API 2.0 client credentials (HTTP ${status})`,
        httpStatus: status,
        code: detail.code,
      },
    };
  }
  return { ok: false, failure: failureForStatus(status, errorDetail(body), headers) };
}

function readAddedRight(data: unknown[]): Interpretation<{ id: string }> {
  const item = addResultSchema.safeParse(data[0]);
  if (!item.success) return unexpected('Mimecast answered HTTP 200 without a result for the delegate right');
  if (item.data.success === false) {
    return {
      ok: false,
      kind: 'validation',
      message: 'Mimecast did not apply the delegate right (success: false) and gave no reason',
    };
  }
  if (item.data.success !== true)
    return unexpected('Mimecast answered HTTP 200 without saying whether it succeeded');
  if (item.data.id === undefined || item.data.id === '') {
    return unexpected('Mimecast reported the delegate right as created but returned no id for it');
  }
  return { ok: true, value: { id: item.data.id } };
}

function readRemoval(data: unknown[]): Interpretation<object> {
  // The removal answer is unconfirmed; anything but an explicit success: false counts as done.
  const item = removeResultSchema.safeParse(data[0] ?? {});
  if (!item.success) return unexpected('Mimecast answered the removal with a result we cannot read');
  if (item.data.success === false) {
    return {
      ok: false,
      kind: 'validation',
      message: 'Mimecast did not remove the delegate right (success: false) and gave no reason',
    };
  }
  return { ok: true, value: {} };
}

function readDelegates(data: unknown[]): Interpretation<{ delegates: DelegateRight[] }> {
  const items = z.array(delegateRightSchema).safeParse(data);
  if (!items.success) return unexpected('Mimecast answered the delegate search with items we cannot read');
  const delegates = items.data.map(({ id, primaryAddress, delegateAddress }) => ({
    id,
    primaryAddress,
    delegateAddress,
  }));
  return { ok: true, value: { delegates } };
}

function unexpected(message: string): Failure {
  return { ok: false, kind: 'unexpected_response', message };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** The first code and message in an error body, whatever its shape; empty when there is none. */
function errorDetail(body: string): ErrorDetail {
  const json = parseJson(body);
  const parsed = json.ok ? errorBodySchema.safeParse(json.value) : undefined;
  if (!parsed?.success) return { codes: [] };
  if (parsed.data.fail !== undefined && parsed.data.fail.length > 0) return detailOf(parsed.data.fail);
  if (parsed.data.error !== undefined) {
    return {
      code: parsed.data.error,
      message: parsed.data.error_description,
      codes: [parsed.data.error],
    };
  }
  return { codes: [] };
}

function detailOf(fail: z.infer<typeof failItemSchema>[]): ErrorDetail {
  const codes = fail.flatMap((item) => [
    ...(item.code === undefined ? [] : [item.code]),
    ...(item.errors ?? []).map((error) => error.code),
  ]);
  const first = fail[0];
  const firstError = first?.errors?.[0];
  return { code: firstError?.code ?? first?.code, message: firstError?.message ?? first?.message, codes };
}

function isAboutCredentials(detail: ErrorDetail): boolean {
  const text = [...detail.codes, detail.message ?? ''].join(' ');
  return /auth|credential|signature|access[ _-]?key|secret|app[ _-]?id|token|x-mc-/i.test(text);
}

/** X-RateLimit-Reset is in milliseconds (unlike many APIs, where it is seconds or a timestamp). */
function rateLimitResetMs(headers: ResponseHeaders): number {
  const value = headerValue(headers, 'x-ratelimit-reset');
  const ms = value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(ms) && ms >= 0 ? Math.ceil(ms) : DEFAULT_RATE_LIMIT_WAIT_MS;
}

function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isUndiciTimeout(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

function describeError(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}
