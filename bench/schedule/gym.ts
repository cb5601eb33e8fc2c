/**
 * The gym's side of the schedule run: its writes go through the gym API's handler (lib/gym-api), as
 * API Gateway hands a request to the deployed function, and its classes and slots look like a real
 * timetable's (local time with an offset, rooms, instructors).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { gymApiHandler } from '#lib/gym-api/handler';
import { toGatewayEvent } from '#lib/local/gateway-event';
import type { DynamoDbStore } from '#lib/store/dynamodb-store';

export interface GymAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export type GymApi = (method: string, path: string, body: unknown) => Promise<GymAnswer>;

/** The local Wellhub's default product: every class and slot is sold under it. */
export const PRODUCT = '100001';
export const HOUR_MS = 3_600_000;

export function gymApi(store: DynamoDbStore): GymApi {
  const handler = gymApiHandler(() => ({ store, now: () => new Date() }));
  return async (method, path, body) => {
    const event: APIGatewayProxyEventV2 = toGatewayEvent({
      method,
      url: path,
      headers: { 'content-type': 'application/json', host: 'bench.local' },
      body: Buffer.from(JSON.stringify(body), 'utf8'),
      sourceIp: '127.0.0.1',
      routePath: '/gym/{proxy+}',
    });
    const result = await handler(event);
    return { status: result.statusCode, body: JSON.parse(result.body) as Record<string, unknown> };
  };
}

export function classBody(gymId: string, name: string): Record<string, unknown> {
  return {
    gym_id: gymId,
    name,
    description: `${name}, 45 minutes`,
    product_id: PRODUCT,
    categories: [3],
  };
}

export function slotBody(
  classReference: string,
  startsAt: number,
  room: string,
  instructor: string,
): Record<string, unknown> {
  return {
    class_reference: classReference,
    occur_date: localTime(startsAt),
    length_in_minutes: 45,
    room,
    total_capacity: 20,
    booked_elsewhere: 2,
    instructors: [{ name: instructor, substitute: false }],
  };
}

/** `2026-12-10T18:00:00+01:00`: what a gym's system sends (CONTRACT §14 wants an offset). */
export function localTime(epochMs: number): string {
  const local = new Date(Math.floor(epochMs / 1000) * 1000 + HOUR_MS).toISOString().slice(0, 19);
  return `${local}+01:00`;
}

/** The next whole hour from now, plus `hours`: slots start on the hour, as timetables do. */
export function hoursFromNow(hours: number): number {
  return Math.ceil(Date.now() / HOUR_MS) * HOUR_MS + hours * HOUR_MS;
}

/** Probes until it answers something, or the limit passes (then undefined). */
export async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  limitMs: number,
  everyMs: number,
): Promise<T | undefined> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined || Date.now() >= deadline) return found;
    await sleep(everyMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
