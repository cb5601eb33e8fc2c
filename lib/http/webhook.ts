import { randomBytes } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy, { type MiddlewareObj, type Request } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { QuarantineRecord } from '#lib/bookings/records';
import { config } from '#lib/config';
import { BadRequest, InvalidSignature, PayloadTooLarge, Unavailable, WebhookError } from '#lib/errors';
import { type Inbox, receiveEvent } from '#lib/inbox/receive';
import { logger, metrics } from '#lib/log';
import { DynamoDbStore } from '#lib/store/dynamodb-store';
import { describeJsonError, parseWellhubEvent } from '#lib/wellhub/parse';
import { type EventType, type Route, routeOf } from '#lib/wellhub/routes';
import { verifySignature } from '#lib/wellhub/signature';
import { type SigningKeysSource, signingKeysSource } from '#lib/wellhub/signing-keys';
import { bodyBytes, type Delivery, deliveryOf, findDelivery, openDelivery, receiptOf } from './delivery';
import { errorName, type LoggedOutcome, recordRequest } from './request-log';
import { errorResponse, outcomeResponse, type Response } from './responses';

/** Wellhub's events are about 1 KiB; anything past this is not one of them (CONTRACT §5). */
export const MAX_BODY_BYTES = 64 * 1024;
/** A signed oversize body is still kept for on-call up to this size (a DynamoDB item holds 400 KB). */
const MAX_KEPT_BYTES = 256 * 1024;

export interface WebhookDeps {
  readonly inbox: Inbox & { quarantine(record: QuarantineRecord): Promise<void> };
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

type GatewayEvent = APIGatewayProxyEventV2;
type WebhookRequest = Request<GatewayEvent, Response, Error, Context>;

/**
 * The signature, not the Content-Type header, says the body is Wellhub's JSON. Middy 6 honours this
 * option but its type declarations omit it, hence a variable rather than a literal.
 */
const parseJsonWhateverTheContentType = { disableContentTypeCheck: true, disableContentTypeError: false };
let defaults: WebhookDeps | undefined;

/** Built once per Lambda container, outside the handler, so clients and caches are reused. */
export function defaultDeps(): WebhookDeps {
  defaults ??= {
    inbox: new DynamoDbStore({ tableName: config.tableName, timeoutMs: config.dynamoDbTimeoutMs }),
    ...configuredDeps(),
  };
  return defaults;
}

/** Everything but the store, from the configuration: for callers that bring a store of their own. */
export function configuredDeps(): Omit<WebhookDeps, 'inbox'> {
  return {
    keys: signingKeysSource(config),
    retentionDays: config.retentionDays,
    responseBudgetMs: config.responseBudgetMs,
    problems: config.problems,
  };
}

/**
 * The handler of one webhook route: verify the signature on the bytes as received, parse, store the
 * event for the pipeline with one conditional write, respond; one log line and one set of metrics per
 * request. Every failure maps to a status of CONTRACT §5, and a signed request that cannot be parsed
 * is quarantined, not lost.
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
        receiveEvent(deps.inbox, event, receiptOf(route, delivery), deps),
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
      openDelivery(request.event, request.context);
    },
    after: (request) => {
      const delivery = findDelivery(request.event);
      record(request, route, delivery, delivery?.outcome?.status ?? 'accepted');
    },
    onError: async (request) => {
      const delivery = findDelivery(request.event);
      const error = asWebhookError(request.error, delivery);
      let response = errorResponse(error);
      if (error instanceof BadRequest || error instanceof PayloadTooLarge) {
        response = (await quarantine(request, route, error, deps)) ?? response;
      }
      request.response = response;
      record(request, route, delivery, outcomeOf(error), error);
    },
  };
}

/** Size, then the HMAC over the raw bytes: nothing is parsed or stored for an unsigned request. */
function verifyBeforeParsing(deps: WebhookDeps): MiddlewareObj<GatewayEvent, Response, Error, Context> {
  return {
    before: async (request) => {
      if (deps.problems.length > 0) throw new Unavailable(`misconfigured: ${deps.problems.join('; ')}`);
      const delivery = deliveryOf(request.event);
      const bytes = bodyBytes(delivery);
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
  const delivery = findDelivery(request.event);
  if (!delivery?.verified) return undefined;
  const quarantineId = `${delivery.receivedAt.toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
  const sentType = sentEventType(request.event.body);
  try {
    await withinBudget(
      deps.inbox.quarantine({
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

function record(
  request: WebhookRequest,
  route: Route,
  delivery: Delivery | undefined,
  outcome: LoggedOutcome,
  error?: WebhookError,
): void {
  const statusCode = request.response?.statusCode ?? 503;
  recordRequest(
    { event: request.event, context: request.context, statusCode },
    route,
    delivery,
    outcome,
    error,
  );
}

/** Middy's JSON parser reports bad JSON as its own 415; everything unknown is our fault. */
function asWebhookError(error: unknown, delivery: Delivery | undefined): WebhookError {
  if (error instanceof WebhookError) return error;
  const cause =
    error instanceof Error ? (error.cause as { package?: string; message?: string } | undefined) : undefined;
  if (cause?.package === '@middy/http-json-body-parser') {
    const text = delivery ? bodyBytes(delivery).toString('utf8') : '';
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

function headerOf(event: GatewayEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  return headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/** The type the sender claimed, for the quarantine listing; only read from an already parsed body. */
function sentEventType(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('event_type' in body)) return undefined;
  return typeof body.event_type === 'string' ? body.event_type.slice(0, 64) : undefined;
}
