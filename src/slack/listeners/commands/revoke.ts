import type { AdminPermit } from '../../../requests/permissions.js';
import { revoked } from '../../copy/admin.js';
import { noSuchRequest, removalProblem } from '../../copy/common.js';
import { type CommandInput, requestIdArg } from './input.js';

/** `/delegate revoke DR-XXXXXX` (admins): removes access now (as the card's Revoke button). */
export async function revokeCommand(input: CommandInput, permit: AdminPermit): Promise<void> {
  const id = await requestIdArg(input, 'revoke');
  if (!id) return;
  const result = await input.context.service.revoke(permit, id);
  if (result.ok) await input.reply(revoked(result.request, result.coveredBy));
  else
    await input.reply(
      result.reason === 'not_found' ? noSuchRequest(id) : removalProblem(result, id, 'revoke'),
    );
}
