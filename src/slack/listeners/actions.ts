import type { App, RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../logger.js';
import { parseRequestId } from '../../requests/ids.js';
import { IDS } from '../blocks/ids.js';
import { decisionRefusal, endAccessProblem } from '../blocks/messages.js';
import { denyModal } from '../blocks/request-modal.js';
import { isLateTrigger } from '../errors.js';
import { buttonClick } from '../payloads.js';
import { approvedButBroken, type ListenerContext, lateTrigger, SOMETHING_WENT_WRONG } from './context.js';
import { publishHome } from './home.js';
import { tellPrivately } from './reply.js';

interface Click {
  userId: string;
  /** The request the button names; undefined when its value is not a valid id. */
  requestId: string | undefined;
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

/** Buttons on the approvers' card, in DMs and in the App Home. Every click is acked before any work. */
export function registerActions(app: App, context: ListenerContext): void {
  const { service, logger } = context;

  function on(actionId: string, handle: ClickHandler): void {
    app.action(actionId, async ({ ack, body, respond, client }) => {
      await ack();
      // After the acks of the requests read with this one; clicks keep their order (Deny after Approve
      // is told it was already approved), and the Deny modal opens well within its trigger's 3 s.
      await context.turns.soon();
      const click = readClick(body, { respond, client, logger });
      if (!click) return;
      if (!click.requestId) {
        await click.tell('That button does not name a valid request. Nothing was changed.');
        return;
      }
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
    const id = click.requestId ?? '';
    const result = await service.approve(id, click.userId);
    if (!result.ok) {
      click.log.info({ refusal: result.reason }, 'approval refused');
      await click.tell(decisionRefusal(result.reason, 'request' in result ? result.request : undefined));
      return;
    }
    // Slack already has its ack, and the Mimecast call may take seconds: it takes its turn with other
    // background work, holding none of this click's request while it waits.
    const { log, tell } = click;
    void service.provision(id).catch(async (error: unknown) => {
      log.error({ err: error, action: IDS.approveAction }, 'provisioning failed');
      await tell(approvedButBroken(id)).catch(() => undefined);
    });
  });

  on(IDS.denyAction, async (click, client) => {
    const checked = await service.checkDecider(click.requestId ?? '', click.userId);
    if (!checked.ok) {
      await click.tell(decisionRefusal(checked.reason, 'request' in checked ? checked.request : undefined));
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
    const result = await service.cancel(click.requestId ?? '', click.userId);
    if (result.ok) await click.tell(`Cancelled ${result.request.id}. Nothing will be granted.`);
    else if (result.reason === 'not_yours')
      await click.tell('Only the person who asked can cancel this request.');
    else if (result.reason === 'not_pending') {
      await click.tell(`${result.request.id} can no longer be cancelled: it is already decided.`);
    } else await click.tell('That request no longer exists.');
  });

  on(IDS.endAccessAction, async (click) => {
    const id = click.requestId ?? '';
    const request = await service.getRequest(id);
    if (!request || request.requesterId !== click.userId) {
      await click.tell('Only the person who has the access can end it this way. Nothing was changed.');
      return;
    }
    const result = await service.endAccess(id, click.userId, 'ended_by_grantee');
    // On success the thread and DMs that follow say it.
    if (!result.ok) await click.tell(endAccessProblem(result, id, 'end'));
  });

  on(IDS.extendAction, async (click) => {
    const hours = Number(click.value.split(':')[1]);
    const result = await service.extend(click.requestId ?? '', click.userId, hours);
    if (result.ok) return; // the card, thread and DM say it
    const refusals = {
      not_found: 'That request no longer exists.',
      not_approver: 'Only approvers can extend access. Nothing was changed.',
      own_request: 'You cannot extend your own access: another approver has to.',
      bad_duration: 'That is not one of the offered durations. Nothing was changed.',
      not_extendable: 'Only active, time-bound access can be extended. Nothing was changed.',
    };
    await click.tell(refusals[result.reason]);
  });

  on(IDS.revokeAction, async (click) => {
    const id = click.requestId ?? '';
    if (!(await service.isAdmin(click.userId))) {
      await service.recordCommand(click.userId, 'revoke', false, id);
      await click.tell('Only admins can revoke access. Nothing was changed.');
      return;
    }
    await service.recordCommand(click.userId, 'revoke', true, id);
    const result = await service.endAccess(id, click.userId, 'revoked');
    if (!result.ok) await click.tell(endAccessProblem(result, id, 'revoke'));
  });
}

function readClick(
  body: unknown,
  deps: { respond: RespondFn | undefined; client: WebClient; logger: Logger },
): Click | undefined {
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
