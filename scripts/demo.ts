/**
 * npm run demo: the real bot, in HTTP mode, against the local Slack and Mimecast simulators. It plays
 * one request through approval and one through denial, then one under an approval policy (a
 * mailbox that needs two approvers and its owner's consent), and prints what each person sees. No
 * credentials, no network beyond 127.0.0.1.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/logger.js';
import { APPROVAL_CHANNEL, startLocalStack, USERS } from '../testkit/local-stack.js';
import type { SimMessage } from '../testkit/slack/index.js';

/** The mailbox's owner in the policy part: the Slack user whose profile email is ceo@example.com. */
const CLEO = { id: 'UCLEO', name: 'cleo', realName: 'Cleo Chief', email: 'ceo@example.com' };

/** The approval policy (POLICY_PATH): the CEO's mailbox needs two approvers and Cleo's Allow. */
const POLICY = `rules:
  - name: executives
    mailboxes: [ceo@example.com, "board-*@example.com"]
    approvals: 2
    owner: consent
    durations: [4h, 1d]
`;

const names = new Map<string, string>(
  [...Object.values(USERS), CLEO].map((user) => [user.id, user.realName]),
);

/** Slack mrkdwn as a person reads it in the client. */
function readable(text: string): string {
  return text
    .replace(/<@(\w+)>/g, (_, id: string) => `@${names.get(id) ?? id}`)
    .replace(/<!subteam\^(\w+)>/g, (_, id: string) => `@${id === 'SADMINS' ? 'admins' : id}`)
    .replace(/<!date\^\d+\^[^|]*\|([^>]*)>/g, '$1')
    .replace(/<#(\w+)>/g, '#mailbox-access')
    .replace(/:white_check_mark:/g, '✅')
    .replace(/:no_entry:/g, '⛔')
    .replace(/:hourglass_flowing_sand:/g, '⏳')
    .replace(/:warning:/g, '⚠️')
    .replace(/:raising_hand:/g, '🙋')
    .replace(/:information_source:/g, 'ℹ️')
    .replace(/\*([^*\n]+)\*/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function show(who: string, text: string): void {
  const lines = readable(text).split('\n').filter(Boolean);
  console.log(`   ${who}:`);
  for (const line of lines) console.log(`     │ ${line}`);
}

function step(text: string): void {
  console.log(`\n▶ ${text}`);
}

type Json = Record<string, unknown>;
const textOf = (value: unknown): string => String((value as Json | undefined)?.text ?? '');

/** Blocks roughly as the Slack client lays them out: buttons as [Label], inputs as labelled fields. */
function render(blocks: readonly Json[]): string {
  return blocks
    .map((block) => {
      switch (block.type) {
        case 'header':
          return `# ${textOf(block.text)}`;
        case 'section': {
          const fields = ((block.fields as Json[] | undefined) ?? [])
            .map(textOf)
            .map((f) => f.replace('\n', ': '));
          const accessory = block.accessory ? `  [${textOf((block.accessory as Json).text)}]` : '';
          return [textOf(block.text), ...fields].filter(Boolean).join('\n') + accessory;
        }
        case 'context':
          return ((block.elements as Json[] | undefined) ?? []).map(textOf).join(' ');
        case 'actions':
          return ((block.elements as Json[] | undefined) ?? [])
            .filter((element) => element.type !== 'email_text_input')
            .map((element) => `[${textOf(element.text) || textOf(element.placeholder)}]`)
            .join(' ');
        case 'input': {
          const element = block.element as Json;
          const value = element.initial_value ?? textOf((element.initial_option as Json | undefined)?.text);
          return `${textOf(block.label)}: ${value ? `«${String(value)}»` : '________'}`;
        }
        default:
          return '';
      }
    })
    .filter(Boolean)
    .join('\n');
}

function messageText(message: SimMessage): string {
  return message.blocks ? render(message.blocks) : message.text;
}

const policyPath = join(mkdtempSync(join(tmpdir(), 'delegate-demo-')), 'policy.yml');
writeFileSync(policyPath, POLICY);
const stack = await startLocalStack({
  logger: createLogger('silent'),
  noticePollIntervalMs: 50,
  env: { POLICY_PATH: policyPath },
});
const { sim, mimecast, driver, bot } = stack;
const waitFor = <T>(probe: () => T | undefined) => sim.waitFor(probe, 5000);

try {
  console.log('Mimecast delegate-access bot: local demo');
  console.log(
    `(bot on http://127.0.0.1:${stack.port}, Slack simulator ${sim.baseUrl}, Mimecast simulator ${mimecast.url})`,
  );

  // --- Alice asks for sales@, Carol approves
  step('Alice runs /delegate sales@example.com');
  const command = await driver.command(USERS.alice.id, '/delegate', 'sales@example.com');
  const form = await sim.viewOpenedWith(command.triggerId);
  show('Alice sees a form', render(form.view.blocks as Json[]));

  step('Alice explains why and submits');
  await driver.submitView(USERS.alice.id, form, {
    reason: { reason_input: 'Covering the sales inbox while Sam is on leave' },
  });
  const [first] = await bot.store.listRequests({ requesterId: USERS.alice.id, limit: 1 });
  if (!first) throw new Error('the request was not stored');
  const card = await waitFor(() => sim.messagesIn(APPROVAL_CHANNEL).find((m) => m.text.includes(first.id)));
  show('Approvers see, in #mailbox-access', messageText(card));
  show('Alice gets a DM', (await waitFor(() => sim.dmsTo(USERS.alice.id)[0])).text);

  step('Carol clicks Approve');
  await driver.clickButton(USERS.carol.id, card, 'approve_request');
  const reply = await waitFor(() => sim.threadReplies(APPROVAL_CHANNEL, card.ts)[0]);
  const add = mimecast.calls.find((call) => call.path === '/api/user/add-delegate-user');
  console.log(
    `   Mimecast receives POST /api/user/add-delegate-user ${add?.rawBody} (signature ${add?.authOk ? 'verified ✓' : 'REFUSED'})`,
  );
  show('In the card’s thread', reply.text);
  show(
    'Alice gets a DM',
    (await waitFor(() => sim.dmsTo(USERS.alice.id).find((m) => m.text.includes('was approved')))).text,
  );
  const approvedCard = await waitFor(() => {
    const latest = sim.findMessage(card.channel, card.ts);
    return latest?.text.includes('Access granted') ? latest : undefined;
  });
  show('The card now reads', messageText(approvedCard).split('\n').slice(-1)[0] ?? '');

  // --- Bob asks for info@, Carol denies
  step('Bob runs /delegate and asks for info@example.com');
  const second = await driver.command(USERS.bob.id, '/delegate', '');
  const secondForm = await sim.viewOpenedWith(second.triggerId);
  await driver.submitView(USERS.bob.id, secondForm, {
    mailbox: { mailbox_input: 'info@example.com' },
    reason: { reason_input: 'Want to read what customers wrote about the launch' },
  });
  const [bobs] = await bot.store.listRequests({ requesterId: USERS.bob.id, limit: 1 });
  if (!bobs) throw new Error('the request was not stored');
  const bobCard = await waitFor(() => sim.messagesIn(APPROVAL_CHANNEL).find((m) => m.text.includes(bobs.id)));
  show('Approvers see', messageText(bobCard));

  step('Bob tries to approve his own request');
  const selfClick = await driver.clickButton(USERS.bob.id, bobCard, 'approve_request');
  const refusal = await waitFor(() => sim.responses.find((r) => r.url === selfClick.responseUrl));
  show('Only Bob sees', String(refusal.body.text));

  step('Carol clicks Deny and gives a reason');
  const deny = await driver.clickButton(USERS.carol.id, bobCard, 'deny_request');
  const denyForm = await sim.viewOpenedWith(deny.triggerId);
  await driver.submitView(USERS.carol.id, denyForm, {
    deny_reason: { deny_reason_input: 'Support answers info@; ask them for what you need.' },
  });
  show(
    'Bob gets a DM',
    (await waitFor(() => sim.dmsTo(USERS.bob.id).find((m) => m.text.includes('denied')))).text,
  );
  const deniedCard = await waitFor(() => {
    const latest = sim.findMessage(bobCard.channel, bobCard.ts);
    return latest?.text.includes('Denied') ? latest : undefined;
  });
  show('The card now reads', messageText(deniedCard).split('\n').slice(-1)[0] ?? '');

  // --- Under the approval policy: Alice asks for ceo@, which needs two approvers and Cleo's Allow
  sim.addUser(CLEO);
  step(`The approval policy (POLICY_PATH) says:\n${POLICY.trimEnd().replace(/^/gm, '     │ ')}`);
  step('Alice runs /delegate, types ceo@example.com and presses Enter');
  const third = await driver.command(USERS.alice.id, '/delegate', '');
  const thirdForm = await sim.viewOpenedWith(third.triggerId);
  await driver.enterInView(USERS.alice.id, thirdForm, 'mailbox', 'ceo@example.com');
  const updated = await waitFor(() =>
    sim.callsTo('views.update').length ? sim.findView(thirdForm.id) : undefined,
  );
  show('The form now offers what the rule allows', render(updated.view.blocks as Json[]));
  const durationBlock = String(
    (updated.view.blocks as Json[]).find(
      (b) => (b.element as Json | undefined)?.action_id === 'duration_select',
    )?.block_id,
  );
  await driver.submitView(USERS.alice.id, updated, {
    reason: { reason_input: 'Preparing the board pack while Cleo travels' },
    [durationBlock]: { duration_select: '4' },
  });
  const [ceo] = await bot.store.listRequests({ requesterId: USERS.alice.id, limit: 1 });
  if (!ceo) throw new Error('the request was not stored');
  const ceoCard = await waitFor(() => sim.messagesIn(APPROVAL_CHANNEL).find((m) => m.text.includes(ceo.id)));
  show('Approvers see', messageText(ceoCard));
  const asked = await waitFor(() => sim.dmsTo(CLEO.id)[0]);
  show('Cleo, whose mailbox it is, gets a DM', messageText(asked));

  step('Carol approves: one of two');
  const firstApproval = await driver.clickButton(USERS.carol.id, ceoCard, 'approve_request');
  show(
    'Only Carol sees',
    String((await waitFor(() => sim.responses.find((r) => r.url === firstApproval.responseUrl))).body.text),
  );
  step('Bob approves: two of two, and the request still waits for Cleo');
  await bot.idle();
  await driver.clickButton(USERS.bob.id, ceoCard, 'approve_request');
  const waiting = await waitFor(() => {
    const latest = sim.findMessage(ceoCard.channel, ceoCard.ts);
    return latest && messageText(latest).includes("owner's consent") ? latest : undefined;
  });
  show('The card now reads', messageText(waiting).split('\n').slice(-1)[0] ?? '');
  const ceoAdds = () =>
    mimecast.calls.filter(
      (call) => call.path === '/api/user/add-delegate-user' && call.rawBody.includes('ceo@example.com'),
    );
  console.log(`   Mimecast has not been called for it (${ceoAdds().length} calls): nothing is granted yet.`);

  step('Cleo clicks Allow');
  await driver.clickButton(CLEO.id, asked, 'owner_allow');
  const grantedCard = await waitFor(() => {
    const latest = sim.findMessage(ceoCard.channel, ceoCard.ts);
    return latest?.text.includes('Access granted') ? latest : undefined;
  });
  console.log(
    `   Mimecast receives POST /api/user/add-delegate-user ${ceoAdds()[0]?.rawBody} (${ceoAdds().length} call)`,
  );
  show('The card now reads', messageText(grantedCard).split('\n').slice(-1)[0] ?? '');
  show(
    'Cleo is told',
    (await waitFor(() => sim.dmsTo(CLEO.id).find((m) => m.text.includes('now has')))).text,
  );

  const audit = await bot.store.listAudit({});
  console.log(
    `\n✔ Done: ${audit.length} audit events recorded, ${mimecast.calls.length} Mimecast calls, ${sim.calls.length} Slack API calls.`,
  );
  if (sim.problems.length) console.log(`Slack simulator noticed problems:\n${sim.problems.join('\n')}`);
} finally {
  await stack.close();
}
