import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { type WebhookDeps, webhookHandler } from '#lib/http/webhook';
import { toGatewayEvent } from '#lib/local/gateway-event';
import { DynamoDbStore } from '#lib/store/dynamodb-store';
import { EVENT_TYPES, type EventType, routeOf } from '#lib/wellhub/routes';
import { type SigningKeys, signBody } from '#lib/wellhub/signature';
import type { SigningKeysSource } from '#lib/wellhub/signing-keys';
import type { WellhubClient } from '#lib/wellhub-api/client';
import { createTestTable } from './dynamodb';
import { startTestPipeline } from './pipeline';

export const SECRET = 'test-secret-current';
export const PREVIOUS_SECRET = 'test-secret-previous';

export interface Delivery {
  /** Raw body: an object is serialised compactly, exactly as Wellhub does. */
  readonly body: string | Buffer | Record<string, unknown>;
  /** Header value; default: the body signed with SECRET. `null` sends no header. */
  readonly signature?: string | null;
  readonly headers?: Record<string, string>;
}

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export type Harness = Awaited<ReturnType<typeof webhookHarness>>;

/**
 * The five real handlers over a fresh table in DynamoDB Local, a way to POST to them, and the
 * pipeline behind them: the worker on the table's stream, `drain()` to wait for it, and `sweep(at)`.
 */
export async function webhookHarness(
  options: {
    keys?: SigningKeys;
    source?: SigningKeysSource;
    retentionDays?: number;
    /** false: the worker is not started (see startTestPipeline). */
    stream?: boolean;
    /** Where the handlers' own DynamoDB client goes (a proxy, say); the harness's store goes direct. */
    inboxEndpoint?: string;
    /** For the jobs that call Wellhub (see startTestPipeline). */
    wellhub?: WellhubClient;
    horizonDays?: number;
    walkinValidation?: 'auto' | 'manual';
  } = {},
) {
  const tableName = await createTestTable();
  const store = new DynamoDbStore({ tableName, timeoutMs: 5000 });
  const inbox =
    options.inboxEndpoint === undefined
      ? store
      : new DynamoDbStore({ tableName, timeoutMs: 5000, client: { endpoint: options.inboxEndpoint } });
  const deps: WebhookDeps = {
    inbox,
    keys: options.source ?? {
      signingKeys: async () => options.keys ?? { current: SECRET, previous: PREVIOUS_SECRET },
    },
    retentionDays: options.retentionDays ?? 35,
    problems: [],
  };
  const handlers = new Map(EVENT_TYPES.map((type) => [type, webhookHandler(type, deps)]));
  const pipeline = await startTestPipeline(tableName, store, {
    ...(options.stream === undefined ? {} : { stream: options.stream }),
    ...(options.wellhub ? { wellhub: options.wellhub } : {}),
    ...(options.horizonDays ? { horizonDays: options.horizonDays } : {}),
    ...(options.walkinValidation ? { walkinValidation: options.walkinValidation } : {}),
  });

  async function deliver(type: EventType, delivery: Delivery): Promise<Answer> {
    const event = gatewayEvent(type, delivery);
    const handler = handlers.get(type);
    if (!handler) throw new Error(`no handler for ${type}`);
    const result = await handler(event, lambdaContext(type, event.requestContext.requestId));
    return { status: result.statusCode, body: JSON.parse(result.body) };
  }

  return { tableName, store, deps, deliver, ...pipeline };
}

export function bodyBytes(body: Delivery['body']): Buffer {
  if (Buffer.isBuffer(body)) return body;
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
}

export function gatewayEvent(type: EventType, delivery: Delivery): APIGatewayProxyEventV2 {
  const bytes = bodyBytes(delivery.body);
  const signature = delivery.signature === undefined ? signBody(bytes, SECRET) : delivery.signature;
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    ...(signature === null ? {} : { 'X-Gympass-Signature': signature }),
    ...delivery.headers,
  };
  const path = routeOf(type).path;
  return toGatewayEvent({
    method: 'POST',
    url: path,
    headers,
    body: bytes,
    sourceIp: '203.0.113.7',
    routePath: path,
  });
}

export function lambdaContext(type: EventType, requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: routeOf(type).functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${type}`,
    memoryLimitInMB: '512',
    awsRequestId: `lambda-${requestId}`,
    logGroupName: `/aws/lambda/${type}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
