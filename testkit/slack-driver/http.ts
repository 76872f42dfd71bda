/** The driver's HTTP transport: an interaction sent to the app's request URL, signed as Slack signs it. */
import { createHmac } from 'node:crypto';
import type { DriverResponse, SendOptions } from './index.js';

/** `v0=` and the HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret, as Slack does. */
export function signRequest(signingSecret: string, timestamp: number, body: string): string {
  const digest = createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex');
  return `v0=${digest}`;
}

/**
 * POSTs the body with Slack's headers (its timestamp, signature and retry headers), times it from the
 * first byte sent to the whole answer read, and parses the answer when it is JSON.
 */
export async function sendSigned(
  url: string,
  body: string,
  options: SendOptions & { timestamp: number; sign: (timestamp: number, body: string) => string },
): Promise<DriverResponse> {
  const { timestamp } = options;
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
  };
  const signature = options.signature === undefined ? options.sign(timestamp, body) : options.signature;
  if (signature !== null) headers['x-slack-signature'] = signature;
  if (options.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = options.retryReason ?? 'http_timeout';
  }
  const started = performance.now();
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  const elapsedMs = Math.round(performance.now() - started);
  const json = parseJson(text);
  const sentAt = performance.timeOrigin + started;
  return { status: response.status, text, elapsedMs, sentAt, ...(json === undefined ? {} : { json }) };
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
