import type { Core } from './deps.js';
import type { DelegationRequest } from './model.js';

/**
 * Who may do what. Roles come from Slack user groups (the policy names them); a refusal is returned as
 * a typed reason, which the Slack side words. Every verb that acts for a person checks here first.
 */
export type Role = 'requester' | 'approver' | 'admin';

export function hasRole(core: Core, userId: string, role: Role): Promise<boolean> {
  const groups = {
    requester: core.policy.requesterGroupIds,
    approver: core.policy.approverGroupIds,
    admin: core.policy.adminGroupIds,
  }[role];
  return core.directory.isMemberOfAny(userId, groups);
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
  | 'not_admin';

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

export const ADMIN_COMMANDS = [
  'pending',
  'active',
  'revoke',
  'audit',
  'health',
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
  readonly command: AdminCommand;
  readonly [checked]: true;
}

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
