import { randomBytes } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy, { type MiddlewareObj, type Request } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { applyEvent, type Ledger, type Outcome } from '#lib/bookings/apply-event';
import type { QuarantineRecord } from '#lib/bookings/records';
import { config } from '#lib/config';
import { BadRequest, InvalidSignature, PayloadTooLarge, Unavailable, WebhookError } from '#lib/errors';
import { logger, metrics } from '#lib/log';
import { DynamoDbStore } from '#lib/store/dynamodb-store';
import { describeJsonError, parseWellhubEvent } from '#lib/wellhub/parse';
import { type EventType, type Route, routeOf } from '#lib/wellhub/routes';
import { verifySignature } from '#lib/wellhub/signature';
import { type SigningKeysSource, signingKeysSource } from '#lib/wellhub/signing-keys';
import { bookingNumberOf, type WellhubEvent } from '#lib/wellhub/wellhub-event';
import { errorResponse, outcomeResponse, type Response } from './responses';

/** Wellhub's events are about 1 KiB; anything past this is not one of them (CONTRACT §5). */
export const MAX_BODY_BYTES = 64 * 1024;
/** A signed oversize body is still kept for on-call up to this size (a DynamoDB item holds 400 KB). */
const MAX_KEPT_BYTES = 256 * 1024;

export interface WebhookDeps {
  readonly ledger: Ledger & { quarantine(record: QuarantineRecord): Promise<void> };
  readonly keys: SigningKeysSource;
  readonly retentionDays: number;
  /**
   * Milliseconds from the start of a request after which it answers 503 rather than keep waiting on
   * the database (a write still in flight may land: the retry then answers `duplicate`). Unset: no
   * limit beyond the clients' own timeouts.
   */
  readonly responseBudgetMs?: number;
  /** Configuration problems found at init: while there are any, every request fails closed. */
  readonly problems: readonly string[];
}

/** What one request learns on its way through the stack. */
interface Delivery {
  readonly startedAt: number;
  readonly receivedAt: Date;
  readonly requestId: string;
  readonly body: string;
  readonly bodyIsBase64: boolean;
  verified: boolean;
  signatureForm?: 'raw' | 'compact';
  signatureKey?: 'current' | 'previous';
  event?: WellhubEvent;
  outcome?: Outcome;
  quarantineId?: string;
}

type LoggedOutcome =
  | 'accepted'
  | 'duplicate'
  | 'rejected_signature'
  | 'bad_request'
  | 'payload_too_large'
  | 'error';
type GatewayEvent = APIGatewayProxyEventV2;
type WebhookRequest = Request<GatewayEvent, Response, Error, Context>;

/** Keyed by the gateway event object, which middy hands unchanged (body aside) to every step. */
const deliveries = new WeakMap<GatewayEvent, Delivery>();
let coldStart = true;

/**
 * The signature, not the Content-Type header, says the body is Wellhub's JSON. Middy 6 honours this
 * option but its type declarations omit it, hence a variable rather than a literal.
 */
const parseJsonWhateverTheContentType = { disableContentTypeCheck: true, disableContentTypeError: false };
let defaults: WebhookDeps | undefined;

/** Built once per Lambda container, outside the handler, so clients and caches are reused. */
export function defaultDeps(): WebhookDeps {
  defaults ??= {
    ledger: new DynamoDbStore({ tableName: config.tableName, timeoutMs: config.dynamoDbTimeoutMs }),
    keys: signingKeysSource(config),
    retentionDays: config.retentionDays,
    responseBudgetMs: config.responseBudgetMs,
    problems: config.problems,
  };
  return defaults;
}

/**
 * The handler of one webhook route: verify the signature on the bytes as received, parse, apply
 * the event once, respond; one log line and one set of metrics per request. Every failure maps to
 * a status of CONTRACT §5, and a signed request that cannot be applied is quarantined, not lost.
 */
export function webhookHandler(eventType: EventType, deps: WebhookDeps = defaultDeps()) {
  const route = routeOf(eventType);
  if (deps.problems.length > 0)
    logger.error('configuration problems: requests are refused', { problems: deps.problems });
  return middy<GatewayEvent, Response, Error, Context>()
    .use(observe(route, deps))
    .use(verifyBeforeParsing(deps))
    .use(httpJsonBodyParser(parseJsonWhateverTheContentType))
    .handler(async (gatewayEvent) => {
      const delivery = deliveryOf(gatewayEvent);
      const event = parseWellhubEvent(route, gatewayEvent.body as unknown);
      delivery.event = event;
      delivery.outcome = await withinBudget(
        applyEvent(deps.ledger, event, receiptOf(route, delivery), deps),
        delivery,
        deps,
      );
      return outcomeResponse(delivery.outcome);
    });
}

/** Opens the request's record, and closes it with the response, the log line and the metrics. */
function observe(route: Route, deps: WebhookDeps): MiddlewareObj<GatewayEvent, Response, Error, Context> {
  return {
    before: (request) => {
      const { event, context } = request;
      deliveries.set(event, {
        startedAt: performance.now(),
        receivedAt: new Date(),
        requestId: event.requestContext?.requestId ?? context.awsRequestId,
        body: event.body ?? '',
        bodyIsBase64: event.isBase64Encoded === true,
        verified: false,
      });
    },
    after: (request) => record(request, route, 'accepted'),
    onError: async (request) => {
      const error = asWebhookError(request.error, deliveries.get(request.event));
      let response = errorResponse(error);
      if (error instanceof BadRequest || error instanceof PayloadTooLarge) {
        response = (await quarantine(request, route, error, deps)) ?? response;
      }
      request.response = response;
      record(request, route, outcomeOf(error), error);
    },
  };
}

/** Size, then the HMAC over the raw bytes: nothing is parsed or stored for an unsigned request. */
function verifyBeforeParsing(deps: WebhookDeps): MiddlewareObj<GatewayEvent, Response, Error, Context> {
  return {
    before: async (request) => {
      if (deps.problems.length > 0) throw new Unavailable(`misconfigured: ${deps.problems.join('; ')}`);
      const delivery = deliveryOf(request.event);
      const bytes = Buffer.from(delivery.body, delivery.bodyIsBase64 ? 'base64' : 'utf8');
      const header = headerOf(request.event, 'x-gympass-signature');
      if (bytes.length > MAX_BODY_BYTES) {
        // Always 413; kept for on-call only when it is provably Wellhub's and small enough to store.
        if (bytes.length <= MAX_KEPT_BYTES)
          await verify(delivery, bytes, header, deps).catch(() => undefined);
        throw new PayloadTooLarge(`body of ${bytes.length} bytes exceeds ${MAX_BODY_BYTES}`);
      }
      await verify(delivery, bytes, header, deps);
    },
  };
}

async function verify(
  delivery: Delivery,
  bytes: Buffer,
  header: string | undefined,
  deps: WebhookDeps,
): Promise<void> {
  const check = verifySignature(bytes, header, await deps.keys.signingKeys());
  if (!check.valid) throw new InvalidSignature(`signature ${check.reason}`);
  delivery.verified = true;
  delivery.signatureForm = check.form;
  delivery.signatureKey = check.key;
}

async function quarantine(
  request: WebhookRequest,
  route: Route,
  error: BadRequest | PayloadTooLarge,
  deps: WebhookDeps,
): Promise<Response | undefined> {
  const delivery = deliveries.get(request.event);
  if (!delivery?.verified) return undefined;
  const quarantineId = `${delivery.receivedAt.toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
  const sentType = sentEventType(request.event.body);
  try {
    await withinBudget(
      deps.ledger.quarantine({
        quarantine_id: quarantineId,
        route: route.path,
        reason: error.code,
        message: error.message,
        received_at: delivery.receivedAt.toISOString(),
        request_id: delivery.requestId,
        raw_body: delivery.body,
        raw_body_base64: delivery.bodyIsBase64,
        ...(sentType !== undefined ? { event_type: sentType } : {}),
        expires_at: Math.ceil(delivery.receivedAt.getTime() / 1000 + (deps.retentionDays + 1) * 86_400),
      }),
      delivery,
      deps,
    );
  } catch (cause) {
    // Not kept means not answered: 503 makes Wellhub deliver it again.
    logger.error('quarantine write failed', { error: errorName(cause) });
    return errorResponse(new Unavailable('quarantine write failed', { cause }));
  }
  delivery.quarantineId = quarantineId;
  metrics.singleMetric().addMetric('Quarantined', MetricUnit.Count, 1);
  return undefined;
}

/**
 * Database work of one request, cut off when the request's budget runs out: Wellhub stops waiting
 * after 1 s and retries, so a late 200 is worth less than a prompt 503.
 */
async function withinBudget<T>(work: Promise<T>, delivery: Delivery, deps: WebhookDeps): Promise<T> {
  if (deps.responseBudgetMs === undefined) return work;
  const remaining = deps.responseBudgetMs - (performance.now() - delivery.startedAt);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Unavailable(`no answer from the database within ${deps.responseBudgetMs} ms`)),
      Math.max(0, remaining),
    );
  });
  // The work goes on after a timeout; its own failure then has no one left to tell.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function record(request: WebhookRequest, route: Route, outcome: LoggedOutcome, error?: WebhookError): void {
  const delivery = deliveries.get(request.event);
  const status = request.response?.statusCode ?? 503;
  const finalOutcome: LoggedOutcome =
    status === 503
      ? 'error'
      : outcome === 'accepted' && delivery?.outcome?.status === 'duplicate'
        ? 'duplicate'
        : outcome;
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
    status,
    latency_ms: latencyMs,
    cold_start: coldStart,
    request_id: delivery?.requestId,
    function_request_id: request.context.awsRequestId,
    signature_form: delivery?.signatureForm,
    signature_key: delivery?.signatureKey,
    booking_status: delivery?.outcome?.booking?.status,
    conflict: delivery?.outcome?.conflict || undefined,
    quarantine_id: delivery?.quarantineId,
    error_code: error?.code,
    error: error instanceof BadRequest ? error.logMessage : error?.message,
    cause: error?.cause ? errorName(error.cause) : undefined,
    source_ip:
      finalOutcome === 'rejected_signature' ? request.event.requestContext?.http?.sourceIp : undefined,
  };
  if (finalOutcome === 'error') logger.error('webhook request', fields);
  else if (fields.conflict || finalOutcome === 'bad_request' || finalOutcome === 'rejected_signature')
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

/** Middy's JSON parser reports bad JSON as its own 415; everything unknown is our fault. */
function asWebhookError(error: unknown, delivery: Delivery | undefined): WebhookError {
  if (error instanceof WebhookError) return error;
  const cause =
    error instanceof Error ? (error.cause as { package?: string; message?: string } | undefined) : undefined;
  if (cause?.package === '@middy/http-json-body-parser') {
    const text = delivery
      ? Buffer.from(delivery.body, delivery.bodyIsBase64 ? 'base64' : 'utf8').toString('utf8')
      : '';
    if (text.trim() === '') return new BadRequest('invalid_json', 'the body is empty');
    const syntaxError = new SyntaxError(cause.message ?? '');
    // The excerpt helps Wellhub find the mistake; in a log line it could be part of a name or email.
    return new BadRequest('invalid_json', describeJsonError(syntaxError, text), {
      logMessage: describeJsonError(syntaxError, text, { excerpt: false }),
    });
  }
  return new Unavailable('unexpected failure', { cause: error });
}

function outcomeOf(error: WebhookError): LoggedOutcome {
  if (error instanceof InvalidSignature) return 'rejected_signature';
  if (error instanceof BadRequest) return 'bad_request';
  if (error instanceof PayloadTooLarge) return 'payload_too_large';
  return 'error';
}

function deliveryOf(event: GatewayEvent): Delivery {
  const delivery = deliveries.get(event);
  if (!delivery) throw new Error('request was not opened by the observe middleware');
  return delivery;
}

function receiptOf(route: Route, delivery: Delivery) {
  return {
    route: route.path,
    body: delivery.body,
    bodyIsBase64: delivery.bodyIsBase64,
    receivedAt: delivery.receivedAt,
  };
}

function headerOf(event: GatewayEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  return headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/** The type the sender claimed, for the quarantine listing; only read from an already parsed body. */
function sentEventType(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('event_type' in body)) return undefined;
  return typeof body.event_type === 'string' ? body.event_type.slice(0, 64) : undefined;
}

function errorName(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
