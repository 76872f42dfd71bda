import { z } from 'zod';
import { type DelegationRequest, INELIGIBLE_REASONS, REQUEST_STATUSES } from '../requests/model.js';
import type { RequestPatch } from '../requests/ports/index.js';

const date = z.coerce.date();

/** What the store keeps of a request; validated on the way out so a bad row fails loudly, not later. */
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
  failure: z
    .object({
      kind: z.string(),
      message: z.string(),
      code: z.string().optional(),
      requestId: z.string().optional(),
    })
    .optional(),
  endedBy: z.string().optional(),
  endedAt: date.optional(),
  endReason: z.string().optional(),
  remindedAt: date.optional(),
  preexisting: z.boolean().optional(),
  removalAttempts: z.number().int().optional(),
  nextRemovalAt: date.optional(),
  viewId: z.string().optional(),
  ineligible: z.enum(INELIGIBLE_REASONS).optional(),
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
