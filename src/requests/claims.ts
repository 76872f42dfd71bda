import type { Core } from './deps.js';
import type { DelegationRequest, WorkClaim } from './model.js';

/**
 * Claims on Mimecast work. A request being provisioned or removed records which process is making
 * its Mimecast call and until when (`DelegationRequest.claim`). The process renews the claim while
 * the call runs; a process that dies stops renewing it, and once it has run out any replica may treat
 * the call as interrupted. Nothing here assumes this process is the only one.
 */

/** A claim for this process, from now until its lease runs out. */
export function newClaim(core: Core): WorkClaim {
  return { owner: core.processId, until: new Date(core.clock().getTime() + core.claimLeaseMs) };
}

/**
 * Runs the Mimecast work of a request this process has just claimed, renewing the claim every third
 * of its lease until the work ends. A renewal that finds the claim gone (another process took it
 * over, after a pause longer than the lease) is logged; the work goes on, and its outcome arrives
 * late (the takeover's record stands).
 */
export async function whileClaimed<T>(core: Core, id: string, work: () => Promise<T>): Promise<T> {
  let renewing = false;
  let lost = false;
  const renew = async () => {
    if (renewing || lost) return;
    renewing = true;
    try {
      const until = new Date(core.clock().getTime() + core.claimLeaseMs);
      if (!(await core.store.renewClaim(id, core.processId, until))) {
        lost = true;
        core.logger.warn(
          { requestId: id },
          'the claim on this Mimecast call was taken over by another process',
        );
      }
    } catch (error) {
      core.logger.warn({ requestId: id, err: error }, 'could not renew the claim on a Mimecast call');
    } finally {
      renewing = false;
    }
  };
  const timer = setInterval(() => void renew(), Math.max(10, Math.floor(core.claimLeaseMs / 3)));
  timer.unref();
  const stop = () => clearInterval(timer);
  core.held.set(id, stop);
  try {
    return await work();
  } finally {
    stop();
    core.held.delete(id);
  }
}

/**
 * Whether a request's claim has run out, so its Mimecast call counts as interrupted: no claim (one
 * taken before claims had leases), or its end has passed. A claim of this process on work still
 * running here never has, whatever its recorded end (a renewal may have failed).
 */
export function claimRanOut(core: Core, request: DelegationRequest, now: Date): boolean {
  if (core.held.has(request.id)) return false;
  return !request.claim || request.claim.until.getTime() <= now.getTime();
}

/**
 * Gives up the claims this process holds, for a stop that cannot wait for their calls to end: their
 * renewals stop and their end is set to now, so another replica takes them over at its next sweep
 * (or, on a single-process store, the next start). Returns the ids given up.
 */
export async function releaseClaims(core: Core): Promise<string[]> {
  const released: string[] = [];
  for (const [id, stopRenewing] of [...core.held]) {
    stopRenewing();
    try {
      if (await core.store.renewClaim(id, core.processId, core.clock())) released.push(id);
    } catch (error) {
      core.logger.warn({ requestId: id, err: error }, 'could not give up the claim on a Mimecast call');
    }
  }
  return released;
}
