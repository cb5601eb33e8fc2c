import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  ANSWER_FAILED_STATES,
  ANSWER_MESSAGES,
  answersFailedMetric,
  answersTimedOutMetric,
  bookingsUnansweredMetric,
  checkinsUnvalidatedMetric,
  failedJobsMetric,
  overdueJobsMetric,
  PUBLISH_JOBS,
  publicationsFailedMetric,
  publicationsOverdueMetric,
  quarantinedMetric,
  signatureRejectedMetric,
  validationsFailedMetric,
  wellhubAuthRefusedMetric,
  wellhubTokenMissingMetric,
} from './app-metrics';
import type { GymApi } from './gym-api';
import type { Pipeline } from './pipeline';
import { RECONCILE_RATE, type ScheduleSync } from './schedule-sync';
import { SERVICE_NAME } from './service-function';
import type { WebhookFunction } from './webhook-function';

/** p99 latency above this is close enough to Wellhub's 1 s budget to act on. */
export const LATENCY_P99_THRESHOLD_MS = 800;

/**
 * Wellhub signs every call, so the normal rate of 401s is zero. A few can be a scanner finding the
 * public URL; this many in five minutes means Wellhub's secret and ours disagree (a rotation gone
 * wrong) and real events are being refused.
 */
export const SIGNATURE_REJECTED_THRESHOLD = 5;

/** CONTRACT §15: the stream is meant to apply an event within a second; a minute behind is an incident. */
export const ITERATOR_AGE_THRESHOLD_MS = 60_000;

/**
 * Minutes in a row the sweeper must find work overdue before it pages. One overdue sweep is normal (an
 * event whose retry is due is the sweeper's to run); five in a row means nothing is getting done.
 */
export const OVERDUE_MINUTES = 5;

export interface OnCallAlarmsProps {
  readonly stage: string;
  readonly api: HttpApi;
  readonly functions: readonly WebhookFunction[];
  readonly pipeline: Pipeline;
  readonly gymApi: GymApi;
  readonly scheduleSync: ScheduleSync;
  readonly topic: ITopic;
}

/**
 * Everything on-call is paged for; the README ("Operations") says what each alarm means and what to
 * do. Missing data is "OK" (no traffic is not an incident) except for the sweeper's gauges, which it
 * reports every minute whatever the traffic.
 */
export class OnCallAlarms extends Construct {
  readonly alarms: Alarm[] = [];
  private readonly action: SnsAction;
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: OnCallAlarmsProps) {
    super(scope, id);
    this.action = new SnsAction(props.topic);
    this.prefix = `${SERVICE_NAME}-${props.stage}`;
    const fiveMinutes = Duration.minutes(5);

    this.add('Api5xx', {
      name: 'api-5xx',
      metric: props.api.metricServerError({ period: fiveMinutes, statistic: Stats.SUM }),
      threshold: 1,
      // Every 5xx is our own fault by contract (database or secret unavailable, a crash, a timeout);
      // Wellhub retries, but at this traffic even one is worth a look.
      description: 'The API answered 5xx: Wellhub will retry, but events are delayed until it is fixed.',
    });

    this.add('LatencyP99', {
      name: 'latency-p99',
      metric: props.api.metricLatency({ period: fiveMinutes, statistic: Stats.p(99) }),
      threshold: LATENCY_P99_THRESHOLD_MS,
      // Two of three windows: a lone cold start in a quiet window is not a trend.
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description: `p99 API latency is above ${LATENCY_P99_THRESHOLD_MS} ms: close to Wellhub's 1 s budget.`,
    });

    this.add('Quarantined', {
      name: 'quarantined',
      metric: quarantinedMetric({ period: fiveMinutes }),
      threshold: 1,
      description:
        'A signed event was refused with 400 and quarantined: inspect it and replay it once fixed.',
    });

    this.add('SignatureRejected', {
      name: 'signature-rejected',
      metric: signatureRejectedMetric({ period: fiveMinutes }),
      threshold: SIGNATURE_REJECTED_THRESHOLD,
      description:
        'Many requests failed the signature check: the secret at Wellhub and ours may disagree, or the URL is being probed.',
    });

    this.add('WellhubAuthRefused', {
      name: 'wellhub-auth-refused',
      metric: wellhubAuthRefusedMetric({ period: fiveMinutes }),
      threshold: 1,
      // Jobs keep retrying until their deadline, so bookings are not answered while this lasts.
      description:
        'Wellhub answered 401/403: our API token is wrong, revoked or not enabled for the gym; booking answers and validations wait.',
    });

    this.add('WellhubTokenMissing', {
      name: 'wellhub-token-missing',
      metric: wellhubTokenMissingMetric({ period: fiveMinutes }),
      threshold: 1,
      description:
        'A call to Wellhub failed closed: no API token is configured (the secret still holds its placeholder) or it cannot be read.',
    });

    for (const fn of props.functions) {
      const name = fn.route.functionName;
      this.add(`${fn.node.id}Errors`, {
        name: `${name}-errors`,
        metric: fn.function.metricErrors({ period: fiveMinutes, statistic: Stats.SUM }),
        threshold: 1,
        // Handlers answer every failure themselves (503), so an invocation error is a crash or a timeout.
        description: `The ${name} function crashed or timed out.`,
      });
      this.add(`${fn.node.id}Throttles`, {
        name: `${name}-throttles`,
        metric: fn.function.metricThrottles({ period: fiveMinutes, statistic: Stats.SUM }),
        threshold: 1,
        description: `The ${name} function was throttled: the account's Lambda concurrency is exhausted.`,
      });
    }

    this.addPipelineAlarms(props.pipeline);
    this.addAnswerAlarms();
    this.addScheduleAlarms(props.gymApi, props.scheduleSync);
  }

  private addPipelineAlarms({ worker, sweeper, deadLetterQueue }: Pipeline): void {
    const minute = Duration.minutes(1);
    const fiveMinutes = Duration.minutes(5);

    this.add('WorkerErrors', {
      name: 'worker-errors',
      metric: worker.function.metricErrors({ period: fiveMinutes, statistic: Stats.SUM }),
      threshold: 1,
      // Jobs record their own failures, so an invocation error is a crash, a timeout, or a record the
      // worker could not even mark as failed: Lambda retries the batch and the stream falls behind.
      description:
        'The stream worker crashed, timed out or could not record a failed job: events are applied late until it is fixed (the sweeper keeps re-driving them).',
    });

    this.add('WorkerIteratorAge', {
      name: 'worker-iterator-age',
      metric: worker.function.metric('IteratorAge', { period: minute, statistic: Stats.MAXIMUM }),
      threshold: ITERATOR_AGE_THRESHOLD_MS,
      evaluationPeriods: 2,
      // No batches means nothing is waiting (or the mapping stopped: work-overdue catches that).
      description:
        'The stream worker is over a minute behind the table for two minutes: webhooks are stored but not applied. Look at worker-errors and the worker log.',
    });

    this.add('DeadLetterQueue', {
      name: 'dead-letter-queue',
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: fiveMinutes,
        statistic: Stats.MAXIMUM,
      }),
      threshold: 1,
      // A gauge: it stays in ALARM until the messages are read and deleted.
      description:
        'The stream gave up on a batch of records after its retries: the sweeper re-drives the events, but the worker has a bug or an outage. Messages hold only shard and sequence numbers.',
    });

    // The FailedJobs gauge rather than the JobsFailed count: it stays in ALARM until on-call has dealt
    // with every failed job (`ops failures`, `ops retry`), instead of turning OK five minutes after the
    // failure whether or not anyone looked. No report keeps the last state: a sweeper that stopped
    // counting has not fixed anything (work-overdue pages for it).
    this.add('FailedJobs', {
      name: 'failed-jobs',
      metric: failedJobsMetric({ period: fiveMinutes }),
      threshold: 1,
      treatMissingData: TreatMissingData.IGNORE,
      description:
        'At least one event was given up on and is marked failed: its booking or check-in is not applied. Run `ops failures`, fix the cause, then `ops retry <id>`.',
    });

    this.add('SweeperErrors', {
      name: 'sweeper-errors',
      metric: sweeper.function.metricErrors({ period: fiveMinutes, statistic: Stats.SUM }),
      // A single failed sweep is redone a minute later; two in five minutes is not a blip.
      threshold: 2,
      description:
        'The sweeper failed twice in five minutes: events the stream missed and retries that are due are not being re-driven. Look at the sweeper log.',
    });

    this.add('WorkOverdue', {
      name: 'work-overdue',
      metric: overdueJobsMetric({ period: minute }),
      threshold: 1,
      evaluationPeriods: OVERDUE_MINUTES,
      // The sweeper reports every minute: five minutes without a report means the safety net itself
      // is down (schedule disabled, function failing to start), which is as bad as stuck work.
      treatMissingData: TreatMissingData.BREACHING,
      description: `Work has been overdue at every sweep for ${OVERDUE_MINUTES} minutes, or the sweeper has stopped reporting: the pipeline is stuck. Check worker-errors, sweeper-errors and \`ops failures\`.`,
    });
  }

  /** Booking requests answered within seconds, and every answer that ends undelivered (CONTRACT §11, §15). */
  private addAnswerAlarms(): void {
    const fiveMinutes = Duration.minutes(5);

    // The sweeper's gauge already waits 5 minutes after the request's timestamp, so one report pages
    // (10 minutes before Wellhub rejects it). Like publication-pending, silence keeps the last state:
    // a sweeper that stopped counting has answered nothing (work-overdue pages for the sweeper itself).
    this.add('BookingUnanswered', {
      name: 'booking-unanswered',
      metric: bookingsUnansweredMetric({ period: Duration.minutes(1) }),
      threshold: 1,
      treatMissingData: TreatMissingData.IGNORE,
      description:
        'A booking request is still without a delivered answer 5 minutes after its timestamp: Wellhub rejects it at 15 minutes. Look at the booking-answers query, wellhub-auth-refused and wellhub-token-missing.',
    });

    this.add('AnswerTimeout', {
      name: 'answer-timeout',
      metric: answersTimedOutMetric({ period: fiveMinutes }),
      threshold: 1,
      // Wellhub has rejected the booking by now: a member turned away and a class the gym is not paid for.
      description:
        'An answer was not delivered before its 15-minute deadline: the booking is rejected (rejected_by "wellhub_timeout") and its seat released. Money lost: find why in the booking-answers query.',
    });

    // Every (message, state) series AnswersFailed has, each filled with 0 so that one combination without
    // failures does not blank out the others. Alarms cannot use SEARCH, hence the explicit list.
    const failures = ANSWER_MESSAGES.flatMap((message) =>
      ANSWER_FAILED_STATES.map((state) => ({ id: `${message}_${state}`, message, state })),
    );
    this.add('AnswerFailed', {
      name: 'answer-failed',
      metric: new MathExpression({
        expression: failures.map(({ id }) => `FILL(${id}, 0)`).join(' + '),
        usingMetrics: Object.fromEntries(
          failures.map(({ id, message, state }) => [
            id,
            answersFailedMetric(message, state, { period: fiveMinutes }),
          ]),
        ),
        period: fiveMinutes,
        label: 'answers failed',
      }),
      threshold: 1,
      description:
        'An answer or a cancellation by the gym ended undelivered: refused by Wellhub, past its deadline, or possibly delivered (a retry refused after a lost reply; the seat is kept). `ops booking <n>` shows its calls; `ops failures` lists it.',
    });

    // Money lost: Wellhub pays for a visit only once the gym validated it (CONTRACT §12).
    this.add('ValidationFailed', {
      name: 'validation-failed',
      metric: validationsFailedMetric({ period: fiveMinutes }),
      threshold: 1,
      description:
        'A check-in could not be validated (expired, canceled, not found for 2 minutes, or Wellhub unreachable for its 20 minutes): the visit is not paid. `ops failures` lists it; `ops booking <n>` or `ops event <id>` shows each call.',
    });

    // Like booking-unanswered: a gauge the sweeper reports each minute, silence keeps the last state.
    this.add('CheckinUnvalidated', {
      name: 'checkin-unvalidated',
      metric: checkinsUnvalidatedMetric({ period: Duration.minutes(1) }),
      threshold: 1,
      treatMissingData: TreatMissingData.IGNORE,
      description:
        'A check-in is still not validated 5 minutes after it happened: Wellhub stops accepting it at 20. Look at the booking-answers query, wellhub-auth-refused and wellhub-token-missing.',
    });
  }

  /** The gym's schedule and its publication to Wellhub (CONTRACT §10, §15). */
  private addScheduleAlarms(gymApi: GymApi, { reconcile }: ScheduleSync): void {
    const minute = Duration.minutes(1);

    // Either job giving up pages: the sum of both series, each filled with 0 so that one job without
    // failures does not blank out the other's.
    this.add('PublicationFailed', {
      name: 'publication-failed',
      metric: new MathExpression({
        expression: PUBLISH_JOBS.map((job) => `FILL(${job}, 0)`).join(' + '),
        usingMetrics: Object.fromEntries(
          PUBLISH_JOBS.map((job) => [job, publicationsFailedMetric(job, { period: minute })]),
        ),
        period: minute,
        label: 'publications failed',
      }),
      threshold: 1,
      description:
        'A class or slot publication was given up on (sync state "failed"): Wellhub does not show the gym’s change. `ops failures` lists it with Wellhub’s error; fix the cause, then `ops retry class:<reference>` or `ops retry slot:<reference>`.',
    });

    // The sweeper's gauge already waits 5 minutes after the change, so one report pages. Like
    // failed-jobs, silence keeps the last state: a sweeper that stopped counting has published nothing
    // (work-overdue pages for the sweeper itself).
    this.add('PublicationPending', {
      name: 'publication-pending',
      metric: publicationsOverdueMetric({ period: minute }),
      threshold: 1,
      treatMissingData: TreatMissingData.IGNORE,
      description:
        'A class or slot the gym changed is still not at Wellhub 5 minutes later: members see an outdated schedule. Look at the worker and sweeper logs (publication jobs) and wellhub-auth-refused.',
    });

    this.add('GymApiErrors', {
      name: 'gym-api-errors',
      metric: gymApi.handler.function.metricErrors({ period: Duration.minutes(5), statistic: Stats.SUM }),
      threshold: 1,
      // The handler answers every failure itself (503), so an invocation error is a crash or a timeout.
      description: 'The gym-api function crashed or timed out: the gym’s system got a 5xx from API Gateway.',
    });

    // One run per 15-minute window (Lambda's retries are off for it): a single failed run is repaired
    // by the next one, two in a row leave Wellhub unchecked for half an hour.
    this.add('ReconcileErrors', {
      name: 'reconcile-errors',
      metric: reconcile.function.metricErrors({ period: RECONCILE_RATE, statistic: Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 2,
      description:
        'Reconcile failed twice in a row: drift between the gym’s schedule and Wellhub’s is not being repaired. Look at the reconcile log.',
    });
  }

  private add(
    id: string,
    spec: {
      name: string;
      metric: IMetric;
      threshold: number;
      description: string;
      evaluationPeriods?: number;
      datapointsToAlarm?: number;
      treatMissingData?: TreatMissingData;
    },
  ): void {
    const alarm = new Alarm(this, id, {
      alarmName: `${this.prefix}-${spec.name}`,
      alarmDescription: `${spec.description} Runbook: README, Operations, alarm "${spec.name}".`,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      datapointsToAlarm: spec.datapointsToAlarm ?? spec.evaluationPeriods ?? 1,
      treatMissingData: spec.treatMissingData ?? TreatMissingData.NOT_BREACHING,
    });
    // OK as well as ALARM: on-call learns from the same channel that the incident is over.
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
  }
}
