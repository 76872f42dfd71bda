import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';

/**
 * Tells one person something only they see: an ephemeral reply where Slack gave us a response_url
 * (messages, slash commands), a direct message otherwise (App Home has none).
 */
export async function tellPrivately(
  target: { respond?: RespondFn | undefined; client: WebClient; userId: string },
  text: string,
): Promise<void> {
  if (target.respond) {
    await target.respond({ response_type: 'ephemeral', replace_original: false, text });
    return;
  }
  await target.client.chat.postMessage({ channel: target.userId, text });
}
