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

  it('lets the worker do the jobs’ item actions, query the list index, read its stream, send to its dead-letter queue and read the Wellhub token only', () => {
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

  it('lets the sweeper query the work and list indexes, do the jobs’ item actions and read the Wellhub token, nothing else', () => {
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
