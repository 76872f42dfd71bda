import { describe, expect, it } from 'vitest';
import type { DelegationRequest } from '../../src/requests/model.js';
import { requestCard, requesterMessage, threadMessage } from '../../src/slack/blocks/messages.js';
import { requestModal } from '../../src/slack/blocks/request-modal.js';
import { escapeMrkdwn, quote } from '../../src/slack/mrkdwn.js';

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

describe('messages', () => {
  it('explains each failure in words a person can act on', () => {
    const failed = { ...base, status: 'failed' as const, decidedBy: 'UBOB' };
    expect(
      threadMessage(
        'provisioning_failed',
        { ...failed, failure: { kind: 'binding_expired', message: 'x' } },
        [],
      ).text,
    ).toContain("The bot's Mimecast API keys have expired: an admin must re-issue them.");
    expect(
      threadMessage(
        'provisioning_failed',
        { ...failed, failure: { kind: 'validation', message: 'Address not found', requestId: 'abc' } },
        [],
      ).text,
    ).toBe(
      ':warning: Mimecast did not grant the access. Mimecast rejected the address: Address not found. Check that both addresses exist in Mimecast, then submit a new request.\nMimecast request id for support: `abc`',
    );
    const unknown = threadMessage(
      'outcome_unknown',
      { ...failed, status: 'outcome_unknown', failure: { kind: 'outcome_unknown', message: 'timeout' } },
      ['SADMINS'],
    ).text;
    expect(unknown).toContain('<!subteam^SADMINS>');
    expect(unknown).toContain('Outcome unknown: the request reached Mimecast but no answer came back');
    expect(requesterMessage('outcome_unknown', failed).text).toContain('you do not need to submit it again');
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
