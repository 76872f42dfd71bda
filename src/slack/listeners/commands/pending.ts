import type { AdminPermit } from '../../../requests/permissions.js';
import { activeList, pendingList } from '../../copy/admin.js';
import type { CommandInput } from './input.js';

/** `/delegate pending` (admins): requests waiting for a decision. */
export async function pendingCommand(input: CommandInput, permit: AdminPermit): Promise<void> {
  await input.reply(pendingList(await input.context.service.pendingRequests(permit)));
}

/** `/delegate active` (admins): current access and when it ends. */
export async function activeCommand(input: CommandInput, permit: AdminPermit): Promise<void> {
  await input.reply(activeList(await input.context.service.currentAccess(permit)));
}
