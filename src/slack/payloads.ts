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
