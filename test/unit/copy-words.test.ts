import { describe, expect, it } from 'vitest';
import type { DelegationRequest, Failure } from '../../src/requests/model.js';
import { homeView } from '../../src/slack/blocks/home.js';
import { healthReport } from '../../src/slack/copy/admin.js';
import { removalFailureExplanation, removalProblem } from '../../src/slack/copy/common.js';
import { cancelAnswer } from '../../src/slack/copy/requester.js';

/** The words people see where the end-to-end tests do not reach every case. */

const AT = new Date('2026-11-28T10:00:00.000Z');
const HOUR = 3_600_000;
const granted: DelegationRequest = {
  id: 'DR-7KQ2M9',
  status: 'completed',
  requesterId: 'UALICE',
  granteeEmail: 'alice@example.com',
  mailbox: 'sales@example.com',
  reason: 'Cover the queue',
  durationHours: 168,
  createdAt: AT,
  updatedAt: AT,
  version: 3,
  mimecastId: 'mc-1',
  expiresAt: new Date(AT.getTime() + 168 * HOUR),
};
const failure = (kind: string, message = ''): Failure => ({ kind, message });
const failed = (request: DelegationRequest, kind: string) =>
  removalProblem(
    { ok: false, reason: 'removal_failed', failure: failure(kind), request },
    request.id,
    'revoke',
  );

describe('a removal that failed, in removal words', () => {
  it('says whether the access is still there, by failure kind, and never the words written for an add', () => {
    expect(removalFailureExplanation(failure('rate_limited'))).toBe(
      'Mimecast is limiting how fast the bot may call it; the access is still there.',
    );
    expect(removalFailureExplanation(failure('permission'))).toBe(
      "The bot's Mimecast account may not remove delegates. An admin must give it the Directories | Internal | Create Alternate Address permission.",
    );
    for (const kind of ['server_error', 'outcome_unknown', 'unexpected_response', 'interrupted']) {
      expect(removalFailureExplanation(failure(kind))).toBe(
        'Mimecast did not confirm the removal; the access may still be there.',
      );
    }
    expect(removalFailureExplanation(failure('validation', 'Delegate <b>not</b> removable'))).toBe(
      'Mimecast refused the removal: Delegate &lt;b&gt;not&lt;/b&gt; removable. The access is still there.',
    );
    for (const kind of [
      'validation',
      'authentication',
      'permission',
      'binding_expired',
      'rate_limited',
      'not_found',
      'server_error',
      'outcome_unknown',
    ]) {
      const words = removalFailureExplanation(failure(kind));
      for (const addWords of ['add delegates', 'submit', 'new request', 'Nothing was changed']) {
        expect(words, kind).not.toContain(addWords);
      }
    }
  });

  it('says what happens next: the bot keeps retrying every failed removal', () => {
    const failing = { ...granted, removalAttempts: 1, nextRemovalAt: new Date(AT.getTime() + 60_000) };
    expect(failed(failing, 'rate_limited')).toBe(
      'Mimecast did not remove the access for DR-7KQ2M9 yet: Mimecast is limiting how fast the bot may call it; the access is still there. The bot keeps retrying.',
    );
    expect(failed(failing, 'authentication')).toBe(
      "Mimecast did not remove the access for DR-7KQ2M9 yet: Mimecast refused the bot's API credentials, so the access is still there. An admin must check MIMECAST_CLIENT_ID and MIMECAST_CLIENT_SECRET (or the API 1.0 keys). The bot keeps retrying.",
    );
  });

  it('names a request with no active access by its status in words, never its code', () => {
    const notActive = (status: DelegationRequest['status'], verb: 'end' | 'revoke') =>
      removalProblem({ ok: false, reason: 'not_active', request: { ...granted, status } }, granted.id, verb);
    expect(notActive('outcome_unknown', 'end')).toBe(
      'DR-7KQ2M9 has no active access to end (status: Approved, outcome unknown: an admin must check Mimecast). Nothing was changed.',
    );
    expect(notActive('removed', 'revoke')).toBe(
      'DR-7KQ2M9 has no active access to revoke (status: Access ended). Nothing was changed.',
    );
    expect(notActive('removing', 'revoke')).toBe(
      "DR-7KQ2M9's access is already being removed. Nothing else was done.",
    );
  });
});

describe('cancelling a request that no longer waits', () => {
  it('says where it stands in words', () => {
    const expired = { ...granted, status: 'expired' as const };
    expect(cancelAnswer({ ok: false, reason: 'not_pending', request: expired }, expired.id)).toBe(
      'DR-7KQ2M9 can no longer be cancelled: it is no longer waiting (status: Expired without a decision). Nothing was changed.',
    );
  });
});

describe('the App Home queue past its length', () => {
  it('says the newest are shown first, and how to reach the others, without an admin-only command', () => {
    const queue = Array.from({ length: 17 }, (_, n) => ({
      ...granted,
      id: `DR-Q${String(n).padStart(5, '0')}`,
      status: 'pending' as const,
    }));
    const { blocks } = homeView({ userId: 'UBOB', mine: [], queue });
    const last = blocks.at(-1);
    expect(last).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: "…and 2 more, older than these: the newest are shown first. Decide the older ones from their cards in the approvers' channel, or decide these to see them here.",
        },
      ],
    });
  });
});

describe('/delegate health when Mimecast refuses', () => {
  const health = (kind: string) =>
    healthReport({
      settings: {},
      slack: { ok: true, user: 'delegatebot', scopes: undefined, missing: [] },
      approvalChannelId: 'CAPPROVALS',
      cardProblems: [],
      mimecast: { ok: false, kind, message: 'Mimecast said something about alice@example.com' },
    })
      .split('\n')
      .find((line) => line.startsWith('*Mimecast*'));

  it('says what is wrong and what to do, in words, never the failure code nor what Mimecast said', () => {
    expect(health('authentication')).toBe(
      "*Mimecast*: :x: Mimecast refused the bot's API credentials: check MIMECAST_CLIENT_ID and MIMECAST_CLIENT_SECRET (or the API 1.0 keys).",
    );
    expect(health('outcome_unknown')).toBe(
      '*Mimecast*: :x: Mimecast did not answer (a timeout or a lost connection): check MIMECAST_BASE_URL and that this host can reach it, then run `/delegate health` again.',
    );
    for (const kind of [
      'permission',
      'rate_limited',
      'server_error',
      'unexpected_response',
      'binding_expired',
    ]) {
      const line = health(kind) ?? '';
      expect(line, kind).not.toContain(kind);
      expect(line, kind).not.toContain('alice@example.com');
    }
  });
});
