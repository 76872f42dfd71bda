import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What is known of the incoming request whose work is running: set by the HTTP receiver (and the
 * Socket Mode middleware) when a request arrives, and read by the process-level handlers in main.ts,
 * so that an error nobody caught is logged with the request it came from. Ids only: no addresses,
 * reasons or tokens.
 */
export interface RequestContext {
  /** This process's number for the HTTP request or Socket Mode envelope. */
  request: number;
  method?: string;
  path?: string;
  /** The kind of Slack payload: a command, block_actions, view_submission, an event type. */
  kind?: string;
  user?: string;
  team?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();
let counter = 0;

/** Runs `work` (and everything it starts) as the handling of one incoming request. */
export function withRequestContext<T>(fields: Omit<RequestContext, 'request'>, work: () => T): T {
  counter += 1;
  return storage.run({ request: counter, ...fields }, work);
}

/** The request whose handling is running, if any; its fields may be filled in as they become known. */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}
