/**
 * Replicas: real bot processes (test/support/bot-process.ts, HTTP mode, each on its own port) on one
 * PostgreSQL database and one pair of simulators, with Slack's requests spread over three of them in
 * turn, as a round-robin load balancer does; a fourth, outside the rotation, is stopped with a
 * bound too short for its Mimecast call. Claims, sweeps and notice leases are short (test-only
 * settings of the process entry), so that taking over a dead replica's work takes seconds.
 *
 * The tests run in order on the same replicas and database: each adds requests; the last checks every
 * notice of all of them and the audit chain.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuditCli } from '../../src/cli/audit.js';
import { ADD_DELEGATE_PATH, REMOVE_DELEGATE_PATH } from '../../src/mimecast/client.js';
import type { DelegationRequest } from '../../src/requests/model.js';
import { PostgresStore } from '../../src/store/postgres/store.js';
import { startSimulators, USERS } from '../../testkit/local-stack.js';
import type { MimecastSimulator } from '../../testkit/mimecast/index.js';
import type { SimMessage, SlackSimulator } from '../../testkit/slack/index.js';
import { type DriverResponse, type SendOptions, SlackDriver } from '../../testkit/slack-driver/index.js';
import { type BotProcess, botEnv, killBot, RoundRobin, spawnBotProcess } from '../support/bot-processes.js';
import { APPROVAL_CHANNEL, SIGNING_SECRET, waitUntil } from '../support/harness.js';
import { freshDatabase, type TestDatabase } from '../support/postgres.js';

const FAST = {
  LOG_LEVEL: 'info',
  GROUP_CACHE_TTL_SECONDS: '0',
  TEST_CLAIM_LEASE_MS: '1500',
  TEST_SCHEDULER_INTERVAL_MS: '200',
  TEST_NOTICE_LEASE_MS: '3000',
};
const APPROVERS = Array.from({ length: 20 }, (_, i) => `UAPPR${String(i + 1).padStart(2, '0')}`);

let sim: SlackSimulator;
let mimecast: MimecastSimulator;
let database: TestDatabase;
/** The test's own view of the database, as an operator with access would have. */
let store: PostgresStore;
let replicas: BotProcess[];
/** Outside the rotation: stops with a 1 s bound and keeps its claims for a minute unless it gives them up. */
let stubborn: BotProcess;
let lb: RoundRobin;
const made: DelegationRequest[] = [];

beforeAll(async () => {
  ({ sim, mimecast } = await startSimulators());
  for (const id of APPROVERS)
    sim.addUser({ id, name: id.toLowerCase(), realName: id, email: `${id.toLowerCase()}@example.com` });
  sim.setUsergroup('SAPPROVERS', [USERS.bob.id, USERS.carol.id, ...APPROVERS]);
  database = await freshDatabase();
  store = await PostgresStore.open({ url: database.url, poolSize: 2 });
  const env = (extra: Record<string, string> = {}) =>
    botEnv(sim, mimecast, { DATABASE_URL: database.url }, { ...FAST, ...extra });
  const started = await Promise.all([
    spawnBotProcess('replica a', sim, env()),
    spawnBotProcess('replica b', sim, env()),
    spawnBotProcess('replica c', sim, env()),
    spawnBotProcess('replica d', sim, env({ SHUTDOWN_TIMEOUT_SECONDS: '1', TEST_CLAIM_LEASE_MS: '60000' })),
  ]);
  replicas = started.slice(0, 3);
  stubborn = started[3]!;
  lb = new RoundRobin(replicas);
}, 60_000);

afterAll(async () => {
  await Promise.all([...(replicas ?? []), ...(stubborn ? [stubborn] : [])].map((bot) => killBot(bot)));
  await store?.close();
  await sim?.close();
  await mimecast?.close();
  await database?.drop();
});

/** A request made the way a person makes it, each step sent to the next replica in turn. */
async function submit(
  userId: string,
  mailbox: string,
): Promise<{ request: DelegationRequest; card: SimMessage }> {
  const command = await lb.driver.command(userId, '/delegate', '');
  expect(command.status).toBe(200);
  const view = await sim.viewOpenedWith(command.triggerId);
  const submitted = await lb.driver.submitView(userId, view, {
    mailbox: { mailbox_input: mailbox },
    reason: { reason_input: 'Covering the shared queue' },
  });
  expect((submitted.json as { response_action?: string }).response_action).toBe('update');
  const request = (await store.listRequests({ requesterId: userId, mailbox, limit: 1 }))[0];
  if (!request) throw new Error('no request stored');
  made.push(request);
  const card = await sim.waitFor(
    () => sim.messagesIn(APPROVAL_CHANNEL).find((m) => !m.threadTs && m.text.includes(request.id)),
    5_000,
  );
  return { request, card };
}

function status(id: string, wanted: string, timeoutMs = 10_000): Promise<DelegationRequest> {
  return waitUntil(
    async () => {
      const request = await store.getRequest(id);
      return request?.status === wanted ? request : undefined;
    },
    `${id} to be ${wanted}`,
    timeoutMs,
  );
}

/** Until no replica has work in hand: no notice waiting, nothing approved, provisioning or removing. */
async function settled(): Promise<void> {
  await waitUntil(
    async () => {
      const overview = await store.overview();
      const { approved = 0, provisioning = 0, removing = 0 } = overview.requestsByStatus;
      return overview.noticesWaiting === 0 && approved + provisioning + removing === 0 ? true : undefined;
    },
    'the replicas to finish their work',
    15_000,
  );
}

/** Mimecast adds for this request's grantee and mailbox. */
const adds = (request: DelegationRequest) =>
  mimecast.calls.filter(
    (call) =>
      call.path === ADD_DELEGATE_PATH &&
      call.rawBody.includes(
        `"primaryAddress":"${request.granteeEmail}","delegateAddress":"${request.mailbox}"`,
      ),
  );

const actions = async (id: string) => (await store.listAudit({ requestId: id })).map((event) => event.action);

/** Sends every request it builds, the same signed bytes, to two replicas at once (a load balancer retrying). */
class TwoReplicas extends SlackDriver {
  constructor(
    first: BotProcess,
    private readonly second: BotProcess,
  ) {
    super({ appUrl: first.url('/slack/events'), signingSecret: SIGNING_SECRET, sim });
  }

  override async send(body: string, options: SendOptions = {}): Promise<DriverResponse> {
    const same = { ...options, timestamp: options.timestamp ?? Math.floor(Date.now() / 1000) };
    const [first, second] = await Promise.all([super.send(body, same), this.second.driver.send(body, same)]);
    expect(second.status).toBe(200);
    return first;
  }
}

describe('three replicas behind a round-robin load balancer, on one PostgreSQL database', () => {
  it('decides once and adds once when 20 approvers click Approve at once, spread over the replicas', async () => {
    const { request, card } = await submit(USERS.alice.id, 'sales@example.com');
    const clicks = await Promise.all(
      APPROVERS.map((id) => lb.driver.clickButton(id, card, 'approve_request')),
    );
    expect(clicks.map((click) => click.status)).toEqual(APPROVERS.map(() => 200));
    const done = await status(request.id, 'completed');
    expect(APPROVERS).toContain(done.decidedBy);
    await settled();

    expect(await actions(request.id)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioned',
    ]);
    expect(adds(request)).toHaveLength(1);
    expect(done.claim).toBeUndefined();
    // The 19 others are told who decided first.
    const refusals = await sim.waitFor(() => {
      const told = clicks.flatMap((click) => sim.responses.filter((r) => r.url === click.responseUrl));
      return told.length >= 19 ? told : undefined;
    }, 5_000);
    expect(refusals.map((r) => String(r.body.text).split(' on ')[0])).toEqual(
      Array.from({ length: 19 }, () => `${request.id} was already approved by <@${done.decidedBy}>`),
    );
  });

  it('decides once when the same approval reaches two replicas', async () => {
    const { request, card } = await submit(USERS.bob.id, 'info@example.com');
    const click = await new TwoReplicas(replicas[1]!, replicas[2]!).clickButton(
      USERS.carol.id,
      card,
      'approve_request',
    );
    expect(click.status).toBe(200);
    const done = await status(request.id, 'completed');
    expect(done.decidedBy).toBe(USERS.carol.id);
    await settled();
    expect(await actions(request.id)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioned',
    ]);
    expect(adds(request)).toHaveLength(1);
    // The delivery that lost says so, once: its answer is that replica's listener work, which the
    // store does not show, so it is waited for itself.
    await sim.waitFor(() => sim.responses.find((r) => r.url === click.responseUrl));
    const told = sim.responses.filter((r) => r.url === click.responseUrl).map((r) => String(r.body.text));
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(new RegExp(`^${request.id} was already approved by <@${USERS.carol.id}>`));
  });

  it('removes a grant that expires while all replicas run, once', async () => {
    const grant = made[0]!;
    const before = (await store.getRequest(grant.id))!;
    // Its time runs out (written as an operator would; the replicas' sweeps find it due).
    await store.patchRequest(grant.id, { expiresAt: new Date(Date.now() - 1_000) });
    const removed = await status(grant.id, 'removed');
    expect(removed).toMatchObject({ endReason: 'expired', endedBy: 'system' });
    await settled();
    const removals = mimecast.calls.filter((call) => call.path === REMOVE_DELEGATE_PATH);
    expect(removals.map((call) => JSON.parse(call.rawBody))).toEqual([{ data: [{ id: before.mimecastId }] }]);
    expect((await actions(grant.id)).slice(-2)).toEqual(['removal_started', 'removed']);
    expect(mimecast.rights.some((right) => right.id === before.mimecastId)).toBe(false);
  });

  it('killed (SIGKILL) while its Mimecast add is in flight: another replica settles it by searching, never adds again', async () => {
    const { request, card } = await submit(USERS.alice.id, 'info@example.com');
    const victim = replicas[2]!;
    mimecast.inject(ADD_DELEGATE_PATH, { latencyMs: 15_000 });
    await victim.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await sim.waitFor(() => (adds(request).length === 1 ? true : undefined), 5_000);
    expect(await killBot(victim)).toEqual({ code: null, signal: 'SIGKILL' });

    // Once its claim runs out (1.5 s here), the next sweep of a live replica takes it over, as the
    // single process does at its restart: the outcome is checked in Mimecast, not added again.
    const settling = await status(request.id, 'settling');
    expect(settling.failure).toMatchObject({ kind: 'interrupted' });
    expect(settling.claim).toBeUndefined();
    const audit = await store.listAudit({ requestId: request.id });
    expect(audit.map((event) => event.action)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioning_interrupted',
    ]);
    expect(audit.at(-1)).toMatchObject({
      toStatus: 'settling',
      details: { kind: 'interrupted', settling: true },
    });
    expect(String(audit.at(-1)?.details?.claimedBy)).toContain(`#${victim.process.pid}-`);
    await sim.waitFor(() =>
      sim.threadReplies(APPROVAL_CHANNEL, card.ts).find((m) => m.text.startsWith(':mag:')),
    );

    // Its first search is due 30 s after the add began: written as time passing would leave it.
    await store.patchRequest(request.id, { nextSettleAt: new Date(Date.now() - 1_000) });
    const done = await status(request.id, 'completed');
    await settled();
    // Mimecast did add it before its slow answer: found by the search, and never added again.
    const right = mimecast.rights.filter(
      (r) => r.primaryAddress === request.granteeEmail && r.delegateAddress === request.mailbox,
    );
    expect(right).toHaveLength(1);
    expect(done.mimecastId).toBe(right[0]!.id);
    expect(adds(request)).toHaveLength(1);
    expect((await actions(request.id)).filter((action) => action === 'outcome_settled')).toHaveLength(1);
    const replies = sim.threadReplies(APPROVAL_CHANNEL, card.ts).map((m) => m.text);
    expect(replies.filter((text) => text.startsWith(':mag:'))).toHaveLength(1);
    expect(replies.filter((text) => text.startsWith(':white_check_mark: Checked in Mimecast'))).toHaveLength(
      1,
    );
  });

  it('stops on SIGTERM: /readyz turns 503 at once, the Mimecast call under way finishes and is recorded, exit 0', async () => {
    const { request, card } = await submit(USERS.bob.id, 'ceo@example.com');
    const leaving = replicas[0]!;
    mimecast.inject(ADD_DELEGATE_PATH, { latencyMs: 1_500 });
    await leaving.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await sim.waitFor(() => (adds(request).length === 1 ? true : undefined), 5_000);
    leaving.process.kill('SIGTERM');
    const readiness = await waitUntil(async () => {
      const response = await fetch(leaving.url('/readyz'));
      return response.status === 503 ? response.json() : undefined;
    }, '/readyz to answer 503');
    expect(readiness).toEqual({ status: 'stopping' });
    // Answered while the call was still under way.
    expect((await store.getRequest(request.id))?.status).toBe('provisioning');

    expect(await leaving.exited).toEqual({ code: 0, signal: null });
    const after = await store.getRequest(request.id);
    expect(after?.status).toBe('completed');
    expect(after?.claim).toBeUndefined();
    expect(await actions(request.id)).toEqual([
      'submitted',
      'approved',
      'provisioning_started',
      'provisioned',
    ]);
    expect(
      leaving.output.some((line) => line.includes('"msg":"stopped"') && line.includes('"finished":true')),
    ).toBe(true);
    await settled();
    expect(adds(request)).toHaveLength(1);
  });

  it('stops on SIGTERM within its bound when Mimecast is slower: exit 0, its claim given up and settled by another at once', async () => {
    const { request, card } = await submit(USERS.alice.id, 'ceo@example.com');
    mimecast.inject(ADD_DELEGATE_PATH, { latencyMs: 15_000 });
    await stubborn.driver.clickButton(USERS.carol.id, card, 'approve_request');
    await sim.waitFor(() => (adds(request).length === 1 ? true : undefined), 5_000);
    const signalled = Date.now();
    stubborn.process.kill('SIGTERM');
    expect(await stubborn.exited).toEqual({ code: 0, signal: null });
    // SHUTDOWN_TIMEOUT_SECONDS=1, then closing.
    expect(Date.now() - signalled).toBeLessThan(5_000);
    expect(
      stubborn.output.some((line) => line.includes('stopping with Mimecast calls still under way')),
    ).toBe(true);

    // Its claim would have held for a minute; given up, the one replica left takes it over in its next
    // sweep, and checks in Mimecast rather than adding again.
    const settling = await status(request.id, 'settling', 5_000);
    expect(settling.failure).toMatchObject({ kind: 'interrupted' });
    const interrupted = (await store.listAudit({ requestId: request.id })).at(-1);
    expect(interrupted?.action).toBe('provisioning_interrupted');
    expect(String(interrupted?.details?.claimedBy)).toContain(`#${stubborn.process.pid}-`);
    await settled();
    expect(adds(request)).toHaveLength(1);
  });

  it('delivered every card, thread reply and DM once, and left an audit chain that verifies', async () => {
    await settled();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    let rows: { request_id: string; target: string; n: number; undelivered: number }[];
    try {
      ({ rows } = await client.query(
        `SELECT request_id, target, count(*)::int AS n, count(*) FILTER (WHERE NOT delivered)::int AS undelivered
           FROM notices GROUP BY request_id, target`,
      ));
    } finally {
      await client.end();
    }
    expect(rows.filter((row) => row.undelivered > 0)).toEqual([]);
    const count = (id: string, target: string) =>
      rows.find((r) => r.request_id === id && r.target === target)?.n ?? 0;
    for (const request of made) {
      const cards = sim
        .messagesIn(APPROVAL_CHANNEL)
        .filter((m) => !m.threadTs && m.text.includes(request.id));
      expect(cards, request.id).toHaveLength(1);
      const thread = sim.threadReplies(APPROVAL_CHANNEL, cards[0]!.ts);
      expect(thread.length, `${request.id} thread`).toBe(count(request.id, 'thread'));
      expect(new Set(thread.map((m) => m.text)).size).toBe(thread.length);
      const dms = sim.dmsTo(request.requesterId).filter((m) => m.text.includes(request.id));
      expect(dms.length, `${request.id} DMs`).toBe(count(request.id, 'dm'));
      expect(new Set(dms.map((m) => m.text)).size).toBe(dms.length);
    }
    expect(sim.problems).toEqual([]);
    // Nothing went wrong on the replicas' side (the one killed wrote what it wrote).
    expect([replicas[0]!, replicas[1]!, stubborn].flatMap((bot) => bot.errors())).toEqual([]);

    const events = (await store.listAudit({})).length;
    expect(await runAuditCli(['verify'], { DATABASE_URL: database.url })).toEqual({
      code: 0,
      out: `Audit chain intact: ${events} events verified.\n`,
    });
  });
});
