/**
 * The gym's schedule end to end below `npm start`: the gym API handler, the webhook handlers and the
 * pipeline over a fresh table in DynamoDB Local, publishing to a local Wellhub over real HTTP.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { gymApiHandler } from '#lib/gym-api/handler';
import { toGatewayEvent } from '#lib/local/gateway-event';
import type { RecordedCall } from '#lib/local-wellhub/control';
import { webhookHarness } from './harness';
import { GYM, localWellhub, PRODUCT, withOffset } from './local-wellhub';

export interface GymAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export async function scheduleHarness(
  options: { horizonDays?: number; timeoutMs?: number; walkinValidation?: 'auto' | 'manual' } = {},
) {
  const { wellhub, client, raw } = await localWellhub();
  const harness = await webhookHarness({
    wellhub: client(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.horizonDays ? { horizonDays: options.horizonDays } : {}),
    ...(options.walkinValidation ? { walkinValidation: options.walkinValidation } : {}),
  });
  const handler = gymApiHandler(() => ({ store: harness.store, now: () => new Date() }));

  /** One gym API request, as API Gateway hands it to the function. */
  async function gym(method: string, path: string, body?: unknown): Promise<GymAnswer> {
    const event: APIGatewayProxyEventV2 = toGatewayEvent({
      method,
      url: path,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)),
      sourceIp: '127.0.0.1',
      routePath: '/gym/{proxy+}',
    });
    const result = await handler(event);
    return { status: result.statusCode, body: JSON.parse(result.body) };
  }

  /** The calls the service made to the local Wellhub's partner API, oldest first. */
  function callsTo(method?: string, pathPart = '/booking/'): RecordedCall[] {
    return wellhub.calls.filter(
      (call) => call.path.includes(pathPart) && (method === undefined || call.method === method),
    );
  }

  async function close(): Promise<void> {
    await harness.stopStream();
    await wellhub.close();
  }

  return { ...harness, wellhub, raw, gym, callsTo, close };
}

export type ScheduleHarness = Awaited<ReturnType<typeof scheduleHarness>>;

export function classBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    gym_id: String(GYM),
    name: 'Cycle',
    description: 'Indoor cycling, 45 minutes',
    notes: 'Bring a towel',
    product_id: PRODUCT,
    categories: [3],
    ...overrides,
  };
}

/** A slot of `classReference`, `hoursAhead` from now, in local time with an offset. */
export function slotBody(
  classReference: string,
  overrides: Record<string, unknown> = {},
  hoursAhead = 26,
): Record<string, unknown> {
  return {
    class_reference: classReference,
    occur_date: withOffset(Date.now() + hoursAhead * 3_600_000, '+01:00'),
    length_in_minutes: 45,
    room: 'Studio 1',
    total_capacity: 12,
    booked_elsewhere: 2,
    instructors: [{ name: 'Ana', substitute: false }],
    ...overrides,
  };
}

let counter = 0;
/** A reference no other test of the run uses (Wellhub's 20-character limit). */
export function uniqueRef(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid % 1000}-${counter}`.slice(0, 20);
}
