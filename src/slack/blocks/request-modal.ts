import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import type { OpenRequestsFull } from '../../requests/limits.js';
import type { DelegationRequest } from '../../requests/model.js';
import {
  type FormPath,
  REASON_MAX_LENGTH,
  REASON_MIN_LENGTH,
  type RequestFormResult,
} from '../../requests/submit.js';
import * as approver from '../copy/approver.js';
import { durationChoice } from '../copy/common.js';
import * as owner from '../copy/owner.js';
import * as requester from '../copy/requester.js';
import { IDS } from './ids.js';

export interface RequestModalInput {
  granteeEmail: string;
  /** The mailbox typed after /delegate (or entered in the form), if it looked like an address. */
  mailbox?: string;
  /** What the mailbox's policy rule offers (the defaults' until a mailbox is entered). */
  durationChoicesHours: readonly number[];
  defaultDurationHours: number;
  /** APPROVAL_CHANNEL_ID: where one approver decides, when no `path` says otherwise. */
  approvalChannelId: string;
  /** Who decides, as the mailbox's policy rule says. */
  path?: FormPath;
  /**
   * With a policy file: the defaults' choices. The form then asks for the mailbox's rule once the
   * mailbox is entered (Enter in the field sends it), and the duration menu changes with it.
   */
  baseDurationChoicesHours?: readonly number[];
}

/**
 * The duration menu's block id: `duration` for the defaults' choices, another for each other set of
 * choices, so that a views.update with a rule's choices resets the menu (Slack keeps what the person
 * picked in a block whose id stays the same, even when that choice is no longer offered).
 */
export function durationBlockId(choices: readonly number[], base: readonly number[] | undefined): string {
  const same = !base || (choices.length === base.length && choices.every((hours, i) => hours === base[i]));
  return same ? IDS.durationBlock : `${IDS.durationBlock}.${choices.join('-')}`;
}

/** The form for what `requestForm` answered, for the mailbox typed (if any). */
export function modalInput(
  form: Extract<RequestFormResult, { ok: true }>,
  mailbox: string | undefined,
  approvalChannelId: string,
): RequestModalInput {
  return {
    granteeEmail: form.granteeEmail,
    ...(mailbox ? { mailbox } : {}),
    durationChoicesHours: form.durationChoicesHours,
    defaultDurationHours: form.defaultDurationHours,
    approvalChannelId,
    path: form.path,
    ...(form.baseDurationChoicesHours ? { baseDurationChoicesHours: form.baseDurationChoicesHours } : {}),
  };
}

function durationOption(hours: number): PlainTextOption {
  return { text: { type: 'plain_text', text: durationChoice(hours) }, value: String(hours) };
}

/** The /delegate modal: which mailbox, why, and for how long, saying plainly who gets access to what. */
export function requestModal(input: RequestModalInput): ModalView {
  const words = requester.requestForm;
  const options = input.durationChoicesHours.map(durationOption);
  const initial = options.find((option) => option.value === String(input.defaultDurationHours)) ?? options[0];

  const dispatch = input.baseDurationChoicesHours !== undefined;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: words.intro(input.granteeEmail, input.mailbox) } },
    {
      type: 'input',
      block_id: IDS.mailboxBlock,
      label: { type: 'plain_text', text: words.mailboxLabel },
      hint: { type: 'plain_text', text: dispatch ? words.mailboxDispatchHint : words.mailboxHint },
      ...(dispatch ? { dispatch_action: true } : {}),
      element: {
        type: 'email_text_input',
        action_id: IDS.mailboxInput,
        ...(input.mailbox ? { initial_value: input.mailbox } : {}),
        placeholder: { type: 'plain_text', text: words.mailboxPlaceholder },
        ...(dispatch
          ? { dispatch_action_config: { trigger_actions_on: ['on_enter_pressed' as const] } }
          : {}),
      },
    },
    {
      type: 'input',
      block_id: IDS.reasonBlock,
      label: { type: 'plain_text', text: words.reasonLabel },
      hint: { type: 'plain_text', text: words.reasonHint },
      element: {
        type: 'plain_text_input',
        action_id: IDS.reasonInput,
        multiline: true,
        min_length: REASON_MIN_LENGTH,
        max_length: REASON_MAX_LENGTH,
      },
    },
    {
      type: 'input',
      block_id: durationBlockId(input.durationChoicesHours, input.baseDurationChoicesHours),
      label: { type: 'plain_text', text: words.durationLabel },
      element: {
        type: 'static_select',
        action_id: IDS.durationInput,
        options,
        ...(initial ? { initial_option: initial } : {}),
      },
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: words.whoDecides(
            input.path ?? {
              channelId: input.approvalChannelId,
              approvals: 1,
              owner: 'none',
              autoApprove: false,
            },
          ),
        },
      ],
    },
  ];

  return {
    type: 'modal',
    callback_id: IDS.requestModal,
    title: { type: 'plain_text', text: words.title },
    submit: { type: 'plain_text', text: words.submit },
    close: { type: 'plain_text', text: words.close },
    blocks,
  };
}

/** What the modal turns into once the request is recorded. */
export function requestSubmittedModal(request: DelegationRequest): ModalView {
  const words = requester.requestSent;
  return {
    type: 'modal',
    title: { type: 'plain_text', text: words.title },
    close: { type: 'plain_text', text: words.close },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: words.text(request) } }],
  };
}

/** What the form turns into when the person already has as many open requests as they may. */
export function openRequestsFullModal(full: OpenRequestsFull): ModalView {
  const words = requester.openRequestsFull;
  return {
    type: 'modal',
    title: { type: 'plain_text', text: words.title },
    close: { type: 'plain_text', text: words.close },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: words.text(full) } }],
  };
}

/** Deny asks for an optional reason, which the requester will see. */
export function denyModal(request: DelegationRequest, origin: { channel?: string }): ModalView {
  const words = approver.denyForm;
  return {
    type: 'modal',
    callback_id: IDS.denyModal,
    private_metadata: JSON.stringify({ requestId: request.id, ...origin }),
    title: { type: 'plain_text', text: words.title(request) },
    submit: { type: 'plain_text', text: words.submit },
    close: { type: 'plain_text', text: words.close },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: words.question(request) } },
      {
        type: 'input',
        block_id: IDS.denyReasonBlock,
        optional: true,
        label: { type: 'plain_text', text: words.reasonLabel },
        element: {
          type: 'plain_text_input',
          action_id: IDS.denyReasonInput,
          multiline: true,
          max_length: REASON_MAX_LENGTH,
        },
      },
    ],
  };
}

/** The owner's Refuse asks why; the requester is told. */
export function ownerRefuseModal(
  request: DelegationRequest,
  message: { channel: string; ts: string } | undefined,
): ModalView {
  const words = owner.refuseForm;
  return {
    type: 'modal',
    callback_id: IDS.ownerRefuseModal,
    private_metadata: JSON.stringify({ requestId: request.id, ...(message ? { message } : {}) }),
    title: { type: 'plain_text', text: words.title(request) },
    submit: { type: 'plain_text', text: words.submit },
    close: { type: 'plain_text', text: words.close },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: words.question(request) } },
      {
        type: 'input',
        block_id: IDS.ownerReasonBlock,
        label: { type: 'plain_text', text: words.reasonLabel },
        element: {
          type: 'plain_text_input',
          action_id: IDS.ownerReasonInput,
          multiline: true,
          min_length: REASON_MIN_LENGTH,
          max_length: REASON_MAX_LENGTH,
        },
      },
    ],
  };
}
