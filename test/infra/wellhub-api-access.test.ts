import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { WellhubApiAccess } from '../../infra/wellhub-api-access';

type Resource = { Type: string; Properties: Record<string, unknown> };

/** The grant on its own stack: no function of the webhook stack calls Wellhub yet. */
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
});
