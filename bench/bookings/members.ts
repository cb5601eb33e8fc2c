/**
 * Members booking through the local Wellhub's acting API, as Wellhub's app does: the local Wellhub
 * records the booking `REQUESTED`, sends the signed `booking-requested` webhook to our receiver and
 * notes the receiver's answer. The figure starts when that answer came back: the moment `book`
 * resolves in this process (its webhook answered 2xx, with Wellhub's immediate retries if the first
 * attempt was not). It ends when the local Wellhub, in this same process and on the same clock
 * (Date.now), took the gym's answer: the first `PATCH .../bookings/{booking_number}` it accepted,
 * `answers[].at`. The PATCH of the slot's `total_booked` that follows a seat is not timed; it is
 * waited for, so that the next request finds the pipeline idle.
 */
import type { LocalWellhub } from '#lib/local-wellhub/server';
import { until } from '../schedule/gym';
import { percentile, sortedCopy } from '../support/stats';

/** A 13-digit Wellhub ID of its own for every request of the run: no rule 5 (already booked) by chance. */
export function memberIds(): () => string {
  let next = 0;
  return () => `1000000${String(next++).padStart(6, '0')}`;
}

export type Booked =
  | {
      readonly ok: true;
      readonly bookingNumber: string;
      readonly slotId: number;
      /** Epoch ms: the receiver's 2xx came back to the local Wellhub. */
      readonly answeredAt: number;
      /** The first attempt was not answered 2xx within Wellhub's second: Wellhub retried at once. */
      readonly retried: boolean;
      /** Not even a retry was answered 2xx: Wellhub would not count on the gym having it. */
      readonly delivered: boolean;
    }
  | { readonly ok: false; readonly slotId: number; readonly error: string };

export async function book(
  wellhub: LocalWellhub,
  slotId: number,
  gympassId: string,
  receiverUrl: string,
): Promise<Booked> {
  const result = await wellhub.acting.book({ slotId, gympassId, receiverUrl });
  const answeredAt = Date.now();
  if (!result.ok) return { ok: false, slotId, error: `${result.status} ${result.error}` };
  return {
    ok: true,
    bookingNumber: result.record.booking_number,
    slotId,
    answeredAt,
    retried: result.delivery.attempts.length > 1,
    delivered: result.delivery.delivered,
  };
}

export interface GymAnswer {
  /** Epoch ms at which the local Wellhub took it. */
  readonly at: number;
  readonly status: string;
  readonly category?: string;
}

/** The gym's answer as the local Wellhub took it (the first it accepted), if it has one yet. */
export function answerAt(wellhub: LocalWellhub, bookingNumber: string): GymAnswer | undefined {
  const taken = wellhub.state.bookings
    .get(bookingNumber)
    ?.answers.find((answer) => answer.http_status >= 200 && answer.http_status < 300);
  if (!taken) return undefined;
  const body = (typeof taken.body === 'object' && taken.body !== null ? taken.body : {}) as Record<
    string,
    unknown
  >;
  return {
    at: Date.parse(taken.at),
    status: String(body.status),
    ...(typeof body.reason_category === 'string' ? { category: body.reason_category } : {}),
  };
}

/** Answers the local Wellhub refused or took more than once: each booking is answered exactly once. */
export function extraAnswers(wellhub: LocalWellhub, bookingNumber: string): number {
  return Math.max(0, (wellhub.state.bookings.get(bookingNumber)?.answers.length ?? 0) - 1);
}

/** Wellhub's calls are noted in this process: probing them costs nothing, so often. */
const ANSWER_PROBE_MS = 2;
const COUNT_PROBE_MS = 10;

/** Until every booking has its answer at Wellhub, or the limit passes; how many still have none. */
export async function answered(
  wellhub: LocalWellhub,
  bookingNumbers: readonly string[],
  limitMs: number,
): Promise<number> {
  let missing = bookingNumbers.length;
  await until(
    () => {
      missing = bookingNumbers.filter((n) => answerAt(wellhub, n) === undefined).length;
      return missing === 0 ? true : undefined;
    },
    limitMs,
    ANSWER_PROBE_MS,
  );
  return missing;
}

/** `RESERVED` bookings per Wellhub slot, as the local Wellhub has them now. */
export function reservedAtWellhub(wellhub: LocalWellhub): Map<number, number> {
  const reserved = new Map<number, number>();
  for (const booking of wellhub.state.bookings.values()) {
    if (booking.status === 'RESERVED')
      reserved.set(booking.slot_id, (reserved.get(booking.slot_id) ?? 0) + 1);
  }
  return reserved;
}

/**
 * Until each slot's `total_booked` at Wellhub says what Wellhub itself holds for it (its reserved
 * bookings, plus the gym's own sales, none in this run), or the limit passes; how many disagree.
 */
export async function countsCaughtUp(
  wellhub: LocalWellhub,
  slotIds: readonly number[],
  limitMs: number,
): Promise<number> {
  let behind = slotIds.length;
  await until(
    () => {
      const reserved = reservedAtWellhub(wellhub);
      behind = slotIds.filter(
        (id) => Number(wellhub.state.slots.get(id)?.fields.total_booked ?? 0) !== (reserved.get(id) ?? 0),
      ).length;
      return behind === 0 ? true : undefined;
    },
    limitMs,
    COUNT_PROBE_MS,
  );
  return behind;
}

export interface LagFigures {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export function lagFigures(lags: readonly number[]): LagFigures {
  const sorted = sortedCopy(lags);
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1) ?? Number.NaN,
  };
}
