import type { AnyMiddlewareArgs, App, Middleware } from '@slack/bolt';
import type { Logger } from '../../logger.js';

/** The action ids, view callback ids and commands that listeners were registered for. */
interface Known {
  actions: Set<string>;
  views: Set<string>;
  commands: Set<string>;
  /** A listener registered with a pattern (not a plain id) for that kind: nothing of it is filtered. */
  open: Set<'action' | 'view' | 'command'>;
}

/**
 * Acknowledges at once, and drops, what no listener handles: a button or form of an older version of
 * the bot, another slash command, a view closed. Without it Bolt waits 3 seconds for an ack, answers
 * 404, and Slack shows the person an error.
 *
 * It knows what the listeners handle by recording their registrations: register them through the
 * `app` this returns, and the middleware (install it first) sees every one.
 */
export function answerUnknown(
  app: App,
  logger: Logger,
): { app: App; middleware: Middleware<AnyMiddlewareArgs> } {
  const known: Known = { actions: new Set(), views: new Set(), commands: new Set(), open: new Set() };
  const recording = new Proxy(app, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property !== 'action' && property !== 'view' && property !== 'command') return value.bind(target);
      const kind = property;
      return (constraint: unknown, ...rest: unknown[]) => {
        const into = { action: known.actions, view: known.views, command: known.commands }[kind];
        if (typeof constraint === 'string') into.add(constraint);
        else known.open.add(kind);
        return (value as (...args: unknown[]) => unknown).call(target, constraint, ...rest);
      };
    },
  });
  const middleware: Middleware<AnyMiddlewareArgs> = async (args) => {
    const unknown = describeUnknown(args.body, known);
    if (!unknown) return args.next();
    logger.warn({ what: unknown }, 'a Slack payload no listener handles; acknowledged and dropped');
    if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
  };
  return { app: recording, middleware };
}

function describeUnknown(body: unknown, known: Known): string | undefined {
  const record = body as {
    type?: unknown;
    command?: unknown;
    actions?: { action_id?: unknown }[];
    view?: { callback_id?: unknown };
  };
  const check = (kind: 'action' | 'view' | 'command', id: unknown, ids: Set<string>) =>
    known.open.has(kind) || (typeof id === 'string' && ids.has(id))
      ? undefined
      : `${kind} ${String(id).slice(0, 40)}`;
  if (typeof record.command === 'string') return check('command', record.command, known.commands);
  if (record.type === 'block_actions') return check('action', record.actions?.[0]?.action_id, known.actions);
  if (record.type === 'view_submission' || record.type === 'view_closed') {
    return check('view', record.view?.callback_id, known.views);
  }
  return undefined;
}
