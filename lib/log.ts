import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * The one logger and the one metrics emitter. Both write JSON to stdout: CloudWatch Logs indexes the
 * log lines for Logs Insights and turns the embedded-metric-format lines into metrics.
 */
export const SERVICE_NAME = 'wellhub-webhooks';

export const logger = new Logger({ serviceName: SERVICE_NAME });

export const metrics = new Metrics({ namespace: 'WellhubWebhooks', serviceName: SERVICE_NAME });
