/** Who people are: group membership and profile emails (Slack in production). */
export interface Directory {
  /** True when the user is in at least one of the groups. */
  isMemberOfAny(userId: string, groupIds: readonly string[]): Promise<boolean>;
  /** The email on the user's profile, lower-cased; undefined when there is none. */
  emailOf(userId: string): Promise<string | undefined>;
}
