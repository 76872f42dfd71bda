import { describe, expect, it } from 'vitest';
import { validateBlocks, validateView } from '../../../testkit/slack/block-kit/surfaces.js';
import type { BlockSurface } from '../../../testkit/slack/block-kit/validation.js';
import { button, modal, section } from './blocks.js';

describe('validateBlocks', () => {
  const longText = (length: number) => 'x'.repeat(length);
  const cases: Array<[string, unknown[], BlockSurface, string, string]> = [
    [
      'header text in mrkdwn',
      [{ type: 'header', text: { type: 'mrkdwn', text: 'Hi' } }],
      'message',
      '/blocks/0/text/type',
      'must be plain_text here: mrkdwn is not allowed',
    ],
    [
      'section text over 3000',
      [section(longText(3001))],
      'message',
      '/blocks/0/text/text',
      'must be less than 3001 characters',
    ],
    [
      'header text over 150',
      [{ type: 'header', text: { type: 'plain_text', text: longText(151) } }],
      'message',
      '/blocks/0/text/text',
      'must be less than 151 characters',
    ],
    [
      'a section with neither text nor fields',
      [{ type: 'section' }],
      'message',
      '/blocks/0',
      'must define either `text` or `fields`',
    ],
    ['empty text', [section('')], 'message', '/blocks/0/text/text', 'must be more than 0 characters'],
    [
      '11 context elements',
      [{ type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'a' })) }],
      'message',
      '/blocks/0/elements',
      'no more than 10 items allowed',
    ],
    [
      '26 actions elements',
      [{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button(`b${i}`, 'Go')) }],
      'message',
      '/blocks/0/elements',
      'no more than 25 items allowed',
    ],
    [
      'button text over 75',
      [{ type: 'actions', elements: [button('go', longText(76))] }],
      'message',
      '/blocks/0/elements/0/text/text',
      'must be less than 76 characters',
    ],
    [
      'button value over 2000',
      [{ type: 'actions', elements: [button('go', 'Go', longText(2001))] }],
      'message',
      '/blocks/0/elements/0/value',
      'must be less than 2001 characters',
    ],
    [
      'button style outside primary/danger',
      [{ type: 'actions', elements: [{ ...button('go', 'Go'), style: 'secondary' }] }],
      'message',
      '/blocks/0/elements/0/style',
      'must be one of: primary, danger',
    ],
    [
      'action_id over 255',
      [{ type: 'actions', elements: [button(longText(256), 'Go')] }],
      'message',
      '/blocks/0/elements/0/action_id',
      'must be less than 256 characters',
    ],
    [
      'duplicate action_id in one block',
      [{ type: 'actions', elements: [button('go', 'A'), button('go', 'B')] }],
      'message',
      '/blocks/0/elements/1/action_id',
      "duplicate action_id 'go' in the same block",
    ],
    [
      'duplicate block_id',
      [section('a', 'same'), section('b', 'same')],
      'message',
      '/blocks/1/block_id',
      "duplicate block_id 'same' (also used by block 0)",
    ],
    [
      'block_id over 255',
      [section('a', longText(256))],
      'message',
      '/blocks/0/block_id',
      'must be less than 256 characters',
    ],
    [
      'an input block in a message',
      [
        {
          type: 'input',
          label: { type: 'plain_text', text: 'Name' },
          element: { type: 'plain_text_input', action_id: 'name' },
        },
      ],
      'message',
      '/blocks/0/type',
      'input blocks are only allowed in modals and Home tabs, not in messages',
    ],
    [
      'an input label in mrkdwn',
      [{ type: 'input', label: { type: 'mrkdwn', text: 'Name' }, element: { type: 'plain_text_input' } }],
      'modal',
      '/blocks/0/label/type',
      'must be plain_text here: mrkdwn is not allowed',
    ],
    [
      'min_length above max_length',
      [
        {
          type: 'input',
          label: { type: 'plain_text', text: 'Why' },
          element: { type: 'plain_text_input', min_length: 10, max_length: 5 },
        },
      ],
      'modal',
      '/blocks/0/element/min_length',
      'must not be greater than max_length',
    ],
    [
      'static_select with 101 options',
      [
        {
          type: 'input',
          label: { type: 'plain_text', text: 'Pick' },
          element: {
            type: 'static_select',
            options: Array.from({ length: 101 }, (_, i) => ({
              text: { type: 'plain_text', text: `${i}` },
              value: `${i}`,
            })),
          },
        },
      ],
      'modal',
      '/blocks/0/element/options',
      'no more than 100 items allowed',
    ],
    [
      'option value over 150',
      [
        {
          type: 'input',
          label: { type: 'plain_text', text: 'Pick' },
          element: {
            type: 'static_select',
            options: [{ text: { type: 'plain_text', text: 'A' }, value: longText(151) }],
          },
        },
      ],
      'modal',
      '/blocks/0/element/options/0/value',
      'must be less than 151 characters',
    ],
    [
      'initial_option not among the options',
      [
        {
          type: 'input',
          label: { type: 'plain_text', text: 'Pick' },
          element: {
            type: 'static_select',
            options: [{ text: { type: 'plain_text', text: 'A' }, value: 'a' }],
            initial_option: { text: { type: 'plain_text', text: 'B' }, value: 'b' },
          },
        },
      ],
      'modal',
      '/blocks/0/element/initial_option',
      'must exactly match one of the options',
    ],
    [
      'radio_buttons with 11 options',
      [
        {
          type: 'input',
          label: { type: 'plain_text', text: 'Pick' },
          element: {
            type: 'radio_buttons',
            options: Array.from({ length: 11 }, (_, i) => ({
              text: { type: 'mrkdwn', text: `${i}` },
              value: `${i}`,
            })),
          },
        },
      ],
      'modal',
      '/blocks/0/element/options',
      'no more than 10 items allowed',
    ],
    [
      'a datepicker with a malformed initial_date',
      [
        {
          type: 'actions',
          elements: [{ type: 'datepicker', action_id: 'when', initial_date: '2024-02-30' }],
        },
      ],
      'home',
      '/blocks/0/elements/0/initial_date',
      'must be a date formatted YYYY-MM-DD',
    ],
    [
      'a confirm dialog title over 100',
      [
        {
          type: 'actions',
          elements: [
            {
              ...button('go', 'Go'),
              confirm: {
                title: { type: 'plain_text', text: longText(101) },
                text: { type: 'mrkdwn', text: 'Sure?' },
                confirm: { type: 'plain_text', text: 'Yes' },
                deny: { type: 'plain_text', text: 'No' },
              },
            },
          ],
        },
      ],
      'message',
      '/blocks/0/elements/0/confirm/title/text',
      'must be less than 101 characters',
    ],
    [
      'an unknown block type',
      [{ type: 'carousel_of_doom' }],
      'message',
      '/blocks/0/type',
      'unsupported type: carousel_of_doom',
    ],
    [
      '51 blocks in a message',
      Array.from({ length: 51 }, () => ({ type: 'divider' })),
      'message',
      '/blocks',
      'no more than 50 items allowed',
    ],
    [
      '101 blocks in a modal',
      Array.from({ length: 101 }, () => ({ type: 'divider' })),
      'modal',
      '/blocks',
      'no more than 100 items allowed',
    ],
  ];

  it.each(cases)('refuses %s', (_name, blocks, surface, pointer, message) => {
    expect(validateBlocks(blocks, surface)).toEqual([{ pointer, message }]);
  });

  it('accepts the elements the bot uses, at their limits', () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(150) } },
      section('s'.repeat(3000), 'b'.repeat(255)),
      { type: 'section', fields: Array.from({ length: 10 }, () => ({ type: 'mrkdwn', text: 'f' })) },
      { type: 'context', elements: Array.from({ length: 10 }, () => ({ type: 'plain_text', text: 'c' })) },
      {
        type: 'actions',
        elements: [
          { ...button('approve', 'a'.repeat(75), 'v'.repeat(2000)), style: 'primary' },
          { ...button('deny', 'Deny'), style: 'danger' },
        ],
      },
      { type: 'divider' },
    ];
    expect(validateBlocks(blocks, 'message')).toEqual([]);
    expect(
      validateBlocks(
        Array.from({ length: 50 }, () => ({ type: 'divider' })),
        'message',
      ),
    ).toEqual([]);
    expect(
      validateBlocks(
        Array.from({ length: 100 }, () => ({ type: 'divider' })),
        'modal',
      ),
    ).toEqual([]);
  });
});

describe('validateView', () => {
  it('accepts a modal with inputs and a submit button', () => {
    expect(validateView(modal(), 'modal')).toEqual([]);
  });

  it('checks when a text input dispatches its actions (dispatch_action_config)', () => {
    const input = (config: unknown) => ({
      type: 'input',
      block_id: 'mailbox',
      dispatch_action: true,
      label: { type: 'plain_text', text: 'Mailbox' },
      element: { type: 'email_text_input', action_id: 'mailbox_input', dispatch_action_config: config },
    });
    expect(validateBlocks([input({ trigger_actions_on: ['on_enter_pressed'] })], 'modal')).toEqual([]);
    expect(
      validateBlocks([input({ trigger_actions_on: ['on_enter_pressed', 'on_character_entered'] })], 'modal'),
    ).toEqual([]);
    expect(validateBlocks([input({ trigger_actions_on: ['on_blur'] })], 'modal')).toEqual([
      {
        pointer: '/blocks/0/element/dispatch_action_config/trigger_actions_on/0',
        message: 'must be one of: on_enter_pressed, on_character_entered',
      },
    ]);
    expect(validateBlocks([input({ trigger_actions_on: [] })], 'modal')).toEqual([
      {
        pointer: '/blocks/0/element/dispatch_action_config/trigger_actions_on',
        message: 'must provide at least 1 items',
      },
    ]);
    expect(validateBlocks([input('on_enter_pressed')], 'modal')).toEqual([
      { pointer: '/blocks/0/element/dispatch_action_config', message: 'must provide an object' },
    ]);
  });

  it.each([
    [
      'a 25-character title',
      { title: { type: 'plain_text', text: 't'.repeat(25) } },
      '/view/title/text',
      'must be less than 25 characters',
    ],
    [
      'a 25-character submit',
      { submit: { type: 'plain_text', text: 's'.repeat(25) } },
      '/view/submit/text',
      'must be less than 25 characters',
    ],
    [
      'a mrkdwn close',
      { close: { type: 'mrkdwn', text: 'Close' } },
      '/view/close/type',
      'must be plain_text here: mrkdwn is not allowed',
    ],
    [
      'input blocks without submit',
      { submit: undefined },
      '/view',
      'a modal with input blocks must define submit',
    ],
    [
      'private_metadata over 3000',
      { private_metadata: 'm'.repeat(3001) },
      '/view/private_metadata',
      'must be less than 3001 characters',
    ],
  ])('refuses %s', (_name, overrides, pointer, message) => {
    expect(validateView(modal(overrides), 'modal')).toEqual([{ pointer, message }]);
  });
});
