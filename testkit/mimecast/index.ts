/**
 * A local stand-in for the Mimecast API: API 1.0 (HMAC) and API 2.0 (OAuth client credentials), the
 * delegate endpoints, and injectable faults. It checks requests at least as strictly as we believe
 * Mimecast does, so a client that passes here is correct under the strictest reading of the docs.
 *
 * Signature checking is written here independently of src/mimecast/signing.ts on purpose: sharing the
 * code would let one bug pass in both.
 *
 * Choices where Mimecast's behaviour is unknown (error codes marked "sim" are this simulator's own):
 * - Item-level problems (bad or unknown address, unknown id) answer HTTP 200 with `fail[]`, as the
 *   envelope documents; a body that is not JSON or has no `data` array answers 400.
 * - Adding a pair that already exists answers success with the existing right's id (idempotent).
 * - Finding by an unknown address answers an empty list, not a failure.
 * - Addresses are compared and stored in lower case.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DelegateRight } from '../../src/mimecast/types.js';

export interface SimulatorHmacCredentials {
  appId: string;
  appKey: string;
  accessKey: string;
  /** Base64 text; the decoded bytes are the HMAC key. */
  secretKey: string;
}

export interface SimulatorOAuthCredentials {
  clientId: string;
  clientSecret: string;
}

export interface SimulatorCredentials {
  hmac: SimulatorHmacCredentials;
  oauth: SimulatorOAuthCredentials;
}

export interface SimulatorFault {
  /** Delay before answering. */
  latencyMs?: number;
  /** Answer with this status instead of performing the operation (default body: a Mimecast-style failure). */
  status?: number;
  /** Answer with this body instead of performing the operation: a string is sent as is (e.g. broken JSON). */
  body?: unknown;
  /** Extra response headers, e.g. `{ 'X-RateLimit-Reset': '250' }`, with or without a replaced answer. */
  headers?: Record<string, string>;
  /** Perform the operation, then destroy the socket without answering. */
  dropConnection?: boolean;
  /** How many matching requests this fault applies to before it is cleared. Default 1. */
  times?: number;
}

export interface SimulatorCall {
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** Parsed JSON or form fields; undefined when the body could not be parsed. */
  body: unknown;
  /** The status answered (or about to be); 0 when the connection was dropped instead. */
  status: number;
  /** By the simulator's clock. */
  at: Date;
  /** Whether the API 1.0 signature, the bearer token, or (on /oauth/token) the client credentials checked out. */
  authOk: boolean;
}

export interface MimecastSimulatorOptions {
  /** Default 0: a free port chosen by the system. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  credentials?: { hmac?: Partial<SimulatorHmacCredentials>; oauth?: Partial<SimulatorOAuthCredentials> };
  /** Addresses known to the directory; delegate rights can only link known addresses. */
  mailboxes?: string[];
  /** Lifetime of issued access tokens. Default 1800 (Mimecast's is about 30 minutes). */
  tokenTtlSeconds?: number;
  /** The simulator's clock, for `x-mc-date` checks and token expiry. */
  now?: () => Date;
  /** Largest accepted difference between `x-mc-date` and the simulator's clock. Default 5 minutes. */
  maxClockSkewMs?: number;
  /** Called once per request after it has been answered (or dropped). */
  onCall?: (call: SimulatorCall) => void;
}

export interface MimecastSimulator {
  /** Base URL without a trailing slash. */
  readonly url: string;
  readonly credentials: SimulatorCredentials;
  /** Every request received, in order. */
  readonly calls: SimulatorCall[];
  /** The delegate rights that currently exist. */
  readonly rights: DelegateRight[];
  /** Requests to /oauth/token, successful or not. */
  readonly tokenRequests: number;
  /** Every access token issued, in order. */
  readonly issuedTokens: string[];
  addMailbox(email: string): void;
  inject(path: string, fault: SimulatorFault): void;
  setBindingExpired(expired: boolean): void;
  /** Back to the initial state: calls, rights, faults, tokens and seen request ids cleared, mailboxes as at start. */
  reset(): void;
  close(): Promise<void>;
}

export const SIMULATOR_DEFAULT_CREDENTIALS: SimulatorCredentials = {
  hmac: {
    appId: 'sim-app-8d4e2f71',
    appKey: 'sim-app-key-c3b9a0e6',
    accessKey: 'sim-access-key-51f7d2c8',
    secretKey: Buffer.from('simulator secret key, not a real one').toString('base64'),
  },
  oauth: { clientId: 'sim-client-4a6f0b93', clientSecret: 'sim-client-secret-e27c5d18' },
};

const ADD_PATH = '/api/user/add-delegate-user';
const REMOVE_PATH = '/api/user/remove-delegate-user';
const FIND_PATH = '/api/user/find-delegate-users';
const TOKEN_PATH = '/oauth/token';
const MAX_BODY_BYTES = 1024 * 1024;
const MIMECAST_DATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} UTC$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

interface MimecastError {
  code: string;
  message: string;
  retryable: boolean;
  field?: string;
}

interface FailItem {
  key?: unknown;
  code?: string;
  message?: string;
  errors?: MimecastError[];
}

interface Reply {
  status: number;
  /** A string is sent as is; anything else as JSON. */
  body: unknown;
  headers?: Record<string, string>;
}

interface PendingFault extends SimulatorFault {
  remaining: number;
}

export async function startMimecastSimulator(
  options: MimecastSimulatorOptions = {},
): Promise<MimecastSimulator> {
  const simulator = new Simulator(options);
  await simulator.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return simulator;
}

class Simulator implements MimecastSimulator {
  readonly credentials: SimulatorCredentials;
  readonly calls: SimulatorCall[] = [];
  readonly issuedTokens: string[] = [];
  url = '';
  tokenRequests = 0;

  readonly #server = createServer((req, res) => void this.#handle(req, res));
  readonly #now: () => Date;
  readonly #tokenTtlSeconds: number;
  readonly #maxClockSkewMs: number;
  readonly #onCall: ((call: SimulatorCall) => void) | undefined;
  readonly #initialMailboxes: string[];
  readonly #mailboxes = new Set<string>();
  readonly #rights = new Map<string, DelegateRight>();
  readonly #faults = new Map<string, PendingFault[]>();
  readonly #seenRequestIds = new Set<string>();
  /** access token → expiry time in ms by the simulator's clock. */
  readonly #tokens = new Map<string, number>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #bindingExpired = false;

  constructor(options: MimecastSimulatorOptions) {
    this.credentials = {
      hmac: { ...SIMULATOR_DEFAULT_CREDENTIALS.hmac, ...options.credentials?.hmac },
      oauth: { ...SIMULATOR_DEFAULT_CREDENTIALS.oauth, ...options.credentials?.oauth },
    };
    this.#now = options.now ?? (() => new Date());
    this.#tokenTtlSeconds = options.tokenTtlSeconds ?? 1800;
    this.#maxClockSkewMs = options.maxClockSkewMs ?? 5 * 60_000;
    this.#onCall = options.onCall;
    this.#initialMailboxes = (options.mailboxes ?? []).map((email) => email.toLowerCase());
    for (const email of this.#initialMailboxes) this.#mailboxes.add(email);
  }

  get rights(): DelegateRight[] {
    return [...this.#rights.values()].map((right) => ({ ...right }));
  }

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address() as AddressInfo;
    const urlHost = address.address.includes(':') ? `[${address.address}]` : address.address;
    this.url = `http://${urlHost}:${address.port}`;
  }

  addMailbox(email: string): void {
    this.#mailboxes.add(email.toLowerCase());
  }

  inject(path: string, fault: SimulatorFault): void {
    const queue = this.#faults.get(path) ?? [];
    queue.push({ ...fault, remaining: fault.times ?? 1 });
    this.#faults.set(path, queue);
  }

  setBindingExpired(expired: boolean): void {
    this.#bindingExpired = expired;
  }

  reset(): void {
    this.calls.length = 0;
    this.issuedTokens.length = 0;
    this.tokenRequests = 0;
    this.#rights.clear();
    this.#faults.clear();
    this.#seenRequestIds.clear();
    this.#tokens.clear();
    this.#bindingExpired = false;
    this.#mailboxes.clear();
    for (const email of this.#initialMailboxes) this.#mailboxes.add(email);
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      this.#server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let call: SimulatorCall | undefined;
    try {
      const rawBody = await readBody(req);
      const path = new URL(req.url ?? '/', 'http://simulator').pathname;
      call = {
        path,
        method: req.method ?? '',
        headers: req.headers,
        rawBody,
        body: parseBody(req.headers['content-type'], rawBody),
        status: 0,
        at: this.#now(),
        authOk: false,
      };
      this.calls.push(call);

      const { reply, fault } = this.#route(call);
      if (fault?.latencyMs) await this.#delay(fault.latencyMs);
      if (fault?.dropConnection) {
        req.socket.destroy();
      } else {
        call.status = reply.status;
        send(res, reply);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const reply = mimecastFailure(500, 'err_internal_server_error', `Simulator error: ${message}`);
      if (call) call.status = reply.status;
      if (!res.headersSent) send(res, reply);
    }
    if (call) this.#onCall?.(call);
  }

  #route(call: SimulatorCall): { reply: Reply; fault?: PendingFault } {
    if (call.method !== 'POST') {
      return { reply: mimecastFailure(405, 'err_method_not_allowed', 'Only POST is supported') };
    }
    if (call.path === TOKEN_PATH) {
      this.tokenRequests += 1;
      const refused = this.#checkClientCredentials(call);
      if (refused) return { reply: refused };
      call.authOk = true;
      const fault = this.#takeFault(call.path);
      return { reply: faultReply(fault) ?? withFaultHeaders(this.#issueToken(), fault), fault };
    }

    const refused = this.#authenticate(call);
    if (refused) return { reply: refused };
    call.authOk = true;

    // Faults apply only to requests that authenticated, so a fault is never spent on a refused request.
    const fault = this.#takeFault(call.path);
    return { reply: faultReply(fault) ?? withFaultHeaders(this.#operate(call), fault), fault };
  }

  #takeFault(path: string): PendingFault | undefined {
    const queue = this.#faults.get(path);
    const fault = queue?.[0];
    if (queue === undefined || fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) queue.shift();
    if (queue.length === 0) this.#faults.delete(path);
    return fault;
  }

  #checkClientCredentials(call: SimulatorCall): Reply | undefined {
    if (!String(call.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return oauthError(400, 'invalid_request', 'The token request must be form-encoded');
    }
    const form = call.body as Record<string, string>;
    if (form.grant_type !== 'client_credentials') {
      return oauthError(400, 'unsupported_grant_type', 'Only client_credentials is supported');
    }
    const { clientId, clientSecret } = this.credentials.oauth;
    if (!safeEqual(form.client_id ?? '', clientId) || !safeEqual(form.client_secret ?? '', clientSecret)) {
      return oauthError(401, 'invalid_client', 'Client authentication failed');
    }
    return undefined;
  }

  #issueToken(): Reply {
    const token = `sim-at-${randomBytes(24).toString('base64url')}`;
    this.#tokens.set(token, this.#now().getTime() + this.#tokenTtlSeconds * 1000);
    this.issuedTokens.push(token);
    return {
      status: 200,
      body: { access_token: token, token_type: 'Bearer', expires_in: this.#tokenTtlSeconds },
    };
  }

  /** A refusal, or undefined when the request is authentic. */
  #authenticate(call: SimulatorCall): Reply | undefined {
    const authorization = headerText(call.headers.authorization);
    if (authorization === undefined) {
      return mimecastFailure(400, 'err_auth_header_missing', 'The Authorization header is missing (sim)');
    }
    if (authorization.startsWith('Bearer ')) return this.#checkBearer(authorization.slice('Bearer '.length));
    if (authorization.startsWith('MC ')) return this.#checkSignature(call, authorization.slice('MC '.length));
    return mimecastFailure(400, 'err_auth_header_malformed', 'The Authorization header is malformed (sim)');
  }

  #checkBearer(token: string): Reply | undefined {
    const expiresAt = this.#tokens.get(token);
    if (expiresAt === undefined) return oauthFailure('token_verification_failed', 'Invalid access token');
    if (this.#now().getTime() >= expiresAt) return oauthFailure('token_expired', 'Access token has expired');
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
    const expected = this.credentials.hmac;

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
    if (Math.abs(Date.parse(date) - this.#now().getTime()) > this.#maxClockSkewMs) {
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

  #operate(call: SimulatorCall): Reply {
    const operation = {
      [ADD_PATH]: (item: Record<string, unknown>) => this.#addDelegate(item),
      [REMOVE_PATH]: (item: Record<string, unknown>) => this.#removeDelegate(item),
      [FIND_PATH]: (item: Record<string, unknown>) => this.#findDelegates(item),
    }[call.path];
    if (operation === undefined) {
      return mimecastFailure(404, 'err_resource_not_found', `No endpoint at ${call.path} (sim)`);
    }

    const items = (call.body as { data?: unknown } | undefined)?.data;
    if (!Array.isArray(items) || items.some((item) => typeof item !== 'object' || item === null)) {
      return mimecastFailure(
        400,
        'err_validation_null',
        'The request body must have a data array of objects',
        'data',
      );
    }
    // Several items behave like separate calls: each lands in data[] or fail[] on its own.
    const data: unknown[] = [];
    const fail: FailItem[] = [];
    for (const item of items as Record<string, unknown>[]) {
      const outcome = operation(item);
      if ('errors' in outcome) fail.push({ key: item, errors: outcome.errors });
      else data.push(...outcome.data);
    }
    return { status: 200, body: { meta: { status: 200 }, data, fail } };
  }

  #addDelegate(item: Record<string, unknown>): { data: unknown[] } | { errors: MimecastError[] } {
    const primary = this.#knownAddress(item, 'primaryAddress');
    if (!primary.ok) return { errors: [primary.error] };
    const delegate = this.#knownAddress(item, 'delegateAddress');
    if (!delegate.ok) return { errors: [delegate.error] };
    if (primary.address === delegate.address) {
      return {
        errors: [
          error(
            'err_validation_same_address',
            'A user cannot be a delegate of their own mailbox (sim)',
            'delegateAddress',
          ),
        ],
      };
    }
    const existing = [...this.#rights.values()].find(
      (right) => right.primaryAddress === primary.address && right.delegateAddress === delegate.address,
    );
    if (existing) return { data: [{ id: existing.id, success: true }] };

    const id = `eNo${randomBytes(36).toString('base64url')}`;
    this.#rights.set(id, { id, primaryAddress: primary.address, delegateAddress: delegate.address });
    return { data: [{ id, success: true }] };
  }

  #removeDelegate(item: Record<string, unknown>): { data: unknown[] } | { errors: MimecastError[] } {
    const { id } = item;
    if (id === undefined || id === null)
      return { errors: [error('err_validation_null', 'id must not be null', 'id')] };
    if (typeof id !== 'string' || id.trim() === '') {
      return { errors: [error('err_validation_blank', 'id must not be blank', 'id')] };
    }
    if (!this.#rights.delete(id)) {
      return { errors: [error('err_delegate_not_found', 'No delegate right has this id (sim)', 'id')] };
    }
    return { data: [{ id, success: true }] };
  }

  #findDelegates(item: Record<string, unknown>): { data: unknown[] } | { errors: MimecastError[] } {
    const primary = validAddress(item, 'primaryAddress');
    if (!primary.ok) return { errors: [primary.error] };
    const rights = [...this.#rights.values()].filter((right) => right.primaryAddress === primary.address);
    return { data: rights.map((right) => ({ ...right })) };
  }

  #knownAddress(item: Record<string, unknown>, field: string): AddressCheck {
    const check = validAddress(item, field);
    if (check.ok && !this.#mailboxes.has(check.address)) {
      return {
        ok: false,
        error: error(
          'err_validation_address_not_found',
          `${check.address} is not an internal address (sim)`,
          field,
        ),
      };
    }
    return check;
  }

  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }
}

type AddressCheck = { ok: true; address: string } | { ok: false; error: MimecastError };

function validAddress(item: Record<string, unknown>, field: string): AddressCheck {
  const value = item[field];
  if (value === undefined || value === null) {
    return { ok: false, error: error('err_validation_null', `${field} must not be null`, field) };
  }
  if (typeof value !== 'string' || value.trim() === '') {
    return { ok: false, error: error('err_validation_blank', `${field} must not be blank`, field) };
  }
  if (!EMAIL.test(value)) {
    return {
      ok: false,
      error: error('err_validation_invalid_email_address', `${field} is not a valid email address`, field),
    };
  }
  return { ok: true, address: value.toLowerCase() };
}

function error(code: string, message: string, field?: string): MimecastError {
  return field === undefined
    ? { code, message, retryable: false }
    : { code, message, retryable: false, field };
}

function mimecastFailure(status: number, code: string, message: string, field?: string): Reply {
  return { status, body: { meta: { status }, data: [], fail: [{ errors: [error(code, message, field)] }] } };
}

/** API 2.0 puts the code on the fail item itself, which is where clients look for token_expired. */
function oauthFailure(code: string, message: string): Reply {
  return { status: 401, body: { meta: { status: 401 }, data: [], fail: [{ code, message }] } };
}

function oauthError(status: number, code: string, description: string): Reply {
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
function faultReply(fault: PendingFault | undefined): Reply | undefined {
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

function withFaultHeaders(reply: Reply, fault: PendingFault | undefined): Reply {
  return fault?.headers === undefined ? reply : { ...reply, headers: { ...reply.headers, ...fault.headers } };
}

function send(res: ServerResponse, reply: Reply): void {
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

async function readBody(req: IncomingMessage): Promise<string> {
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

function parseBody(contentType: string | undefined, rawBody: string): unknown {
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(rawBody));
  }
  try {
    return JSON.parse(rawBody);
  } catch {
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
