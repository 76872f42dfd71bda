/**
 * Correctly signed payloads that are not this installation's (issue 14, item 7): another workspace, an
 * Enterprise Grid org, another app, or none named at all. The signature only proves Slack sent them for
 * an app with this signing secret; each is refused (403) before any listener runs. And a form already
 * submitted, sent again after a restart, makes no second request.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { approveClick, footprint, payloadBody, requestFormPayload } from '../support/fault-tools.js';
import {
  APPROVAL_CHANNEL,
  addCalls,
  cardOf,
  type Harness,
  pendingWithCard,
  startHarness,
  USERS,
  waitForStatus,
} from '../support/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Carol's Approve click on a card, exactly as Slack sends it, with `change` applied to it. */
function changedClick(
  h: Harness,
  cardTs: string,
  requestId: string,
  change: (p: Record<string, unknown>) => void,
) {
  const { payload } = approveClick(h, cardTs, requestId);
  change(payload);
  return payloadBody(payload);
}

describe('payloads for another workspace, org or app are refused before any listener', () => {
  it('a click naming another workspace, org, app, or none: 403 each, nothing happens', async () => {
    h = await startHarness();
    const { request, card } = await pendingWithCard(h);
    const before = await footprint(h);
    const forged: [string, (p: Record<string, unknown>) => void][] = [
      ['another workspace', (p) => (p.team = { id: 'T0FOREIGN', domain: 'elsewhere' })],
      ['another org', (p) => (p.enterprise = { id: 'E0OTHERORG', name: 'Other' })],
      ['the org inside the team', (p) => (p.team = { id: h.sim.teamId, enterprise_id: 'E0OTHERORG' })],
      ['an org-wide install', (p) => (p.is_enterprise_install = true)],
      ['another app', (p) => (p.api_app_id = 'A0OTHERAPP')],
      ['no app', (p) => delete p.api_app_id],
      ['no workspace', (p) => delete p.team],
      ['a null workspace (org-wide form)', (p) => (p.team = null)],
    ];
    for (const [what, change] of forged) {
      const answer = await h.driver.send(changedClick(h, card.ts, request.id, change));
      expect(answer.status, what).toBe(403);
    }
    await h.bot.idle();
    expect(await footprint(h)).toEqual(before);
    expect((await h.bot.store.getRequest(request.id))?.status).toBe('pending');
    expect(addCalls(h)).toEqual([]);
    const refusals = h.logLines.filter((line) => line.includes('not for this workspace or app'));
    expect(refusals).toHaveLength(forged.length);
    expect(refusals[0]).toContain('"refusal":"foreign_workspace"');

    // The same click naming this workspace and app goes through: the refusals were about the origin.
    expect((await h.driver.send(changedClick(h, card.ts, request.id, () => {}))).status).toBe(200);
    await waitForStatus(h, request.id, 'completed');
  });

  it('commands, form submissions and events from another workspace are refused the same way', async () => {
    h = await startHarness();
    const { request } = await pendingWithCard(h);
    const before = await footprint(h);
    const command = new URLSearchParams({
      command: '/delegate',
      text: `cancel ${request.id}`,
      user_id: USERS.alice.id,
      trigger_id: h.sim.createTrigger(),
      response_url: h.sim.createResponseUrl(),
      team_id: 'T0FOREIGN',
      api_app_id: h.sim.appId,
      channel_id: 'C1',
    }).toString();
    const form = requestFormPayload(h, USERS.bob.id, { mailbox: 'info@example.com', reason: 'needed' });
    const formElsewhere = payloadBody({ ...form, team: { id: 'T0FOREIGN', domain: 'elsewhere' } });
    // Slack says which workspace installed the app for a modal opened in a shared channel.
    const formInstalledElsewhere = payloadBody({
      ...form,
      view: { ...(form.view as object), app_installed_team_id: 'T0FOREIGN' },
    });
    const event = (change: (e: Record<string, unknown>) => void) => {
      const envelope: Record<string, unknown> = {
        type: 'event_callback',
        team_id: h.sim.teamId,
        api_app_id: h.sim.appId,
        event: { type: 'app_home_opened', user: USERS.alice.id, channel: 'DALICE', tab: 'home' },
        event_id: 'Ev0FOREIGN',
        authorizations: [{ team_id: h.sim.teamId, enterprise_id: null, is_enterprise_install: false }],
      };
      change(envelope);
      return JSON.stringify(envelope);
    };
    const attempts = [
      await h.driver.send(command),
      await h.driver.send(formElsewhere),
      await h.driver.send(formInstalledElsewhere),
      await h.driver.send(
        event((e) => (e.team_id = 'T0FOREIGN')),
        { contentType: 'application/json' },
      ),
      await h.driver.send(
        event((e) => (e.authorizations = [{ team_id: 'T0FOREIGN', enterprise_id: null }])),
        { contentType: 'application/json' },
      ),
      await h.driver.send(
        event((e) => (e.api_app_id = 'A0OTHERAPP')),
        { contentType: 'application/json' },
      ),
    ];
    expect(attempts.map((a) => a.status)).toEqual([403, 403, 403, 403, 403, 403]);
    await h.bot.idle();
    expect(await footprint(h)).toEqual(before);
    expect(h.sim.homeViews.get(USERS.alice.id)).toBeUndefined();
  });

  it('SLACK_APP_ID names the app: payloads for any other are refused, and bots.info is not asked', async () => {
    h = await startHarness({ env: { SLACK_APP_ID: 'A0THEREALAPP' } });
    // The simulator's payloads name its own app id (A0SIMAPP), which is not the one configured.
    const sent = await h.driver.command(USERS.alice.id, '/delegate', '');
    expect(sent.status).toBe(403);
    await h.bot.idle();
    expect(h.sim.callsTo('views.open')).toEqual([]);
    expect(h.sim.callsTo('bots.info')).toEqual([]);
  });

  it('without SLACK_APP_ID the app id comes from bots.info at start', async () => {
    h = await startHarness();
    expect(h.sim.callsTo('bots.info')).toEqual([
      expect.objectContaining({ args: { bot: h.sim.botId }, ok: true }),
    ]);
    expect(h.logLines.find((line) => line.includes('taking payloads for this installation only'))).toContain(
      `"appId":"${h.sim.appId}"`,
    );
  });
});

describe('one form, one request, even after a restart', () => {
  it('a view submission sent again to a restarted bot answers with the request it made', async () => {
    h = await startHarness();
    const command = await h.driver.command(USERS.alice.id, '/delegate', '');
    const view = await h.sim.viewOpenedWith(command.triggerId);
    // Keep the exact body the driver sends, to send it again later as Slack would on a retry.
    const original = h.driver.send.bind(h.driver);
    let captured = '';
    h.driver.send = async (body, options) => {
      captured = body;
      return original(body, options);
    };
    const first = await h.driver.submitView(USERS.alice.id, view, {
      mailbox: { mailbox_input: 'sales@example.com' },
      reason: { reason_input: 'Covering the shared queue' },
    });
    h.driver.send = original;
    expect((first.json as { response_action: string }).response_action).toBe('update');
    const [made] = await h.bot.store.listRequests({});
    expect(made?.viewId).toBe(view.id);
    await cardOf(h, made!.id);

    // The bot restarts (its memory of Slack's deliveries is gone); the same form arrives again.
    await h.stopBot();
    const previous = h;
    h = await startHarness({
      reuse: { sim: previous.sim, mimecast: previous.mimecast, databasePath: previous.databasePath },
    });
    const again = await h.driver.send(captured, { retryNum: 1, retryReason: 'http_timeout' });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ response_action: 'update' });
    expect(JSON.stringify(again.json)).toContain(made!.id);
    await h.bot.idle();
    expect(await h.bot.store.listRequests({})).toHaveLength(1);
    expect(h.sim.messagesIn(APPROVAL_CHANNEL).filter((m) => !m.threadTs)).toHaveLength(1);
    expect(h.logLines.some((line) => line.includes('a form already submitted was sent again'))).toBe(true);
  });
});
