/**
 * What an interaction needs from the simulator's records, as they are now (a test may hold an older
 * copy): a user who can use Slack, a known channel, an open view of the user's, a message that still
 * exists. Anything else throws, since a person could not do it.
 */
import type { SimEphemeral, SimMessage, SimView, SlackSimulator } from '../slack/index.js';
import { describeView } from './view-state.js';

export function knownUser(sim: SlackSimulator, userId: string) {
  const user = sim.users.get(userId);
  if (user === undefined) throw new Error(`unknown user ${userId}: add it with sim.addUser() first`);
  if (user.deleted) throw new Error(`user ${userId} is deactivated and cannot use Slack`);
  return user;
}

export function channelNameOf(sim: SlackSimulator, channelId: string): string {
  const name = sim.channelName(channelId);
  if (name === undefined) throw new Error(`unknown channel ${channelId}: add it with sim.addChannel() first`);
  return name;
}

/** The view as the simulator has it now; it must be open and the user's. */
export function openViewOf(sim: SlackSimulator, userId: string, view: SimView): SimView {
  knownUser(sim, userId);
  const record = sim.findView(view.id);
  if (record === undefined) throw new Error(`the simulator has no view ${view.id}`);
  if (record.status !== 'open') throw new Error(`view ${describeView(record)} is closed`);
  if (record.userId !== undefined && record.userId !== userId) {
    throw new Error(`view ${describeView(record)} was opened for ${record.userId}, not ${userId}`);
  }
  return record;
}

/** The message as the simulator has it now: it may have been edited or deleted since the test read it. */
export function currentMessage(
  sim: SlackSimulator,
  message: SimMessage | SimEphemeral,
): { current: SimMessage | SimEphemeral; isEphemeral: boolean } {
  const posted = sim.findMessage(message.channel, message.ts);
  if (posted !== undefined) return { current: posted, isEphemeral: false };
  const ephemeral = sim.ephemerals.find((e) => e.channel === message.channel && e.ts === message.ts);
  if (ephemeral !== undefined) return { current: ephemeral, isEphemeral: true };
  throw new Error(`message ${message.ts} in ${message.channel} no longer exists`);
}
