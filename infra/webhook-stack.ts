import { CfnOutput, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { LIST_INDEX, WORK_INDEX } from '#lib/store/table';
import { ROUTES } from '#lib/wellhub/routes';
import { OnCallAlarms } from './alarms';
import type { BundleOptions } from './bundle';
import { WebhookDashboard } from './dashboard';
import { GymApi } from './gym-api';
import { LogQueries } from './log-queries';
import { Pipeline } from './pipeline';
import { ScheduleSync } from './schedule-sync';
import { SERVICE_NAME } from './service-function';
import type { StageConfig } from './stages';
import { WebhookFunction } from './webhook-function';
import { WellhubApiAccess } from './wellhub-api-access';

export interface WebhookStackProps extends StackProps {
  readonly stage: StageConfig;
  /** Where alarm notifications are e-mailed; without it, subscribe to the topic by other means. */
  readonly alarmEmail?: string;
  /** Where the function bundles are built; the defaults are the repository's `functions/` and `dist/`. */
  readonly bundle?: BundleOptions;
}

/** The secret's value is sent to Wellhub, whose form takes at most 100 characters (CONTRACT §2). */
export const SECRET_LENGTH = 64;

/**
 * Everything the Wellhub integration needs in one account and region, for one stage: the webhooks, the
 * pipeline after them, the gym API and the schedule's reconcile.
 */
export class WebhookStack extends Stack {
  readonly table: Table;
  readonly secret: Secret;
  readonly api: HttpApi;
  readonly functions: readonly WebhookFunction[];
  readonly pipeline: Pipeline;
  readonly gymApi: GymApi;
  readonly scheduleSync: ScheduleSync;
  /** The Wellhub API token and URL; `wellhub.grantWellhubToken(fn)` for each function that calls Wellhub. */
  readonly wellhub: WellhubApiAccess;

  constructor(scope: Construct, id: string, props: WebhookStackProps) {
    super(scope, id, { terminationProtection: props.stage.protectFromDeletion, ...props });
    const { stage } = props;

    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      // Webhook traffic is small and bursty: paying per request beats provisioning for the peak.
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Event and quarantine records expire after the retention window (CONTRACT §4).
      timeToLiveAttribute: 'expires_at',
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: stage.protectFromDeletion,
      // The pipeline's fast path (CONTRACT §9). The worker's filters and jobs read the new image; the old
      // one costs nothing extra and shows what a write changed when a record is inspected by hand.
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
    });
    // Sparse: only items that still owe work carry these keys (lib/store/table.ts), so the sweeper
    // reads what is due without scanning the table.
    this.table.addGlobalSecondaryIndex({
      indexName: WORK_INDEX,
      partitionKey: { name: 'work_queue', type: AttributeType.STRING },
      sortKey: { name: 'work_at', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    // Sparse as well: classes, a gym's slots by start time and a slot's bookings, each under its parent
    // (lib/store/table.ts), for the gym API and the publication jobs. All attributes, because every
    // listing returns whole records.
    this.table.addGlobalSecondaryIndex({
      indexName: LIST_INDEX,
      partitionKey: { name: 'list_pk', type: AttributeType.STRING },
      sortKey: { name: 'list_sk', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

    // A plain alphanumeric string: it survives copy and paste into Wellhub's form, and the handlers
    // also accept {"current","previous"} JSON written here by hand during a rotation.
    const secretName = `${SERVICE_NAME}/${stage.name}/webhook-secret`;
    this.secret = new Secret(this, 'WebhookSecret', {
      secretName,
      description: 'Shared secret Wellhub signs webhooks with (X-Gympass-Signature, HMAC-SHA1)',
      // Changing these settings makes CloudFormation generate a new value, one Wellhub does not have:
      // rotate by hand instead (README, Deploy).
      generateSecretString: {
        passwordLength: SECRET_LENGTH,
        excludePunctuation: true,
        includeSpace: false,
      },
      removalPolicy: stage.removalPolicy,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret is shared with Wellhub, who only change it through their support: an automatic rotation would break every webhook. Rotation is a manual, two-step procedure with {"current","previous"} (README, Deploy).',
    });

    // No webhook function calls Wellhub: they only receive. The worker, the sweeper and reconcile are
    // granted, each by name.
    this.wellhub = new WellhubApiAccess(this, 'WellhubApi', {
      stage: stage.name,
      apiUrl: stage.wellhubApiUrl,
      removalPolicy: stage.removalPolicy,
    });

    this.functions = ROUTES.map(
      (route) =>
        new WebhookFunction(this, pascalCase(route.functionName), {
          route,
          stage: stage.name,
          table: this.table,
          secret: this.secret,
          logRetention: stage.logRetention,
          removalPolicy: stage.removalPolicy,
          ...(props.bundle ? { bundle: props.bundle } : {}),
        }),
    );

    this.pipeline = new Pipeline(this, 'Pipeline', {
      stage: stage.name,
      table: this.table,
      wellhub: this.wellhub,
      logRetention: stage.logRetention,
      removalPolicy: stage.removalPolicy,
      ...(props.bundle ? { bundle: props.bundle } : {}),
    });

    this.scheduleSync = new ScheduleSync(this, 'ScheduleSync', {
      stage: stage.name,
      table: this.table,
      wellhub: this.wellhub,
      logRetention: stage.logRetention,
      removalPolicy: stage.removalPolicy,
      ...(props.bundle ? { bundle: props.bundle } : {}),
    });

    this.api = new HttpApi(this, 'Api', {
      apiName: `${SERVICE_NAME}-${stage.name}`,
      description: 'Wellhub (Gympass) webhooks and the gym API',
      // HTTP API rather than REST: lower latency and under a third of the price; the REST-only features
      // (API keys, request models, WAF) add nothing to webhooks whose HMAC the function verifies.
      createDefaultStage: false,
    });

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: stage.logRetention,
      removalPolicy: stage.removalPolicy,
    });
    new HttpStage(this, 'ApiStage', {
      httpApi: this.api,
      // `$default`: URLs are the API endpoint plus the route's path, with no stage segment.
      stageName: '$default',
      autoDeploy: true,
      throttle: stage.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // requestId is the function log's request_id and integrationRequestId its function_request_id:
        // either joins this line to the handler's log line.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            integrationRequestId: '$context.integration.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationStatus: '$context.integrationStatus',
            integrationError: '$context.integrationErrorMessage',
            error: '$context.error.message',
          }),
        ),
      },
    });

    for (const fn of this.functions) {
      const { route } = fn;
      const apiRoutes = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod.POST],
        integration: new HttpLambdaIntegration(`${fn.node.id}Integration`, fn.function),
      });
      for (const apiRoute of apiRoutes) {
        Validations.of(apiRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'Wellhub cannot send API Gateway credentials (IAM, Cognito, JWT): every request is authenticated inside the function by the HMAC signature of its body (X-Gympass-Signature) and refused with 401 otherwise.',
        });
      }
      new CfnOutput(this, `WebhookUrl${fn.node.id}`, {
        description: `Send to Wellhub: URL of the ${route.eventType} webhook`,
        value: `${this.api.apiEndpoint}${route.path}`,
      });
    }

    this.gymApi = new GymApi(this, 'GymApi', {
      stage: stage.name,
      api: this.api,
      table: this.table,
      logRetention: stage.logRetention,
      removalPolicy: stage.removalPolicy,
      ...(props.bundle ? { bundle: props.bundle } : {}),
    });
    new CfnOutput(this, 'GymApiUrl', {
      description: 'Base URL of the gym API (CONTRACT §14); every call is signed with SigV4',
      value: `${this.api.apiEndpoint}/gym`,
    });
    new CfnOutput(this, 'GymApiInvokeArn', {
      description: 'Allow execute-api:Invoke on this ARN to whoever calls the gym API',
      value: this.api.arnForExecuteApi('*', '/gym/*'),
    });

    new CfnOutput(this, 'WebhookSecretName', {
      description: 'Send to Wellhub: the value of this secret (aws secretsmanager get-secret-value)',
      value: secretName,
    });
    new CfnOutput(this, 'WellhubApiTokenSecretName', {
      description: 'Put the Wellhub API token here (aws secretsmanager put-secret-value)',
      value: this.wellhub.tokenSecret.secretName,
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: 'Stream batches the worker gave up on (shard and sequence numbers only)',
      value: this.pipeline.deadLetterQueue.queueUrl,
    });

    // Not encrypted: CloudWatch cannot publish to a topic under the AWS-managed SNS key, and the
    // notifications carry alarm names and numbers only, no event data.
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: `Wellhub webhooks (${stage.name}) alarms`,
      enforceSSL: true,
    });
    if (props.alarmEmail) topic.addSubscription(new EmailSubscription(props.alarmEmail));
    new CfnOutput(this, 'AlarmTopicArn', { value: topic.topicArn });

    const alarms = new OnCallAlarms(this, 'Alarms', {
      stage: stage.name,
      api: this.api,
      functions: this.functions,
      pipeline: this.pipeline,
      gymApi: this.gymApi,
      scheduleSync: this.scheduleSync,
      topic,
    });

    const dashboard = new WebhookDashboard(this, 'Dashboard', {
      stage: stage.name,
      api: this.api,
      functions: this.functions,
      pipeline: this.pipeline,
      gymApi: this.gymApi,
      scheduleSync: this.scheduleSync,
      alarms: alarms.alarms,
    });
    new CfnOutput(this, 'DashboardName', { value: dashboard.dashboard.dashboardName });

    new LogQueries(this, 'LogQueries', {
      stage: stage.name,
      logGroups: [
        ...this.functions.map((fn) => fn.logGroup),
        this.pipeline.worker.logGroup,
        this.pipeline.sweeper.logGroup,
        this.gymApi.handler.logGroup,
        this.scheduleSync.reconcile.logGroup,
      ],
    });
  }
}

function pascalCase(kebab: string): string {
  return kebab.replace(/(^|-)([a-z0-9])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
}
