import { ErrorCode } from '@slack/web-api';

/** The `error` of a Web API call Slack refused (e.g. `channel_not_found`); undefined for other failures. */
export function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { code?: string; data?: { error?: unknown } } | undefined) ?? {};
  if (data.code !== ErrorCode.PlatformError) return undefined;
  return typeof data.data?.error === 'string' ? data.data.error : undefined;
}

/** In place of Slack's error code when Slack gave none (no answer, a network error) until the last try. */
export const NO_ANSWER = 'no_answer';

const CHANNEL_ERRORS = new Set(['channel_not_found', 'not_in_channel', 'is_archived']);

/** The channel is missing, archived, or the bot is not in it: only an operator can fix that. */
export function isChannelProblem(code: string): boolean {
  return CHANNEL_ERRORS.has(code);
}

/**
 * A trigger id lives about 3 seconds and opens one view. When the bot was slower than that (a burst
 * of requests, a slow Slack), the person is asked to try again rather than told something broke.
 */
export function isLateTrigger(error: unknown): boolean {
  const code = slackErrorCode(error);
  return code === 'expired_trigger_id' || code === 'exchanged_trigger_id';
}
