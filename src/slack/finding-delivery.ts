import type { WebClient } from '@slack/web-api';
import type { DriftFinding } from '../requests/findings.js';
import type { CardRef } from '../requests/model.js';
import type { FindingDelivery } from '../requests/ports/index.js';
import { findingMessage } from './blocks/messages.js';

/**
 * Drift findings in Slack: each one a message in the approvers' channel that mentions the admin
 * groups, with a Remove button while it is open, updated in place once it is removed or gone.
 */
export class SlackFindingDelivery implements FindingDelivery {
  constructor(
    private readonly client: WebClient,
    private readonly options: { approvalChannelId: string; adminGroupIds: readonly string[] },
  ) {}

  async announce(finding: DriftFinding): Promise<CardRef> {
    const posted = await this.client.chat.postMessage({
      channel: this.options.approvalChannelId,
      ...findingMessage(finding, this.options.adminGroupIds),
    });
    if (!posted.ts || !posted.channel) throw new Error('chat.postMessage returned no ts');
    return { channel: posted.channel, ts: posted.ts };
  }

  async update(finding: DriftFinding & { message: CardRef }): Promise<void> {
    await this.client.chat.update({
      channel: finding.message.channel,
      ts: finding.message.ts,
      ...findingMessage(finding, this.options.adminGroupIds),
    });
  }
}
