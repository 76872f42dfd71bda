import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { RequestService } from '../../requests/service.js';
import { homeView } from '../blocks/home.js';
import type { ListenerContext } from './context.js';

/** Renders and publishes one person's App Home: their requests, and the queue if they approve. */
export async function publishHome(client: WebClient, service: RequestService, userId: string): Promise<void> {
  const contents = await service.home(userId);
  await client.views.publish({ user_id: userId, view: homeView({ userId, ...contents }) });
}

/** A Slack user id (U… or W…): anything else is not a person whose Home can be published. */
const homeOpened = z.object({ user: z.string().regex(/^[UW][A-Z0-9]{2,20}$/), tab: z.string().optional() });

export function registerEvents(app: App, { service, logger }: ListenerContext): void {
  app.event('app_home_opened', async ({ event, client }) => {
    const parsed = homeOpened.safeParse(event);
    if (!parsed.success || (parsed.data.tab && parsed.data.tab !== 'home')) return;
    try {
      await publishHome(client, service, parsed.data.user);
    } catch (error) {
      logger.error({ err: error, user: parsed.data.user }, 'could not publish App Home');
    }
  });
}
