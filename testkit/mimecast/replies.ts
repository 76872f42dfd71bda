/**
 * What the simulator answers, in Mimecast's envelope (`{ meta, data, fail }`) or as an OAuth error, and
 * what an injected fault answers instead; plus reading the request body.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatorFault } from './types.js';

const MAX_BODY_BYTES = 1024 * 1024;

export interface MimecastError {
  code: string;
  message: string;
  retryable: boolean;
  field?: string;
}

export interface FailItem {
  key?: unknown;
  code?: string;
  message?: string;
  errors?: MimecastError[];
}

export interface Reply {
  status: number;
  /** A string is sent as is; anything else as JSON. */
  body: unknown;
  headers?: Record<string, string> | undefined;
}

export interface PendingFault extends SimulatorFault {
  remaining: number;
}

export function error(code: string, message: string, field?: string): MimecastError {
  return field === undefined
    ? { code, message, retryable: false }
    : { code, message, retryable: false, field };
}

export function mimecastFailure(status: number, code: string, message: string, field?: string): Reply {
  return { status, body: { meta: { status }, data: [], fail: [{ errors: [error(code, message, field)] }] } };
}

/** API 2.0 puts the code on the fail item itself, which is where clients look for token_expired. */
export function oauthFailure(code: string, message: string): Reply {
  return { status: 401, body: { meta: { status: 401 }, data: [], fail: [{ code, message }] } };
}

export function oauthError(status: number, code: string, description: string): Reply {
  return { status, body: { error: code, error_description: description } };
}

const DEFAULT_FAULT_ERRORS: Record<number, [code: string, message: string]> = {
  400: ['err_validation_blank', 'Simulated bad request'],
  401: ['err_auth_signature_invalid', 'Simulated authentication failure (sim)'],
  403: ['err_access_denied', 'The API user does not have the required permission (sim)'],
  404: ['err_resource_not_found', 'Simulated missing resource (sim)'],
  418: ['err_xdk_binding_expired', 'The binding has expired'],
  429: ['err_rate_limit_exceeded', 'Quota exceeded (sim)'],
};

/** What a fault answers instead of the real operation, or undefined when it only delays or drops. */
export function faultReply(fault: PendingFault | undefined): Reply | undefined {
  if (fault === undefined || (fault.status === undefined && fault.body === undefined)) {
    return undefined;
  }
  const status = fault.status ?? 200;
  if (fault.body !== undefined) return { status, body: fault.body, headers: fault.headers };
  const [code, message] = DEFAULT_FAULT_ERRORS[status] ?? [
    'err_internal_server_error',
    'Simulated failure (sim)',
  ];
  return { ...mimecastFailure(status, code, message), headers: fault.headers };
}

export function withFaultHeaders(reply: Reply, fault: PendingFault | undefined): Reply {
  return fault?.headers === undefined ? reply : { ...reply, headers: { ...reply.headers, ...fault.headers } };
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-request-id': `sim-${randomUUID()}`,
    ...reply.headers,
  });
  res.end(text);
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseBody(contentType: string | undefined, rawBody: string): unknown {
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(rawBody));
  }
  try {
    return JSON.parse(rawBody);
  } catch {
    return undefined;
  }
}
