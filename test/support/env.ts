/** A complete, valid environment for config tests and the end-to-end harness. */
export function validEnv(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    SLACK_MODE: 'http',
    SLACK_BOT_TOKEN: 'xoxb-test-bot-token-0001',
    SLACK_SIGNING_SECRET: 'test-signing-secret-0001',
    REQUESTER_GROUP_IDS: 'SREQUESTERS',
    APPROVER_GROUP_IDS: 'SAPPROVERS',
    ADMIN_GROUP_IDS: 'SADMINS',
    APPROVAL_CHANNEL_ID: 'CAPPROVALS',
    MIMECAST_BASE_URL: 'http://127.0.0.1:4010',
    MIMECAST_APP_ID: 'test-app-id',
    MIMECAST_APP_KEY: 'test-app-key',
    MIMECAST_ACCESS_KEY: 'test-access-key',
    MIMECAST_SECRET_KEY: 'U2VjcmV0S2V5',
    DATABASE_PATH: ':memory:',
    ...overrides,
  };
}
