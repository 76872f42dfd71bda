import type { AckFn, App, ViewResponseAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { parseRequestId } from '../../requests/ids.js';
import { IDS } from '../blocks/ids.js';
import { ownerRefuseModal } from '../blocks/request-modal.js';
import { lateTrigger, SOMETHING_WENT_WRONG } from '../copy/common.js';
import * as owner from '../copy/owner.js';
import { isLateTrigger } from '../errors.js';
import { inputText, messageButtonClick, ownerRefuseMetadata, viewSubmission } from '../payloads.js';
import type { ListenerContext } from './context.js';
import { tellPrivately } from './reply.js';
import { rememberingAck } from './retries.js';

/**
 * The mailbox owner's Allow and Refuse, in the consent DM. Only the owner the request found may
 * answer (the core checks it); once answered, the DM's buttons give way to the answer (through the
 * notice outbox, as when the request is decided, cancelled or expired otherwise).
 */
export function registerOwnerAnswers(app: App, context: ListenerContext): void {
  const { service, logger, turns } = context;

  app.action(IDS.ownerAllowAction, async ({ ack, body, respond, client }) => {
    await ack();
    await turns.soon();
    const click = readClick(body, client, respond);
    if (!click) return;
    const { id, userId, tell } = click;
    if (!id) return tell(owner.OWNER_BUTTON_WITHOUT_REQUEST);
    try {
      const result = await service.ownerAllow(id, userId);
      if (!result.ok) return tell(owner.ownerRefusal(result, id));
      // On success the consent DM is updated through the outbox, as every other outcome is.
      if (result.provisioning) context.work.track(result.provisioning.catch(() => undefined));
    } catch (error) {
      logger.error({ err: error, requestId: id, user: userId }, 'owner allow failed');
      await tell(SOMETHING_WENT_WRONG).catch(() => undefined);
    }
  });

  app.action(IDS.ownerRefuseAction, async ({ ack, body, respond, client }) => {
    await ack();
    await turns.soon();
    const click = readClick(body, client, respond);
    if (!click) return;
    const { id, userId, tell, triggerId, message } = click;
    if (!id) return tell(owner.OWNER_BUTTON_WITHOUT_REQUEST);
    try {
      const checked = await service.mayAnswerAsOwner(id, userId);
      if (!checked.ok) return tell(owner.ownerRefusal(checked, id));
      if (!triggerId) return;
      await client.views.open({ trigger_id: triggerId, view: ownerRefuseModal(checked.request, message) });
    } catch (error) {
      if (isLateTrigger(error)) return tell(lateTrigger('click Refuse'));
      logger.error({ err: error, requestId: id, user: userId }, 'owner refuse form failed');
      await tell(SOMETHING_WENT_WRONG).catch(() => undefined);
    }
  });

  app.view(IDS.ownerRefuseModal, async ({ ack: slackAck, body, context: boltContext }) => {
    const ack = rememberingAck(boltContext, slackAck as AckFn<ViewResponseAction>);
    const parsed = viewSubmission.safeParse(body);
    const meta = ownerRefuseMetadata.safeParse(
      parsed.success ? safeJson(parsed.data.view.private_metadata) : undefined,
    );
    const id = meta.success ? parseRequestId(meta.data.requestId) : undefined;
    const fail = (text: string) =>
      ack({ response_action: 'errors', errors: { [IDS.ownerReasonBlock]: text } });
    if (!parsed.success || !meta.success || !id) return fail(SOMETHING_WENT_WRONG);
    const userId = parsed.data.user.id;
    try {
      const reason = inputText(parsed.data, IDS.ownerReasonBlock, IDS.ownerReasonInput);
      const result = await service.ownerRefuse(id, userId, reason);
      if (!result.ok) return fail(owner.ownerRefusal(result, id));
      // The consent DM is updated through the outbox, with the refusal.
      await ack();
    } catch (error) {
      logger.error({ err: error, requestId: id, user: userId }, 'owner refuse failed');
      await fail(SOMETHING_WENT_WRONG);
    }
  });

  function readClick(
    body: unknown,
    client: WebClient,
    respond: Parameters<typeof tellPrivately>[0]['respond'],
  ) {
    const parsed = messageButtonClick.safeParse(body);
    if (!parsed.success) {
      logger.warn({ issues: parsed.error.issues.length }, 'unreadable block action payload');
      return undefined;
    }
    const {
      user,
      actions,
      trigger_id: triggerId,
      container,
      channel,
      response_url: responseUrl,
    } = parsed.data;
    const value = actions[0]?.value ?? '';
    const channelId = container?.channel_id ?? channel?.id;
    return {
      id: parseRequestId(value),
      userId: user.id,
      triggerId,
      message:
        channelId && container?.message_ts ? { channel: channelId, ts: container.message_ts } : undefined,
      tell: (text: string) =>
        tellPrivately({ respond: responseUrl ? respond : undefined, client, userId: user.id }, text),
    };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
