import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import type { DelegationRequest } from '../../requests/model.js';
import { REASON_MAX_LENGTH, REASON_MIN_LENGTH } from '../../requests/submit.js';
import * as approver from '../copy/approver.js';
import { durationChoice } from '../copy/common.js';
import * as requester from '../copy/requester.js';
import { IDS } from './ids.js';

export interface RequestModalInput {
  granteeEmail: string;
  /** The mailbox typed after /delegate, if it looked like an address. */
  mailbox?: string;
  durationChoicesHours: readonly number[];
  defaultDurationHours: number;
  approvalChannelId: string;
}

function durationOption(hours: number): PlainTextOption {
  return { text: { type: 'plain_text', text: durationChoice(hours) }, value: String(hours) };
}

/** The /delegate modal: which mailbox, why, and for how long, saying plainly who gets access to what. */
export function requestModal(input: RequestModalInput): ModalView {
  const words = requester.requestForm;
  const options = input.durationChoicesHours.map(durationOption);
  const initial = options.find((option) => option.value === String(input.defaultDurationHours)) ?? options[0];

  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: words.intro(input.granteeEmail, input.mailbox) } },
    {
      type: 'input',
      block_id: IDS.mailboxBlock,
      label: { type: 'plain_text', text: words.mailboxLabel },
      hint: { type: 'plain_text', text: words.mailboxHint },
      element: {
        type: 'email_text_input',
        action_id: IDS.mailboxInput,
        ...(input.mailbox ? { initial_value: input.mailbox } : {}),
        placeholder: { type: 'plain_text', text: words.mailboxPlaceholder },
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
      block_id: IDS.durationBlock,
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
      elements: [{ type: 'mrkdwn', text: words.whoDecides(input.approvalChannelId) }],
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
