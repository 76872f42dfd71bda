import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import {
  type App,
  type Logger as BoltLogger,
  type BufferedIncomingMessage,
  type CustomRoute,
  HTTPModuleFunctions,
  HTTPReceiver,
  HTTPReceiverDeferredRequestError,
  isRawBodyError,
  type Receiver,
  verifySlackRequest,
} from '@slack/bolt';
import type { Logger } from '../logger.js';
import { currentRequest, type RequestContext, withRequestContext } from '../request-context.js';
import { type Envelope, readEnvelope } from './envelope.js';
import type { HttpLimits } from './http-limits.js';
import { checkOrigin, describeKind, describeRefusal, type Installation } from './origin.js';

export interface GuardedReceiverOptions {
  signingSecret: string;
  customRoutes: CustomRoute[];
  /** Bolt's own log lines (boltLogger). */
  boltLogger: BoltLogger;
  logger: Logger;
  limits: HttpLimits;
  /** This installation, once known (identifyInstallation, before the server listens). */
  installation: () => Installation | undefined;
}

const EVENTS_PATH = '/slack/events';
/** Slack's requests are signed at most this long before they arrive (Bolt's window, both ways here). */
const SIGNATURE_WINDOW_S = 5 * 60;

/**
 * Bolt's HTTPReceiver behind a gate. Bolt buffers any body up to 4 MB before it checks the signature,
 * and dereferences a signed body without checking its shape; so `/slack/events` requests pass here
 * first, in an order that spends as little as possible on a request before it is known to be Slack's:
 *
 * 1. a body declared over the limit: 413 before any of it is read;
 * 2. missing, malformed or stale signature headers: 401 before the body is read (a form body is read
 *    first, within the limit, only to let Slack's unsigned `ssl_check` through);
 * 3. a content type Slack does not send: 400 before the body is read;
 * 4. the body, read up to the limit: 413 and the connection closed as soon as it grows past it;
 * 5. the signature over the body: 401;
 * 6. the payload's shape (envelope.ts): 400;
 * 7. the payload's workspace, org and app (origin.ts): 403;
 *
 * and only then Bolt, with the body already read. The server itself has short header and request
 * timeouts and a cap on connections (http-limits.ts), so slow or stalled senders are cut off. Every
 * request is handled in its request context, for the logs of anything that fails later.
 */
export class GuardedReceiver implements Receiver {
  private readonly bolt: HTTPReceiver;
  private server: Server | undefined;

  constructor(private readonly options: GuardedReceiverOptions) {
    const { logger } = options;
    this.bolt = new HTTPReceiver({
      signingSecret: options.signingSecret,
      customRoutes: options.customRoutes,
      logger: options.boltLogger,
      // The default: Slack gets its ack before slow work runs.
      processBeforeResponse: false,
      bodyLimit: options.limits.bodyLimitBytes,
      processEventErrorHandler: async (args) => {
        logger.error(
          { err: args.error, req: currentRequest() },
          'Bolt failed while handling a Slack request',
        );
        return HTTPModuleFunctions.defaultProcessEventErrorHandler(args);
      },
      unhandledRequestHandler: (args) => {
        logger.warn({ req: currentRequest() }, 'a Slack request was not acknowledged within 3 seconds');
        if (!args.response.headersSent) args.response.writeHead(404).end();
      },
    });
  }

  init(app: App): void {
    this.bolt.init(app);
  }

  start(port: number): Promise<Server> {
    const { limits } = this.options;
    const server = createServer(
      {
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        keepAliveTimeout: limits.keepAliveTimeoutMs,
        connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
      },
      (req, res) => this.handle(req, res),
    );
    server.maxConnections = limits.maxConnections;
    server.maxHeadersCount = limits.maxHeadersCount;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, () => {
        server.off('error', reject);
        this.server = server;
        resolve(server);
      });
    });
  }

  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeIdleConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    withRequestContext({ method: req.method ?? '', path: pathOf(req.url) }, () => {
      const context = currentRequest();
      if (context?.path === EVENTS_PATH && req.method === 'POST') {
        this.gate(req, res, context).catch((error: unknown) => {
          this.options.logger.error({ err: error, req: context }, 'Slack request failed before Bolt');
          if (!res.headersSent) refuse(res, 500);
        });
        return;
      }
      this.toBolt(req, res);
    });
  }

  private async gate(req: IncomingMessage, res: ServerResponse, context: RequestContext): Promise<void> {
    const { limits, logger } = this.options;
    const log = (level: 'info' | 'warn', status: number, why: string, more: object = {}) =>
      logger[level]({ req: context, status, ...more }, `Slack request refused: ${why}`);

    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limits.bodyLimitBytes) {
      log('info', 413, 'the declared body is over the limit', { bytes: Number(declared) });
      return refuse(res, 413);
    }
    const type = mediaType(req.headers['content-type']);
    const signature = signatureHeaders(req);
    // An unsigned form body may be Slack's ssl_check; anything else unsigned goes no further.
    if (!signature.ok && (type?.format !== 'form' || type.problem)) {
      log('info', 401, signature.problem);
      return refuse(res, 401);
    }
    if (!type?.format || type.problem) {
      log('warn', 400, type?.problem ?? 'no content type');
      return refuse(res, 400);
    }
    const format = type.format;

    let raw: Buffer;
    try {
      raw = (await HTTPModuleFunctions.bufferIncomingMessage(req, limits.bodyLimitBytes)).rawBody;
    } catch (error) {
      if (isRawBodyError(error) && error.statusCode === 413) {
        log('info', 413, 'the body grew over the limit');
        return refuse(res, 413);
      }
      // The sender went away (or sent a broken body): nobody to answer.
      log('info', 400, 'the body could not be read');
      return refuse(res, 400);
    }
    const text = raw.toString('utf8');
    if (format === 'form' && isSslCheck(text)) return this.toBolt(req, res);
    if (!signature.ok) {
      log('info', 401, signature.problem);
      return refuse(res, 401);
    }
    try {
      verifySlackRequest({
        signingSecret: this.options.signingSecret,
        body: text,
        headers: { 'x-slack-signature': signature.value, 'x-slack-request-timestamp': signature.timestamp },
      });
    } catch {
      log('info', 401, 'the signature does not match the body');
      return refuse(res, 401);
    }

    const reading = readEnvelope(format, text);
    if (!reading.ok) {
      log('warn', 400, reading.problem);
      return refuse(res, 400);
    }
    const { envelope } = reading;
    Object.assign(context, { kind: describeKind(envelope), ...who(envelope) });
    if (envelope.kind === 'url_verification') return this.toBolt(req, res);
    if (envelope.kind === 'rate_limited') {
      logger.warn({ req: context }, 'Slack is holding back events for this app (app_rate_limited)');
      return refuse(res, 200);
    }
    const installation = this.options.installation();
    if (!installation) {
      log('warn', 503, 'the bot has not started');
      return refuse(res, 503);
    }
    const origin = checkOrigin(envelope, installation);
    if (!origin.ok) {
      log('warn', 403, 'not for this workspace or app', describeRefusal(origin));
      return refuse(res, 403);
    }
    // Bolt compares the content type verbatim, and reads the body it finds already buffered.
    if (format === 'form') req.headers['content-type'] = 'application/x-www-form-urlencoded';
    (req as BufferedIncomingMessage).rawBody = raw;
    this.toBolt(req, res);
  }

  /** Bolt's own routing: /slack/events, the health routes; anything else is a 404. */
  private toBolt(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.bolt.requestListener(req, res);
    } catch (error) {
      if (error instanceof HTTPReceiverDeferredRequestError) {
        refuse(res, 404);
        return;
      }
      this.options.logger.error({ err: error, req: currentRequest() }, 'HTTP request failed');
      if (!res.headersSent) refuse(res, 500);
    }
  }
}

/** An empty answer; the connection is closed after it, so an unread body is never waited for. */
function refuse(res: ServerResponse, status: number): void {
  res.writeHead(status, { connection: 'close', 'content-length': '0' }).end();
}

function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://localhost').pathname;
  } catch {
    return '(unreadable)';
  }
}

type MediaType =
  | { format: 'form' | 'json'; problem?: undefined }
  | { format?: 'form' | 'json'; problem: string };

/**
 * The two content types Slack sends: forms (commands, interactions) and JSON (events), in UTF-8. A
 * charset other than UTF-8 is refused: the signature and the body are read as UTF-8.
 */
function mediaType(header: string | undefined): MediaType | undefined {
  if (!header) return undefined;
  const [essence = '', ...parameters] = header.toLowerCase().split(';');
  const format =
    essence.trim() === 'application/x-www-form-urlencoded'
      ? 'form'
      : essence.trim() === 'application/json'
        ? 'json'
        : undefined;
  if (!format)
    return { problem: `content type ${JSON.stringify(header.slice(0, 80))} is not one Slack sends` };
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=').map((part) => part.trim().replace(/^"|"$/g, ''));
    if (name === 'charset' && value !== 'utf-8' && value !== 'utf8') {
      return { format, problem: `charset ${JSON.stringify(value.slice(0, 40))} is not UTF-8` };
    }
  }
  return { format };
}

type SignatureHeaders = { ok: true; value: string; timestamp: number } | { ok: false; problem: string };

/** Slack's signature headers, present, well-formed and recent, before the body is read. */
function signatureHeaders(req: IncomingMessage): SignatureHeaders {
  const value = req.headers['x-slack-signature'];
  const stamp = req.headers['x-slack-request-timestamp'];
  if (typeof value !== 'string' || typeof stamp !== 'string') {
    return { ok: false, problem: 'no signature headers' };
  }
  if (!/^v0=[0-9a-f]{64}$/.test(value) || !/^\d{1,12}$/.test(stamp)) {
    return { ok: false, problem: 'malformed signature headers' };
  }
  const timestamp = Number(stamp);
  if (Math.abs(Date.now() / 1000 - timestamp) > SIGNATURE_WINDOW_S) {
    return { ok: false, problem: 'the signature is not recent' };
  }
  return { ok: true, value, timestamp };
}

/** Slack's certificate check, as Bolt reads it: unsigned, answered with 200, everything else dropped. */
function isSslCheck(text: string): boolean {
  return parseQuery(text).ssl_check === '1';
}

/** The user and workspace a payload names, for the request context. */
function who(envelope: Envelope): { user?: string; team?: string } {
  switch (envelope.kind) {
    case 'command':
      return { user: envelope.body.user_id, team: envelope.body.team_id };
    case 'interaction':
      return { user: envelope.body.user.id, ...(envelope.body.team ? { team: envelope.body.team.id } : {}) };
    case 'event': {
      const user = envelope.body.event.user;
      return { team: envelope.body.team_id, ...(typeof user === 'string' ? { user } : {}) };
    }
    default:
      return {};
  }
}
