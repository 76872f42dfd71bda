import { truncate } from '../../../requests/model.js';
import { help, unknownCommand } from '../../copy/admin.js';
import { escapeMrkdwn } from '../../mrkdwn.js';
import type { CommandInput } from './input.js';

/** `/delegate help`: the commands this person may use. */
export async function helpCommand(input: CommandInput): Promise<void> {
  await input.reply(help(await input.context.service.isAdmin(input.userId)));
}

/** Anything else: what was not understood, then the help. */
export async function unknownSubcommand(input: CommandInput, text: string): Promise<void> {
  const echoed = escapeMrkdwn(truncate(text, 60).replace(/`/g, "'"));
  await input.reply(unknownCommand(echoed, help(await input.context.service.isAdmin(input.userId))));
}
