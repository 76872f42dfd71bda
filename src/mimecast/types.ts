/**
 * The contract between the Mimecast client and the rest of the bot. It knows nothing of Slack or of
 * the store: callers get plain results and a failure classified so that a person can act on it.
 */

/** API 1.0 keys (HMAC signing) or API 2.0 client credentials (OAuth 2.0). Exactly one is configured. */
export type MimecastAuth =
  | {
      kind: 'hmac';
      appId: string;
      appKey: string;
      accessKey: string;
      /** Base64 text, as Mimecast issues it; decoded to bytes for the HMAC key. */
      secretKey: string;
    }
  | { kind: 'oauth'; clientId: string; clientSecret: string };

export interface MimecastConfig {
  /** Base URL without a trailing slash, e.g. https://eu-api.mimecast.com or http://127.0.0.1:4010. */
  baseUrl: string;
  auth: MimecastAuth;
  /** Timeout of one HTTP attempt, in milliseconds. */
  timeoutMs: number;
  /** Rate-limit handling: how many 429s are waited out before giving up, and the longest wait. */
  maxRateLimitRetries?: number;
  maxRateLimitWaitMs?: number;
}

/**
 * Why a call failed, in terms of what a person has to do about it.
 * - validation: Mimecast refused the input (bad or unknown address); its message says why.
 * - authentication: bad keys or credentials (401, or 400 for missing credentials).
 * - permission: the API user lacks the needed administrator role (403).
 * - binding_expired: API 1.0 keys expired (418 / err_xdk_binding_expired); an operator must re-issue them.
 * - rate_limited: 429 after the allowed retries; retryAfterMs says how long to wait.
 * - not_found: the endpoint or resource does not exist (404), e.g. user management on a 2.0 tenant that needs 1.0.
 * - server_error: Mimecast answered 5xx; nothing suggests the request took effect.
 * - outcome_unknown: timeout or connection lost after the request was sent; the change may or may not exist.
 * - unexpected_response: a response we cannot read (malformed JSON, unexpected shape or status).
 */
export type MimecastFailureKind =
  | 'validation'
  | 'authentication'
  | 'permission'
  | 'binding_expired'
  | 'rate_limited'
  | 'not_found'
  | 'server_error'
  | 'outcome_unknown'
  | 'unexpected_response';

export interface MimecastFailure {
  ok: false;
  kind: MimecastFailureKind;
  /** Mimecast's own message where it gave one, else a plain description of what happened. */
  message: string;
  httpStatus?: number | undefined;
  /** Mimecast's error code, e.g. err_validation_invalid_email_address. */
  code?: string | undefined;
  /** For rate_limited: how long Mimecast asked us to wait. */
  retryAfterMs?: number;
  /** x-mc-req-id of the last attempt, for support cases. */
  requestId?: string | undefined;
}

export type MimecastResult<T> = ({ ok: true; requestId?: string | undefined } & T) | MimecastFailure;

/**
 * One delegate right, as a search by grantee tells it (`find-delegate-users` with the grantee as
 * `primaryAddress`): a mailbox the grantee can open, and the right's id. Mimecast stores a right
 * against the grantee's account, so searching with the mailbox's own address does not list it.
 */
export interface DelegateRight {
  /** Mimecast secure id of the delegate right (what `remove-delegate-user` takes). */
  id: string;
  /** The mailbox the searched grantee can open (Mimecast's `emailAddress` in the answer). */
  mailbox: string;
  /** The mailbox's display name, when Mimecast gives one. */
  name?: string | undefined;
  /** Where the right came from, when Mimecast says (e.g. ADCON for the Administration Console). */
  source?: string | undefined;
}

export interface AddDelegateInput {
  /** The user who is granted access (the requester). */
  primaryAddress: string;
  /** The mailbox that becomes accessible to them. */
  delegateAddress: string;
}
