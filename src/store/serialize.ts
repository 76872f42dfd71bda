import { z } from 'zod';
import { type DriftFinding, FINDING_STATUSES } from '../requests/findings.js';
import {
  type DelegationRequest,
  INELIGIBLE_REASONS,
  OWNER_MODES,
  REQUEST_STATUSES,
} from '../requests/model.js';
import type { RequestPatch } from '../requests/ports/index.js';

const date = z.coerce.date();

/** What the store keeps of a request; validated on the way out so a bad row fails loudly, not later. */
const failure = z.object({
  kind: z.string(),
  message: z.string(),
  code: z.string().optional(),
  requestId: z.string().optional(),
});

const requestDoc = z.object({
  id: z.string(),
  status: z.enum(REQUEST_STATUSES),
  requesterId: z.string(),
  granteeEmail: z.string(),
  mailbox: z.string(),
  reason: z.string(),
  durationHours: z.number(),
  createdAt: date,
  updatedAt: date,
  decidedBy: z.string().optional(),
  decidedAt: date.optional(),
  denyReason: z.string().optional(),
  card: z.object({ channel: z.string(), ts: z.string() }).optional(),
  cardProblem: z.string().optional(),
  mimecastId: z.string().optional(),
  grantedAt: date.optional(),
  expiresAt: date.optional(),
  failure: failure.optional(),
  endedBy: z.string().optional(),
  endedAt: date.optional(),
  endReason: z.string().optional(),
  remindedAt: date.optional(),
  preexisting: z.boolean().optional(),
  removalAttempts: z.number().int().optional(),
  nextRemovalAt: date.optional(),
  addAttempt: z.number().int().optional(),
  settleSince: date.optional(),
  settleChecks: z.number().int().optional(),
  nextSettleAt: date.optional(),
  settleProblem: failure.optional(),
  route: z
    .object({
      rule: z.string(),
      policyHash: z.string(),
      approverGroupIds: z.array(z.string()),
      requesterGroupIds: z.array(z.string()).optional(),
      approvals: z.number().int(),
      channelId: z.string(),
      durationChoicesHours: z.array(z.number()),
      owner: z.enum(OWNER_MODES),
      ownerId: z.string().optional(),
      autoApproved: z.boolean().optional(),
    })
    .optional(),
  approvals: z.array(z.object({ by: z.string(), at: date })).optional(),
  ownerAnswer: z.object({ answer: z.enum(['allowed', 'refused']), by: z.string(), at: date }).optional(),
  ownerMessage: z.object({ channel: z.string(), ts: z.string() }).optional(),
  viewId: z.string().optional(),
  ineligible: z.enum(INELIGIBLE_REASONS).optional(),
  claim: z.object({ owner: z.string(), until: date }).optional(),
  version: z.number().int(),
});

export function serializeRequest(request: DelegationRequest): string {
  return JSON.stringify(request);
}

export function parseRequestDoc(text: string): DelegationRequest {
  return parseRequestValue(JSON.parse(text));
}

/** The same check for a document already parsed (PostgreSQL's driver hands jsonb over parsed). */
export function parseRequestValue(value: unknown): DelegationRequest {
  return requestDoc.parse(value) as DelegationRequest;
}

/** The request with a patch applied; a field the patch gives as undefined is removed. */
export function applyPatch(request: DelegationRequest, patch: RequestPatch | undefined): DelegationRequest {
  const next: Record<string, unknown> = { ...request };
  for (const [key, value] of Object.entries(patch ?? {})) {
    if (value === undefined) delete next[key];
    else next[key] = value;
  }
  // Only fields of RequestPatch, each with its own type, were set or removed.
  return next as unknown as DelegationRequest;
}

const findingDoc = z.object({
  id: z.string(),
  kind: z.literal('unmanaged_right'),
  granteeEmail: z.string(),
  mailbox: z.string(),
  mimecastId: z.string(),
  name: z.string().optional(),
  source: z.string().optional(),
  status: z.enum(FINDING_STATUSES),
  foundAt: date,
  lastSeenAt: date,
  message: z.object({ channel: z.string(), ts: z.string() }).optional(),
  removalStartedAt: date.optional(),
  resolvedBy: z.string().optional(),
  resolvedAt: date.optional(),
  version: z.number().int(),
});

export function serializeFinding(finding: DriftFinding): string {
  return JSON.stringify(finding);
}

/** A stored finding, checked on the way out (text from SQLite, or jsonb already parsed by PostgreSQL). */
export function parseFindingValue(value: unknown): DriftFinding {
  return findingDoc.parse(typeof value === 'string' ? JSON.parse(value) : value) as DriftFinding;
}
