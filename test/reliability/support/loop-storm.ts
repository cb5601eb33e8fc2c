/**
 * The loop storm's driver: the gym publishes a schedule, then members book, cancel, late-cancel and
 * check in at the local Wellhub, which sends every webhook as Wellhub does (1 s, three retries at
 * once) and sends some again later; meanwhile the gym changes its slots and the episodes of the plan
 * (Wellhub faults, crashes, a database restart) hit the loop. Returns what happened, for the audit.
 */

import { deliverWebhook } from '#lib/local-wellhub/webhooks';
import { routeOf } from '#lib/wellhub/routes';
import type { Episode, EpisodeKind, StormPlan } from './loop-plan';
import type { LoopStack } from './loop-stack';
import { LOOP_WEBHOOK_SECRET } from './loop-stack';
import { inPool } from './rig';
import { shuffle } from './wellhub';

export const GYM_ID = '100001';
const ANSWERS = '/booking/v2/gyms/*/bookings/*';
const SLOT_CALLS = '/booking/v1/gyms/*/classes/*/slots/*';
const VALIDATE = '/access/v1/validate';
/** Longer than the service's Wellhub timeout (WELLHUB_TIMEOUT_MS, 5 s): the reply never reaches it. */
const SLOWER_THAN_TIMEOUT_MS = 6_000;

export interface SlotInPlay {
  readonly reference: string;
  readonly wellhubSlotId: number;
  readonly hot: boolean;
  /** One the gym cancels during the storm: nobody checks in there. */
  readonly toCancel: boolean;
  /** The most seats Wellhub members were ever allowed: min(limit, capacity − outside sales). */
  maxAllowance: number;
}

export interface Requested {
  readonly number: string;
  readonly slot: SlotInPlay;
  readonly member: string;
  readonly hot: boolean;
  /** Wellhub got a 2xx for its webhook (from any of its four attempts). */
  readonly delivered: boolean;
}

export interface CheckedIn {
  readonly number: string;
  readonly delivered: boolean;
}

export interface EpisodeRun extends Episode {
  readonly startedAt: number;
  endedAt?: number;
}

export interface StormLedger {
  readonly slots: SlotInPlay[];
  readonly requests: Requested[];
  readonly checkins: CheckedIn[];
  /** Member cancellations whose webhook never reached us. */
  readonly undeliveredCancels: string[];
  readonly episodes: EpisodeRun[];
  readonly webhooks: { sent: number; undelivered: number; duplicatesSent: number };
  readonly members: {
    refusedAtWellhub: number;
    cancels: number;
    lateCancels: number;
    checkinsSkipped: number;
  };
  readonly gym: { changes: number; refused: number; unreachable: number; bookingsCanceled: string[] };
  readonly hotBurst: { requests: number; delivered: number; ms: number; attempts: Record<string, number> };
  faultsEndedAt: number;
}

export function emptyLedger(): StormLedger {
  return {
    slots: [],
    requests: [],
    checkins: [],
    undeliveredCancels: [],
    episodes: [],
    webhooks: { sent: 0, undelivered: 0, duplicatesSent: 0 },
    members: { refusedAtWellhub: 0, cancels: 0, lateCancels: 0, checkinsSkipped: 0 },
    gym: { changes: 0, refused: 0, unreachable: 0, bookingsCanceled: [] },
    hotBurst: { requests: 0, delivered: 0, ms: 0, attempts: {} },
    faultsEndedAt: 0,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const inHours = (hours: number) =>
  new Date(Date.now() + hours * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');

/** The gym's class and slots, published at Wellhub before the first member books. */
export async function publishSchedule(stack: LoopStack, plan: StormPlan, ledger: StormLedger): Promise<void> {
  const put = await stack.gym('PUT', '/gym/classes/loop-spin', {
    gym_id: GYM_ID,
    name: 'Spin',
    description: 'Indoor cycling, 45 minutes',
    product_id: 100001,
  });
  if (put.status !== 200) throw new Error(`class PUT answered ${put.status}: ${JSON.stringify(put.body)}`);
  const count = plan.hotSlots + plan.normalSlots;
  const specs = Array.from({ length: count }, (_, i) => {
    const hot = i < plan.hotSlots;
    const fields = hot
      ? { total_capacity: plan.hotSeats * 3, wellhub_limit: plan.hotSeats, booked_elsewhere: 2 }
      : { total_capacity: plan.normalCapacity, booked_elsewhere: 2 };
    return { reference: `loop-slot-${i}`, hot, toCancel: !hot && i >= count - plan.slotsCanceled, fields, i };
  });
  for (const spec of specs) {
    const answer = await stack.gym('PUT', `/gym/slots/${spec.reference}`, {
      class_reference: 'loop-spin',
      occur_date: inHours(26 + spec.i),
      length_in_minutes: 45,
      room: `Studio ${spec.i}`,
      ...spec.fields,
    });
    if (answer.status !== 200)
      throw new Error(`slot PUT answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  const deadline = Date.now() + 180_000;
  for (const spec of specs) {
    for (;;) {
      const slot = await stack.gym('GET', `/gym/slots/${spec.reference}`);
      const id = Number(slot.body.wellhub_slot_id);
      if (slot.status === 200 && Number.isInteger(id) && id > 0 && stack.wellhub.state.slots.has(id)) {
        ledger.slots.push({
          reference: spec.reference,
          wellhubSlotId: id,
          hot: spec.hot,
          toCancel: spec.toCancel,
          maxAllowance: allowanceOf(slot.body),
        });
        break;
      }
      if (Date.now() > deadline) throw new Error(`slot ${spec.reference} was not published within 3 minutes`);
      await sleep(250);
    }
  }
}

/** Seats left to Wellhub members by the slot's settings (CONTRACT §11, rule 6). */
export function allowanceOf(slot: Record<string, unknown>): number {
  const capacity = Number(slot.total_capacity);
  const elsewhere = Number(slot.booked_elsewhere ?? 0);
  const limit = slot.wellhub_limit === undefined ? Number.POSITIVE_INFINITY : Number(slot.wellhub_limit);
  return Math.max(0, Math.min(limit, capacity - elsewhere));
}

/**
 * Runs the storm to its last request and its last episode; the faults end when it returns. Returns
 * the duplicates still on their way, to be awaited before the audit.
 */
export async function runStorm(
  stack: LoopStack,
  plan: StormPlan,
  ledger: StormLedger,
  random: () => number,
): Promise<Promise<unknown>[]> {
  const followUps: Promise<unknown>[] = [];
  const { wellhub } = stack;
  let issued = 0;
  let memberSeq = 0;
  const newMember = () =>
    `7${String(process.pid % 1000).padStart(3, '0')}${String(++memberSeq).padStart(9, '0')}`;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const hot = ledger.slots.filter((s) => s.hot);
  const normal = ledger.slots.filter((s) => !s.hot);
  const canceledSlots = new Set<string>();

  const sendAgainLater = (type: Parameters<typeof routeOf>[0], body: unknown) => {
    ledger.webhooks.duplicatesSent++;
    followUps.push(
      sleep(random() * 3_000).then(() =>
        deliverWebhook(
          { url: `${stack.receiverUrl}${routeOf(type).path}`, secret: LOOP_WEBHOOK_SECRET },
          body as Record<string, unknown>,
          { now: Date.now },
        ),
      ),
    );
  };
  const countDelivery = (delivered: boolean) => {
    ledger.webhooks.sent++;
    if (!delivered) ledger.webhooks.undelivered++;
  };

  async function book(slot: SlotInPlay, member: string, isHot: boolean): Promise<Requested | undefined> {
    const booked = await wellhub.acting.book({ slotId: slot.wellhubSlotId, gympassId: member });
    if (!booked.ok) {
      ledger.members.refusedAtWellhub++;
      return undefined;
    }
    countDelivery(booked.delivery.delivered);
    if (isHot && ledger.hotBurst.ms === 0) {
      for (const attempt of booked.delivery.attempts) {
        const outcome = attempt.status === undefined ? (attempt.error ?? 'error') : String(attempt.status);
        ledger.hotBurst.attempts[outcome] = (ledger.hotBurst.attempts[outcome] ?? 0) + 1;
      }
    }
    const requested = {
      number: booked.record.booking_number,
      slot,
      member,
      hot: isHot,
      delivered: booked.delivery.delivered,
    };
    ledger.requests.push(requested);
    if (random() < plan.shares.duplicate) sendAgainLater('booking-requested', booked.delivery.body);
    return requested;
  }

  /** After the request: maybe cancel (sometimes before the answer), maybe check in once reserved. */
  async function followUp(requested: Requested): Promise<void> {
    const { cancel, lateCancel, checkin } = plan.shares;
    const fate = random();
    if (fate < cancel + lateCancel) {
      await sleep(random() * 1_500);
      const late = fate >= cancel;
      const canceled = await wellhub.acting.cancel({ bookingNumber: requested.number, late });
      if (!canceled.ok) return;
      countDelivery(canceled.delivery.delivered);
      if (!canceled.delivery.delivered) ledger.undeliveredCancels.push(requested.number);
      if (late) ledger.members.lateCancels++;
      else ledger.members.cancels++;
      if (random() < plan.shares.duplicate)
        sendAgainLater(late ? 'booking-late-canceled' : 'booking-canceled', canceled.delivery.body);
      return;
    }
    if (fate >= cancel + lateCancel + checkin || requested.slot.toCancel) return;
    const deadline = Date.now() + 30_000;
    while (wellhub.state.bookings.get(requested.number)?.status === 'REQUESTED' && Date.now() < deadline)
      await sleep(200);
    if (wellhub.state.bookings.get(requested.number)?.status !== 'RESERVED') {
      ledger.members.checkinsSkipped++;
      return;
    }
    const checkedIn = await wellhub.acting.checkin({ bookingNumber: requested.number });
    if (!checkedIn.ok) return;
    countDelivery(checkedIn.delivery.delivered);
    ledger.checkins.push({ number: requested.number, delivered: checkedIn.delivery.delivered });
    if (random() < plan.shares.duplicate) sendAgainLater('checkin-booking-occurred', checkedIn.delivery.body);
  }

  async function gymChange(): Promise<void> {
    const kind = random();
    const checkedIn = new Set(ledger.checkins.map((c) => c.number));
    let answer: Awaited<ReturnType<LoopStack['gym']>>;
    let slot: SlotInPlay | undefined;
    if (kind < 0.35) {
      slot = pick(normal.filter((s) => !s.toCancel));
      const current = await stack.gym('GET', `/gym/slots/${slot.reference}`);
      if (current.status !== 200) return void ledger.gym.unreachable++;
      const capacity = Number(current.body.total_capacity) + 1 + Math.floor(random() * 4);
      answer = await stack.gym('PATCH', `/gym/slots/${slot.reference}`, { total_capacity: capacity });
    } else if (kind < 0.75) {
      slot = pick(random() < 0.5 ? hot : normal);
      const current = await stack.gym('GET', `/gym/slots/${slot.reference}`);
      if (current.status !== 200) return void ledger.gym.unreachable++;
      const elsewhere = Math.max(0, Number(current.body.booked_elsewhere) + (random() < 0.5 ? -1 : 1));
      answer = await stack.gym('PATCH', `/gym/slots/${slot.reference}`, { booked_elsewhere: elsewhere });
    } else if (kind < 0.85) {
      const next = ledger.slots.find((s) => s.toCancel && !canceledSlots.has(s.reference));
      if (!next) return;
      answer = await stack.gym('POST', `/gym/slots/${next.reference}/cancel`);
      if (answer.status === 200) canceledSlots.add(next.reference);
    } else {
      const reserved = ledger.requests.filter(
        (r) => !checkedIn.has(r.number) && wellhub.state.bookings.get(r.number)?.status === 'RESERVED',
      );
      if (reserved.length === 0) return;
      const target = pick(reserved);
      answer = await stack.gym('POST', `/gym/bookings/${target.number}/cancel`, { reason: 'Instructor ill' });
      if (answer.status === 200) ledger.gym.bookingsCanceled.push(target.number);
    }
    if (answer.status === 0 || answer.status >= 500) return void ledger.gym.unreachable++;
    if (answer.status !== 200) return void ledger.gym.refused++;
    ledger.gym.changes++;
    if (slot) slot.maxAllowance = Math.max(slot.maxAllowance, allowanceOf(answer.body));
  }

  const episodes = runEpisodes(stack, plan, ledger, () => issued);

  // The hot burst: far more members than seats, delivered as fast as the receiver takes them.
  ledger.hotBurst.requests = plan.hotBurst;
  const burstStarted = performance.now();
  const burst = await inPool(
    Array.from({ length: plan.hotBurst }, (_, i) => hot[i % hot.length] as SlotInPlay),
    plan.hotSenders,
    (slot) => {
      issued++;
      return book(slot, newMember(), true);
    },
  );
  ledger.hotBurst.ms = performance.now() - burstStarted;
  ledger.hotBurst.delivered = burst.filter((r) => r?.delivered).length;

  const rest = shuffle(
    random,
    Array.from({ length: plan.requests - plan.hotBurst }, (_, i) => i),
  );
  const members: string[] = [];
  await inPool(rest, plan.concurrency, async (_, index) => {
    issued++;
    if (index % plan.gymChangeEvery === plan.gymChangeEvery - 1) await gymChange();
    const again = members.length > 0 && random() < plan.shares.sameMember;
    const member = again ? pick(members) : newMember();
    members.push(member);
    const slot = random() < 0.08 ? pick(hot) : pick(normal);
    const requested = await book(slot, member, slot.hot);
    if (requested) await followUp(requested);
  });
  await episodes;

  // The faults end here: whatever is still set is lifted at once.
  wellhub.faults.clear();
  wellhub.restoreToken();
  await stack.wellhubLink.accept();
  ledger.faultsEndedAt = Date.now();
  return followUps;
}

/** Each episode starts when its share of the requests has been issued, and ends before the next. */
async function runEpisodes(
  stack: LoopStack,
  plan: StormPlan,
  ledger: StormLedger,
  issued: () => number,
): Promise<void> {
  const n = plan.episodes.length;
  for (const [i, episode] of plan.episodes.entries()) {
    const at = Math.floor(((i + 1) * plan.requests) / (n + 1));
    while (issued() < at) await sleep(100);
    const run: EpisodeRun = { ...episode, startedAt: Date.now() };
    ledger.episodes.push(run);
    await inject(stack, episode.kind, episode);
    run.endedAt = Date.now();
  }
}

async function inject(stack: LoopStack, kind: EpisodeKind, episode: Episode): Promise<void> {
  const { wellhub } = stack;
  const calls = episode.calls ?? 1;
  const everywhere = (fault: Record<string, unknown>) => {
    wellhub.faults.add({ path: ANSWERS, count: calls, ...fault });
    wellhub.faults.add({ path: SLOT_CALLS, count: Math.max(1, Math.ceil(calls / 4)), ...fault });
    wellhub.faults.add({ path: VALIDATE, count: Math.max(1, Math.ceil(calls / 4)), ...fault });
  };
  switch (kind) {
    case '5xx burst':
      return everywhere({ status: 503 });
    case '429 with Retry-After':
      return everywhere({ status: 429, retry_after: 2 });
    case 'slower than the client timeout':
      return everywhere({ delay_ms: SLOWER_THAN_TIMEOUT_MS });
    case '4xx refusals':
      // Refusals of answers only: a refused validation or schedule call is Wellhub's final word, and
      // the audit expects every check-in paid and the schedule equal once the faults end.
      wellhub.faults.add({ path: ANSWERS, count: calls, status: 400 });
      return;
    case 'connection refused':
      await stack.wellhubLink.refuse();
      await sleep(episode.ms ?? 0);
      await stack.wellhubLink.accept();
      return;
    case '401 token revoked':
      wellhub.revokeToken();
      await sleep(episode.ms ?? 0);
      wellhub.restoreToken();
      return;
    case 'crash':
      return stack.crash(episode.ms ?? 0);
    case 'database restart':
      return stack.restartDatabase(episode.ms ?? 0);
  }
}
