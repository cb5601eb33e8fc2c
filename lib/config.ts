/**
 * The one place that reads the environment, once, at module load. A missing setting does not crash
 * the module (API Gateway would answer 500 and Wellhub would not know to retry): it is reported as a
 * problem, logged at init, and every request fails closed with 503 until it is fixed.
 */
export interface Config {
  readonly tableName: string;
  /** Local receiver and tests: the webhook secret itself. */
  readonly webhookSecret?: string;
  /** Lambda: the Secrets Manager id (ARN or name) of the webhook secret. */
  readonly webhookSecretId?: string;
  /** How long events are kept for de-duplication; older signed events are refused as replays. */
  readonly retentionDays: number;
  /** How long a fetched secret is trusted before it is read again (rotation takes effect within this). */
  readonly secretMaxAgeSeconds: number;
  /** Per-attempt DynamoDB timeout: a slow database must become a 503 well inside Wellhub's 1 s. */
  readonly dynamoDbTimeoutMs: number;
  /**
   * How long a request may wait on the database in all before it answers 503 itself: the per-call
   * timeout alone allows two attempts each for the read and the write, about 1.5 s in the worst case.
   */
  readonly responseBudgetMs: number;
  readonly problems: readonly string[];
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const tableName = env.TABLE_NAME ?? '';
  if (!tableName) problems.push('TABLE_NAME is not set');
  const webhookSecret = env.WELLHUB_WEBHOOK_SECRET || undefined;
  const webhookSecretId = env.WEBHOOK_SECRET_ID || undefined;
  if (!webhookSecret && !webhookSecretId) {
    problems.push('neither WEBHOOK_SECRET_ID nor WELLHUB_WEBHOOK_SECRET is set: every request is refused');
  }
  return {
    tableName,
    ...(webhookSecret ? { webhookSecret } : {}),
    ...(webhookSecretId ? { webhookSecretId } : {}),
    retentionDays: positiveNumber(env, 'RETENTION_DAYS', 35, problems),
    secretMaxAgeSeconds: positiveNumber(env, 'SECRET_MAX_AGE_SECONDS', 300, problems),
    dynamoDbTimeoutMs: positiveNumber(env, 'DYNAMODB_TIMEOUT_MS', 350, problems),
    responseBudgetMs: positiveNumber(env, 'RESPONSE_BUDGET_MS', 800, problems),
    problems,
  };
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (Number.isFinite(value) && value > 0) return value;
  problems.push(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return fallback;
}

export const config: Config = readConfig();
