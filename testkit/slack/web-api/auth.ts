/**
 * auth.test: who the bot token belongs to; bots.info: a bot user's app. (apps.connections.open is
 * Socket Mode's; see socket-mode.ts.)
 */
import type { SimParts } from '../parts.js';
import { argString, failure, type MethodTable } from './result.js';

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
    'bots.info': (args) => {
      const bot = argString(args, 'bot');
      if (bot !== workspace.botId) return failure('bot_not_found');
      return {
        ok: true,
        bot: {
          id: workspace.botId,
          deleted: false,
          name: 'Mailbox Access',
          updated: 1_700_000_000,
          app_id: workspace.appId,
          user_id: workspace.botUserId,
          icons: {},
        },
      };
    },
  };
}
