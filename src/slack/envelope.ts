import { parse as parseQuery } from 'node:querystring';
import { z } from 'zod';

/**
 * The outer shape of every payload the bot accepts, checked before Bolt reads it. Bolt dereferences
 * fields of a body without checking them (a body of `null`, an `event` that is not an object, a `view`
 * of the wrong type throw outside any listener), so only these shapes reach it; every other signed
 * body is refused with 400 and nothing runs. The listeners then validate the fields they use
 * (payloads.ts).
 *
 * What is accepted is what the app's manifest asks Slack for: the `/delegate` slash command, block
 * actions and view submissions (interactivity), and the events the manifest subscribes to. Subscribe
 * to a new event in manifest.yml and add it to SUBSCRIBED_EVENTS (a test checks the two agree).
 */
export const SUBSCRIBED_EVENTS = ['app_home_opened'] as const;

const slackId = z.string().min(1).max(64);
const optionalText = z.string().optional();
/** Where an answer is posted (Slack's hooks.slack.com; the simulator's own in tests). */
const responseUrl = z.url({ protocol: /^https?$/ }).optional();
/** An object whose other fields are not read here (their shape is checked where they are used). */
const record = z.looseObject({});

const slashCommand = z.looseObject({
  command: z.string().min(1),
  team_id: slackId,
  user_id: slackId,
  enterprise_id: slackId.optional(),
  api_app_id: slackId.optional(),
  is_enterprise_install: z.enum(['true', 'false']).optional(),
  channel_id: optionalText,
  text: optionalText,
  trigger_id: optionalText,
  response_url: responseUrl,
});

const team = z.looseObject({ id: slackId, enterprise_id: slackId.nullish() }).nullable();
const view = z.looseObject({
  id: slackId,
  type: optionalText,
  callback_id: optionalText,
  app_installed_team_id: slackId.optional(),
  private_metadata: optionalText,
  state: z.looseObject({ values: z.record(z.string(), z.record(z.string(), record)) }).optional(),
});

/** Fields every interaction payload carries, in the types Bolt reads them as. */
const interaction = {
  team: team.optional(),
  user: z.looseObject({ id: slackId, team_id: slackId.optional() }),
  enterprise: z.looseObject({ id: slackId }).nullish(),
  api_app_id: slackId.optional(),
  is_enterprise_install: z.boolean().optional(),
  trigger_id: optionalText,
  response_url: responseUrl,
};

const blockActions = z.looseObject({
  type: z.literal('block_actions'),
  ...interaction,
  actions: z
    .array(
      z.looseObject({
        action_id: z.string(),
        block_id: optionalText,
        value: optionalText,
        selected_option: record.nullish(),
      }),
    )
    .min(1),
  channel: z.looseObject({ id: z.string() }).optional(),
  container: record.optional(),
  message: record.optional(),
  view: view.optional(),
  state: record.optional(),
});

const viewSubmission = z.looseObject({
  type: z.enum(['view_submission', 'view_closed']),
  ...interaction,
  view: view.extend({ callback_id: z.string() }),
  response_urls: z.array(record).optional(),
});

const eventCallback = z.looseObject({
  type: z.literal('event_callback'),
  team_id: slackId,
  api_app_id: slackId.optional(),
  enterprise_id: slackId.nullish(),
  event_id: optionalText,
  authorizations: z
    .array(
      z.looseObject({
        team_id: slackId.nullable(),
        enterprise_id: slackId.nullable(),
        is_enterprise_install: z.boolean().optional(),
      }),
    )
    .optional(),
  // The fields Bolt looks into, whatever the event type, in the types it expects.
  event: z.looseObject({
    type: z.enum(SUBSCRIBED_EVENTS),
    user: z.union([z.string(), z.looseObject({ id: z.string() })]).optional(),
    channel: z.union([z.string(), record]).optional(),
    channel_id: optionalText,
    item: record.optional(),
    subteam: record.optional(),
    message: record.optional(),
    previous_message: record.optional(),
    assistant_thread: record.optional(),
    view: record.optional(),
    tab: optionalText,
  }),
});

const urlVerification = z.looseObject({ type: z.literal('url_verification'), challenge: z.string() });
/** Slack's notice that it is holding back events (no listener; answered and logged). */
const rateLimited = z.looseObject({ type: z.literal('app_rate_limited'), team_id: slackId.optional() });

export type SlashCommandEnvelope = z.infer<typeof slashCommand>;
export type InteractionEnvelope = z.infer<typeof blockActions> | z.infer<typeof viewSubmission>;
export type EventEnvelope = z.infer<typeof eventCallback>;

/** A payload the bot accepts, by kind. */
export type Envelope =
  | { kind: 'command'; body: SlashCommandEnvelope }
  | { kind: 'interaction'; body: InteractionEnvelope }
  | { kind: 'event'; body: EventEnvelope }
  | { kind: 'url_verification' }
  | { kind: 'rate_limited' };

export type EnvelopeReading = { ok: true; envelope: Envelope } | { ok: false; problem: string };

/**
 * A body as Slack sends it: a form (a slash command, or `payload=` with an interaction as JSON) or JSON
 * (events). `text` is the body, already checked against the body limit and the signature.
 */
export function readEnvelope(format: 'form' | 'json', text: string): EnvelopeReading {
  if (format === 'json') {
    const parsed = parseJson(text);
    return parsed.ok ? classify(parsed.value, 'json') : parsed;
  }
  const form = parseQuery(text);
  if (form.payload === undefined) return classify({ ...form }, 'form');
  if (typeof form.payload !== 'string') return { ok: false, problem: 'more than one payload field' };
  const parsed = parseJson(form.payload);
  return parsed.ok ? classify(parsed.value, 'payload') : parsed;
}

/**
 * The same check of a body already parsed (Socket Mode hands them over parsed): which kind of payload
 * it is, and whether it has the shape Bolt and the listeners read.
 */
export function classify(value: unknown, source: 'form' | 'payload' | 'json' | 'socket'): EnvelopeReading {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: `the body is ${describeJson(value)}, not an object` };
  }
  const body = value as Record<string, unknown>;
  const command = source === 'form' || (source === 'socket' && 'command' in body);
  if (command) return checked(slashCommand, body, (b) => ({ kind: 'command', body: b }));
  switch (body.type) {
    case 'block_actions':
      return checked(blockActions, body, (b) => ({ kind: 'interaction', body: b }));
    case 'view_submission':
    case 'view_closed':
      return checked(viewSubmission, body, (b) => ({ kind: 'interaction', body: b }));
    case 'event_callback':
      return checked(eventCallback, body, (b) => ({ kind: 'event', body: b }));
    case 'url_verification':
      return checked(urlVerification, body, () => ({ kind: 'url_verification' }));
    case 'app_rate_limited':
      return checked(rateLimited, body, () => ({ kind: 'rate_limited' }));
    default:
      return {
        ok: false,
        problem:
          typeof body.type === 'string'
            ? `payload type ${JSON.stringify(body.type.slice(0, 40))} is not one the bot takes`
            : `payload type is ${describeJson(body.type)}: not a payload the bot takes`,
      };
  }
}

function checked<S extends z.ZodType>(
  schema: S,
  body: unknown,
  wrap: (parsed: z.infer<S>) => Envelope,
): EnvelopeReading {
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, envelope: wrap(result.data) };
  const [issue] = result.error.issues;
  return {
    ok: false,
    problem: `unexpected shape: ${issue ? `${issue.path.join('.') || '(body)'} ${issue.message}` : 'invalid'}`,
  };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, problem: 'the body is not valid JSON' };
  }
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
