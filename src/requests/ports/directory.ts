/** Who people are: group membership, profile emails, owners of mailboxes (Slack in production). */
export interface Directory {
  /** True when the user is in at least one of the groups. */
  isMemberOfAny(userId: string, groupIds: readonly string[]): Promise<boolean>;
  /** The email on the user's profile, lower-cased; undefined when there is none or the account is deactivated. */
  emailOf(userId: string): Promise<string | undefined>;
  /** The members of a user group. */
  membersOf(groupId: string): Promise<ReadonlySet<string>>;
  /** The active user whose profile email is this address; undefined when there is none. */
  userWithEmail(email: string): Promise<string | undefined>;
  /** How people know a group, like `@support-team`; undefined when the group is unknown. */
  groupHandle(groupId: string): Promise<string | undefined>;
  /**
   * The user's account as the directory knows it now (cached like emails): whether it is deactivated,
   * and its profile email, lower-cased. Undefined when the directory has no such user.
   */
  profileOf(userId: string): Promise<Profile | undefined>;
}

export interface Profile {
  deactivated: boolean;
  email: string | undefined;
}
