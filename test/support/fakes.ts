import { createMemoryLogger } from '../../src/logger.js';
import type { ApprovalPolicy } from '../../src/requests/policy.js';
import type {
  AddDelegateInput,
  DelegateRight,
  Directory,
  FindingDelivery,
  MimecastApi,
  MimecastResult,
  Profile,
} from '../../src/requests/ports/index.js';
import { RequestService } from '../../src/requests/service.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';

/** Group membership and emails held in memory. */
export class FakeDirectory implements Directory {
  readonly groups = new Map<string, Set<string>>();
  readonly emails = new Map<string, string>();
  readonly deactivated = new Set<string>();
  /** Set to make every lookup fail, as when Slack cannot be reached. */
  unreachable = false;
  /** Mailbox address → the user who owns it (users.lookupByEmail). */
  readonly owners = new Map<string, string>();
  readonly handles = new Map<string, string>();

  member(groupId: string, ...userIds: string[]): this {
    const members = this.groups.get(groupId) ?? new Set<string>();
    for (const id of userIds) members.add(id);
    this.groups.set(groupId, members);
    return this;
  }

  email(userId: string, email: string): this {
    this.emails.set(userId, email);
    return this;
  }

  /** Takes the user out of a group. */
  remove(groupId: string, userId: string): this {
    this.groups.get(groupId)?.delete(userId);
    return this;
  }

  async isMemberOfAny(userId: string, groupIds: readonly string[]): Promise<boolean> {
    if (this.unreachable) throw new Error('directory unreachable');
    return groupIds.some((id) => this.groups.get(id)?.has(userId));
  }

  async emailOf(userId: string): Promise<string | undefined> {
    const profile = await this.profileOf(userId);
    return profile && !profile.deactivated ? profile.email : undefined;
  }

  async profileOf(userId: string): Promise<Profile | undefined> {
    if (this.unreachable) throw new Error('directory unreachable');
    const known = this.emails.has(userId) || [...this.groups.values()].some((members) => members.has(userId));
    if (!known) return undefined;
    return { deactivated: this.deactivated.has(userId), email: this.emails.get(userId) };
  }

  async membersOf(groupId: string): Promise<ReadonlySet<string>> {
    return this.groups.get(groupId) ?? new Set();
  }

  async userWithEmail(email: string): Promise<string | undefined> {
    return this.owners.get(email);
  }

  async groupHandle(groupId: string): Promise<string | undefined> {
    return this.handles.get(groupId);
  }
}

type AddOutcome = Awaited<ReturnType<MimecastApi['addDelegate']>>;

/** Records calls; answers with queued outcomes (success by default). */
export class FakeMimecast implements MimecastApi {
  readonly adds: AddDelegateInput[] = [];
  readonly removes: string[] = [];
  outcomes: AddOutcome[] = [];
  /** Resolve to let a held addDelegate finish (for races). */
  hold: Promise<void> | undefined;

  async addDelegate(input: AddDelegateInput): Promise<AddOutcome> {
    this.adds.push(input);
    if (this.hold) await this.hold;
    return (
      this.outcomes.shift() ?? {
        ok: true,
        id: `mc-${this.adds.length}`,
        requestId: `req-${this.adds.length}`,
      }
    );
  }

  removeOutcomes: MimecastResult<object>[] = [];
  /** What findDelegates answers; a failure makes the bot add without checking. */
  rights: DelegateRight[] | MimecastResult<{ delegates: DelegateRight[] }> = [];
  /** Rights by grantee: when a grantee is listed here, their search answers this instead of `rights`. */
  rightsOf: Record<string, DelegateRight[]> = {};
  /** Answers for the next searches, one each, before `rights` is used. */
  findOutcomes: (DelegateRight[] | MimecastResult<{ delegates: DelegateRight[] }>)[] = [];
  readonly finds: string[] = [];
  /** Resolve to let held searches finish (for races between sweeps). */
  holdFinds: Promise<void> | undefined;

  async removeDelegate(id: string): Promise<MimecastResult<object>> {
    this.removes.push(id);
    return this.removeOutcomes.shift() ?? { ok: true };
  }

  async findDelegates(primaryAddress: string): Promise<MimecastResult<{ delegates: DelegateRight[] }>> {
    this.finds.push(primaryAddress);
    if (this.holdFinds) await this.holdFinds;
    const answer = this.findOutcomes.shift() ?? this.rightsOf[primaryAddress] ?? this.rights;
    return Array.isArray(answer) ? { ok: true, delegates: answer } : answer;
  }

  async close(): Promise<void> {}
}

/**
 * The real time plus an offset that only moves when told: for the bot running against the simulators,
 * whose own clocks stay real, while its schedules (30 s, 2 min, 10 min) are stepped through at once.
 */
export function offsetClock(offsetMs = 0) {
  let offset = offsetMs;
  const clock = () => new Date(Date.now() + offset);
  clock.advance = (ms: number) => {
    offset += ms;
  };
  return clock;
}

/** A clock that only moves when told. */
export function fixedClock(start = '2026-11-28T10:00:00.000Z') {
  let now = new Date(start).getTime();
  const clock = () => new Date(now);
  clock.advance = (ms: number) => {
    now += ms;
  };
  return clock;
}

export interface ServiceFixtureOptions {
  store?: SqliteStore;
  /** A policy per mailbox (as from POLICY_PATH); the settings alone without it. */
  approvalPolicy?: ApprovalPolicy;
  clock?: ReturnType<typeof fixedClock>;
  mimecast?: FakeMimecast;
  domains?: string[];
  /** MAX_OPEN_REQUESTS; the service's default (5) when not given. */
  maxOpenRequests?: number;
  findings?: FindingDelivery;
  sleep?: (ms: number) => Promise<void>;
  /** Names this service's process in its claims (another service on the same store is another replica). */
  processId?: string;
  claimLeaseMs?: number;
}

/**
 * The lifecycle with a real (in-memory) store and fakes for the rest: UALICE and UBOB may request,
 * UBOB and UCAROL approve, UADMIN administers.
 */
export function serviceFixture(options: ServiceFixtureOptions = {}) {
  const store = options.store ?? new SqliteStore(':memory:');
  const clock = options.clock ?? fixedClock();
  const mimecast = options.mimecast ?? new FakeMimecast();
  const directory = new FakeDirectory()
    .member('SREQ', 'UALICE', 'UBOB')
    .member('SAPP', 'UBOB', 'UCAROL')
    .member('SADM', 'UADMIN')
    .email('UALICE', 'alice@example.com')
    .email('UBOB', 'bob@example.com');
  let kicks = 0;
  /** Times the service asked for a sweep (the next check of an unknown outcome). */
  const wakes: Date[] = [];
  const { logger, lines } = createMemoryLogger('warn');
  const service = new RequestService({
    store,
    mimecast,
    directory,
    clock,
    logger,
    policy: {
      requesterGroupIds: ['SREQ'],
      approverGroupIds: ['SAPP'],
      adminGroupIds: ['SADM'],
      approvalChannelId: 'CAPPROVALS',
      allowedEmailDomains: options.domains ?? [],
      durationChoicesHours: [24, 168, 0],
      defaultDurationHours: 24,
      requestTtlHours: 72,
      reminderAfterHours: 4,
    },
    ...(options.maxOpenRequests ? { limits: { maxOpenRequests: options.maxOpenRequests } } : {}),
    ...(options.approvalPolicy ? { approvalPolicy: options.approvalPolicy } : {}),
    onNotices: () => {
      kicks += 1;
    },
    onDue: (at) => {
      wakes.push(at);
    },
    ...(options.findings ? { findings: options.findings } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.processId ? { processId: options.processId } : {}),
    ...(options.claimLeaseMs ? { claimLeaseMs: options.claimLeaseMs } : {}),
  });
  /** What the service logged at warn and above, parsed. */
  const logLines = () =>
    lines.map((line) => JSON.parse(line) as { level: number; msg: string; [key: string]: unknown });
  return { store, clock, mimecast, directory, service, kicks: () => kicks, wakes, logLines };
}
