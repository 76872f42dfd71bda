import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../../logger.js';
import { isEmailAddress, normalizeEmail } from '../../../requests/model.js';
import { modalInput, requestModal } from '../../blocks/request-modal.js';
import { lateTrigger } from '../../copy/common.js';
import { requestFormRefusal } from '../../copy/requester.js';
import { isLateTrigger } from '../../errors.js';
import type { ListenerContext } from '../context.js';

/** `/delegate` or `/delegate sales@example.com`: opens the request form, the mailbox filled in if given. */
export async function openRequestForm(input: {
  userId: string;
  triggerId: string;
  mailboxText: string;
  client: WebClient;
  reply: (text: string) => Promise<unknown>;
  log: Logger;
  context: ListenerContext;
}): Promise<void> {
  const mailbox = normalizeEmail(input.mailboxText);
  const typed = isEmailAddress(mailbox) ? mailbox : undefined;
  const form = await input.context.service.requestForm(input.userId, typed);
  if (!form.ok) {
    await input.reply(requestFormRefusal(form));
    return;
  }
  try {
    await input.client.views.open({
      trigger_id: input.triggerId,
      view: requestModal(modalInput(form, typed, input.context.config.access.approvalChannelId)),
    });
  } catch (error) {
    if (!isLateTrigger(error)) throw error;
    input.log.warn('request form not opened: its trigger expired');
    await input.reply(lateTrigger('run `/delegate`'));
  }
}
