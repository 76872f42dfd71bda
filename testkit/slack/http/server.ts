/**
 * The simulator's HTTP server on 127.0.0.1: `/api/<method>` is the Web API (the token checked, injected
 * failures applied, every call recorded), `/response/<id>` the response URLs, and `/socket-mode` the
 * WebSocket upgrade that Socket Mode accepts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonObject } from '../json.js';
import type { SimParts } from '../parts.js';
import type { SocketMode } from '../socket-mode.js';
import { type ApiResult, failure, type MethodTable } from '../web-api/result.js';
import type { FaultQueue } from './faults.js';
import { bearerToken, parseApiRequest, parseResponseUrlBody, readBody } from './parse.js';
import { answerResponseUrl } from './response-url.js';

export class SimHttpServer {
  private readonly server: Server;
  private port = 0;

  constructor(
    private readonly parts: SimParts,
    private readonly methods: MethodTable,
    private readonly faults: FaultQueue,
    private readonly socketMode: SocketMode,
  ) {
    this.server = createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => {
        this.parts.recorder.reportProblem(`simulator failed to handle ${request.url}: ${String(error)}`);
        if (!response.headersSent) response.writeHead(500);
        response.end();
      });
    });
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  listen(port: number): Promise<void> {
    this.server.on('upgrade', (request, socket, head) =>
      this.socketMode.handleUpgrade(request, socket, head),
    );
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.baseUrl);
    const body = await readBody(request);
    if (url.pathname.startsWith('/api/')) {
      this.handleApi(decodeURIComponent(url.pathname.slice('/api/'.length)), request, url, body, response);
    } else if (url.pathname.startsWith('/response/')) {
      this.handleResponseUrl(url.pathname.slice('/response/'.length), request, body, response);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  }

  private handleApi(
    method: string,
    request: IncomingMessage,
    url: URL,
    body: string,
    response: ServerResponse,
  ): void {
    const { recorder } = this.parts;
    const parsed = parseApiRequest(request.headers['content-type'], body, url.searchParams);
    const { token: bodyToken, ...args } = parsed.args;
    if (this.faults.takeHold(method)) {
      recorder.calls.push({ method, args, ok: false, error: 'held', at: Date.now() });
      recorder.changed();
      return;
    }
    const token =
      bearerToken(request.headers.authorization) ?? (typeof bodyToken === 'string' ? bodyToken : undefined);
    const { result, status = 200, headers = {} } = this.answerApiCall(method, args, token, parsed.error);
    recorder.calls.push({
      method,
      args,
      ok: result.ok,
      at: Date.now(),
      ...(result.ok ? {} : { error: String(result.error) }),
    });
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    response.end(JSON.stringify(result));
    recorder.changed();
  }

  private answerApiCall(
    method: string,
    args: JsonObject,
    token: string | undefined,
    parseError: string | undefined,
  ): { result: ApiResult; status?: number; headers?: Record<string, string> } {
    const { workspace } = this.parts;
    const handler = this.methods[method];
    if (handler === undefined) return { result: failure('unknown_method', { req_method: method }) };
    if (parseError !== undefined) return { result: failure(parseError) };
    if (token === undefined || token === '') return { result: failure('not_authed') };
    // apps.connections.open takes the app-level token, and only it; every other method the bot token.
    if (method === 'apps.connections.open') {
      return token === workspace.appToken ? { result: handler(args) } : { result: failure('invalid_auth') };
    }
    if (token !== workspace.botToken) return { result: failure('invalid_auth') };
    const injected = this.faults.takeFailure(method);
    if (injected !== undefined) {
      // Slack always sends Retry-After with a 429; WebClient cannot handle one without it.
      const retryAfterSec = injected.retryAfterSec ?? (injected.status === 429 ? 1 : undefined);
      const headers: Record<string, string> =
        retryAfterSec === undefined ? {} : { 'retry-after': String(retryAfterSec) };
      return { result: failure(injected.error), status: injected.status ?? 200, headers };
    }
    return { result: handler(args) };
  }

  private handleResponseUrl(
    id: string,
    request: IncomingMessage,
    rawBody: string,
    response: ServerResponse,
  ): void {
    const { recorder, triggers } = this.parts;
    const state = triggers.responseUrl(id);
    const body = parseResponseUrlBody(request.headers['content-type'], rawBody);
    const { status, error } = answerResponseUrl(this.parts, state, body);
    recorder.responses.push({
      id,
      url: `${this.baseUrl}/response/${id}`,
      body: body ?? {},
      context: state?.context ?? {},
      ok: error === undefined,
      at: Date.now(),
      ...(error === undefined ? {} : { error }),
    });
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify(error === undefined ? { ok: true } : { ok: false, error }));
    recorder.changed();
  }
}
