import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  type CallResult,
  type Decision,
  decideBooking,
  failedMessage,
  needsDecision,
  type Owed,
  owed,
  seatLimit,
  withCall,
  withDecision,
  withExpiry,
  withoutAnswer,
} from '#lib/bookings/answer';
import type { BookingRecord } from '#lib/bookings/records';
import { validationDeadline } from '#lib/bookings/validation';
import { logger, metrics } from '#lib/log';
import type { BookingStore } from '#lib/store/booking-store';
import type { ScheduleStore } from '#lib/store/schedule-store';
import type { WellhubClient } from '#lib/wellhub-api/client';
import type { WellhubOutcome } from '#lib/wellhub-api/outcome';
import { LostRaces } from './apply-event';
import { describe } from './attempts';
import { type BookingJobDeps, changeBooking, settle } from './booking-changes';
import { planRetry, sleep } from './call-retry';
import { explain, LEASE_MS } from './publication';
import { countValidationFailed, notNeeded, validateBookedCheckin } from './validate-checkin';

export interface AnswerDeps extends BookingJobDeps {
  readonly bookings: BookingStore;
  readonly schedule: ScheduleStore;
  readonly wellhub: WellhubClient;
  readonly now: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

export type AnswerOutcome = 'answered' | 'retry' | 'failed' | 'done' | 'skipped';

/** Deciders of one hot slot collide; each collision re-reads the counts and decides again. */
const MAX_DECIDE_RACES = 40;

/**
 * Answers a booking request (CONTRACT §11): load, decide, write, call. The decision and the seat it
 * takes are written before Wellhub is called, so a worker killed between the two delivers the same
 * decision later. Then the booking's messages go out in order (its answer, then a cancellation by the
 * gym), each retried until delivered or past its deadline, and never sent again once delivered.
 */
export async function answerBooking(
  deps: AnswerDeps,
  bookingNumber: string,
  via: string,
): Promise<AnswerOutcome> {
  const started = performance.now();
  const claimed = await deps.bookings.claim(bookingNumber, deps.now(), LEASE_MS);
  if (claimed === undefined) return 'skipped';
  const fields = { job: 'answerBooking', via, booking_number: bookingNumber, gym_id: claimed.gym_id };
  const log = (outcome: AnswerOutcome, extra: Record<string, unknown> = {}, error?: unknown) => {
    const line = { ...fields, outcome, ...extra, latency_ms: Math.round(performance.now() - started) };
    if (error === undefined) logger.info('job', line);
    else logger.error('job', { ...line, error: describe(error) });
    return outcome;
  };
  let booking = claimed;
  try {
    if (needsDecision(booking)) booking = await decide(deps, booking);
    for (;;) {
      const at = deps.now();
      const next = owed(booking, at);
      if (next.kind === 'nothing') {
        booking = await settle(deps, booking, undefined, at);
        return log(failedMessage(booking) ? 'failed' : 'done', story(booking));
      }
      if (next.kind === 'unwanted') {
        booking = await changeBooking(deps, booking, (b) => ({ booking: withoutAnswer(b, at) }), at);
        continue;
      }
      if (next.kind === 'expired') {
        booking = await changeBooking(deps, booking, (b) => withExpiry(b, next.message, at), at);
        if (next.message === 'validation') countValidationFailed();
        else countFailure(next.message, 'timed_out');
        continue;
      }
      if (next.kind === 'validation_not_needed') {
        booking = await changeBooking(deps, booking, (b) => ({ booking: notNeeded(b, next.reason, at) }), at);
        continue;
      }
      if (next.kind === 'validation_waits') {
        // Its booking request has not arrived: applying it hands the booking back to the stream.
        booking = await settle(deps, booking, next.until, at);
        return log('retry', { ...story(booking), retry_at: next.until.toISOString() });
      }
      let retry: { attempts: number; deadline: number; retryAfterMs?: number; auth?: boolean } | undefined;
      if (next.kind === 'validation') {
        const validated = await validateBookedCheckin(deps, booking);
        booking = validated.booking;
        const result = validated.result;
        if (booking.validation?.state === 'pending')
          retry = {
            attempts: booking.validation.attempts.length,
            deadline: validationDeadline(booking.validation),
            ...(result.kind === 'retry' && result.retryAfterMs !== undefined
              ? { retryAfterMs: result.retryAfterMs }
              : {}),
            ...(result.kind === 'retry' && result.auth === true ? { auth: true } : {}),
          };
      } else {
        const result = await deliver(deps, booking, next);
        const calledAt = deps.now();
        booking = await changeBooking(
          deps,
          booking,
          (b) => withCall(b, next.kind, result, calledAt),
          calledAt,
        );
        if (result.kind === 'delivered') countDelivered(booking, next, calledAt);
        const settled = stateOf(booking, next.kind);
        if (result.kind === 'refused' && settled !== 'not_needed') countFailure(next.kind, settled);
        if (result.kind === 'retry')
          retry = {
            attempts:
              (next.kind === 'answer' ? booking.answer : booking.gym_cancellation)?.attempts.length ?? 1,
            deadline: next.deadline.getTime(),
            ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}),
            ...(result.auth ? { auth: true } : {}),
          };
      }
      if (retry === undefined) continue;
      const calledAt = deps.now().getTime();
      const plan = planRetry(retry.attempts, calledAt, retry.deadline, retry, performance.now() - started);
      const retryAt = plan.at;
      if (plan.inJob) {
        await (deps.sleep ?? sleep)(retryAt - calledAt);
        continue;
      }
      booking = await settle(deps, booking, new Date(retryAt), new Date(calledAt));
      return log('retry', { ...story(booking), retry_at: new Date(retryAt).toISOString() });
    }
  } catch (error) {
    // The booking stays due; its lease lapses and the sweeper runs it again.
    return log('retry', story(booking), error);
  }
}

/** Decides by the table and writes the decision with its seat, deciding again after any lost race. */
async function decide(deps: AnswerDeps, claimed: BookingRecord): Promise<BookingRecord> {
  let booking: BookingRecord | undefined = claimed;
  for (let race = 1; race <= MAX_DECIDE_RACES; race++) {
    if (booking === undefined) throw new Error(`booking ${claimed.booking_number} disappeared`);
    if (!needsDecision(booking)) return booking;
    const at = deps.now();
    const slot = booking.slot_id ? await deps.schedule.slotByWellhubId(booking.slot_id) : undefined;
    const holder = slot ? await deps.bookings.seatHolder(slot.reference, booking.wellhub_id) : undefined;
    const decision = decideBooking(booking, slot, holder, at);
    const next = { ...withDecision(booking, decision, at), version: booking.version + 1 };
    const seat =
      decision.kind === 'reserve' ? { slot: decision.slot, limit: seatLimit(decision.slot) } : undefined;
    const written = await deps.bookings.saveDecision(next, booking.version, seat, at);
    if (written === 'saved') {
      countDecision(decision, next, race);
      return next;
    }
    if (written === 'booking_changed') booking = await deps.bookings.get(claimed.booking_number);
    else await (deps.sleep ?? sleep)(Math.random() * Math.min(200, 10 * race));
  }
  throw new LostRaces(
    `lost ${MAX_DECIDE_RACES} races for the seats of booking ${claimed.booking_number}'s slot`,
  );
}

async function deliver(
  deps: AnswerDeps,
  booking: BookingRecord,
  message: Extract<Owed, { kind: 'answer' | 'gym_cancellation' }>,
): Promise<CallResult & { readonly retryAfterMs?: number; readonly auth?: boolean }> {
  const attempt =
    ((message.kind === 'answer' ? booking.answer : booking.gym_cancellation)?.attempts.length ?? 0) + 1;
  const outcome = await deps.wellhub.answerBooking(booking.gym_id, booking.booking_number, message.body, {
    attempt,
  });
  return callResult(outcome);
}

export function callResult(
  outcome: WellhubOutcome<unknown>,
): CallResult & { readonly retryAfterMs?: number } {
  switch (outcome.kind) {
    case 'done':
      return { kind: 'delivered', httpStatus: outcome.status };
    case 'retry':
      return {
        kind: 'retry',
        ...(outcome.status !== undefined ? { httpStatus: outcome.status } : {}),
        error: explain(outcome),
        ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}),
        ...(needsOnCall(outcome) ? { auth: true } : {}),
      };
    default:
      return { kind: 'refused', httpStatus: outcome.status, error: explain({ ...outcome, kind: 'refused' }) };
  }
}

function stateOf(booking: BookingRecord, message: 'answer' | 'gym_cancellation'): string {
  return (message === 'answer' ? booking.answer : booking.gym_cancellation)?.state ?? 'none';
}

/** Our token missing, unreadable or refused: only on-call can change that. */
export function needsOnCall(outcome: WellhubOutcome<unknown>): boolean {
  return (
    outcome.kind === 'retry' &&
    (outcome.auth === true || outcome.reason === 'not_configured' || outcome.reason === 'token_unavailable')
  );
}

/** What the job's log line says about the booking: never the member, only the answer's course. */
function story(booking: BookingRecord): Record<string, unknown> {
  return {
    answer_status: booking.answer?.status,
    reason_category: booking.answer?.reason_category,
    answer_state: booking.answer?.state,
    answer_attempts: booking.answer?.attempts.length,
    gym_cancellation_state: booking.gym_cancellation?.state,
    validation_state: booking.validation?.state,
    validation_attempts: booking.validation?.attempts.length,
    booking_status: booking.status,
  };
}

function metric(
  dimensions: Record<string, string>,
  name: string,
  unit: (typeof MetricUnit)[keyof typeof MetricUnit],
  value: number,
): void {
  const single = metrics.singleMetric();
  single.addDimensions(dimensions);
  single.addMetric(name, unit, value);
}

function countDecision(decision: Decision, booking: BookingRecord, races: number): void {
  const status = booking.answer?.status ?? 'NONE';
  const category = decision.kind === 'reject' ? decision.category : status;
  metric({ status, category }, 'AnswersDecided', MetricUnit.Count, 1);
  if (decision.kind === 'reserve') {
    metric({}, 'SeatsTaken', MetricUnit.Count, 1);
    logger.info('seat taken', {
      booking_number: booking.booking_number,
      slot_reference: decision.slot.reference,
      seats_taken: decision.slot.wellhub_reserved + 1,
      seat_limit: seatLimit(decision.slot),
      races,
    });
  }
}

function countDelivered(booking: BookingRecord, message: Owed, at: Date): void {
  if (message.kind !== 'answer') {
    metric({ status: 'CANCELLED_BY_GYM' }, 'AnswersDelivered', MetricUnit.Count, 1);
    return;
  }
  const status = booking.answer?.status ?? 'NONE';
  metric({ status }, 'AnswersDelivered', MetricUnit.Count, 1);
  const since = Date.parse(booking.requested_at ?? booking.created_at);
  metric({}, 'AnswerLatency', MetricUnit.Milliseconds, Math.max(0, at.getTime() - since));
}

function countFailure(message: 'answer' | 'gym_cancellation', state: string): void {
  metric({ message, state }, 'AnswersFailed', MetricUnit.Count, 1);
  if (message === 'answer' && state === 'timed_out') metric({}, 'AnswersTimedOut', MetricUnit.Count, 1);
}
