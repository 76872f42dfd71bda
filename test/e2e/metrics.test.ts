/**
 * GET /metrics after whole flows: the figures the bot counts at its ports (requests, decisions,
 * outcomes, Mimecast and Slack calls) and the gauges read from the store, in Prometheus' text format,
 * with prom-client's process metrics, and no label that names a person, an address or a request.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { offsetClock } from '../support/fakes.js';
import {
  APPROVAL_CHANNEL,
  cardOf,
  type Harness,
  settled,
  startHarness,
  submitRequest,
  USERS,
  waitForStatus,
} from '../support/harness.js';
import { run } from '../support/slack-answers.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (no escaped quotes appear in ours). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) {
      labels[pair[1]!] = pair[2]!;
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(h: Harness): Promise<{ samples: Sample[]; contentType: string | null }> {
  const response = await fetch(`http://127.0.0.1:${h.port}/metrics`);
  expect(response.status).toBe(200);
  return { samples: parse(await response.text()), contentType: response.headers.get('content-type') };
}

/** The value of one sample, 0 when absent (a counter never incremented with those labels). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.find(
    (sample) =>
      sample.name === name &&
      Object.keys(labels).length === Object.keys(sample.labels).length &&
      Object.entries(labels).every(([key, wanted]) => sample.labels[key] === wanted),
  );
  return found?.value ?? 0;
}

describe('/metrics', () => {
  it('counts a whole day of work and reads the waiting work from the store, on the /healthz port', async () => {
    const clock = offsetClock();
    const h = await startHarness({ clock });
    try {
      // Granted, with the first try of its thread reply refused by Slack (retried a second later).
      const granted = await submitRequest(h, USERS.alice.id, 'sales@example.com');
      const card = await cardOf(h, granted.id);
      h.sim.failNext('chat.postMessage', { error: 'internal_error', status: 500 });
      await h.driver.clickButton(USERS.carol.id, card, 'approve_request');
      await waitForStatus(h, granted.id, 'completed');
      await h.sim.waitFor(
        () => h.sim.threadReplies(APPROVAL_CHANNEL, card.ts).find((m) => m.text.includes('Done')),
        5_000,
      );
      // Denied.
      const denied = await submitRequest(h, USERS.bob.id, 'info@example.com');
      const deniedCard = await cardOf(h, denied.id);
      const deny = await h.driver.clickButton(USERS.carol.id, deniedCard, 'deny_request');
      const modal = await h.sim.viewOpenedWith(deny.triggerId);
      await h.driver.submitView(USERS.carol.id, modal, { deny_reason: { deny_reason_input: 'Not needed' } });
      await waitForStatus(h, denied.id, 'denied');
      // Revoked by an admin, but Mimecast fails the removal: the grant stays, retried later.
      h.mimecast.inject('/api/user/remove-delegate-user', { status: 500 });
      expect(await run(h, USERS.admin.id, `revoke ${granted.id}`)).toContain(
        'Mimecast did not remove the access',
      );
      await h.bot.idle();

      const { samples, contentType } = await scrape(h);
      expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(value(samples, 'delegate_requests_submitted_total')).toBe(2);
      expect(value(samples, 'delegate_requests_total', { outcome: 'granted' })).toBe(1);
      expect(value(samples, 'delegate_requests_total', { outcome: 'denied' })).toBe(1);
      expect(value(samples, 'delegate_requests_total', { outcome: 'failed' })).toBe(0);
      expect(value(samples, 'delegate_decisions_total', { decision: 'approved' })).toBe(1);
      expect(value(samples, 'delegate_decisions_total', { decision: 'denied' })).toBe(1);
      expect(value(samples, 'delegate_decision_seconds_count')).toBe(2);
      expect(value(samples, 'delegate_decision_seconds_bucket', { le: '60' })).toBe(2);
      expect(value(samples, 'delegate_mimecast_calls_total', { operation: 'find', outcome: 'ok' })).toBe(1);
      expect(value(samples, 'delegate_mimecast_calls_total', { operation: 'add', outcome: 'ok' })).toBe(1);
      expect(
        value(samples, 'delegate_mimecast_calls_total', { operation: 'remove', outcome: 'server_error' }),
      ).toBe(1);
      expect(value(samples, 'delegate_mimecast_call_seconds_count', { operation: 'add' })).toBe(1);
      expect(value(samples, 'delegate_mimecast_call_seconds_sum', { operation: 'add' })).toBeGreaterThan(0);
      expect(
        value(samples, 'delegate_slack_api_failures_total', {
          method: 'chat.postMessage',
          reason: 'http_error',
        }),
      ).toBe(1);
      expect(value(samples, 'delegate_slack_api_calls_total', { method: 'views.open' })).toBe(3);
      expect(value(samples, 'delegate_slack_api_calls_total', { method: 'chat.postMessage' })).toBe(
        h.sim.callsTo('chat.postMessage').length,
      );
      // Gauges, from the store: the grant is still in force, its removal failing; nothing waits.
      expect(value(samples, 'delegate_active_grants')).toBe(1);
      expect(value(samples, 'delegate_removals_failing')).toBe(1);
      expect(value(samples, 'delegate_requests', { status: 'completed' })).toBe(1);
      expect(value(samples, 'delegate_requests', { status: 'denied' })).toBe(1);
      expect(value(samples, 'delegate_notices_waiting')).toBe(0);
      expect(value(samples, 'delegate_oldest_notice_age_seconds')).toBe(0);
      expect(value(samples, 'delegate_store_up')).toBe(1);
      // prom-client's default process metrics, on the bot's own registry.
      expect(samples.some((sample) => sample.name === 'process_cpu_user_seconds_total')).toBe(true);
      expect(samples.some((sample) => sample.name === 'nodejs_eventloop_lag_seconds')).toBe(true);

      // No label names a person, an address, a request, a channel or a group.
      const labelValues = samples.flatMap((sample) => Object.values(sample.labels));
      expect(labelValues.length).toBeGreaterThan(20);
      const named = [USERS.alice.id, USERS.bob.id, USERS.carol.id, USERS.admin.id, APPROVAL_CHANNEL];
      for (const label of labelValues) {
        expect(label).not.toMatch(/@|DR-|^[UWCGS][A-Z0-9]{5,}$/);
        expect(named).not.toContain(label);
      }

      // With the outbox stopped, new notices wait, and the oldest one's age grows.
      await h.bot.dispatcher.stop();
      await submitRequest(h, USERS.alice.id, 'ceo@example.com');
      await settled(h);
      clock.advance(90_000);
      const waiting = (await scrape(h)).samples;
      expect(value(waiting, 'delegate_notices_waiting')).toBe(2); // the card and the requester's DM
      expect(value(waiting, 'delegate_oldest_notice_age_seconds')).toBeGreaterThanOrEqual(90);
      expect(value(waiting, 'delegate_requests_submitted_total')).toBe(3);
      expect(value(waiting, 'delegate_requests', { status: 'pending' })).toBe(1);
    } finally {
      await h.close();
    }
  });

  it('gives each bot a registry of its own: two in one process do not clash', async () => {
    const { logger } = createMemoryLogger('silent');
    const store = new SqliteStore(':memory:');
    const first = createMetrics({ store, clock: () => new Date(), logger });
    const second = createMetrics({ store, clock: () => new Date(), logger });
    first.requestsSubmitted.inc();
    expect(first.registry).not.toBe(second.registry);
    expect(await first.registry.getSingleMetricAsString('delegate_requests_submitted_total')).toContain(
      'delegate_requests_submitted_total 1',
    );
    expect(await second.registry.getSingleMetricAsString('delegate_requests_submitted_total')).toContain(
      'delegate_requests_submitted_total 0',
    );
    await store.close();
  });
});
