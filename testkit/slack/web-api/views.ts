/**
 * The views methods: open and push (each spends a fresh trigger id), update (by view id or external id,
 * guarded by the hash) and publish (a user's Home tab). Every view is checked against Block Kit's rules.
 */
import { validateView } from '../block-kit/surfaces.js';
import type { JsonObject } from '../json.js';
import type { SimParts } from '../parts.js';
import type { SimView } from '../records.js';
import type { Trigger } from '../triggers.js';
import { MODAL_STACK_LIMIT } from '../view-store.js';
import { type ApiResult, argString, blockFailure, failure, type MethodTable } from './result.js';

const VIEW_SIZE_LIMIT = 250_000;

export function viewsMethods(parts: SimParts): MethodTable {
  return {
    'views.open': (args) => viewsOpen(parts, args),
    'views.push': (args) => viewsPush(parts, args),
    'views.update': (args) => viewsUpdate(parts, args),
    'views.publish': (args) => viewsPublish(parts, args),
  };
}

/** Exchanges a trigger: validity checks only; the caller marks it used once the call succeeds. */
function checkTrigger(
  { workspace, triggers }: SimParts,
  triggerId: string | undefined,
): { ok: true; trigger: Trigger } | { ok: false; result: ApiResult } {
  if (triggerId === undefined || triggerId === '') {
    return {
      ok: false,
      result: failure('invalid_arguments', { response_metadata: { messages: ['invalid `trigger_id`'] } }),
    };
  }
  const trigger = triggers.trigger(triggerId);
  if (trigger === undefined) return { ok: false, result: failure('invalid_trigger_id') };
  if (trigger.used) return { ok: false, result: failure('exchanged_trigger_id') };
  if (Date.now() - trigger.createdAt > workspace.triggerTtlMs)
    return { ok: false, result: failure('expired_trigger_id') };
  return { ok: true, trigger };
}

/**
 * Parses and validates the `view` argument for a method that accepts `expectedType`. `replacing` is the
 * view being updated, whose own external_id is of course not a duplicate.
 */
function viewArgument(
  { views }: SimParts,
  args: JsonObject,
  expectedType: 'modal' | 'home',
  replacing?: SimView,
): { ok: true; view: JsonObject } | { ok: false; result: ApiResult } {
  let view = args.view;
  if (typeof view === 'string') {
    try {
      view = JSON.parse(view);
    } catch {
      return {
        ok: false,
        result: failure('invalid_arguments', { response_metadata: { messages: ['invalid `view`'] } }),
      };
    }
  }
  if (view === undefined) {
    return {
      ok: false,
      result: failure('invalid_arguments', {
        response_metadata: { messages: ['missing required field: view'] },
      }),
    };
  }
  if (JSON.stringify(view).length > VIEW_SIZE_LIMIT) return { ok: false, result: failure('view_too_large') };
  const problems = validateView(view, expectedType);
  if (problems.length > 0) return { ok: false, result: blockFailure('invalid_arguments', problems) };
  const validView = view as JsonObject;
  const externalId = validView.external_id;
  if (
    typeof externalId === 'string' &&
    externalId !== '' &&
    views.views.some((v) => v !== replacing && v.view.external_id === externalId)
  ) {
    return { ok: false, result: failure('duplicate_external_id') };
  }
  return { ok: true, view: validView };
}

function viewsOpen(parts: SimParts, args: JsonObject): ApiResult {
  const triggerId = argString(args, 'trigger_id');
  const trigger = checkTrigger(parts, triggerId);
  if (!trigger.ok) return trigger.result;
  const view = viewArgument(parts, args, 'modal');
  if (!view.ok) return view.result;
  trigger.trigger.used = true;
  const record = parts.views.storeModal(view.view, {
    openedBy: 'views.open',
    userId: trigger.trigger.context.userId,
    triggerId: trigger.trigger.id,
  });
  return { ok: true, view: record.view };
}

function viewsPush(parts: SimParts, args: JsonObject): ApiResult {
  const trigger = checkTrigger(parts, argString(args, 'trigger_id'));
  if (!trigger.ok) return trigger.result;
  const view = viewArgument(parts, args, 'modal');
  if (!view.ok) return view.result;
  const { views, recorder } = parts;
  const underneath = views.views.find((v) => v.id === trigger.trigger.context.viewId && v.status === 'open');
  if (underneath === undefined) {
    recorder.reportProblem(
      'views.push with a trigger that did not come from an open modal; Slack needs one to push onto',
    );
  } else if (views.stackDepth(underneath.rootViewId) >= MODAL_STACK_LIMIT) {
    return failure('push_limit_reached');
  }
  trigger.trigger.used = true;
  const record = views.storeModal(view.view, {
    openedBy: 'views.push',
    rootViewId: underneath?.rootViewId,
    previousViewId: underneath?.id,
    userId: trigger.trigger.context.userId ?? underneath?.userId,
    triggerId: trigger.trigger.id,
  });
  return { ok: true, view: record.view };
}

function viewsUpdate(parts: SimParts, args: JsonObject): ApiResult {
  const viewId = argString(args, 'view_id');
  const externalId = argString(args, 'external_id');
  if (!viewId && !externalId) {
    return failure('invalid_arguments', {
      response_metadata: { messages: ['either view_id or external_id is required'] },
    });
  }
  const record = parts.views.views.find((v) =>
    viewId ? v.id === viewId : v.view.external_id === externalId,
  );
  if (record === undefined || record.status !== 'open') return failure('not_found');
  const view = viewArgument(parts, args, 'modal', record);
  if (!view.ok) return view.result;
  const hash = argString(args, 'hash');
  if (hash && hash !== record.view.hash) return failure('hash_conflict');
  parts.views.replaceView(record, view.view);
  return { ok: true, view: record.view };
}

function viewsPublish(parts: SimParts, args: JsonObject): ApiResult {
  const userId = argString(args, 'user_id') ?? '';
  const user = parts.workspace.users.get(userId);
  if (user === undefined || user.deleted) {
    return failure('invalid_arguments', { response_metadata: { messages: ['invalid `user_id`'] } });
  }
  const view = viewArgument(parts, args, 'home');
  if (!view.ok) return view.result;
  const existing = parts.views.homeViews.get(userId);
  const hash = argString(args, 'hash');
  if (hash && existing !== undefined && hash !== existing.view.hash) return failure('hash_conflict');
  if (existing !== undefined) {
    parts.views.replaceView(existing, view.view);
    return { ok: true, view: existing.view };
  }
  return { ok: true, view: parts.views.storeHome(userId, view.view).view };
}
