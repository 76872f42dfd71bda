import type { AppConfig } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { InFlight } from '../../requests/in-flight.js';
import type { RequestService } from '../../requests/service.js';
import type { TurnTaker } from '../../requests/turns.js';

/** What every listener may use; built once by the composition root. */
export interface ListenerContext {
  service: RequestService;
  /** Work after an ack waits for its turn, so that other requests' acks come first (see Turns). */
  turns: TurnTaker;
  config: AppConfig;
  logger: Logger;
  /** Slack requests still being handled (the composition root tracks each), and follow-ups listeners leave behind (see Bot.idle). */
  work: InFlight;
}
