/**
 * What the HTTP receiver holds for anyone who connects, before it knows whether Slack sent the request.
 * The figures and how they were measured are in docs/operations.md ("HTTP limits").
 */
export interface HttpLimits {
  /**
   * The largest request body read on /slack/events, in bytes. A body declared larger is refused (413)
   * before any of it is read; one that grows larger is refused as soon as it does, and its connection
   * closed. The largest payload the bot can legitimately get (an App Home click carrying the whole
   * Home view, with the longest addresses and reasons) is under a quarter of it.
   */
  bodyLimitBytes: number;
  /** Time to send the request headers (node:http `headersTimeout`). */
  headersTimeoutMs: number;
  /** Time to send the whole request, body included (node:http `requestTimeout`). */
  requestTimeoutMs: number;
  /** How often node:http checks the two timeouts above (`connectionsCheckingInterval`). */
  timeoutCheckIntervalMs: number;
  /** An idle kept-alive connection is closed after this long (`keepAliveTimeout`). */
  keepAliveTimeoutMs: number;
  /** Connections open at once; more are closed as they arrive (`maxConnections`). */
  maxConnections: number;
  /** Headers read per request (`maxHeadersCount`); Slack sends about a dozen. */
  maxHeadersCount: number;
}

export const HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({
  bodyLimitBytes: 256 * 1024,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  timeoutCheckIntervalMs: 1_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
  maxHeadersCount: 64,
});
