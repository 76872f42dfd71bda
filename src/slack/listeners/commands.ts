import type { App } from '@slack/bolt';
import { isEmailAddress, normalizeEmail } from '../../requests/model.js';
import { requestModal } from '../blocks/request-modal.js';
import { slashCommand } from '../payloads.js';
import { type ListenerContext, SOMETHING_WENT_WRONG } from './context.js';

export const HELP_TEXT = [
  '*/delegate* asks for delegate access to a mailbox in Mimecast.',
  '• `/delegate` opens the request form',
  '• `/delegate sales@example.com` opens it with the mailbox filled in',
  '• `/delegate help` shows this',
].join('\n');

/** `/delegate`: the request form, or help for anything it does not understand. */
export function registerCommands(app: App, { service, config, logger }: ListenerContext): void {
  app.command('/delegate', async ({ ack, body, client, respond }) => {
    // trigger_id lives about 3 s and Slack waits as long for the ack: ack first, then open the modal.
    await ack();
    const parsed = slashCommand.safeParse(body);
    if (!parsed.success) {
      logger.warn({ issues: parsed.error.issues.length }, 'unreadable slash command payload');
      return;
    }
    const { user_id: userId, trigger_id: triggerId } = parsed.data;
    const text = parsed.data.text.trim();
    const log = logger.child({ user: userId, command: '/delegate' });
    const reply = (message: string) => respond({ response_type: 'ephemeral', text: message });

    const word = text.split(/\s+/, 1)[0]?.toLowerCase() ?? '';
    if (text !== '' && !text.includes('@')) {
      await reply(word === 'help' ? HELP_TEXT : `I did not understand \`${text.slice(0, 50).replace(/`/g, "'")}\`.\n${HELP_TEXT}`);
      return;
    }

    try {
      const [eligible, granteeEmail] = await Promise.all([service.canRequest(userId), service.granteeEmailOf(userId)]);
      if (!eligible) {
        log.info('ineligible requester');
        await reply(
          'You are not in a group that may request mailbox delegate access, so no request was started. ' +
            'If you need access, ask your IT team to add you to the requesters group.',
        );
        return;
      }
      if (!granteeEmail) {
        await reply(
          'Your Slack profile has no email address, so Mimecast cannot know who you are. ' +
            'Ask your Slack admin to add your email to your profile, then try again.',
        );
        return;
      }
      const mailbox = normalizeEmail(text);
      await client.views.open({
        trigger_id: triggerId,
        view: requestModal({
          granteeEmail,
          ...(isEmailAddress(mailbox) ? { mailbox } : {}),
          durationChoicesHours: config.lifecycle.durationChoicesHours,
          defaultDurationHours: config.lifecycle.defaultDurationHours,
          approvalChannelId: config.access.approvalChannelId,
        }),
      });
    } catch (error) {
      log.error({ err: error }, 'could not open the request form');
      await reply(SOMETHING_WENT_WRONG).catch(() => undefined);
    }
  });
}
