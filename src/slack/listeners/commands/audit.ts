import { parseRequestId } from '../../../requests/ids.js';
import { isEmailAddress, normalizeEmail } from '../../../requests/model.js';
import type { AdminPermit } from '../../../requests/permissions.js';
import { AUDIT_USAGE, auditTrail } from '../../copy/admin.js';
import type { CommandInput } from './input.js';

/** `/delegate audit DR-XXXXXX | someone@example.com` (admins): the audit trail. */
export async function auditCommand(input: CommandInput, permit: AdminPermit): Promise<void> {
  const target = input.args[0] ?? '';
  const requestId = parseRequestId(target);
  const email = normalizeEmail(target);
  const about = requestId ? { requestId } : isEmailAddress(email) ? { email } : undefined;
  if (!about) {
    await input.reply(AUDIT_USAGE);
    return;
  }
  await input.reply(auditTrail(about, await input.context.service.auditTrail(permit, about)));
}
