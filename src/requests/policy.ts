/**
 * Who may do what, and what may be asked for. Today one policy for every mailbox, built from the
 * settings; a policy per mailbox (issue 12) resolves to the same shape for the mailbox at hand.
 */
export interface AccessPolicy {
  requesterGroupIds: readonly string[];
  approverGroupIds: readonly string[];
  adminGroupIds: readonly string[];
  /** Lower-case domains the requested mailbox may belong to; empty means any. */
  allowedEmailDomains: readonly string[];
  durationChoicesHours: readonly number[];
  defaultDurationHours: number;
  /** A pending request expires after this long without a decision. */
  requestTtlHours: number;
  /** Approvers are reminded of a pending request this long after it was made, and again each interval. */
  reminderAfterHours: number;
}
