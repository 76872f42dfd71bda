import { noSuchRequest } from '../../copy/common.js';
import { cancelAnswer } from '../../copy/requester.js';
import { type CommandInput, requestIdArg } from './input.js';

/** `/delegate cancel DR-XXXXXX`: the requester withdraws a request while it waits (as the Cancel button). */
export async function cancelCommand(input: CommandInput): Promise<void> {
  const id = await requestIdArg(input, 'cancel');
  if (!id) return;
  const result = await input.context.service.cancel(id, input.userId);
  await input.reply(
    !result.ok && result.reason === 'not_found' ? noSuchRequest(id) : cancelAnswer(result, id),
  );
}
