/**
 * The environments the benchmark's processes run in. Everything points at loopback: DynamoDB Local,
 * the fake Secrets Manager, and dummy credentials that keep the SDK from looking for real ones.
 */
import { LOCAL_DEFAULTS } from '#lib/local/environment';

export const OURS_TABLE = 'bench-ours';
export const FLOOR_TABLE = 'bench-floor';
/** The answered-to-applied run's own table: its stream carries only that run's events. */
export const APPLIED_TABLE = 'bench-applied';
/** The local receiver's own default, so that the events are signed as `npm start` expects. */
export const SECRET = LOCAL_DEFAULTS.WELLHUB_WEBHOOK_SECRET;
export const SECRET_ID = 'wellhub/webhook-secret';

const AWS_LOOPBACK = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
} as const;

/** The parent's environment minus anything that could reach real AWS or change Node's behaviour. */
function base(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('AWS_') && !name.startsWith('POWERTOOLS_') && name !== 'NODE_OPTIONS')
      env[name] = value;
  }
  return { ...env, ...AWS_LOOPBACK };
}

/** Our local receiver, configured as `npm start` configures it (lib/local/environment.ts). */
export function oursLocalEnv(dynamoDbEndpoint: string, tableName: string = OURS_TABLE): NodeJS.ProcessEnv {
  return {
    ...base(),
    TABLE_NAME: tableName,
    WELLHUB_WEBHOOK_SECRET: SECRET,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoDbEndpoint,
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
}

/** Our function as deployed (infra/webhook-function.ts): the secret comes from Secrets Manager. */
export function oursLambdaEnv(dynamoDbEndpoint: string, secretsManagerEndpoint: string): NodeJS.ProcessEnv {
  return {
    ...base(),
    TABLE_NAME: OURS_TABLE,
    WEBHOOK_SECRET_ID: SECRET_ID,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoDbEndpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManagerEndpoint,
    RETENTION_DAYS: '35',
    POWERTOOLS_SERVICE_NAME: 'wellhub-webhooks',
    POWERTOOLS_METRICS_NAMESPACE: 'WellhubWebhooks',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
}

export function floorEnv(dynamoDbEndpoint: string): NodeJS.ProcessEnv {
  return {
    ...base(),
    TABLE_NAME: FLOOR_TABLE,
    WELLHUB_WEBHOOK_SECRET: SECRET,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoDbEndpoint,
  };
}

export const PROFILE_TABLE = 'bench-profile';

/** The in-process profile: our function as deployed (metrics on), with the key from the environment. */
export function profileEnv(dynamoDbEndpoint: string): NodeJS.ProcessEnv {
  const {
    WEBHOOK_SECRET_ID: _id,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: _endpoint,
    ...env
  } = oursLambdaEnv(dynamoDbEndpoint, '');
  return { ...env, TABLE_NAME: PROFILE_TABLE, WELLHUB_WEBHOOK_SECRET: SECRET };
}

/**
 * The worker as deployed (infra/service-function.ts: table name and the Powertools settings, metrics
 * on), on the answered-to-applied run's table; BENCH_* tell the bench's pipeline process where the
 * bundles are and where the stream poller keeps its checkpoint.
 */
export function workerEnv(dynamoDbEndpoint: string, dist: string, checkpointFile: string): NodeJS.ProcessEnv {
  return {
    ...base(),
    TABLE_NAME: APPLIED_TABLE,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoDbEndpoint,
    POWERTOOLS_SERVICE_NAME: 'wellhub-webhooks',
    POWERTOOLS_METRICS_NAMESPACE: 'WellhubWebhooks',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    BENCH_DIST_DIR: dist,
    BENCH_CHECKPOINT_FILE: checkpointFile,
  };
}

/** The schedule run's own table: its stream carries only the gym's classes and slots. */
export const SCHEDULE_TABLE = 'bench-schedule';
/** The one token the schedule run's local Wellhub accepts. */
export const WELLHUB_TOKEN = 'bench-wellhub-token';
/** The stack's (infra/pipeline.ts): Wellhub's booking horizon. */
export const SCHEDULE_HORIZON_DAYS = 14;

/**
 * The schedule run's own process (schedule/driver.ts): the gym API handler as deployed (logger and
 * metrics settings of the stack) and the local Wellhub; BENCH_* tell it where the pipeline's bundles
 * are, where its stream poller keeps its checkpoint, and what to run.
 */
export function scheduleDriverEnv(
  dynamoDbEndpoint: string,
  paths: { readonly pipeline: string; readonly dist: string; readonly checkpointFile: string },
  plan: unknown,
): NodeJS.ProcessEnv {
  return {
    ...base(),
    TABLE_NAME: SCHEDULE_TABLE,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoDbEndpoint,
    POWERTOOLS_SERVICE_NAME: 'wellhub-webhooks',
    POWERTOOLS_METRICS_NAMESPACE: 'WellhubWebhooks',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    BENCH_PIPELINE_SCRIPT: paths.pipeline,
    BENCH_DIST_DIR: paths.dist,
    BENCH_CHECKPOINT_FILE: paths.checkpointFile,
    BENCH_SCHEDULE_PLAN: JSON.stringify(plan),
  };
}

/**
 * The worker as deployed (workerEnv), on the schedule's table and calling the local Wellhub. The token
 * comes from the environment rather than Secrets Manager: deployed it is read once and cached, so only
 * the warm-up's first call would see the difference.
 */
export function scheduleWorkerEnv(
  dynamoDbEndpoint: string,
  dist: string,
  checkpointFile: string,
  wellhubUrl: string,
  tableName: string = SCHEDULE_TABLE,
): NodeJS.ProcessEnv {
  return {
    ...workerEnv(dynamoDbEndpoint, dist, checkpointFile),
    TABLE_NAME: tableName,
    WELLHUB_API_URL: wellhubUrl,
    WELLHUB_API_TOKEN: WELLHUB_TOKEN,
    SCHEDULE_HORIZON_DAYS: String(SCHEDULE_HORIZON_DAYS),
  };
}

/** The booking run's own table: its stream carries only that run's schedule, events and bookings. */
export const BOOKINGS_TABLE = 'bench-bookings';

/**
 * The booking run's own process (bookings/driver.ts): the gym API handler and the local Wellhub, as
 * for the schedule run (scheduleDriverEnv), on the booking run's table; BENCH_* also tell it where our
 * receiver's bundle is (it starts that receiver, and the pipeline, in processes of their own).
 */
export function bookingsDriverEnv(
  dynamoDbEndpoint: string,
  paths: {
    readonly pipeline: string;
    readonly receiver: string;
    readonly dist: string;
    readonly checkpointFile: string;
  },
  plan: unknown,
): NodeJS.ProcessEnv {
  const { BENCH_SCHEDULE_PLAN: _plan, ...env } = scheduleDriverEnv(dynamoDbEndpoint, paths, plan);
  return {
    ...env,
    TABLE_NAME: BOOKINGS_TABLE,
    BENCH_RECEIVER_SCRIPT: paths.receiver,
    BENCH_BOOKINGS_PLAN: JSON.stringify(plan),
  };
}
