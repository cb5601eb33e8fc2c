import { type ILogGroup, QueryDefinition, QueryString, type QueryStringProps } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SERVICE_NAME } from './service-function';

/**
 * How full each slot got, from the answer job's `seat taken` lines (lib/jobs/answer-booking.ts): the
 * most seats taken and the most allowed as each seat was taken. `allowed` rather than `limit`, a
 * command name in the query language. Saved, and shown on the dashboard over the worker and the sweeper.
 */
export const SEATS_TAKEN_QUERY: QueryStringProps = {
  filterStatements: ['message = "seat taken"'],
  statsStatements: ['max(seats_taken) as taken, max(seat_limit) as allowed by slot_reference'],
  sort: 'taken desc',
  limit: 50,
};

/**
 * The Logs Insights queries on-call starts from, saved in the console next to the function log
 * groups (the webhooks', the worker's, the sweeper's, the gym API's and reconcile's). They read the one
 * JSON line each request logs (CONTRACT §8, lib/http/webhook.ts) and the one line each job or run
 * logs; the README's "Operations" section shows the same queries.
 */
export const LOG_QUERIES: Readonly<Record<string, QueryStringProps>> = {
  // Everything that happened to one event or one booking, in order. Replace both placeholders.
  'event-story': {
    fields: [
      '@timestamp',
      'route',
      'event_type',
      'outcome',
      'status',
      'booking_status',
      'conflict',
      'event_id',
      'booking_number',
      'gym_id',
      'latency_ms',
      'request_id',
    ],
    filterStatements: ['event_id = "EVENT_ID" or booking_number = "BOOKING_NUMBER"'],
    sort: '@timestamp asc',
  },
  // Who fails the signature check, where, and since when.
  'signature-failures': {
    filterStatements: ['outcome = "rejected_signature"'],
    statsStatements: [
      'count(*) as failures, earliest(@timestamp) as first, latest(@timestamp) as last by route, source_ip',
    ],
  },
  // Handler errors, plus what only the Lambda platform logs (timeouts, crashes during init).
  errors: {
    fields: [
      '@timestamp',
      'route',
      'event_type',
      'event_id',
      'error_code',
      'error',
      'cause',
      'request_id',
      '@message',
    ],
    filterStatements: ['outcome = "error" or level = "ERROR" or @message like /Task timed out|Runtime\\./'],
    sort: '@timestamp desc',
    limit: 100,
  },
  'slowest-requests': {
    fields: ['@timestamp', 'route', 'event_type', 'outcome', 'latency_ms', 'cold_start', 'request_id'],
    filterStatements: ['ispresent(latency_ms)'],
    sort: 'latency_ms desc',
    limit: 25,
  },
  // Signed requests refused with 400: what was wrong, and the quarantine record to replay.
  quarantined: {
    fields: ['@timestamp', 'route', 'event_type', 'error_code', 'error', 'quarantine_id', 'request_id'],
    filterStatements: ['ispresent(quarantine_id)'],
    sort: '@timestamp desc',
    limit: 100,
  },
  // What the worker, the sweeper and `ops retry` did with each event after the answer (lib/jobs/router.ts).
  // Add `| filter booking_number = "…"` for one booking's story, or `outcome = "failed"` for what paged.
  jobs: {
    fields: [
      '@timestamp',
      'job',
      'via',
      'outcome',
      'event_type',
      'event_key',
      'booking_number',
      'attempts',
      'retry_at',
      'lag_ms',
      'error',
    ],
    filterStatements: ['message = "job"'],
    sort: '@timestamp desc',
    limit: 200,
  },
  // The gym's classes and slots on their way to Wellhub (lib/jobs/publish-*.ts): the plan each attempt
  // made and how it ended. Add `| filter slot_reference = "…"` for one slot's story.
  publications: {
    fields: [
      '@timestamp',
      'job',
      'via',
      'outcome',
      'plan',
      'gym_id',
      'class_reference',
      'slot_reference',
      'attempts',
      'lag_ms',
      'error',
    ],
    filterStatements: ['message = "job" and job in ["publishClass", "publishSlot"]'],
    sort: '@timestamp desc',
    limit: 200,
  },
  // The answers to booking requests (lib/jobs/answer-booking.ts, CONTRACT §11): each run of the job with
  // the decision and how far its delivery got. Add `| filter booking_number = "…"` for one booking's story,
  // or `answer_state in ["refused", "timed_out", "possibly_delivered"]` for what paged.
  'booking-answers': {
    fields: [
      '@timestamp',
      'via',
      'outcome',
      'booking_number',
      'gym_id',
      'answer_status',
      'reason_category',
      'answer_state',
      'answer_attempts',
      'gym_cancellation_state',
      'booking_status',
      'retry_at',
      'latency_ms',
      'error',
    ],
    filterStatements: ['message = "job" and job = "answerBooking"'],
    sort: '@timestamp desc',
    limit: 200,
  },
  'seats-taken': SEATS_TAKEN_QUERY,
  // What each reconcile run checked and repaired (lib/jobs/reconcile.ts), with a line for each gym whose
  // slots Wellhub would not list (`error` says why).
  'reconcile-runs': {
    fields: [
      '@timestamp',
      'message',
      'gyms',
      'slots_checked',
      'recreated',
      'resent',
      'strangers',
      'gym_id',
      'class_reference',
      'error',
      'latency_ms',
    ],
    filterStatements: ['message in ["reconcile", "reconcile could not read slots"]'],
    sort: '@timestamp desc',
    limit: 100,
  },
};

export interface LogQueriesProps {
  readonly stage: string;
  readonly logGroups: readonly ILogGroup[];
}

export class LogQueries extends Construct {
  constructor(scope: Construct, id: string, props: LogQueriesProps) {
    super(scope, id);
    for (const [name, query] of Object.entries(LOG_QUERIES)) {
      new QueryDefinition(this, name, {
        // A slash makes a folder in the console: one folder per stage.
        queryDefinitionName: `${SERVICE_NAME}-${props.stage}/${name}`,
        queryString: new QueryString(query),
        logGroups: [...props.logGroups],
      });
    }
  }
}
