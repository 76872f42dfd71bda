/**
 * Signed bodies of any shape and content type sent to the HTTP receiver (issue 14, item 2). A signed
 * body of `payload=null` or JSON `null` used to make Bolt throw outside any handler, and the process
 * exited. Now every body is refused before Bolt reads it (400, nothing changed) or handled, and the
 * process goes on serving. The property tests send arbitrary JSON shapes, whole and spliced into real
 * payloads.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { describeErrors, payloadBody, stillServes, storeSnapshot } from '../support/fault-tools.js';
import { cardOf, type Harness, startHarness, submitRequest, USERS } from '../support/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const RUNS = 60;

/** Sends `body` signed correctly, with this content type (or none). */
function sendSigned(h: Harness, body: string, contentType: string | null) {
  return contentType === null ? sendWithoutContentType(h, body) : h.driver.send(body, { contentType });
}

/** fetch always sets a content type for a string body; this sends none at all. */
async function sendWithoutContentType(h: Harness, body: string) {
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await fetch(`http://127.0.0.1:${h.port}/slack/events`, {
    method: 'POST',
    headers: {
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': h.driver.sign(timestamp, body),
    },
    body: new Blob([body]),
  });
  return { status: response.status, text: await response.text() };
}

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/** Dave (in no group) and the payloads Slack would send for him: what the mutations start from. */
function realPayloads(
  h: Harness,
): { body: Record<string, unknown>; format: 'payload' | 'command' | 'json' }[] {
  const team = { id: h.sim.teamId, domain: h.sim.teamDomain };
  const user = { id: USERS.dave.id, username: 'dave', name: 'dave', team_id: h.sim.teamId };
  return [
    {
      format: 'payload',
      body: {
        type: 'block_actions',
        user,
        api_app_id: h.sim.appId,
        team,
        enterprise: null,
        is_enterprise_install: false,
        trigger_id: h.sim.createTrigger({ userId: USERS.dave.id }),
        channel: { id: 'CAPPROVALS', name: 'mailbox-access' },
        container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'CAPPROVALS' },
        response_url: h.sim.createResponseUrl({ userId: USERS.dave.id, channelId: 'CAPPROVALS' }),
        actions: [{ action_id: 'approve_request', block_id: 'decision', type: 'button', value: 'DR-AAAAAA' }],
      },
    },
    {
      format: 'payload',
      body: {
        type: 'view_submission',
        user,
        team,
        api_app_id: h.sim.appId,
        trigger_id: h.sim.createTrigger({ userId: USERS.dave.id }),
        view: {
          id: 'VFUZZ0001',
          type: 'modal',
          callback_id: 'delegate_request',
          private_metadata: '',
          state: {
            values: {
              mailbox: { mailbox_input: { type: 'email_text_input', value: 'sales@example.com' } },
              reason: { reason_input: { type: 'plain_text_input', value: 'fuzzing' } },
            },
          },
        },
        response_urls: [],
      },
    },
    {
      format: 'command',
      body: {
        command: '/delegate',
        text: 'status DR-AAAAAA',
        team_id: h.sim.teamId,
        user_id: USERS.dave.id,
        api_app_id: h.sim.appId,
        channel_id: 'DUDAVE',
        trigger_id: h.sim.createTrigger({ userId: USERS.dave.id }),
        response_url: h.sim.createResponseUrl({ userId: USERS.dave.id }),
      },
    },
    {
      format: 'json',
      body: {
        type: 'event_callback',
        team_id: h.sim.teamId,
        api_app_id: h.sim.appId,
        event_id: 'Ev0FUZZ',
        event: { type: 'app_home_opened', user: USERS.dave.id, channel: 'DUDAVE', tab: 'home' },
        authorizations: [{ team_id: h.sim.teamId, enterprise_id: null, is_enterprise_install: false }],
      },
    },
  ];
}

/** Every path to a value inside `value`, as lists of keys. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, inner]) => pathsOf(inner, [...prefix, key]))];
}

/** `value` with the thing at `path` replaced (or the whole value, for the empty path). */
function splice(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = JSON.parse(JSON.stringify(value)) as Record<string | number, unknown>;
  let at: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path.at(-1)!] = replacement;
  return copy;
}

function encode(
  format: 'payload' | 'command' | 'json',
  value: unknown,
): { body: string; contentType: string } {
  if (format === 'json') return { body: JSON.stringify(value), contentType: JSON_TYPE };
  if (format === 'payload') return { body: payloadBody(value), contentType: FORM };
  // A slash command is a form of strings: other JSON values are written as their JSON text.
  const fields = typeof value === 'object' && value !== null && !Array.isArray(value) ? value : { value };
  const form = new URLSearchParams();
  for (const [key, inner] of Object.entries(fields))
    form.set(key, typeof inner === 'string' ? inner : JSON.stringify(inner));
  return { body: form.toString(), contentType: FORM };
}

describe('signed bodies of every JSON type and content type', () => {
  it('are refused before Bolt reads them (400), change nothing, and the process goes on serving', async () => {
    h = await startHarness();
    const bobs = await submitRequest(h, USERS.bob.id, 'sales@example.com');
    await cardOf(h, bobs.id);
    await h.bot.idle();
    const before = await storeSnapshot(h);
    const slackCalls = h.sim.calls.length;

    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const cases: [string, string | null, string][] = [
      // Interactions as forms, with a payload that is not an object.
      ['payload=null', FORM, 'payload=null'],
      ['payload=42', FORM, 'payload=42'],
      ['payload="text"', FORM, 'payload=%22text%22'],
      ['payload=[]', FORM, 'payload=%5B%5D'],
      ['payload=nested arrays', FORM, `payload=${encodeURIComponent('[[[{"type":"block_actions"}]]]')}`],
      ['payload=', FORM, 'payload='],
      ['payload=broken escape', FORM, 'payload=%ZZ%7B'],
      ['two payloads', FORM, 'payload=%7B%7D&payload=%7B%7D'],
      ['a form that is no command', FORM, 'a=1&b=2'],
      ['an empty form', FORM, ''],
      // Events as JSON, of every JSON type.
      ['JSON null', JSON_TYPE, 'null'],
      ['JSON number', JSON_TYPE, '42'],
      ['JSON string', JSON_TYPE, '"text"'],
      ['JSON true', JSON_TYPE, 'true'],
      ['JSON array', JSON_TYPE, '[{"type":"event_callback"}]'],
      ['JSON nested 20 000 deep', JSON_TYPE, deep],
      ['JSON event that is null', JSON_TYPE, '{"type":"event_callback","team_id":"T0SIMTEAM","event":null}'],
      [
        'JSON event item that is a string',
        JSON_TYPE,
        '{"type":"event_callback","team_id":"T0SIMTEAM","event":{"type":"app_home_opened","item":"x"}}',
      ],
      ['JSON empty object', JSON_TYPE, '{}'],
      ['not JSON', JSON_TYPE, '{"type":'],
      ['an empty JSON body', JSON_TYPE, ''],
      // Content types Slack never sends, with bodies Bolt would otherwise read.
      ['text/plain', 'text/plain', JSON.stringify({ type: 'event_callback', team_id: 'T0SIMTEAM' })],
      ['no content type', null, 'payload=null'],
      [
        'multipart',
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="payload"\r\n\r\nnull\r\n--x--',
      ],
      ['a garbage charset', `${FORM}; charset=garbage`, 'payload=null'],
      ['UTF-16 JSON', `${JSON_TYPE}; charset=utf-16`, 'null'],
      ['a form type with a suffix', `${FORM}x`, 'payload=null'],
    ];
    const answers: string[] = [];
    for (const [what, contentType, body] of cases) {
      const answer = await sendSigned(h, body, contentType);
      answers.push(`${what}: ${answer.status}`);
    }
    expect(answers).toEqual(cases.map(([what]) => `${what}: 400`));

    // A charset that is UTF-8 is fine.
    const event = JSON.stringify({
      type: 'event_callback',
      team_id: h.sim.teamId,
      api_app_id: h.sim.appId,
      event: { type: 'app_home_opened', user: USERS.alice.id, channel: 'DUALICE', tab: 'home' },
    });
    expect((await h.driver.send(event, { contentType: `${JSON_TYPE}; charset=utf-8` })).status).toBe(200);
    await h.sim.waitFor(() => h.sim.homeViews.get(USERS.alice.id));

    await h.bot.idle();
    expect(await storeSnapshot(h)).toEqual(before);
    // Only the Home tab just asked for was published.
    expect(h.sim.calls.slice(slackCalls).map((call) => call.method)).not.toContain('chat.postMessage');
    expect(describeErrors(h)).toEqual([]);
    expect(h.logLines.filter((line) => line.includes('Slack request refused')).length).toBeGreaterThanOrEqual(
      cases.length,
    );
    await stillServes(h);
  });
});

describe('property: signed bodies of arbitrary JSON shapes', () => {
  it('whole bodies of any JSON value, as events and as interaction payloads: refused or answered, nothing changes', async () => {
    h = await startHarness();
    const bobs = await submitRequest(h, USERS.bob.id, 'sales@example.com');
    await cardOf(h, bobs.id);
    await h.bot.idle();
    const before = await storeSnapshot(h);

    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 6 }),
        fc.constantFrom('json', 'payload', 'command'),
        async (value, format) => {
          const { body, contentType } = encode(format as 'json' | 'payload' | 'command', value);
          const answer = await h.driver.send(body, { contentType });
          expect([200, 400, 403]).toContain(answer.status);
        },
      ),
      { numRuns: RUNS },
    );

    await h.bot.idle();
    expect(await storeSnapshot(h)).toEqual(before);
    expect(describeErrors(h)).toEqual([]);
    await stillServes(h);
  });

  it('real payloads with any part replaced by any JSON value: refused or answered in time, nothing changes', async () => {
    h = await startHarness();
    const bobs = await submitRequest(h, USERS.bob.id, 'sales@example.com');
    await cardOf(h, bobs.id);
    await h.bot.idle();
    const before = await storeSnapshot(h);
    const paths = realPayloads(h).map((base) => pathsOf(base.body));

    await fc.assert(
      fc.asyncProperty(
        fc
          .nat({ max: paths.length - 1 })
          .chain((index) =>
            fc.tuple(fc.constant(index), fc.constantFrom(...paths[index]!), fc.jsonValue({ maxDepth: 4 })),
          ),
        async ([index, path, replacement]) => {
          // Fresh trigger ids and response URLs each time, as Slack's would be.
          const base = realPayloads(h)[index]!;
          const { body, contentType } = encode(base.format, splice(base.body, path, replacement));
          const answer = await h.driver.send(body, { contentType });
          // Slack waits 3 seconds for an answer: every body gets one well within that.
          expect(answer.elapsedMs).toBeLessThan(2500);
          expect([200, 400, 403]).toContain(answer.status);
        },
      ),
      { numRuns: RUNS * 2 },
    );

    await h.bot.idle();
    expect(await storeSnapshot(h)).toEqual(before);
    expect(describeErrors(h)).toEqual([]);
    await stillServes(h);
  });
});
