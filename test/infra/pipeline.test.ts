import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SERVICE_NAME as APP_SERVICE_NAME } from '#lib/log';
import { WORKER_FILTERS } from '#lib/pipeline/stream-filters';
import { LIST_INDEX, WORK_INDEX } from '#lib/store/table';
import { ENABLE_SOURCE_MAPS } from '../../infra/bundle';
import { createApp } from '../../infra/create-app';

/**
 * The pipeline after the answer (CONTRACT §9), as synthesized for dev: the table's stream and work
 * index, the worker on the stream with its dead-letter queue, the sweeper on its schedule, what each
 * may do, and what pages on-call when it goes wrong. The synth runs cdk-nag (webhook-stack.test.ts
 * checks the acknowledgements).
 */
const CDK_CONTEXT = JSON.parse(readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8')).context;

type Resource = { Type: string; Properties: Record<string, unknown>; [key: string]: unknown };

let work: string;
let resources: Record<string, Resource>;
let outputs: Record<string, { Value: unknown }>;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'wellhub-infra-pipeline-'));
  const { app, stack } = createApp({
    context: { ...CDK_CONTEXT, stage: 'dev' },
    outdir: path.join(work, 'cdk.out'),
    bundle: { outRoot: path.join(work, 'dist') },
  });
  const json = app.synth().getStackByName(stack.stackName).template;
  resources = json.Resources;
  outputs = json.Outputs;
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function ofType(type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

function refOf(value: unknown): string {
  const ref = (value as { Ref?: string; 'Fn::GetAtt'?: [string, string] }) ?? {};
  const id = ref.Ref ?? ref['Fn::GetAtt']?.[0];
  if (!id) throw new Error(`not a reference: ${JSON.stringify(value)}`);
  return id;
}

function functionOf(name: string): [string, Resource] {
  return only(
    ofType('AWS::Lambda::Function').filter(
      ([, fn]) => fn.Properties.FunctionName === `wellhub-webhooks-dev-${name}`,
    ),
  );
}

const tableId = () => only(ofType('AWS::DynamoDB::Table'))[0];
const queueId = () => only(ofType('AWS::SQS::Queue'))[0];
const topicId = () => only(ofType('AWS::SNS::Topic'))[0];
const tokenSecretId = () =>
  only(
    ofType('AWS::SecretsManager::Secret').filter(
      ([, secret]) => secret.Properties.Name === 'wellhub-webhooks/dev/wellhub-api-token',
    ),
  )[0];
const tableArn = () => ({ 'Fn::GetAtt': [tableId(), 'Arn'] });
const sweepSchedule = () =>
  only(
    ofType('AWS::Scheduler::Schedule').filter(
      ([, schedule]) => schedule.Properties.Name === 'wellhub-webhooks-dev-sweep',
    ),
  );

/** The role's whole policy: one inline document, no attached or managed policy. */
function policyOf(roleId: string): { name: string; statements: unknown[] } {
  const role = resources[roleId] as Resource;
  expect(role.Type).toBe('AWS::IAM::Role');
  expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  const [policy] = role.Properties.Policies as {
    PolicyName: string;
    PolicyDocument: { Statement: unknown[] };
  }[];
  expect(role.Properties.Policies).toHaveLength(1);
  return { name: policy?.PolicyName ?? '', statements: policy?.PolicyDocument.Statement ?? [] };
}

const queryListIndex = () => ({
  Sid: 'QueryListIndex',
  Effect: 'Allow',
  Action: 'dynamodb:Query',
  Resource: { 'Fn::Join': ['', [tableArn(), `/index/${LIST_INDEX}`]] },
});

const readWellhubToken = () => ({
  Sid: 'ReadWellhubApiToken',
  Effect: 'Allow',
  Action: 'secretsmanager:GetSecretValue',
  Resource: { Ref: tokenSecretId() },
});

/** Seat holders are deleted with the seat they hold: SLOT# partitions only. */
const releaseSeats = () => ({
  Sid: 'ReleaseSeats',
  Effect: 'Allow',
  Action: 'dynamodb:DeleteItem',
  Resource: tableArn(),
  Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SLOT#*'] } },
});

const JOB_TABLE_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];

describe('Pipeline table', () => {
  it('streams new and old images of every write', () => {
    const [, table] = only(ofType('AWS::DynamoDB::Table'));
    expect(table.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it('has the sparse work index: work_queue and work_at, strings, all attributes projected', () => {
    const [, table] = only(ofType('AWS::DynamoDB::Table'));
    // The `list` index is the schedule's (schedule.test.ts).
    expect(table.Properties.GlobalSecondaryIndexes).toContainEqual({
      IndexName: WORK_INDEX,
      KeySchema: [
        { AttributeName: 'work_queue', KeyType: 'HASH' },
        { AttributeName: 'work_at', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });
    expect(table.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'work_queue', AttributeType: 'S' },
        { AttributeName: 'work_at', AttributeType: 'S' },
      ]),
    );
  });
});

describe('Pipeline worker', () => {
  it('reads the stream from its start, in batches, bounded so a bad record never blocks a shard', () => {
    const [, mapping] = only(ofType('AWS::Lambda::EventSourceMapping'));
    expect(mapping.Properties).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [tableId(), 'StreamArn'] },
      FunctionName: { Ref: functionOf('worker')[0] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 0,
      ParallelizationFactor: 2,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId(), 'Arn'] } } },
      FilterCriteria: { Filters: WORKER_FILTERS.map((pattern) => ({ Pattern: JSON.stringify(pattern) })) },
      Tags: expect.any(Array),
    });
  });

  it('sends what the stream gives up on to an encrypted, TLS-only queue kept 14 days, and outputs its URL', () => {
    const [id, queue] = only(ofType('AWS::SQS::Queue'));
    expect(queue.Properties).toMatchObject({
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
    expect(queue.Properties.RedrivePolicy).toBeUndefined();
    const [, policy] = only(ofType('AWS::SQS::QueuePolicy'));
    expect(policy.Properties.Queues).toEqual([{ Ref: id }]);
    expect((policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      {
        Action: 'sqs:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Resource: { 'Fn::GetAtt': [id, 'Arn'] },
      },
    ]);
    expect(outputs.DeadLetterQueueUrl?.Value).toEqual({ Ref: id });
  });
});

describe('Pipeline functions', () => {
  it.each([
    ['worker', 30],
    ['sweeper', 60],
  ])(
    'runs the %s like the webhooks (Node.js 24, arm64, own log group), with a %i s timeout',
    (name, timeout) => {
      const [, fn] = functionOf(name);
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 1024,
        Timeout: timeout,
      });
      expect(resources[refOf((fn.Properties.LoggingConfig as { LogGroup: unknown }).LogGroup)]?.Type).toBe(
        'AWS::Logs::LogGroup',
      );
      // Both publish the gym's schedule to Wellhub, so both know the horizon and where Wellhub is.
      expect((fn.Properties.Environment as { Variables: unknown }).Variables).toEqual({
        TABLE_NAME: { Ref: tableId() },
        SCHEDULE_HORIZON_DAYS: '14',
        WELLHUB_API_URL: 'https://apitesting.partners.gympass.com',
        WELLHUB_API_TOKEN_SECRET_ID: { Ref: tokenSecretId() },
        POWERTOOLS_SERVICE_NAME: APP_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: 'WellhubWebhooks',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...(ENABLE_SOURCE_MAPS ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
      });
    },
  );

  it('lets the worker do the jobs’ item actions, delete seat holders, query the list index, read its stream, send to its dead-letter queue and read the Wellhub token only', () => {
    const [, fn] = functionOf('worker');
    expect(policyOf(refOf(fn.Properties.Role))).toEqual({
      name: 'worker',
      statements: [
        {
          Sid: 'WriteOwnLogs',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: {
            'Fn::GetAtt': [refOf((fn.Properties.LoggingConfig as { LogGroup: unknown }).LogGroup), 'Arn'],
          },
        },
        { Sid: 'ReadWriteTable', Effect: 'Allow', Action: JOB_TABLE_ACTIONS, Resource: tableArn() },
        releaseSeats(),
        queryListIndex(),
        {
          Sid: 'ReadStream',
          Effect: 'Allow',
          Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          Resource: { 'Fn::GetAtt': [tableId(), 'StreamArn'] },
        },
        { Sid: 'ListStreams', Effect: 'Allow', Action: 'dynamodb:ListStreams', Resource: '*' },
        {
          Sid: 'SendToDeadLetterQueue',
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: { 'Fn::GetAtt': [queueId(), 'Arn'] },
        },
        readWellhubToken(),
      ],
    });
  });

  it('lets the sweeper query the work and list indexes, do the jobs’ item actions, delete seat holders and read the Wellhub token, nothing else', () => {
    const [, fn] = functionOf('sweeper');
    expect(policyOf(refOf(fn.Properties.Role))).toEqual({
      name: 'sweeper',
      statements: [
        {
          Sid: 'WriteOwnLogs',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: {
            'Fn::GetAtt': [refOf((fn.Properties.LoggingConfig as { LogGroup: unknown }).LogGroup), 'Arn'],
          },
        },
        {
          Sid: 'QueryWorkIndex',
          Effect: 'Allow',
          Action: 'dynamodb:Query',
          Resource: { 'Fn::Join': ['', [tableArn(), `/index/${WORK_INDEX}`]] },
        },
        { Sid: 'ReadWriteTable', Effect: 'Allow', Action: JOB_TABLE_ACTIONS, Resource: tableArn() },
        releaseSeats(),
        queryListIndex(),
        readWellhubToken(),
      ],
    });
  });
});

describe('Pipeline schedule', () => {
  it('invokes the sweeper every minute, never retrying a missed sweep', () => {
    const [, schedule] = sweepSchedule();
    expect(schedule.Properties).toMatchObject({
      Name: 'wellhub-webhooks-dev-sweep',
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { 'Fn::GetAtt': [functionOf('sweeper')[0], 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      },
    });
  });

  it('runs as a role only this schedule can assume, which may invoke the unqualified sweeper only', () => {
    const [, schedule] = sweepSchedule();
    const roleId = refOf((schedule.Properties.Target as { RoleArn: unknown }).RoleArn);
    const role = resources[roleId] as Resource;
    expect(role.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: {
              'aws:SourceAccount': { Ref: 'AWS::AccountId' },
              'aws:SourceArn': {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':scheduler:',
                    { Ref: 'AWS::Region' },
                    ':',
                    { Ref: 'AWS::AccountId' },
                    ':schedule/default/wellhub-webhooks-dev-sweep',
                  ],
                ],
              },
            },
          },
        },
      ],
    });
    expect(policyOf(roleId)).toEqual({
      name: 'scheduler',
      statements: [
        {
          Sid: 'InvokeSweeper',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: { 'Fn::GetAtt': [functionOf('sweeper')[0], 'Arn'] },
        },
      ],
    });
    // No resource policy on the sweeper: the role's permission is the only way in.
    const permissions = ofType('AWS::Lambda::Permission').filter(
      ([, p]) => refOf(p.Properties.FunctionName) === functionOf('sweeper')[0],
    );
    expect(permissions).toEqual([]);
  });
});

describe('Pipeline alarms', () => {
  const alarm = (name: string): Record<string, unknown> => {
    const found = ofType('AWS::CloudWatch::Alarm').find(
      ([, a]) => a.Properties.AlarmName === `wellhub-webhooks-dev-${name}`,
    );
    if (!found) throw new Error(`no alarm ${name}`);
    return found[1].Properties;
  };
  const service = [{ Name: 'service', Value: APP_SERVICE_NAME }];
  const notify = () => ({ AlarmActions: [{ Ref: topicId() }], OKActions: [{ Ref: topicId() }] });

  it('alarms on worker errors and on the stream falling a minute behind', () => {
    const worker = [{ Name: 'FunctionName', Value: { Ref: functionOf('worker')[0] } }];
    expect(alarm('worker-errors')).toMatchObject({
      ...notify(),
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: worker,
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
    });
    expect(alarm('worker-iterator-age')).toMatchObject({
      ...notify(),
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: worker,
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 60_000,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
    });
  });

  it('alarms on anything in the dead-letter queue', () => {
    expect(alarm('dead-letter-queue')).toMatchObject({
      ...notify(),
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId(), 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 1,
    });
  });

  it('alarms while any job is failed, from the sweeper’s gauge, keeping its state when no sweep reports', () => {
    expect(alarm('failed-jobs')).toMatchObject({
      ...notify(),
      Namespace: 'WellhubWebhooks',
      MetricName: 'FailedJobs',
      Dimensions: service,
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 1,
      TreatMissingData: 'ignore',
    });
  });

  it('alarms on repeated sweeper errors, and on work overdue (or no sweep at all) for five minutes', () => {
    expect(alarm('sweeper-errors')).toMatchObject({
      ...notify(),
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionOf('sweeper')[0] } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 2,
    });
    expect(alarm('work-overdue')).toMatchObject({
      ...notify(),
      Namespace: 'WellhubWebhooks',
      MetricName: 'OverdueJobs',
      Dimensions: service,
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      TreatMissingData: 'breaching',
    });
  });
});

describe('Pipeline dashboard', () => {
  it('shows the worker, iterator age, apply lag, failed and overdue jobs, the DLQ and the sweeper', () => {
    const [, dashboard] = only(ofType('AWS::CloudWatch::Dashboard'));
    const parts = (dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const body = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('')) as {
      widgets: { properties: { title?: string; metrics?: unknown[][] } }[];
    };
    const metricsOf = (title: string) =>
      body.widgets.find((w) => w.properties.title === title)?.properties.metrics ?? [];
    const names = (title: string) => metricsOf(title).map((line) => line.slice(0, 2).join(' '));
    expect(names('Worker invocations and errors')).toEqual(['AWS/Lambda Invocations', 'AWS/Lambda Errors']);
    expect(names('Stream iterator age (max, ms)')).toEqual(['AWS/Lambda IteratorAge']);
    expect(metricsOf('Apply lag, receipt to applied (ms)').map((line) => line.slice(0, 8))).toEqual(
      ['stream', 'stream', 'sweeper', 'sweeper'].map((via) => [
        'WellhubWebhooks',
        'ApplyLag',
        'job',
        'applyEvent',
        'service',
        APP_SERVICE_NAME,
        'via',
        via,
      ]),
    );
    expect(names('Failed and overdue jobs (each sweep)')).toEqual([
      'WellhubWebhooks FailedJobs',
      'WellhubWebhooks OverdueJobs',
      'WellhubWebhooks JobsFailed',
      'WellhubWebhooks JobAttemptsFailed',
    ]);
    expect(names('Dead-letter queue (messages)')).toEqual(['AWS/SQS ApproximateNumberOfMessagesVisible']);
    expect(names('Sweeper invocations and errors')).toEqual(['AWS/Lambda Invocations', 'AWS/Lambda Errors']);
  });
});

describe('Booking answer alarms', () => {
  const alarm = (name: string): Record<string, unknown> => {
    const found = ofType('AWS::CloudWatch::Alarm').find(
      ([, a]) => a.Properties.AlarmName === `wellhub-webhooks-dev-${name}`,
    );
    if (!found) throw new Error(`no alarm ${name}`);
    return found[1].Properties;
  };
  const service = { Name: 'service', Value: APP_SERVICE_NAME };
  const notify = () => ({
    AlarmActions: [{ Ref: topicId() }],
    OKActions: [{ Ref: topicId() }],
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  });

  it('pages at the first sweep that finds a request unanswered 5 minutes on, keeping its state when no sweep reports', () => {
    expect(alarm('booking-unanswered')).toMatchObject({
      ...notify(),
      Namespace: 'WellhubWebhooks',
      MetricName: 'BookingsUnanswered',
      Dimensions: [service],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'ignore',
      AlarmDescription: expect.stringContaining('Runbook: README, Operations, alarm "booking-unanswered"'),
    });
  });

  it('pages on any check-in validation failed (money lost), and on a check-in unvalidated 5 minutes on', () => {
    expect(alarm('validation-failed')).toMatchObject({
      ...notify(),
      Namespace: 'WellhubWebhooks',
      MetricName: 'ValidationsFailed',
      Dimensions: [service],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmDescription: expect.stringContaining('Runbook: README, Operations, alarm "validation-failed"'),
    });
    expect(alarm('checkin-unvalidated')).toMatchObject({
      ...notify(),
      Namespace: 'WellhubWebhooks',
      MetricName: 'CheckinsUnvalidated',
      Dimensions: [service],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'ignore',
    });
  });

  it('pages on any answer past its deadline (money lost)', () => {
    expect(alarm('answer-timeout')).toMatchObject({
      ...notify(),
      Namespace: 'WellhubWebhooks',
      MetricName: 'AnswersTimedOut',
      Dimensions: [service],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('pages on any answer or gym cancellation failed, summing every message and state AnswersFailed has', () => {
    const props = alarm('answer-failed');
    expect(props).toMatchObject({
      ...notify(),
      Threshold: 1,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(props.MetricName).toBeUndefined();
    const series = ['answer', 'gym_cancellation'].flatMap((message) =>
      ['refused', 'timed_out', 'possibly_delivered'].map((state) => ({
        id: `${message}_${state}`,
        message,
        state,
      })),
    );
    expect(props.Metrics).toEqual([
      {
        Id: 'expr_1',
        Expression: series.map(({ id }) => `FILL(${id}, 0)`).join(' + '),
        Label: 'answers failed',
        ReturnData: true,
      },
      ...series.map(({ id, message, state }) => ({
        Id: id,
        MetricStat: {
          Metric: {
            Namespace: 'WellhubWebhooks',
            MetricName: 'AnswersFailed',
            Dimensions: [{ Name: 'message', Value: message }, service, { Name: 'state', Value: state }],
          },
          Period: 300,
          Stat: 'Sum',
        },
        ReturnData: false,
      })),
    ]);
  });
});

describe('Booking answer dashboard and log queries', () => {
  type Widget = { type: string; width: number; properties: Record<string, unknown> };
  /** The dashboard's body, each token written as `{{<logical id>}}` so that references can be checked. */
  const widgets = (): Widget[] => {
    const [, dashboard] = only(ofType('AWS::CloudWatch::Dashboard'));
    const parts = (dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const text = parts
      .map((part) => {
        if (typeof part === 'string') return part;
        const ref = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
        return `{{${ref.Ref ?? ref['Fn::GetAtt']?.[0] ?? 'TOKEN'}}}`;
      })
      .join('');
    return (JSON.parse(text) as { widgets: Widget[] }).widgets;
  };
  const widget = (title: string): Widget => only(widgets().filter((w) => w.properties.title === title));
  const lines = (title: string) => (widget(title).properties.metrics ?? []) as unknown[][];
  const optionsOf = (line: unknown[]) => line.at(-1) as { stat?: string; label?: string; yAxis?: string };
  const logGroupOf = (name: string) =>
    refOf((functionOf(name)[1].Properties.LoggingConfig as { LogGroup: unknown }).LogGroup);

  it('shows answer latency p50 and p99, from the request’s timestamp to the answer delivered', () => {
    expect(
      lines('Answer latency, request to delivered (ms)').map((line) => [
        ...line.slice(0, 4),
        optionsOf(line).stat,
      ]),
    ).toEqual(
      ['p50', 'p99'].map((stat) => ['WellhubWebhooks', 'AnswerLatency', 'service', APP_SERVICE_NAME, stat]),
    );
  });

  it('shows the answers decided by status and category: every rule of the decision table', () => {
    const decided = [
      ['RESERVED', 'RESERVED'],
      ['REJECTED', 'CLASS_NOT_FOUND'],
      ['REJECTED', 'CLASS_HAS_BEEN_CANCELED'],
      ['REJECTED', 'CHECK_IN_AND_CANCELATION_WINDOWS_CLOSED'],
      ['REJECTED', 'USER_IS_ALREADY_BOOKED'],
      ['REJECTED', 'CLASS_IS_FULL'],
      ['NONE', 'NONE'],
    ];
    const widgetLines = lines('Answers decided (status, category)');
    expect(widgetLines.map((line) => [...line.slice(0, 8), optionsOf(line).stat])).toEqual(
      decided.map(([status, category]) => [
        'WellhubWebhooks',
        'AnswersDecided',
        'category',
        category,
        'service',
        APP_SERVICE_NAME,
        'status',
        status,
        'Sum',
      ]),
    );
    expect(widget('Answers decided (status, category)').properties.stacked).toBe(true);
  });

  it('shows the answers delivered by status, the gym’s cancellations included', () => {
    expect(lines('Answers delivered (status)').map((line) => line.slice(0, 6))).toEqual(
      ['RESERVED', 'REJECTED', 'CANCELLED_BY_GYM'].map((status) => [
        'WellhubWebhooks',
        'AnswersDelivered',
        'service',
        APP_SERVICE_NAME,
        'status',
        status,
      ]),
    );
  });

  it('shows failures by message and state, answers timed out, and the sweeper’s unanswered gauge', () => {
    const widgetLines = lines('Answers failed, timed out and unanswered');
    expect(widgetLines.map((line) => line.slice(0, 2).join(' '))).toEqual([
      ...Array(6).fill('WellhubWebhooks AnswersFailed'),
      'WellhubWebhooks AnswersTimedOut',
      'WellhubWebhooks BookingsUnanswered',
    ]);
    expect(widgetLines.slice(0, 6).map((line) => optionsOf(line).label)).toEqual([
      'answer refused',
      'answer timed_out',
      'answer possibly_delivered',
      'gym_cancellation refused',
      'gym_cancellation timed_out',
      'gym_cancellation possibly_delivered',
    ]);
    expect(optionsOf(widgetLines.at(-1) ?? [])).toMatchObject({ stat: 'Maximum', yAxis: 'right' });
  });

  it('tables the seats taken per slot from the job’s log lines, over the worker’s and the sweeper’s logs', () => {
    const seats = widget('Seats taken per slot');
    expect(seats.type).toBe('log');
    expect(seats.properties.view).toBe('table');
    expect(seats.properties.query).toBe(
      [
        `SOURCE '{{${logGroupOf('worker')}}}' | SOURCE '{{${logGroupOf('sweeper')}}}' | filter message = "seat taken"`,
        'stats max(seats_taken) as taken, max(seat_limit) as allowed by slot_reference',
        'sort taken desc',
        'limit 50',
      ].join('\n| '),
    );
  });

  it('puts the answers on a row of their own, between the pipeline and the schedule', () => {
    const titles = widgets().map((w) => w.properties.title);
    const at = (title: string) => titles.indexOf(title);
    expect(at('Sweeper invocations and errors')).toBeLessThan(
      at('Answer latency, request to delivered (ms)'),
    );
    expect(at('Seats taken per slot')).toBeLessThan(at('Publish lag, gym change to Wellhub (ms)'));
  });

  it('saves the booking-answers and seats-taken queries', () => {
    const queryText = (name: string) =>
      String(
        only(
          ofType('AWS::Logs::QueryDefinition').filter(
            ([, q]) => q.Properties.Name === `wellhub-webhooks-dev/${name}`,
          ),
        )[1].Properties.QueryString,
      );
    const answers = queryText('booking-answers');
    expect(answers).toContain('| filter message = "job" and job = "answerBooking"');
    for (const field of ['outcome', 'answer_status', 'reason_category', 'answer_state', 'booking_number']) {
      expect(answers).toMatch(new RegExp(`^fields .*\\b${field}\\b`));
    }
    expect(queryText('seats-taken')).toBe(
      'filter message = "seat taken"\n| stats max(seats_taken) as taken, max(seat_limit) as allowed by slot_reference\n| sort taken desc\n| limit 50',
    );
  });
});
