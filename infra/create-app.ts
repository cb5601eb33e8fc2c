import { App, type AppProps, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { BundleOptions } from './bundle';
import { SERVICE_NAME } from './service-function';
import { stageConfig } from './stages';
import { WebhookStack } from './webhook-stack';

export interface CreateAppOptions extends AppProps {
  readonly bundle?: BundleOptions;
}

/**
 * The whole app, shared by `infra/app.ts` (cdk synth/deploy) and the infra tests so that both see the
 * same stack, the same context handling and the same cdk-nag checks.
 */
export function createApp(options: CreateAppOptions = {}): { app: App; stack: WebhookStack } {
  const { bundle, ...appProps } = options;
  const app = new App(appProps);
  const stage = stageConfig(app.node.tryGetContext('stage'));
  const alarmEmail: unknown = app.node.tryGetContext('alarmEmail');
  if (alarmEmail !== undefined && (typeof alarmEmail !== 'string' || !alarmEmail.includes('@'))) {
    throw new Error(`alarmEmail must be an e-mail address, got ${JSON.stringify(alarmEmail)}`);
  }

  const stack = new WebhookStack(app, `WellhubWebhooks-${stage.name}`, {
    stage,
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(bundle ? { bundle } : {}),
    description: `Wellhub (Gympass) webhook receiver, ${stage.name}`,
    // Account and region of the CLI's profile when there is one; offline, the stack is environment-agnostic.
    env: {
      ...(process.env.CDK_DEFAULT_ACCOUNT ? { account: process.env.CDK_DEFAULT_ACCOUNT } : {}),
      ...(process.env.CDK_DEFAULT_REGION ? { region: process.env.CDK_DEFAULT_REGION } : {}),
    },
  });
  Tags.of(stack).add('service', SERVICE_NAME);
  Tags.of(stack).add('stage', stage.name);

  // Every synth is checked: a finding that is not acknowledged with a reason fails it.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
