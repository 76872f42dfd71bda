import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { DelegationRequest } from '../../src/requests/model.js';
import { homeView } from '../../src/slack/blocks/home.js';
import {
  requestCard,
  requesterMessage,
  threadMessage,
  unseenRequestMessage,
} from '../../src/slack/blocks/messages.js';
import { requestModal } from '../../src/slack/blocks/request-modal.js';
import { escapeMrkdwn, quote } from '../../src/slack/mrkdwn.js';
import { validateBlocks, validateView } from '../../testkit/slack/block-kit/surfaces.js';

const AT = new Date('2026-11-28T10:00:00.000Z');
const base: DelegationRequest = {
  id: 'DR-7KQ2M9',
  status: 'pending',
  requesterId: 'UALICE',
  granteeEmail: 'alice@example.com',
  mailbox: 'sales@example.com',
  reason: 'Cover the <!channel> queue & <https://evil.example|click> <@UBOSS>',
  durationHours: 168,
  createdAt: AT,
  updatedAt: AT,
  version: 1,
};

describe('mrkdwn escaping', () => {
  it('neutralises mentions, broadcasts and forged links', () => {
    expect(escapeMrkdwn('<!channel> <@U1> <https://x|y> a&b')).toBe(
      '&lt;!channel&gt; &lt;@U1&gt; &lt;https://x|y&gt; a&amp;b',
    );
    expect(quote('one\n<!here>')).toBe('>one\n>&lt;!here&gt;');
  });
});

describe('requestCard', () => {
  it('shows who gets access to what, the escaped reason, and both buttons while pending', () => {
    const card = requestCard(base);
    const json = JSON.stringify(card.blocks);
    expect(card.text).toBe('Mailbox access request DR-7KQ2M9: Waiting for an approver');
    expect(json).toContain(
      'If approved, *alice@example.com* will get delegate access to *sales@example.com*',
    );
    expect(json).toContain('&lt;!channel&gt;');
    expect(json).not.toContain('<!channel>');
    expect(json).not.toContain('<@UBOSS>');
    const actions = card.blocks?.find((block) => block.type === 'actions');
    expect(actions).toMatchObject({
      elements: [
        { action_id: 'approve_request', value: 'DR-7KQ2M9', style: 'primary' },
        { action_id: 'deny_request', value: 'DR-7KQ2M9', style: 'danger' },
      ],
    });
  });

  it('drops the buttons and names the decider once decided', () => {
    const denied = requestCard({
      ...base,
      status: 'denied',
      decidedBy: 'UBOB',
      decidedAt: AT,
      denyReason: 'use <!here>',
    });
    expect(denied.blocks?.some((block) => block.type === 'actions')).toBe(false);
    expect(JSON.stringify(denied.blocks)).toContain(':no_entry: Denied by <@UBOB> on <!date^1795860000^');
    expect(JSON.stringify(denied.blocks)).toContain('use &lt;!here&gt;');
  });
});

describe('buttons that change access ask first, wherever they are', () => {
  const approveDialog = {
    title: { type: 'plain_text', text: 'Approve this request?' },
    text: {
      type: 'mrkdwn',
      text: '*alice@example.com* will get delegate access to *sales@example.com* for 7 days.',
    },
    confirm: { type: 'plain_text', text: 'Approve' },
    deny: { type: 'plain_text', text: 'Back' },
  };
  const elementsOf = (blocks: readonly KnownBlock[] | undefined, blockId?: string) =>
    blocks?.flatMap((block) =>
      block.type === 'actions' && (blockId === undefined || block.block_id === blockId) ? block.elements : [],
    ) ?? [];

  it('Approve on the card and on the App Home: the same dialog; Deny opens its own form instead', () => {
    const onCard = elementsOf(requestCard(base).blocks);
    const onHome = elementsOf(
      homeView({ userId: 'UBOB', mine: [], queue: [base] }).blocks,
      'decide:DR-7KQ2M9',
    );
    for (const elements of [onCard, onHome]) {
      expect(elements).toMatchObject([
        { action_id: 'approve_request', value: 'DR-7KQ2M9', confirm: approveDialog },
        { action_id: 'deny_request', value: 'DR-7KQ2M9' },
      ]);
      expect(elements[1]).not.toHaveProperty('confirm');
    }
  });

  it('"I\'m done" in the DM and on the App Home asks before it removes access; Cancel request does not', () => {
    const granted: DelegationRequest = { ...base, status: 'completed', mimecastId: 'mc-1' };
    const endDialog = {
      title: { type: 'plain_text', text: 'End your access?' },
      text: {
        type: 'mrkdwn',
        text: '*alice@example.com* no longer has delegate access to *sales@example.com* once Mimecast confirms.',
      },
      confirm: { type: 'plain_text', text: 'End access' },
      deny: { type: 'plain_text', text: 'Back' },
      style: 'danger',
    };
    const dm = elementsOf(requesterMessage({ event: 'provisioned' }, granted).blocks);
    const home = homeView({ userId: 'UALICE', mine: [granted, { ...base, id: 'DR-PEND01' }] });
    const accessories = home.blocks.flatMap((block) =>
      block.type === 'section' && block.accessory ? [block.accessory] : [],
    );
    expect(dm).toEqual([
      {
        type: 'button',
        action_id: 'end_access',
        text: { type: 'plain_text', text: "I'm done" },
        value: 'DR-7KQ2M9',
        confirm: endDialog,
      },
    ]);
    expect(accessories).toEqual([
      dm[0],
      {
        type: 'button',
        action_id: 'cancel_request',
        text: { type: 'plain_text', text: 'Cancel request' },
        value: 'DR-PEND01',
      },
    ]);
  });

  it('stays within Slack limits with the longest addresses, without cutting an address short', () => {
    const longest = (name: string) =>
      `${name.padEnd(64, 'x')}@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(57)}.com`;
    const long: DelegationRequest = {
      ...base,
      granteeEmail: longest('alice'),
      mailbox: longest('sales'),
      mimecastId: 'mc-1',
    };
    expect(long.mailbox).toHaveLength(254);
    const granted = { ...long, status: 'completed' as const };
    const surfaces = [
      requestCard(long),
      requestCard(granted, [24]),
      requesterMessage({ event: 'provisioned' }, granted),
    ];
    const dialogs = surfaces
      .flatMap((surface) => elementsOf(surface.blocks))
      .flatMap((element) => ('confirm' in element && element.confirm ? [element.confirm.text.text] : []));
    expect(dialogs).toEqual([
      'The person shown above gets delegate access to the mailbox shown above for 7 days.',
      'The delegate access shown above ends once Mimecast confirms.',
      'Your delegate access to the mailbox shown above ends once Mimecast confirms.',
    ]);
    for (const surface of surfaces) expect(validateBlocks(surface.blocks, 'message')).toEqual([]);
    expect(validateView(homeView({ userId: 'UBOB', mine: [granted], queue: [long] }), 'home')).toEqual([]);
  });
});

describe('the App Home queue', () => {
  it('shows the start of a long reason, escaped, without cutting an emoji or an entity in half', () => {
    const line = (reason: string) => {
      const home = homeView({ userId: 'UBOB', mine: [], queue: [{ ...base, reason }] });
      const section = home.blocks.find((block) => block.block_id === 'queue:DR-7KQ2M9');
      return (section as { text: { text: string } }).text.text.split(': _')[1] ?? '';
    };
    expect(line('🎉'.repeat(400))).toBe(`${'🎉'.repeat(149)}…_`);
    expect(line('&'.repeat(400))).toBe(`${'&amp;'.repeat(59)}…_`);
    expect(line('short & sweet')).toBe('short &amp; sweet_');
  });
});

describe('the requester told their request could not be shown to approvers', () => {
  it("names what went wrong in Slack's words, and keeps the Cancel button", () => {
    const said = (problem: string) => unseenRequestMessage(base, problem).text.split(': ')[1]?.split('. ')[0];
    expect(said('not_in_channel')).toBe(
      "the bot cannot post in the approvers' channel (Slack said `not_in_channel`)",
    );
    expect(said('invalid_blocks')).toBe('Slack refused it (`invalid_blocks`)');
    expect(said('no_answer')).toBe('Slack did not answer, however often the bot tried');
    const message = unseenRequestMessage(base, 'is_archived');
    expect(message.text).toBe(
      "Your request *DR-7KQ2M9* is saved and waiting, but I could not show it to the approvers: the bot cannot post in the approvers' channel (Slack said `is_archived`). " +
        "Please tell your Slack admin or IT team. Until it is fixed, approvers can still decide it from this app's Home tab. I will tell you here when it is decided.",
    );
    expect(JSON.stringify(message.blocks)).toContain('"action_id":"cancel_request"');
  });
});

describe('messages', () => {
  it('explains each failure in words a person can act on', () => {
    const failed = { ...base, status: 'failed' as const, decidedBy: 'UBOB' };
    expect(
      threadMessage(
        { event: 'provisioning_failed' },
        { ...failed, failure: { kind: 'binding_expired', message: 'x' } },
        [],
      ).text,
    ).toContain("The bot's Mimecast API keys have expired: an admin must re-issue them.");
    expect(
      threadMessage(
        { event: 'provisioning_failed' },
        { ...failed, failure: { kind: 'validation', message: 'Address not found', requestId: 'abc' } },
        [],
      ).text,
    ).toBe(
      ':warning: Mimecast did not grant the access. Mimecast rejected the address: Address not found. Check that both addresses exist in Mimecast, then submit a new request.\nMimecast request id for support: `abc`',
    );
    const unknown = threadMessage(
      { event: 'outcome_unknown' },
      { ...failed, status: 'outcome_unknown', failure: { kind: 'outcome_unknown', message: 'timeout' } },
      ['SADMINS'],
    ).text;
    expect(unknown).toContain('<!subteam^SADMINS>');
    expect(unknown).toContain('Outcome unknown: the request reached Mimecast but no answer came back');
    expect(requesterMessage({ event: 'outcome_unknown' }, failed).text).toContain(
      'you do not need to submit it again',
    );
  });

  it('keeps the modal within Slack limits and states the grant plainly', () => {
    const modal = requestModal({
      granteeEmail: 'alice@example.com',
      mailbox: 'sales@example.com',
      durationChoicesHours: [24, 168, 0],
      defaultDurationHours: 168,
      approvalChannelId: 'CAPPROVALS',
    });
    expect(modal.title.text.length).toBeLessThanOrEqual(24);
    expect(JSON.stringify(modal.blocks)).toContain(
      'You (*alice@example.com*) will get delegate access to *sales@example.com*',
    );
    const duration = modal.blocks.find((block) => block.block_id === 'duration');
    expect(duration).toMatchObject({
      element: {
        initial_option: { value: '168', text: { text: '7 days' } },
        options: [{ value: '24' }, { value: '168' }, { value: '0', text: { text: 'Until revoked' } }],
      },
    });
  });
});
