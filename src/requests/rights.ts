import type { Core } from './deps.js';
import { normalizeEmail } from './model.js';
import type { DelegateRight, MimecastFailure, MimecastFailureKind } from './ports/index.js';

/**
 * Reading and removing delegate rights in Mimecast, shared by provisioning, settling, removal and the
 * reconciliation. A right is searched by its grantee (Mimecast stores it against their account) and
 * matched by the mailbox it opens.
 */
export type Search = { ok: true; rights: DelegateRight[] } | { ok: false; failure: MimecastFailure };

/**
 * Searches fail in two ways. These say the search itself is not possible as configured (a permission,
 * an endpoint the tenant lacks, credentials, an answer we cannot read): asking again will not help and
 * a person has to look. The others (rate limit, server error, no answer) may pass.
 */
const SEARCH_REFUSALS: readonly MimecastFailureKind[] = [
  'permission',
  'not_found',
  'authentication',
  'binding_expired',
  'validation',
  'unexpected_response',
];

export function isRefusal(failure: MimecastFailure): boolean {
  return SEARCH_REFUSALS.includes(failure.kind);
}

/** The rights `granteeEmail` holds. A client that throws is a bug of ours: reported as no answer. */
export async function searchRights(core: Core, granteeEmail: string, requestId?: string): Promise<Search> {
  try {
    const found = await core.mimecast.findDelegates(granteeEmail);
    return found.ok ? { ok: true, rights: found.delegates } : { ok: false, failure: found };
  } catch (error) {
    core.logger.error({ ...(requestId ? { requestId } : {}), err: error }, 'Mimecast client threw');
    return {
      ok: false,
      failure: { ok: false, kind: 'outcome_unknown', message: 'The Mimecast search failed unexpectedly.' },
    };
  }
}

/** The right that opens `mailbox`, among those a search listed. */
export function rightFor(rights: readonly DelegateRight[], mailbox: string): DelegateRight | undefined {
  const wanted = normalizeEmail(mailbox);
  return rights.find((right) => normalizeEmail(right.mailbox) === wanted);
}

export type Removal = { ok: true; how: 'removed' | 'already_gone' } | { ok: false; failure: MimecastFailure };

/**
 * Removes a right by id, idempotently: when Mimecast answers "not found" (404, or a code ending in
 * `not_found`) or gives no readable answer, a search by the grantee tells whether the right is still
 * there. Gone counts as removed; still there (or the search failing) is the removal's failure.
 */
export async function removeRight(
  core: Core,
  right: { id: string; granteeEmail: string; mailbox: string },
  requestId?: string,
): Promise<Removal> {
  const about = requestId ? { requestId } : {};
  let outcome: Awaited<ReturnType<Core['mimecast']['removeDelegate']>>;
  try {
    outcome = await core.mimecast.removeDelegate(right.id);
  } catch (error) {
    core.logger.error({ ...about, err: error }, 'Mimecast client threw');
    outcome = { ok: false, kind: 'outcome_unknown', message: 'The Mimecast call failed unexpectedly.' };
  }
  if (outcome.ok) return { ok: true, how: 'removed' };
  const notFound = outcome.kind === 'not_found' || /^err_\w*not_found$/.test(outcome.code ?? '');
  const unknown = outcome.kind === 'outcome_unknown' || outcome.kind === 'unexpected_response';
  if (!notFound && !unknown) return { ok: false, failure: outcome };

  const search = await searchRights(core, right.granteeEmail, requestId);
  if (!search.ok) {
    core.logger.info(
      { ...about, kind: search.failure.kind },
      'could not check whether the removed right is gone',
    );
    return { ok: false, failure: outcome };
  }
  const still = search.rights.some(
    (listed) => listed.id === right.id || normalizeEmail(listed.mailbox) === normalizeEmail(right.mailbox),
  );
  if (still) return { ok: false, failure: outcome };
  core.logger.info({ ...about, answered: outcome.kind }, 'the right was already gone; counted as removed');
  return { ok: true, how: 'already_gone' };
}
