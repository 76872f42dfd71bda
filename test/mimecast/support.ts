import type { MimecastConfig } from '../../src/mimecast/types.js';
import type { MimecastSimulator } from '../../testkit/mimecast/index.js';

export const MAILBOXES = ['alice@example.com', 'bob@example.com', 'sales@example.com', 'ceo@example.com'];

/** 2025-03-04 was a Tuesday; the simulator and the client share this clock so x-mc-date checks pass. */
export const START = new Date('2025-03-04T05:06:07.000Z');

export class FakeClock {
  #ms: number;

  constructor(start: Date = START) {
    this.#ms = start.getTime();
  }

  readonly now = (): Date => new Date(this.#ms);

  advance(ms: number): void {
    this.#ms += ms;
  }
}

/** A sleep that returns at once, records what was asked, and moves the clock as if the time had passed. */
export function fakeSleep(clock?: FakeClock): { waits: number[]; sleep: (ms: number) => Promise<void> } {
  const waits: number[] = [];
  return {
    waits,
    sleep: async (ms) => {
      waits.push(ms);
      clock?.advance(ms);
    },
  };
}

export function hmacConfig(sim: MimecastSimulator, overrides: Partial<MimecastConfig> = {}): MimecastConfig {
  return {
    baseUrl: sim.url,
    auth: { kind: 'hmac', ...sim.credentials.hmac },
    timeoutMs: 2_000,
    ...overrides,
  };
}

export function oauthConfig(sim: MimecastSimulator, overrides: Partial<MimecastConfig> = {}): MimecastConfig {
  return {
    baseUrl: sim.url,
    auth: { kind: 'oauth', ...sim.credentials.oauth },
    timeoutMs: 2_000,
    ...overrides,
  };
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
