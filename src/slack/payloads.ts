import { z } from 'zod';

/**
 * The parts of Slack's payloads we read, validated at the edge. Bolt has already verified the
 * signature; these guard against shapes we do not expect (and forged values in them).
 */

export const slashCommand = z.object({
  user_id: z.string().min(1),
  text: z.string().default(''),
  trigger_id: z.string().min(1),
  channel_id: z.string().optional(),
});

const inputValue = z
  .object({
    value: z.string().nullish(),
    selected_option: z.object({ value: z.string() }).nullish(),
  })
  .passthrough();

export const viewSubmission = z.object({
  user: z.object({ id: z.string().min(1) }),
  view: z.object({
    id: z.string().min(1),
    callback_id: z.string(),
    private_metadata: z.string().default(''),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), inputValue)) }),
  }),
});
export type ViewSubmission = z.infer<typeof viewSubmission>;

export const buttonClick = z.object({
  user: z.object({ id: z.string().min(1) }),
  trigger_id: z.string().optional(),
  response_url: z.string().optional(),
  channel: z.object({ id: z.string() }).optional(),
  view: z.object({ type: z.string() }).passthrough().optional(),
  actions: z
    .array(
      z.object({
        action_id: z.string(),
        value: z.string().max(2000).optional(),
        selected_option: z.object({ value: z.string().max(2000) }).optional(),
      }),
    )
    .min(1),
});

/** A text input's value, or '' when empty. */
export function inputText(submission: ViewSubmission, blockId: string, actionId: string): string {
  return submission.view.state.values[blockId]?.[actionId]?.value ?? '';
}

/** A select's chosen value, or undefined. */
export function selectedValue(
  submission: ViewSubmission,
  blockId: string,
  actionId: string,
): string | undefined {
  return submission.view.state.values[blockId]?.[actionId]?.selected_option?.value ?? undefined;
}

export const denyModalMetadata = z.object({ requestId: z.string(), channel: z.string().optional() });

/** A button in a message, with the message it sits in (the owner's consent DM is updated once answered). */
export const messageButtonClick = buttonClick.extend({
  container: z.object({ message_ts: z.string().optional(), channel_id: z.string().optional() }).optional(),
});

/** Enter pressed in the request form's mailbox field (dispatch_action): the view, to update it. */
export const mailboxEntered = z.object({
  user: z.object({ id: z.string().min(1) }),
  view: z.object({ id: z.string().min(1), hash: z.string().min(1), callback_id: z.string() }),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().max(1000).nullish() })).min(1),
});

/** The owner's Refuse form: the request, and the consent DM to update once answered. */
export const ownerRefuseMetadata = z.object({
  requestId: z.string(),
  message: z.object({ channel: z.string(), ts: z.string() }).optional(),
});

/** The chosen duration and the block it is in (its id changes with the mailbox's rule's choices). */
export function durationChoice(
  submission: ViewSubmission,
  actionId: string,
): { blockId: string; value: string | undefined } | undefined {
  for (const [blockId, actions] of Object.entries(submission.view.state.values)) {
    const input = actions[actionId];
    if (input) return { blockId, value: input.selected_option?.value ?? undefined };
  }
  return undefined;
}
