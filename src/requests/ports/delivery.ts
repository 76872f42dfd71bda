import type { DriftFinding } from '../findings.js';
import type { CardRef, DelegationRequest } from '../model.js';
import type { Notice } from '../notices.js';

/**
 * Puts a notice in front of people (Slack in production). It never writes the store: what it posted
 * comes back in the report, and the notice dispatcher records it. Throws when it could not deliver.
 */
export interface NoticeDelivery {
  deliver(notice: Notice, current: DelegationRequest): Promise<DeliveryReport | undefined>;
  /**
   * The notice will not be tried again (a permanent failure, or its last attempt): what follows it
   * goes out next, so this runs first. `current` is the request as stored now. Its own failure is
   * logged, not retried.
   */
  gaveUp?(
    notice: Notice,
    error: unknown,
    current: DelegationRequest | undefined,
  ): Promise<DeliveryReport | undefined>;
}

/** What a delivery changed that the request should remember. */
export interface DeliveryReport {
  /** The approval card, when this delivery posted it (its updates report nothing). */
  card?: CardRef;
  /** The owner's consent DM, when this delivery posted it: updated once the request is decided. */
  ownerMessage?: CardRef;
  /** Why the card could not be posted at all (Slack's error code), when given up on. */
  cardProblem?: string;
}

/** A delivery failure that says how long to wait, e.g. Slack's Retry-After. */
export interface RetryAfterHint {
  retryAfterMs?: number;
}

/**
 * Tells the admins about a drift finding (Slack in production: a message in the approvers' channel
 * with a Remove button). Throws when it could not; the sweep tries again.
 */
export interface FindingDelivery {
  /** Posts the finding; returns where, so that later changes update that message. */
  announce(finding: DriftFinding): Promise<CardRef>;
  /** Redraws a posted finding as it is now (removed, gone). */
  update(finding: DriftFinding & { message: CardRef }): Promise<void>;
}
