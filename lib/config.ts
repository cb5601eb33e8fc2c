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
  /** `SCHEDULE_HORIZON_DAYS`: slots starting later are published as the horizon reaches them. */
  readonly scheduleHorizonDays: number;
  /** Local runs: the bearer token of the gym API (`GYM_API_TOKEN`); deployed, IAM guards it instead. */
  readonly gymApiToken?: string;
  /** `WALKIN_VALIDATION`: walk-in check-ins validated by the service (`auto`) or the front desk (`manual`). */
  readonly walkinValidation: 'auto' | 'manual';
  /** Calling Wellhub (CONTRACT §13). Its problems never block webhooks: Wellhub calls fail closed. */
  readonly wellhub: WellhubApiConfig;
}

export interface WellhubApiConfig {
  /** `WELLHUB_API_URL`: booking, access and setup APIs. Unset: every call fails closed. */
  readonly apiUrl?: string;
  /** `WELLHUB_SETUP_API_URL`: the Integration Setup API (webhook registration), another host. */
  readonly setupApiUrl: string;
  /** Local runs and tests: the token itself (`WELLHUB_API_TOKEN`). */
  readonly token?: string;
  /** Lambda: the Secrets Manager id of the token (`WELLHUB_API_TOKEN_SECRET_ID`). */
  readonly tokenSecretId?: string;
  /** Per call, answer body included (`WELLHUB_TIMEOUT_MS`). */
  readonly timeoutMs: number;
  /** What makes Wellhub calls fail closed; logged with each refused call, never a reason to 503 a webhook. */
  readonly problems: readonly string[];
}

/** Wellhub's Integration Setup API exists in production only (WELLHUB-API.md). */
export const WELLHUB_SETUP_API_URL = 'https://api.partners-integrations.gympass.com';

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
    scheduleHorizonDays: positiveNumber(env, 'SCHEDULE_HORIZON_DAYS', 14, problems),
    ...(env.GYM_API_TOKEN ? { gymApiToken: env.GYM_API_TOKEN } : {}),
    walkinValidation: walkinValidation(env, problems),
    wellhub: readWellhubApiConfig(env),
  };
}

function walkinValidation(env: NodeJS.ProcessEnv, problems: string[]): 'auto' | 'manual' {
  const value = env.WALKIN_VALIDATION ?? 'auto';
  if (value === 'auto' || value === 'manual') return value;
  problems.push(`WALKIN_VALIDATION must be auto or manual, not ${JSON.stringify(value)}`);
  return 'auto';
}

function readWellhubApiConfig(env: NodeJS.ProcessEnv): WellhubApiConfig {
  const problems: string[] = [];
  const apiUrl = httpUrl(env, 'WELLHUB_API_URL', problems);
  if (apiUrl === undefined && !env.WELLHUB_API_URL) problems.push('WELLHUB_API_URL is not set');
  const setupApiUrl = httpUrl(env, 'WELLHUB_SETUP_API_URL', problems) ?? WELLHUB_SETUP_API_URL;
  const token = env.WELLHUB_API_TOKEN || undefined;
  const tokenSecretId = env.WELLHUB_API_TOKEN_SECRET_ID || undefined;
  if (!token && !tokenSecretId) {
    problems.push('neither WELLHUB_API_TOKEN_SECRET_ID nor WELLHUB_API_TOKEN is set');
  }
  return {
    ...(apiUrl ? { apiUrl } : {}),
    setupApiUrl,
    ...(token ? { token } : {}),
    ...(tokenSecretId ? { tokenSecretId } : {}),
    timeoutMs: positiveNumber(env, 'WELLHUB_TIMEOUT_MS', 5000, problems),
    problems,
  };
}

/** An http(s) URL without a trailing slash, or undefined (with a problem when it is set but malformed). */
function httpUrl(env: NodeJS.ProcessEnv, name: string, problems: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol === 'https:' || url.protocol === 'http:') return raw.replace(/\/+$/, '');
  } catch {
    // Reported below.
  }
  problems.push(`${name} must be an http(s) URL, got ${JSON.stringify(raw)}`);
  return undefined;
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
