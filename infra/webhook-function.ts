import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { Route } from '#lib/wellhub/routes';
import type { BundleOptions } from './bundle';
import { ServiceFunction } from './service-function';

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
  readonly stage: string;
  readonly table: Table;
  readonly secret: Secret;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly bundle?: BundleOptions;
}

/**
 * One webhook Lambda (one route): it stores the event and answers, nothing more (CONTRACT §4). A
 * subclass rather than a wrapper, so that the functions, roles and log groups keep their logical ids.
 */
export class WebhookFunction extends ServiceFunction {
  readonly route: Route;

  constructor(scope: Construct, id: string, props: WebhookFunctionProps) {
    const { route, table, secret } = props;
    super(scope, id, {
      name: route.functionName,
      stage: props.stage,
      description: `Wellhub ${route.eventType} webhook (POST ${route.path})`,
      memorySize: MEMORY_MB,
      timeout: TIMEOUT,
      policyName: 'webhook',
      statements: [
        // The conditional write of the event record, or of a quarantine record on bad input, is the
        // only database call before the answer; the worker does everything else from the stream.
        new PolicyStatement({
          sid: 'WriteTable',
          actions: ['dynamodb:PutItem'],
          resources: [table.tableArn],
        }),
        new PolicyStatement({
          sid: 'ReadWebhookSecret',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [secret.secretArn],
        }),
      ],
      tableName: table.tableName,
      environment: {
        WEBHOOK_SECRET_ID: secret.secretArn,
        RETENTION_DAYS: String(EVENT_RETENTION_DAYS),
      },
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      ...(props.bundle ? { bundle: props.bundle } : {}),
    });
    this.route = route;
  }
}
