/**
 * The manifest asks Slack to escape the command's text (`should_escape: true`), as Slack then sends it:
 * a mention as `<@U…|name>`, an address as `<mailto:…|…>`, a link as `<https://…|label>`. Each command
 * reads them as the person typed them.
 */
import { afterEach, expect, it } from 'vitest';
import { type Harness, startHarness, submitRequest, USERS } from '../support/harness.js';
import { PEOPLE, startPolicyHarness } from '../support/policy.js';
import { run } from '../support/slack-answers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const mailto = (address: string) => `<mailto:${address}|${address}>`;

it('/delegate <mailto:…> opens the form with the address filled in', async () => {
  h = await startHarness();
  const command = await h.driver.command(USERS.alice.id, '/delegate', mailto('sales@example.com'));
  expect(command.status).toBe(200);
  const form = await h.sim.viewOpenedWith(command.triggerId);
  expect(JSON.stringify(form.view.blocks)).toContain('"initial_value":"sales@example.com"');
  expect(JSON.stringify(form.view.blocks)).not.toContain('mailto');
});

it('/delegate audit <mailto:…> finds the mailbox', async () => {
  h = await startHarness();
  const request = await submitRequest(h, USERS.alice.id, 'sales@example.com');
  const audit = await run(h, USERS.admin.id, `audit ${mailto('SALES@example.com')}`);
  expect(audit).toContain(`\`${request.id}\` submitted`);
});

it('/delegate policy test <mailto:…> <@U…|name>: the rule for the mailbox, for the person mentioned', async () => {
  h = await startPolicyHarness();
  const answer = await run(
    h,
    PEOPLE.sam.id,
    `policy test ${mailto('ceo@example.com')} <@${USERS.alice.id}|alice>`,
  );
  expect(answer).toMatch(/^\*ceo@example\.com\* falls under the rule \*executives\*/);
  expect(answer).toContain(`If <@${USERS.alice.id}> asks: it goes to the approvers, as above.`);
});

it('a link the person typed is read as its label, and an unknown word still gets help', async () => {
  h = await startHarness();
  const answer = await run(h, USERS.alice.id, 'frobnicate <https://example.com|example.com>');
  expect(answer).toMatch(/^I do not know `frobnicate example\.com`/);
});
