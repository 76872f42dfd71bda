import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import type { Store, StoreOverview } from '../requests/ports/index.js';

/**
 * The bot's Prometheus metrics, on a registry of its own (never prom-client's global one, so several
 * bots in one process, as in the tests, do not clash), with prom-client's default process metrics.
 * Labels are small fixed sets (outcomes, operations, Slack method names): never an address, a user
 * id or a request id. What is counted is counted by decorators in the composition root (see
 * decorators.ts); the gauges are read from the store when scraped.
 */
export interface BotMetrics {
  readonly registry: Registry;
  readonly requestsSubmitted: Counter;
  /**
   * Requests by how they ended: granted (also once a search settled an unknown outcome),
   * already_had_access, failed, outcome_unknown (left to an admin), denied, ineligible (denied by the
   * bot), cancelled, expired.
   */
  readonly requestOutcomes: Counter<'outcome'>;
  /** Decisions: approved, denied. */
  readonly decisions: Counter<'decision'>;
  /** From submission to decision, in seconds. */
  readonly decisionSeconds: Histogram;
  /** Mimecast calls by operation (add, remove, find) and outcome class (ok, or the failure kind). */
  readonly mimecastCalls: Counter<'operation' | 'outcome'>;
  readonly mimecastSeconds: Histogram<'operation'>;
  /** Slack Web API calls by method, and failures by method and reason. */
  readonly slackCalls: Counter<'method'>;
  readonly slackFailures: Counter<'method' | 'reason'>;
}

const DECISION_BUCKETS_S = [10, 60, 300, 900, 1_800, 3_600, 4 * 3_600, 8 * 3_600, 24 * 3_600, 72 * 3_600];
const MIMECAST_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(options: { store: Store; clock: () => Date; logger: Logger }): BotMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const overview = storeReader(options);

  // Read at scrape time from the store, which every replica shares: each reports the same figure,
  // so aggregate these with max() (or avg()), not sum().
  new Gauge({
    name: 'delegate_requests',
    help: 'Requests in each status, in the whole store',
    labelNames: ['status'],
    registers,
    async collect() {
      const read = await overview();
      if (!read) return;
      this.reset();
      for (const [status, count] of Object.entries(read.requestsByStatus)) this.set({ status }, count);
    },
  });
  new Gauge({
    name: 'delegate_active_grants',
    help: 'Grants of access in force (completed, or being removed)',
    registers,
    async collect() {
      const read = await overview();
      if (read) this.set((read.requestsByStatus.completed ?? 0) + (read.requestsByStatus.removing ?? 0));
    },
  });
  new Gauge({
    name: 'delegate_removals_failing',
    help: 'Grants whose removal from Mimecast failed and is being retried',
    registers,
    async collect() {
      const read = await overview();
      if (read) this.set(read.removalsFailing);
    },
  });
  new Gauge({
    name: 'delegate_notices_waiting',
    help: 'Slack notices (cards, thread replies, DMs) queued and not yet delivered or given up on',
    registers,
    async collect() {
      const read = await overview();
      if (read) this.set(read.noticesWaiting);
    },
  });
  new Gauge({
    name: 'delegate_oldest_notice_age_seconds',
    help: 'How long the oldest notice still waiting has waited (0 when none waits)',
    registers,
    async collect() {
      const read = await overview();
      if (!read) return;
      const age = read.oldestNoticeAt
        ? (options.clock().getTime() - read.oldestNoticeAt.getTime()) / 1000
        : 0;
      this.set(Math.max(0, age));
    },
  });
  new Gauge({
    name: 'delegate_store_up',
    help: 'Whether the store answered at the last scrape (1) or not (0)',
    registers,
    async collect() {
      this.set((await overview()) ? 1 : 0);
    },
  });

  return {
    registry,
    requestsSubmitted: new Counter({
      name: 'delegate_requests_submitted_total',
      help: 'Requests submitted through this process',
      registers,
    }),
    requestOutcomes: new Counter({
      name: 'delegate_requests_total',
      help: 'Requests that reached an outcome in this process, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    decisions: new Counter({
      name: 'delegate_decisions_total',
      help: 'Decisions recorded by this process, by decision',
      labelNames: ['decision'],
      registers,
    }),
    decisionSeconds: new Histogram({
      name: 'delegate_decision_seconds',
      help: 'Time from a request being submitted to its decision',
      buckets: DECISION_BUCKETS_S,
      registers,
    }),
    mimecastCalls: new Counter({
      name: 'delegate_mimecast_calls_total',
      help: 'Mimecast API calls by operation and outcome class (ok, or the kind of failure)',
      labelNames: ['operation', 'outcome'],
      registers,
    }),
    mimecastSeconds: new Histogram({
      name: 'delegate_mimecast_call_seconds',
      help: 'How long Mimecast API calls took, retries included, by operation',
      labelNames: ['operation'],
      buckets: MIMECAST_BUCKETS_S,
      registers,
    }),
    slackCalls: new Counter({
      name: 'delegate_slack_api_calls_total',
      help: 'Slack Web API requests sent, by method (each retry counts)',
      labelNames: ['method'],
      registers,
    }),
    slackFailures: new Counter({
      name: 'delegate_slack_api_failures_total',
      help: 'Slack Web API requests that failed, by method and reason (error, rate_limited, http_error, network)',
      labelNames: ['method', 'reason'],
      registers,
    }),
  };
}

/**
 * The store's overview, read once per scrape: the gauges of one scrape collect together and share
 * the read in flight. Undefined (and logged) when the store fails.
 */
function storeReader(options: { store: Store; logger: Logger }): () => Promise<StoreOverview | undefined> {
  let inFlight: Promise<StoreOverview | undefined> | undefined;
  return () => {
    inFlight ??= options.store
      .overview()
      .catch((error: unknown) => {
        options.logger.warn(
          { err: error },
          'metrics: the store did not answer; its gauges keep their last value',
        );
        return undefined;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
