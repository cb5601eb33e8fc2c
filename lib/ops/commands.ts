import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { QuarantineRecord } from '#lib/bookings/records';
import { bookingView, ordered } from '#lib/gym-api/views';
import { configuredDeps, type WebhookDeps, webhookHandler } from '#lib/http/webhook';
import { type DynamoDbStore, LinkRefused } from '#lib/store/dynamodb-store';
import { ROUTES } from '#lib/wellhub/routes';
import { signBody } from '#lib/wellhub/signature';

// Other ops modules order their records the way the gym API does.
export { ordered };

/** A command that ran but has nothing to show or was refused: exit 1 with the message on stderr. */
export class OpsRefused extends Error {
  override readonly name = 'OpsRefused';
}

export interface OpsContext {
  readonly store: DynamoDbStore;
  /** What a replay runs with; the deployed functions' own settings unless a test says otherwise. */
  readonly webhook?: Omit<WebhookDeps, 'inbox'>;
}

// DynamoDB returns attributes in no particular order; on-call reads the identity first.
const CUSTOMER_ORDER = ['customer_id', 'wellhub_ids', 'name', 'email', 'phone'];

/** The booking's whole story, exactly as the gym API shows it (CONTRACT §6). */
export async function booking({ store }: OpsContext, bookingNumber: string) {
  const record = (await store.getBooking(bookingNumber)) ?? refuse(`no booking ${bookingNumber}`);
  return bookingView(record);
}

export async function customer({ store }: OpsContext, wellhubId: string) {
  const record =
    (await store.getCustomerByWellhubId(wellhubId)) ?? refuse(`no customer with Wellhub ID ${wellhubId}`);
  return ordered(record, CUSTOMER_ORDER);
}

/** Quarantined requests still waiting for a replay (all of them with `--all`), oldest first. */
export async function quarantine({ store }: OpsContext, options: { all: boolean }) {
  const records = await store.listQuarantine();
  return records
    .filter((record) => options.all || record.replayed_at === undefined)
    .map(({ raw_body, raw_body_base64, ...listed }) => ({
      ...listed,
      body_bytes: Buffer.byteLength(raw_body, raw_body_base64 ? 'base64' : 'utf8'),
    }));
}

/**
 * Runs a quarantined request through the very handler that refused it, signed afresh with the
 * current secret, and marks the quarantine record with what happened. A request that fails again
 * is quarantined again under a new id, with the new reason.
 */
export async function replay({ store, webhook = configuredDeps() }: OpsContext, quarantineId: string) {
  const record =
    (await store.getQuarantine(quarantineId)) ?? refuse(`no quarantined request ${quarantineId}`);
  if (record.replayed_at !== undefined) {
    refuse(`${quarantineId} was already replayed at ${record.replayed_at} (${record.replay_outcome})`);
  }
  const route =
    ROUTES.find((candidate) => candidate.path === record.route) ?? refuse(`unknown route ${record.route}`);
  const keys = await webhook.keys.signingKeys();
  const handler = webhookHandler(route.eventType, { ...webhook, inbox: store });
  const response = await handler(
    replayEvent(record, signBody(bodyBytes(record), keys.current)),
    replayContext(route.functionName),
  );
  const answer: unknown = JSON.parse(response.body);
  const outcome =
    response.statusCode === 200
      ? String((answer as { status?: unknown }).status)
      : `failed ${response.statusCode}`;
  await store.markReplayed(quarantineId, outcome, new Date());
  return { quarantine_id: quarantineId, status: response.statusCode, response: answer };
}

export async function link({ store }: OpsContext, customerId: string, wellhubId: string) {
  try {
    await store.linkWellhubId(customerId, wellhubId, new Date());
  } catch (error) {
    if (error instanceof LinkRefused) refuse(error.message);
    throw error;
  }
  return { customer_id: customerId, wellhub_id: wellhubId, linked: true };
}

export function refuse(message: string): never {
  throw new OpsRefused(message);
}

function bodyBytes(record: QuarantineRecord): Buffer {
  return Buffer.from(record.raw_body, record.raw_body_base64 ? 'base64' : 'utf8');
}

function replayEvent(record: QuarantineRecord, signature: string): APIGatewayProxyEventV2 {
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `POST ${record.route}`,
    rawPath: record.route,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'x-gympass-signature': signature },
    body: record.raw_body,
    isBase64Encoded: record.raw_body_base64,
    requestContext: {
      accountId: 'ops',
      apiId: 'ops',
      domainName: 'ops',
      domainPrefix: 'ops',
      http: {
        method: 'POST',
        path: record.route,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'wellhub-ops',
      },
      requestId: `replay-${record.quarantine_id}`,
      routeKey: `POST ${record.route}`,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
  };
}

function replayContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: 'ops',
    invokedFunctionArn: `ops:${functionName}`,
    memoryLimitInMB: '0',
    awsRequestId: `ops-${Date.now()}`,
    logGroupName: 'ops',
    logStreamName: 'ops',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
