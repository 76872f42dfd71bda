/**
 * The process under test: transpiled by bench/build.ts, started by bench/run.ts with `node --expose-gc` and
 * an IPC channel. BENCH_APP=bot runs the real bot (createBot with the config from the environment, as
 * src/main.ts does); BENCH_APP=baseline runs a minimal Bolt App with an HTTPReceiver whose listeners only
 * ack(), except the slash command's, which then opens the same request form (views.open): the least any
 * app does for that command, so that the time to the form has a baseline too. Either way it answers { type: 'stats' } with its memory, CPU time, event-loop delay and GC pauses,
 * and { type: 'stop' } by stopping and exiting; so what is measured is this process alone.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { createBot } from '../src/app.js';
import { formatConfigProblems, loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { IDS } from '../src/slack/blocks/ids.js';
import { requestModal } from '../src/slack/blocks/request-modal.js';

/** `gc` runs a full collection first; `resetLoop` starts a new event-loop delay window after answering. */
export type ToChild = { type: 'stats'; id: number; gc: boolean; resetLoop: boolean } | { type: 'stop' };

/** What the child reports of itself: memory, CPU time, event-loop delay and GC pauses. */
export interface ChildStats {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  /** Memory of C++ objects bound to JavaScript objects, Buffers included. */
  external: number;
  /** User + system CPU time since the process started, in microseconds. */
  cpuUs: number;
  /** How late the event loop ran a 2 ms timer since the last reset (stats with resetLoop): p99 and max, in ms. */
  loopDelayP99: number;
  loopDelayMax: number;
  /** Garbage-collection pauses since the last reset: total and longest, in ms. */
  gcTotalMs: number;
  gcMaxMs: number;
}

export type FromChild =
  | { type: 'ready'; port: number }
  | ({ type: 'stats'; id: number } & ChildStats)
  | { type: 'failed'; message: string };

function send(message: FromChild): void {
  process.send?.(message);
}

async function startBot(): Promise<() => Promise<void>> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) throw new Error(formatConfigProblems(loaded.problems));
  const bot = createBot(loaded.config, { logger: createLogger(loaded.config.logLevel) });
  await bot.start();
  return () => bot.stop();
}

/** The baseline: the same signing secret, token and Slack API, and nothing but ack() (and the form). */
async function startBaseline(): Promise<() => Promise<void>> {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) throw new Error(formatConfigProblems(loaded.problems));
  const { lifecycle, access } = loaded.config;
  const app = new App({
    token: process.env.SLACK_BOT_TOKEN ?? '',
    receiver: new HTTPReceiver({
      signingSecret: process.env.SLACK_SIGNING_SECRET ?? '',
      processBeforeResponse: false,
      logLevel: LogLevel.WARN,
      // For the abuse phase, which asks both apps' /healthz while it attacks them.
      customRoutes: [
        {
          path: '/healthz',
          method: ['GET'],
          handler: (_req, res) => res.writeHead(200).end('{"status":"ok"}'),
        },
      ],
    }),
    clientOptions: { slackApiUrl: process.env.SLACK_API_URL ?? '' },
    logLevel: LogLevel.WARN,
  });
  app.command('/delegate', async ({ ack, body, client }) => {
    await ack();
    await client.views.open({
      trigger_id: body.trigger_id,
      view: requestModal({
        granteeEmail: `${body.user_name}@example.com`,
        durationChoicesHours: lifecycle.durationChoicesHours,
        defaultDurationHours: lifecycle.defaultDurationHours,
        approvalChannelId: access.approvalChannelId,
      }),
    });
  });
  app.view(IDS.requestModal, async ({ ack }) => {
    await ack();
  });
  app.action(IDS.approveAction, async ({ ack }) => {
    await ack();
  });
  await app.start(Number(process.env.PORT));
  return () => app.stop().then(() => undefined);
}

const loopDelay = monitorEventLoopDelay({ resolution: 2 });
loopDelay.enable();
const gcPauses = { totalMs: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcPauses.totalMs += entry.duration;
    gcPauses.maxMs = Math.max(gcPauses.maxMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

function stats(id: number, gc: boolean, resetLoop: boolean): FromChild {
  if (gc) (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  const delay = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
  const pauses = { ...gcPauses };
  if (resetLoop) {
    loopDelay.reset();
    gcPauses.totalMs = 0;
    gcPauses.maxMs = 0;
  }
  return {
    type: 'stats',
    id,
    rss: memory.rss,
    heapTotal: memory.heapTotal,
    heapUsed: memory.heapUsed,
    external: memory.external,
    cpuUs: cpu.user + cpu.system,
    loopDelayP99: delay.p99,
    loopDelayMax: delay.max,
    gcTotalMs: pauses.totalMs,
    gcMaxMs: pauses.maxMs,
  };
}

// Never outlive the benchmark that started us.
process.on('disconnect', () => process.exit(1));

try {
  const stop = process.env.BENCH_APP === 'baseline' ? await startBaseline() : await startBot();
  process.on('message', (message: ToChild) => {
    if (message.type === 'stats') send(stats(message.id, message.gc, message.resetLoop));
    if (message.type === 'stop') {
      void stop()
        .catch(() => undefined)
        .finally(() => process.exit(0));
    }
  });
  send({ type: 'ready', port: Number(process.env.PORT) });
} catch (error) {
  process.send?.({ type: 'failed', message: error instanceof Error ? error.message : String(error) }, () =>
    process.exit(1),
  );
}
