import { noSuchRequest, requestDetails } from '../../copy/common.js';
import { notYours } from '../../copy/requester.js';
import { type CommandInput, requestIdArg } from './input.js';

/** `/delegate status DR-XXXXXX`: one request, for its requester, approvers and admins. */
export async function statusCommand(input: CommandInput): Promise<void> {
  const id = await requestIdArg(input, 'status');
  if (!id) return;
  const result = await input.context.service.viewRequest(id, input.userId);
  if (result.ok) await input.reply(requestDetails(result.request));
  else await input.reply(result.reason === 'not_found' ? noSuchRequest(id) : notYours(id));
}
