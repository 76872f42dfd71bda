import type { Core } from './deps.js';
import { type Failure, SYSTEM_ACTOR } from './model.js';
import { everywhere } from './notices.js';
import { provision } from './provision.js';

export interface RecoveryReport {
  /** Approved requests that never reached Mimecast: provisioned now. */
  resumed: string[];
  /** Requests caught mid-call: handed to an admin. */
  interrupted: string[];
  /** Notices the previous process was sending: sent again now. */
  noticesReleased: number;
}

/**
 * After a restart: approved requests never reached Mimecast, so they are provisioned now, the way an
 * approval provisions; requests caught mid-call may or may not have been granted, so they go to an
 * admin instead of being repeated. Assumes the store's only user is this process (SQLite's case).
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
    const result = await store.transition({
      id: request.id,
      name: 'provisioningUnknown',
      at: core.clock(),
      patch: { failure },
      audit: { actor: SYSTEM_ACTOR, action: 'provisioning_interrupted', details: { ...failure } },
      notices: everywhere('outcome_unknown'),
    });
    if (result.ok) interrupted.push(request.id);
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
