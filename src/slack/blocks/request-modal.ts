import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { type DelegationRequest, describeDuration } from '../../requests/model.js';
import { REASON_MAX_LENGTH } from '../../requests/service.js';
import { channelLink, escapeMrkdwn } from '../mrkdwn.js';
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
  return {
    text: { type: 'plain_text', text: hours === 0 ? 'Until revoked' : describeDuration(hours) },
    value: String(hours),
  };
}

/** The /delegate modal: which mailbox, why, and for how long, saying plainly who gets access to what. */
export function requestModal(input: RequestModalInput): ModalView {
  const who = escapeMrkdwn(input.granteeEmail);
  const what = input.mailbox ? `*${escapeMrkdwn(input.mailbox)}*` : 'the mailbox you enter below';
  const options = input.durationChoicesHours.map(durationOption);
  const initial = options.find((option) => option.value === String(input.defaultDurationHours)) ?? options[0];

  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          `You (*${who}*) will get delegate access to ${what} in Mimecast's apps ` +
          '(Personal Portal, Mimecast for Outlook, Mimecast Mobile): its archived mail, held messages and sender lists. ' +
          'It does not change Outlook or Exchange permissions.',
      },
    },
    {
      type: 'input',
      block_id: IDS.mailboxBlock,
      label: { type: 'plain_text', text: 'Mailbox you need access to' },
      hint: { type: 'plain_text', text: 'The email address of the mailbox, like sales@example.com.' },
      element: {
        type: 'email_text_input',
        action_id: IDS.mailboxInput,
        ...(input.mailbox ? { initial_value: input.mailbox } : {}),
        placeholder: { type: 'plain_text', text: 'sales@example.com' },
      },
    },
    {
      type: 'input',
      block_id: IDS.reasonBlock,
      label: { type: 'plain_text', text: 'Why do you need access?' },
      hint: { type: 'plain_text', text: 'The approver sees this. Mention a ticket if there is one.' },
      element: {
        type: 'plain_text_input',
        action_id: IDS.reasonInput,
        multiline: true,
        min_length: 3,
        max_length: REASON_MAX_LENGTH,
      },
    },
    {
      type: 'input',
      block_id: IDS.durationBlock,
      label: { type: 'plain_text', text: 'For how long?' },
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
          text: `An approver in ${channelLink(input.approvalChannelId)} decides. You will get a direct message with the outcome.`,
        },
      ],
    },
  ];

  return {
    type: 'modal',
    callback_id: IDS.requestModal,
    title: { type: 'plain_text', text: 'Request mailbox access' },
    submit: { type: 'plain_text', text: 'Submit request' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

/** What the modal turns into once the request is recorded. */
export function requestSubmittedModal(request: DelegationRequest): ModalView {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: 'Request sent' },
    close: { type: 'plain_text', text: 'Done' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text:
            `Your request *${request.id}* is with the approvers: *${escapeMrkdwn(request.granteeEmail)}* will get ` +
            `delegate access to *${escapeMrkdwn(request.mailbox)}* for ${describeDuration(request.durationHours)} if approved.\n` +
            `You will get a direct message when it is decided. Follow it with \`/delegate status ${request.id}\`.`,
        },
      },
    ],
  };
}

/** Deny asks for an optional reason, which the requester will see. */
export function denyModal(request: DelegationRequest, origin: { channel?: string }): ModalView {
  return {
    type: 'modal',
    callback_id: IDS.denyModal,
    private_metadata: JSON.stringify({ requestId: request.id, ...origin }),
    title: { type: 'plain_text', text: `Deny ${request.id}` },
    submit: { type: 'plain_text', text: 'Deny request' },
    close: { type: 'plain_text', text: 'Back' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Deny <@${request.requesterId}>'s request for delegate access to *${escapeMrkdwn(request.mailbox)}*?`,
        },
      },
      {
        type: 'input',
        block_id: IDS.denyReasonBlock,
        optional: true,
        label: { type: 'plain_text', text: 'Reason (the requester sees it)' },
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
