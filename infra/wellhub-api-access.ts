import { type RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { WELLHUB_TOKEN_PLACEHOLDER } from '#lib/wellhub-api/token';
import { SERVICE_NAME, ServiceFunction } from './service-function';

export interface WellhubApiAccessProps {
  readonly stage: string;
  /** Wellhub's partner API for the stage (sandbox for dev, production for prod). */
  readonly apiUrl: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * What a function needs to call Wellhub (CONTRACT §13): the API token's secret and the API's URL.
 * Nothing may read the token unless it is granted here, one function at a time.
 */
export class WellhubApiAccess extends Construct {
  readonly tokenSecret: Secret;
  readonly apiUrl: string;

  constructor(scope: Construct, id: string, props: WellhubApiAccessProps) {
    super(scope, id);
    this.apiUrl = props.apiUrl;
    // Created with a placeholder the client reads as "no token" (calls fail closed, on-call is
    // alarmed): the token is issued by Wellhub and put in by hand (README, Talking to Wellhub).
    // CloudFormation sets the value on creation only, so a later deploy never overwrites the real one.
    this.tokenSecret = new Secret(this, 'TokenSecret', {
      secretName: `${SERVICE_NAME}/${props.stage}/wellhub-api-token`,
      description: 'Bearer token for Wellhub’s partner API (booking answers, schedule, check-in validation)',
      secretStringValue: SecretValue.unsafePlainText(WELLHUB_TOKEN_PLACEHOLDER),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.tokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The token is issued by Wellhub, one per integrator, and only Wellhub can issue a new one: there is nothing for a rotation Lambda to generate. A new token is put in by hand (README, Talking to Wellhub).',
    });
  }

  /**
   * Lets `fn` read the token, and tells it where Wellhub is and which secret holds the token. A
   * service function takes the statement into its one inline policy: its role ignores later grants.
   */
  grantWellhubToken(fn: ServiceFunction | LambdaFunction): void {
    const statement = new PolicyStatement({
      sid: 'ReadWellhubApiToken',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [this.tokenSecret.secretArn],
    });
    const lambda = fn instanceof ServiceFunction ? fn.function : fn;
    if (fn instanceof ServiceFunction) fn.allow(statement);
    else fn.addToRolePolicy(statement);
    lambda.addEnvironment('WELLHUB_API_URL', this.apiUrl);
    lambda.addEnvironment('WELLHUB_API_TOKEN_SECRET_ID', this.tokenSecret.secretArn);
  }
}
