import type {
  AddDelegateInput,
  MimecastApi,
  MimecastResult,
  Store,
  TransitionInput,
  TransitionResult,
} from '../requests/ports/index.js';
import type { SlackCallObserver } from '../slack/http.js';
import type { BotMetrics } from './registry.js';

/**
 * What the metrics count, taken at the ports rather than spread through the core: the composition
 * root wraps the Store (requests, decisions, outcomes), the Mimecast port (calls, outcome classes,
 * latency) and the Slack transport (calls and failures by method) with these.
 */

/** The outcome a transition records, as the metrics name it; undefined for steps that end nothing. */
function outcomeOf(input: TransitionInput): string | undefined {
  switch (input.name) {
    case 'provisioned':
      return input.audit.action === 'already_had_access' ? 'already_had_access' : 'granted';
    case 'settledPresent':
      // An unknown outcome that a search in Mimecast found granted.
      return 'granted';
    case 'provisioningFailed':
      return 'failed';
    case 'provisioningUnknown':
    case 'settleFailed':
      return 'outcome_unknown';
    case 'refuseIneligible':
      return 'ineligible';
    case 'deny':
      return 'denied';
    case 'cancel':
      return 'cancelled';
    case 'expire':
      return 'expired';
    default:
      return undefined;
  }
}

const DECISIONS: Partial<Record<TransitionInput['name'], string>> = { approve: 'approved', deny: 'denied' };

/** The store, counting the requests created and the decisions and outcomes its transitions record. */
export function countingStore(store: Store, metrics: BotMetrics): Store {
  const createRequest: Store['createRequest'] = async (request, audit, notices) => {
    await store.createRequest(request, audit, notices);
    metrics.requestsSubmitted.inc();
  };
  const transition = async (input: TransitionInput): Promise<TransitionResult> => {
    const result = await store.transition(input);
    if (!result.ok) return result;
    const decision = DECISIONS[input.name];
    if (decision) {
      metrics.decisions.inc({ decision });
      metrics.decisionSeconds.observe(
        Math.max(0, (input.at.getTime() - result.request.createdAt.getTime()) / 1000),
      );
    }
    const outcome = outcomeOf(input);
    if (outcome) metrics.requestOutcomes.inc({ outcome });
    return result;
  };
  return overlay(store, { createRequest, transition });
}

/**
 * `base` with some of its methods replaced, and everything else its own, whatever the port gains
 * later: a Proxy over the replacements that reads (and writes) the rest on `base`. It passes for
 * `base` (instanceof), and a test may still replace any method on it (vi.spyOn).
 */
function overlay<T extends object>(base: T, replaced: Partial<T>): T {
  return new Proxy(replaced, {
    get(own, property) {
      if (Object.hasOwn(own, property)) return Reflect.get(own, property);
      const value: unknown = Reflect.get(base, property, base);
      return typeof value === 'function' ? value.bind(base) : value;
    },
    set(own, property, value) {
      return Reflect.has(own, property)
        ? Reflect.set(own, property, value)
        : Reflect.set(base, property, value);
    },
    has: (own, property) => Object.hasOwn(own, property) || Reflect.has(base, property),
    getPrototypeOf: () => Reflect.getPrototypeOf(base),
  }) as T;
}

/** The Mimecast port, timing each call and counting it by operation and outcome class. */
export function measuredMimecast(api: MimecastApi, metrics: BotMetrics): MimecastApi {
  async function measure<R extends MimecastResult<object>>(
    operation: 'add' | 'remove' | 'find',
    call: () => Promise<R>,
  ): Promise<R> {
    const stop = metrics.mimecastSeconds.startTimer({ operation });
    let outcome = 'error'; // the client classifies failures itself: a throw is a bug of ours
    try {
      const result = await call();
      outcome = result.ok ? 'ok' : result.kind;
      return result;
    } finally {
      stop();
      metrics.mimecastCalls.inc({ operation, outcome });
    }
  }
  return {
    addDelegate: (input: AddDelegateInput) => measure('add', () => api.addDelegate(input)),
    removeDelegate: (id: string) => measure('remove', () => api.removeDelegate(id)),
    findDelegates: (primaryAddress: string) => measure('find', () => api.findDelegates(primaryAddress)),
    close: () => api.close(),
  };
}

/** Counts each Slack Web API request the transport reports (method names are Slack's, e.g. chat.postMessage). */
export function slackCallCounter(metrics: BotMetrics): SlackCallObserver {
  return (method, outcome) => {
    metrics.slackCalls.inc({ method });
    if (outcome !== 'ok') metrics.slackFailures.inc({ method, reason: outcome });
  };
}
