import { z } from 'zod';
import { type DelegationRequest, END_REASONS, INELIGIBLE_REASONS } from './model.js';

/**
 * What people are told, as data: each status change queues its notices in the same transaction (the
 * outbox), and the Slack side words them. An event's data is typed here, once; the renderers are
 * checked against these lists by the compiler, and a stored notice is checked against them on the way
 * out, so a misspelt or unknown event fails loudly instead of reaching someone as generic text.
 */

/** The data each event carries to the thread and the DM (the card shows the request as it is now). */
const EVENT_DATA = {
  submitted: z.undefined(),
  approved: z.undefined(),
  denied: z.undefined(),
  /**
   * The bot denied it: the requester may no longer be given this access, found when an approver
   * approved (`approval`) or just before the Mimecast call (`grant`); `approver` is who approved.
   */
  denied_ineligible: z.object({
    reason: z.enum(INELIGIBLE_REASONS),
    stage: z.enum(['approval', 'grant']),
    approver: z.string().optional(),
  }),
  cancelled: z.undefined(),
  expired: z.undefined(),
  reminder: z.undefined(),
  already_had_access: z.undefined(),
  provisioned: z.undefined(),
  provisioning_failed: z.undefined(),
  outcome_unknown: z.undefined(),
  /** The add's outcome is unknown: the bot is checking Mimecast (nobody should retry by hand). */
  checking: z.undefined(),
  /** A check found the access after all. */
  settled: z.undefined(),
  extended: z.object({ by: z.string(), hours: z.number() }),
  removed: z.object({ why: z.enum(END_REASONS), coveredBy: z.string().optional() }),
  removal_failing: z.object({ attempts: z.number().int() }),
  // A policy rule's path: an approval towards a quorum, the owner asked, allowing, and told of a grant.
  approval_recorded: z.undefined(),
  consent_requested: z.undefined(),
  /** The request is no longer waiting for the owner (decided, answered, cancelled, expired): their DM says how. */
  consent_closed: z.undefined(),
  /** A reminder round while the owner's answer is still missing: they are asked again, by DM. */
  consent_reminder: z.undefined(),
  owner_allowed: z.undefined(),
  granted: z.undefined(),
} satisfies Record<string, z.ZodType>;

export type NoticeEventName = keyof typeof EVENT_DATA;
export type NoticeData<E extends NoticeEventName> = z.infer<(typeof EVENT_DATA)[E]>;

/** Which events each target shows. */
export const NOTICE_EVENTS = {
  card: [
    'submitted',
    'approved',
    'denied',
    'denied_ineligible',
    'cancelled',
    'expired',
    'already_had_access',
    'provisioned',
    'provisioning_failed',
    'outcome_unknown',
    'checking',
    'settled',
    'extended',
    'removed',
    'removal_failing',
    'approval_recorded',
    'owner_allowed',
  ],
  thread: [
    'reminder',
    'denied_ineligible',
    'already_had_access',
    'provisioned',
    'provisioning_failed',
    'outcome_unknown',
    'checking',
    'settled',
    'extended',
    'removed',
    'removal_failing',
  ],
  dm: [
    'submitted',
    'denied',
    'denied_ineligible',
    'expired',
    'already_had_access',
    'provisioned',
    'provisioning_failed',
    'outcome_unknown',
    'checking',
    'settled',
    'extended',
    'removed',
  ],
  /** The mailbox's owner, by DM, when a policy rule says so (see owner.ts). */
  owner: ['consent_requested', 'consent_reminder', 'consent_closed', 'granted', 'extended', 'removed'],
} as const satisfies Record<string, readonly NoticeEventName[]>;

/**
 * Where a notice goes: the approval card (posted or updated), its thread, the requester's DM, or the
 * mailbox owner's DM.
 */
export type NoticeTarget = keyof typeof NOTICE_EVENTS;
export type CardEventName = (typeof NOTICE_EVENTS.card)[number];
export type ThreadEventName = (typeof NOTICE_EVENTS.thread)[number];
export type DmEventName = (typeof NOTICE_EVENTS.dm)[number];
export type OwnerEventName = (typeof NOTICE_EVENTS.owner)[number];

/** One event with its data; an event without data carries none. */
export type NoticeEvent<E extends NoticeEventName = NoticeEventName> = {
  [K in E]: NoticeData<K> extends undefined
    ? { event: K; data?: undefined }
    : { event: K; data: NoticeData<K> };
}[E];

/** A card notice only says what happened: the card is redrawn from the request as it is now. */
export interface CardNotice {
  target: 'card';
  event: CardEventName;
  data?: undefined;
}
export type ThreadNotice = { target: 'thread' } & NoticeEvent<ThreadEventName>;
export type DmNotice = { target: 'dm' } & NoticeEvent<DmEventName>;
export type OwnerNotice = { target: 'owner' } & NoticeEvent<OwnerEventName>;

/** A notice as the core queues it. */
export type NewNotice = CardNotice | ThreadNotice | DmNotice | OwnerNotice;

/** A queued notice, read back for delivery. */
export type Notice = NewNotice & {
  id: number;
  requestId: string;
  /** The request as it was when the notice was written. */
  snapshot: DelegationRequest;
  attempts: number;
  createdAt: Date;
};

/** The outcomes of provisioning: everyone hears them, on the card, in its thread and by DM. */
export type OutcomeEventName =
  | 'already_had_access'
  | 'provisioned'
  | 'provisioning_failed'
  | 'outcome_unknown'
  | 'checking'
  | 'settled';

/** The same outcome on the card, in its thread and in the requester's DM. */
export function everywhere(event: OutcomeEventName): NewNotice[] {
  return [
    { target: 'card', event },
    { target: 'thread', event },
    { target: 'dm', event },
  ];
}

export type NoticeReading = { ok: true; notice: Notice } | { ok: false; problem: string };

/**
 * Checks a stored notice against the events this version knows: an event written by another version
 * (or by hand) that it cannot word is refused with the reason, never guessed at.
 */
export function readNotice(stored: {
  id: number;
  requestId: string;
  target: string;
  event: string;
  data?: unknown;
  snapshot: DelegationRequest;
  attempts: number;
  createdAt: Date;
}): NoticeReading {
  const { data: raw, target, event, ...rest } = stored;
  if (!isTarget(target)) return { ok: false, problem: `unknown notice target ${JSON.stringify(target)}` };
  const known: readonly string[] = NOTICE_EVENTS[target];
  if (!known.includes(event)) {
    return { ok: false, problem: `unknown ${target} notice event ${JSON.stringify(event)}` };
  }
  const schema = target === 'card' ? z.undefined() : EVENT_DATA[event as NoticeEventName];
  const data = schema.safeParse(raw ?? undefined);
  if (!data.success) {
    return {
      ok: false,
      problem: `bad data for ${target} notice event ${event}: ${data.error.issues.map((i) => `${i.path.join('.') || '(data)'} ${i.message}`).join('; ')}`,
    };
  }
  // Checked above against NOTICE_EVENTS and EVENT_DATA: this is the one place a stored notice becomes typed.
  return {
    ok: true,
    notice: {
      ...rest,
      target,
      event,
      ...(data.data === undefined ? {} : { data: data.data }),
    } as Notice,
  };
}

function isTarget(target: string): target is NoticeTarget {
  return Object.hasOwn(NOTICE_EVENTS, target);
}
