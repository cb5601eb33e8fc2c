import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AlarmStatusWidget,
  Color,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IWidget,
  LogQueryWidget,
  Stats,
} from 'aws-cdk-lib/aws-cloudwatch';
import { QueryString } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ITERATOR_AGE_THRESHOLD_MS, LATENCY_P99_THRESHOLD_MS } from './alarms';
import {
  ANSWER_DECISIONS,
  ANSWER_FAILED_STATES,
  ANSWER_MESSAGES,
  answerLatencyMetric,
  answersDecidedMetric,
  answersDeliveredMetric,
  answersFailedMetric,
  answersTimedOutMetric,
  applyLagMetric,
  bookingsUnansweredMetric,
  coldStartMetric,
  DELIVERED_STATUSES,
  type DeliveredStatus,
  driftSlotsMetric,
  failedJobsMetric,
  jobAttemptsFailedMetric,
  jobsFailedMetric,
  latencyMetric,
  OUTCOMES,
  type Outcome,
  overdueJobsMetric,
  PUBLISH_JOBS,
  publicationsFailedMetric,
  publicationsOverdueMetric,
  publishLagMetric,
  quarantinedMetric,
  reconcileRepairsMetric,
  reconcileUnreadableGymsMetric,
  requestsMetric,
  signatureRejectedMetric,
} from './app-metrics';
import type { GymApi } from './gym-api';
import { SEATS_TAKEN_QUERY } from './log-queries';
import type { Pipeline } from './pipeline';
import { RECONCILE_RATE, type ScheduleSync } from './schedule-sync';
import { SERVICE_NAME } from './service-function';
import type { WebhookFunction } from './webhook-function';

export interface WebhookDashboardProps {
  readonly stage: string;
  readonly api: HttpApi;
  readonly functions: readonly WebhookFunction[];
  readonly pipeline: Pipeline;
  readonly gymApi: GymApi;
  readonly scheduleSync: ScheduleSync;
  readonly alarms: readonly IAlarm[];
}

const OUTCOME_COLORS: Record<Outcome, string> = {
  accepted: Color.GREEN,
  duplicate: Color.BLUE,
  rejected_signature: Color.PURPLE,
  bad_request: Color.ORANGE,
  payload_too_large: Color.BROWN,
  error: Color.RED,
};

const DELIVERED_COLORS: Record<DeliveredStatus, string> = {
  RESERVED: Color.GREEN,
  REJECTED: Color.ORANGE,
  CANCELLED_BY_GYM: Color.PURPLE,
};

const WIDTH = 8;
const HEIGHT = 6;

/**
 * The on-call view, top to bottom: alarm states; traffic, latency against the 1 s budget, security
 * signals; what happened to each event type; per-function health (cold starts, duration, errors);
 * then the pipeline after the answer (stream worker, dead letters, failed and overdue work, sweeper);
 * then the answers to booking requests (latency, decisions, deliveries, failures, seats per slot);
 * then the gym's schedule (publication lag and failures, reconcile, the gym API).
 */
export class WebhookDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: WebhookDashboardProps) {
    super(scope, id);
    const { api, functions } = props;
    const graph = (title: string, extra: Partial<ConstructorParameters<typeof GraphWidget>[0]>) =>
      new GraphWidget({ title, width: WIDTH, height: HEIGHT, ...extra });

    const overview: IWidget[] = [
      graph('Requests (API)', {
        left: [
          api.metricCount({ statistic: Stats.SUM, label: 'requests' }),
          api.metricClientError({ statistic: Stats.SUM, label: '4xx', color: Color.ORANGE }),
          api.metricServerError({ statistic: Stats.SUM, label: '5xx', color: Color.RED }),
        ],
      }),
      graph('Latency (API, ms)', {
        left: [
          api.metricLatency({ statistic: Stats.p(50), label: 'p50' }),
          api.metricLatency({ statistic: Stats.p(99), label: 'p99' }),
          api.metricIntegrationLatency({ statistic: Stats.p(99), label: 'integration p99' }),
        ],
        leftAnnotations: [
          { value: LATENCY_P99_THRESHOLD_MS, label: 'alarm', color: Color.ORANGE },
          { value: 1000, label: "Wellhub's budget", color: Color.RED },
        ],
      }),
      graph('Signature failures and quarantined events', {
        left: [
          signatureRejectedMetric({ label: 'signature rejected (401)', color: Color.PURPLE }),
          quarantinedMetric({ label: 'quarantined (400)', color: Color.ORANGE }),
        ],
      }),
    ];

    const outcomes: IWidget[] = functions.map((fn) =>
      graph(`Outcomes: ${fn.route.eventType}`, {
        stacked: true,
        left: OUTCOMES.map((outcome) =>
          requestsMetric(fn.route.eventType, outcome, { color: OUTCOME_COLORS[outcome] }),
        ),
      }),
    );

    const perFunction: IWidget[] = [
      graph('Cold starts', {
        // The handlers name the route's function (booking-requested, ...), not the Lambda, in this dimension.
        left: functions.map((fn) => coldStartMetric(fn.route.functionName, { label: fn.route.functionName })),
      }),
      graph('Handler latency p99, accepted (ms)', {
        left: functions.map((fn) =>
          latencyMetric(fn.route.eventType, 'accepted', { label: fn.route.eventType }),
        ),
        leftAnnotations: [{ value: LATENCY_P99_THRESHOLD_MS, label: 'alarm', color: Color.ORANGE }],
      }),
      graph('Lambda duration p99 (ms)', {
        left: functions.map((fn) =>
          fn.function.metricDuration({ statistic: Stats.p(99), label: fn.route.functionName }),
        ),
      }),
      graph('Lambda errors and throttles', {
        left: functions.flatMap((fn) => [
          fn.function.metricErrors({ statistic: Stats.SUM, label: `${fn.route.functionName} errors` }),
          fn.function.metricThrottles({ statistic: Stats.SUM, label: `${fn.route.functionName} throttles` }),
        ]),
      }),
    ];

    const { worker, sweeper, deadLetterQueue } = props.pipeline;
    const pipeline: IWidget[] = [
      graph('Worker invocations and errors', {
        left: [
          worker.function.metricInvocations({ statistic: Stats.SUM, label: 'invocations' }),
          worker.function.metricErrors({ statistic: Stats.SUM, label: 'errors', color: Color.RED }),
        ],
      }),
      graph('Stream iterator age (max, ms)', {
        left: [worker.function.metric('IteratorAge', { statistic: Stats.MAXIMUM, label: 'iterator age' })],
        leftAnnotations: [{ value: ITERATOR_AGE_THRESHOLD_MS, label: 'alarm', color: Color.ORANGE }],
      }),
      graph('Apply lag, receipt to applied (ms)', {
        left: [
          applyLagMetric('stream', { statistic: Stats.p(50), label: 'stream p50' }),
          applyLagMetric('stream', { statistic: Stats.p(99), label: 'stream p99' }),
          applyLagMetric('sweeper', { statistic: Stats.p(50), label: 'sweeper p50' }),
          applyLagMetric('sweeper', { statistic: Stats.p(99), label: 'sweeper p99' }),
        ],
        leftAnnotations: [{ value: 1000, label: 'target', color: Color.GREEN }],
      }),
      graph('Failed and overdue jobs (each sweep)', {
        left: [
          failedJobsMetric({ label: 'failed now', color: Color.RED }),
          overdueJobsMetric({ label: 'overdue', color: Color.ORANGE }),
        ],
        right: [
          jobsFailedMetric({ label: 'given up', color: Color.PURPLE }),
          jobAttemptsFailedMetric({ label: 'attempts failed', color: Color.BROWN }),
        ],
      }),
      graph('Dead-letter queue (messages)', {
        left: [
          deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            statistic: Stats.MAXIMUM,
            label: 'visible',
            color: Color.RED,
          }),
        ],
      }),
      graph('Sweeper invocations and errors', {
        left: [
          sweeper.function.metricInvocations({ statistic: Stats.SUM, label: 'invocations' }),
          sweeper.function.metricErrors({ statistic: Stats.SUM, label: 'errors', color: Color.RED }),
        ],
      }),
    ];

    // CONTRACT §11: each request decided and answered within seconds, Wellhub's deadline 15 minutes on.
    const answers: IWidget[] = [
      graph('Answer latency, request to delivered (ms)', {
        left: [
          answerLatencyMetric({ statistic: Stats.p(50), label: 'p50' }),
          answerLatencyMetric({ statistic: Stats.p(99), label: 'p99' }),
        ],
      }),
      graph('Answers decided (status, category)', {
        stacked: true,
        left: ANSWER_DECISIONS.map(({ status, category }) =>
          answersDecidedMetric(status, category, {
            label: status === 'REJECTED' ? `${status} ${category}` : status,
          }),
        ),
      }),
      graph('Answers delivered (status)', {
        stacked: true,
        left: DELIVERED_STATUSES.map((status) =>
          answersDeliveredMetric(status, { label: status, color: DELIVERED_COLORS[status] }),
        ),
      }),
      graph('Answers failed, timed out and unanswered', {
        left: [
          ...ANSWER_MESSAGES.flatMap((message) =>
            ANSWER_FAILED_STATES.map((state) =>
              answersFailedMetric(message, state, { label: `${message} ${state}` }),
            ),
          ),
          answersTimedOutMetric({ label: 'answers timed out', color: Color.RED }),
        ],
        right: [
          bookingsUnansweredMetric({ label: 'unanswered after 5 min (each sweep)', color: Color.ORANGE }),
        ],
      }),
      // Which slots fill up, from the job's `seat taken` lines (the figures as each seat was taken).
      new LogQueryWidget({
        title: 'Seats taken per slot',
        width: 2 * WIDTH,
        height: HEIGHT,
        logGroupNames: [worker.logGroup.logGroupName, sweeper.logGroup.logGroupName],
        queryString: new QueryString(SEATS_TAKEN_QUERY).toString(),
      }),
    ];

    const { reconcile } = props.scheduleSync;
    const gymApi = props.gymApi.handler.function;
    const schedule: IWidget[] = [
      graph('Publish lag, gym change to Wellhub (ms)', {
        left: PUBLISH_JOBS.flatMap((job) => [
          publishLagMetric(job, { statistic: Stats.p(50), label: `${job} p50` }),
          publishLagMetric(job, { statistic: Stats.p(99), label: `${job} p99` }),
        ]),
      }),
      graph('Publications failed and overdue', {
        left: [
          publicationsFailedMetric('publishClass', { label: 'class failed', color: Color.RED }),
          publicationsFailedMetric('publishSlot', { label: 'slot failed', color: Color.PURPLE }),
          publicationsOverdueMetric({ label: 'overdue (each sweep)', color: Color.ORANGE }),
        ],
      }),
      // One point per run: a period of the schedule's rate shows each run's figures as they were.
      graph('Reconcile (each run)', {
        left: [
          reconcileRepairsMetric({ period: RECONCILE_RATE, label: 'repairs', color: Color.GREEN }),
          driftSlotsMetric({ period: RECONCILE_RATE, label: 'drift slots', color: Color.ORANGE }),
          reconcileUnreadableGymsMetric({
            period: RECONCILE_RATE,
            label: 'unreadable gyms',
            color: Color.RED,
          }),
        ],
      }),
      graph('Reconcile invocations and errors', {
        left: [
          reconcile.function.metricInvocations({
            period: RECONCILE_RATE,
            statistic: Stats.SUM,
            label: 'invocations',
          }),
          reconcile.function.metricErrors({
            period: RECONCILE_RATE,
            statistic: Stats.SUM,
            label: 'errors',
            color: Color.RED,
          }),
        ],
      }),
      graph('Gym API function', {
        left: [
          gymApi.metricInvocations({ statistic: Stats.SUM, label: 'invocations' }),
          gymApi.metricErrors({ statistic: Stats.SUM, label: 'errors', color: Color.RED }),
        ],
        right: [gymApi.metricDuration({ statistic: Stats.p(99), label: 'duration p99 (ms)' })],
      }),
    ];

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${SERVICE_NAME}-${props.stage}`,
      defaultInterval: Duration.days(1),
      widgets: [
        [new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 4 })],
        overview,
        outcomes,
        perFunction,
        pipeline,
        answers,
        schedule,
      ],
    });
  }
}
