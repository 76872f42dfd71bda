/**
 * The Mimecast simulator's HTTP server: it records every request, answers POSTs only, sends
 * /oauth/token to the client-credentials check and everything else through authentication to the
 * delegate endpoints, and applies injected faults (a delay, a replaced answer, a dropped connection)
 * to requests that authenticated.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Authenticator } from './auth.js';
import { DelegateDirectory } from './delegates.js';
import {
  faultReply,
  mimecastFailure,
  type PendingFault,
  parseBody,
  type Reply,
  readBody,
  send,
  withFaultHeaders,
} from './replies.js';
import {
  type FindShape,
  type MimecastSimulator,
  type MimecastSimulatorOptions,
  SIMULATOR_DEFAULT_CREDENTIALS,
  type SimulatedRight,
  type SimulatorCall,
  type SimulatorCredentials,
  type SimulatorFault,
} from './types.js';

const TOKEN_PATH = '/oauth/token';

export class Simulator implements MimecastSimulator {
  readonly credentials: SimulatorCredentials;
  readonly calls: SimulatorCall[] = [];
  readonly issuedTokens: string[];
  url = '';
  tokenRequests = 0;

  readonly #server = createServer((req, res) => void this.#handle(req, res));
  readonly #now: () => Date;
  readonly #onCall: ((call: SimulatorCall) => void) | undefined;
  readonly #auth: Authenticator;
  readonly #directory: DelegateDirectory;
  readonly #faults = new Map<string, PendingFault[]>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(options: MimecastSimulatorOptions) {
    this.credentials = {
      hmac: { ...SIMULATOR_DEFAULT_CREDENTIALS.hmac, ...options.credentials?.hmac },
      oauth: { ...SIMULATOR_DEFAULT_CREDENTIALS.oauth, ...options.credentials?.oauth },
    };
    this.#now = options.now ?? (() => new Date());
    this.#onCall = options.onCall;
    this.#auth = new Authenticator({
      credentials: this.credentials,
      now: this.#now,
      tokenTtlSeconds: options.tokenTtlSeconds ?? 1800,
      maxClockSkewMs: options.maxClockSkewMs ?? 5 * 60_000,
    });
    this.issuedTokens = this.#auth.issuedTokens;
    this.#directory = new DelegateDirectory(options.mailboxes ?? [], options.findShape);
  }

  get rights(): SimulatedRight[] {
    return this.#directory.rights;
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
    this.#directory.addMailbox(email);
  }

  grant(grantee: string, mailbox: string, source?: string): SimulatedRight {
    return this.#directory.grant(grantee, mailbox, source);
  }

  revoke(id: string): boolean {
    return this.#directory.revoke(id);
  }

  setFindShape(shape: FindShape): void {
    this.#directory.setFindShape(shape);
  }

  inject(path: string, fault: SimulatorFault): void {
    const queue = this.#faults.get(path) ?? [];
    queue.push({ ...fault, remaining: fault.times ?? 1 });
    this.#faults.set(path, queue);
  }

  setBindingExpired(expired: boolean): void {
    this.#auth.setBindingExpired(expired);
  }

  reset(): void {
    this.calls.length = 0;
    this.tokenRequests = 0;
    this.#faults.clear();
    this.#auth.reset();
    this.#directory.reset();
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

  #route(call: SimulatorCall): { reply: Reply; fault?: PendingFault | undefined } {
    if (call.method !== 'POST') {
      return { reply: mimecastFailure(405, 'err_method_not_allowed', 'Only POST is supported') };
    }
    if (call.path === TOKEN_PATH) {
      this.tokenRequests += 1;
      const refused = this.#auth.checkClientCredentials(call);
      if (refused) return { reply: refused };
      call.authOk = true;
      const fault = this.#takeFault(call.path);
      return { reply: faultReply(fault) ?? withFaultHeaders(this.#auth.issueToken(), fault), fault };
    }

    const refused = this.#auth.authenticate(call);
    if (refused) return { reply: refused };
    call.authOk = true;

    // Faults apply only to requests that authenticated, so a fault is never spent on a refused request.
    const fault = this.#takeFault(call.path);
    return { reply: faultReply(fault) ?? withFaultHeaders(this.#directory.operate(call), fault), fault };
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
