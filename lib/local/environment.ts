/**
 * Settings of the receiver on one machine. `npm start`, `npm run ops` and `npm run sign` share them,
 * so that the ops CLI finds the local database with no flags at all.
 */
export const LOCAL_DEFAULTS = {
  PORT: '8080',
  DYNAMODB_LOCAL_PORT: '8000',
  DATA_DIR: '.data',
  TABLE_NAME: 'wellhub-webhooks',
  WELLHUB_WEBHOOK_SECRET: 'local-dev-secret',
  GYM_API_TOKEN: 'local-gym-token',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  POWERTOOLS_METRICS_DISABLED: 'true',
  // The SDK warns once per process that its 2027 releases need Node 22; the Lambda runtime is 24.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
} as const;

/** Fills what is not set, and points the AWS SDK's DynamoDB client at DynamoDB Local. */
export function applyLocalDefaults(env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(LOCAL_DEFAULTS)) env[name] ??= value;
  env.AWS_ENDPOINT_URL_DYNAMODB ??= `http://127.0.0.1:${env.DYNAMODB_LOCAL_PORT}`;
}

/** Without a table name of its own, a command means the local receiver's database. */
export function isLocal(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TABLE_NAME === undefined || env.AWS_ENDPOINT_URL_DYNAMODB !== undefined;
}
