import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { Route } from '#lib/wellhub/routes';
import { type BundleOptions, bundleFunction, ENABLE_SOURCE_MAPS, LAMBDA_HANDLER } from './bundle';

/** Fixed by the application's logging and metrics (lib/log.ts, CONTRACT §8). */
export const SERVICE_NAME = 'wellhub-webhooks';
export const METRICS_NAMESPACE = 'WellhubWebhooks';

/** How long event records are kept for de-duplication (CONTRACT §4); lib/config.ts has the same default. */
export const EVENT_RETENTION_DAYS = 35;

/**
 * Sized for Wellhub's 1 s budget. Lambda gives CPU in proportion to memory: 1024 MB (about 0.6 vCPU on
 * arm64) keeps the cold start (parsing a 440 KB bundle, the first TLS handshakes to Secrets Manager
 * and DynamoDB) and the HMAC and JSON work short; at Wellhub's volume (a few thousand calls a day of
 * about 100 ms) it costs cents a month more than 256 MB.
 */
export const MEMORY_MB = 1024;

/**
 * A webhook answered after 1 s is already lost to Wellhub (it retries), so the timeout only bounds a
 * stuck invocation. 3 s lets a write that has started finish (the retry then reads `duplicate` instead
 * of redoing it) while the clients' own per-call timeouts (lib/config.ts) keep normal answers far
 * inside the budget; it never needs to be longer.
 */
export const TIMEOUT = Duration.seconds(3);

export interface WebhookFunctionProps {
  readonly route: Route;
  /** Used in the function's name so that several stages can share an account. */
  readonly stage: string;
  readonly table: Table;
  readonly secret: Secret;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly bundle?: BundleOptions;
}

/**
 * One webhook Lambda: the bundle built by infra/bundle.ts, the runtime settings every route shares,
 * its own log group, and a role that allows exactly the calls the handler makes and nothing else.
 */
export class WebhookFunction extends Construct {
  readonly route: Route;
  readonly function: LambdaFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: WebhookFunctionProps) {
    super(scope, id);
    const { route, table, secret } = props;
    this.route = route;

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    // A role of our own instead of the default one: the default attaches AWSLambdaBasicExecutionRole,
    // which may write to every log group of the account; this one writes to its own group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${route.eventType} webhook (${props.stage})`,
      inlinePolicies: {
        webhook: new PolicyDocument({
          statements: [
            new PolicyStatement({
              sid: 'WriteOwnLogs',
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [this.logGroup.logGroupArn],
            }),
            // BatchGetItem: the event, booking and Wellhub ID reads, in one call; PutItem: every write,
            // including the Put items inside TransactWriteItems, which IAM authorises one item action
            // at a time.
            new PolicyStatement({
              sid: 'ReadWriteTable',
              actions: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'],
              resources: [table.tableArn],
            }),
            new PolicyStatement({
              sid: 'ReadWebhookSecret',
              actions: ['secretsmanager:GetSecretValue'],
              resources: [secret.secretArn],
            }),
          ],
        }),
      },
    });

    const bundle = bundleFunction(route.functionName, props.bundle);

    this.function = new LambdaFunction(this, 'Function', {
      functionName: `${SERVICE_NAME}-${props.stage}-${route.functionName}`,
      description: `Wellhub ${route.eventType} webhook (POST ${route.path})`,
      // cdk-nag AwsSolutions-L1 asks for the newest Node.js runtime; the bundle targets node20, which
      // this runtime runs unchanged.
      runtime: Runtime.NODEJS_24_X,
      // Graviton: cheaper per millisecond and at least as fast for this kind of work.
      architecture: Architecture.ARM_64,
      handler: LAMBDA_HANDLER,
      code: Code.fromAsset(bundle.dir),
      memorySize: MEMORY_MB,
      timeout: TIMEOUT,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        TABLE_NAME: table.tableName,
        WEBHOOK_SECRET_ID: secret.secretArn,
        RETENTION_DAYS: String(EVENT_RETENTION_DAYS),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...(ENABLE_SOURCE_MAPS ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
      },
    });
  }
}
