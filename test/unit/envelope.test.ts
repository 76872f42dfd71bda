import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { readEnvelope, SUBSCRIBED_EVENTS } from '../../src/slack/envelope.js';
import { checkOrigin, type Installation } from '../../src/slack/origin.js';

const manifest = z
  .object({ settings: z.object({ event_subscriptions: z.object({ bot_events: z.array(z.string()) }) }) })
  .parse(parseYaml(readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8')));

const form = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

describe('the payloads the bot takes (envelope.ts)', () => {
  it('takes exactly the events manifest.yml subscribes to', () => {
    expect([...SUBSCRIBED_EVENTS].sort()).toEqual(
      [...manifest.settings.event_subscriptions.bot_events].sort(),
    );
  });

  it.each([
    ['json', 'null', 'the body is null, not an object'],
    ['json', '42', 'the body is a number, not an object'],
    ['json', '"text"', 'the body is a string, not an object'],
    ['json', '[{"type":"event_callback"}]', 'the body is an array, not an object'],
    ['json', '{not json', 'the body is not valid JSON'],
    ['json', '{}', 'payload type is missing: not a payload the bot takes'],
    ['json', '{"type":7}', 'payload type is a number: not a payload the bot takes'],
    ['json', '{"type":"event_callback","team_id":"T1","event":null}', 'unexpected shape: event'],
    [
      'json',
      '{"type":"event_callback","team_id":"T1","event":{"type":"message"}}',
      'unexpected shape: event.type',
    ],
    [
      'json',
      '{"type":"event_callback","team_id":"T1","event":{"type":"app_home_opened","item":"x"}}',
      'unexpected shape: event.item',
    ],
    ['form', 'payload=null', 'the body is null, not an object'],
    ['form', 'payload=%5B%5D', 'the body is an array, not an object'],
    ['form', 'payload=1&payload=2', 'more than one payload field'],
    ['form', form({ type: 'shortcut' }), 'payload type "shortcut" is not one the bot takes'],
    ['form', form({ type: 'block_actions', user: { id: 'U1' }, actions: [] }), 'unexpected shape: actions'],
    [
      'form',
      form({ type: 'block_actions', user: null, actions: [{ action_id: 'x' }] }),
      'unexpected shape: user',
    ],
    ['form', form({ type: 'view_submission', user: { id: 'U1' }, view: 'V1' }), 'unexpected shape: view'],
    ['form', 'command=%2Fdelegate&user_id=U1', 'unexpected shape: team_id'],
    ['form', 'command=%2Fdelegate&team_id=T1&user_id=U1&text=a&text=b', 'unexpected shape: text'],
  ] as const)('refuses a %s body %s', (format, body, problem) => {
    const reading = readEnvelope(format, body);
    expect(reading.ok).toBe(false);
    if (!reading.ok)
      expect(reading.problem).toMatch(new RegExp(`^${problem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('takes a command, a click, a form submission, an event and Slack’s handshakes', () => {
    const kinds = [
      readEnvelope('form', 'command=%2Fdelegate&team_id=T1&user_id=U1&text=help&api_app_id=A1'),
      readEnvelope(
        'form',
        form({
          type: 'block_actions',
          team: { id: 'T1' },
          user: { id: 'U1' },
          actions: [{ action_id: 'x' }],
        }),
      ),
      readEnvelope(
        'form',
        form({
          type: 'view_submission',
          team: null,
          user: { id: 'U1' },
          view: { id: 'V1', callback_id: 'c' },
        }),
      ),
      readEnvelope(
        'json',
        JSON.stringify({
          type: 'event_callback',
          team_id: 'T1',
          event: { type: 'app_home_opened', user: 'U1' },
        }),
      ),
      readEnvelope('json', JSON.stringify({ type: 'url_verification', challenge: 'abc' })),
      readEnvelope(
        'json',
        JSON.stringify({ type: 'app_rate_limited', team_id: 'T1', minute_rate_limited: 1 }),
      ),
    ];
    expect(kinds.map((k) => (k.ok ? k.envelope.kind : k.problem))).toEqual([
      'command',
      'interaction',
      'interaction',
      'event',
      'url_verification',
      'rate_limited',
    ]);
  });
});

describe('whose payloads are taken (origin.ts)', () => {
  const workspace: Installation = {
    teamId: 'T1',
    enterpriseId: undefined,
    enterpriseInstall: false,
    appId: 'A1',
  };
  const orgWide: Installation = { teamId: 'T1', enterpriseId: 'E1', enterpriseInstall: true, appId: 'A1' };
  const click = (fields: Record<string, unknown>) => {
    const reading = readEnvelope(
      'form',
      form({
        type: 'block_actions',
        user: { id: 'U1' },
        actions: [{ action_id: 'x' }],
        api_app_id: 'A1',
        ...fields,
      }),
    );
    if (!reading.ok) throw new Error(reading.problem);
    return reading.envelope;
  };

  it('a workspace install takes its own workspace only', () => {
    expect(checkOrigin(click({ team: { id: 'T1' } }), workspace)).toEqual({ ok: true });
    expect(checkOrigin(click({ team: { id: 'T2' } }), workspace)).toMatchObject({
      ok: false,
      reason: 'foreign_workspace',
    });
    expect(checkOrigin(click({ team: null }), workspace)).toMatchObject({
      ok: false,
      reason: 'no_workspace',
    });
    expect(checkOrigin(click({ team: { id: 'T1' }, enterprise: { id: 'E9' } }), workspace)).toMatchObject({
      ok: false,
      reason: 'foreign_enterprise',
    });
    expect(checkOrigin(click({ team: { id: 'T1' }, api_app_id: 'A2' }), workspace)).toMatchObject({
      ok: false,
      reason: 'foreign_app',
    });
  });

  it('an org-wide install takes any workspace of its org, and no other org', () => {
    expect(checkOrigin(click({ team: null, enterprise: { id: 'E1' } }), orgWide)).toEqual({ ok: true });
    expect(
      checkOrigin(click({ team: { id: 'T7', enterprise_id: 'E1' }, enterprise: { id: 'E1' } }), orgWide),
    ).toEqual({
      ok: true,
    });
    expect(checkOrigin(click({ team: null, enterprise: { id: 'E2' } }), orgWide)).toMatchObject({
      ok: false,
      reason: 'foreign_enterprise',
    });
    expect(checkOrigin(click({ team: { id: 'T1' } }), orgWide)).toMatchObject({
      ok: false,
      reason: 'no_workspace',
    });
  });

  it('with the app id unknown, only the workspace is checked', () => {
    const unknownApp = { ...workspace, appId: undefined };
    expect(checkOrigin(click({ team: { id: 'T1' }, api_app_id: 'A2' }), unknownApp)).toEqual({ ok: true });
    expect(checkOrigin(click({ team: { id: 'T2' } }), unknownApp)).toMatchObject({ ok: false });
  });
});
