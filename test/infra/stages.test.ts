import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../infra/create-app';
import type { WebhookStack } from '../../infra/webhook-stack';

/** The prod stage, synthesized once (with cdk-nag): what it does differently from dev. */
const CDK_CONTEXT = JSON.parse(readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8')).context;

let work: string;
let stack: WebhookStack;
let template: Template;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'wellhub-infra-prod-'));
  const created = createApp({
    context: { ...CDK_CONTEXT, stage: 'prod' },
    outdir: path.join(work, 'cdk.out'),
    bundle: { outRoot: path.join(work, 'dist') },
  });
  stack = created.stack;
  // Throws when cdk-nag reports anything that is not acknowledged.
  template = Template.fromJSON(created.app.synth().getStackByName(stack.stackName).template);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('stage selection', () => {
  it('defaults to dev in cdk.json', () => {
    expect(CDK_CONTEXT.stage).toBe('dev');
  });

  it('names the prod stack, its functions and its secret after the stage', () => {
    expect(stack.stackName).toBe('WellhubWebhooks-prod');
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'wellhub-webhooks-prod-booking-requested',
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'wellhub-webhooks/prod/webhook-secret',
    });
  });

  it('protects prod data: table deletion protection, retained table, secret and logs, termination protection', () => {
    expect(stack.terminationProtection).toBe(true);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: { DeletionProtectionEnabled: true },
    });
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
    const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    // Nine functions (five webhooks, the worker, the sweeper, the gym API, reconcile) and the API's
    // access logs.
    expect(logGroups).toHaveLength(10);
    for (const logGroup of logGroups) {
      expect(logGroup).toMatchObject({ DeletionPolicy: 'Retain', Properties: { RetentionInDays: 60 } });
    }
  });

  it('points prod at Wellhub production and keeps its API token secret on deletion', () => {
    expect(stack.wellhub.apiUrl).toBe('https://api.partners.gympass.com');
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: { Name: 'wellhub-webhooks/prod/wellhub-api-token' },
    });
  });

  it('throttles prod at 50 requests/s with bursts of 100', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('subscribes no e-mail when no address is given', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.resourceCountIs('AWS::SNS::Topic', 1);
  });

  it('refuses an unknown stage and a malformed alarm e-mail before building anything', () => {
    expect(() => createApp({ context: { ...CDK_CONTEXT, stage: 'staging' } })).toThrow(
      'unknown stage "staging": use -c stage=<dev|prod>',
    );
    expect(() => createApp({ context: { ...CDK_CONTEXT, stage: 'dev', alarmEmail: 'oncall' } })).toThrow(
      'alarmEmail must be an e-mail address',
    );
  });
});
