import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { App, type CustomRoute, SocketModeReceiver } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import type { AppConfig } from './config.js';
import type { Logger } from './logger.js';
import { countingStore, measuredMimecast, slackCallCounter } from './metrics/decorators.js';
import { type BotMetrics, createMetrics } from './metrics/registry.js';
import { MimecastClient } from './mimecast/client.js';
import { currentRequest } from './request-context.js';
import { InFlight } from './requests/in-flight.js';
import { NoticeDispatcher } from './requests/notice-dispatcher.js';
import type { Clock, MimecastApi, Store } from './requests/ports/index.js';
import { Scheduler } from './requests/scheduler.js';
import { RequestService } from './requests/service.js';
import { Turns } from './requests/turns.js';
import { boltLogger } from './slack/bolt-logger.js';
import { isPermanentSlackError, SlackDelivery } from './slack/delivery.js';
import { SlackDirectory } from './slack/directory.js';
import { SlackFindingDelivery } from './slack/finding-delivery.js';
import { slackTransport } from './slack/http.js';
import { HTTP_LIMITS, type HttpLimits } from './slack/http-limits.js';
import { registerListeners } from './slack/listeners/index.js';
import { type Installation, identifyInstallation, originGuard } from './slack/origin.js';
import { GuardedReceiver } from './slack/receiver.js';
import { createStore } from './store/open.js';

export interface BotOptions {
  logger: Logger;
  clock?: Clock;
  /** Replaces the real Mimecast client (tests of the Slack layer alone). */
  mimecast?: MimecastApi;
  store?: Store;
  /** Extra WebClient settings, e.g. `retryConfig: { retries: 0 }` in tests. */
  clientOptions?: WebClientOptions;
  /** How often undelivered notices are retried; defaults to every second. */
  noticePollIntervalMs?: number;
  /** The HTTP receiver's limits (HTTP_LIMITS), e.g. shorter timeouts in tests. */
  httpLimits?: Partial<HttpLimits>;
  /**
   * Tests only: shorter claims and sweeps than the settings allow, so that taking over the work of a
   * replica that died takes seconds, not minutes (see test/support/bot-process.ts).
   */
  claimLeaseMs?: number;
  schedulerIntervalMs?: number;
  noticeLeaseMs?: number;
}

export interface Bot {
  app: App;
  service: RequestService;
  /** The store, counted by the metrics. */
  store: Store;
  metrics: BotMetrics;
  dispatcher: NoticeDispatcher;
  scheduler: Scheduler;
  /** Starts listening; resolves with the HTTP port once the bot is ready. */
  start(): Promise<{ port: number }>;
  /**
   * An orderly stop: /readyz answers 503 at once, no new Mimecast call or sweep starts, calls under
   * way get up to SHUTDOWN_TIMEOUT_SECONDS to finish (those still running then have their claims
   * given up for another replica), then Slack, the outbox and the store are closed.
   */
  stop(): Promise<void>;
  /**
   * Resolves once the bot has nothing in hand: no Slack request still being handled (from the
   * receiver's hand-off to Bolt to its last step after the ack, over HTTP or Socket Mode), no background
   * work of the service (provisioning, removals, sweeps), no notice delivery round. Requests the HTTP
   * gate refuses are logged before they are answered, so they leave nothing behind. For tests, before
   * checking that nothing else happened; retries scheduled for later do not count.
   */
  idle(): Promise<void>;
}

/**
 * The composition root: builds every part from the config and wires them together. `main.ts` runs
 * it; tests, the demo and the benchmark run it against the simulators.
 */
export function createBot(config: AppConfig, options: BotOptions): Bot {
  const { logger } = options;
  const clock = options.clock ?? (() => new Date());
  // SQLite at DATABASE_PATH, or PostgreSQL at DATABASE_URL (connected and migrated by the time start() goes on).
  const opened = options.store
    ? { store: options.store, ready: Promise.resolve() }
    : createStore(config.database, { logger });
  const metrics = createMetrics({
    store: opened.store,
    clock,
    logger: logger.child({ component: 'metrics' }),
  });
  // The metrics count at the ports: requests, decisions and outcomes at the store's transitions, calls
  // at the Mimecast port and at the Slack transport.
  const store = countingStore(opened.store, metrics);
  const mimecast = measuredMimecast(
    options.mimecast ??
      new MimecastClient(config.mimecast, { logger: logger.child({ component: 'mimecast' }) }),
    metrics,
  );
  let ready = false;
  let stopping: Promise<void> | undefined;
  // Whose payloads are taken: learnt from Slack at start, before the first request is read.
  let installation: Installation | undefined;

  const customRoutes: CustomRoute[] = [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      },
    },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req, res) => {
        // Stopping: 503 at once, so that a load balancer stops sending before the port closes. The same
        // answer when the stop began during the store's ping.
        const stoppingAnswer = () =>
          res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"stopping"}');
        if (stopping) {
          stoppingAnswer();
          return;
        }
        void store.ping().then((storeOk) => {
          if (stopping) {
            stoppingAnswer();
            return;
          }
          const ok = ready && storeOk;
          res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              status: ok ? 'ready' : 'not ready',
              store: storeOk ? 'ok' : 'unavailable',
              config: 'loaded',
            }),
          );
        });
      },
    },
    {
      path: '/metrics',
      method: ['GET'],
      handler: (_req, res) => {
        metrics.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
          (error: unknown) => {
            logger.warn({ err: error }, 'metrics could not be collected');
            res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be collected\n');
          },
        );
      },
    },
  ];

  const slackHttp = slackTransport(slackCallCounter(metrics));
  const clientOptions: WebClientOptions = {
    fetch: slackHttp.fetch,
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    ...options.clientOptions,
  };
  const boltLog = boltLogger(logger);
  // convoStore: false drops Bolt's conversation-state middleware from every request; state lives in the store.
  const app =
    config.slack.mode === 'http'
      ? new App({
          token: config.slack.botToken,
          receiver: new GuardedReceiver({
            signingSecret: config.slack.signingSecret,
            customRoutes,
            boltLogger: boltLog,
            logger: logger.child({ component: 'http' }),
            limits: { ...HTTP_LIMITS, ...options.httpLimits },
            installation: () => installation,
          }),
          clientOptions,
          logger: boltLog,
          deferInitialization: true,
          convoStore: false,
        })
      : new App({
          token: config.slack.botToken,
          socketMode: true,
          appToken: config.slack.appToken ?? '',
          signingSecret: config.slack.signingSecret,
          receiver: new SocketModeReceiver({
            appToken: config.slack.appToken ?? '',
            customRoutes,
            installerOptions: { port: config.slack.port, clientOptions },
            logger: boltLog,
            // An envelope Bolt fails on before any listener (a shape it cannot read) would fail the
            // same way when Slack resends it: log it with its request, and acknowledge it.
            processEventErrorHandler: async ({ error, event }) => {
              logger.error(
                { err: error, req: currentRequest(), type: (event.body as { type?: unknown }).type },
                'Bolt failed on a Socket Mode payload; acknowledged so that Slack does not resend it',
              );
              return true;
            },
          }),
          clientOptions,
          logger: boltLog,
          deferInitialization: true,
          convoStore: false,
        });

  const directory = new SlackDirectory(app.client, { ttlMs: config.access.groupCacheTtlMs, logger });
  const delivery = new SlackDelivery(app.client, {
    approvalChannelId: config.access.approvalChannelId,
    adminGroupIds: config.access.adminGroupIds,
    extendChoicesHours: config.lifecycle.durationChoicesHours,
    logger: logger.child({ component: 'notices' }),
  });
  // Slack's acks first: background steps take turns with them (see Turns).
  const turns = new Turns();
  const dispatcher = new NoticeDispatcher({
    turns,
    store,
    deliverer: delivery,
    clock,
    logger: logger.child({ component: 'notices' }),
    isPermanentFailure: isPermanentSlackError,
    ...(options.noticePollIntervalMs ? { pollIntervalMs: options.noticePollIntervalMs } : {}),
    ...(options.noticeLeaseMs ? { leaseMs: options.noticeLeaseMs } : {}),
  });
  const service = new RequestService({
    store,
    mimecast,
    directory,
    clock,
    logger: logger.child({ component: 'requests' }),
    policy: {
      requesterGroupIds: config.access.requesterGroupIds,
      approverGroupIds: config.access.approverGroupIds,
      adminGroupIds: config.access.adminGroupIds,
      approvalChannelId: config.access.approvalChannelId,
      allowedEmailDomains: config.access.allowedEmailDomains,
      durationChoicesHours: config.lifecycle.durationChoicesHours,
      defaultDurationHours: config.lifecycle.defaultDurationHours,
      requestTtlHours: config.lifecycle.requestTtlHours,
      reminderAfterHours: config.lifecycle.reminderAfterHours,
    },
    limits: { maxOpenRequests: config.access.maxOpenRequests },
    approvalPolicy: config.approvalPolicy,
    onNotices: () => dispatcher.kick(),
    // The next check of an unknown outcome, when it comes before the next regular sweep.
    onDue: (at) => scheduler.wake(at),
    findings: new SlackFindingDelivery(app.client, {
      approvalChannelId: config.access.approvalChannelId,
      adminGroupIds: config.access.adminGroupIds,
    }),
    turns,
    processId: `${hostname()}#${process.pid}-${randomBytes(3).toString('hex')}`,
    ...(options.claimLeaseMs ? { claimLeaseMs: options.claimLeaseMs } : {}),
  });

  const scheduler = new Scheduler(service, {
    intervalMs: options.schedulerIntervalMs ?? config.lifecycle.schedulerIntervalMs,
    logger: logger.child({ component: 'scheduler' }),
    clock,
    reconcileIntervalMs: config.lifecycle.reconcileIntervalHours * 3_600_000,
  });

  // Each Slack request from the receiver's hand-off to its end: Bolt acks an event before any
  // middleware runs, listeners go on after their acks, and errors are logged once they return.
  const listenerWork = new InFlight();
  const processEvent = app.processEvent.bind(app);
  app.processEvent = (event) => listenerWork.track(processEvent(event));
  // Over Socket Mode no HTTP gate sees the payloads: the same shape and origin checks run first here.
  if (config.slack.mode === 'socket')
    app.use(originGuard(() => installation, logger.child({ component: 'socket' })));
  registerListeners(app, { service, turns, config, logger, work: listenerWork });
  app.error(async (error) => {
    logger.error({ err: error }, 'unhandled error in a Slack listener');
  });

  return {
    app,
    service,
    store,
    metrics,
    dispatcher,
    scheduler,
    async start() {
      await opened.ready;
      await initSlack(app, logger);
      installation = await identifyInstallation(app.client, config.slack.appId, logger);
      logger.info(
        { team: installation.teamId, enterprise: installation.enterpriseId, appId: installation.appId },
        'taking payloads for this installation only',
      );
      const started = (await app.start(config.slack.port)) as unknown;
      await service.recordPolicyAtStart();
      dispatcher.start();
      const recovered = await service.recoverInterrupted();
      if (
        recovered.interrupted.length ||
        recovered.resumed.length ||
        recovered.removalsInterrupted.length ||
        recovered.noticesReleased
      )
        logger.warn(recovered, 'recovered requests');
      scheduler.start();
      ready = true;
      const port =
        config.slack.mode === 'http'
          ? ((started as Server).address() as AddressInfo).port
          : config.slack.port;
      logger.info({ mode: config.slack.mode, port }, 'delegate bot ready');
      return { port };
    },
    async idle() {
      // Each part can hand work to another (a click approves, the approval provisions, provisioning
      // queues notices): wait for each in turn until one pass, after a turn of the event loop, finds
      // all of them idle.
      for (;;) {
        await listenerWork.idle();
        await service.idle();
        await dispatcher.idle();
        await new Promise((resolve) => setImmediate(resolve));
        if (!listenerWork.busy && !service.busy && !dispatcher.busy) return;
      }
    },
    stop() {
      stopping ??= (async () => {
        ready = false;
        const timeoutMs = config.lifecycle.shutdownTimeoutMs;
        logger.info({ timeoutMs }, 'stopping: no new work; waiting for Mimecast calls under way');
        // drain() stops new Mimecast calls at once; the sweep running now ends at its next step.
        const draining = service.drain(timeoutMs);
        await scheduler.stop();
        const drained = await draining;
        // Slack requests that arrived while draining were answered; from now on none is taken.
        await app.stop().catch((error: unknown) => logger.warn({ err: error }, 'error while stopping Bolt'));
        await dispatcher.stop();
        // Calls still running after the bound are left behind (their claims were given up): closing
        // their connections would wait for them.
        if (drained.finished) await mimecast.close();
        await slackHttp.close();
        await store.close();
        logger.info({ finished: drained.finished, released: drained.released.length }, 'stopped');
      })();
      return stopping;
    },
  };
}

/**
 * Bolt's own auth.test, run here rather than in its constructor so that a token Slack refuses stops
 * start-up with a message saying what to fix. An unreachable Slack is retried by the WebClient.
 */
async function initSlack(app: App, logger: Logger): Promise<void> {
  const slow = setTimeout(
    () => logger.warn('Slack has not answered auth.test for 10 s; still trying'),
    10_000,
  );
  slow.unref();
  try {
    await app.init();
  } catch (error) {
    const code = (error as { data?: { error?: string } }).data?.error;
    if (code && ['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked'].includes(code)) {
      throw new Error(
        `Slack refused SLACK_BOT_TOKEN (${code}): copy the Bot User OAuth Token again from OAuth & Permissions`,
      );
    }
    throw error;
  } finally {
    clearTimeout(slow);
  }
}
