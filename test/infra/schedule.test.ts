import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SERVICE_NAME as APP_SERVICE_NAME } from '#lib/log';
import { LIST_INDEX, WORK_INDEX } from '#lib/store/table';
import { ROUTES } from '#lib/wellhub/routes';
import { ENABLE_SOURCE_MAPS } from '../../infra/bundle';
import { createApp } from '../../infra/create-app';
import { LOG_QUERIES } from '../../infra/log-queries';

/**
 * The gym's schedule (CONTRACT §10, §14, §15), as synthesized for dev: the `list` index, the gym API
 * behind IAM-authorized routes, reconcile on its 15-minute schedule, the publication jobs' access in
 * the worker and the sweeper, and what pages on-call. The synth runs cdk-nag (webhook-stack.test.ts
 * checks the acknowledgements: the gym API needs none).
 */
const CDK_CONTEXT = JSON.parse(readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8')).context;

type Resource = { Type: string; Properties: Record<string, unknown>; [key: string]: unknown };

let work: string;
let resources: Record<string, Resource>;
let outputs: Record<string, { Value: unknown }>;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'wellhub-infra-schedule-'));
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

const policyOfFunction = (name: string) => policyOf(refOf(functionOf(name)[1].Properties.Role));
const logGroupArnOf = (name: string) => ({
  'Fn::GetAtt': [
    refOf((functionOf(name)[1].Properties.LoggingConfig as { LogGroup: unknown }).LogGroup),
    'Arn',
  ],
});

const tableId = () => only(ofType('AWS::DynamoDB::Table'))[0];
const tableArn = () => ({ 'Fn::GetAtt': [tableId(), 'Arn'] });
const topicId = () => only(ofType('AWS::SNS::Topic'))[0];
const apiId = () => only(ofType('AWS::ApiGatewayV2::Api'))[0];
const tokenSecretId = () =>
  only(
    ofType('AWS::SecretsManager::Secret').filter(
      ([, secret]) => secret.Properties.Name === 'wellhub-webhooks/dev/wellhub-api-token',
    ),
  )[0];

const writeOwnLogs = (name: string) => ({
  Sid: 'WriteOwnLogs',
  Effect: 'Allow',
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: logGroupArnOf(name),
});
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

const baseEnvironment = () => ({
  TABLE_NAME: { Ref: tableId() },
  POWERTOOLS_SERVICE_NAME: APP_SERVICE_NAME,
  POWERTOOLS_METRICS_NAMESPACE: 'WellhubWebhooks',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  ...(ENABLE_SOURCE_MAPS ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
});

/** CONTRACT §14, written out here rather than read from infra/gym-api.ts. */
const GYM_ROUTE_KEYS = [
  'PUT /gym/classes/{reference}',
  'GET /gym/classes/{reference}',
  'PUT /gym/slots/{reference}',
  'PATCH /gym/slots/{reference}',
  'GET /gym/slots/{reference}',
  'GET /gym/slots',
  'POST /gym/slots/{reference}/cancel',
  'GET /gym/bookings/{booking_number}',
  'POST /gym/bookings/{booking_number}/cancel',
];

describe('Schedule table', () => {
  it('adds the sparse list index next to the work index: list_pk and list_sk, strings, all attributes', () => {
    const [, table] = only(ofType('AWS::DynamoDB::Table'));
    expect(table.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: WORK_INDEX,
        KeySchema: [
          { AttributeName: 'work_queue', KeyType: 'HASH' },
          { AttributeName: 'work_at', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: LIST_INDEX,
        KeySchema: [
          { AttributeName: 'list_pk', KeyType: 'HASH' },
          { AttributeName: 'list_sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(table.Properties.AttributeDefinitions).toEqual([
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'work_queue', AttributeType: 'S' },
      { AttributeName: 'work_at', AttributeType: 'S' },
      { AttributeName: 'list_pk', AttributeType: 'S' },
      { AttributeName: 'list_sk', AttributeType: 'S' },
    ]);
  });
});

describe('Gym API routes', () => {
  const routes = () => ofType('AWS::ApiGatewayV2::Route');
  const gymRoutes = () => routes().filter(([, r]) => String(r.Properties.RouteKey).includes(' /gym'));
  const integrationOf = (route: Resource) => {
    const target = route.Properties.Target as { 'Fn::Join': [string, [string, unknown]] };
    return resources[refOf(target['Fn::Join'][1][1])] as Resource;
  };

  it('has exactly one route per method and path of CONTRACT §14, and no catch-all', () => {
    expect(gymRoutes().map(([, r]) => r.Properties.RouteKey)).toEqual(GYM_ROUTE_KEYS);
    expect(routes().map(([, r]) => r.Properties.RouteKey)).toHaveLength(
      ROUTES.length + GYM_ROUTE_KEYS.length,
    );
    for (const [, route] of routes()) {
      expect(String(route.Properties.RouteKey)).not.toMatch(/^ANY |\$default|\{proxy\+\}/);
    }
  });

  it('admits only IAM-signed calls on every /gym route, and sends each to the gym-api function', () => {
    const [gymApiId] = functionOf('gym-api');
    for (const [, route] of gymRoutes()) {
      expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
      expect(route.Properties.AuthorizerId).toBeUndefined();
      expect(integrationOf(route).Properties).toMatchObject({
        ApiId: { Ref: apiId() },
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
      });
      expect(refOf(integrationOf(route).Properties.IntegrationUri)).toBe(gymApiId);
    }
  });

  it('leaves every webhook route open (HMAC-checked in the function) and away from the gym-api function', () => {
    const [gymApiId] = functionOf('gym-api');
    const webhookRoutes = routes().filter(([, r]) => !String(r.Properties.RouteKey).includes(' /gym'));
    expect(webhookRoutes).toHaveLength(ROUTES.length);
    for (const [, route] of webhookRoutes) {
      expect(route.Properties.AuthorizationType).toBe('NONE');
      expect(refOf(integrationOf(route).Properties.IntegrationUri)).not.toBe(gymApiId);
    }
  });

  it('lets API Gateway invoke the gym-api function for its own routes only', () => {
    const [gymApiId] = functionOf('gym-api');
    const permissions = ofType('AWS::Lambda::Permission').filter(
      ([, p]) => refOf(p.Properties.FunctionName) === gymApiId,
    );
    expect(permissions).toHaveLength(GYM_ROUTE_KEYS.length);
    const paths = new Set(GYM_ROUTE_KEYS.map((key) => key.split(' ')[1]));
    for (const [, permission] of permissions) {
      expect(permission.Properties).toMatchObject({
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
      });
      const [, parts] = (permission.Properties.SourceArn as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
      expect(parts).toContainEqual({ Ref: apiId() });
      expect(paths.has(String(parts.at(-1)).replace(/^\/\*\/\*/, ''))).toBe(true);
    }
  });

  it('outputs the gym API base URL and the ARN callers are allowed execute-api:Invoke on', () => {
    expect(outputs.GymApiUrl?.Value).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [apiId(), 'ApiEndpoint'] }, '/gym']],
    });
    const arn = JSON.stringify(outputs.GymApiInvokeArn?.Value);
    expect(arn).toContain(':execute-api:');
    expect(arn).toContain(JSON.stringify({ Ref: apiId() }));
    expect(arn).toMatch(/\/\*\/\*\/gym\/\*"\]\]\}$/);
  });
});

describe('Gym API function', () => {
  it('runs like the other functions, with the table and nothing of Wellhub’s in its environment', () => {
    const [, fn] = functionOf('gym-api');
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 10,
    });
    expect((fn.Properties.Environment as { Variables: unknown }).Variables).toEqual(baseEnvironment());
  });

  it('may get, put and update table items, delete seat holders (SLOT# only) and query the list index, nothing else', () => {
    expect(policyOfFunction('gym-api')).toEqual({
      name: 'gym-api',
      statements: [
        writeOwnLogs('gym-api'),
        {
          Sid: 'ReadWriteTable',
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Resource: tableArn(),
        },
        // A booking canceled by the gym gives its seat back in the same transaction (CONTRACT §11).
        {
          Sid: 'ReleaseSeats',
          Effect: 'Allow',
          Action: 'dynamodb:DeleteItem',
          Resource: tableArn(),
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SLOT#*'] } },
        },
        queryListIndex(),
      ],
    });
  });
});

describe('Reconcile', () => {
  it('runs for at most 5 minutes, with the horizon and Wellhub’s URL and token in its environment', () => {
    const [, fn] = functionOf('reconcile');
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 300,
    });
    expect((fn.Properties.Environment as { Variables: unknown }).Variables).toEqual({
      ...baseEnvironment(),
      SCHEDULE_HORIZON_DAYS: '14',
      WELLHUB_API_URL: 'https://apitesting.partners.gympass.com',
      WELLHUB_API_TOKEN_SECRET_ID: { Ref: tokenSecretId() },
    });
  });

  it('may query the list index, write items, replace DRIFT# records only, and read the Wellhub token', () => {
    expect(policyOfFunction('reconcile')).toEqual({
      name: 'reconcile',
      statements: [
        writeOwnLogs('reconcile'),
        queryListIndex(),
        {
          Sid: 'ReadWriteTable',
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Resource: tableArn(),
        },
        {
          Sid: 'ReplaceDriftRecords',
          Effect: 'Allow',
          Action: ['dynamodb:DeleteItem', 'dynamodb:Query'],
          Resource: tableArn(),
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DRIFT#*'] } },
        },
        readWellhubToken(),
      ],
    });
  });

  const reconcileSchedule = () =>
    only(
      ofType('AWS::Scheduler::Schedule').filter(
        ([, schedule]) => schedule.Properties.Name === 'wellhub-webhooks-dev-reconcile',
      ),
    );

  it('is invoked every 15 minutes, a missed run never retried, by the scheduler or by Lambda', () => {
    const [, schedule] = reconcileSchedule();
    expect(schedule.Properties).toMatchObject({
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { 'Fn::GetAtt': [functionOf('reconcile')[0], 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 900 },
      },
    });
    const [, invokeConfig] = only(ofType('AWS::Lambda::EventInvokeConfig'));
    expect(invokeConfig.Properties).toEqual({
      FunctionName: { Ref: functionOf('reconcile')[0] },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 900,
    });
  });

  it('runs as a role only its schedule can assume, which may invoke the unqualified reconcile function only', () => {
    const [, schedule] = reconcileSchedule();
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
                    ':schedule/default/wellhub-webhooks-dev-reconcile',
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
          Sid: 'InvokeReconcile',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: { 'Fn::GetAtt': [functionOf('reconcile')[0], 'Arn'] },
        },
      ],
    });
    const permissions = ofType('AWS::Lambda::Permission').filter(
      ([, p]) => refOf(p.Properties.FunctionName) === functionOf('reconcile')[0],
    );
    expect(permissions).toEqual([]);
  });
});

describe('Publication jobs in the pipeline', () => {
  it.each(['worker', 'sweeper'])(
    'lets the %s query the list index and read the Wellhub token, and tells it the horizon and Wellhub’s URL',
    (name) => {
      const { statements } = policyOfFunction(name);
      expect(statements).toContainEqual(queryListIndex());
      expect(statements).toContainEqual(readWellhubToken());
      expect((functionOf(name)[1].Properties.Environment as { Variables: unknown }).Variables).toMatchObject({
        SCHEDULE_HORIZON_DAYS: '14',
        WELLHUB_API_URL: 'https://apitesting.partners.gympass.com',
        WELLHUB_API_TOKEN_SECRET_ID: { Ref: tokenSecretId() },
      });
    },
  );

  it('still lets the sweeper query the work index', () => {
    expect(policyOfFunction('sweeper').statements).toContainEqual({
      Sid: 'QueryWorkIndex',
      Effect: 'Allow',
      Action: 'dynamodb:Query',
      Resource: { 'Fn::Join': ['', [tableArn(), `/index/${WORK_INDEX}`]] },
    });
  });
});

describe('Schedule alarms', () => {
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

  it('pages when either publication job gives up, within the minute', () => {
    const props = alarm('publication-failed');
    expect(props).toMatchObject({
      ...notify(),
      Threshold: 1,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(props.MetricName).toBeUndefined();
    expect(props.Metrics).toEqual([
      {
        Id: 'expr_1',
        Expression: 'FILL(publishClass, 0) + FILL(publishSlot, 0)',
        Label: 'publications failed',
        ReturnData: true,
      },
      ...['publishClass', 'publishSlot'].map((job) => ({
        Id: job,
        MetricStat: {
          Metric: {
            Namespace: 'WellhubWebhooks',
            MetricName: 'PublicationsFailed',
            Dimensions: [{ Name: 'job', Value: job }, service],
          },
          Period: 60,
          Stat: 'Sum',
        },
        ReturnData: false,
      })),
    ]);
  });

  it('pages at the first sweep that finds a change still not at Wellhub, keeping its state when no sweep reports', () => {
    expect(alarm('publication-pending')).toMatchObject({
      ...notify(),
      Namespace: 'WellhubWebhooks',
      MetricName: 'PublicationsOverdue',
      Dimensions: [service],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'ignore',
    });
  });

  it('pages when reconcile fails two runs in a row, and on any gym-api crash or timeout', () => {
    expect(alarm('reconcile-errors')).toMatchObject({
      ...notify(),
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionOf('reconcile')[0] } }],
      Statistic: 'Sum',
      Period: 900,
      Threshold: 1,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
    expect(alarm('gym-api-errors')).toMatchObject({
      ...notify(),
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionOf('gym-api')[0] } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('Schedule dashboard and log queries', () => {
  it('shows publish lag, failed and overdue publications, reconcile repairs and drift, and both functions', () => {
    const [, dashboard] = only(ofType('AWS::CloudWatch::Dashboard'));
    const parts = (dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const body = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('')) as {
      widgets: { properties: { title?: string; metrics?: unknown[][] } }[];
    };
    const metricsOf = (title: string) =>
      body.widgets.find((w) => w.properties.title === title)?.properties.metrics ?? [];
    const names = (title: string) => metricsOf(title).map((line) => line.slice(0, 2).join(' '));
    const statOf = (line: unknown[]) => (line.at(-1) as { stat?: string }).stat;

    const lag = metricsOf('Publish lag, gym change to Wellhub (ms)');
    expect(lag.map((line) => [...line.slice(0, 6), statOf(line)])).toEqual(
      ['publishClass', 'publishSlot'].flatMap((job) =>
        ['p50', 'p99'].map((stat) => [
          'WellhubWebhooks',
          'PublishLag',
          'job',
          job,
          'service',
          APP_SERVICE_NAME,
          stat,
        ]),
      ),
    );
    expect(metricsOf('Publications failed and overdue').map((line) => line.slice(0, 4).join(' '))).toEqual([
      'WellhubWebhooks PublicationsFailed job publishClass',
      'WellhubWebhooks PublicationsFailed job publishSlot',
      `WellhubWebhooks PublicationsOverdue service ${APP_SERVICE_NAME}`,
    ]);
    expect(names('Reconcile (each run)')).toEqual([
      'WellhubWebhooks ReconcileRepairs',
      'WellhubWebhooks DriftSlots',
      'WellhubWebhooks ReconcileUnreadableGyms',
    ]);
    expect(names('Reconcile invocations and errors')).toEqual([
      'AWS/Lambda Invocations',
      'AWS/Lambda Errors',
    ]);
    expect(names('Gym API function')).toEqual([
      'AWS/Lambda Invocations',
      'AWS/Lambda Errors',
      'AWS/Lambda Duration',
    ]);
  });

  it('saves a query for the publication jobs', () => {
    const [, query] = only(
      ofType('AWS::Logs::QueryDefinition').filter(
        ([, q]) => q.Properties.Name === 'wellhub-webhooks-dev/publications',
      ),
    );
    const text = String(query.Properties.QueryString);
    expect(text).toContain('| filter message = "job" and job in ["publishClass", "publishSlot"]');
    for (const field of ['slot_reference', 'class_reference', 'plan', 'outcome', 'lag_ms']) {
      expect(LOG_QUERIES.publications?.fields).toContain(field);
    }
  });
});
