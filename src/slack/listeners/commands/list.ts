import { myRequestsText } from '../../copy/requester.js';
import type { CommandInput } from './input.js';

/** `/delegate list`: the person's own requests and access. */
export async function listCommand(input: CommandInput): Promise<void> {
  await input.reply(myRequestsText(await input.context.service.myRequests(input.userId)));
}
