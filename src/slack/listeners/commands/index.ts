import type { App, RespondFn } from '@slack/bolt';
import { type AdminCommand, type AdminPermit, isAdminCommand } from '../../../requests/permissions.js';
import { adminOnly } from '../../copy/admin.js';
import { SOMETHING_WENT_WRONG } from '../../copy/common.js';
import { slashCommand } from '../../payloads.js';
import type { ListenerContext } from '../context.js';
import { auditCommand } from './audit.js';
import { cancelCommand } from './cancel.js';
import { healthCommand } from './health.js';
import { helpCommand, unknownSubcommand } from './help.js';
import type { CommandInput } from './input.js';
import { listCommand } from './list.js';
import { activeCommand, pendingCommand } from './pending.js';
import { policyCommand, policyTestCommand } from './policy.js';
import { driftCommand, reconcileCommand } from './reconcile.js';
import { openRequestForm } from './request-form.js';
import { revokeCommand } from './revoke.js';
import { statusCommand } from './status.js';
import { commandText } from './text.js';

const EVERYONE = {
  help: helpCommand,
  status: statusCommand,
  list: listCommand,
  cancel: cancelCommand,
} satisfies Record<string, (input: CommandInput) => Promise<void>>;

/** Admin subcommands run with the permit the service gives once it has checked and audited them. */
const ADMINS = {
  pending: pendingCommand,
  active: activeCommand,
  revoke: revokeCommand,
  audit: auditCommand,
  health: healthCommand,
  policy: policyCommand,
  reconcile: reconcileCommand,
  drift: driftCommand,
} satisfies Record<AdminCommand, (input: CommandInput, permit: AdminPermit) => Promise<void>>;

function isEveryoneCommand(word: string): word is keyof typeof EVERYONE {
  return Object.hasOwn(EVERYONE, word);
}

/** `/delegate`: the request form, or one of the subcommands; anything unknown gets help. */
export function registerCommands(app: App, context: ListenerContext): void {
  const { service, logger } = context;

  app.command('/delegate', async ({ ack, body, client, respond }) => {
    // trigger_id lives about 3 s and Slack waits as long for the ack: ack first, then open the modal
    // as soon as the acks of the other requests that came in meanwhile are sent.
    await ack();
    await context.turns.soon();
    const parsed = slashCommand.safeParse(body);
    if (!parsed.success) {
      logger.warn({ issues: parsed.error.issues.length }, 'unreadable slash command payload');
      return;
    }
    const { user_id: userId, trigger_id: triggerId } = parsed.data;
    const text = commandText(parsed.data.text);
    const log = logger.child({ user: userId, command: '/delegate' });
    const reply = (message: string) => ephemeral(respond, message);
    const [word = '', ...args] = text.split(/\s+/).filter(Boolean);
    const subcommand = word.toLowerCase();

    try {
      const known = isEveryoneCommand(subcommand) || isAdminCommand(subcommand);
      if (text === '' || (text.includes('@') && !known)) {
        await openRequestForm({ userId, triggerId, mailboxText: text, client, reply, log, context });
        return;
      }
      const input: CommandInput = { userId, args, reply, client, log, context };
      if (isEveryoneCommand(subcommand)) {
        await EVERYONE[subcommand](input);
      } else if (subcommand === 'policy' && args[0]?.toLowerCase() === 'test') {
        // For approvers as well as admins: checked (and audited) by the command itself.
        await policyTestCommand(input);
      } else if (isAdminCommand(subcommand)) {
        const allowed = await service.authorizeAdmin(userId, subcommand, args[0]);
        if (allowed.ok) await ADMINS[subcommand](input, allowed.permit);
        else await reply(adminOnly(subcommand));
      } else {
        await unknownSubcommand(input, text);
      }
    } catch (error) {
      log.error({ err: error, subcommand }, 'command failed');
      await reply(SOMETHING_WENT_WRONG).catch(() => undefined);
    }
  });
}

function ephemeral(respond: RespondFn, text: string) {
  return respond({ response_type: 'ephemeral', text });
}
