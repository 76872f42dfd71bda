import { describeConfig } from '../../../config.js';
import type { AdminPermit } from '../../../requests/permissions.js';
import { type HealthWords, healthReport } from '../../copy/admin.js';
import type { CommandInput } from './input.js';

/** What the bot asks Slack for (manifest.yml); a token without one of them breaks some feature. */
const REQUIRED_SCOPES = [
  'commands',
  'chat:write',
  'im:write',
  'users:read',
  'users:read.email',
  'usergroups:read',
];

/** `/delegate health` (admins): the settings, Slack, the approvers' channel and Mimecast. */
export async function healthCommand(input: CommandInput, permit: AdminPermit): Promise<void> {
  const { config, service } = input.context;
  let slack: HealthWords['slack'];
  try {
    const auth = await input.client.auth.test();
    const scopes = auth.response_metadata?.scopes;
    const missing = REQUIRED_SCOPES.filter((scope) => scopes && !scopes.includes(scope));
    slack = { ok: true, user: String(auth.user ?? 'the bot'), scopes, missing };
  } catch (error) {
    slack = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  const { mimecast, cardProblems, policyWarnings } = await service.health(permit);
  await input.reply(
    healthReport({
      settings: describeConfig(config),
      slack,
      approvalChannelId: config.access.approvalChannelId,
      cardProblems,
      mimecast,
      policy: { approval: config.approvalPolicy, warnings: policyWarnings },
    }),
  );
}
