import { newClaim, whileClaimed } from './claims.js';
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
 * often this is called for one request, and by however many replicas, Mimecast is called at most
 * once; a call while one runs for the same request in this process joins it. Approvals, start-up
 * recovery and the sweep's pick-up of approvals nobody claimed all come through here.
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
  // An orderly stop under way: the request stays approved, for another replica's sweep or the next start.
  if (core.stopping) return store.getRequest(id);
  // The requester may have left the requester group, been deactivated or changed email since the approval.
  const stopped = await stopBeforeGrant(core, id);
  if (stopped) return stopped.request;
  // The claim says which process makes the call, until when; it is renewed while the call runs.
  const claimed = await store.transition({
    id,
    name: 'startProvisioning',
    at: core.clock(),
    patch: { claim: newClaim(core) },
    audit: { actor: SYSTEM_ACTOR, action: 'provisioning_started' },
  });
  if (!claimed.ok) return claimed.current;
  return whileClaimed(core, id, () => grant(core, claimed.request));
}

/** The Mimecast calls of a claimed request, and the record of their outcome. */
async function grant(core: Core, request: DelegationRequest): Promise<DelegationRequest | undefined> {
  const { id } = request;
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
 * Makes the add for a request this process has claimed (status provisioning, its claim renewed by the
 * caller: see whileClaimed) and records its outcome, which ends the claim: granted, refused, or unknown. A first add whose outcome is unknown is settled by searching
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

/** Records the outcome, and with it the end of the claim. */
async function finish(core: Core, input: TransitionInput): Promise<DelegationRequest | undefined> {
  const result = await core.store.transition({ ...input, patch: { ...input.patch, claim: undefined } });
  if (!result.ok) {
    // Only a takeover of a claim that ran out moves a provisioning request elsewhere; its record stands.
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
  // A grant of ours being removed still explains the right: this grant takes it over as the bot's, so
  // it is removed when no grant covers it any more. A removal that reads its cover after this grant
  // is recorded leaves the right to it (a failed or interrupted one always does, on its retry); one
  // whose Mimecast call was already under way removes it, and the reconciliation finds this grant's
  // access gone.
  const ours = await otherGrants(core, request, ['completed', 'removing']);
  return { id: right.id, byBot: ours.some((grant) => grant.mimecastId === right.id && !grant.preexisting) };
}
