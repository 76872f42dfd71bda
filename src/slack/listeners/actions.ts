import type { App } from '@slack/bolt';
import { parseRequestId } from '../../requests/ids.js';
import { IDS } from '../blocks/ids.js';
import { decisionRefusal } from '../blocks/messages.js';
import { denyModal } from '../blocks/request-modal.js';
import { buttonClick } from '../payloads.js';
import { type ListenerContext, SOMETHING_WENT_WRONG } from './context.js';

/** The Approve and Deny buttons on the approvers' card. */
export function registerActions(app: App, { service, logger }: ListenerContext): void {
  app.action(IDS.approveAction, async ({ ack, body, respond }) => {
    // Ack before anything slow: the decision and the Mimecast call happen after Slack has its answer.
    await ack();
    const click = readClick(body);
    if (!click) return;
    const tell = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
    const log = logger.child({ requestId: click.requestId, user: click.userId });
    if (!click.requestId) {
      await tell('That button does not name a valid request. Nothing was changed.');
      return;
    }
    try {
      const result = await service.approve(click.requestId, click.userId);
      if (!result.ok) {
        log.info({ refusal: result.reason }, 'approval refused');
        await tell(decisionRefusal(result.reason, 'request' in result ? result.request : undefined));
        return;
      }
      await service.provision(click.requestId);
    } catch (error) {
      log.error({ err: error }, 'approval failed');
      await tell(SOMETHING_WENT_WRONG).catch(() => undefined);
    }
  });

  app.action(IDS.denyAction, async ({ ack, body, respond, client }) => {
    await ack();
    const click = readClick(body);
    if (!click) return;
    const tell = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
    if (!click.requestId || !click.triggerId) {
      await tell('That button does not name a valid request. Nothing was changed.');
      return;
    }
    try {
      const checked = await service.checkDecider(click.requestId, click.userId);
      if (!checked.ok) {
        await tell(decisionRefusal(checked.reason, 'request' in checked ? checked.request : undefined));
        return;
      }
      await client.views.open({
        trigger_id: click.triggerId,
        view: denyModal(checked.request, click.channelId ? { channel: click.channelId } : {}),
      });
    } catch (error) {
      logger.error({ err: error, requestId: click.requestId }, 'could not open the deny form');
      await tell(SOMETHING_WENT_WRONG).catch(() => undefined);
    }
  });
}

interface Click {
  userId: string;
  requestId: string | undefined;
  triggerId: string | undefined;
  channelId: string | undefined;
}

function readClick(body: unknown): Click | undefined {
  const parsed = buttonClick.safeParse(body);
  if (!parsed.success) return undefined;
  const value = parsed.data.actions[0]?.value ?? '';
  return {
    userId: parsed.data.user.id,
    requestId: parseRequestId(value),
    triggerId: parsed.data.trigger_id,
    channelId: parsed.data.channel?.id,
  };
}
