/**
 * npm run demo: the real bot, in HTTP mode, against the local Slack and Mimecast simulators. It plays
 * one request through approval and one through denial and prints what each person sees. No
 * credentials, no network beyond 127.0.0.1.
 */
import { createLogger } from '../src/logger.js';
import { APPROVAL_CHANNEL, startLocalStack, USERS } from '../testkit/local-stack.js';
import type { SimMessage } from '../testkit/slack/index.js';

const names = new Map<string, string>(Object.values(USERS).map((user) => [user.id, user.realName]));

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

const stack = await startLocalStack({ logger: createLogger('silent'), noticePollIntervalMs: 50 });
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

  // --- Bob asks for ceo@, Carol denies
  step('Bob runs /delegate and asks for ceo@example.com');
  const second = await driver.command(USERS.bob.id, '/delegate', '');
  const secondForm = await sim.viewOpenedWith(second.triggerId);
  await driver.submitView(USERS.bob.id, secondForm, {
    mailbox: { mailbox_input: 'ceo@example.com' },
    reason: { reason_input: 'Want to read the board minutes' },
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
    deny_reason: { deny_reason_input: "The CEO's office must ask for this itself." },
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

  const audit = await bot.store.listAudit({});
  console.log(
    `\n✔ Done: ${audit.length} audit events recorded, ${mimecast.calls.length} Mimecast calls, ${sim.calls.length} Slack API calls.`,
  );
  if (sim.problems.length) console.log(`Slack simulator noticed problems:\n${sim.problems.join('\n')}`);
} finally {
  await stack.close();
}
