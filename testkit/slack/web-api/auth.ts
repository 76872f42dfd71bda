/** auth.test: who the bot token belongs to. (apps.connections.open is Socket Mode's; see socket-mode.ts.) */
import type { SimParts } from '../parts.js';
import type { MethodTable } from './result.js';

export function authMethods({ workspace }: SimParts): MethodTable {
  return {
    'auth.test': () => ({
      ok: true,
      url: `https://${workspace.teamDomain}.slack.com/`,
      team: workspace.teamDomain,
      user: 'bot',
      team_id: workspace.teamId,
      user_id: workspace.botUserId,
      bot_id: workspace.botId,
      is_enterprise_install: false,
    }),
  };
}
