/** What the request lifecycle needs from the world, as interfaces so tests drive it with fakes. */

/** Who people are: group membership and profile emails (Slack in production). */
export interface Directory {
  /** True when the user is in at least one of the groups. */
  isMemberOfAny(userId: string, groupIds: readonly string[]): Promise<boolean>;
  /** The email on the user's profile, lower-cased; undefined when there is none. */
  emailOf(userId: string): Promise<string | undefined>;
}

export type Clock = () => Date;

/** Who may do what, and what may be asked for. */
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
