/** Reading what the app sends: the body, the bearer token, Web API arguments, a response_url post. */
import type { IncomingMessage } from 'node:http';
import { isJsonObject, type JsonObject, safeJsonParse } from '../json.js';

// Arguments that WebClient JSON-stringifies inside a form body.
const JSON_ARGUMENTS = new Set(['blocks', 'view', 'attachments', 'metadata']);

export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match?.[1]?.trim();
}

/**
 * Reads Web API arguments from a form body (JSON-valued fields parsed), a JSON body, or the query string.
 * Slack ignores a `token` inside a JSON body: JSON callers must use the Authorization header.
 */
export function parseApiRequest(
  contentType: string | undefined,
  body: string,
  query: URLSearchParams,
): { args: JsonObject; error?: string } {
  const args: JsonObject = Object.fromEntries(query);
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (body.length === 0) return { args };
  if (mediaType === 'application/json') {
    const parsed = safeJsonParse(body);
    if (!isJsonObject(parsed)) return { args, error: 'invalid_json' };
    const { token: _ignored, ...rest } = parsed;
    return { args: { ...args, ...rest } };
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    for (const [key, value] of new URLSearchParams(body)) {
      args[key] = JSON_ARGUMENTS.has(key) ? (safeJsonParse(value) ?? value) : value;
    }
    return { args };
  }
  if (mediaType === '') return { args, error: 'missing_post_type' };
  return { args, error: 'invalid_post_type' };
}

export function parseResponseUrlBody(contentType: string | undefined, body: string): JsonObject | undefined {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/x-www-form-urlencoded') {
    const payload = new URLSearchParams(body).get('payload');
    const parsed = payload === null ? undefined : safeJsonParse(payload);
    return isJsonObject(parsed) ? parsed : undefined;
  }
  const parsed = safeJsonParse(body);
  return isJsonObject(parsed) ? parsed : undefined;
}
