import type { KnownBlock } from '@slack/types';
import { isEnding } from '../../requests/remove.js';
import type { HomeContents } from '../../requests/view.js';
import * as approver from '../copy/approver.js';
import * as requester from '../copy/requester.js';
import { requestLine } from '../copy/requests.js';
import { clip } from '../mrkdwn.js';
import { cancelButton, decisionButtons, endAccessButton } from './messages.js';

export interface HomeInput extends HomeContents {
  userId: string;
}

const HOME_LIST_MAX = 15;

/** The App Home tab: your requests and grants, and for approvers the queue with the card's buttons. */
export function homeView(input: HomeInput): { type: 'home'; blocks: KnownBlock[] } {
  const words = requester.home;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: words.title } },
    { type: 'section', text: { type: 'mrkdwn', text: words.intro } },
    { type: 'divider' },
    { type: 'header', text: { type: 'plain_text', text: words.mineTitle } },
  ];
  if (input.mine.length === 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: words.mineEmpty } });
  }
  for (const request of input.mine.slice(0, HOME_LIST_MAX)) {
    const section: KnownBlock = {
      type: 'section',
      text: { type: 'mrkdwn', text: clip(requestLine(request), 3000) },
    };
    if (request.status === 'pending') {
      section.accessory = cancelButton(request);
    } else if (request.status === 'completed' && !request.preexisting && !isEnding(request)) {
      section.accessory = endAccessButton(request);
    }
    blocks.push({ ...section, block_id: `mine:${request.id}` });
  }

  if (input.queue) {
    const queue = approver.queue;
    blocks.push({ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: queue.title } });
    if (input.queue.length === 0) {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: queue.empty } });
    }
    for (const request of input.queue.slice(0, HOME_LIST_MAX)) {
      blocks.push(
        {
          type: 'section',
          block_id: `queue:${request.id}`,
          text: { type: 'mrkdwn', text: clip(queue.line(request), 3000) },
        },
        { type: 'actions', block_id: `decide:${request.id}`, elements: decisionButtons(request) },
      );
    }
    if (input.queue.length > HOME_LIST_MAX) {
      blocks.push({
        type: 'context',
        elements: [{ type: 'mrkdwn', text: queue.more(input.queue.length - HOME_LIST_MAX) }],
      });
    }
  }
  return { type: 'home', blocks };
}
