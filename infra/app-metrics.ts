import { Duration } from 'aws-cdk-lib';
import { Metric, type MetricOptions, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import type { BookingAnswer, DeliveryState } from '#lib/bookings/records';
import type { Via } from '#lib/jobs/router';
import type { EventType } from '#lib/wellhub/routes';
import type { ReasonCategory } from '#lib/wellhub-api/types';
import { METRICS_NAMESPACE, SERVICE_NAME } from './service-function';

/**
 * The metrics the handlers publish in embedded metric format (CONTRACT §8). Names and dimensions
 * must match what lib/ emits exactly, or alarms watch a metric that never gets data.
 */
export const OUTCOMES = [
  'accepted',
  'duplicate',
  'rejected_signature',
  'bad_request',
  'payload_too_large',
  'error',
] as const;

export type Outcome = (typeof OUTCOMES)[number];

const FIVE_MINUTES = Duration.minutes(5);

function appMetric(metricName: string, dimensionsMap: Record<string, string>, options: MetricOptions) {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME, ...dimensionsMap },
    period: FIVE_MINUTES,
    ...options,
  });
}

/** `Requests` (Count) by {service, event_type, outcome}. */
export function requestsMetric(eventType: EventType, outcome: Outcome, options: MetricOptions = {}): Metric {
  return appMetric(
    'Requests',
    { event_type: eventType, outcome },
    { statistic: Stats.SUM, label: outcome, ...options },
  );
}

/** `Latency` (Milliseconds) by {service, event_type, outcome}: time spent in the handler. */
export function latencyMetric(eventType: EventType, outcome: Outcome, options: MetricOptions = {}): Metric {
  return appMetric('Latency', { event_type: eventType, outcome }, { statistic: Stats.p(99), ...options });
}

/** `Quarantined` (Count) by {service}: signed requests refused with 400 and kept for replay. */
export function quarantinedMetric(options: MetricOptions = {}): Metric {
  return appMetric('Quarantined', {}, { statistic: Stats.SUM, ...options });
}

/** `SignatureRejected` (Count) by {service}: requests answered 401. */
export function signatureRejectedMetric(options: MetricOptions = {}): Metric {
  return appMetric('SignatureRejected', {}, { statistic: Stats.SUM, ...options });
}

/** `WellhubAuthRefused` (Count) by {service}: Wellhub answered 401 or 403 to a call of ours. */
export function wellhubAuthRefusedMetric(options: MetricOptions = {}): Metric {
  return appMetric('WellhubAuthRefused', {}, { statistic: Stats.SUM, ...options });
}

/** `WellhubTokenMissing` (Count) by {service}: a call failed closed, no token configured or readable. */
export function wellhubTokenMissingMetric(options: MetricOptions = {}): Metric {
  return appMetric('WellhubTokenMissing', {}, { statistic: Stats.SUM, ...options });
}

/** Powertools' `ColdStart` (Count) by {service, function_name}; function_name is the route's `functionName`. */
export function coldStartMetric(functionName: string, options: MetricOptions = {}): Metric {
  return appMetric('ColdStart', { function_name: functionName }, { statistic: Stats.SUM, ...options });
}

/** Where a job ran from (lib/jobs/router.ts): the stream, the sweeper's re-drive, or `ops retry`. */
export const JOB_VIA = ['stream', 'sweeper', 'ops'] as const satisfies readonly Via[];

/** `ApplyLag` (Milliseconds) by {service, job, via}: from the event's receipt to its application. */
export function applyLagMetric(via: Via, options: MetricOptions = {}): Metric {
  return appMetric('ApplyLag', { job: 'applyEvent', via }, { statistic: Stats.p(99), ...options });
}

/** `JobsApplied` (Count) by {service, job, via}. */
export function jobsAppliedMetric(via: Via, options: MetricOptions = {}): Metric {
  return appMetric('JobsApplied', { job: 'applyEvent', via }, { statistic: Stats.SUM, ...options });
}

/** `JobsFailed` (Count) by {service, job}: an event given up on after its last attempt. */
export function jobsFailedMetric(options: MetricOptions = {}): Metric {
  return appMetric('JobsFailed', { job: 'applyEvent' }, { statistic: Stats.SUM, ...options });
}

/** `JobAttemptsFailed` (Count) by {service, job}: an attempt that will be retried. */
export function jobAttemptsFailedMetric(options: MetricOptions = {}): Metric {
  return appMetric('JobAttemptsFailed', { job: 'applyEvent' }, { statistic: Stats.SUM, ...options });
}

/** `FailedJobs` (Count) by {service}: a gauge, each sweep: how many jobs are FAILED right now. */
export function failedJobsMetric(options: MetricOptions = {}): Metric {
  return appMetric('FailedJobs', {}, { statistic: Stats.MAXIMUM, ...options });
}

/** `OverdueJobs` (Count) by {service}: a gauge, each sweep: how many jobs were due and not done. */
export function overdueJobsMetric(options: MetricOptions = {}): Metric {
  return appMetric('OverdueJobs', {}, { statistic: Stats.MAXIMUM, ...options });
}

/** The publication jobs (lib/jobs/publication.ts): a class or a slot sent to Wellhub. */
export const PUBLISH_JOBS = ['publishClass', 'publishSlot'] as const;
export type PublishJob = (typeof PUBLISH_JOBS)[number];

/** `PublishLag` (Milliseconds) by {service, job}: from the gym's change to Wellhub accepting it. */
export function publishLagMetric(job: PublishJob, options: MetricOptions = {}): Metric {
  return appMetric('PublishLag', { job }, { statistic: Stats.p(99), ...options });
}

/** `PublicationsFailed` (Count) by {service, job}: a publication given up on (sync state `failed`). */
export function publicationsFailedMetric(job: PublishJob, options: MetricOptions = {}): Metric {
  return appMetric('PublicationsFailed', { job }, { statistic: Stats.SUM, ...options });
}

/** `PublicationsOverdue` (Count) by {service}: a gauge, each sweep: changes not at Wellhub 5 minutes on. */
export function publicationsOverdueMetric(options: MetricOptions = {}): Metric {
  return appMetric('PublicationsOverdue', {}, { statistic: Stats.MAXIMUM, ...options });
}

/** `ReconcileRepairs` (Count) by {service}, each reconcile: slots re-created or re-sent to Wellhub. */
export function reconcileRepairsMetric(options: MetricOptions = {}): Metric {
  return appMetric('ReconcileRepairs', {}, { statistic: Stats.SUM, ...options });
}

/** `DriftSlots` (Count) by {service}, each reconcile: slots at Wellhub it could not match (`ops drift`). */
export function driftSlotsMetric(options: MetricOptions = {}): Metric {
  return appMetric('DriftSlots', {}, { statistic: Stats.MAXIMUM, ...options });
}

/** `ReconcileUnreadableGyms` (Count) by {service}, each reconcile: gyms Wellhub did not list slots for. */
export function reconcileUnreadableGymsMetric(options: MetricOptions = {}): Metric {
  return appMetric('ReconcileUnreadableGyms', {}, { statistic: Stats.MAXIMUM, ...options });
}

/**
 * The gym's decisions on booking requests (lib/jobs/answer-booking.ts, CONTRACT §11), as the
 * `AnswersDecided` dimensions: `RESERVED` takes a seat, `REJECTED` has the category of the rule that
 * refused it, `NONE` is rule 1 (the member canceled first; nothing is sent).
 */
export const ANSWER_DECISIONS = [
  { status: 'RESERVED', category: 'RESERVED' },
  ...(
    [
      'CLASS_NOT_FOUND',
      'CLASS_HAS_BEEN_CANCELED',
      'CHECK_IN_AND_CANCELATION_WINDOWS_CLOSED',
      'USER_IS_ALREADY_BOOKED',
      'CLASS_IS_FULL',
    ] as const satisfies readonly ReasonCategory[]
  ).map((category) => ({ status: 'REJECTED' as const, category })),
  { status: 'NONE', category: 'NONE' },
] as const satisfies readonly { status: BookingAnswer['status']; category: string }[];

/** What Wellhub is told: the answer's status, or the gym's cancellation (Wellhub's spelling). */
export const DELIVERED_STATUSES = ['RESERVED', 'REJECTED', 'CANCELLED_BY_GYM'] as const satisfies readonly (
  | Exclude<BookingAnswer['status'], 'NONE'>
  | 'CANCELLED_BY_GYM'
)[];
export type DeliveredStatus = (typeof DELIVERED_STATUSES)[number];

/** The messages a booking owes Wellhub, and how one ends without being delivered (`AnswersFailed`). */
export const ANSWER_MESSAGES = ['answer', 'gym_cancellation'] as const;
export type AnswerMessage = (typeof ANSWER_MESSAGES)[number];
export const ANSWER_FAILED_STATES = [
  'refused',
  'timed_out',
  'possibly_delivered',
] as const satisfies readonly DeliveryState[];
export type AnswerFailedState = (typeof ANSWER_FAILED_STATES)[number];

/** `AnswersDecided` (Count) by {service, status, category}: a decision written, before any call. */
export function answersDecidedMetric(status: string, category: string, options: MetricOptions = {}): Metric {
  return appMetric('AnswersDecided', { status, category }, { statistic: Stats.SUM, ...options });
}

/** `AnswersDelivered` (Count) by {service, status}: Wellhub accepted the message. */
export function answersDeliveredMetric(status: DeliveredStatus, options: MetricOptions = {}): Metric {
  return appMetric('AnswersDelivered', { status }, { statistic: Stats.SUM, ...options });
}

/** `AnswerLatency` (Milliseconds) by {service}: from the request's timestamp to its answer delivered. */
export function answerLatencyMetric(options: MetricOptions = {}): Metric {
  return appMetric('AnswerLatency', {}, { statistic: Stats.p(99), ...options });
}

/** `AnswersFailed` (Count) by {service, message, state}: a message given up on undelivered. */
export function answersFailedMetric(
  message: AnswerMessage,
  state: AnswerFailedState,
  options: MetricOptions = {},
): Metric {
  return appMetric('AnswersFailed', { message, state }, { statistic: Stats.SUM, ...options });
}

/** `AnswersTimedOut` (Count) by {service}: an answer's deadline passed undelivered (money lost). */
export function answersTimedOutMetric(options: MetricOptions = {}): Metric {
  return appMetric('AnswersTimedOut', {}, { statistic: Stats.SUM, ...options });
}

/** `BookingsUnanswered` (Count) by {service}: a gauge, each sweep: requests unanswered 5 minutes on. */
export function bookingsUnansweredMetric(options: MetricOptions = {}): Metric {
  return appMetric('BookingsUnanswered', {}, { statistic: Stats.MAXIMUM, ...options });
}

/** `ValidationsFailed` (Count) by {service}: check-ins Wellhub will not pay for (CONTRACT §12). */
export function validationsFailedMetric(options: MetricOptions = {}): Metric {
  return appMetric('ValidationsFailed', {}, { statistic: Stats.SUM, ...options });
}

/** `CheckinsUnvalidated` (Count) by {service}: a gauge, each sweep: check-ins pending 5 minutes on. */
export function checkinsUnvalidatedMetric(options: MetricOptions = {}): Metric {
  return appMetric('CheckinsUnvalidated', {}, { statistic: Stats.MAXIMUM, ...options });
}
