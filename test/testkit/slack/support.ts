/**
 * What the Slack simulator's Web API tests share: a quiet WebClient on the simulator, its errors, and a
 * seeded workspace. Only @slack/web-api is loaded: each test file pays for what it imports.
 */
import { ErrorCode, type Logger, LogLevel, WebClient } from '@slack/web-api';
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
