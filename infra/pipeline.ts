import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable, Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WORKER_FILTERS } from '#lib/pipeline/stream-filters';
import { keys, LIST_INDEX, WORK_INDEX } from '#lib/store/table';
import type { BundleOptions } from './bundle';
import { invokeOnSchedule } from './scheduled-invoke';
import { queryIndexStatement, SERVICE_NAME, ServiceFunction } from './service-function';
import type { WellhubApiAccess } from './wellhub-api-access';

/**
 * How the stream drives the worker (CONTRACT §9). Jobs record their own failures and return, so a
 * record reaches Lambda's retries only when even that failed: bisecting isolates it, five retries and
 * one hour bound how long it can hold its shard (Lambda's defaults are 10 000 retries and 24 h), and
 * then it goes to the dead-letter queue while the sweeper re-drives its event from the table.
 */
export const STREAM = {
  batchSize: 100,
  // Webhook → applied within a second: a batch starts as soon as a record arrives.
  maxBatchingWindow: Duration.seconds(0),
  retryAttempts: 5,
  maxRecordAge: Duration.hours(1),
  // A slow or retried batch holds up only its share of a shard; jobs re-check state, so order across
  // items does not matter.
  parallelizationFactor: 2,
} as const;

/** Jobs have seconds, not Wellhub's 1 s: a batch of 100 at 3 s per database call fits with room. */
export const WORKER_TIMEOUT = Duration.seconds(30);
/** The sweep runs every minute: it must be done, or given up, before the next one starts. */
export const SWEEPER_TIMEOUT = Duration.seconds(60);
/** The same CPU as the webhooks: jobs do the same JSON and DynamoDB work, in batches. */
export const JOB_MEMORY_MB = 1024;
export const SWEEP_RATE = Duration.minutes(1);
/**
 * Wellhub's booking horizon: slots starting later are published as it reaches them (CONTRACT §10).
 * lib/config.ts has the same default; set explicitly so that it shows in the console.
 */
export const SCHEDULE_HORIZON_DAYS = 14;

/** Item actions of the jobs; TransactWriteItems is authorised per item action it contains. */
const JOB_TABLE_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];

/**
 * A seat given back deletes the member's seat holder (`SLOT#<reference>` / `MEMBER#<wellhub id>`) in the
 * transaction that releases it (lib/store/booking-writes.ts). Deleting reaches SLOT# partitions only,
 * never a booking or an event; IAM cannot tell a sort key apart, so the slot item itself is in reach too.
 */
export function releaseSeatsStatement(table: { readonly tableArn: string }): PolicyStatement {
  return new PolicyStatement({
    sid: 'ReleaseSeats',
    actions: ['dynamodb:DeleteItem'],
    resources: [table.tableArn],
    conditions: {
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [keys.seatHolder('*', '*').pk] },
    },
  });
}

export interface PipelineProps {
  readonly stage: string;
  readonly table: Table;
  /** The worker and the sweeper publish the gym's schedule to Wellhub. */
  readonly wellhub: WellhubApiAccess;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly bundle?: BundleOptions;
}

/** Everything after the answer: the stream worker, its dead-letter queue, and the minute sweeper. */
export class Pipeline extends Construct {
  readonly worker: ServiceFunction;
  readonly sweeper: ServiceFunction;
  readonly deadLetterQueue: Queue;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: PipelineProps) {
    super(scope, id);
    const { table, stage } = props;
    const streamArn = table.tableStreamArn;
    if (streamArn === undefined) throw new Error('the pipeline needs the table’s stream');
    const common = {
      stage,
      tableName: table.tableName,
      environment: { SCHEDULE_HORIZON_DAYS: String(SCHEDULE_HORIZON_DAYS) },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      ...(props.bundle ? { bundle: props.bundle } : {}),
    };
    const tableItems = new PolicyStatement({
      sid: 'ReadWriteTable',
      actions: JOB_TABLE_ACTIONS,
      resources: [table.tableArn],
    });
    // Publication jobs read a gym's slots and a slot's bookings from the list index.
    const queryList = queryIndexStatement('QueryListIndex', table, LIST_INDEX);
    // The answer job, a member's cancellation and a canceled slot each give seats back.
    const releaseSeats = releaseSeatsStatement(table);

    // Fourteen days (the maximum) although stream records live 24 h: a message still says which
    // shard and sequence failed, and when, long after the record itself is gone.
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue: the on-failure destination of the worker’s stream event source mapping, which cdk-nag does not recognise (it only looks at queue redrive policies and Lambda async DLQs).',
    });

    this.worker = new ServiceFunction(this, 'Worker', {
      ...common,
      name: 'worker',
      description: 'Applies stored Wellhub events from the table’s stream',
      memorySize: JOB_MEMORY_MB,
      timeout: WORKER_TIMEOUT,
      policyName: 'worker',
      statements: [
        tableItems,
        releaseSeats,
        queryList,
        // What the event source mapping itself calls (AWSLambdaDynamoDBExecutionRole, narrowed).
        new PolicyStatement({
          sid: 'ReadStream',
          actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          resources: [streamArn],
        }),
        new PolicyStatement({
          sid: 'ListStreams',
          actions: ['dynamodb:ListStreams'],
          resources: ['*'],
        }),
        new PolicyStatement({
          sid: 'SendToDeadLetterQueue',
          actions: ['sqs:SendMessage'],
          resources: [this.deadLetterQueue.queueArn],
        }),
      ],
    });
    Validations.of(this.worker.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only dynamodb:ListStreams is on "*", as in AWSLambdaDynamoDBExecutionRole: Lambda lists streams to manage the event source mapping, and the action lists stream ARNs without reading any data. Reading records is allowed on this table’s stream only.',
    });
    this.worker.function.addEventSource(
      // A cast CDK's own types need under exactOptionalPropertyTypes: Table declares its stream ARN
      // `string | undefined`, ITable as optional; the ARN was checked above.
      new DynamoEventSource(table as ITable, {
        ...STREAM,
        startingPosition: StartingPosition.TRIM_HORIZON,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.deadLetterQueue),
        // The same patterns the local poller matches (lib/pipeline/stream-filters.ts).
        filters: WORKER_FILTERS.map((pattern) => FilterCriteria.filter(pattern)),
      }),
    );

    this.sweeper = new ServiceFunction(this, 'Sweeper', {
      ...common,
      name: 'sweeper',
      description: 'Every minute: re-drives pipeline work that is due and not done',
      memorySize: JOB_MEMORY_MB,
      timeout: SWEEPER_TIMEOUT,
      policyName: 'sweeper',
      statements: [
        queryIndexStatement('QueryWorkIndex', table, WORK_INDEX),
        tableItems,
        releaseSeats,
        queryList,
      ],
    });
    props.wellhub.grantWellhubToken(this.worker);
    props.wellhub.grantWellhubToken(this.sweeper);

    this.schedule = invokeOnSchedule(this, {
      id: 'Sweep',
      roleId: 'SchedulerRole',
      scheduleName: `${SERVICE_NAME}-${stage}-sweep`,
      description: 'Runs the sweeper every minute (CONTRACT §9)',
      rate: SWEEP_RATE,
      target: this.sweeper.function,
      targetLabel: `the ${stage} sweeper`,
      invokeSid: 'InvokeSweeper',
    });
  }
}
