import type { App } from '@slack/bolt';
import { parseFindingId } from '../../requests/findings.js';
import { IDS } from '../blocks/ids.js';
import { BUTTON_WITHOUT_FINDING, REMOVE_FINDING_ADMINS_ONLY, removeFindingAnswer } from '../copy/admin.js';
import { SOMETHING_WENT_WRONG } from '../copy/common.js';
import { buttonClick } from '../payloads.js';
import type { ListenerContext } from './context.js';
import { tellPrivately } from './reply.js';

/**
 * The Remove button on a drift finding in the approvers' channel: admins only (checked and audited
 * like an admin command), then the right is removed in Mimecast and the message updated.
 */
export function registerDriftActions(app: App, context: ListenerContext): void {
  const { service, logger } = context;
  app.action(IDS.removeFindingAction, async ({ ack, body, respond, client }) => {
    await ack();
    await context.turns.soon();
    const parsed = buttonClick.safeParse(body);
    if (!parsed.success) {
      logger.warn({ issues: parsed.error.issues.length }, 'unreadable block action payload');
      return;
    }
    const userId = parsed.data.user.id;
    const tell = (text: string) =>
      tellPrivately({ respond: parsed.data.response_url ? respond : undefined, client, userId }, text);
    const findingId = parseFindingId(parsed.data.actions[0]?.value ?? '');
    const log = logger.child({ findingId, user: userId });
    try {
      if (!findingId) {
        await tell(BUTTON_WITHOUT_FINDING);
        return;
      }
      const allowed = await service.authorizeAdmin(userId, 'drift', findingId);
      if (!allowed.ok) {
        await tell(REMOVE_FINDING_ADMINS_ONLY);
        return;
      }
      const result = await service.removeFinding(allowed.permit, findingId);
      await tell(removeFindingAnswer(result, findingId));
    } catch (error) {
      log.error({ err: error }, 'removing a drift finding failed');
      await tell(SOMETHING_WENT_WRONG).catch(() => undefined);
    }
  });
}
