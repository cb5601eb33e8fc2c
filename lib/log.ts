import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * The one logger and the one metrics emitter. Both write JSON to stdout: CloudWatch Logs indexes the
 * log lines for Logs Insights and turns the embedded-metric-format lines into metrics.
 */
export const SERVICE_NAME = 'wellhub-webhooks';

export const logger = new Logger({ serviceName: SERVICE_NAME });

export const metrics = new Metrics({ namespace: 'WellhubWebhooks', serviceName: SERVICE_NAME });

/** `user@example.com` → `u***@example.com`: enough for on-call to recognise, not to identify. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}
