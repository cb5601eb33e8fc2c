import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { type HttpApi, HttpMethod, type HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LIST_INDEX } from '#lib/store/table';
import type { BundleOptions } from './bundle';
import { releaseSeatsStatement } from './pipeline';
import { queryIndexStatement, ServiceFunction } from './service-function';
import { MEMORY_MB } from './webhook-function';

/**
 * The routes of CONTRACT §14, one by one rather than `ANY /gym/{proxy+}`: API Gateway answers anything
 * else with 404 itself, so the function only ever runs for a signed call to a route it serves.
 */
export const GYM_ROUTES: readonly { readonly method: HttpMethod; readonly path: string }[] = [
  { method: HttpMethod.PUT, path: '/gym/classes/{reference}' },
  { method: HttpMethod.GET, path: '/gym/classes/{reference}' },
  { method: HttpMethod.PUT, path: '/gym/slots/{reference}' },
  { method: HttpMethod.PATCH, path: '/gym/slots/{reference}' },
  { method: HttpMethod.GET, path: '/gym/slots/{reference}' },
  { method: HttpMethod.GET, path: '/gym/slots' },
  { method: HttpMethod.POST, path: '/gym/slots/{reference}/cancel' },
  { method: HttpMethod.GET, path: '/gym/bookings/{booking_number}' },
  { method: HttpMethod.POST, path: '/gym/bookings/{booking_number}/cancel' },
];

/**
 * The gym's system has none of Wellhub's 1 s budget: a request makes a few database calls of at most
 * 3 s each (lib/pipeline/deps.ts), and a slow one is better waited for than cut off with a 500 after a
 * write that may have happened. API Gateway itself waits up to 30 s.
 */
export const GYM_API_TIMEOUT = Duration.seconds(10);

export interface GymApiProps {
  readonly stage: string;
  readonly api: HttpApi;
  readonly table: Table;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly bundle?: BundleOptions;
}

/**
 * The gym API (CONTRACT §14) on the webhooks' HTTP API: one function for every `/gym` route, each route
 * admitting only IAM-signed (SigV4) calls. The function reads and writes the table and never calls
 * Wellhub: the pipeline publishes what it writes.
 */
export class GymApi extends Construct {
  readonly handler: ServiceFunction;
  readonly routes: readonly HttpRoute[];

  constructor(scope: Construct, id: string, props: GymApiProps) {
    super(scope, id);
    const { table, api } = props;

    this.handler = new ServiceFunction(this, 'Function', {
      name: 'gym-api',
      stage: props.stage,
      description: 'The gym API (/gym/*): the gym’s classes, slots and bookings',
      memorySize: MEMORY_MB,
      timeout: GYM_API_TIMEOUT,
      policyName: 'gym-api',
      statements: [
        // Conditional puts and updates, and the booking cancel's transaction: the booking put, the slot's
        // seat count updated, the member's seat holder deleted.
        new PolicyStatement({
          sid: 'ReadWriteTable',
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [table.tableArn],
        }),
        releaseSeatsStatement(table),
        // A gym's slots in a time range, and the bookings on a slot.
        queryIndexStatement('QueryListIndex', table, LIST_INDEX),
      ],
      tableName: table.tableName,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      ...(props.bundle ? { bundle: props.bundle } : {}),
    });

    const integration = new HttpLambdaIntegration('GymApiIntegration', this.handler.function);
    const authorizer = new HttpIamAuthorizer();
    this.routes = GYM_ROUTES.flatMap(({ method, path }) =>
      api.addRoutes({ path, methods: [method], integration, authorizer }),
    );
  }
}
