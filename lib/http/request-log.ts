import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { BadRequest, type WebhookError } from '#lib/errors';
import { logger, metrics } from '#lib/log';
import type { Route } from '#lib/wellhub/routes';
import { bookingNumberOf } from '#lib/wellhub/wellhub-event';
import type { Delivery } from './delivery';

export type LoggedOutcome =
  | 'accepted'
  | 'duplicate'
  | 'rejected_signature'
  | 'bad_request'
  | 'payload_too_large'
  | 'error';

let coldStart = true;

/**
 * The one log line of a request (CONTRACT §8) and its metrics. Fields are chosen, never copied from
 * the body: no secret, signature, name, phone or email can reach CloudWatch through here.
 */
export function recordRequest(
  request: { readonly event: APIGatewayProxyEventV2; readonly context: Context; readonly statusCode: number },
  route: Route,
  delivery: Delivery | undefined,
  outcome: LoggedOutcome,
  error?: WebhookError,
): void {
  const finalOutcome: LoggedOutcome = request.statusCode === 503 ? 'error' : outcome;
  const latencyMs = delivery ? Math.round((performance.now() - delivery.startedAt) * 100) / 100 : undefined;
  const event = delivery?.event;
  const eventType = event?.type ?? route.eventType;
  const fields = {
    route: route.path,
    event_type: eventType,
    event_id: delivery?.outcome?.eventId ?? event?.eventId,
    booking_number: event ? bookingNumberOf(event) : undefined,
    gym_id: event?.gymId,
    outcome: finalOutcome,
    status: request.statusCode,
    latency_ms: latencyMs,
    cold_start: coldStart,
    request_id: delivery?.requestId,
    function_request_id: request.context.awsRequestId,
    signature_form: delivery?.signatureForm,
    signature_key: delivery?.signatureKey,
    quarantine_id: delivery?.quarantineId,
    error_code: error?.code,
    error: error instanceof BadRequest ? error.logMessage : error?.message,
    cause: error?.cause ? errorName(error.cause) : undefined,
    source_ip:
      finalOutcome === 'rejected_signature' ? request.event.requestContext?.http?.sourceIp : undefined,
  };
  if (finalOutcome === 'error') logger.error('webhook request', fields);
  else if (finalOutcome === 'bad_request' || finalOutcome === 'rejected_signature')
    logger.warn('webhook request', fields);
  else logger.info('webhook request', fields);
  // Synchronous from here to the flush, so concurrent requests in one process never mix dimensions.
  if (coldStart) metrics.captureColdStartMetric(route.functionName);
  coldStart = false;
  metrics.addDimensions({ event_type: eventType, outcome: finalOutcome });
  metrics.addMetric('Requests', MetricUnit.Count, 1);
  if (latencyMs !== undefined) metrics.addMetric('Latency', MetricUnit.Milliseconds, latencyMs);
  metrics.publishStoredMetrics();
  if (finalOutcome === 'rejected_signature')
    metrics.singleMetric().addMetric('SignatureRejected', MetricUnit.Count, 1);
}

export function errorName(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
