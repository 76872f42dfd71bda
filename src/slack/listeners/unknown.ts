import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Logger } from '../../logger.js';
import { IDS } from '../blocks/ids.js';

/** What the listeners answer: a payload for anything else would wait 3 s for an ack that never comes. */
const ACTIONS: ReadonlySet<string> = new Set([
  IDS.approveAction,
  IDS.denyAction,
  IDS.cancelAction,
  IDS.endAccessAction,
  IDS.extendAction,
  IDS.revokeAction,
]);
const VIEWS: ReadonlySet<string> = new Set([IDS.requestModal, IDS.denyModal]);
const COMMANDS: ReadonlySet<string> = new Set(['/delegate']);

/**
 * Acknowledges at once, and drops, what no listener handles: a button or form of an older version of
 * the bot, another slash command, a view closed. Without it Bolt waits 3 seconds for an ack, answers
 * 404, and Slack shows the person an error.
 */
export function answerUnknown(logger: Logger): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const unknown = describeUnknown(args.body);
    if (!unknown) return args.next();
    logger.warn({ what: unknown }, 'a Slack payload no listener handles; acknowledged and dropped');
    if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
  };
}

function describeUnknown(body: unknown): string | undefined {
  const record = body as {
    type?: unknown;
    command?: unknown;
    actions?: { action_id?: unknown }[];
    view?: { callback_id?: unknown };
  };
  if (typeof record.command === 'string') {
    return COMMANDS.has(record.command) ? undefined : `command ${record.command.slice(0, 40)}`;
  }
  if (record.type === 'block_actions') {
    const actionId = record.actions?.[0]?.action_id;
    return typeof actionId === 'string' && ACTIONS.has(actionId)
      ? undefined
      : `action ${String(actionId).slice(0, 40)}`;
  }
  if (record.type === 'view_submission') {
    const callbackId = record.view?.callback_id;
    return typeof callbackId === 'string' && VIEWS.has(callbackId)
      ? undefined
      : `view ${String(callbackId).slice(0, 40)}`;
  }
  if (record.type === 'view_closed') return 'view closed';
  return undefined;
}
