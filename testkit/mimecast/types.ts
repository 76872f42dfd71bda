/** The Mimecast simulator's public shapes: its credentials, injectable faults, recorded calls and options. */
import type { IncomingHttpHeaders } from 'node:http';
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
