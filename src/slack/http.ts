import type { FetchFunction } from '@slack/web-api';
import { Agent, type RequestInit as UndiciRequestInit, fetch as undiciFetch } from 'undici';

/**
 * The WebClient's transport: undici 7's fetch on a keep-alive pool of its own. It does the same as
 * Node 20's built-in fetch (an older bundled undici) with about a quarter less CPU per call, measured
 * against the Slack simulator; every notice, modal and reply is one such call.
 */
export function slackTransport(): { fetch: FetchFunction; close: () => Promise<void> } {
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  return {
    fetch: (url, init) => undiciFetch(url, { ...(init as UndiciRequestInit), dispatcher: agent }),
    close: () => agent.close(),
  };
}
