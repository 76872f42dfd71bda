import type { AckFn, App, ViewResponseAction } from '@slack/bolt';
import { parseRequestId } from '../../requests/ids.js';
import type { SubmissionField } from '../../requests/submit.js';
import { IDS } from '../blocks/ids.js';
import { requestSubmittedModal } from '../blocks/request-modal.js';
import * as approver from '../copy/approver.js';
import { SOMETHING_WENT_WRONG } from '../copy/common.js';
import * as requester from '../copy/requester.js';
import { denyModalMetadata, durationChoice, inputText, viewSubmission } from '../payloads.js';
import type { ListenerContext } from './context.js';
import { rememberingAck } from './retries.js';

const FIELD_BLOCKS: Record<SubmissionField, string> = {
  mailbox: IDS.mailboxBlock,
  reason: IDS.reasonBlock,
  duration: IDS.durationBlock,
};

/** Modal submissions: the request form, and the deny-reason form. */
export function registerViews(app: App, { service, logger }: ListenerContext): void {
  app.view(IDS.requestModal, async ({ ack: slackAck, body, context }) => {
    const ack = rememberingAck(context, slackAck as AckFn<ViewResponseAction>);
    const parsed = viewSubmission.safeParse(body);
    if (!parsed.success) {
      await ack({ response_action: 'errors', errors: { [IDS.mailboxBlock]: SOMETHING_WENT_WRONG } });
      return;
    }
    const submission = parsed.data;
    // The duration menu's block id follows the mailbox's rule (see durationBlockId).
    const duration = durationChoice(submission, IDS.durationInput);
    const durationHours = duration?.value === undefined ? undefined : Number(duration.value);
    const blocks = { ...FIELD_BLOCKS, duration: duration?.blockId ?? IDS.durationBlock };
    try {
      // Validation answers inside the modal, so this runs before the ack; it is a few cached lookups.
      const result = await service.submit({
        requesterId: submission.user.id,
        mailbox: inputText(submission, IDS.mailboxBlock, IDS.mailboxInput),
        reason: inputText(submission, IDS.reasonBlock, IDS.reasonInput),
        ...(durationHours === undefined ? {} : { durationHours }),
        // One form makes one request: the same form sent again is answered with the request it made.
        viewId: submission.view.id,
      });
      if (!result.ok) {
        const errors: Record<string, string> = {};
        for (const [field, message] of Object.entries(requester.submissionErrorText(result.errors))) {
          errors[blocks[field as SubmissionField]] = message;
        }
        await ack({ response_action: 'errors', errors });
        return;
      }
      await ack({ response_action: 'update', view: requestSubmittedModal(result.request) });
    } catch (error) {
      logger.error({ err: error, user: submission.user.id }, 'request submission failed');
      await ack({ response_action: 'errors', errors: { [IDS.mailboxBlock]: SOMETHING_WENT_WRONG } });
    }
  });

  app.view(IDS.denyModal, async ({ ack: slackAck, body, context }) => {
    const ack = rememberingAck(context, slackAck as AckFn<ViewResponseAction>);
    const parsed = viewSubmission.safeParse(body);
    const metadata = parsed.success ? safeJson(parsed.data.view.private_metadata) : undefined;
    const meta = denyModalMetadata.safeParse(metadata);
    const requestId = meta.success ? parseRequestId(meta.data.requestId) : undefined;
    if (!parsed.success || !requestId) {
      await ack({ response_action: 'errors', errors: { [IDS.denyReasonBlock]: SOMETHING_WENT_WRONG } });
      return;
    }
    const userId = parsed.data.user.id;
    try {
      const reason = inputText(parsed.data, IDS.denyReasonBlock, IDS.denyReasonInput);
      const result = await service.deny(requestId, userId, reason);
      if (!result.ok) {
        await ack({
          response_action: 'errors',
          errors: { [IDS.denyReasonBlock]: approver.decisionRefusal(result, 'plain') },
        });
        return;
      }
      await ack();
    } catch (error) {
      logger.error({ err: error, requestId, user: userId }, 'deny failed');
      await ack({ response_action: 'errors', errors: { [IDS.denyReasonBlock]: SOMETHING_WENT_WRONG } });
    }
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
