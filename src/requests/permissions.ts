import type { Core } from './deps.js';
import type { DelegationRequest } from './model.js';
import { approverGroupsOf, decisionPath } from './policy.js';

/**
 * Who may do what. Roles come from Slack user groups (the policy names them); a refusal is returned as
 * a typed reason, which the Slack side words. Every verb that acts for a person checks here first.
 */
export type Role = 'requester' | 'approver' | 'admin';

export function hasRole(core: Core, userId: string, role: Role): Promise<boolean> {
  const groups = {
    requester: core.policy.requesterGroupIds,
    // Anyone who approves something: APPROVER_GROUP_IDS and every policy rule's approvers.
    approver: approverGroupsOf(core.approval, core.policy),
    admin: core.policy.adminGroupIds,
  }[role];
  return core.directory.isMemberOfAny(userId, groups);
}

/** May this person decide (or extend) this request: are they one of its rule's approvers? */
export function isApproverOf(core: Core, request: DelegationRequest, userId: string): Promise<boolean> {
  return core.directory.isMemberOfAny(userId, decisionPath(request, core.policy).approverGroupIds);
}

/** Why the service would not do what someone asked. Each verb's result names the ones it can give. */
export type Refusal =
  | 'not_found'
  /** Deciding or extending: only approvers. */
  | 'not_approver'
  /** Deciding or extending one's own request: another approver has to. */
  | 'own_request'
  /** Cancelling: only the requester. Seeing a request: only the requester, approvers and admins. */
  | 'not_yours'
  /** Ending access early: only the grantee. */
  | 'not_grantee'
  /** Admin commands, revoke included. */
  | 'not_admin'
  /** `/delegate policy test`: admins and approvers. */
  | 'not_reviewer'
  /** The owner's Allow and Refuse: only the mailbox's owner. */
  | 'not_owner';

/**
 * May this person see the request? The requester, approvers and admins may; the cheap check first, so
 * a requester looking at their own request costs no group lookup.
 */
export async function maySee(core: Core, request: DelegationRequest, userId: string): Promise<boolean> {
  return (
    request.requesterId === userId ||
    (await hasRole(core, userId, 'approver')) ||
    (await hasRole(core, userId, 'admin'))
  );
}

/** Approvers and admins may see every request; anyone else only their own. */
export async function seesEveryRequest(core: Core, userId: string): Promise<boolean> {
  return (await hasRole(core, userId, 'approver')) || (await hasRole(core, userId, 'admin'));
}

/**
 * The refusal for an id that names no request. Those who see every request are told there is none;
 * anyone else gets `refusal`, the answer they get for a request that is not theirs to act on, so that
 * trying ids tells nobody which exist.
 */
export async function missingRequest<R extends Refusal>(
  core: Core,
  userId: string,
  refusal: R,
): Promise<'not_found' | R> {
  return (await seesEveryRequest(core, userId)) ? 'not_found' : refusal;
}

export const ADMIN_COMMANDS = [
  'pending',
  'active',
  'revoke',
  'audit',
  'health',
  'policy',
  'reconcile',
  'drift',
] as const;
export type AdminCommand = (typeof ADMIN_COMMANDS)[number];

export function isAdminCommand(word: string): word is AdminCommand {
  return (ADMIN_COMMANDS as readonly string[]).includes(word);
}

declare const checked: unique symbol;

/**
 * Proof that an admin's command was checked and audited just now: the admin verbs take one, so none
 * of them can run without the check. Only `authorizeAdmin` makes one.
 */
export interface AdminPermit {
  readonly actor: string;
  readonly command: AdminCommand | ReviewCommand;
  readonly [checked]: true;
}

/** Commands for admins and approvers alike, checked and audited as admin commands are. */
export type ReviewCommand = 'policy test';

export type AdminAuthorization =
  | { ok: true; permit: AdminPermit }
  | { ok: false; reason: Extract<Refusal, 'not_admin'> };

/**
 * Admin commands are for admins only, and audited whether allowed or refused: who looked at what, and
 * who tried to, is part of the record. `target` is what the admin typed after the command (or the
 * request a button names), recorded as given.
 */
export async function authorizeAdmin(
  core: Core,
  userId: string,
  command: AdminCommand,
  target?: string,
): Promise<AdminAuthorization> {
  const allowed = await hasRole(core, userId, 'admin');
  await core.store.appendAudit(
    {
      requestId: target && /^DR-/.test(target) ? target : null,
      actor: userId,
      action: allowed ? 'admin_command' : 'admin_command_refused',
      details: { command, ...(target ? { target } : {}) },
    },
    core.clock(),
  );
  if (!allowed) {
    core.logger.warn({ user: userId, command }, 'non-admin tried an admin command');
    return { ok: false, reason: 'not_admin' };
  }
  return { ok: true, permit: { actor: userId, command } as AdminPermit };
}

export type ReviewAuthorization =
  | { ok: true; permit: AdminPermit }
  | { ok: false; reason: Extract<Refusal, 'not_reviewer'> };

/** A review command (`/delegate policy test`): for admins and approvers, audited like admin commands. */
export async function authorizeReviewer(
  core: Core,
  userId: string,
  command: ReviewCommand,
  target?: string,
): Promise<ReviewAuthorization> {
  const allowed = (await hasRole(core, userId, 'admin')) || (await hasRole(core, userId, 'approver'));
  await core.store.appendAudit(
    {
      requestId: null,
      actor: userId,
      action: allowed ? 'admin_command' : 'admin_command_refused',
      details: { command, ...(target ? { target } : {}) },
    },
    core.clock(),
  );
  if (!allowed) {
    core.logger.warn({ user: userId, command }, 'someone neither admin nor approver tried a review command');
    return { ok: false, reason: 'not_reviewer' };
  }
  return { ok: true, permit: { actor: userId, command } as AdminPermit };
}
