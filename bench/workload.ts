/**
 * What the load generator does to an app, through the SlackDriver: slash commands, modal submissions,
 * approve clicks, and whole flows. Every step checks the app's answer, so a refused request is counted
 * as a failure instead of passing for a fast ack.
 */
import type { DelegationRequest } from '../src/requests/model.js';
import { IDS } from '../src/slack/blocks/ids.js';
import { requestCard } from '../src/slack/blocks/messages.js';
import { requestModal } from '../src/slack/blocks/request-modal.js';
import { APPROVAL_CHANNEL, BOT_TOKEN, USERS } from '../testkit/local-stack.js';
import type { SimMessage, SimView } from '../testkit/slack/index.js';
import { callSim, requestIdIn, type TimedDriver } from './sim-tools.js';
import { type LatencySummary, type RunResult, runConcurrent, summarize } from './stats.js';
import type { Pair, Workspace } from './workspace.js';

const REASON = 'Covering the shared queue while Sam is away (benchmark)';
const APPROVERS = [USERS.carol.id, USERS.bob.id];

export interface AckRun {
  summary: LatencySummary;
  run: RunResult<number>;
}

function expectOk(response: { status: number; text: string }, what: string): void {
  if (response.status !== 200) throw new Error(`${what} answered HTTP ${response.status}: ${response.text}`);
}

function valuesFor(pair: Pair) {
  return {
    [IDS.mailboxBlock]: { [IDS.mailboxInput]: pair.mailbox },
    [IDS.reasonBlock]: { [IDS.reasonInput]: REASON },
  };
}

async function measure<T>(
  ws: Workspace,
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<number>,
): Promise<AckRun> {
  const run = await runConcurrent(items, concurrency, ws.deadline, task);
  return { summary: summarize(run.results, run.failures + run.skipped), run };
}

/**
 * Slash commands; also returns the trigger id each carried (the app opens its modal with it) and when
 * each was sent.
 */
export async function sendCommands(
  ws: Workspace,
  driver: TimedDriver,
  pairs: readonly Pair[],
  concurrency: number,
) {
  const triggerIds: (string | undefined)[] = [];
  const sentAt: (number | undefined)[] = [];
  const acks = await measure(ws, pairs, concurrency, async (pair, i) => {
    const response = await driver.command(pair.userId, '/delegate', '');
    expectOk(response, 'slash command');
    triggerIds[i] = response.triggerId;
    sentAt[i] = response.sentAt;
    return response.elapsedMs;
  });
  return { acks, triggerIds, sentAt };
}

/**
 * From each command being sent to its form opening (the app's views.open accepted by the simulator):
 * what a person waits for after typing /delegate.
 */
export async function formOpenTimes(
  ws: Workspace,
  sent: { triggerIds: readonly (string | undefined)[]; sentAt: readonly (number | undefined)[] },
): Promise<LatencySummary> {
  const views = await lookupAll(sent.triggerIds, (id) => ws.watcher.view(id, 10_000));
  const times = views.values.flatMap((view, i) => {
    const at = sent.sentAt[i];
    return view && at !== undefined ? [view.openedAt - at] : [];
  });
  return summarize(times, views.missing);
}

/**
 * Opens (or reuses) `concurrency` connections to the app with cheap requests (`/delegate help`), so a
 * measurement does not start with a burst of new connections: Node closes idle ones after 5 s.
 */
export async function primeConnections(ws: Workspace, driver: TimedDriver, concurrency: number) {
  await runConcurrent(ws.anyPairs(2 * concurrency), concurrency, ws.deadline, async (pair) => {
    const response = await driver.command(pair.userId, '/delegate', 'help');
    expectOk(response, 'slash command');
  });
}

/** Submits open modals, each with its pair's mailbox; returns the request ids the bot answered with. */
export async function submitModals(
  ws: Workspace,
  driver: TimedDriver,
  items: readonly { pair: Pair; view: SimView }[],
  concurrency: number,
  expectRequestId: boolean,
) {
  const requestIds: (string | undefined)[] = [];
  const acks = await measure(ws, items, concurrency, async ({ pair, view }, i) => {
    const response = await driver.submitView(pair.userId, view, valuesFor(pair));
    expectOk(response, 'view submission');
    if (expectRequestId) {
      requestIds[i] = requestIdIn(response.text);
      if (!requestIds[i]) throw new Error(`submission refused: ${response.text.slice(0, 200)}`);
    }
    return response.elapsedMs;
  });
  return { acks, requestIds };
}

export async function clickApprove(
  ws: Workspace,
  driver: TimedDriver,
  cards: readonly SimMessage[],
  concurrency: number,
) {
  /** When each click was sent, in ms since the epoch. */
  const clickedAt: number[] = [];
  const acks = await measure(ws, cards, concurrency, async (card, i) => {
    const response = await driver.clickButton(APPROVERS[i % APPROVERS.length]!, card, IDS.approveAction);
    expectOk(response, 'approve click');
    clickedAt[i] = response.sentAt ?? Number.NaN;
    return response.elapsedMs;
  });
  return { acks, clickedAt };
}

/** Looks each key up with `find` (which waits up to its own timeout); in order, undefined if not found. */
export async function lookupAll<T>(
  keys: readonly (string | undefined)[],
  find: (key: string) => Promise<T>,
): Promise<{ values: (T | undefined)[]; missing: number }> {
  const settled = await Promise.allSettled(keys.map((key) => (key ? find(key) : Promise.reject())));
  const values = settled.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
  return { values, missing: values.filter((value) => value === undefined).length };
}

/** The modals the bot opened for these commands, paired with the command's (requester, mailbox). */
export async function modalsOf(
  ws: Workspace,
  pairs: readonly Pair[],
  triggerIds: readonly (string | undefined)[],
) {
  const modals = await lookupAll(triggerIds, (id) => ws.watcher.view(id, 10_000));
  const items = pairs.flatMap((pair, i) => {
    const view = modals.values[i];
    return view ? [{ pair, view }] : [];
  });
  return { items, missing: modals.missing };
}

export async function cardsOf(ws: Workspace, requestIds: readonly (string | undefined)[]) {
  const cards = await lookupAll(requestIds, (id) => ws.watcher.card(id, 15_000));
  return { cards: cards.values.filter((card) => card !== undefined), missing: cards.missing };
}

export interface Completion {
  granted: number;
  failed: number;
  missing: number;
  /** From the click being sent to the result's post in the thread. */
  clickToResult: LatencySummary;
}

/** Waits for the result of each approval in its card's thread; `clickedAt` in ms since the epoch. */
export async function awaitResults(
  ws: Workspace,
  cards: readonly SimMessage[],
  clickedAt: readonly number[],
): Promise<Completion> {
  const replies = await lookupAll(
    cards.map((card) => card.ts),
    (ts) => ws.watcher.reply(ts, 30_000),
  );
  const clickToResult: number[] = [];
  let failed = 0;
  replies.values.forEach((reply, i) => {
    if (!reply) return;
    if (!reply.text.includes('Done')) failed += 1;
    const postedAt = reply.history[0]?.at;
    const clicked = clickedAt[i];
    if (postedAt !== undefined && clicked !== undefined && Number.isFinite(clicked))
      clickToResult.push(postedAt - clicked);
  });
  return {
    granted: replies.values.length - replies.missing - failed,
    failed,
    missing: replies.missing,
    clickToResult: summarize(clickToResult),
  };
}

/**
 * Pending requests with cards, made the way people make them (command, modal, submit) at the given
 * concurrency; the acks are not the point here.
 */
export async function createRequests(ws: Workspace, driver: TimedDriver, pairs: readonly Pair[]) {
  const commands = await sendCommands(ws, driver, pairs, 50);
  const modals = await modalsOf(ws, pairs, commands.triggerIds);
  const submissions = await submitModals(ws, driver, modals.items, 50, true);
  const cards = await cardsOf(ws, submissions.requestIds);
  const failures = commands.acks.summary.failures + submissions.acks.summary.failures;
  return { cards: cards.cards, lost: failures + modals.missing + cards.missing };
}

/** One whole request: command → modal → submit → card → approve → result in the card's thread. */
export async function completeFlow(
  ws: Workspace,
  driver: TimedDriver,
  pair: Pair,
  index: number,
  approvals: { n: number },
) {
  const started = performance.now();
  const command = await driver.command(pair.userId, '/delegate', '');
  expectOk(command, 'slash command');
  const view = await ws.watcher.view(command.triggerId, 5_000);
  const modalMs = view.openedAt - (command.sentAt ?? Number.NaN);
  const submitted = await driver.submitView(pair.userId, view, valuesFor(pair));
  expectOk(submitted, 'view submission');
  const requestId = requestIdIn(submitted.text);
  if (!requestId) throw new Error(`submission refused: ${submitted.text.slice(0, 200)}`);
  const stored = performance.now();
  const card = await ws.watcher.card(requestId, 10_000);
  const cardMs = performance.now() - stored;
  const click = await driver.clickButton(APPROVERS[index % APPROVERS.length]!, card, IDS.approveAction);
  expectOk(click, 'approve click');
  approvals.n += 1;
  const reply = await ws.watcher.reply(card.ts, 20_000);
  const resultMs = (reply.history[0]?.at ?? Number.NaN) - (click.sentAt ?? Number.NaN);
  if (!reply.text.includes('Done')) throw new Error(`flow ended with: ${reply.text.slice(0, 120)}`);
  return {
    flowMs: performance.now() - started,
    acks: { command: command.elapsedMs, submit: submitted.elapsedMs, click: click.elapsedMs },
    /**
     * What people wait for: from the command sent to the form open (views.open accepted), from the
     * submission's ack to the card posted, from the approve click sent to the result in the thread.
     */
    after: { modal: modalMs, card: cardMs, result: resultMs },
  };
}

// ----- for the baseline, which opens and posts nothing itself -------------------------------------------

/** Opens the bot's own request modal for each pair through the simulator's Web API, as the bot would. */
export async function openModalsDirectly(ws: Workspace, pairs: readonly Pair[]) {
  const emails = new Map(ws.requesters.map((user) => [user.id, user.email ?? '']));
  const { lifecycle, access } = ws.config;
  const opened = await runConcurrent(pairs, 50, ws.deadline, async (pair) => {
    const triggerId = ws.sim.createTrigger({ userId: pair.userId });
    await callSim(ws.sim, BOT_TOKEN, 'views.open', {
      trigger_id: triggerId,
      view: requestModal({
        granteeEmail: emails.get(pair.userId) ?? '',
        durationChoicesHours: lifecycle.durationChoicesHours,
        defaultDurationHours: lifecycle.defaultDurationHours,
        approvalChannelId: access.approvalChannelId,
      }),
    });
    return { pair, view: await ws.watcher.view(triggerId, 1000) };
  });
  return opened.results;
}

/** A pending request's card as the bot posts it, for the baseline to be clicked on (it never changes). */
export async function postSampleCard(ws: Workspace): Promise<SimMessage> {
  const now = new Date();
  const requester = ws.requesters[0]!;
  const request: DelegationRequest = {
    id: 'DR-0000AB',
    status: 'pending',
    requesterId: requester.id,
    granteeEmail: requester.email ?? '',
    mailbox: 'shared0001@example.com',
    reason: REASON,
    durationHours: ws.config.lifecycle.defaultDurationHours,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  const posted = await callSim(ws.sim, BOT_TOKEN, 'chat.postMessage', {
    channel: APPROVAL_CHANNEL,
    ...requestCard(request, ws.config.lifecycle.durationChoicesHours),
  });
  const card = ws.sim.findMessage(APPROVAL_CHANNEL, String(posted.ts));
  if (!card) throw new Error('the sample card was not recorded');
  return card;
}
