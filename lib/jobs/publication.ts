import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger, metrics } from '#lib/log';
import type { Publication } from '#lib/schedule/records';
import type { ScheduleKind, ScheduleStore } from '#lib/store/schedule-store';
import type { WellhubClient } from '#lib/wellhub-api/client';
import type { WellhubOutcome } from '#lib/wellhub-api/outcome';
import { nextAttemptAt } from '#lib/wellhub-api/retry';
import { describe } from './attempts';

/**
 * What publishing the gym's schedule needs (CONTRACT §10): the schedule's records, Wellhub, the
 * clock and the horizon. Shared by the class and slot jobs and by reconcile.
 */
export interface PublicationDeps {
  readonly schedule: ScheduleStore;
  readonly wellhub: WellhubClient;
  readonly now: () => Date;
  readonly horizonDays: number;
}

/** Longer than one job takes (Wellhub calls time out in 5 s); a crashed job's claim lapses after it. */
export const LEASE_MS = 30_000;
/** A change keeps being retried this long after the gym made it; then it is `failed` and alarmed. */
export const PUBLISH_PATIENCE_MS = 60 * 60_000;
/** Its class is not at Wellhub yet: the class's job hands it back sooner; this is the safety net. */
export const WAIT_FOR_CLASS_MS = 60_000;

export type PublishOutcome = 'published' | 'changed' | 'postponed' | 'retry' | 'failed' | 'skipped';

/** A call that did not succeed, as the job records it. */
export class PublishFailed extends Error {
  override readonly name = 'PublishFailed';
  constructor(
    readonly outcome: Exclude<WellhubOutcome<unknown>, { kind: 'done' }>,
    readonly what: string,
  ) {
    super(`${what}: ${explain(outcome)}`);
  }
}

/** A change that can never be published (its slot has started): failed at once, not retried. */
export class CannotPublish extends Error {
  override readonly name = 'CannotPublish';
}

/** Wellhub's refusal in its own words, as `sync.wellhub_error` shows it. */
export function explain(outcome: Exclude<WellhubOutcome<unknown>, { kind: 'done' }>): string {
  const error = outcome.error;
  const words = [
    ...(error?.fields.map((f) => `${f.field}: ${f.error}`) ?? []),
    ...(error?.keys.map((k) => `${k.key}: ${k.message}`) ?? []),
    ...(error?.message !== undefined ? [error.message] : []),
  ];
  const status =
    outcome.status === undefined
      ? outcome.kind === 'retry'
        ? outcome.reason
        : ''
      : `HTTP ${outcome.status}`;
  return [status, words.join('; ')].filter((part) => part !== '').join(' ');
}

/**
 * A failed attempt is recorded on the record and the job returns: retried by the sweeper with
 * backoff while the gym's change is under an hour old, at once `failed` when Wellhub refused it.
 */
export async function recordPublishFailure(
  deps: PublicationDeps,
  kind: ScheduleKind,
  record: Publication<unknown> & { readonly reference: string },
  error: unknown,
  at: Date,
): Promise<PublishOutcome> {
  const attempts = (record.attempts ?? 0) + 1;
  const outcome = error instanceof PublishFailed ? error.outcome : undefined;
  // A slot held back for the horizon gets its hour from the moment it went out, not from the change.
  const since = Math.max(Date.parse(record.sync.changed_at), Date.parse(record.sync.publish_at ?? '') || 0);
  const deadline = since + PUBLISH_PATIENCE_MS;
  const retryAt =
    outcome?.kind === 'refused' || error instanceof CannotPublish
      ? undefined
      : nextAttemptAt(attempts, at.getTime(), {
          deadline,
          ...(outcome?.kind === 'retry' && outcome.retryAfterMs !== undefined
            ? { retryAfterMs: outcome.retryAfterMs }
            : {}),
        });
  await deps.schedule.recordFailure(
    kind,
    record.reference,
    record.revision,
    {
      attempts,
      error: describe(error),
      ...(outcome ? { wellhubError: explain(outcome) } : {}),
      retryAt: retryAt === undefined ? undefined : new Date(retryAt),
    },
    at,
  );
  if (retryAt === undefined) {
    const metric = metrics.singleMetric();
    metric.addDimensions({ job: kind === 'class' ? 'publishClass' : 'publishSlot' });
    metric.addMetric('PublicationsFailed', MetricUnit.Count, 1);
  }
  return retryAt === undefined ? 'failed' : 'retry';
}

/** How long the gym's change took to reach Wellhub: the figure the dashboard and the bench show. */
export function publishedMetric(kind: ScheduleKind, changedAt: string, at: Date): number {
  const lagMs = at.getTime() - Date.parse(changedAt);
  const metric = metrics.singleMetric();
  metric.addDimensions({ job: kind === 'class' ? 'publishClass' : 'publishSlot' });
  metric.addMetric('PublishLag', MetricUnit.Milliseconds, lagMs);
  return lagMs;
}

export function logPublication(fields: Record<string, unknown>, error?: unknown): void {
  if (error === undefined) logger.info('job', fields);
  else logger.error('job', { ...fields, error: describe(error) });
}
