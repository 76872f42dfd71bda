import type { AdminPermit } from '../../../requests/permissions.js';
import { driftList, reconcileAnswer } from '../../copy/admin.js';
import type { CommandInput } from './input.js';

/**
 * `/delegate reconcile` (admins): every grant checked against Mimecast now; the answer is the summary
 * (it may take a while with many people: the command was acked first, the answer follows).
 */
export async function reconcileCommand(input: CommandInput, permit: AdminPermit): Promise<void> {
  const { service, config } = input.context;
  const result = await service.reconcile(permit);
  await input.reply(reconcileAnswer(result, config.access.approvalChannelId));
}

/** `/delegate drift` (admins): rights in Mimecast the bot did not grant, still waiting for an admin. */
export async function driftCommand(input: CommandInput, permit: AdminPermit): Promise<void> {
  await input.reply(driftList(await input.context.service.driftFindings(permit)));
}
