import { afterEach, expect, it } from 'vitest';
import { type Harness, USERS } from '../support/harness.js';
import { requestUnderPolicy, requestWhen, SECURITY_CHANNEL, startPolicyHarness } from '../support/policy.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

it("a card its policy rule's channel refused: the error log and /delegate health name that rule, not APPROVAL_CHANNEL_ID", async () => {
  h = await startPolicyHarness();
  h.sim.failNext('chat.postMessage', { error: 'not_in_channel' });
  const request = await requestUnderPolicy(h, USERS.alice.id, 'ceo@example.com', 'Board pack', '4');
  await requestWhen(h, request.id, (r) => r.cardProblem === 'not_in_channel', 'the card given up on');
  await h.bot.idle();
  const errors = h.logLines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.level === 50 && String(line.msg).startsWith('the approval card'));
  expect(errors).toEqual([
    expect.objectContaining({
      msg: "the approval card could not be posted: invite the bot to its policy rule's channel, or set the rule's channel to one the bot is in",
      requestId: request.id,
      rule: 'executives',
      channel: SECURITY_CHANNEL,
      error: 'not_in_channel',
    }),
  ]);
  expect(JSON.stringify(errors)).not.toContain('APPROVAL_CHANNEL_ID');

  // An admin's /delegate health names that channel and the rule, too.
  const command = await h.driver.command(USERS.admin.id, '/delegate', 'health');
  const health = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === command.responseUrl));
  expect(String(health.body.text)).toContain(
    ':x: 1 waiting request has no card (Slack said `not_in_channel`): ' +
      `invite the bot to <#${SECURITY_CHANNEL}>, or set the \`channel\` of rule executives in the policy file to one it is in. ` +
      'Until then approvers can decide on the App Home.',
  );
});
