import * as z from 'zod/mini';
import { BadRequest } from '#lib/errors';
import { canonicalEventType, EVENT_TYPES, type Route, routeOf } from '#lib/wellhub/routes';
import type {
  BookingCanceled,
  BookingLateCanceled,
  BookingRequested,
  Checkin,
  CheckinBookingOccurred,
  Location,
  Person,
  Product,
  Slot,
  WellhubEvent,
} from '#lib/wellhub/wellhub-event';

/**
 * Validation and normalisation of the five Wellhub webhook bodies (CONTRACT §3). The zod schemas
 * describe the payload as Wellhub sends it; their transforms already turn IDs into strings and times
 * into ISO-8601, so the mapping to `WellhubEvent` below only renames fields and picks sources.
 *
 * JSON `null` counts as absent everywhere: a required field sent as null is `missing_field`, an
 * optional one is ignored. Senders that serialise every property (Java, C#) send nulls for the
 * optional ones, and refusing those would lose bookings that have a 15-minute answer window.
 */

const REQUIRED = 'is required';
const MAX_ID_LENGTH = 256;
const MAX_DATE_MS = 8.64e15;
/** Below this a timestamp is read as seconds, from it on as milliseconds (CONTRACT §3). */
const MILLISECONDS_FROM = 1e12;

/** A type name for messages: never the value itself, which may be personal. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isInteger(value)) return 'non-integer number';
  return typeof value;
}

function expected(what: string) {
  return {
    error: (issue: { readonly input?: unknown }) =>
      issue.input == null ? REQUIRED : `must be ${what}, got ${kindOf(issue.input)}`,
  };
}

function idProblem(value: string | number): string | undefined {
  if (typeof value === 'string') {
    if (value.length === 0) return 'must not be empty';
    if (value.trim().length === 0) return 'must not be blank';
    if (value.length > MAX_ID_LENGTH)
      return `must be at most ${MAX_ID_LENGTH} characters, got ${value.length}`;
    return undefined;
  }
  if (!Number.isInteger(value))
    return 'must be a string or an integer, got non-integer number; send it as a string';
  // Refuse rather than store an ID whose digits JSON.parse has already rounded away.
  if (!Number.isSafeInteger(value))
    return 'is a number too large to keep exactly (above 2^53 - 1); send it as a string';
  return undefined;
}

/** An ID as sent: a non-empty string kept verbatim, or a safe integer stringified. */
const WellhubId = z.pipe(
  z.union([z.string(), z.number()], expected('a string or an integer')),
  z.transform((value: string | number, ctx) => {
    const problem = idProblem(value);
    if (problem === undefined) return String(value);
    ctx.issues.push({ code: 'custom', message: problem, input: value });
    return z.NEVER;
  }),
);

function epochMilliseconds(value: number | string): number | string {
  const numeric = typeof value === 'number' ? value : /^\d+(\.\d+)?$/.test(value) ? Number(value) : undefined;
  if (numeric === undefined)
    return 'must be a number of seconds or milliseconds since 1970, got non-numeric string';
  if (!(numeric > 0)) return 'must be a positive number of seconds or milliseconds since 1970';
  const ms = Math.round(numeric < MILLISECONDS_FROM ? numeric * 1000 : numeric);
  if (ms > MAX_DATE_MS) return 'is out of range for a date';
  return ms;
}

/** A point in time in seconds or milliseconds (numeric strings too), as ISO-8601 UTC. */
const Timestamp = z.pipe(
  z.union([z.number(), z.string()], expected('a number of seconds or milliseconds since 1970')),
  z.transform((value: number | string, ctx) => {
    const ms = epochMilliseconds(value);
    if (typeof ms === 'number') return new Date(ms).toISOString();
    ctx.issues.push({ code: 'custom', message: ms, input: value });
    return z.NEVER;
  }),
);

const Text = z.string(expected('a string'));

const GeoPoint = z.object(
  { lat: z.number(expected('a number')), lon: z.number(expected('a number')) },
  expected('an object'),
);

const ProductPayload = z.object(
  {
    id: z.nullish(WellhubId),
    description: z.nullish(Text),
    pass_type_number: z.nullish(z.int(expected('an integer'))),
  },
  expected('an object'),
);

const EventIds = { event_id: z.nullish(WellhubId), _event_id: z.nullish(WellhubId) };

const BookingSlot = z.object(
  { id: WellhubId, gym_id: WellhubId, class_id: z.nullish(WellhubId), booking_number: WellhubId },
  expected('an object'),
);

interface TimedData {
  readonly timestamp?: string | null | undefined;
  readonly _event_time?: string | null | undefined;
}

const bookingData = <U extends z.core.$ZodLooseShape>(userShape: U) =>
  z.pipe(
    z.object(
      {
        user: z.object({ unique_token: WellhubId, ...userShape }, expected('an object')),
        slot: BookingSlot,
        timestamp: z.nullish(Timestamp),
        _event_time: z.nullish(Timestamp),
        event_id: z.nullish(WellhubId),
      },
      expected('an object'),
    ),
    // The reference documents `_event_time` while its examples send `timestamp`: either will do.
    z.transform(<T extends TimedData>(data: T, ctx: z.core.ParsePayload) => {
      const occurredAt = data.timestamp ?? data._event_time;
      if (occurredAt != null) return { ...data, occurredAt };
      ctx.issues.push({ code: 'custom', path: ['timestamp'], message: REQUIRED, input: undefined });
      return z.NEVER;
    }),
  );

const BookingRequestedPayload = z.object({
  event_data: bookingData({ name: z.nullish(Text), email: z.nullish(Text), phone_number: z.nullish(Text) }),
  ...EventIds,
});

/** Shared by the two cancellations, which carry no personal fields worth reading. */
const BookingCancellationPayload = z.object({ event_data: bookingData({}), ...EventIds });

const CheckinBookingOccurredPayload = z.object({
  event_data: z.object(
    {
      booking: z.object({ booking_number: WellhubId }, expected('an object')),
      user: z.object({ unique_token: WellhubId }, expected('an object')),
      gym: z.object(
        { id: WellhubId, title: z.nullish(Text), product: z.nullish(ProductPayload) },
        expected('an object'),
      ),
      timestamp: Timestamp,
      product: z.nullish(ProductPayload),
      location: z.nullish(GeoPoint),
      coordinates: z.nullish(GeoPoint),
      expires_at: z.nullish(Timestamp),
      event_id: z.nullish(WellhubId),
    },
    expected('an object'),
  ),
  ...EventIds,
});

/** Validated against a view of the body in which each field comes from `event_data` or the top level. */
const CheckinPayload = z.object({
  event_data: z.nullish(z.object({ event_id: z.nullish(WellhubId) }, expected('an object'))),
  user: z.object(
    {
      unique_token: WellhubId,
      first_name: z.nullish(Text),
      last_name: z.nullish(Text),
      email: z.nullish(Text),
      phone_number: z.nullish(Text),
    },
    expected('an object'),
  ),
  gym: z.object(
    { id: WellhubId, title: z.nullish(Text), product: z.nullish(ProductPayload) },
    expected('an object'),
  ),
  timestamp: Timestamp,
  location: z.nullish(GeoPoint),
  ...EventIds,
});

type BookingRequestedPayload = z.infer<typeof BookingRequestedPayload>;
type BookingCancellationPayload = z.infer<typeof BookingCancellationPayload>;
type CheckinBookingOccurredPayload = z.infer<typeof CheckinBookingOccurredPayload>;
type CheckinPayload = z.infer<typeof CheckinPayload>;
type ProductPayload = z.infer<typeof ProductPayload>;
type GeoPoint = z.infer<typeof GeoPoint>;

const CHECKIN_FIELDS = ['user', 'gym', 'timestamp', 'location'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own properties only, so that `constructor`, `__proto__` and friends are never read from a prototype. */
function ownValue(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Optional text: absent when null, empty or only whitespace. */
function text(value: string | null | undefined): string | undefined {
  return value == null || value.trim() === '' ? undefined : value;
}

function firstPresent<T>(...values: Array<T | null | undefined>): T | undefined {
  return values.find((value): value is T => value != null);
}

interface Failure {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly input?: unknown;
}

function badRequestFrom(
  issue: Failure | undefined,
  prefix: (path: readonly PropertyKey[]) => string = () => '',
): BadRequest {
  if (issue === undefined) return new BadRequest('invalid_body', 'the body is not a valid Wellhub event');
  const path = prefix(issue.path) + issue.path.map(String).join('.');
  const missing = issue.input == null;
  return new BadRequest(missing ? 'missing_field' : 'invalid_field', `${path || 'body'} ${issue.message}`);
}

function validate<S extends z.ZodMiniType>(
  schema: S,
  input: Record<string, unknown>,
  prefix?: (path: readonly PropertyKey[]) => string,
): z.infer<S> {
  // reportInput keeps each issue's input so that "absent" and "wrong type" can be told apart.
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw badRequestFrom(result.error.issues[0], prefix);
}

function product(payload: ProductPayload | null | undefined): Product | undefined {
  if (payload == null) return undefined;
  const id = payload.id ?? undefined;
  const description = text(payload.description);
  const passTypeNumber = payload.pass_type_number ?? undefined;
  if (id === undefined && description === undefined && passTypeNumber === undefined) return undefined;
  return {
    ...(id === undefined ? {} : { id }),
    ...(description === undefined ? {} : { description }),
    ...(passTypeNumber === undefined ? {} : { passTypeNumber }),
  };
}

function location(payload: GeoPoint | null | undefined): Location | undefined {
  return payload == null ? undefined : { lat: payload.lat, lon: payload.lon };
}

function person(
  name: string | undefined,
  email: string | null | undefined,
  phone: string | null | undefined,
): Person {
  const mail = text(email);
  const phoneNumber = text(phone);
  return {
    ...(name === undefined ? {} : { name }),
    ...(mail === undefined ? {} : { email: mail }),
    ...(phoneNumber === undefined ? {} : { phone: phoneNumber }),
  };
}

function eventIdOf(payload: {
  readonly event_data?: { readonly event_id?: string | null | undefined } | null | undefined;
  readonly event_id?: string | null | undefined;
  readonly _event_id?: string | null | undefined;
}): { eventId?: string } {
  const eventId = firstPresent(payload.event_data?.event_id, payload.event_id, payload._event_id);
  return eventId === undefined ? {} : { eventId };
}

function slot(payload: BookingCancellationPayload['event_data']['slot']): Slot {
  return {
    id: payload.id,
    ...(payload.class_id == null ? {} : { classId: payload.class_id }),
    bookingNumber: payload.booking_number,
  };
}

function bookingRequested(body: Record<string, unknown>): BookingRequested {
  const payload: BookingRequestedPayload = validate(BookingRequestedPayload, body);
  const { user } = payload.event_data;
  return {
    type: 'booking-requested',
    ...eventIdOf(payload),
    occurredAt: payload.event_data.occurredAt,
    wellhubId: user.unique_token,
    gymId: payload.event_data.slot.gym_id,
    slot: slot(payload.event_data.slot),
    person: person(text(user.name), user.email, user.phone_number),
  };
}

function bookingCancellation(
  type: 'booking-canceled' | 'booking-late-canceled',
  body: Record<string, unknown>,
): BookingCanceled | BookingLateCanceled {
  const payload: BookingCancellationPayload = validate(BookingCancellationPayload, body);
  return {
    type,
    ...eventIdOf(payload),
    occurredAt: payload.event_data.occurredAt,
    wellhubId: payload.event_data.user.unique_token,
    gymId: payload.event_data.slot.gym_id,
    slot: slot(payload.event_data.slot),
  };
}

function checkinBookingOccurred(body: Record<string, unknown>): CheckinBookingOccurred {
  const payload: CheckinBookingOccurredPayload = validate(CheckinBookingOccurredPayload, body);
  const data = payload.event_data;
  const gymTitle = text(data.gym.title);
  // The reference's example nests product and location one way, its field table the other way.
  const productOut = product(data.gym.product) ?? product(data.product);
  const locationOut = location(data.location) ?? location(data.coordinates);
  return {
    type: 'checkin-booking-occurred',
    ...eventIdOf(payload),
    occurredAt: data.timestamp,
    wellhubId: data.user.unique_token,
    gymId: data.gym.id,
    bookingNumber: data.booking.booking_number,
    ...(gymTitle === undefined ? {} : { gymTitle }),
    ...(productOut === undefined ? {} : { product: productOut }),
    ...(locationOut === undefined ? {} : { location: locationOut }),
    ...(data.expires_at == null ? {} : { expiresAt: data.expires_at }),
  };
}

/**
 * Some senders nest the check-in fields under `event_data`, others put them at the top level. Each
 * field is taken from `event_data` when it is there, else from the top level; errors name the place
 * the field was taken from (or `event_data` when it is missing from both and `event_data` exists).
 */
function checkinView(body: Record<string, unknown>): {
  view: Record<string, unknown>;
  prefix: (path: readonly PropertyKey[]) => string;
} {
  const eventData = ownValue(body, 'event_data');
  const nested = isRecord(eventData) ? eventData : undefined;
  const view: Record<string, unknown> = {
    event_data: eventData,
    event_id: ownValue(body, 'event_id'),
    _event_id: ownValue(body, '_event_id'),
  };
  const fromEventData = new Set<PropertyKey>();
  for (const field of CHECKIN_FIELDS) {
    const inner = nested === undefined ? undefined : ownValue(nested, field);
    const outer = ownValue(body, field);
    if (nested !== undefined && (inner != null || outer == null)) {
      view[field] = inner;
      fromEventData.add(field);
    } else {
      view[field] = outer;
    }
  }
  return {
    view,
    prefix: (path) => (path[0] !== undefined && fromEventData.has(path[0]) ? 'event_data.' : ''),
  };
}

function checkin(body: Record<string, unknown>): Checkin {
  const { view, prefix } = checkinView(body);
  const payload: CheckinPayload = validate(CheckinPayload, view, prefix);
  const { user, gym } = payload;
  const name = [text(user.first_name), text(user.last_name)]
    .filter((part) => part !== undefined)
    .map((part) => part.trim())
    .join(' ');
  const gymTitle = text(gym.title);
  const productOut = product(gym.product);
  const locationOut = location(payload.location);
  return {
    type: 'checkin',
    ...eventIdOf(payload),
    occurredAt: payload.timestamp,
    wellhubId: user.unique_token,
    gymId: gym.id,
    person: person(name === '' ? undefined : name, user.email, user.phone_number),
    ...(gymTitle === undefined ? {} : { gymTitle }),
    ...(productOut === undefined ? {} : { product: productOut }),
    ...(locationOut === undefined ? {} : { location: locationOut }),
  };
}

/** Event types are ours, not personal, but still arbitrary input: quote and shorten before echoing. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

function accepts(route: Route): string {
  return [route.eventType, ...route.aliases].join(' or ');
}

/**
 * Validates an already JSON-parsed body that arrived on `route` and returns it normalised, or throws
 * `BadRequest` naming the first problem found (fields in schema order, JSON path in the message).
 */
export function parseWellhubEvent(route: Route, body: unknown): WellhubEvent {
  if (!isRecord(body))
    throw new BadRequest('invalid_body', `the body must be a JSON object, got ${kindOf(body)}`);

  const sent = ownValue(body, 'event_type');
  if (sent == null) throw new BadRequest('missing_field', `event_type ${REQUIRED}`);
  if (typeof sent !== 'string')
    throw new BadRequest('invalid_field', `event_type must be a string, got ${kindOf(sent)}`);
  const type = canonicalEventType(sent);
  if (type === undefined) {
    // The sender's value goes back to the sender and into quarantine, never into a log line: it is
    // arbitrary input and may be anything, a name or an email included.
    throw new BadRequest(
      'unknown_event_type',
      `event_type ${quoted(sent)} is not a known Wellhub event type (expected one of ${EVENT_TYPES.join(', ')})`,
      { logMessage: `event_type (${sent.length} characters) is not a known Wellhub event type` },
    );
  }
  if (type !== route.eventType) {
    throw new BadRequest(
      'wrong_route',
      `event_type ${quoted(sent)} cannot be sent to ${route.path}, which accepts ${accepts(route)}; send it to ${routeOf(type).path}`,
    );
  }

  switch (type) {
    case 'booking-requested':
      return bookingRequested(body);
    case 'booking-canceled':
    case 'booking-late-canceled':
      return bookingCancellation(type, body);
    case 'checkin-booking-occurred':
      return checkinBookingOccurred(body);
    case 'checkin':
      return checkin(body);
  }
}

const EXCERPT_RADIUS = 10;

/**
 * Where JSON.parse would first fail in `text`, for engines whose message carries no position
 * (V8 says `Unexpected token 'x', "…" is not valid JSON` for some errors). Iterative, so deep
 * nesting cannot overflow the stack. Returns undefined when the text is valid JSON.
 */
function syntaxErrorOffset(text: string): number | undefined {
  let i = 0;
  const stack: Array<'{' | '['> = [];
  const skipWhitespace = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r'))
      i++;
  };
  const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  const digits = (): boolean => {
    if (!isDigit(text[i])) return false;
    while (isDigit(text[i])) i++;
    return true;
  };
  const string = (): boolean => {
    if (text[i] !== '"') return false;
    i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        i++;
        const escaped = text[i];
        if (escaped === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (!/^[0-9a-fA-F]$/.test(text[i] ?? '')) return false;
          }
        } else if (escaped === undefined || !'"\\/bfnrt'.includes(escaped)) {
          return false;
        }
      }
      i++;
    }
    return false;
  };
  const number = (): boolean => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (!digits()) return false;
    if (text[i] === '.') {
      i++;
      if (!digits()) return false;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!digits()) return false;
    }
    return true;
  };
  const literal = (word: string): boolean => {
    for (const c of word) {
      if (text[i] !== c) return false;
      i++;
    }
    return true;
  };
  const key = (): boolean => {
    skipWhitespace();
    if (!string()) return false;
    skipWhitespace();
    if (text[i] !== ':') return false;
    i++;
    return true;
  };

  for (;;) {
    skipWhitespace();
    const c = text[i];
    if (c === '{') {
      i++;
      skipWhitespace();
      if (text[i] === '}') i++;
      else {
        stack.push('{');
        if (!key()) return i;
        continue;
      }
    } else if (c === '[') {
      i++;
      skipWhitespace();
      if (text[i] === ']') i++;
      else {
        stack.push('[');
        continue;
      }
    } else if (c === '"') {
      if (!string()) return i;
    } else if (c === 't' || c === 'f' || c === 'n') {
      if (!literal(c === 't' ? 'true' : c === 'f' ? 'false' : 'null')) return i;
    } else if (!number()) {
      return i;
    }

    // After a value: close containers or move to the next element.
    for (;;) {
      skipWhitespace();
      const open = stack.at(-1);
      if (open === undefined) return i < text.length ? i : undefined;
      if (text[i] === ',') {
        i++;
        if (open === '{' && !key()) return i;
        break;
      }
      if (text[i] !== (open === '{' ? '}' : ']')) return i;
      stack.pop();
      i++;
    }
  }
}

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: position - lineStart + 1 };
}

/** V8's reason without its position suffix or its echo of the body. */
function reasonOf(message: string): string {
  const reason = message
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/, (\.\.\.)?".*$/s, '')
    .replace(/ \(line \d+ column \d+\)$/, '')
    .trim();
  if (reason === '' || reason.length > 80) return 'invalid JSON';
  return escapeControls(reason.charAt(0).toLowerCase() + reason.slice(1));
}

/** V8 names a newline or control character as the unexpected token: keep the message on one line. */
function escapeControls(text: string): string {
  return [...text]
    .map((c) => (c.charCodeAt(0) < 0x20 || c === '\u007f' ? JSON.stringify(c).slice(1, -1) : c))
    .join('');
}

/**
 * A short, safe description of why `text` is not JSON, for `invalid_json` 400s: the reason, the
 * position with line:column, and at most 20 characters of the body around it.
 */
export function describeJsonError(error: unknown, text: string, options: { excerpt?: boolean } = {}): string {
  const message = error instanceof Error ? error.message : '';
  const reported = /at position (\d+)/.exec(message)?.[1];
  const position = Math.min(
    reported === undefined ? (syntaxErrorOffset(text) ?? text.length) : Number(reported),
    text.length,
  );
  const { line, column } = lineAndColumn(text, position);
  const where = position >= text.length ? 'at the end of the body' : `at line ${line}, column ${column}`;
  const excerpt = text
    .slice(Math.max(0, position - EXCERPT_RADIUS), position + EXCERPT_RADIUS)
    .replace(/\s+/g, ' ')
    .trim();
  // A leading zero is the reference's own mistake (`"id": 01234567`): say how to fix it.
  const hint =
    text[position - 1] === '0' && /[0-9]/.test(text[position] ?? '')
      ? '; numbers cannot have leading zeros, send such IDs as strings'
      : '';
  // Log lines get no excerpt: a few characters of a body can be part of a name or an email.
  const near = excerpt === '' || options.excerpt === false ? '' : ` near \`${escapeControls(excerpt)}\``;
  return `invalid JSON ${where} (position ${position}): ${reasonOf(message)}${near}${hint}`;
}
