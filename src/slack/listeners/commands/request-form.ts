import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../../logger.js';
import type { OpenRequestsFull } from '../../../requests/limits.js';
import { isEmailAddress, normalizeEmail } from '../../../requests/model.js';
import { modalInput, openRequestsFullModal, requestModal } from '../../blocks/request-modal.js';
import { lateTrigger } from '../../copy/common.js';
import { openRequestsFull, requestFormRefusal } from '../../copy/requester.js';
import { isLateTrigger, slackErrorCode } from '../../errors.js';
import type { ListenerContext } from '../context.js';

type OpenCount = { ok: true; full: OpenRequestsFull | undefined } | { ok: false; error: unknown };

/**
 * `/delegate` or `/delegate sales@example.com`: opens the request form, the mailbox filled in if given.
 *
 * The form opens without waiting for the store: the person's open requests (MAX_OPEN_REQUESTS) are
 * read alongside the directory lookups the form needs, and views.open goes first (its trigger_id
 * lives about 3 s, and a store under load may take longer). A person already at the limit then sees
 * the form turn into the limit and their open requests; submitting checks the limit again anyway.
 */
export async function openRequestForm(input: {
  userId: string;
  triggerId: string;
  mailboxText: string;
  client: WebClient;
  reply: (text: string) => Promise<unknown>;
  log: Logger;
  context: ListenerContext;
}): Promise<void> {
  const { service, config } = input.context;
  const mailbox = normalizeEmail(input.mailboxText);
  const typed = isEmailAddress(mailbox) ? mailbox : undefined;
  const counted: Promise<OpenCount> = service.openRequestsFull(input.userId).then(
    (full) => ({ ok: true, full }),
    (error: unknown) => ({ ok: false, error }),
  );
  const form = await service.requestForm(input.userId, typed);
  if (!form.ok) {
    await input.reply(requestFormRefusal(form));
    return;
  }
  let opened: { id: string; hash: string } | undefined;
  try {
    const answer = await input.client.views.open({
      trigger_id: input.triggerId,
      view: requestModal(modalInput(form, typed, config.access.approvalChannelId)),
    });
    if (answer.view?.id && answer.view.hash) opened = { id: answer.view.id, hash: answer.view.hash };
  } catch (error) {
    if (!isLateTrigger(error)) throw error;
    input.log.warn('request form not opened: its trigger expired');
    const count = await counted;
    await input.reply(
      count.ok && count.full ? openRequestsFull.text(count.full) : lateTrigger('run `/delegate`'),
    );
    return;
  }
  const count = await counted;
  if (!count.ok) {
    // The form is open; submitting it checks the limit again, and says so if the store answers then.
    input.log.error({ err: count.error }, 'could not read the open requests while the form opened');
    return;
  }
  if (!count.full) return;
  const words = openRequestsFull.text(count.full);
  if (!opened) {
    await input.reply(words);
    return;
  }
  try {
    await input.client.views.update({
      view_id: opened.id,
      // A form changed since it opened (submitted, or updated for a mailbox) is newer: submitting checks the limit.
      hash: opened.hash,
      view: openRequestsFullModal(count.full),
    });
  } catch (error) {
    if (slackErrorCode(error) === 'hash_conflict') {
      input.log.debug('request form changed before the limit was shown; submitting checks it');
      return;
    }
    // Closed meanwhile, or Slack failed: the person is told here instead.
    input.log.warn({ err: error }, 'could not show the limit in the request form');
    await input.reply(words);
  }
}
