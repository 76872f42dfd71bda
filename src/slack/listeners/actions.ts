import type { App, RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../logger.js';
import { parseRequestId } from '../../requests/ids.js';
import { IDS } from '../blocks/ids.js';
import { denyModal } from '../blocks/request-modal.js';
import * as admin from '../copy/admin.js';
import * as approver from '../copy/approver.js';
import { BUTTON_WITHOUT_REQUEST, lateTrigger, removalProblem, SOMETHING_WENT_WRONG } from '../copy/common.js';
import * as requester from '../copy/requester.js';
import { isLateTrigger } from '../errors.js';
import { buttonClick } from '../payloads.js';
import type { ListenerContext } from './context.js';
import { publishHome } from './home.js';
import { tellPrivately } from './reply.js';

interface Click {
  userId: string;
  /** The request the button names (valid by the time a handler sees it). */
  requestId: string;
  /** The raw value (selects carry `DR-XXXXXX:hours`). */
  value: string;
  triggerId: string | undefined;
  channelId: string | undefined;
  /** True when clicked in the App Home, which is re-rendered afterwards. */
  fromHome: boolean;
  tell: (text: string) => Promise<void>;
  log: Logger;
}

type ClickHandler = (click: Click, client: WebClient) => Promise<void>;

/**
 * Buttons on the approvers' card, in DMs and in the App Home. Every click is acked before any work;
 * each handler reads the click, calls one verb of the service and words its answer.
 */
export function registerActions(app: App, context: ListenerContext): void {
  const { service, logger } = context;

  function on(actionId: string, handle: ClickHandler): void {
    app.action(actionId, async ({ ack, body, respond, client }) => {
      await ack();
      // After the acks of the requests read with this one; clicks keep their order (Deny after Approve
      // is told it was already approved), and the Deny modal opens well within its trigger's 3 s.
      await context.turns.soon();
      const read = readClick(body, { respond, client, logger });
      if (!read) return;
      if (!read.requestId) {
        await read.tell(BUTTON_WITHOUT_REQUEST);
        return;
      }
      const click = { ...read, requestId: read.requestId };
      try {
        await handle(click, client);
      } catch (error) {
        click.log.error({ err: error, action: actionId }, 'button handling failed');
        await click.tell(SOMETHING_WENT_WRONG).catch(() => undefined);
      }
      if (click.fromHome) {
        await publishHome(client, service, click.userId).catch((error: unknown) =>
          click.log.warn({ err: error }, 'could not refresh App Home'),
        );
      }
    });
  }

  on(IDS.approveAction, async (click) => {
    const result = await service.approve(click.requestId, click.userId);
    if (!result.ok) {
      click.log.info({ refusal: result.reason }, 'approval refused');
      await click.tell(approver.decisionRefusal(result));
      return;
    }
    if (!result.provisioning) {
      // Counted towards the rule's quorum (or waiting for the owner): the card shows it too.
      await click.tell(approver.approvalRecorded(click.requestId, result.progress));
      return;
    }
    // The approval queued the grant, which runs after this click is answered; should it fail on the
    // bot's side, the approver hears that their approval stands (the service has logged the fault).
    context.work.track(
      result.provisioning.catch(() =>
        click.tell(approver.approvedButBroken(click.requestId)).catch(() => undefined),
      ),
    );
  });

  on(IDS.denyAction, async (click, client) => {
    const checked = await service.mayDecide(click.requestId, click.userId);
    if (!checked.ok) {
      await click.tell(approver.decisionRefusal(checked));
      return;
    }
    if (!click.triggerId) return;
    try {
      await client.views.open({
        trigger_id: click.triggerId,
        view: denyModal(checked.request, click.channelId ? { channel: click.channelId } : {}),
      });
    } catch (error) {
      if (!isLateTrigger(error)) throw error;
      click.log.warn('deny form not opened: its trigger expired');
      await click.tell(lateTrigger('click Deny'));
    }
  });

  on(IDS.cancelAction, async (click) => {
    const result = await service.cancel(click.requestId, click.userId);
    await click.tell(requester.cancelAnswer(result, click.requestId));
  });

  on(IDS.endAccessAction, async (click) => {
    const result = await service.endAccess(click.requestId, click.userId);
    // On success the thread and DMs that follow say it.
    if (result.ok) return;
    await click.tell(
      result.reason === 'not_grantee'
        ? requester.NOT_THE_GRANTEE
        : removalProblem(result, click.requestId, 'end'),
    );
  });

  on(IDS.extendAction, async (click) => {
    const hours = Number(click.value.split(':')[1]);
    const result = await service.extend(click.requestId, click.userId, hours);
    // On success the card, thread and DM say it.
    if (!result.ok)
      await click.tell(
        approver.extendRefusal(result.reason, 'request' in result ? result.request : undefined),
      );
  });

  on(IDS.revokeAction, async (click) => {
    const allowed = await service.authorizeAdmin(click.userId, 'revoke', click.requestId);
    if (!allowed.ok) {
      await click.tell(admin.REVOKE_ADMINS_ONLY);
      return;
    }
    const result = await service.revoke(allowed.permit, click.requestId);
    if (!result.ok) await click.tell(removalProblem(result, click.requestId, 'revoke'));
  });
}

function readClick(
  body: unknown,
  deps: { respond: RespondFn | undefined; client: WebClient; logger: Logger },
): (Omit<Click, 'requestId'> & { requestId: string | undefined }) | undefined {
  const parsed = buttonClick.safeParse(body);
  if (!parsed.success) {
    deps.logger.warn({ issues: parsed.error.issues.length }, 'unreadable block action payload');
    return undefined;
  }
  const action = parsed.data.actions[0];
  const value = action?.value ?? action?.selected_option?.value ?? '';
  const userId = parsed.data.user.id;
  const requestId = parseRequestId(value.split(':')[0] ?? '');
  const fromHome = parsed.data.view?.type === 'home';
  return {
    userId,
    requestId,
    value,
    triggerId: parsed.data.trigger_id,
    channelId: parsed.data.channel?.id,
    fromHome,
    tell: (text) =>
      tellPrivately(
        { respond: parsed.data.response_url ? deps.respond : undefined, client: deps.client, userId },
        text,
      ),
    log: deps.logger.child({ requestId, user: userId }),
  };
}
