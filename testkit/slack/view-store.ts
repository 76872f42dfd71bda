/**
 * The views in the workspace: modals, stacked as Slack stacks them (root, pushes on top, at most three),
 * and one Home tab per user. A view is stored the way Slack returns it (generated block and action ids,
 * a fresh hash, empty state) with every version kept.
 */
import { randomHex, withGeneratedIds } from './ids.js';
import { isJsonObject, isJsonObjectArray, type JsonObject } from './json.js';
import type { Recorder } from './recorder.js';
import type { SimView } from './records.js';
import type { Workspace } from './workspace.js';

/** How many modals Slack lets an app stack (views.push, response_action push). */
export const MODAL_STACK_LIMIT = 3;

export class ViewStore {
  readonly views: SimView[] = [];
  readonly homeViews = new Map<string, SimView>();
  private lastTouchedView: SimView | undefined;

  constructor(
    private readonly workspace: Workspace,
    private readonly recorder: Recorder,
  ) {}

  findView(viewId: string): SimView | undefined {
    return (
      this.views.find((view) => view.id === viewId) ??
      [...this.homeViews.values()].find((v) => v.id === viewId)
    );
  }

  /** The modal most recently opened, pushed or updated. */
  lastView(): SimView | undefined {
    return this.lastTouchedView;
  }

  /** Returns the modal record as Slack would store it and remembers it. */
  storeModal(
    input: JsonObject,
    placement: {
      openedBy: SimView['openedBy'];
      rootViewId?: string | undefined;
      previousViewId?: string | undefined;
      userId?: string | undefined;
      triggerId?: string | undefined;
    },
  ): SimView {
    const id = this.newViewId();
    const rootViewId = placement.rootViewId ?? id;
    const record: SimView = {
      id,
      type: 'modal',
      status: 'open',
      view: this.storedView(input, id, rootViewId, placement.previousViewId ?? null),
      history: [],
      rootViewId,
      previousViewId: placement.previousViewId ?? null,
      openedBy: placement.openedBy,
      openedAt: performance.timeOrigin + performance.now(),
      ...(placement.userId === undefined ? {} : { userId: placement.userId }),
      ...(placement.triggerId === undefined ? {} : { triggerId: placement.triggerId }),
    };
    record.history.push(record.view);
    this.views.push(record);
    this.lastTouchedView = record;
    this.recorder.changed();
    return record;
  }

  /** A user's first Home tab (views.publish); later ones replace it. */
  storeHome(userId: string, input: JsonObject): SimView {
    const id = this.newViewId();
    const stored = this.storedView(input, id, id, null);
    const record: SimView = {
      id,
      type: 'home',
      userId,
      status: 'open',
      view: stored,
      history: [stored],
      rootViewId: id,
      previousViewId: null,
      openedBy: 'views.publish',
      openedAt: performance.timeOrigin + performance.now(),
    };
    this.homeViews.set(userId, record);
    return record;
  }

  replaceView(record: SimView, input: JsonObject): void {
    record.view = this.storedView(input, record.id, record.rootViewId, record.previousViewId);
    record.history.push(record.view);
    delete record.errors;
    if (record.type === 'modal') this.lastTouchedView = record;
    this.recorder.changed();
  }

  stackDepth(rootViewId: string): number {
    return this.views.filter((view) => view.rootViewId === rootViewId && view.status === 'open').length;
  }

  /** Closing a view also closes whatever was pushed on top of it. */
  closeStackFrom(record: SimView): void {
    if (record.type !== 'modal') return;
    const stack = this.views.filter((view) => view.rootViewId === record.rootViewId);
    for (const view of stack.slice(stack.indexOf(record))) view.status = 'closed';
    this.recorder.changed();
  }

  /** response_action clear: the whole stack goes. */
  closeStack(rootViewId: string): void {
    for (const view of this.views) if (view.rootViewId === rootViewId) view.status = 'closed';
    this.recorder.changed();
  }

  clear(): void {
    this.views.length = 0;
    this.homeViews.clear();
    this.lastTouchedView = undefined;
  }

  private storedView(
    input: JsonObject,
    id: string,
    rootViewId: string,
    previousViewId: string | null,
  ): JsonObject {
    const blocks = isJsonObjectArray(input.blocks) ? withGeneratedIds(input.blocks) : [];
    const isModal = input.type === 'modal';
    const { teamId, appId, botId } = this.workspace;
    return {
      id,
      team_id: teamId,
      type: input.type,
      ...(isModal ? { title: input.title } : {}),
      submit: input.submit ?? null,
      close: input.close ?? null,
      blocks,
      private_metadata: input.private_metadata ?? '',
      callback_id: input.callback_id ?? '',
      external_id: input.external_id ?? '',
      state: { values: {} },
      hash: `${Math.floor(Date.now() / 1000)}.${randomHex(4)}`,
      clear_on_close: input.clear_on_close ?? false,
      notify_on_close: input.notify_on_close ?? false,
      ...(input.submit_disabled === undefined ? {} : { submit_disabled: input.submit_disabled }),
      root_view_id: rootViewId,
      previous_view_id: previousViewId,
      app_id: appId,
      app_installed_team_id: teamId,
      bot_id: botId,
    };
  }

  private newViewId(): string {
    return `V${this.workspace.nextSequence().toString(36).toUpperCase().padStart(9, '0')}`;
  }
}

/** The input blocks of a view (those a submission carries state for). */
export function inputBlocksOf(
  view: JsonObject,
): Array<JsonObject & { block_id: string; element: JsonObject }> {
  const blocks = Array.isArray(view.blocks) ? view.blocks : [];
  return blocks.filter(
    (block): block is JsonObject & { block_id: string; element: JsonObject } =>
      isJsonObject(block) &&
      block.type === 'input' &&
      typeof block.block_id === 'string' &&
      isJsonObject(block.element),
  );
}
