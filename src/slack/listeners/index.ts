import type { App } from '@slack/bolt';
import { registerActions } from './actions.js';
import { registerCommands } from './commands/index.js';
import type { ListenerContext } from './context.js';
import { registerDriftActions } from './drift-actions.js';
import { registerFormUpdates } from './form.js';
import { registerEvents } from './home.js';
import { registerOwnerAnswers } from './owner.js';
import { dropHandledRetries } from './retries.js';
import { answerUnknown } from './unknown.js';
import { registerViews } from './views.js';

/** Every Slack listener, registered from one place: commands, view submissions, button actions, events. */
export function registerListeners(bolt: App, context: ListenerContext): void {
  // Registered through `app`, the listeners tell answerUnknown what they handle.
  const { app, middleware: unknownAcked } = answerUnknown(bolt, context.logger);
  app.use(dropHandledRetries(context.logger));
  app.use(unknownAcked);
  registerCommands(app, context);
  registerViews(app, context);
  registerActions(app, context);
  registerDriftActions(app, context);
  registerFormUpdates(app, context);
  registerOwnerAnswers(app, context);
  registerEvents(app, context);
}
