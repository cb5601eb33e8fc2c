import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { BadRequest, NotFound, Unavailable, WebhookError } from '#lib/errors';
import { errorResponse, json, type Response } from '#lib/http/responses';
import { cancelBookingByGym } from '#lib/jobs/booking-changes';
import { logger } from '#lib/log';
import { parseInput } from '#lib/schedule/input';
import * as schedule from '#lib/schedule/service';
import type { DynamoDbStore } from '#lib/store/dynamodb-store';
import { bookingView, classView, signInList, slotView } from './views';

/**
 * The gym API (CONTRACT §14): the gym's own system, or on-call, writes its schedule and reads its
 * bookings. Deployed, API Gateway admits only IAM-signed calls; locally, `npm start` checks a bearer
 * token before a request reaches this handler.
 */
export interface GymApiDeps {
  readonly store: DynamoDbStore;
  readonly now: () => Date;
}

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly name: string;
  readonly run: (deps: GymApiDeps, params: string[], request: GymRequest) => Promise<[number, unknown]>;
}

interface GymRequest {
  readonly body: () => unknown;
  /** For routes whose body may be left out: undefined when it is empty. */
  readonly optionalBody: () => unknown;
  readonly query: Readonly<Record<string, string | undefined>>;
}

const ROUTES: readonly Route[] = [
  {
    method: 'PUT',
    pattern: /^\/gym\/classes\/([^/]+)$/,
    name: 'PUT /gym/classes/{reference}',
    run: async (deps, [ref], request) => {
      const { record } = await schedule.putClass(scheduleDeps(deps), ref, request.body());
      return [200, classView(record)];
    },
  },
  {
    method: 'GET',
    pattern: /^\/gym\/classes\/([^/]+)$/,
    name: 'GET /gym/classes/{reference}',
    run: async (deps, [ref]) => [200, classView(await schedule.getClass(scheduleDeps(deps), ref))],
  },
  {
    method: 'GET',
    pattern: /^\/gym\/slots$/,
    name: 'GET /gym/slots',
    run: async (deps, _params, request) => {
      const { gym_id: gymId, from, to } = request.query;
      if (!gymId) throw new BadRequest('missing_field', 'gym_id is required in the query string');
      const range = [from, to].map((value, n) => {
        const at = value === undefined ? Number.NaN : Date.parse(value);
        if (Number.isNaN(at)) {
          throw new BadRequest('invalid_field', `${n === 0 ? 'from' : 'to'} must be an ISO 8601 date-time`);
        }
        return new Date(at);
      });
      const slots = await deps.store.schedule.slotsOfGym(gymId, range[0] as Date, range[1] as Date);
      return [200, { slots: slots.map(slotView) }];
    },
  },
  {
    method: 'PUT',
    pattern: /^\/gym\/slots\/([^/]+)$/,
    name: 'PUT /gym/slots/{reference}',
    run: async (deps, [ref], request) => {
      const { record } = await schedule.putSlot(scheduleDeps(deps), ref, request.body());
      return [200, slotView(record)];
    },
  },
  {
    method: 'PATCH',
    pattern: /^\/gym\/slots\/([^/]+)$/,
    name: 'PATCH /gym/slots/{reference}',
    run: async (deps, [ref], request) => {
      const { record } = await schedule.patchSlot(scheduleDeps(deps), ref, request.body());
      return [200, slotView(record)];
    },
  },
  {
    method: 'GET',
    pattern: /^\/gym\/slots\/([^/]+)$/,
    name: 'GET /gym/slots/{reference}',
    run: async (deps, [ref]) => {
      const slot = await schedule.getSlot(scheduleDeps(deps), ref);
      return [200, { ...slotView(slot), bookings: await signInList(deps.store, slot) }];
    },
  },
  {
    method: 'POST',
    pattern: /^\/gym\/slots\/([^/]+)\/cancel$/,
    name: 'POST /gym/slots/{reference}/cancel',
    run: async (deps, [ref]) => {
      const { record } = await schedule.cancelSlot(scheduleDeps(deps), ref);
      return [200, slotView(record)];
    },
  },
  {
    method: 'GET',
    pattern: /^\/gym\/bookings\/([^/]+)$/,
    name: 'GET /gym/bookings/{booking_number}',
    run: async (deps, [bookingNumber]) => {
      const booking = await deps.store.getBooking(decodeURIComponent(bookingNumber ?? ''));
      return [200, bookingView(schedule.found(booking, `booking ${bookingNumber}`))];
    },
  },
  {
    method: 'POST',
    pattern: /^\/gym\/bookings\/([^/]+)\/cancel$/,
    name: 'POST /gym/bookings/{booking_number}/cancel',
    run: async (deps, [bookingNumber = ''], request) => {
      const body = request.optionalBody();
      const reason = body === undefined ? undefined : parseBookingCancel(body);
      const bookings = { bookings: deps.store.bookings };
      const result = await cancelBookingByGym(bookings, bookingNumber, deps.now(), reason);
      if (result.kind === 'not_found') throw new NotFound(`no booking ${bookingNumber}`);
      // Its own code, not the generic `conflict`: the gym's system can act on it without reading prose.
      if (result.kind === 'refused') return [409, { error: 'not_reserved', message: result.message }];
      return [200, bookingView(result.booking)];
    },
  },
];

/** What the member reads in the app when the gym cancels their booking; Wellhub shows it as is. */
const bookingCancelSchema = z.strictObject({
  reason: z
    .string({ error: 'must be text' })
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters')
    .optional(),
});

/** The reason of a cancellation by the gym (`{"reason": …}`, or `{}`), or a 400 naming what is wrong. */
export function parseBookingCancel(body: unknown): string | undefined {
  return parseInput(bookingCancelSchema, body).reason;
}

function scheduleDeps(deps: GymApiDeps): schedule.ScheduleDeps {
  return { schedule: deps.store.schedule, now: deps.now };
}

/** Answers one request; never throws: bad input is a 4xx naming the field, our fault a 503. */
export function gymApiHandler(deps: () => GymApiDeps) {
  return async (event: APIGatewayProxyEventV2): Promise<Response> => {
    const started = performance.now();
    const method = event.requestContext.http.method.toUpperCase();
    // Locally the API may sit under any prefix; deployed, the path starts at /gym.
    const path = event.rawPath.replace(/^.*?(?=\/gym(\/|$))/, '');
    let route: Route | undefined;
    let response: Response;
    try {
      const matches = ROUTES.filter((candidate) => candidate.pattern.test(path));
      route = matches.find((candidate) => candidate.method === method);
      if (matches.length === 0) throw new NotFound(`no gym API route ${path}`);
      if (route === undefined) {
        response = json(405, { error: 'method_not_allowed', message: `${method} is not allowed on ${path}` });
      } else {
        const params = (route.pattern.exec(path) ?? []).slice(1).map((p) => decodeURIComponent(p));
        const [status, body] = await route.run(deps(), params, {
          body: () => parseBody(event),
          optionalBody: () => (bodyText(event).trim() === '' ? undefined : parseBody(event)),
          query: event.queryStringParameters ?? {},
        });
        response = json(status, body as Record<string, unknown>);
      }
    } catch (error) {
      if (error instanceof WebhookError) response = errorResponse(error);
      else {
        logger.error('gym api failed', {
          route: route?.name,
          error: error instanceof Error ? error.name : 'unknown',
        });
        response = errorResponse(new Unavailable('gym API failed'));
      }
      if (error instanceof Unavailable)
        logger.error('gym api unavailable', { route: route?.name, error: error.message });
    }
    logger.info('gym api', {
      method,
      route: route?.name ?? path,
      status: response.statusCode,
      latency_ms: Math.round(performance.now() - started),
    });
    return response;
  };
}

function bodyText(event: APIGatewayProxyEventV2): string {
  const raw = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
}

function parseBody(event: APIGatewayProxyEventV2): unknown {
  const text = bodyText(event);
  if (text.trim() === '') throw new BadRequest('invalid_body', 'the body must be a JSON object');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BadRequest('invalid_json', `the body is not valid JSON: ${(error as Error).message}`);
  }
}
