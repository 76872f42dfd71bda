/**
 * Helpers for the tests that follow the bot's conversations with Mimecast through the simulator:
 * settling unknown outcomes, idempotent removals, reconciliation.
 */
import { expect } from 'vitest';
import type { FindShape, SimulatorFault } from '../../testkit/mimecast/index.js';
import { offsetClock } from './fakes.js';
import { cardOf, type Harness, startHarness, submitRequest, USERS, waitForStatus } from './harness.js';

export const ADD = '/api/user/add-delegate-user';
export const FIND = '/api/user/find-delegate-users';
export const REMOVE = '/api/user/remove-delegate-user';

export type OffsetClock = ReturnType<typeof offsetClock>;

/** The Mimecast calls the simulator received, as `path body` lines with the answer's status. */
export function mimecastCalls(h: Harness): string[] {
  return h.mimecast.calls.map((call) => `${call.status || 'dropped'} ${call.path} ${call.rawBody}`);
}

export const findBody = (grantee: string) => JSON.stringify({ data: [{ primaryAddress: grantee }] });
export const addBody = (grantee: string, mailbox: string) =>
  JSON.stringify({ data: [{ primaryAddress: grantee, delegateAddress: mailbox }] });
export const removeBody = (id: string) => JSON.stringify({ data: [{ id }] });

/** A harness whose bot clock can be moved (the simulators keep real time), searching in `shape`. */
export async function startMovable(
  options: { shape?: FindShape; env?: Record<string, string> } = {},
): Promise<{ h: Harness; clock: OffsetClock }> {
  const clock = offsetClock();
  const h = await startHarness({
    clock,
    ...(options.shape ? { mimecast: { findShape: options.shape } } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  return { h, clock };
}

/** Moves the bot's clock, runs a sweep, and waits until the bot has nothing left in hand. */
export async function advance(h: Harness, clock: OffsetClock, ms: number): Promise<void> {
  clock.advance(ms);
  await h.bot.scheduler.runOnce();
  await h.bot.idle();
}

/** Alice's request for sales@, with `fault` on its add, approved by Carol. */
export async function approveWithAddFault(h: Harness, fault: SimulatorFault, mailbox = 'sales@example.com') {
  const request = await submitRequest(h, USERS.alice.id, mailbox);
  const card = await cardOf(h, request.id);
  h.mimecast.inject(ADD, fault);
  const click = await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
  expect(click.status).toBe(200);
  return { request, card };
}

/** Alice's request for `mailbox`, approved by Carol and granted. */
export async function granted(h: Harness, mailbox = 'sales@example.com', userId: string = USERS.alice.id) {
  const request = await submitRequest(h, userId, mailbox);
  const card = await cardOf(h, request.id);
  await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
  const done = await waitForStatus(h, request.id, 'completed');
  await h.bot.idle();
  return { request: done, card };
}
