/** The simulator's state, one part per concern, as the Web API methods and the servers see it. */
import type { MessageStore } from './messages.js';
import type { Recorder } from './recorder.js';
import type { Triggers } from './triggers.js';
import type { ViewStore } from './view-store.js';
import type { Workspace } from './workspace.js';

export interface SimParts {
  workspace: Workspace;
  recorder: Recorder;
  messages: MessageStore;
  views: ViewStore;
  triggers: Triggers;
}
