/** What the Slack simulator's tests share: a quiet WebClient on the simulator, a seeded workspace, builders. */
import { type Logger, LogLevel } from '@slack/bolt';
import type { Button, SectionBlock } from '@slack/types';
import { ErrorCode, WebClient } from '@slack/web-api';
import {
  isJsonObject,
  type JsonObject,
  type SlackSimulator,
  startSlackSimulator,
} from '../../../testkit/slack/index.js';

export const BOT_TOKEN = 'xoxb-simulated-bot-token';

// WebClient logs every `[ERROR]` in response_metadata; the refusals here are expected, so keep them quiet.
const quietLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

/** A WebClient on the simulator; `token: null` sends no token at all. */
export function webClient(
  simulator: SlackSimulator,
  options: { token?: string | null; rejectRateLimitedCalls?: boolean } = {},
) {
  return new WebClient(options.token === null ? undefined : (options.token ?? BOT_TOKEN), {
    slackApiUrl: simulator.apiUrl,
    retryConfig: { retries: 0 },
    logger: quietLogger,
    rejectRateLimitedCalls: options.rejectRateLimitedCalls ?? false,
  });
}

export const SIGNING_SECRET = 'simulated-signing-secret';

/** The `data` of a Slack platform error (`{ ok: false, error, … }`), failing the test if the call succeeded. */
export async function slackError(call: Promise<unknown>): Promise<JsonObject> {
  try {
    await call;
  } catch (error) {
    if (isJsonObject(error) && error.code === ErrorCode.PlatformError && isJsonObject(error.data))
      return error.data;
    throw error;
  }
  throw new Error('expected the Slack call to fail');
}

export function metadataMessages(data: JsonObject): unknown {
  return isJsonObject(data.response_metadata) ? data.response_metadata.messages : undefined;
}

export function section(text: string, blockId?: string): SectionBlock {
  return { type: 'section', ...(blockId ? { block_id: blockId } : {}), text: { type: 'mrkdwn', text } };
}

export function button(actionId: string, text: string, value?: string): Button {
  return {
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text },
    ...(value ? { value } : {}),
  };
}

export function modal(overrides: JsonObject = {}): JsonObject {
  return {
    type: 'modal',
    callback_id: 'request_modal',
    title: { type: 'plain_text', text: 'Request access' },
    submit: { type: 'plain_text', text: 'Submit' },
    blocks: [
      {
        type: 'input',
        block_id: 'reason',
        label: { type: 'plain_text', text: 'Why?' },
        element: { type: 'plain_text_input', action_id: 'reason_input', multiline: true },
      },
    ],
    ...overrides,
  };
}

export function collectFirstText(blocks: JsonObject[] | undefined): unknown {
  const first = blocks?.[0];
  return isJsonObject(first) && isJsonObject(first.text) ? first.text.text : undefined;
}

/** The workspace the Web API tests share: bot UBOT in team T1, users U1 to U4 (U3 deactivated), C1, S1. */
export async function startSeededSimulator(): Promise<SlackSimulator> {
  const sim = await startSlackSimulator({
    botToken: BOT_TOKEN,
    botUserId: 'UBOT',
    botId: 'BBOT',
    teamId: 'T1',
  });
  sim.addUser({ id: 'U1', name: 'alice', realName: 'Alice Liddell', email: 'alice@example.com' });
  sim.addUser({ id: 'U2', name: 'bob' });
  sim.addUser({ id: 'U3', name: 'gone', deleted: true });
  sim.addUser({ id: 'U4', name: 'carol' });
  sim.addChannel('C1', 'approvals');
  sim.setUsergroup('S1', ['U1', 'U2']);
  return sim;
}
