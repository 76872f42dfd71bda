/**
 * The syntax of values people write in the settings and in the policy file, checked the same way in
 * both: Slack ids and durations.
 */

export const SLACK_GROUP_ID = /^S[A-Z0-9]{2,}$/;
export const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;

/** Parses "1d", "7d", "12h", "permanent" into hours (0 = permanent). */
export function parseDuration(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  if (value === 'permanent') return 0;
  const match = /^(\d{1,4})([hd])$/.exec(value);
  if (!match) return undefined;
  const amount = Number(match[1]);
  if (amount <= 0) return undefined;
  return match[2] === 'd' ? amount * 24 : amount;
}
