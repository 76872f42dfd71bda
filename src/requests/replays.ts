import type { Core } from './deps.js';
import type { DelegationRequest } from './model.js';

/** A form (Slack view) that already made a request. */
export interface Replay {
  request: DelegationRequest;
  /** False when someone other than its requester sends it: never Slack's doing. */
  sameRequester: boolean;
}

/**
 * Whether the form this submission comes from already made a request. Each request records its form's
 * view id, unique in the store, so a submission sent again (Slack's retry, a replay, a restart in
 * between, another process) finds the first one instead of making a second.
 */
export async function findReplay(
  core: Core,
  input: { viewId?: string; requesterId: string },
): Promise<Replay | undefined> {
  if (!input.viewId) return undefined;
  const [request] = await core.store.listRequests({ viewId: input.viewId, limit: 1 });
  if (!request) return undefined;
  const sameRequester = request.requesterId === input.requesterId;
  core.logger.warn(
    { requestId: request.id, user: input.requesterId, sameRequester },
    'a form already submitted was sent again; no second request made',
  );
  return { request, sameRequester };
}
