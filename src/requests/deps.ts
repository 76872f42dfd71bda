import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.js';
import { newRequestId } from './ids.js';
import { InFlight } from './in-flight.js';
import type { DelegationRequest, Failure, RequestStatus } from './model.js';
import { type AccessPolicy, type ApprovalPolicy, settingsPolicy } from './policy.js';
import type {
  Clock,
  Directory,
  FindingDelivery,
  MimecastApi,
  MimecastFailure,
  Store,
} from './ports/index.js';
import { NO_WAIT, type TurnTaker } from './turns.js';

/** What the composition root gives the request service. */
export interface RequestServiceDeps {
  store: Store;
  mimecast: MimecastApi;
  directory: Directory;
  policy: AccessPolicy;
  /** How much one person may ask for at once; defaults in DEFAULT_LIMITS. */
  limits?: Partial<RequestLimits>;
  /** The approval policy per mailbox (POLICY_PATH); without it the settings decide every mailbox. */
  approvalPolicy?: ApprovalPolicy;
  clock: Clock;
  logger: Logger;
  /** Called after every write that queued notices, so they go out now rather than at the next sweep. */
  onNotices?: () => void;
  /**
   * Called when something is due at `at` (the next outcome check of a settling request), so that a
   * sweep runs then rather than at the next regular one. A hint only: what is due lives in the store.
   */
  onDue?: (at: Date) => void;
  /** Puts drift findings in front of the admins (Slack in production); without it they are only stored. */
  findings?: FindingDelivery;
  /** How the reconciliation waits when Mimecast's rate limit says so; tests pass one that does not wait. */
  sleep?: (ms: number) => Promise<void>;
  /** Steps of provisioning (after the ack) wait for their turn, so Slack's acks come first (see Turns). */
  turns?: TurnTaker;
  newId?: () => string;
  /**
   * Names this process in the claims it takes on Mimecast work (see DelegationRequest.claim); unique
   * among the replicas sharing a store. Defaults to a random one.
   */
  processId?: string;
  /**
   * How long a claim on Mimecast work holds without being renewed; it is renewed every third of that
   * while the call runs. Also how long an approval may wait to be claimed before any replica takes it
   * up. 30 s by default.
   */
  claimLeaseMs?: number;
}

/** Limits on what one person may ask for (MAX_OPEN_REQUESTS). */
export interface RequestLimits {
  /** Requests one person may have open (pending, approved or being granted) at once. */
  maxOpenRequests: number;
}

export const DEFAULT_LIMITS: RequestLimits = { maxOpenRequests: 5 };

/** What every verb works with: the deps with their defaults, and the state the service shares. */
export interface Core {
  readonly store: Store;
  readonly mimecast: MimecastApi;
  readonly directory: Directory;
  readonly policy: AccessPolicy;
  readonly limits: RequestLimits;
  /** Which rule decides each mailbox (the settings alone without a policy file). */
  readonly approval: ApprovalPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Asks for the notices just committed to go out now. */
  readonly notify: () => void;
  /** Asks for a sweep at `at` (see RequestServiceDeps.onDue). */
  readonly wake: (at: Date) => void;
  readonly findings: FindingDelivery | undefined;
  readonly sleep: (ms: number) => Promise<void>;
  readonly turns: TurnTaker;
  readonly newId: () => string;
  /** Background work the service started (provisioning, removals, sweeps), for drain() and idle(). */
  readonly work: InFlight;
  /** Provisioning in flight by request id: another call for the same request joins it. */
  readonly provisioning: Map<string, Promise<DelegationRequest | undefined>>;
  /** This process, as named in its claims. */
  readonly processId: string;
  readonly claimLeaseMs: number;
  /** Requests whose Mimecast work this process has claimed and is doing now; each stops its renewals. */
  readonly held: Map<string, () => void>;
  /** Set by drain(): no new Mimecast call is started. */
  stopping: boolean;
}

export const DEFAULT_CLAIM_LEASE_MS = 30_000;

export function createCore(deps: RequestServiceDeps): Core {
  return {
    store: deps.store,
    mimecast: deps.mimecast,
    directory: deps.directory,
    policy: deps.policy,
    limits: { ...DEFAULT_LIMITS, ...deps.limits },
    approval: deps.approvalPolicy ?? settingsPolicy(deps.policy),
    clock: deps.clock,
    logger: deps.logger,
    notify: deps.onNotices ?? (() => undefined),
    wake: deps.onDue ?? (() => undefined),
    findings: deps.findings,
    sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    turns: deps.turns ?? NO_WAIT,
    newId: deps.newId ?? newRequestId,
    work: new InFlight(),
    provisioning: new Map(),
    processId: deps.processId ?? `process-${randomBytes(6).toString('hex')}`,
    claimLeaseMs: deps.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS,
    held: new Map(),
    stopping: false,
  };
}

export const HOUR_MS = 3_600_000;

/** When access granted at `from` for `hours` ends; undefined for access until revoked (0 hours). */
export function expiryFrom(from: Date, hours: number): Date | undefined {
  return hours > 0 ? new Date(from.getTime() + hours * HOUR_MS) : undefined;
}

/** What the request records of a failed Mimecast call. */
export function toFailure(failure: MimecastFailure): Failure {
  return {
    kind: failure.kind,
    message: failure.message,
    ...(failure.code ? { code: failure.code } : {}),
    ...(failure.requestId ? { requestId: failure.requestId } : {}),
  };
}

/**
 * Other grants of the bot that currently give this grantee this mailbox (`completed`, some of them
 * perhaps ending: see remove.ts `pendingEnd`); with `removing` too, those whose removal is under way.
 */
export async function otherGrants(
  core: Core,
  request: DelegationRequest,
  statuses: readonly RequestStatus[] = ['completed'],
): Promise<DelegationRequest[]> {
  const grants = await core.store.listRequests({
    granteeEmail: request.granteeEmail,
    mailbox: request.mailbox,
    statuses,
  });
  return grants.filter((grant) => grant.id !== request.id);
}
