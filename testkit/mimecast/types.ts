/** The Mimecast simulator's public shapes: its credentials, injectable faults, recorded calls and options. */
import type { IncomingHttpHeaders } from 'node:http';

/** A delegate right as the simulator keeps it: against the grantee, as the add named them. */
export interface SimulatedRight {
  id: string;
  /** The grantee (the add's primaryAddress): the account the right is stored against. */
  primaryAddress: string;
  /** The mailbox the grantee can open (the add's delegateAddress). */
  delegateAddress: string;
  /** Display name of the mailbox, as the search reports it. */
  name: string;
  /** `API` for rights added through the API; `ADCON` (or what was given) for those made by hand. */
  source: string;
}

/**
 * How find-delegate-users lays out its answer. Mimecast's own (the default): one data item per
 * address searched, its rights in `delegateUsers`, each with `emailAddress` and `id`. The variants
 * some tenants return: the rights directly in `data`, and other names for the address and the id.
 */
export interface FindShape {
  layout: 'nested' | 'flat';
  address: 'emailAddress' | 'delegateAddress' | 'delegateEmailAddress';
  id: 'id' | 'delegateId' | 'secureId';
}

export const MIMECAST_FIND_SHAPE: FindShape = { layout: 'nested', address: 'emailAddress', id: 'id' };

/** Mimecast's layout and each variant, by name (every alternative field name appears in one of them). */
export const FIND_SHAPES = {
  mimecast: MIMECAST_FIND_SHAPE,
  flat: { layout: 'flat', address: 'emailAddress', id: 'id' },
  delegateAddress: { layout: 'flat', address: 'delegateAddress', id: 'delegateId' },
  delegateEmailAddress: { layout: 'flat', address: 'delegateEmailAddress', id: 'secureId' },
} as const satisfies Record<string, FindShape>;

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
  /** How find-delegate-users lays out its answer. Default: Mimecast's (MIMECAST_FIND_SHAPE). */
  findShape?: FindShape;
}

export interface MimecastSimulator {
  /** Base URL without a trailing slash. */
  readonly url: string;
  readonly credentials: SimulatorCredentials;
  /** Every request received, in order. */
  readonly calls: SimulatorCall[];
  /** The delegate rights that currently exist. */
  readonly rights: SimulatedRight[];
  /** Requests to /oauth/token, successful or not. */
  readonly tokenRequests: number;
  /** Every access token issued, in order. */
  readonly issuedTokens: string[];
  addMailbox(email: string): void;
  /** A right made by hand, outside the API (source ADCON unless given): `grantee` can open `mailbox`. */
  grant(grantee: string, mailbox: string, source?: string): SimulatedRight;
  /** Removes a right by hand, outside the API; false when no right has this id. */
  revoke(id: string): boolean;
  /** How find-delegate-users lays out its answer from now on (reset() restores the one given at start). */
  setFindShape(shape: FindShape): void;
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
