import type { AdminPermit } from '../../../requests/permissions.js';
import { POLICY_TEST_REFUSED, policyDescription, policyTestAnswer } from '../../copy/policy.js';
import type { CommandInput } from './input.js';

/** `/delegate policy` (admins): the rules in plain words, and the policy's sha256. */
export async function policyCommand(input: CommandInput, permit: AdminPermit): Promise<void> {
  await input.reply(policyDescription(input.context.service.describePolicy(permit)));
}

/**
 * `/delegate policy test <mailbox> [@requester]` (admins and approvers, audited like admin commands):
 * which rule applies and what would happen, creating nothing.
 */
export async function policyTestCommand(input: CommandInput): Promise<void> {
  const { service } = input.context;
  const [, mailbox = '', who] = input.args;
  const allowed = await service.authorizeReviewer(input.userId, 'policy test', input.args.slice(1).join(' '));
  if (!allowed.ok) {
    await input.reply(POLICY_TEST_REFUSED);
    return;
  }
  await input.reply(
    policyTestAnswer(await service.testPolicy(allowed.permit, mailbox, who && mentioned(who))),
  );
}

/** `<@U123|alice>` (an escaped mention) or `<@U123>` as the user id; anything else as typed. */
function mentioned(text: string): string {
  return /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(text)?.[1] ?? text;
}
