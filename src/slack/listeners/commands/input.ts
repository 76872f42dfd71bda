import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../../logger.js';
import { parseRequestId } from '../../../requests/ids.js';
import { giveRequestId } from '../../copy/common.js';
import type { ListenerContext } from '../context.js';

/** One `/delegate` command, read: who, the words after the subcommand, and how to answer. */
export interface CommandInput {
  userId: string;
  args: string[];
  /** An ephemeral answer only the person sees. */
  reply: (text: string) => Promise<unknown>;
  client: WebClient;
  log: Logger;
  context: ListenerContext;
}

/** The request id the command names, or undefined once the person has been told how to give one. */
export async function requestIdArg(input: CommandInput, usage: string): Promise<string | undefined> {
  const id = parseRequestId(input.args[0] ?? '');
  if (!id) await input.reply(giveRequestId(usage));
  return id;
}
