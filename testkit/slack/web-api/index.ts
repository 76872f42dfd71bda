/** Every Web API method the simulator answers, by family. */
import type { SimParts } from '../parts.js';
import { authMethods } from './auth.js';
import { chatMethods } from './chat.js';
import { directoryMethods } from './directory.js';
import type { ApiResult, MethodTable } from './result.js';
import { viewsMethods } from './views.js';

/** `openSocketConnection` answers apps.connections.open, which Socket Mode owns. */
export function webApiMethods(parts: SimParts, openSocketConnection: () => ApiResult): MethodTable {
  return {
    ...authMethods(parts),
    'apps.connections.open': openSocketConnection,
    ...directoryMethods(parts),
    ...chatMethods(parts),
    ...viewsMethods(parts),
  };
}
