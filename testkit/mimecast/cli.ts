/**
 * Runs the Mimecast simulator for local development: `npm run sim:mimecast`
 * (`tsx testkit/mimecast/cli.ts`).
 * PORT picks the port (default 4010); HOST the interface (default 127.0.0.1).
 * It prints the settings to point the bot at it, then one line per request it receives.
 */
import { startMimecastSimulator } from './index.js';

const EXAMPLE_MAILBOXES = [
  'alice@example.com',
  'bob@example.com',
  'carol@example.com',
  'sales@example.com',
  'ceo@example.com',
  'info@example.com',
];

const port = Number(process.env.PORT ?? 4010);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be a port number, not "${process.env.PORT}"`);
  process.exit(1);
}

const simulator = await startMimecastSimulator({
  port,
  host: process.env.HOST ?? '127.0.0.1',
  mailboxes: EXAMPLE_MAILBOXES,
  onCall: (call) => {
    const auth = call.authOk ? 'auth ok' : 'auth refused';
    console.log(
      `${call.at.toISOString()} ${call.method} ${call.path} -> ${call.status || 'dropped'} (${auth})`,
    );
  },
});

const { hmac, oauth } = simulator.credentials;
console.log(`Mimecast simulator listening on ${simulator.url}
Known mailboxes: ${EXAMPLE_MAILBOXES.join(', ')}

# Settings for the bot. Use ONE set of credentials: the bot refuses both at once.
MIMECAST_BASE_URL=${simulator.url}
# API 2.0 (OAuth client credentials)
MIMECAST_CLIENT_ID=${oauth.clientId}
MIMECAST_CLIENT_SECRET=${oauth.clientSecret}
# or API 1.0 (HMAC keys): comment out the two lines above and uncomment these
# MIMECAST_APP_ID=${hmac.appId}
# MIMECAST_APP_KEY=${hmac.appKey}
# MIMECAST_ACCESS_KEY=${hmac.accessKey}
# MIMECAST_SECRET_KEY=${hmac.secretKey}
`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void simulator.close().then(() => process.exit(0));
  });
}
