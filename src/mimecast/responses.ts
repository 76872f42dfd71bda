import { z } from 'zod';
import {
  describeError,
  type Exchange,
  type HttpResponse,
  headerValue,
  type ResponseHeaders,
} from './transport.js';
import type { DelegateRight, MimecastFailure } from './types.js';

/**
 * What Mimecast's answers mean: the zod schemas of its bodies and their reading into a result or a
 * failure classified by what a person has to do about it. Pure functions; nothing here sends anything.
 */

/** What we wait after a 429 that does not say how long: Mimecast documents the header, not its absence. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 1_000;

/** A failure before the request id is attached; the caller knows which attempt it belongs to. */
export type Failure = Omit<MimecastFailure, 'requestId'>;
/**
 * A failure may carry `shape`: the keys of an answer we could not read (never its values), for the log
 * line of the call; the client drops it from what callers get.
 */
export type Interpretation<T> = { ok: true; value: T } | (Failure & { shape?: string });
/** Reads the `data` items of a successful envelope into the value a call returns. */
export type Reader<T> = (data: unknown[]) => Interpretation<T>;

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
/**
 * One right in a delegate search. Mimecast writes `emailAddress` and `id`; some tenants write
 * `delegateAddress` or `delegateEmailAddress` for the address, `delegateId` or `secureId` for the id.
 */
const optionalText = z.string().optional().catch(undefined);
const delegateRightSchema = z.looseObject({
  emailAddress: optionalText,
  delegateAddress: optionalText,
  delegateEmailAddress: optionalText,
  id: optionalText,
  delegateId: optionalText,
  secureId: optionalText,
  name: optionalText,
  source: optionalText,
});
/** Mimecast's own layout: one item per address searched, its rights listed in `delegateUsers`. */
const delegateListSchema = z.looseObject({ delegateUsers: z.array(z.unknown()) });

interface ErrorDetail {
  code?: string | undefined;
  message?: string | undefined;
  codes: string[];
}

/** The answer to an API call: the envelope's data read by `read`, or the failure it reports. */
export function interpretResponse<T>(response: HttpResponse, read: Reader<T>): Interpretation<T> {
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

export type TokenExchangeOutcome =
  | { ok: true; token: string; expiresInSeconds: number }
  | { ok: false; failure: Failure };

/** The answer to an API 2.0 token request; a failure here means the call itself was never sent. */
export function interpretTokenExchange(exchange: Exchange): TokenExchangeOutcome {
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

/** A 401 that says the bearer token expired early: the one answer worth a fresh token and a retry. */
export function isTokenExpired(response: HttpResponse): boolean {
  return response.status === 401 && errorDetail(response.body).codes.includes('token_expired');
}

export function readAddedRight(data: unknown[]): Interpretation<{ id: string }> {
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

export function readRemoval(data: unknown[]): Interpretation<object> {
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

/**
 * The rights a delegate search lists. Mimecast answers `{"data":[{"delegateUsers":[{"emailAddress",
 * "name","id","source"}]}]}`; the flatter variants some tenants return put the rights directly in
 * `data` and may name the address `delegateAddress` or `delegateEmailAddress` and the id `delegateId`
 * or `secureId`. Anything else is an answer we cannot read: its keys go to the log, never its values.
 */
export function readDelegates(data: unknown[]): Interpretation<{ delegates: DelegateRight[] }> {
  const nested = data.map((item) => delegateListSchema.safeParse(item));
  const items = nested.every((item) => item.success)
    ? nested.flatMap((item) => (item.success ? item.data.delegateUsers : []))
    : data;
  const delegates: DelegateRight[] = [];
  for (const item of items) {
    const right = readRight(item);
    if (right === undefined) {
      return {
        ok: false,
        kind: 'unexpected_response',
        message: 'Mimecast answered the delegate search in a shape the bot cannot read',
        shape: shapeOf(data),
      };
    }
    delegates.push(right);
  }
  return { ok: true, value: { delegates } };
}

function readRight(item: unknown): DelegateRight | undefined {
  const parsed = delegateRightSchema.safeParse(item);
  if (!parsed.success) return undefined;
  const fields = parsed.data;
  const mailbox = firstText(fields.emailAddress, fields.delegateAddress, fields.delegateEmailAddress);
  const id = firstText(fields.id, fields.delegateId, fields.secureId);
  if (mailbox === undefined || id === undefined) return undefined;
  return {
    id,
    mailbox,
    ...(fields.name ? { name: fields.name } : {}),
    ...(fields.source ? { source: fields.source } : {}),
  };
}

function firstText(...values: (string | undefined)[]): string | undefined {
  return values.find((value) => value !== undefined && value.trim() !== '');
}

/**
 * The layout of a data array for the log: each item's keys (and those of the first entry of a list in
 * it), never a value. A key that looks like an address is masked, in case a tenant keys by address.
 */
export function shapeOf(data: unknown[], max = 3): string {
  const keysOf = (value: unknown): string => {
    if (Array.isArray(value))
      return `[${value.length === 0 ? '' : keysOf(value[0])}${value.length > 1 ? ', …' : ''}]`;
    if (value === null || typeof value !== 'object') return value === null ? 'null' : typeof value;
    const entries = Object.entries(value as Record<string, unknown>).map(([key, inner]) => {
      const name = key.includes('@') ? '<address>' : key;
      return Array.isArray(inner) ? `${name}: ${keysOf(inner)}` : name;
    });
    return `{${entries.join(', ')}}`;
  };
  const shown = data.slice(0, max).map((item) => keysOf(item));
  return `data: [${shown.join(', ')}${data.length > max ? `, …${data.length - max} more` : ''}]`;
}

/** X-RateLimit-Reset is in milliseconds (unlike many APIs, where it is seconds or a timestamp). */
export function rateLimitResetMs(headers: ResponseHeaders): number {
  const value = headerValue(headers, 'x-ratelimit-reset');
  const ms = value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(ms) && ms >= 0 ? Math.ceil(ms) : DEFAULT_RATE_LIMIT_WAIT_MS;
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
