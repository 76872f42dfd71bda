/** The driver's other transport: an interaction sent as a Socket Mode envelope instead of a signed request. */
import type { JsonObject, SlackSimulator } from '../slack/index.js';
import type { DriverResponse } from './index.js';

/** The same interaction as an envelope: a command's form fields, an interaction's or event's JSON. */
export async function sendOverSocket(
  sim: SlackSimulator,
  body: string,
  contentType: string | undefined,
): Promise<DriverResponse> {
  let type: 'slash_commands' | 'interactive' | 'events_api';
  let payload: JsonObject;
  if (contentType?.startsWith('application/json')) {
    type = 'events_api';
    payload = JSON.parse(body) as JsonObject;
  } else {
    const form = new URLSearchParams(body);
    const interaction = form.get('payload');
    type = interaction === null ? 'slash_commands' : 'interactive';
    payload = interaction === null ? Object.fromEntries(form) : (JSON.parse(interaction) as JsonObject);
  }
  const ack = await sim.sendEnvelope(type, payload);
  // An empty ack payload is what an HTTP ack with an empty body is.
  const empty = Object.keys(ack.payload).length === 0;
  return {
    status: 200,
    text: empty ? '' : JSON.stringify(ack.payload),
    elapsedMs: ack.elapsedMs,
    ...(empty ? {} : { json: ack.payload }),
  };
}
