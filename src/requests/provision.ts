import { type Core, expiryFrom, otherGrants, toFailure } from './deps.js';
import { stopBeforeGrant } from './eligibility.js';
import { type DelegationRequest, SYSTEM_ACTOR } from './model.js';
import { everywhere } from './notices.js';
import { ownerNotices } from './owner-notices.js';
import type { MimecastApi, MimecastFailure, TransitionInput } from './ports/index.js';
import { rightFor, searchRights } from './rights.js';
import { LAST_ADD_ATTEMPT, startSettling } from './unknown-outcome.js';

/**
 * Grants approved access in Mimecast. Claims the request first (approved → provisioning), so however
 * often this is called for one request, Mimecast is called at most once; a call while one runs for
 * the same request joins it. Approvals and start-up recovery both come through here.
 */
export function provision(core: Core, id: string): Promise<DelegationRequest | undefined> {
  const running = core.provisioning.get(id);
  if (running) return running;
  const run = core.work.track(provisionNow(core, id));
  core.provisioning.set(id, run);
  const forget = () => {
    if (core.provisioning.get(id) === run) core.provisioning.delete(id);
  };
  run.then(forget, forget);
  return run;
}

async function provisionNow(core: Core, id: string): Promise<DelegationRequest | undefined> {
  const { store } = core;
  // One turn, before the claim: from then on nothing waits between the Mimecast calls and recording
  // their outcome, so a crash leaves as few requests as possible in an unknown state.
  await core.turns.next();
  // An orderly stop under way: the request stays approved, and the next start provisions it.
  if (core.stopping) return store.getRequest(id);
  // The requester may have left the requester group, been deactivated or changed email since the approval.
  const stopped = await stopBeforeGrant(core, id);
  if (stopped) return stopped.request;
  const claimed = await store.transition({
    id,
    name: 'startProvisioning',
    at: core.clock(),
    audit: { actor: SYSTEM_ACTOR, action: 'provisioning_started' },
  });
  if (!claimed.ok) return claimed.current;
  const request = claimed.request;

  const existing = await existingRight(core, request);
  if (existing) {
    const now = core.clock();
    const expiresAt = expiryFrom(now, request.durationHours);
    return finish(core, {
      id,
      name: 'provisioned',
      at: now,
      patch: {
        mimecastId: existing.id,
        grantedAt: now,
        ...(expiresAt ? { expiresAt } : {}),
        ...(existing.byBot ? {} : { preexisting: true }),
      },
      audit: {
        actor: SYSTEM_ACTOR,
        action: 'already_had_access',
        details: { mimecastId: existing.id, grantedByBot: existing.byBot },
      },
      notices: everywhere('already_had_access'),
    });
  }

  return addAndRecord(core, request);
}

/**
 * Makes the add for a request this process has claimed (status provisioning) and records its outcome:
 * granted, refused, or unknown. A first add whose outcome is unknown is settled by searching
 * Mimecast (settle.ts); a second one goes to the admins.
 */
export async function addAndRecord(
  core: Core,
  request: DelegationRequest,
): Promise<DelegationRequest | undefined> {
  const { id } = request;
  const startedAt = core.clock();
  let outcome: Awaited<ReturnType<MimecastApi['addDelegate']>>;
  try {
    outcome = await core.mimecast.addDelegate({
      primaryAddress: request.granteeEmail,
      delegateAddress: request.mailbox,
    });
  } catch (error) {
    // The client classifies failures itself; anything thrown is a bug, and the call may have gone out.
    core.logger.error({ requestId: id, err: error }, 'Mimecast client threw');
    outcome = { ok: false, kind: 'outcome_unknown', message: 'The Mimecast call failed unexpectedly.' };
  }

  const now = core.clock();
  const attempt = request.addAttempt ?? 1;
  const attemptDetail = attempt > 1 ? { attempt } : {};
  if (outcome.ok) {
    const expiresAt = expiryFrom(now, request.durationHours);
    return finish(core, {
      id,
      name: 'provisioned',
      at: now,
      patch: { mimecastId: outcome.id, grantedAt: now, ...(expiresAt ? { expiresAt } : {}) },
      audit: {
        actor: SYSTEM_ACTOR,
        action: 'provisioned',
        details: {
          mimecastId: outcome.id,
          ...(outcome.requestId ? { mcReqId: outcome.requestId } : {}),
          ...attemptDetail,
        },
      },
      notices: [...everywhere('provisioned'), ...ownerNotices(request, { event: 'granted' })],
    });
  }

  const failure = toFailure(outcome);
  if (!isUnknownOutcome(outcome)) {
    return finish(core, {
      id,
      name: 'provisioningFailed',
      at: now,
      patch: { failure },
      audit: {
        actor: SYSTEM_ACTOR,
        action: 'provisioning_failed',
        details: { ...failure, ...attemptDetail },
      },
      notices: everywhere('provisioning_failed'),
    });
  }
  if (attempt < LAST_ADD_ATTEMPT) {
    const settling = await finish(core, startSettling(core, request, failure, startedAt));
    if (settling?.status === 'settling' && settling.nextSettleAt) core.wake(settling.nextSettleAt);
    return settling;
  }
  return finish(core, {
    id,
    name: 'provisioningUnknown',
    at: now,
    patch: { failure },
    audit: {
      actor: SYSTEM_ACTOR,
      action: 'provisioning_outcome_unknown',
      details: { ...failure, ...attemptDetail },
    },
    notices: everywhere('outcome_unknown'),
  });
}

/**
 * Whether an add may have taken effect although it did not say so: no answer (timeout, connection
 * lost after sending), an answer we cannot read, or a 5xx from Mimecast once it had the request.
 * A 5xx without an HTTP status is "could not be reached": nothing was sent.
 */
export function isUnknownOutcome(failure: MimecastFailure): boolean {
  if (failure.kind === 'outcome_unknown' || failure.kind === 'unexpected_response') return true;
  return failure.kind === 'server_error' && (failure.httpStatus ?? 0) >= 500;
}

async function finish(core: Core, input: TransitionInput): Promise<DelegationRequest | undefined> {
  const result = await core.store.transition(input);
  if (!result.ok) {
    // Only recovery moves a provisioning request elsewhere; the record it made stands.
    core.logger.error(
      { requestId: input.id, status: result.current?.status },
      'provisioning result arrived late',
    );
    return result.current;
  }
  core.logger.info({ requestId: input.id, status: result.request.status }, 'provisioning finished');
  core.notify();
  return result.request;
}

/**
 * Whether the grantee can already reach the mailbox, and whether a grant of ours explains it. A
 * failed lookup (e.g. no find endpoint on this tenant) is not an answer: we go on and add.
 */
async function existingRight(
  core: Core,
  request: DelegationRequest,
): Promise<{ id: string; byBot: boolean } | undefined> {
  const found = await searchRights(core, request.granteeEmail, request.id);
  if (!found.ok) {
    core.logger.info(
      { requestId: request.id, kind: found.failure.kind },
      'could not check for existing access; adding',
    );
    return undefined;
  }
  const right = rightFor(found.rights, request.mailbox);
  if (!right) return undefined;
  const ours = await otherGrants(core, request);
  return { id: right.id, byBot: ours.some((grant) => grant.mimecastId === right.id && !grant.preexisting) };
}
