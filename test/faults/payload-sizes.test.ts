/**
 * The largest payloads the bot can legitimately get, measured through the real app and the simulator,
 * against the HTTP receiver's body limit (src/slack/http-limits.ts). Each is built at its limits: the
 * longest addresses (254 characters), reasons at the form's maximum in the characters that take the most
 * bytes, the App Home full on both lists. Sizes are counted as the driver sends them and as Slack would
 * (Slack's JSON writes every non-ASCII character as \uXXXX and `/` as `\/`, which percent-encoding then
 * lengthens further); the larger counts. The limit must leave at least 3 times the largest, for what
 * Slack adds to the blocks it echoes back (block ids, `emoji` and `verbatim` flags) and for change.
 *
 * `npx vitest run test/faults/payload-sizes.test.ts` prints the table quoted in docs/operations.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_LIMITS } from '../../src/slack/http-limits.js';
import type { SendOptions } from '../../testkit/slack-driver/index.js';
import { cardOf, type Harness, startHarness, USERS, waitForStatus } from '../support/harness.js';

/** A 254-character address: a 64-character local part and a 189-character domain. */
function longAddress(letter: string): string {
  const local = letter.repeat(64);
  const domain = `${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(57)}.com`;
  const address = `${local}@${domain}`;
  if (address.length !== 254) throw new Error(`address is ${address.length} characters`);
  return address;
}

/** What Slack would send for the same payload: non-ASCII as \uXXXX, `/` as `\/`, then form-encoded. */
function asSlackWouldEncode(body: string): number {
  const form = new URLSearchParams(body);
  const payload = form.get('payload');
  if (payload === null) return Buffer.byteLength(body);
  const json = JSON.stringify(JSON.parse(payload))
    .replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\//g, '\\/');
  form.set('payload', json);
  return Buffer.byteLength(form.toString());
}

const MAX_USER = { id: 'UMAXIMUM', name: 'max', realName: 'Max Imum', email: longAddress('g') };
/** A BMP character that takes 3 bytes in UTF-8 (9 form-encoded) and 6 as a JSON escape (8 encoded). */
const WIDE = '€';
/** An emoji: 2 UTF-16 units, 4 bytes in UTF-8 (12 form-encoded), 12 as JSON escapes (16 encoded). */
const EMOJI = '📬';

let h: Harness;
const sizes: { what: string; sent: number; slack: number }[] = [];

function measure(what: string): { restore: () => void } {
  const original = h.driver.send.bind(h.driver);
  h.driver.send = async (body: string, options?: SendOptions) => {
    sizes.push({ what, sent: Buffer.byteLength(body), slack: asSlackWouldEncode(body) });
    return original(body, options);
  };
  return {
    restore: () => {
      h.driver.send = original;
    },
  };
}

beforeAll(async () => {
  h = await startHarness({ env: { MAX_OPEN_REQUESTS: '100', LOG_LEVEL: 'warn' } });
  h.sim.addUser(MAX_USER);
  // Carol approves and asks too, with the longest address, to fill both lists of her App Home.
  h.sim.users.set(USERS.carol.id, { ...USERS.carol, email: longAddress('c') });
  h.sim.setUsergroup('SREQUESTERS', [USERS.alice.id, USERS.bob.id, USERS.carol.id, MAX_USER.id]);
});
afterAll(async () => {
  console.log(
    [
      'Largest legitimate payloads (bytes): as sent by the driver / as Slack would encode them',
      ...sizes.map(
        (s) => `  ${s.what.padEnd(58)} ${String(s.sent).padStart(7)} / ${String(s.slack).padStart(7)}`,
      ),
      `  body limit: ${HTTP_LIMITS.bodyLimitBytes}`,
    ].join('\n'),
  );
  await h?.close();
});

describe('the body limit leaves room for every payload Slack can send the bot', () => {
  it('measures the request form, the deny form, a card click and a full App Home click', async () => {
    const mailbox = longAddress('m');
    // The form, opened with the mailbox filled in, submitted with the longest reason (emoji: refused
    // as too long by the bot, which counts UTF-16 units, but Slack's client lets it through).
    let probe = measure('slash command /delegate <254-character mailbox>');
    const command = await h.driver.command(MAX_USER.id, '/delegate', mailbox);
    probe.restore();
    // Slack's clients send at most 4000 characters in a message, slash commands included.
    probe = measure('slash command of 4000 emoji (answered "I do not know")');
    await h.driver.command(MAX_USER.id, '/delegate', EMOJI.repeat(4000));
    probe.restore();
    const form = await h.sim.viewOpenedWith(command.triggerId);
    probe = measure('request form submitted: 254-char addresses, 1000 emoji');
    await h.driver.submitView(MAX_USER.id, form, {
      mailbox: { mailbox_input: mailbox },
      reason: { reason_input: EMOJI.repeat(1000) },
    });
    probe.restore();

    // Requests to fill the card and the App Home: the longest addresses and reasons the bot accepts.
    const ids: string[] = [];
    for (let n = 0; n < 16; n += 1) {
      const again = await h.driver.command(MAX_USER.id, '/delegate', '');
      const view = await h.sim.viewOpenedWith(again.triggerId);
      const box = `${String(n).padStart(2, '0')}${'m'.repeat(62)}${mailbox.slice(64)}`;
      const answer = await h.driver.submitView(MAX_USER.id, view, {
        mailbox: { mailbox_input: box },
        reason: { reason_input: WIDE.repeat(1000) },
      });
      const body = answer.json as { response_action?: string };
      expect(body.response_action).toBe('update');
      const [made] = await h.bot.store.listRequests({ requesterId: MAX_USER.id, limit: 1 });
      ids.push(made!.id);
    }
    const card = await cardOf(h, ids[0]!);
    probe = measure('card click (Deny), the card in the payload');
    const deny = await h.driver.clickButton(USERS.carol.id, card, 'deny_request');
    probe.restore();
    const denyForm = await h.sim.viewOpenedWith(deny.triggerId);
    probe = measure('deny form submitted: 1000 emoji');
    await h.driver.submitView(USERS.carol.id, denyForm, {
      deny_reason: { deny_reason_input: EMOJI.repeat(1000) },
    });
    probe.restore();
    await waitForStatus(h, ids[0]!, 'denied');

    // Carol's App Home: her own 15 requests (she asks too, as Bob does) and a full queue of 15.
    for (let n = 0; n < 15; n += 1) {
      const again = await h.driver.command(USERS.carol.id, '/delegate', '');
      const view = await h.sim.viewOpenedWith(again.triggerId);
      const box = `${String(n).padStart(2, '0')}${'k'.repeat(62)}${mailbox.slice(64)}`;
      const answer = await h.driver.submitView(USERS.carol.id, view, {
        mailbox: { mailbox_input: box },
        reason: { reason_input: WIDE.repeat(1000) },
      });
      expect((answer.json as { response_action?: string }).response_action).toBe('update');
    }
    await h.bot.idle();
    await h.driver.event({ type: 'app_home_opened', user: USERS.carol.id, channel: 'DCAROL', tab: 'home' });
    const home = await h.sim.waitFor(() => h.sim.homeViews.get(USERS.carol.id));
    probe = measure('App Home click, a full Home view in the payload');
    await h.driver.clickInView(USERS.carol.id, home, 'deny_request', { blockId: `decide:${ids[1]}` });
    probe.restore();
    await h.bot.idle();

    const largest = Math.max(...sizes.map((s) => Math.max(s.sent, s.slack)));
    expect(sizes.map((s) => s.what)).toHaveLength(6);
    expect(largest * 3).toBeLessThanOrEqual(HTTP_LIMITS.bodyLimitBytes);
  });
});
