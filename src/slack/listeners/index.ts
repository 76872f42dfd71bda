import type { App } from '@slack/bolt';
import { registerActions } from './actions.js';
import { registerCommands } from './commands.js';
import type { ListenerContext } from './context.js';
import { registerEvents } from './home.js';
import { dropHandledRetries } from './retries.js';
import { registerViews } from './views.js';

/** Every Slack listener, registered from one place: commands, view submissions, button actions, events. */
export function registerListeners(app: App, context: ListenerContext): void {
  app.use(dropHandledRetries(context.logger));
  registerCommands(app, context);
  registerViews(app, context);
  registerActions(app, context);
  registerEvents(app, context);
}
