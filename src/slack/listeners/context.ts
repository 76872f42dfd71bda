import type { AppConfig } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { RequestService } from '../../requests/service.js';
import type { TurnTaker } from '../../requests/turns.js';

/** What every listener may use; built once by the composition root. */
export interface ListenerContext {
  service: RequestService;
  /** Work after an ack waits for its turn, so that other requests' acks come first (see Turns). */
  turns: TurnTaker;
  config: AppConfig;
  logger: Logger;
}

export const SOMETHING_WENT_WRONG =
  'Something went wrong on our side and nothing was changed. Please try again in a minute; if it keeps happening, tell your IT team.';

/** After a bug of the bot's own while it granted access an approver had approved: the approval stands. */
export const approvedButBroken = (id: string) =>
  `Your approval of *${id}* is recorded, but the bot hit an error of its own while granting the access. ` +
  `Do not approve it again. Check \`/delegate status ${id}\` in a few minutes; if it is not granted by then, tell your IT team.`;

/** When a modal could not open because its trigger ran out (see isLateTrigger). */
export const lateTrigger = (again: string) =>
  `Slack gives an app 3 seconds to open a form, and the bot was slower than that this time, so nothing opened and nothing was changed. Please ${again} again.`;
