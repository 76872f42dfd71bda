import { describe, expect, it } from 'vitest';
import { startSlackSimulator } from '../../../testkit/slack/index.js';
import { BOT_TOKEN, slackError, webClient } from './support.js';

describe('Slack simulator, Socket Mode', () => {
  it('opens a connection only for the app-level token, and only once per ticket', async () => {
    const sim = await startSlackSimulator({ botToken: BOT_TOKEN });
    try {
      await expect(sim.sendEnvelope('slash_commands', { command: '/x' })).rejects.toThrow(
        /no Socket Mode app/,
      );
      expect((await slackError(webClient(sim).apps.connections.open())).error).toBe('invalid_auth');
      const opened = await webClient(sim, { token: sim.appToken }).apps.connections.open();
      const url = String(opened.url);
      expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/socket-mode\?ticket=[0-9a-f]+$/);

      const { WebSocket } = await import('ws');
      const connect = (target: string) =>
        new Promise<{ hello?: unknown; refused?: number | undefined }>((resolve) => {
          const ws = new WebSocket(target);
          ws.on('message', (data) => {
            resolve({ hello: JSON.parse(String(data)) });
            ws.close();
          });
          ws.on('unexpected-response', (_request, response) => resolve({ refused: response.statusCode }));
          ws.on('error', () => undefined);
        });
      expect(await connect(url)).toMatchObject({
        hello: { type: 'hello', connection_info: { app_id: sim.appId } },
      });
      expect(await connect(url)).toEqual({ refused: 401 }); // a ticket is good for one connection
      await expect(sim.sendEnvelope('slash_commands', { command: '/x' })).rejects.toThrow(
        /no Socket Mode app/,
      );
    } finally {
      await sim.close();
    }
  });
});
