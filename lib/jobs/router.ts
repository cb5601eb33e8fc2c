import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ApplyOptions } from '#lib/bookings/apply-event';
import type { EventRecord } from '#lib/bookings/records';
import type { EventKey } from '#lib/inbox/receive';
import { logger, metrics } from '#lib/log';
import type { BookingStore } from '#lib/store/booking-store';
import type { ScheduleStore } from '#lib/store/schedule-store';
import type { WalkinStore } from '#lib/store/walkin-store';
import type { WellhubClient } from '#lib/wellhub-api/client';
import { type AnswerOutcome, answerBooking } from './answer-booking';
import { type ApplyStore, applyEvent } from './apply-event';
import { describe, type FailedAttempt, failedAttempt } from './attempts';
import type { PublishOutcome } from './publication';
import { publishClass } from './publish-class';
import { publishSlot } from './publish-slot';
import { validateWalkin, type WalkinOutcome } from './validate-walkin';

/** Who ran a job: the stream (the fast path), the sweeper (the safety net) or on-call. */
export type Via = 'stream' | 'sweeper' | 'ops';

export interface JobStore extends ApplyStore {
  recordFailedAttempt(key: EventKey, previousAttempts: number, failure: FailedAttempt): Promise<boolean>;
  readonly schedule: ScheduleStore;
  readonly bookings: BookingStore;
  readonly walkins: WalkinStore;
}

export interface JobDeps {
  readonly store: JobStore;
  readonly now: () => Date;
  readonly apply?: ApplyOptions;
  /** Jobs that call Wellhub (publication); without it they are left for a runner that has it. */
  readonly wellhub?: WellhubClient;
  /** `SCHEDULE_HORIZON_DAYS`: only slots starting within it are published. */
  readonly horizonDays?: number;
}

export type JobOutcome =
  | 'applied'
  | 'done'
  | 'retry'
  | 'failed'
  | 'skipped'
  | PublishOutcome
  | AnswerOutcome
  | WalkinOutcome;

/** Wellhub's booking horizon (WELLHUB-API.md): members book up to 14 days ahead. */
export const DEFAULT_HORIZON_DAYS = 14;

export interface JobReport {
  readonly job: string;
  readonly outcome: JobOutcome;
}

/**
 * Maps a record of the table to the job it calls for and runs it. Only what is owed gets a job; any
 * other record (already applied, or of a kind with no work) is skipped, so a record delivered twice
 * or handed over by both the stream and the sweeper is harmless.
 */
export async function runJob(item: Record<string, unknown>, deps: JobDeps, via: Via): Promise<JobReport> {
  if (item.kind === 'event') return runEventJob(item as unknown as EventRecord, deps, via);
  if ((item.kind === 'class' || item.kind === 'slot') && typeof item.reference === 'string') {
    return runPublishJob(item.kind, item.reference, deps, via);
  }
  if (item.kind === 'booking' && typeof item.booking_number === 'string') {
    return runBookingJob(item.booking_number, deps, via);
  }
  return { job: 'none', outcome: 'skipped' };
}

/** Answering a booking request, and telling Wellhub the gym canceled it (CONTRACT §11). */
export async function runBookingJob(bookingNumber: string, deps: JobDeps, via: Via): Promise<JobReport> {
  if (deps.wellhub === undefined) return { job: 'answerBooking', outcome: 'skipped' };
  const outcome = await answerBooking(
    {
      bookings: deps.store.bookings,
      schedule: deps.store.schedule,
      wellhub: deps.wellhub,
      now: deps.now,
    },
    bookingNumber,
    via,
  );
  return { job: 'answerBooking', outcome };
}

/** Publishing a class or slot of the gym's schedule to Wellhub (CONTRACT §10). */
export async function runPublishJob(
  kind: 'class' | 'slot',
  reference: string,
  deps: JobDeps,
  via: Via,
): Promise<JobReport> {
  const job = kind === 'class' ? 'publishClass' : 'publishSlot';
  if (deps.wellhub === undefined) return { job, outcome: 'skipped' };
  const publication = {
    schedule: deps.store.schedule,
    wellhub: deps.wellhub,
    now: deps.now,
    horizonDays: deps.horizonDays ?? DEFAULT_HORIZON_DAYS,
  };
  const outcome = await (kind === 'class' ? publishClass : publishSlot)(publication, reference, via);
  return { job, outcome };
}

/** The job of an event record: applying it, while it is `RECEIVED`; then validating a walk-in. */
export async function runEventJob(record: EventRecord, deps: JobDeps, via: Via): Promise<JobReport> {
  if (record.state === 'RECEIVED') return runApplyEvent(record, deps, via);
  if (record.state === 'APPLIED' && record.validation?.state === 'pending') {
    if (deps.wellhub === undefined) return { job: 'validateWalkin', outcome: 'skipped' };
    const outcome = await validateWalkin(
      { walkins: deps.store.walkins, wellhub: deps.wellhub, now: deps.now },
      { type: record.event_type, id: record.event_key },
      via,
    );
    return { job: 'validateWalkin', outcome };
  }
  return { job: 'none', outcome: 'skipped' };
}

/**
 * A failure is recorded on the event and the job returns: the stream never blocks on it. Only when
 * even that write fails does the error escape, so the stream (or the next sweep) delivers it again.
 */
async function runApplyEvent(record: EventRecord, deps: JobDeps, via: Via): Promise<JobReport> {
  const started = performance.now();
  const key = { type: record.event_type, id: record.event_key };
  const at = deps.now();
  const fields = {
    job: 'applyEvent',
    via,
    event_key: record.event_key,
    event_type: record.event_type,
    booking_number: record.booking_number,
    gym_id: record.gym_id,
  };
  try {
    const result = await applyEvent(deps.store, record, at, deps.apply);
    const latencyMs = Math.round(performance.now() - started);
    if (result.outcome === 'done') {
      logger.info('job', { ...fields, outcome: 'done', latency_ms: latencyMs });
      return { job: 'applyEvent', outcome: 'done' };
    }
    const { applied } = result.change;
    const lagMs = at.getTime() - Date.parse(record.received_at);
    (applied.conflict ? logger.warn : logger.info).call(logger, 'job', {
      ...fields,
      outcome: 'applied',
      booking_status: applied.booking_status,
      conflict: applied.conflict,
      attempts: (record.attempts ?? 0) + 1,
      latency_ms: latencyMs,
      lag_ms: lagMs,
    });
    jobMetric({ job: 'applyEvent', via }, 'JobsApplied', MetricUnit.Count, 1);
    jobMetric({ job: 'applyEvent', via }, 'ApplyLag', MetricUnit.Milliseconds, lagMs);
    return { job: 'applyEvent', outcome: 'applied' };
  } catch (error) {
    const previous = record.attempts ?? 0;
    const failure = failedAttempt(previous, error, at);
    const recorded = await deps.store.recordFailedAttempt(key, previous, failure);
    const outcome = failure.retryAt === undefined ? 'failed' : 'retry';
    logger.error('job', {
      ...fields,
      outcome: recorded ? outcome : 'done',
      attempts: failure.attempts,
      retry_at: failure.retryAt?.toISOString(),
      error: describe(error),
      latency_ms: Math.round(performance.now() - started),
    });
    if (recorded) {
      jobMetric(
        { job: 'applyEvent' },
        outcome === 'failed' ? 'JobsFailed' : 'JobAttemptsFailed',
        MetricUnit.Count,
        1,
      );
    }
    return { job: 'applyEvent', outcome: recorded ? outcome : 'done' };
  }
}

/**
 * One metric with its own dimensions: a Powertools single metric publishes at its first `addMetric`
 * and forgets its dimensions, so each metric gets a fresh one.
 */
function jobMetric(
  dimensions: Record<string, string>,
  name: string,
  unit: (typeof MetricUnit)[keyof typeof MetricUnit],
  value: number,
): void {
  const metric = metrics.singleMetric();
  metric.addDimensions(dimensions);
  metric.addMetric(name, unit, value);
}
