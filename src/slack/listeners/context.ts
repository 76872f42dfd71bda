import type { AppConfig } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { RequestService } from '../../requests/service.js';

/** What every listener may use; built once by the composition root. */
export interface ListenerContext {
  service: RequestService;
  config: AppConfig;
  logger: Logger;
}

export const SOMETHING_WENT_WRONG =
  'Something went wrong on our side and nothing was changed. Please try again in a minute; if it keeps happening, tell your IT team.';
