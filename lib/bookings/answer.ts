import type { GymSlotRecord } from '#lib/schedule/records';
import type { BookingAnswer as AnswerBody, ReasonCategory } from '#lib/wellhub-api/types';
import type {
  BookingAnswer,
  BookingRecord,
  BookingStatus,
  CallAttempt,
  DeliveryState,
  Seat,
} from './records';
import { settledValidation, validationDeadline, validationEligibility } from './validation';

/**
 * The gym's answer to a booking request (CONTRACT §11) as pure functions of the booking, its slot
 * and the clock: the decision table, and how each call to Wellhub moves the answer on. The job in
 * lib/jobs/answer-booking.ts loads, calls these, writes, and calls Wellhub.
 */

/** Wellhub rejects a request left unanswered this long after its `timestamp`. */
export const ANSWER_WINDOW_MS = 15 * 60_000;
/** A cancellation by the gym keeps being sent this long; then it is failed and alarmed. */
export const GYM_CANCELLATION_PATIENCE_MS = 60 * 60_000;
/** The story keeps the latest calls; a booking item stays far below DynamoDB's 400 KB. */
const MAX_ATTEMPTS_KEPT = 50;

export type Decision =
  | { readonly kind: 'none'; readonly reason: string }
  | { readonly kind: 'reject'; readonly category: ReasonCategory; readonly reason: string }
  | { readonly kind: 'reserve'; readonly slot: GymSlotRecord };

/** What the member reads in the app, per category. */
export const REJECTION_REASONS: Partial<Record<ReasonCategory, string>> = {
  CLASS_NOT_FOUND: 'This class is not on the gym’s schedule.',
  CLASS_HAS_BEEN_CANCELED: 'The gym has canceled this class.',
  CHECK_IN_AND_CANCELATION_WINDOWS_CLOSED: 'Booking for this class has closed.',
  USER_IS_ALREADY_BOOKED: 'You already have a place in this class.',
  CLASS_IS_FULL: 'This class is full.',
};

const MEMBER_CANCELED: ReadonlySet<BookingStatus> = new Set(['CANCELED', 'LATE_CANCELED']);

/** A booking the gym has not decided yet. */
export function needsDecision(booking: BookingRecord): boolean {
  return booking.answer === undefined && booking.requested_at !== undefined;
}

/** Wellhub seats a slot can still give: its Wellhub limit, and its capacity less the gym's own sales. */
export function seatsLeft(
  slot: Pick<GymSlotRecord, 'total_capacity' | 'wellhub_limit' | 'booked_elsewhere' | 'wellhub_reserved'>,
): number {
  return Math.max(0, seatLimit(slot) - slot.wellhub_reserved);
}

/** `wellhub_reserved` must stay below this for one more seat to be taken. */
export function seatLimit(
  slot: Pick<GymSlotRecord, 'total_capacity' | 'wellhub_limit' | 'booked_elsewhere'>,
): number {
  return Math.min(slot.wellhub_limit ?? slot.total_capacity, slot.total_capacity - slot.booked_elsewhere);
}

/**
 * The decision table of CONTRACT §11, first rule that applies. `holder` is the booking number that
 * already holds this member's seat in the slot, if any.
 */
export function decideBooking(
  booking: BookingRecord,
  slot: GymSlotRecord | undefined,
  holder: string | undefined,
  now: Date,
): Decision {
  const reject = (category: ReasonCategory): Decision => ({
    kind: 'reject',
    category,
    reason: REJECTION_REASONS[category] ?? category,
  });
  if (MEMBER_CANCELED.has(booking.status))
    return { kind: 'none', reason: 'the member canceled before the gym answered' };
  if (booking.status === 'CANCELED_BY_GYM')
    return {
      kind: 'none',
      reason: 'the gym canceled the class before answering; Wellhub canceled the booking',
    };
  if (slot === undefined || slot.gym_id !== booking.gym_id) return reject('CLASS_NOT_FOUND');
  if (slot.status === 'canceled') return reject('CLASS_HAS_BEEN_CANCELED');
  if (!windowOpen(slot, now)) return reject('CHECK_IN_AND_CANCELATION_WINDOWS_CLOSED');
  if (holder !== undefined && holder !== booking.booking_number) return reject('USER_IS_ALREADY_BOOKED');
  if (seatsLeft(slot) <= 0) return reject('CLASS_IS_FULL');
  return { kind: 'reserve', slot };
}

function windowOpen(slot: GymSlotRecord, now: Date): boolean {
  const at = now.getTime();
  if (at >= Date.parse(slot.occur_date)) return false;
  const window = slot.booking_window;
  if (window === undefined) return true;
  return at >= Date.parse(window.opens_at) && at <= Date.parse(window.closes_at);
}

export function answerDeadline(booking: BookingRecord): Date {
  return new Date(Date.parse(booking.requested_at ?? booking.created_at) + ANSWER_WINDOW_MS);
}

/** The booking once decided: the answer recorded before any call, the seat taken with `RESERVED`. */
export function withDecision(booking: BookingRecord, decision: Decision, at: Date): BookingRecord {
  const iso = at.toISOString();
  const base = {
    decided_at: iso,
    deadline: answerDeadline(booking).toISOString(),
    attempts: [] as CallAttempt[],
  };
  const answer: BookingAnswer =
    decision.kind === 'none'
      ? { ...base, status: 'NONE', reason: decision.reason, state: 'not_needed' }
      : decision.kind === 'reject'
        ? {
            ...base,
            status: 'REJECTED',
            reason_category: decision.category,
            reason: decision.reason,
            state: 'pending',
          }
        : { ...base, status: 'RESERVED', state: 'pending' };
  const undecided = booking.status === 'REQUESTED';
  return {
    ...booking,
    answer,
    ...(undecided && decision.kind === 'reserve' ? { status: 'RESERVED' as const } : {}),
    ...(undecided && decision.kind === 'reject'
      ? { status: 'REJECTED' as const, reason_category: decision.category }
      : {}),
    ...(decision.kind === 'reserve'
      ? { seat: { slot_reference: decision.slot.reference, taken_at: iso } }
      : {}),
    updated_at: iso,
  };
}

/** A change to a booking, and the seat it gives back to its slot (at most once, ever). */
export interface BookingUpdate {
  readonly booking: BookingRecord;
  readonly released?: Seat;
}

/** Gives the booking's seat back, unless it holds none or gave it back already. */
export function releaseSeat(booking: BookingRecord, because: string, at: Date): BookingUpdate {
  const seat = booking.seat;
  if (seat === undefined || seat.released_at !== undefined) return { booking };
  const released: Seat = { ...seat, released_at: at.toISOString(), released_because: because };
  return { booking: { ...booking, seat: released }, released };
}

/** What the booking owes Wellhub next, in order: its answer, then a cancellation by the gym. */
export type Owed =
  | { readonly kind: 'answer'; readonly body: AnswerBody; readonly deadline: Date }
  | { readonly kind: 'gym_cancellation'; readonly body: AnswerBody; readonly deadline: Date }
  /** The check-in to validate (CONTRACT §12), by `deadline`. */
  | { readonly kind: 'validation'; readonly deadline: Date }
  /** A check-in whose booking request has not arrived yet: it waits for it, until `until`. */
  | { readonly kind: 'validation_waits'; readonly until: Date }
  /** A check-in the gym does not validate (its answer was not RESERVED): the reason is kept. */
  | { readonly kind: 'validation_not_needed'; readonly reason: string }
  /** Its deadline passed undelivered. */
  | { readonly kind: 'expired'; readonly message: 'answer' | 'gym_cancellation' | 'validation' }
  /** The member (or Wellhub, with the slot) ended the booking first: no answer is wanted. */
  | { readonly kind: 'unwanted'; readonly reason: string }
  | { readonly kind: 'nothing' };

export function owed(booking: BookingRecord, now: Date): Owed {
  const answer = booking.answer;
  if (answer?.state === 'pending') {
    if (endedByWellhubSide(booking))
      return {
        kind: 'unwanted',
        reason: `the booking was ${booking.status} before the answer was delivered`,
      };
    const deadline = new Date(answer.deadline);
    if (now.getTime() >= deadline.getTime()) return { kind: 'expired', message: 'answer' };
    return { kind: 'answer', body: answerBody(answer), deadline };
  }
  const validation = booking.validation;
  if (validation?.state === 'pending') {
    const deadline = validationDeadline(validation);
    if (now.getTime() >= deadline) return { kind: 'expired', message: 'validation' };
    const eligible = validationEligibility(booking);
    if (eligible === 'wait') return { kind: 'validation_waits', until: new Date(deadline) };
    if (eligible !== 'validate') return { kind: 'validation_not_needed', reason: eligible.notNeeded };
    return { kind: 'validation', deadline: new Date(deadline) };
  }
  const cancellation = booking.gym_cancellation;
  if (cancellation?.state === 'pending') {
    if (answer?.state !== 'delivered' && answer?.state !== 'possibly_delivered')
      return { kind: 'unwanted', reason: 'Wellhub never took the reservation the gym canceled' };
    const deadline = new Date(cancellation.deadline);
    if (now.getTime() >= deadline.getTime()) return { kind: 'expired', message: 'gym_cancellation' };
    return {
      kind: 'gym_cancellation',
      body: {
        status: 'CANCELLED_BY_GYM',
        ...(cancellation.reason !== undefined ? { reason: cancellation.reason } : {}),
      },
      deadline,
    };
  }
  return { kind: 'nothing' };
}

/** Canceled by the member, or by the gym with the whole slot (Wellhub cancels those bookings itself). */
function endedByWellhubSide(booking: BookingRecord): boolean {
  if (MEMBER_CANCELED.has(booking.status)) return true;
  return booking.status === 'CANCELED_BY_GYM' && booking.history.at(-1)?.event_type === 'gym-canceled-slot';
}

function answerBody(answer: BookingAnswer): AnswerBody {
  if (answer.status === 'REJECTED')
    return {
      status: 'REJECTED',
      reason_category: answer.reason_category ?? 'GENERAL_ERROR',
      reason: answer.reason ?? '',
    };
  return { status: 'RESERVED' };
}

/** How one call to Wellhub ended, as the job classified it. */
export type CallResult =
  | { readonly kind: 'delivered'; readonly httpStatus: number }
  | { readonly kind: 'refused'; readonly httpStatus: number; readonly error: string }
  | { readonly kind: 'retry'; readonly httpStatus?: number; readonly error: string };

/**
 * Records one call on the message it delivered. A refusal of the first attempt (or of one after
 * attempts that all had an answer) is Wellhub saying no; after an attempt whose answer was lost, the
 * message may already have landed, so it is `possibly_delivered` and the seat is kept (CONTRACT §11).
 */
export function withCall(
  booking: BookingRecord,
  message: 'answer' | 'gym_cancellation',
  result: CallResult,
  at: Date,
): BookingUpdate {
  const current = message === 'answer' ? booking.answer : booking.gym_cancellation;
  if (current === undefined) return { booking };
  const attempt: CallAttempt = {
    at: at.toISOString(),
    ...(result.httpStatus !== undefined ? { http_status: result.httpStatus } : {}),
    ...(result.kind !== 'delivered' ? { error: result.error } : {}),
  };
  const attempts = [...current.attempts, attempt].slice(-MAX_ATTEMPTS_KEPT);
  const lost = current.attempts.some((a) => a.http_status === undefined);
  const state: DeliveryState =
    result.kind === 'delivered'
      ? 'delivered'
      : result.kind === 'retry'
        ? // A later writer (the member canceling) may have settled it meanwhile: keep what it said.
          current.state
        : endedByWellhubSide(booking)
          ? // Wellhub refuses an answer to a booking the member has just canceled: none was wanted.
            'not_needed'
          : lost
            ? 'possibly_delivered'
            : 'refused';
  const updated: typeof current = {
    ...current,
    attempts,
    state: current.state === 'delivered' ? 'delivered' : state,
    ...(result.kind === 'delivered' && current.delivered_at === undefined
      ? { delivered_at: at.toISOString() }
      : {}),
  };
  const next: BookingRecord = { ...booking, [message]: updated, updated_at: at.toISOString() };
  if (message === 'answer' && updated.state === 'refused') return rejectedBy(next, 'wellhub', at);
  return { booking: next };
}

/** The deadline passed with the message undelivered: an answer's booking is rejected by Wellhub. */
export function withExpiry(
  booking: BookingRecord,
  message: 'answer' | 'gym_cancellation' | 'validation',
  at: Date,
): BookingUpdate {
  if (message === 'validation') {
    const validation = booking.validation;
    if (validation === undefined) return { booking };
    const why =
      booking.answer === undefined
        ? 'no booking request was received before the check-in expired'
        : (validation.attempts.at(-1)?.error ?? 'not validated in time');
    return {
      booking: {
        ...booking,
        validation: settledValidation(validation, 'failed', why),
        updated_at: at.toISOString(),
      },
    };
  }
  const current = message === 'answer' ? booking.answer : booking.gym_cancellation;
  if (current === undefined || current.state !== 'pending') return { booking };
  const next: BookingRecord = {
    ...booking,
    [message]: { ...current, state: 'timed_out' },
    updated_at: at.toISOString(),
  };
  return message === 'answer' ? rejectedBy(next, 'wellhub_timeout', at) : { booking: next };
}

/** No answer wanted any more: the booking ended on Wellhub's side first. */
export function withoutAnswer(booking: BookingRecord, at: Date): BookingRecord {
  const answer = booking.answer;
  if (answer?.state !== 'pending') {
    const cancellation = booking.gym_cancellation;
    if (cancellation?.state !== 'pending') return booking;
    return {
      ...booking,
      gym_cancellation: { ...cancellation, state: 'not_needed' },
      updated_at: at.toISOString(),
    };
  }
  return { ...booking, answer: { ...answer, state: 'not_needed' }, updated_at: at.toISOString() };
}

function rejectedBy(booking: BookingRecord, by: 'wellhub' | 'wellhub_timeout', at: Date): BookingUpdate {
  const live = booking.status === 'REQUESTED' || booking.status === 'RESERVED';
  const next: BookingRecord = live
    ? { ...booking, status: 'REJECTED', rejected_by: by }
    : { ...booking, rejected_by: by };
  return releaseSeat(next, by === 'wellhub' ? 'wellhub refused the answer' : 'wellhub_timeout', at);
}

export type GymCancelRefusal = { readonly refused: string };

/**
 * The gym cancels one booking (CONTRACT §11): only one the gym answered `RESERVED` that is still
 * reserved. Its seat is released now; Wellhub is told `CANCELLED_BY_GYM` after the reservation.
 */
export function cancelOneByGym(
  booking: BookingRecord,
  at: Date,
  reason?: string,
): BookingUpdate | GymCancelRefusal {
  if (booking.status === 'CANCELED_BY_GYM' && booking.gym_cancellation !== undefined) return { booking };
  if (booking.status !== 'RESERVED' || booking.answer?.status !== 'RESERVED')
    return {
      refused: `booking ${booking.booking_number} is ${booking.status}: only a RESERVED booking can be canceled by the gym`,
    };
  const iso = at.toISOString();
  const next: BookingRecord = {
    ...booking,
    status: 'CANCELED_BY_GYM',
    gym_cancellation: {
      requested_at: iso,
      ...(reason !== undefined ? { reason } : {}),
      deadline: new Date(at.getTime() + GYM_CANCELLATION_PATIENCE_MS).toISOString(),
      state: 'pending',
      attempts: [],
    },
    history: [
      ...booking.history,
      {
        event_type: 'gym-canceled-booking',
        event_key: `gym-canceled-booking:${booking.booking_number}`,
        occurred_at: iso,
        received_at: iso,
        status: 'CANCELED_BY_GYM',
      },
    ],
    updated_at: iso,
  };
  return releaseSeat(next, 'canceled by the gym', at);
}

/** A message that ended without being delivered, or a visit not validated: on-call looks at it (`ops failures`). */
export function failedMessage(booking: BookingRecord): boolean {
  const failed: ReadonlySet<string> = new Set(['refused', 'timed_out', 'possibly_delivered']);
  return (
    failed.has(booking.answer?.state ?? '') ||
    failed.has(booking.gym_cancellation?.state ?? '') ||
    booking.validation?.state === 'failed'
  );
}
