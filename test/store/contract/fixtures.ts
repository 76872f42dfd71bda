import type { DelegationRequest } from '../../../src/requests/model.js';

/** The requests and events every part of the contract starts from. */
export const AT = new Date('2026-11-28T10:00:00.000Z');

export function request(id = 'DR-AAAAAA', overrides: Partial<DelegationRequest> = {}): DelegationRequest {
  return {
    id,
    status: 'pending',
    requesterId: 'UALICE',
    granteeEmail: 'alice@example.com',
    mailbox: 'sales@example.com',
    reason: 'cover',
    durationHours: 24,
    createdAt: AT,
    updatedAt: AT,
    version: 1,
    ...overrides,
  };
}

export const submitted = (id: string) => ({
  requestId: id,
  actor: 'UALICE',
  action: 'submitted',
  toStatus: 'pending' as const,
});

export const key = (notice: { requestId: string; target: string }) => `${notice.requestId}:${notice.target}`;
export const later = (ms: number) => new Date(AT.getTime() + ms);
