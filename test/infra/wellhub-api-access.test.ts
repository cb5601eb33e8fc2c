import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ServiceFunction } from '../../infra/service-function';
import { WellhubApiAccess } from '../../infra/wellhub-api-access';

type Resource = { Type: string; Properties: Record<string, unknown> };

/** The grant on its own stack, for a plain function and for one of the service's own. */
describe('WellhubApiAccess.grantWellhubToken', () => {
  it('gives exactly the granted function GetSecretValue on the token and the two settings it reads', () => {
    const grantApp = new App();
    const grantStack = new Stack(grantApp, 'Grant');
    const access = new WellhubApiAccess(grantStack, 'WellhubApi', {
      stage: 'dev',
      apiUrl: 'https://apitesting.partners.gympass.com',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const worker = new LambdaFunction(grantStack, 'Worker', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('export const handler = async () => undefined;'),
    });
    new LambdaFunction(grantStack, 'Bystander', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('export const handler = async () => undefined;'),
    });

    access.grantWellhubToken(worker);

    const granted = Template.fromStack(grantStack);
    const secret = Object.keys(granted.findResources('AWS::SecretsManager::Secret'))[0];
    const policies = Object.values(granted.findResources('AWS::IAM::Policy')) as Resource[];
    expect(policies).toHaveLength(1);
    expect(policies[0]?.Properties).toMatchObject({
      PolicyDocument: {
        Statement: [
          {
            Sid: 'ReadWellhubApiToken',
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: { Ref: secret },
          },
        ],
      },
      Roles: [{ Ref: expect.stringMatching(/^WorkerServiceRole/) }],
    });
    granted.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          WELLHUB_API_URL: 'https://apitesting.partners.gympass.com',
          WELLHUB_API_TOKEN_SECRET_ID: { Ref: secret },
        },
      },
    });
  });

  it('puts the statement into a service function’s one inline policy, which ignores grants made later', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'wellhub-grant-'));
    try {
      mkdirSync(path.join(work, 'functions', 'probe'), { recursive: true });
      writeFileSync(
        path.join(work, 'functions', 'probe', 'index.ts'),
        'export const handler = async () => 1;\n',
      );
      const grantStack = new Stack(new App(), 'Grant');
      const access = new WellhubApiAccess(grantStack, 'WellhubApi', {
        stage: 'dev',
        apiUrl: 'https://apitesting.partners.gympass.com',
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const probe = new ServiceFunction(grantStack, 'Probe', {
        name: 'probe',
        stage: 'dev',
        description: 'probe',
        memorySize: 128,
        timeout: Duration.seconds(3),
        policyName: 'probe',
        statements: [],
        tableName: 'table',
        logRetention: RetentionDays.ONE_DAY,
        removalPolicy: RemovalPolicy.DESTROY,
        bundle: { functionsDir: path.join(work, 'functions'), outRoot: path.join(work, 'dist') },
      });

      access.grantWellhubToken(probe);

      const granted = Template.fromStack(grantStack);
      const secret = Object.keys(granted.findResources('AWS::SecretsManager::Secret'))[0];
      // Through the function's own addToRolePolicy the statement would have been dropped silently.
      granted.resourceCountIs('AWS::IAM::Policy', 0);
      const roles = Object.values(granted.findResources('AWS::IAM::Role'));
      expect(roles).toHaveLength(1);
      expect(roles[0]?.Properties.Policies).toHaveLength(1);
      expect(roles[0]?.Properties.Policies[0].PolicyDocument.Statement.at(-1)).toEqual({
        Sid: 'ReadWellhubApiToken',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: secret },
      });
      granted.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: {
            WELLHUB_API_URL: 'https://apitesting.partners.gympass.com',
            WELLHUB_API_TOKEN_SECRET_ID: { Ref: secret },
          },
        },
      });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
