/**
 * Decisions per second, and their correctness, when many members book at the same moment: first on
 * one hot slot with fewer seats than requests (its deciders collide on the slot's counts: each seat is
 * taken in a transaction conditional on them, so exactly `capacity` requests are `RESERVED` and the
 * rest `CLASS_IS_FULL`), then spread over many slots. Every request is made in the same tick, before
 * any webhook is answered: Wellhub takes them all because none of its `total_booked` has moved yet,
 * which is the moment a slot is most at risk of being overbooked. The rate is the decisions received
 * at Wellhub over the time from the first webhook answered to the last answer received. What Wellhub
 * holds is then checked against the seats: any slot with more `RESERVED` bookings than seats is
 * overbooked, and the table's `wellhub_reserved` must say the same as Wellhub.
 */
import type { DynamoDbStore } from '#lib/store/dynamodb-store';
import type { PublishedSlot } from './gym';
import type { BookingRun } from './latency';
import {
  answerAt,
  answered,
  type Booked,
  book,
  countsCaughtUp,
  extraAnswers,
  type LagFigures,
  lagFigures,
  reservedAtWellhub,
} from './members';

export interface DecisionsPlan {
  /** `requests` members on one slot of `capacity` seats. */
  readonly hot: { readonly requests: number; readonly capacity: number };
  /** `requests` members spread evenly over `slots` slots of `capacity` seats each. */
  readonly spread: { readonly requests: number; readonly slots: number; readonly capacity: number };
  /** From the requests: every answer received at Wellhub, and then every count caught up. */
  readonly answerLimitMs: number;
}

export interface BurstResults {
  readonly name: 'one hot slot' | 'many slots';
  readonly requests: number;
  readonly slots: number;
  readonly capacity: number;
  /** The local Wellhub refused the booking itself. */
  readonly refused: number;
  readonly undelivered: number;
  readonly retried: number;
  readonly answered: number;
  readonly notAnswered: number;
  /** Answers received at Wellhub, by status (`RESERVED`) or rejection category. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** What the seats allow: `min(seats, requests)` on each slot, the rest `CLASS_IS_FULL`. */
  readonly expected: { readonly reserved: number; readonly full: number };
  /** Slots holding more `RESERVED` bookings at Wellhub than they have seats, and the seats too many. */
  readonly overbooked: { readonly slots: number; readonly seats: number };
  /** Slots whose `wellhub_reserved` in the table differs from the `RESERVED` bookings at Wellhub. */
  readonly tableDisagrees: number;
  /** Slots whose `total_booked` at Wellhub had not caught up within the limit. */
  readonly countsBehind: number;
  readonly extraAnswers: number;
  /** First request made → last webhook answered: the receiver's share of the burst. */
  readonly webhooksMs: number;
  /** First webhook answered → last answer received at Wellhub. */
  readonly spanMs: number;
  readonly decisionsPerSecond: number;
  /** Webhook answered → its answer received at Wellhub, within the burst. */
  readonly lag: LagFigures;
  readonly lagsMs: readonly number[];
}

export interface DecisionsResults {
  readonly bursts: readonly BurstResults[];
}

export async function measureDecisions(
  run: BookingRun,
  store: DynamoDbStore,
  hot: PublishedSlot,
  spread: readonly PublishedSlot[],
  plan: DecisionsPlan,
  progress: (message: string) => void,
): Promise<DecisionsResults> {
  progress(`${plan.hot.requests} members at once on one slot of ${plan.hot.capacity} seats`);
  const hotBurst = await burst(run, store, 'one hot slot', [hot], plan.hot.requests, plan, progress);
  progress(`${plan.spread.requests} members at once over ${spread.length} slots of ${plan.spread.capacity}`);
  const spreadBurst = await burst(run, store, 'many slots', spread, plan.spread.requests, plan, progress);
  return { bursts: [hotBurst, spreadBurst] };
}

async function burst(
  run: BookingRun,
  store: DynamoDbStore,
  name: BurstResults['name'],
  slots: readonly PublishedSlot[],
  requests: number,
  plan: DecisionsPlan,
  progress: (message: string) => void,
): Promise<BurstResults> {
  const { wellhub } = run;
  const targets = Array.from({ length: requests }, (_, i) => slots[i % slots.length] as PublishedSlot);
  const members = targets.map(() => run.member());
  // Each `book` takes its booking at Wellhub before its first await: all are taken in this tick.
  const sentAt = Date.now();
  const booked = await Promise.all(
    targets.map((slot, i) => book(wellhub, slot.wellhubId, members[i] as string, run.receiverUrl)),
  );
  const made = booked.filter((b): b is Extract<Booked, { ok: true }> => b.ok);
  for (const refused of booked) if (!refused.ok) progress(`WARNING: booking refused: ${refused.error}`);
  const notAnswered = await answered(
    wellhub,
    made.map((b) => b.bookingNumber),
    Math.max(0, sentAt + plan.answerLimitMs - Date.now()),
  );
  const countsBehind = await countsCaughtUp(
    wellhub,
    slots.map((slot) => slot.wellhubId),
    Math.max(0, sentAt + plan.answerLimitMs - Date.now()),
  );

  const outcomes: Record<string, number> = {};
  const lags: number[] = [];
  let lastAnswerAt = Number.NaN;
  let extra = 0;
  for (const b of made) {
    extra += extraAnswers(wellhub, b.bookingNumber);
    const answer = answerAt(wellhub, b.bookingNumber);
    if (answer === undefined) continue;
    const outcome = answer.status === 'REJECTED' ? (answer.category ?? 'REJECTED') : answer.status;
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    lags.push(answer.at - b.answeredAt);
    if (!(answer.at <= lastAnswerAt)) lastAnswerAt = answer.at;
  }
  const answeredAt = made.map((b) => b.answeredAt);
  const firstAnsweredAt = answeredAt.length > 0 ? Math.min(...answeredAt) : Number.NaN;
  const lastAnsweredAt = answeredAt.length > 0 ? Math.max(...answeredAt) : Number.NaN;
  const decided = lags.length;
  const spanMs = lastAnswerAt - firstAnsweredAt;

  const onSlot = new Map<string, number>();
  for (const slot of targets) onSlot.set(slot.reference, (onSlot.get(slot.reference) ?? 0) + 1);
  const expectedReserved = slots.reduce(
    (sum, slot) => sum + Math.min(slot.seats, onSlot.get(slot.reference) ?? 0),
    0,
  );
  const reserved = reservedAtWellhub(wellhub);
  let overbookedSlots = 0;
  let overbookedSeats = 0;
  let tableDisagrees = 0;
  for (const slot of slots) {
    const held = reserved.get(slot.wellhubId) ?? 0;
    if (held > slot.seats) {
      overbookedSlots++;
      overbookedSeats += held - slot.seats;
    }
    const record = await store.schedule.getSlot(slot.reference);
    if (record?.wellhub_reserved !== held) tableDisagrees++;
  }

  return {
    name,
    requests,
    slots: slots.length,
    capacity: Math.max(...slots.map((slot) => slot.seats)),
    refused: booked.length - made.length,
    undelivered: made.filter((b) => !b.delivered).length,
    retried: made.filter((b) => b.retried).length,
    answered: decided,
    notAnswered,
    outcomes,
    expected: { reserved: expectedReserved, full: requests - expectedReserved },
    overbooked: { slots: overbookedSlots, seats: overbookedSeats },
    tableDisagrees,
    countsBehind,
    extraAnswers: extra,
    webhooksMs: lastAnsweredAt - sentAt,
    spanMs,
    decisionsPerSecond: spanMs > 0 ? (decided * 1000) / spanMs : Number.NaN,
    lag: lagFigures(lags),
    lagsMs: lags,
  };
}
