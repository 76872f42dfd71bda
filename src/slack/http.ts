import type { FetchFunction } from '@slack/web-api';
import { Agent, type RequestInit as UndiciRequestInit, fetch as undiciFetch } from 'undici';

/** How a Slack Web API request ended: answered ok, refused (`ok: false`), rate-limited, another HTTP error, or no answer. */
export type SlackCallOutcome = 'ok' | 'error' | 'rate_limited' | 'http_error' | 'network';

/** Told of every Web API request once its outcome is known (for the metrics). */
export type SlackCallObserver = (method: string, outcome: SlackCallOutcome) => void;

/** A Web API method name as Slack spells them (chat.postMessage); anything else is not used as a label. */
const METHOD_NAME = /^[a-z]+(?:\.[a-zA-Z]+){1,3}$/;

/**
 * The WebClient's transport: undici 7's fetch on a connection pool of its own (undici's defaults). It
 * does what Node 20's built-in fetch (an older bundled undici) does with about a quarter less CPU per
 * call, measured against the Slack simulator; every notice, modal and reply is one such call. With an
 * observer, each request's method and outcome are reported to it; the body the WebClient reads is
 * untouched (a copy is read for Slack's `ok`).
 */
export function slackTransport(observe?: SlackCallObserver): {
  fetch: FetchFunction;
  close: () => Promise<void>;
} {
  const agent = new Agent();
  // The WebClient's init is a subset of fetch's; only its FormData type (file uploads, which the
  // bot does not make) differs between Node's copy of undici and this one.
  const send = (url: string | URL, init: Parameters<FetchFunction>[1]) =>
    undiciFetch(url, { ...(init as UndiciRequestInit), dispatcher: agent });
  return {
    fetch: observe
      ? async (url, init) => {
          const method = methodOf(url);
          let response: Awaited<ReturnType<typeof undiciFetch>>;
          try {
            response = await send(url, init);
          } catch (error) {
            observe(method, 'network');
            throw error;
          }
          if (response.status === 429) observe(method, 'rate_limited');
          else if (!response.ok) observe(method, 'http_error');
          else {
            void response
              .clone()
              .json()
              .then(
                (body: unknown) => observe(method, slackRefused(body) ? 'error' : 'ok'),
                () => observe(method, 'http_error'),
              );
          }
          return response;
        }
      : send,
    close: () => agent.close(),
  };
}

function methodOf(url: string | URL): string {
  const name = new URL(url).pathname.split('/').pop() ?? '';
  return METHOD_NAME.test(name) ? name : 'other';
}

function slackRefused(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { ok?: unknown }).ok === false;
}
