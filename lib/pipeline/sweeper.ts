import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type JobDeps, type JobOutcome, runJob } from '#lib/jobs/router';
import { logger, metrics } from '#lib/log';
import type { DynamoDbStore } from '#lib/store/dynamodb-store';
import { bookingOrderKey, oneBookingAtATime } from './booking-order';

/** What the sweeper needs beyond the jobs' own: the work index. */
export interface SweepDeps extends JobDeps {
  readonly store: JobDeps['store'] & Pick<DynamoDbStore, 'dueWork' | 'failures' | 'owedWork'>;
}

export interface SweepOptions {
  /** At most this many jobs per sweep; the rest wait a minute (and show as overdue). */
  readonly limit?: number;
  readonly concurrency?: number;
}

export interface SweepReport {
  readonly due: number;
  readonly outcomes: Partial<Record<JobOutcome, number>>;
  readonly failed: number;
  readonly overduePublications: number;
  readonly unansweredBookings: number;
  readonly unvalidatedCheckins: number;
  readonly oldestDueAt: string | undefined;
}

const LIMIT = 200;
const CONCURRENCY = 8;

/**
 * The safety net (CONTRACT §9): every minute, whatever the index says is due and not done is run
 * again through the same jobs as the stream's. Each job re-checks the record's state with a
 * conditional write, so racing the stream on the same item applies it once.
 */
export async function sweep(deps: SweepDeps, options: SweepOptions = {}): Promise<SweepReport> {
  const started = performance.now();
  const now = deps.now();
  const due = await deps.store.dueWork(now, options.limit ?? LIMIT);
  const outcomes: Partial<Record<JobOutcome, number>> = {};
  let next = 0;
  // Oldest first, and events of one booking in the order they were received (CONTRACT §6).
  const inTurn = oneBookingAtATime();
  const worker = async () => {
    while (next < due.length) {
      const item = due[next++];
      if (item === undefined) break;
      const report = await inTurn(bookingOrderKey(item), () => runJob(item, deps, 'sweeper')).catch(
        (error: unknown) => {
          // The item stays due; the next sweep tries again.
          logger.error('sweep job failed', { error: error instanceof Error ? error.name : String(error) });
          return { outcome: 'retry' as const };
        },
      );
      outcomes[report.outcome] = (outcomes[report.outcome] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? CONCURRENCY }, worker));
  const failed = (await deps.store.failures()).length;
  const owed = await deps.store.owedWork();
  const overduePublications = publicationsOverdue(owed, now);
  const unansweredBookings = bookingsUnanswered(owed, now);
  const unvalidatedCheckins = checkinsUnvalidated(owed, now);
  const oldestDueAt = due[0]?.work_at as string | undefined;
  const report = {
    due: due.length,
    outcomes,
    failed,
    overduePublications,
    unansweredBookings,
    unvalidatedCheckins,
    oldestDueAt,
  };
  logger.info('sweep', { ...report, latency_ms: Math.round(performance.now() - started) });
  const metric = metrics.singleMetric();
  metric.addMetric('OverdueJobs', MetricUnit.Count, due.length);
  metric.addMetric('FailedJobs', MetricUnit.Count, failed);
  metric.addMetric('PublicationsOverdue', MetricUnit.Count, overduePublications);
  metric.addMetric('BookingsUnanswered', MetricUnit.Count, unansweredBookings);
  metric.addMetric('CheckinsUnvalidated', MetricUnit.Count, unvalidatedCheckins);
  return report;
}

/** A check-in still being validated this long after the member checked in is alarmed. */
export const VALIDATION_OVERDUE_MS = 5 * 60_000;

/** Check-ins (booked or walk-in) the service still owes a validation 5 minutes after they happened. */
export function checkinsUnvalidated(owed: readonly Record<string, unknown>[], now: Date): number {
  return owed.filter((item) => {
    const validation = item.validation as { state?: string; checked_in_at?: string } | undefined;
    if (validation?.state !== 'pending') return false;
    return Date.parse(validation.checked_in_at ?? '') < now.getTime() - VALIDATION_OVERDUE_MS;
  }).length;
}

/** A booking request still without a delivered answer this long after its timestamp is alarmed. */
export const ANSWER_OVERDUE_MS = 5 * 60_000;

/** Booking requests still undecided or undelivered 5 minutes after Wellhub sent them (CONTRACT §15). */
export function bookingsUnanswered(owed: readonly Record<string, unknown>[], now: Date): number {
  return owed.filter((item) => {
    if (item.kind !== 'booking' || typeof item.requested_at !== 'string') return false;
    const answer = item.answer as { state?: string } | undefined;
    if (answer !== undefined && answer.state !== 'pending') return false;
    return Date.parse(item.requested_at) < now.getTime() - ANSWER_OVERDUE_MS;
  }).length;
}

/** A gym's change not at Wellhub this long after it was made is alarmed (CONTRACT §15). */
export const PUBLICATION_OVERDUE_MS = 5 * 60_000;

/**
 * Classes and slots whose change is still not at Wellhub 5 minutes after it was made. A slot waiting
 * for the horizon is not late: it is published when the horizon reaches it.
 */
export function publicationsOverdue(owed: readonly Record<string, unknown>[], now: Date): number {
  return owed.filter((item) => {
    if (item.kind !== 'class' && item.kind !== 'slot') return false;
    const sync = item.sync as { changed_at?: string; publish_at?: string } | undefined;
    if (sync?.publish_at !== undefined && Date.parse(sync.publish_at) > now.getTime()) return false;
    return Date.parse(sync?.changed_at ?? '') < now.getTime() - PUBLICATION_OVERDUE_MS;
  }).length;
}
