/**
 * Socket Mode: apps.connections.open hands out a one-time ticket, the app connects a WebSocket with it
 * and gets Slack's hello, then receives envelopes (commands, interactions, events) and acks each one
 * within 3 seconds. Slack recycles connections (a `disconnect` message, then the close) or drops them.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { randomHex } from './ids.js';
import { isJsonObject, type JsonObject } from './json.js';
import type { Recorder } from './recorder.js';
import type { SocketAck } from './records.js';
import type { ApiResult } from './web-api/result.js';
import type { Workspace } from './workspace.js';

const ACK_TIMEOUT_MS = 3000;

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export class SocketMode {
  private readonly sockets = new WebSocketServer({ noServer: true });
  /** Tickets from apps.connections.open, each good for one connection. */
  private readonly tickets = new Set<string>();
  /** The app's connection. */
  private socket: WebSocket | undefined;
  /** Acks awaited, by envelope id. */
  private readonly pendingAcks = new Map<string, (payload: JsonObject) => void>();

  constructor(
    private readonly workspace: Workspace,
    private readonly recorder: Recorder,
    private readonly baseUrl: () => string,
  ) {}

  get connected(): boolean {
    return this.socket !== undefined;
  }

  /** apps.connections.open, once the app-level token has been checked. */
  openConnection(): ApiResult {
    const ticket = randomHex(16);
    this.tickets.add(ticket);
    return { ok: true, url: `${this.baseUrl().replace(/^http/, 'ws')}/socket-mode?ticket=${ticket}` };
  }

  /** The HTTP server's `upgrade` event: accepts a connection that brings an unused ticket. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', this.baseUrl());
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/socket-mode' || !this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    this.sockets.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
  }

  /**
   * Sends an envelope to the connected app, as Slack does in Socket Mode, and resolves with its ack.
   * Slack waits 3 seconds for an ack; so does this, then it rejects.
   */
  async sendEnvelope(type: EnvelopeType, payload: JsonObject): Promise<SocketAck> {
    const socket = this.socket;
    if (!socket || socket.readyState !== socket.OPEN) throw new Error('no Socket Mode app is connected');
    const envelopeId = randomHex(12);
    const started = performance.now();
    const acked = new Promise<JsonObject>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingAcks.delete(envelopeId);
        reject(new Error(`the app did not ack ${type} envelope ${envelopeId} within 3 s`));
      }, ACK_TIMEOUT_MS);
      this.pendingAcks.set(envelopeId, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
    socket.send(
      JSON.stringify({
        envelope_id: envelopeId,
        type,
        payload,
        accepts_response_payload: type !== 'events_api',
      }),
    );
    const answer = await acked;
    return { payload: answer, elapsedMs: Math.round(performance.now() - started) };
  }

  /**
   * Ends the app's connection as Slack does: with a reason (Slack recycling it, e.g. `refresh_requested`),
   * a `disconnect` message and, if the app has not closed it within a second, the close; without one,
   * at once and without a close frame, like a dropped network.
   */
  disconnect(reason?: 'refresh_requested' | 'warning' | 'link_disabled'): void {
    const socket = this.socket;
    if (!socket) throw new Error('no Socket Mode app is connected');
    if (reason === undefined) {
      socket.terminate();
      return;
    }
    socket.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'sim' } }));
    setTimeout(() => {
      if (socket.readyState === socket.OPEN) socket.close(1001, reason);
    }, 1000).unref();
  }

  close(): void {
    for (const client of this.sockets.clients) client.terminate();
    this.sockets.close();
  }

  private accept(ws: WebSocket): void {
    this.socket?.close();
    this.socket = ws;
    ws.on('message', (data) => {
      let message: { envelope_id?: unknown; payload?: unknown };
      try {
        message = JSON.parse(String(data)) as typeof message;
      } catch {
        this.recorder.reportProblem(
          `Socket Mode: the app sent something that is not JSON: ${String(data).slice(0, 200)}`,
        );
        return;
      }
      const resolve =
        typeof message.envelope_id === 'string' ? this.pendingAcks.get(message.envelope_id) : undefined;
      if (!resolve) {
        this.recorder.reportProblem(
          `Socket Mode: ack for an unknown envelope ${String(message.envelope_id)}`,
        );
        return;
      }
      this.pendingAcks.delete(String(message.envelope_id));
      resolve(isJsonObject(message.payload) ? message.payload : {});
    });
    ws.on('close', () => {
      if (this.socket === ws) this.socket = undefined;
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'sim', approximate_connection_time: 3600 },
        connection_info: { app_id: this.workspace.appId },
      }),
    );
    this.recorder.changed();
  }
}
