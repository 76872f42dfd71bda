/**
 * `/delegate` opens the request form without waiting for the store: the person's open requests
 * (MAX_OPEN_REQUESTS) are read alongside, and a person at the limit sees the form turn into the limit
 * and their open requests. A store that holds that read back until the form is open shows the order
 * without timing anything: were views.open waiting for the read, the form would never open.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OPEN_STATUSES } from '../../src/requests/model.js';
import type { RequestFilter } from '../../src/requests/ports/index.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { collectText, type SimView } from '../../testkit/slack/index.js';
import { type Harness, startHarness, submitRequest, USERS } from '../support/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** Holds back the next read of a person's open requests (the limit's) until `release()`. */
class HeldStore extends SqliteStore {
  private hold: { started: boolean; release: () => void; released: Promise<void> } | undefined;

  /** The next read of open requests waits; `started` says whether it has begun. */
  holdNextOpenRequestsRead(): { started: () => boolean; release: () => void } {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const hold = { started: false, release, released };
    this.hold = hold;
    return { started: () => hold.started, release };
  }

  override async listRequests(filter: RequestFilter) {
    const hold = this.hold;
    if (hold && filter.statuses === OPEN_STATUSES && filter.requesterId && filter.mailbox === undefined) {
      this.hold = undefined;
      hold.started = true;
      await hold.released;
    }
    return super.listRequests(filter);
  }
}

async function start(maxOpen: number): Promise<HeldStore> {
  const store = new HeldStore(join(mkdtempSync(join(tmpdir(), 'form-opening-')), 'bot.sqlite'), {
    backgroundCheckpoints: false,
  });
  h = await startHarness({ env: { MAX_OPEN_REQUESTS: String(maxOpen) }, store });
  return store;
}

const LIMIT_WORDS = (open: { id: string; mailbox: string }[]) =>
  `You already have ${open.length} open requests, the most one person may have (${open.length}), so no request was started:\n` +
  `${open.map((r) => `• ${r.id}: ${r.mailbox}`).join('\n')}\n` +
  'Cancel one you no longer need with `/delegate cancel DR-…`, or wait until one is decided, then run `/delegate` again.';

function callbackOf(view: SimView): unknown {
  return view.view.callback_id;
}

describe('opening the request form', () => {
  it('a person under the limit gets the form, opened while their open requests are still being read', async () => {
    const store = await start(2);
    await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const held = store.holdNextOpenRequestsRead();

    const sent = await h.driver.command(USERS.alice.id, '/delegate', '');
    const form = await h.sim.viewOpenedWith(sent.triggerId);
    // The read began before the form opened, and has not answered yet.
    expect(held.started()).toBe(true);
    expect(callbackOf(form)).toBe('delegate_request');

    held.release();
    await h.bot.idle();
    expect(h.sim.callsTo('views.update')).toHaveLength(0);
    expect(h.sim.findView(form.id)?.view.callback_id).toBe('delegate_request');
    expect(h.sim.findView(form.id)?.status).toBe('open');
  });

  it('a person at the limit sees the form turn into the limit and their open requests', async () => {
    const store = await start(2);
    const first = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const second = await submitRequest(h, USERS.alice.id, 'info@example.com');
    const held = store.holdNextOpenRequestsRead();

    const sent = await h.driver.command(USERS.alice.id, '/delegate', '');
    const form = await h.sim.viewOpenedWith(sent.triggerId);
    expect(held.started()).toBe(true);
    expect(callbackOf(form)).toBe('delegate_request');

    held.release();
    await h.bot.idle();
    const shown = h.sim.findView(form.id);
    expect(shown?.status).toBe('open');
    expect(shown?.view.title).toMatchObject({ text: 'Too many open requests' });
    expect(shown?.view.submit ?? null).toBeNull();
    expect(collectText(shown?.view.blocks ?? [])).toBe(
      LIMIT_WORDS([
        { id: second.id, mailbox: second.mailbox },
        { id: first.id, mailbox: first.mailbox },
      ]),
    );
    expect(await h.bot.store.listRequests({ requesterId: USERS.alice.id })).toHaveLength(2);
  });

  it('a person at the limit who submits before the limit is shown is refused in the form, with the limit and their open requests', async () => {
    const store = await start(1);
    const first = await submitRequest(h, USERS.alice.id, 'sales@example.com');
    const held = store.holdNextOpenRequestsRead();

    const sent = await h.driver.command(USERS.alice.id, '/delegate', '');
    const form = await h.sim.viewOpenedWith(sent.triggerId);
    const answer = await h.driver.submitView(USERS.alice.id, form, {
      mailbox: { mailbox_input: 'info@example.com' },
      reason: { reason_input: 'Covering the queue' },
    });
    expect(answer.json).toEqual({
      response_action: 'errors',
      errors: {
        mailbox:
          `You already have 1 open requests, the most one person may have (1): ${first.id} (sales@example.com). ` +
          'Cancel one you no longer need with /delegate cancel, or wait until one is decided.',
      },
    });

    held.release();
    await h.bot.idle();
    expect(await h.bot.store.listRequests({ requesterId: USERS.alice.id })).toHaveLength(1);
  });
});
