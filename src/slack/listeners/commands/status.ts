import { noRequestOfYours, noSuchRequest } from '../../copy/common.js';
import { requestDetails } from '../../copy/requests.js';
import { type CommandInput, requestIdArg } from './input.js';

/**
 * `/delegate status DR-XXXXXX`: one request, for its requester, approvers and admins. Anyone else hears
 * the same whether the id exists or not.
 */
export async function statusCommand(input: CommandInput): Promise<void> {
  const id = await requestIdArg(input, 'status');
  if (!id) return;
  const result = await input.context.service.viewRequest(id, input.userId);
  if (result.ok) await input.reply(requestDetails(result.request));
  else await input.reply(result.seesAll ? noSuchRequest(id) : noRequestOfYours(id));
}
