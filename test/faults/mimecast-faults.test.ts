import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SimulatorFault } from '../../testkit/mimecast/index.js';
import { auditActions, describeErrors, logEntries } from '../support/fault-tools.js';
import {
  APPROVAL_CHANNEL,
  addCalls,
  cardOf,
  type Harness,
  startHarness,
  submitRequest,
  textOf,
  USERS,
  waitForStatus,
  waitUntil,
} from '../support/harness.js';

const ADD = '/api/user/add-delegate-user';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Submits Alice's request for sales@, arms the fault on the add call, and has Carol approve it. */
async function approveWithFault(fault: SimulatorFault, env: Record<string, string> = {}) {
  h = await startHarness({ env });
  const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
  const card = await cardOf(h, request.id);
  h.mimecast.inject(ADD, fault);
  const click = await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
  expect(click.status).toBe(200);
  return { request, card };
}

/** What everyone was told: the thread reply, Alice's outcome DM and the card's state line. */
async function whatPeopleSaw(requestId: string, cardTs: string, dmNeedle: string) {
  const reply = await h.sim.waitFor(() => h.sim.threadReplies(APPROVAL_CHANNEL, cardTs)[0]);
  const dm = await h.sim.waitFor(() =>
    h.sim.dmsTo(USERS.alice.id).find((m) => m.text.includes(requestId) && m.text.includes(dmNeedle)),
  );
  const card = h.sim.findMessage(APPROVAL_CHANNEL, cardTs)!;
  return { reply: reply.text, dm: dm.text, card: textOf(card) };
}

describe('Mimecast faults, shown to people in words and recorded', () => {
  it('429 then success: waits as told, calls again, and grants', async () => {
    const { request, card } = await approveWithFault({
      status: 429,
      headers: { 'X-RateLimit-Reset': '200' },
    });
    const done = await waitForStatus(h, request.id, 'completed');
    const adds = addCalls(h);
    expect(adds.map((call) => call.status)).toEqual([429, 200]);
    // It waited at least the 200 ms Mimecast asked for before calling again (the simulator stamps arrivals).
    expect(adds[1]!.at.getTime() - adds[0]!.at.getTime()).toBeGreaterThanOrEqual(195);
    // A fresh request id per attempt: Mimecast refuses a reused x-mc-req-id.
    expect(adds[0]!.headers['x-mc-req-id']).not.toBe(adds[1]!.headers['x-mc-req-id']);
    expect(h.mimecast.rights).toEqual([expect.objectContaining({ id: done.mimecastId })]);
    const seen = await whatPeopleSaw(request.id, card.ts, 'was approved');
    expect(seen.reply).toContain(
      ':white_check_mark: Done: *alice@example.com* now has delegate access to *sales@example.com*',
    );
    expect(seen.dm).toContain('*alice@example.com* now has delegate access to *sales@example.com*');
    expect(await auditActions(h, request.id)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioned',
    ]);
    const mimecastLine = logEntries(h).find(
      (line) => line.msg === 'mimecast call succeeded' && line.endpoint === ADD,
    );
    expect(mimecastLine).toMatchObject({ attempts: 2, outcome: 'ok' });
    expect(describeErrors(h)).toEqual([]);
  });

  it('429 on every attempt: gives up after the allowed waits, failed (rate_limited), nothing granted', async () => {
    const { request, card } = await approveWithFault({
      status: 429,
      headers: { 'X-RateLimit-Reset': '50' },
      times: 3,
    });
    const failed = await waitForStatus(h, request.id, 'failed');
    expect(failed.failure).toMatchObject({ kind: 'rate_limited' });
    expect(addCalls(h).map((call) => call.status)).toEqual([429, 429, 429]);
    const seen = await whatPeopleSaw(request.id, card.ts, 'did not grant');
    expect(seen.reply).toContain(
      'Mimecast is limiting how fast the bot may call it. Nothing was changed; submit the request again in a few minutes.',
    );
    expect(seen.dm).toContain('Mimecast is limiting how fast the bot may call it.');
    expect(h.mimecast.rights).toEqual([]);
    expect(describeErrors(h)).toEqual([]);
  });

  it('429 asking for a wait longer than allowed: not waited out, reported at once', async () => {
    const { request } = await approveWithFault({ status: 429, headers: { 'X-RateLimit-Reset': '600000' } });
    const failed = await waitForStatus(h, request.id, 'failed');
    expect(failed.failure).toMatchObject({
      kind: 'rate_limited',
      message: 'Quota exceeded (sim)',
    });
    expect(addCalls(h)).toHaveLength(1);
  });

  const refusals: Array<{
    name: string;
    fault: SimulatorFault;
    kind: string;
    message: string;
    explanation: string;
  }> = [
    {
      name: '418 binding expired',
      fault: { status: 418 },
      kind: 'binding_expired',
      message: 'The binding has expired',
      explanation:
        "The bot's Mimecast API keys have expired: an admin must re-issue them. Nothing was changed in Mimecast.",
    },
    {
      name: '401 credentials refused',
      fault: { status: 401 },
      kind: 'authentication',
      message: 'Simulated authentication failure (sim)',
      explanation: "Mimecast refused the bot's API credentials. An admin must check the bot's Mimecast keys.",
    },
    {
      name: '403 permission missing',
      fault: { status: 403 },
      kind: 'permission',
      message: 'The API user does not have the required permission (sim)',
      explanation:
        "The bot's Mimecast account is not allowed to add delegates. An admin must give it the Directories | Internal | Create Alternate Address permission.",
    },
    {
      name: '500 server error',
      fault: { status: 500 },
      kind: 'server_error',
      message: 'Simulated failure (sim)',
      explanation:
        'Mimecast had a problem of its own and nothing was changed. Submit the request again later.',
    },
  ];

  for (const c of refusals) {
    it(`${c.name}: failed (${c.kind}), explained in the thread and by DM, not repeated`, async () => {
      const { request, card } = await approveWithFault(c.fault);
      const failed = await waitForStatus(h, request.id, 'failed');
      expect(failed.failure).toMatchObject({ kind: c.kind });
      // Mimecast's own message where it gave one (the simulator's default error bodies carry one).
      expect(failed.failure?.message).toBe(c.message);
      expect(failed.failure?.requestId).toBe(addCalls(h)[0]!.headers['x-mc-req-id']);
      expect(failed.mimecastId).toBeUndefined();

      const seen = await whatPeopleSaw(request.id, card.ts, 'did not grant');
      expect(seen.reply).toBe(
        `:warning: Mimecast did not grant the access. ${c.explanation}\nMimecast request id for support: \`${failed.failure?.requestId}\``,
      );
      expect(seen.dm).toBe(
        `Your request *${request.id}* was approved, but Mimecast did not grant the access. ${c.explanation}`,
      );
      await h.sim.waitFor(() =>
        textOf(h.sim.findMessage(APPROVAL_CHANNEL, card.ts)!).includes('Mimecast refused it (see thread)'),
      );

      const audit = await h.bot.store.listAudit({ requestId: request.id });
      expect(audit.map((e) => e.action)).toEqual([
        'submitted',
        'approved',
        'provisioning_started',
        'provisioning_failed',
      ]);
      expect(audit.at(-1)).toMatchObject({
        actor: 'system',
        fromStatus: 'provisioning',
        toStatus: 'failed',
        details: { kind: c.kind },
      });
      expect(addCalls(h)).toHaveLength(1);
      expect(h.mimecast.rights).toEqual([]);
      // A refusal is expected operation, not a bot bug: a warning, never an error line.
      expect(describeErrors(h)).toEqual([]);
      expect(
        logEntries(h).find((line) => line.msg === 'mimecast call failed' && line.endpoint === ADD),
      ).toMatchObject({ level: 40, outcome: c.kind });
    });
  }

  it('the bot failing on its own while granting: the approver is told the approval stands, not that nothing changed', async () => {
    h = await startHarness();
    const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const card = await cardOf(h, request.id);
    // The store fails as provisioning starts (a full disk, a bug): after the approval was recorded.
    const store = h.bot.store;
    const transition = store.transition.bind(store);
    vi.spyOn(store, 'transition').mockImplementation(async (input) => {
      if (input.name === 'startProvisioning') throw new Error('disk I/O error');
      return transition(input);
    });
    const click = await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
    expect(click.status).toBe(200);
    const told = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === click.responseUrl));
    expect(told.body.text).toBe(
      `Your approval of *${request.id}* is recorded, but the bot hit an error of its own while granting the access. ` +
        `Do not approve it again. Check \`/delegate status ${request.id}\` in a few minutes; if it is not granted by then, tell your IT team.`,
    );
    // Approved, not sent to Mimecast: the next start sends it (see the crash suite).
    expect(await store.getRequest(request.id)).toMatchObject({
      status: 'approved',
      decidedBy: USERS.carol.id,
    });
    expect(addCalls(h)).toEqual([]);
    expect(describeErrors(h)).toEqual(['provisioning failed: disk I/O error']);
  });

  it('a timeout (no answer within MIMECAST_TIMEOUT_MS): outcome unknown, admins alerted, not repeated', async () => {
    const { request, card } = await approveWithFault({ latencyMs: 1000 }, { MIMECAST_TIMEOUT_MS: '300' });
    const unknown = await waitForStatus(h, request.id, 'outcome_unknown');
    expect(unknown.failure).toMatchObject({
      kind: 'outcome_unknown',
      message: 'Mimecast did not answer within 300 ms; the request may or may not have taken effect',
    });
    const seen = await whatPeopleSaw(request.id, card.ts, 'could not confirm');
    expect(seen.reply).toMatch(/^:rotating_light: <!subteam\^SADMINS> Outcome unknown: /);
    expect(seen.reply).toContain('An admin must check in Mimecast before anyone retries.');
    expect(seen.reply).toContain(
      'Check whether alice@example.com has delegate access to sales@example.com in the Mimecast Administration Console.',
    );
    expect(seen.reply).toContain(
      `Mimecast request id for support: \`${addCalls(h)[0]!.headers['x-mc-req-id']}\``,
    );
    expect(seen.dm).toBe(
      `Your request *${request.id}* was approved, but we could not confirm it in Mimecast. An admin has been asked to check; you do not need to submit it again.`,
    );
    await h.sim.waitFor(() =>
      textOf(h.sim.findMessage(APPROVAL_CHANNEL, card.ts)!).includes('outcome unknown'),
    );
    expect((await h.bot.store.listAudit({ requestId: request.id })).at(-1)).toMatchObject({
      action: 'provisioning_outcome_unknown',
      toStatus: 'outcome_unknown',
      details: { kind: 'outcome_unknown' },
    });
    // The simulator did add the right (it answered too late): repeating the add would be wrong.
    expect(h.mimecast.rights).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 800)); // past the simulator's late answer
    expect(addCalls(h)).toHaveLength(1);
    expect((await h.bot.store.getRequest(request.id))?.status).toBe('outcome_unknown');
    expect(describeErrors(h)).toEqual([]);
  });

  it('the connection dropped after the request was sent: outcome unknown, admins alerted, not repeated', async () => {
    const { request, card } = await approveWithFault({ dropConnection: true });
    const unknown = await waitForStatus(h, request.id, 'outcome_unknown');
    expect(unknown.failure?.kind).toBe('outcome_unknown');
    expect(unknown.failure?.message).toMatch(
      /^The connection to Mimecast was lost after the request was sent \(.+\); the request may or may not have taken effect$/,
    );
    const seen = await whatPeopleSaw(request.id, card.ts, 'could not confirm');
    expect(seen.reply).toMatch(/^:rotating_light: <!subteam\^SADMINS> Outcome unknown: /);
    expect(seen.reply).toContain('check in Mimecast before anyone retries');
    expect(seen.dm).toContain('you do not need to submit it again');
    expect(await auditActions(h, request.id)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioning_outcome_unknown',
    ]);
    // The simulator performed the add before it dropped the connection: exactly the case not to repeat.
    expect(h.mimecast.rights).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(addCalls(h)).toHaveLength(1);
    expect(describeErrors(h)).toEqual([]);
  });

  it('malformed JSON with HTTP 200: recorded as unexpected_response, explained, never repeated', async () => {
    const { request, card } = await approveWithFault({ status: 200, body: '{not json' });
    const failed = await waitUntil(async () => {
      const current = await h.bot.store.getRequest(request.id);
      return current && ['failed', 'outcome_unknown'].includes(current.status) ? current : undefined;
    }, 'the add to settle');
    expect(failed.failure).toMatchObject({
      kind: 'unexpected_response',
      message: 'Mimecast answered HTTP 200 with a body that is not JSON',
    });
    const reply = await h.sim.waitFor(() => h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0]);
    expect(reply.text).toContain(
      'Outcome unknown: Mimecast answered in a way the bot could not read. An admin must check in Mimecast before anyone retries.',
    );
    const dm = await h.sim.waitFor(() =>
      h.sim
        .dmsTo(USERS.alice.id)
        .find((m) => m.text.includes(request.id) && !m.text.includes('is with the approvers')),
    );
    expect(dm.text).toContain(`Your request *${request.id}* was approved, but`);
    expect((await h.bot.store.listAudit({ requestId: request.id })).at(-1)?.details).toMatchObject({
      kind: 'unexpected_response',
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(addCalls(h)).toHaveLength(1);
    expect(describeErrors(h)).toEqual([]);
  });

  // BUG (src/requests/service.ts, provision(): `const unknown = outcome.kind === 'outcome_unknown'`): an add
  // answered HTTP 200 with a body the bot cannot read is filed as `failed`. The thread then says "Mimecast
  // did not grant the access. Outcome unknown: … An admin must check" without mentioning the admins, and the
  // requester's DM says Mimecast did not grant it, although Mimecast answered 200 and may well have.
  it('malformed JSON with HTTP 200 on an add is an unknown outcome: admins are alerted', async () => {
    const { request, card } = await approveWithFault({ status: 200, body: '{not json' });
    const settled = await waitUntil(async () => {
      const current = await h.bot.store.getRequest(request.id);
      return current && ['failed', 'outcome_unknown'].includes(current.status) ? current : undefined;
    }, 'the add to settle');
    expect(settled.status).toBe('outcome_unknown');
    const reply = await h.sim.waitFor(() => h.sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0]);
    expect(reply.text).toMatch(/^:rotating_light: <!subteam\^SADMINS> /);
  });
});
