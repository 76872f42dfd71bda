/**
 * The approval policy in end-to-end tests: a policy file, and the people, groups and channel its rules
 * name, added to the local stack's workspace (USERS, SREQUESTERS, SAPPROVERS, SADMINS, CAPPROVALS).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DelegationRequest } from '../../src/requests/model.js';
import type { Clock } from '../../src/requests/ports/index.js';
import type { SimMessage, SimView } from '../../testkit/slack/index.js';
import type { ViewValues } from '../../testkit/slack-driver/index.js';
import { APPROVAL_CHANNEL, type Harness, MAILBOXES, startHarness, USERS, waitUntil } from './harness.js';

/** People the policy's rules name, beside USERS. */
export const PEOPLE = {
  cleo: { id: 'UCLEO', name: 'cleo', realName: 'Cleo Chief', email: 'ceo@example.com' }, // owns ceo@
  harriet: { id: 'UHARRIET', name: 'harriet', realName: 'Harriet Hughes', email: 'hr@example.com' }, // owns hr@
  sam: { id: 'USAM', name: 'sam', realName: 'Sam Secure', email: 'sam@example.com' }, // security approver
  sue: { id: 'USUE', name: 'sue', realName: 'Sue Secure', email: 'sue@example.com' }, // security approver
  sid: { id: 'USID', name: 'sid', realName: 'Sid Support', email: 'sid@example.com' }, // support requester
  gone: { id: 'UGONE', name: 'gone', realName: 'Gone Away', email: 'former@example.com', deleted: true },
} as const;

export const SECURITY_CHANNEL = 'CSECURITY';

/** The policy most tests run under: the example, on the local workspace's addresses. */
export const POLICY = `# The policy of the end-to-end tests
defaults:
  approvers: [SAPPROVERS]
  channel: CAPPROVALS
  durations: [1d, 7d]
rules:
  - name: executives
    mailboxes: [ceo@example.com, "board-*@example.com", former@example.com]
    approvers: [SSECURITY]
    approvals: 2
    owner: consent
    durations: [4h, 1d]
    channel: CSECURITY
  - name: hr
    mailboxes: [hr@example.com]
    owner: notify
    durations: [1d, 7d, permanent]
  - name: support-inboxes
    mailboxes: ["support@example.com", "*@help.example.com"]
    requesters: [SSUPPORT]
    auto_approve: true
    durations: [1d, 7d]
  - name: partners
    mailboxes: ["*@partner.example"]
    deny: Partner mailboxes are not delegated; ask IT.
`;

/** Writes a policy file in a folder of its own; returns its path. */
export function writePolicy(text: string, name = 'policy.yml'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'delegate-policy-')), name);
  writeFileSync(path, text);
  return path;
}

export const POLICY_MAILBOXES = [
  ...MAILBOXES,
  ...Object.values(PEOPLE).map((person) => person.email),
  'hr@example.com',
  'board-minutes@example.com',
  'support@example.com',
  'queue@help.example.com',
  'former@example.com',
];

/** The people, groups and channel the rules name, in the harness's Slack workspace. */
export function seedPolicyWorkspace(h: Harness): void {
  for (const person of Object.values(PEOPLE)) h.sim.addUser(person);
  h.sim.setUsergroup('SSECURITY', [PEOPLE.sam.id, PEOPLE.sue.id], { handle: 'security', name: 'Security' });
  h.sim.setUsergroup('SSUPPORT', [PEOPLE.sid.id], { handle: 'support-team', name: 'Support team' });
  h.sim.setUsergroup('SREQUESTERS', [
    USERS.alice.id,
    USERS.bob.id,
    USERS.erin.id,
    PEOPLE.sid.id,
    PEOPLE.sam.id,
  ]);
  h.sim.addChannel(SECURITY_CHANNEL, 'security-approvals');
}

/** The local stack under a policy (POLICY by default), with its people and mailboxes. */
export async function startPolicyHarness(
  options: { policy?: string; path?: string; env?: Record<string, string>; clock?: Clock } = {},
): Promise<Harness & { policyPath: string }> {
  const policyPath = options.path ?? writePolicy(options.policy ?? POLICY);
  const h = await startHarness({
    env: { POLICY_PATH: policyPath, ...options.env },
    mimecast: { mailboxes: POLICY_MAILBOXES },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  seedPolicyWorkspace(h);
  return { ...h, policyPath };
}

/** The block id of a view's duration menu (it follows the mailbox's rule). */
export function durationBlockOf(view: SimView): string {
  const blocks = (view.view.blocks ?? []) as { block_id?: string; element?: { action_id?: string } }[];
  const block = blocks.find((b) => b.element?.action_id === 'duration_select');
  if (!block?.block_id) throw new Error(`view ${view.id} has no duration menu`);
  return block.block_id;
}

/**
 * Runs `/delegate <mailbox>` (the form opens with the mailbox's rule's choices), fills in the reason
 * and the duration, and submits; returns the stored request.
 */
export async function requestUnderPolicy(
  h: Harness,
  userId: string,
  mailbox: string,
  reason = 'Covering the queue this week',
  duration?: string,
): Promise<DelegationRequest> {
  const command = await h.driver.command(userId, '/delegate', mailbox);
  const view = await h.sim.viewOpenedWith(command.triggerId);
  const values: ViewValues = { reason: { reason_input: reason } };
  if (duration) values[durationBlockOf(view)] = { duration_select: duration };
  const submitted = await h.driver.submitView(userId, view, values);
  const body = submitted.json as { response_action?: string } | undefined;
  if (body?.response_action !== 'update') throw new Error(`submission refused: ${JSON.stringify(body)}`);
  const [request] = await h.bot.store.listRequests({ requesterId: userId, limit: 1 });
  if (!request) throw new Error('no request stored');
  return request;
}

/** The card of a request in a channel, once posted. */
export function cardIn(h: Harness, channel: string, requestId: string): Promise<SimMessage> {
  return h.sim.waitFor(() =>
    h.sim.messagesIn(channel).find((m) => !m.threadTs && m.text.includes(requestId)),
  );
}

/** The card as it is now (edited since it was posted). */
export function latest(h: Harness, card: SimMessage): SimMessage {
  const now = h.sim.findMessage(card.channel, card.ts);
  if (!now) throw new Error(`card ${card.ts} is gone`);
  return now;
}

/** The ephemeral answer to a click (sent to its response_url). */
export async function answerTo(h: Harness, click: { responseUrl: string }): Promise<string> {
  const answer = await h.sim.waitFor(() => h.sim.responses.find((r) => r.url === click.responseUrl));
  return String(answer.body.text);
}

/** Waits until the stored request satisfies `ready`. */
export function requestWhen(
  h: Harness,
  id: string,
  ready: (request: DelegationRequest) => boolean,
  what: string,
): Promise<DelegationRequest> {
  return waitUntil(async () => {
    const request = await h.bot.store.getRequest(id);
    return request && ready(request) ? request : undefined;
  }, `${id}: ${what}`);
}

export { APPROVAL_CHANNEL };
