import { truncate } from '../../../requests/model.js';
import { help, unknownCommand } from '../../copy/admin.js';
import { escapeMrkdwn } from '../../mrkdwn.js';
import type { CommandInput } from './input.js';

/** `/delegate help`: the commands this person may use. */
export async function helpCommand(input: CommandInput): Promise<void> {
  await input.reply(help(await roles(input)));
}

async function roles(input: CommandInput): Promise<{ admin: boolean; approver: boolean }> {
  const { service } = input.context;
  const [admin, approver] = await Promise.all([
    service.isAdmin(input.userId),
    service.isApprover(input.userId),
  ]);
  return { admin, approver };
}

/** Anything else: what was not understood, then the help. */
export async function unknownSubcommand(input: CommandInput, text: string): Promise<void> {
  const echoed = escapeMrkdwn(truncate(text, 60).replace(/`/g, "'"));
  await input.reply(unknownCommand(echoed, help(await roles(input))));
}
