import type { App } from '@slack/bolt';
import { isEmailAddress, normalizeEmail } from '../../requests/model.js';
import { IDS } from '../blocks/ids.js';
import { modalInput, requestModal } from '../blocks/request-modal.js';
import { slackErrorCode } from '../errors.js';
import { mailboxEntered } from '../payloads.js';
import type { ListenerContext } from './context.js';

/**
 * Enter in the request form's mailbox field (dispatch_action, with a policy file): the form is
 * updated to show what that mailbox's rule offers (durations, who decides, or why it is refused).
 * Submitting checks everything again, whatever the form showed.
 */
export function registerFormUpdates(app: App, { service, config, logger, turns }: ListenerContext): void {
  app.action(IDS.mailboxInput, async ({ ack, body, client }) => {
    await ack();
    await turns.soon();
    const parsed = mailboxEntered.safeParse(body);
    if (!parsed.success || parsed.data.view.callback_id !== IDS.requestModal) {
      logger.warn(
        { issues: parsed.success ? 0 : parsed.error.issues.length },
        'unreadable mailbox field action',
      );
      return;
    }
    const { user, view, actions } = parsed.data;
    const mailbox = normalizeEmail(actions[0]?.value ?? '');
    // Not an address yet: leave the form as it is (submitting says what is wrong).
    if (!isEmailAddress(mailbox)) return;
    const log = logger.child({ user: user.id });
    try {
      const form = await service.requestForm(user.id, mailbox);
      if (!form.ok) return;
      await client.views.update({
        view_id: view.id,
        // A form changed since this action was sent (a later Enter) is newer: Slack refuses the stale update.
        hash: view.hash,
        view: requestModal(modalInput(form, mailbox, config.access.approvalChannelId)),
      });
    } catch (error) {
      if (slackErrorCode(error) === 'hash_conflict') {
        log.debug('request form changed meanwhile; the later update stands');
        return;
      }
      log.error({ err: error }, 'could not update the request form');
    }
  });
}
