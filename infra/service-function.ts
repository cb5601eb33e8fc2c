import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type IRole, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type BundleOptions, bundleFunction, ENABLE_SOURCE_MAPS, LAMBDA_HANDLER } from './bundle';

/** Fixed by the application's logging and metrics (lib/log.ts, CONTRACT §8). */
export const SERVICE_NAME = 'wellhub-webhooks';
export const METRICS_NAMESPACE = 'WellhubWebhooks';

export interface ServiceFunctionProps {
  /** The folder under `functions/`; also the end of the Lambda's name. */
  readonly name: string;
  /** Used in the function's name so that several stages can share an account. */
  readonly stage: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** The name of the role's one inline policy. */
  readonly policyName: string;
  /** Everything the handler calls besides its own logs: the role allows these and nothing else. */
  readonly statements: readonly PolicyStatement[];
  /** Added to TABLE_NAME and the Powertools settings every function reads. */
  readonly environment?: Readonly<Record<string, string>>;
  readonly tableName: string;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly bundle?: BundleOptions;
}

/**
 * What every Lambda of the service shares: the bundle built by infra/bundle.ts, the runtime, its own
 * log group with retention, and a role whose one inline policy is the whole of what it may do.
 */
export class ServiceFunction extends Construct {
  readonly function: LambdaFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;
  private readonly policy: PolicyDocument;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    // A role of our own instead of the default one: the default attaches AWSLambdaBasicExecutionRole,
    // which may write to every log group of the account; this one writes to its own group only.
    this.policy = new PolicyDocument({
      statements: [
        new PolicyStatement({
          sid: 'WriteOwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.logGroup.logGroupArn],
        }),
        ...props.statements,
      ],
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.name} (${props.stage})`,
      inlinePolicies: { [props.policyName]: this.policy },
    });
    // The function gets the role without policy updates: grants that CDK makes on its own (an event
    // source's, a destination's) would add actions we did not choose, such as sqs:GetQueueUrl. What the
    // function may do is exactly the statements above, and the infra tests assert them.
    const role: IRole = this.role.withoutPolicyUpdates();

    const bundle = bundleFunction(props.name, props.bundle);

    this.function = new LambdaFunction(this, 'Function', {
      functionName: `${SERVICE_NAME}-${props.stage}-${props.name}`,
      description: props.description,
      // cdk-nag AwsSolutions-L1 asks for the newest Node.js runtime; the bundle targets node20, which
      // this runtime runs unchanged.
      runtime: Runtime.NODEJS_24_X,
      // Graviton: cheaper per millisecond and at least as fast for this kind of work.
      architecture: Architecture.ARM_64,
      handler: LAMBDA_HANDLER,
      code: Code.fromAsset(bundle.dir),
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup: this.logGroup,
      environment: {
        TABLE_NAME: props.tableName,
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...(ENABLE_SOURCE_MAPS ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
      },
    });
  }

  /**
   * Adds to the role's one inline policy. The function's own `addToRolePolicy` does nothing here (its
   * role is immutable, see above), so a grant made after construction must come through this.
   */
  allow(statement: PolicyStatement): void {
    this.policy.addStatements(statement);
  }
}

/** Query on one index: an index has an ARN of its own, which the table's ARN does not cover. */
export function queryIndexStatement(
  sid: string,
  table: { readonly tableArn: string },
  indexName: string,
): PolicyStatement {
  return new PolicyStatement({
    sid,
    actions: ['dynamodb:Query'],
    resources: [`${table.tableArn}/index/${indexName}`],
  });
}
