import type { Core } from './deps.js';
import { type Failure, SYSTEM_ACTOR } from './model.js';
import { everywhere } from './notices.js';
import { provision } from './provision.js';
import { LAST_ADD_ATTEMPT, startSettling } from './unknown-outcome.js';

export interface RecoveryReport {
  /** Approved requests that never reached Mimecast: provisioned now. */
  resumed: string[];
  /** Requests caught mid-call: settled by searching Mimecast (a second add: handed to the admins). */
  interrupted: string[];
  /** Notices the previous process was sending: sent again now. */
  noticesReleased: number;
}

/**
 * After a restart: approved requests never reached Mimecast, so they are provisioned now, the way an
 * approval provisions; requests caught mid-call may or may not have been granted, so they are not
 * repeated but settled (settle.ts: Mimecast is searched, counted from when the add began), or, when
 * it was the second add, handed to the admins. Assumes the store's only user is this process
 * (SQLite's case).
 */
export async function recoverInterrupted(core: Core): Promise<RecoveryReport> {
  const { store } = core;
  // Messages the previous process was sending when it stopped go out now rather than when their
  // lease runs out a minute later: nobody else is sending them. Slack may show one of them twice.
  const noticesReleased = await store.releaseNoticeLeases();
  const interrupted: string[] = [];
  for (const request of await store.listRequests({ statuses: ['provisioning'] })) {
    const failure: Failure = {
      kind: 'interrupted',
      message:
        'The bot stopped while Mimecast was being called, so the access may or may not have been granted.',
    };
    const attempt = request.addAttempt ?? 1;
    // The add began when the request was claimed (its last change), which is when its outcome became unknown.
    const result = await store.transition(
      attempt < LAST_ADD_ATTEMPT
        ? startSettling(core, request, failure, request.updatedAt, 'provisioning_interrupted')
        : {
            id: request.id,
            name: 'provisioningUnknown',
            at: core.clock(),
            patch: { failure },
            audit: {
              actor: SYSTEM_ACTOR,
              action: 'provisioning_interrupted',
              details: { ...failure, attempt },
            },
            notices: everywhere('outcome_unknown'),
          },
    );
    if (!result.ok) continue;
    interrupted.push(request.id);
    if (result.request.nextSettleAt) core.wake(result.request.nextSettleAt);
  }
  // A removal caught mid-call is safe to repeat: removing a right that is already gone changes nothing.
  for (const request of await store.listRequests({ statuses: ['removing'] })) {
    await store.transition({
      id: request.id,
      name: 'removalFailed',
      at: core.clock(),
      patch: { nextRemovalAt: core.clock() },
      audit: { actor: SYSTEM_ACTOR, action: 'removal_interrupted' },
    });
  }
  const resumed: string[] = [];
  for (const request of await store.listRequests({ statuses: ['approved'] })) {
    resumed.push(request.id);
  }
  if (interrupted.length || noticesReleased) core.notify();
  await Promise.all(resumed.map((id) => provision(core, id)));
  return { resumed, interrupted, noticesReleased };
}
