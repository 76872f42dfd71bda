/**
 * Who may call: API 2.0 client credentials for /oauth/token and the bearer tokens it issues, and API 1.0
 * HMAC signatures (app id, access key, a date within the allowed skew, a request id used once, and
 * HMAC-SHA1 over `date:requestId:path:appKey` with the base64-decoded secret key).
 *
 * Signature checking is written here independently of src/mimecast/signing.ts on purpose: sharing the
 * code would let one bug pass in both.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mimecastFailure, oauthError, oauthFailure, type Reply } from './replies.js';
import type { SimulatorCall, SimulatorCredentials } from './types.js';

const MIMECAST_DATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} UTC$/;

export interface AuthenticatorOptions {
  credentials: SimulatorCredentials;
  now: () => Date;
  tokenTtlSeconds: number;
  maxClockSkewMs: number;
}

export class Authenticator {
  /** Every access token issued, in order. */
  readonly issuedTokens: string[] = [];
  readonly #options: AuthenticatorOptions;
  readonly #seenRequestIds = new Set<string>();
  /** access token → expiry time in ms by the simulator's clock. */
  readonly #tokens = new Map<string, number>();
  #bindingExpired = false;

  constructor(options: AuthenticatorOptions) {
    this.#options = options;
  }

  setBindingExpired(expired: boolean): void {
    this.#bindingExpired = expired;
  }

  /** A refusal of a token request, or undefined when its client credentials check out. */
  checkClientCredentials(call: SimulatorCall): Reply | undefined {
    if (!String(call.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return oauthError(400, 'invalid_request', 'The token request must be form-encoded');
    }
    const form = call.body as Record<string, string>;
    if (form.grant_type !== 'client_credentials') {
      return oauthError(400, 'unsupported_grant_type', 'Only client_credentials is supported');
    }
    const { clientId, clientSecret } = this.#options.credentials.oauth;
    if (!safeEqual(form.client_id ?? '', clientId) || !safeEqual(form.client_secret ?? '', clientSecret)) {
      return oauthError(401, 'invalid_client', 'Client authentication failed');
    }
    return undefined;
  }

  issueToken(): Reply {
    const { now, tokenTtlSeconds } = this.#options;
    const token = `sim-at-${randomBytes(24).toString('base64url')}`;
    this.#tokens.set(token, now().getTime() + tokenTtlSeconds * 1000);
    this.issuedTokens.push(token);
    return {
      status: 200,
      body: { access_token: token, token_type: 'Bearer', expires_in: tokenTtlSeconds },
    };
  }

  /** A refusal, or undefined when the request is authentic. */
  authenticate(call: SimulatorCall): Reply | undefined {
    const authorization = headerText(call.headers.authorization);
    if (authorization === undefined) {
      return mimecastFailure(400, 'err_auth_header_missing', 'The Authorization header is missing (sim)');
    }
    if (authorization.startsWith('Bearer ')) return this.#checkBearer(authorization.slice('Bearer '.length));
    if (authorization.startsWith('MC ')) return this.#checkSignature(call, authorization.slice('MC '.length));
    return mimecastFailure(400, 'err_auth_header_malformed', 'The Authorization header is malformed (sim)');
  }

  reset(): void {
    this.issuedTokens.length = 0;
    this.#seenRequestIds.clear();
    this.#tokens.clear();
    this.#bindingExpired = false;
  }

  #checkBearer(token: string): Reply | undefined {
    const expiresAt = this.#tokens.get(token);
    if (expiresAt === undefined) return oauthFailure('token_verification_failed', 'Invalid access token');
    if (this.#options.now().getTime() >= expiresAt)
      return oauthFailure('token_expired', 'Access token has expired');
    return undefined;
  }

  #checkSignature(call: SimulatorCall, credentials: string): Reply | undefined {
    const appId = headerText(call.headers['x-mc-app-id']) ?? '';
    const date = headerText(call.headers['x-mc-date']) ?? '';
    const requestId = headerText(call.headers['x-mc-req-id']) ?? '';
    const missing = (
      [
        ['x-mc-app-id', appId],
        ['x-mc-date', date],
        ['x-mc-req-id', requestId],
      ] as const
    ).find(([, value]) => value === '');
    if (missing !== undefined) {
      return mimecastFailure(400, 'err_auth_header_missing', `The ${missing[0]} header is missing (sim)`);
    }

    const separator = credentials.indexOf(':');
    if (separator <= 0 || separator === credentials.length - 1) {
      return mimecastFailure(
        400,
        'err_auth_header_malformed',
        'Authorization must be MC accessKey:signature (sim)',
      );
    }
    const accessKey = credentials.slice(0, separator);
    const signature = credentials.slice(separator + 1);
    const expected = this.#options.credentials.hmac;

    if (!safeEqual(appId, expected.appId)) {
      return mimecastFailure(401, 'err_auth_unknown_app_id', 'Unknown application id (sim)');
    }
    if (!safeEqual(accessKey, expected.accessKey)) {
      return mimecastFailure(401, 'err_auth_unknown_access_key', 'Unknown access key (sim)');
    }
    if (!MIMECAST_DATE.test(date)) {
      return mimecastFailure(
        400,
        'err_auth_date_malformed',
        'x-mc-date must look like "Tue, 24 Nov 2015 12:50:11 UTC" (sim)',
      );
    }
    if (Math.abs(Date.parse(date) - this.#options.now().getTime()) > this.#options.maxClockSkewMs) {
      return mimecastFailure(
        401,
        'err_auth_date_out_of_range',
        'x-mc-date is too far from the current time (sim)',
      );
    }
    const dataToSign = [date, requestId, call.path, expected.appKey].join(':');
    const digest = createHmac('sha1', Buffer.from(expected.secretKey, 'base64'))
      .update(dataToSign)
      .digest('base64');
    if (!safeEqual(signature, digest)) {
      return mimecastFailure(401, 'err_auth_signature_invalid', 'The request signature does not match (sim)');
    }
    if (this.#seenRequestIds.has(requestId)) {
      return mimecastFailure(401, 'err_auth_request_id_reused', 'x-mc-req-id has already been used (sim)');
    }
    this.#seenRequestIds.add(requestId);
    if (this.#bindingExpired) {
      return mimecastFailure(418, 'err_xdk_binding_expired', 'The binding has expired');
    }
    return undefined;
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Constant-time comparison, so the simulator does not model a timing oracle real servers avoid. */
function safeEqual(actual: string, expected: string): boolean {
  const a = Buffer.from(actual);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
