import { createHmac } from 'node:crypto';

/**
 * `x-mc-date` layout: RFC 1123 with the literal zone `UTC`, e.g. "Tue, 24 Nov 2015 12:50:11 UTC".
 * `toUTCString()` has produced exactly that layout (ending in "GMT") since ES2018.
 */
export function formatMimecastDate(date: Date): string {
  return date.toUTCString().replace(/GMT$/, 'UTC');
}

export interface SignRequestInput {
  appKey: string;
  accessKey: string;
  /** Base64 text as Mimecast issues it; the HMAC key is the decoded bytes, not the text. */
  secretKey: string;
  /** The exact `x-mc-date` header value sent with the request. */
  date: string;
  /** The exact `x-mc-req-id` header value sent with the request. */
  requestId: string;
  /** URI path only, e.g. /api/user/add-delegate-user (no scheme, host or query). */
  path: string;
}

/** The full API 1.0 `Authorization` header value: `MC {accessKey}:{base64 HMAC-SHA1}`. */
export function signRequest(input: SignRequestInput): string {
  const dataToSign = `${input.date}:${input.requestId}:${input.path}:${input.appKey}`;
  const signature = createHmac('sha1', Buffer.from(input.secretKey, 'base64'))
    .update(dataToSign, 'utf8')
    .digest('base64');
  return `MC ${input.accessKey}:${signature}`;
}
