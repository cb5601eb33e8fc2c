/**
 * Hostile requests for the five webhook routes. fast-check generates a *recipe* (plain data, so it
 * shrinks well); `buildRequest` turns it into the API Gateway event the handler gets, the body bytes
 * the handler will see, and what CONTRACT §2 and §5 say must happen to it, decided here without the
 * product's code: whether the signature header is valid, whether the body is over the limit, and
 * whether it is a valid event that must be applied.
 */
import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { toGatewayEvent } from '#lib/local/gateway-event';
import { EVENT_TYPES, type EventType, routeOf } from '#lib/wellhub/routes';
import { EMAILS, FIRST_NAMES, LAST_NAMES, PHONES, RELIABILITY_SECRETS } from '../../support/known-values';

export const CURRENT_SECRET = RELIABILITY_SECRETS[0] as string;
export const PREVIOUS_SECRET = RELIABILITY_SECRETS[1] as string;
const WRONG_SECRET = 'not-the-webhook-secret';

/** CONTRACT §5: "larger than 64 KiB" is refused; the handler keeps signed ones up to 256 KiB. */
export const LIMIT_BYTES = 64 * 1024;
export const KEPT_BYTES = 256 * 1024;

export interface HostileRequest {
  readonly route: EventType;
  readonly event: APIGatewayProxyEventV2;
  /** The body bytes as the handler must read them (base64-decoded when the gateway marked it so). */
  readonly bytes: Buffer;
  /** The header carries a valid signature of those bytes, by CONTRACT §2 (checked independently). */
  readonly signed: boolean;
  readonly oversize: boolean;
  /** A valid event for this route, unchanged in meaning: it must be applied, with these values kept. */
  readonly valid?: { readonly wellhubId: string };
  /** What was done to it, for failure messages (never logged by the service). */
  readonly label: string;
}

// ---------------------------------------------------------------------------------------------
// Values

/** A value that only exists as JSON text (fast-check builds objects; these are spliced in after). */
interface Raw {
  readonly raw: string;
}
type Value = null | boolean | number | string | Raw | Value[] | { [key: string]: Value };

const RAW_NUMBERS = [
  '1e400',
  '-1e400',
  '12345678901234567890123',
  '9007199254740993',
  '1234567890123.0',
  '1.234567890123e12',
  '-0',
  '0.0000001',
  '1E2',
  '4e-400',
];

const personal = fc.oneof(
  fc.constantFrom(...FIRST_NAMES),
  fc.constantFrom(...LAST_NAMES),
  fc.constantFrom(...EMAILS),
  fc.constantFrom(...PHONES),
  fc.tuple(fc.constantFrom(...FIRST_NAMES), fc.constantFrom(...LAST_NAMES)).map(([f, l]) => `${f} ${l}`),
);

const thirteenDigits = fc.stringMatching(/^[1-9]\d{12}$/);

/** Things a careless parser or store trips on. */
const hostileValue: fc.Arbitrary<Value> = fc.oneof(
  fc.constantFrom<Value>(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    Number.MAX_SAFE_INTEGER,
    '',
    ' ',
    '\u0000',
    '\ud800',
    '\udfff\ud800',
    '\u202e\u0041',
    '💥'.repeat(130),
    '__proto__',
    'constructor',
    '000123',
    '1.0',
    'NaN',
    'null',
    [],
    {},
    [null],
  ),
  fc.constant(JSON.parse('{"__proto__":{"event_type":"checkin"},"constructor":{"prototype":{}}}') as Value),
  fc.constantFrom(...RAW_NUMBERS).map((raw): Value => ({ raw })),
  thirteenDigits,
  thirteenDigits.map(Number),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ minLength: 257, maxLength: 400 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: 1, max: 3000 }).map((depth): Value => ({ raw: nested(depth) })),
);

/** Deep nesting as JSON text: as a value it would overflow the generators' own recursion first. */
function nested(depth: number): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    open += i % 2 === 0 ? '{"a":' : '[';
    close = (i % 2 === 0 ? '}' : ']') + close;
  }
  return `${open}1${close}`;
}

/** Keys that poison prototypes or shadow built-ins, and look-alikes of the fields we read. */
const HOSTILE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '',
  ' ',
  'EVENT_TYPE',
  'event_type ',
  '\u0000',
  'x'.repeat(200),
];

// ---------------------------------------------------------------------------------------------
// Recipes

interface Person {
  readonly first: string;
  readonly last: string;
  readonly email: string;
  readonly phone: string;
}

interface IdStyle {
  readonly asNumber: boolean;
}

interface BaseRecipe {
  readonly type: EventType;
  readonly bookingNumber: string;
  readonly bookingAsNumber: boolean;
  readonly wellhubId: string;
  readonly wellhubAsNumber: boolean;
  readonly gymId: IdStyle & { readonly value: number };
  readonly eventId: string | undefined;
  readonly eventIdPlace: 'event_data' | 'top' | '_event_id';
  readonly time: 'native' | 'other-unit' | 'string' | 'event_time';
  readonly person: Person | undefined;
  readonly topLevelCheckin: boolean;
  readonly nullOptionals: boolean;
  readonly alternateNesting: boolean;
  readonly extras: ReadonlyArray<readonly [number, string, Value]>;
}

type Mutation =
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'set'; readonly at: number; readonly value: Value }
  | { readonly kind: 'personal'; readonly at: number; readonly value: string }
  | { readonly kind: 'event_type'; readonly value: string }
  | { readonly kind: 'stale' }
  | { readonly kind: 'future' };

type Serialization =
  | 'compact'
  | 'pretty'
  | 'tabs'
  | 'crlf'
  | 'escaped'
  | 'padded'
  | 'dup-first'
  | 'bom'
  | 'dup-last'
  | 'garbage'
  | 'truncated'
  | 'leading-zero'
  | 'single-quotes'
  | 'trailing-comma';

const BENIGN_SERIALIZATIONS: ReadonlySet<Serialization> = new Set([
  'compact',
  'pretty',
  'tabs',
  'crlf',
  'escaped',
  'padded',
  'dup-first',
]);

type Encoding = 'utf8' | 'latin1' | 'utf16le' | 'invalid-byte' | 'cut-multibyte';

type BodyRecipe =
  | {
      readonly kind: 'structured';
      readonly base: BaseRecipe;
      readonly mutations: readonly Mutation[];
      readonly serialization: Serialization;
      readonly cut: number;
      readonly encoding: Encoding;
      readonly byteAt: number;
      readonly byte: number;
    }
  | { readonly kind: 'raw'; readonly text: string; readonly label: string }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'oversize'; readonly base: BaseRecipe; readonly size: number };

type SignatureRecipe =
  | 'none'
  | 'empty'
  | 'blank'
  | 'upper'
  | 'lower'
  | 'mixed'
  | '0x'
  | '0X'
  | 'spaced'
  | 'previous'
  | 'compact'
  | 'wrong-secret'
  | 'other-bytes'
  | 'truncated'
  | 'extended'
  | 'inner-space'
  | 'double-prefix'
  | 'sha1='
  | 'base64'
  | 'fullwidth'
  | 'non-hex'
  | 'random-hex'
  | 'long'
  | 'nul'
  | 'comma-joined'
  | 'decoy-header'
  | 'bom-stripped-compact'
  | 'random';

interface TransportRecipe {
  readonly mode: 'gateway' | 'raw-event';
  readonly contentType: string | undefined;
  readonly base64: boolean;
  readonly headerName: string;
  readonly otherRoute: EventType | undefined;
  readonly bodyUndefined: boolean;
}

export interface Recipe {
  readonly body: BodyRecipe;
  readonly transport: TransportRecipe;
  readonly signature: SignatureRecipe;
  readonly random: string;
}

const personArb: fc.Arbitrary<Person> = fc.record({
  first: fc.constantFrom(...FIRST_NAMES),
  last: fc.constantFrom(...LAST_NAMES),
  email: fc.constantFrom(...EMAILS),
  phone: fc.constantFrom(...PHONES),
});

const baseRecipe: fc.Arbitrary<BaseRecipe> = fc.record({
  type: fc.constantFrom(...EVENT_TYPES),
  bookingNumber: fc.oneof(fc.stringMatching(/^BK_[A-Z0-9]{12}$/), thirteenDigits),
  bookingAsNumber: fc.boolean(),
  wellhubId: thirteenDigits,
  wellhubAsNumber: fc.boolean(),
  gymId: fc.record({ value: fc.integer({ min: 1, max: 999_999 }), asNumber: fc.boolean() }),
  eventId: fc.option(fc.uuid(), { nil: undefined }),
  eventIdPlace: fc.constantFrom('event_data', 'top', '_event_id'),
  time: fc.constantFrom('native', 'other-unit', 'string', 'event_time'),
  person: fc.option(personArb, { nil: undefined }),
  topLevelCheckin: fc.boolean(),
  nullOptionals: fc.boolean(),
  alternateNesting: fc.boolean(),
  extras: fc.array(fc.tuple(fc.nat(), fc.constantFrom(...HOSTILE_KEYS), hostileValue), { maxLength: 3 }),
});

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  {
    arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: hostileValue }),
    weight: 4,
  },
  fc.record({ kind: fc.constant('personal' as const), at: fc.nat(), value: personal }),
  fc.record({
    kind: fc.constant('event_type' as const),
    value: fc.oneof(
      fc.constantFrom(
        ...EVENT_TYPES,
        'booking-cancelled',
        'booking-late-cancelled',
        'Booking-Requested',
        'BOOKING-CANCELED',
        ' checkin',
        'checkin\u0000',
        '',
      ),
      personal,
      fc.string({ maxLength: 80 }),
    ),
  }),
  fc.record({ kind: fc.constant('stale' as const) }),
  fc.record({ kind: fc.constant('future' as const) }),
);

const structured: fc.Arbitrary<BodyRecipe> = fc.record({
  kind: fc.constant('structured' as const),
  base: baseRecipe,
  mutations: fc.oneof(
    { arbitrary: fc.constant([]), weight: 2 },
    fc.array(mutation, { minLength: 1, maxLength: 3 }),
  ),
  serialization: fc.oneof(
    {
      arbitrary: fc.constantFrom<Serialization>(...BENIGN_SERIALIZATIONS),
      weight: 4,
    },
    fc.constantFrom<Serialization>(
      'bom',
      'dup-last',
      'garbage',
      'truncated',
      'leading-zero',
      'single-quotes',
      'trailing-comma',
    ),
  ),
  cut: fc.nat(),
  encoding: fc.oneof(
    { arbitrary: fc.constant<Encoding>('utf8'), weight: 6 },
    fc.constantFrom<Encoding>('latin1', 'utf16le', 'invalid-byte', 'cut-multibyte'),
  ),
  byteAt: fc.nat(),
  byte: fc.constantFrom(0xff, 0xfe, 0xc0, 0x80, 0xed, 0xf8),
});

const deep = (open: string, inner: string, close: string) =>
  fc.integer({ min: 100, max: 20_000 }).map((depth) => open.repeat(depth) + inner + close.repeat(depth));

const rawText: fc.Arbitrary<BodyRecipe> = fc
  .oneof(
    fc.constantFrom(
      '',
      ' ',
      '\n',
      'null',
      'true',
      '0',
      '-0',
      '1e400',
      '"text"',
      '[]',
      '[1,2]',
      '{}',
      '{"event_type":null}',
    ),
    fc.constantFrom(
      '{"event_type":"booking-requested","event_data":{"slot":{"id":01234567}}}',
      '{"event_type":"booking-requested"',
      'event_type=booking-requested&event_data=x',
      '<xml/>',
      '\ufeff{}',
      '{"__proto__":{"event_type":"booking-requested"}}',
      '{"constructor":{"prototype":{"event_type":"booking-requested"}}}',
      '{"event_type":"booking-requested","event_type":"checkin"}',
    ),
    deep('[', '', ']'),
    deep('{"a":', '1', '}'),
    deep('[', '', ''),
    deep('{"event_data":', '{}', '}'),
    fc.json({ maxDepth: 4 }),
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
  )
  .map((text) => ({ kind: 'raw' as const, text, label: 'raw text' }));

const rawBytes: fc.Arbitrary<BodyRecipe> = fc
  .uint8Array({ maxLength: 600 })
  .map((bytes) => ({ kind: 'bytes' as const, bytes }));

const oversize: fc.Arbitrary<BodyRecipe> = fc.record({
  kind: fc.constant('oversize' as const),
  base: baseRecipe,
  size: fc.constantFrom(LIMIT_BYTES - 1, LIMIT_BYTES, LIMIT_BYTES + 1, 70_000, 100_000, KEPT_BYTES + 1),
});

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/vnd.wellhub+json',
  'text/plain',
  'text/plain; charset=latin1',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'image/png',
  '',
];

const transport: fc.Arbitrary<TransportRecipe> = fc.record({
  mode: fc.oneof(
    { arbitrary: fc.constant('gateway' as const), weight: 3 },
    fc.constant('raw-event' as const),
  ),
  contentType: fc.oneof(
    { arbitrary: fc.constant('application/json'), weight: 4 },
    fc.constantFrom(...CONTENT_TYPES),
    fc.constant(undefined),
  ),
  base64: fc.boolean(),
  headerName: fc.constantFrom(
    'X-Gympass-Signature',
    'x-gympass-signature',
    'X-GYMPASS-SIGNATURE',
    'x-GymPass-signature',
  ),
  otherRoute: fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, fc.constantFrom(...EVENT_TYPES)),
  bodyUndefined: fc.boolean(),
});

const VALID_SIGNATURES: SignatureRecipe[] = [
  'upper',
  'lower',
  'mixed',
  '0x',
  '0X',
  'spaced',
  'previous',
  'compact',
];
const INVALID_SIGNATURES: SignatureRecipe[] = [
  'none',
  'empty',
  'blank',
  'wrong-secret',
  'other-bytes',
  'truncated',
  'extended',
  'inner-space',
  'double-prefix',
  'sha1=',
  'base64',
  'fullwidth',
  'non-hex',
  'random-hex',
  'long',
  'nul',
  'comma-joined',
  'decoy-header',
  'bom-stripped-compact',
  'random',
];

/**
 * Recipes for requests. `signedShare` is the weight of validly signed requests (0..1): unsigned ones
 * are cheap (nothing reaches the database), signed ones exercise parsing, storing and quarantine.
 */
export function recipes(signedShare: number): fc.Arbitrary<Recipe> {
  const signedWeight = Math.round(signedShare * 100);
  return fc.record({
    body: fc.oneof(
      { arbitrary: structured, weight: 14 },
      { arbitrary: rawText, weight: 4 },
      { arbitrary: rawBytes, weight: 1 },
      { arbitrary: oversize, weight: 1 },
    ),
    transport,
    signature: fc.oneof(
      { arbitrary: fc.constantFrom(...VALID_SIGNATURES), weight: signedWeight },
      { arbitrary: fc.constantFrom(...INVALID_SIGNATURES), weight: 100 - signedWeight },
    ),
    random: fc.stringMatching(/^[0-9a-f]{40}$/),
  });
}

// ---------------------------------------------------------------------------------------------
// Building

interface Built {
  readonly bytes: Buffer;
  readonly type: EventType;
  readonly valid?: { readonly wellhubId: string };
  readonly label: string;
}

export function buildRequest(recipe: Recipe, now: number = Date.now()): HostileRequest {
  const body = buildBody(recipe.body, now);
  const { transport: t } = recipe;
  const route = t.otherRoute ?? body.type;
  const path = routeOf(route).path;

  let event: APIGatewayProxyEventV2;
  let headerKey: string;
  if (t.mode === 'gateway') {
    const headers: Record<string, string> =
      t.contentType === undefined ? {} : { 'Content-Type': t.contentType };
    event = toGatewayEvent({
      method: 'POST',
      url: path,
      headers,
      body: body.bytes,
      sourceIp: '198.51.100.9',
      routePath: path,
    });
    headerKey = 'x-gympass-signature';
  } else {
    const base = toGatewayEvent({
      method: 'POST',
      url: path,
      headers: {},
      body: Buffer.alloc(0),
      sourceIp: '198.51.100.9',
      routePath: path,
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(base.headers)) if (value !== undefined) headers[name] = value;
    if (t.contentType !== undefined) headers['Content-Type'] = t.contentType;
    const text = body.bytes.toString(t.base64 ? 'base64' : 'utf8');
    event = { ...base, headers, isBase64Encoded: t.base64 };
    if (text !== '' || !t.bodyUndefined) event.body = text;
    headerKey = t.headerName;
  }
  // What the handler will see: the gateway may have re-encoded the bytes (text types as UTF-8).
  const bytes =
    event.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');

  const header = signatureHeader(recipe.signature, bytes, recipe.random);
  if (header.name === 'decoy') event.headers['x-signature'] = header.value ?? '';
  else if (header.value !== undefined) event.headers[headerKey] = header.value;

  const signed = header.name === 'real' && validByContract(header.value, bytes);
  const oversize = bytes.length > LIMIT_BYTES;
  const valid = body.valid && route === body.type && bytes.equals(body.bytes) ? body.valid : undefined;
  return {
    route,
    event,
    bytes,
    signed,
    oversize,
    ...(valid ? { valid } : {}),
    label: `${body.label}; ${t.mode} ${t.contentType ?? '(no content type)'}${t.base64 ? ' base64' : ''}; route ${route}; signature ${recipe.signature}`,
  };
}

function buildBody(recipe: BodyRecipe, now: number): Built {
  switch (recipe.kind) {
    case 'raw':
      return {
        bytes: Buffer.from(recipe.text, 'utf8'),
        type: 'booking-requested',
        label: `raw ${JSON.stringify(recipe.text.slice(0, 30))}`,
      };
    case 'bytes':
      return {
        bytes: Buffer.from(recipe.bytes),
        type: 'checkin',
        label: `${recipe.bytes.length} random bytes`,
      };
    case 'oversize': {
      const object = baseObject(recipe.base, now);
      const without = Buffer.byteLength(JSON.stringify({ ...object, padding: '' }), 'utf8');
      const padded = { ...object, padding: 'p'.repeat(Math.max(0, recipe.size - without)) };
      const bytes = Buffer.from(JSON.stringify(padded), 'utf8');
      const valid = bytes.length <= LIMIT_BYTES ? { wellhubId: recipe.base.wellhubId } : undefined;
      return {
        bytes,
        type: recipe.base.type,
        ...(valid ? { valid } : {}),
        label: `${recipe.base.type} padded to ${bytes.length} bytes`,
      };
    }
    case 'structured': {
      const object = baseObject(recipe.base, now);
      let meaningChanged = false;
      let value: Value = object;
      for (const change of recipe.mutations) {
        value = mutate(value, change, now);
        meaningChanged = true;
      }
      const text = serialize(value, recipe.serialization, recipe.cut);
      if (!BENIGN_SERIALIZATIONS.has(recipe.serialization)) meaningChanged = true;
      const bytes = encode(text, recipe.encoding, recipe.byteAt, recipe.byte);
      if (recipe.encoding !== 'utf8' && !bytes.equals(Buffer.from(text, 'utf8'))) meaningChanged = true;
      const label = [
        recipe.base.type,
        ...recipe.mutations.map((m) => m.kind),
        recipe.serialization,
        recipe.encoding,
      ].join(' ');
      return {
        bytes,
        type: recipe.base.type,
        ...(meaningChanged ? {} : { valid: { wellhubId: recipe.base.wellhubId } }),
        label,
      };
    }
  }
}

/** A valid event of the recipe's type, in one of the shapes CONTRACT §3 accepts. */
function baseObject(r: BaseRecipe, now: number): { [key: string]: Value } {
  const id = (value: string, asNumber: boolean): Value => (asNumber ? Number(value) : value);
  const token = id(r.wellhubId, r.wellhubAsNumber);
  const gymId: Value = r.gymId.asNumber ? r.gymId.value : String(r.gymId.value);
  const bookingNumber = id(r.bookingNumber, r.bookingAsNumber && /^\d+$/.test(r.bookingNumber));
  const seconds = Math.floor(now / 1000);
  const nothing = r.nullOptionals ? null : undefined;
  let object: { [key: string]: Value };
  const timeMs = (): Value => (r.time === 'other-unit' ? seconds : r.time === 'string' ? String(now) : now);
  const timeSeconds = (): Value =>
    r.time === 'other-unit' ? now : r.time === 'string' ? String(seconds) : seconds;

  switch (r.type) {
    case 'booking-requested':
    case 'booking-canceled':
    case 'booking-late-canceled': {
      const person =
        r.type === 'booking-requested' && r.person
          ? {
              name: `${r.person.first} ${r.person.last}`,
              email: r.person.email,
              phone_number: r.person.phone,
            }
          : {};
      const data: { [key: string]: Value } = {
        user: compact({
          unique_token: token,
          ...person,
          ...(r.nullOptionals ? { name: nothing ?? null } : {}),
        }),
        slot: compact({
          id: 'SLOT-9',
          gym_id: gymId,
          class_id: r.nullOptionals ? null : 654321,
          booking_number: bookingNumber,
        }),
      };
      if (r.time === 'event_time') data._event_time = now;
      else data.timestamp = timeMs();
      object = { event_type: r.type, event_data: data };
      break;
    }
    case 'checkin-booking-occurred': {
      const product: Value = { description: 'Classes - Unlimited', pass_type_number: 1 };
      const point: Value = { lat: 33.9976708, lon: -118.4597197 };
      const data: { [key: string]: Value } = {
        booking: { booking_number: bookingNumber },
        user: { unique_token: token },
        gym: compact({
          id: gymId,
          title: r.nullOptionals ? null : 'Gym Name',
          ...(r.alternateNesting ? {} : { product }),
        }),
        timestamp: r.time === 'event_time' ? seconds : timeSeconds(),
        expires_at: r.nullOptionals ? null : seconds + 5400,
      };
      if (r.alternateNesting) {
        data.product = product;
        data.coordinates = point;
      } else data.location = point;
      object = { event_type: r.type, event_data: data };
      break;
    }
    case 'checkin': {
      const person = r.person
        ? {
            first_name: r.person.first,
            last_name: r.person.last,
            email: r.person.email,
            phone_number: r.person.phone,
          }
        : {};
      const fields: { [key: string]: Value } = {
        user: { unique_token: token, ...person },
        location: r.nullOptionals ? null : { lat: 33.9976708, lon: -118.4597197 },
        gym: { id: gymId, title: 'Gym Name', product: { id: 1, description: 'Gym access' } },
        timestamp: r.time === 'event_time' ? seconds : timeSeconds(),
      };
      object = r.topLevelCheckin
        ? { event_type: 'checkin', ...fields }
        : { event_type: 'checkin', event_data: fields };
      break;
    }
  }
  if (r.eventId !== undefined) {
    const data = object.event_data;
    if (r.eventIdPlace === 'event_data' && isObject(data)) data.event_id = r.eventId;
    else object[r.eventIdPlace === '_event_id' ? '_event_id' : 'event_id'] = r.eventId;
  }
  const objects = objectNodes(object);
  for (const [at, key, value] of r.extras) {
    const target = objects[at % objects.length];
    if (target) defineOwn(target, key, value);
  }
  return object;
}

function compact(object: { [key: string]: Value | undefined }): { [key: string]: Value } {
  const out: { [key: string]: Value } = {};
  for (const [key, value] of Object.entries(object)) if (value !== undefined) out[key] = value;
  return out;
}

function isObject(value: Value | undefined): value is { [key: string]: Value } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !('raw' in value && Object.keys(value).length === 1 && typeof value.raw === 'string')
  );
}

/** Sets an own property, even `__proto__`, as JSON.parse would create it. */
function defineOwn(target: { [key: string]: Value }, key: string, value: Value): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function objectNodes(root: Value): Array<{ [key: string]: Value }> {
  const out: Array<{ [key: string]: Value }> = [];
  const visit = (value: Value, depth: number) => {
    if (depth > 6) return;
    if (Array.isArray(value)) for (const item of value) visit(item, depth + 1);
    else if (isObject(value)) {
      out.push(value);
      for (const key of Object.keys(value)) visit(value[key] as Value, depth + 1);
    }
  };
  visit(root, 0);
  return out;
}

/** Every place in the document a mutation can hit: [container, key]. */
function slots(root: Value): Array<[{ [key: string]: Value } | Value[], string | number]> {
  const out: Array<[{ [key: string]: Value } | Value[], string | number]> = [];
  const visit = (value: Value, depth: number) => {
    if (depth > 6) return;
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        out.push([value, index]);
        visit(item, depth + 1);
      });
    } else if (isObject(value)) {
      for (const key of Object.keys(value)) {
        out.push([value, key]);
        visit(value[key] as Value, depth + 1);
      }
    }
  };
  visit(root, 0);
  return out;
}

/** Fields whose values the request log line carries by design (CONTRACT §8). */
const LOGGED_IDS: ReadonlySet<string> = new Set(['event_id', '_event_id', 'booking_number', 'gym_id', 'id']);

function mutate(root: Value, change: Mutation, now: number): Value {
  const copy = clone(root);
  switch (change.kind) {
    case 'event_type':
      if (isObject(copy)) copy.event_type = change.value;
      return copy;
    case 'stale':
    case 'future': {
      const ms = change.kind === 'stale' ? now - 40 * 86_400_000 : now + 400 * 86_400_000;
      for (const [container, key] of slots(copy)) {
        if (key === 'timestamp' || key === '_event_time') (container as { [key: string]: Value })[key] = ms;
      }
      return copy;
    }
    case 'personal': {
      // Anywhere but the identifiers CONTRACT §8 puts in every log line on purpose.
      const all = slots(copy).filter(([, key]) => typeof key === 'number' || !LOGGED_IDS.has(key));
      const slot = all[change.at % Math.max(1, all.length)];
      if (slot) {
        const [container, key] = slot;
        if (Array.isArray(container)) container[Number(key)] = change.value;
        else defineOwn(container, key as string, change.value);
      }
      return copy;
    }
    case 'delete':
    case 'set': {
      const all = slots(copy);
      const slot = all[change.at % Math.max(1, all.length)];
      if (!slot) return change.kind === 'set' ? change.value : copy;
      const [container, key] = slot;
      if (Array.isArray(container)) {
        if (change.kind === 'delete') container.splice(Number(key), 1);
        else container[Number(key)] = change.value;
      } else if (change.kind === 'delete') delete container[key as string];
      else defineOwn(container, key as string, change.value);
      return copy;
    }
  }
}

function clone(value: Value): Value {
  if (Array.isArray(value)) return value.map(clone);
  if (isObject(value)) {
    const out: { [key: string]: Value } = {};
    for (const key of Object.keys(value)) defineOwn(out, key, clone(value[key] as Value));
    return out;
  }
  return value;
}

const RAW_MARK = '\u0001raw:';

function toJson(value: Value, indent?: string | number): string {
  const raws: string[] = [];
  const replaced = JSON.stringify(
    value,
    function (this: unknown, _key, v: unknown) {
      if (
        typeof v === 'object' &&
        v !== null &&
        !Array.isArray(v) &&
        Object.keys(v).length === 1 &&
        'raw' in v
      ) {
        const raw = (v as Raw).raw;
        if (typeof raw === 'string') {
          raws.push(raw);
          return `${RAW_MARK}${raws.length - 1}`;
        }
      }
      return v;
    },
    indent,
  );
  return replaced.replace(/"\\u0001raw:(\d+)"/g, (_m, index: string) => raws[Number(index)] ?? 'null');
}

function serialize(value: Value, style: Serialization, cut: number): string {
  const text = toJson(value);
  switch (style) {
    case 'compact':
      return text;
    case 'pretty':
      return toJson(value, 2);
    case 'tabs':
      return toJson(value, '\t');
    case 'crlf':
      return toJson(value, 1).replace(/\n/g, '\r\n');
    case 'escaped':
      // Every non-ASCII character and every letter of every string as \uXXXX: same value, other bytes.
      return text.replace(
        /[^\x20-\x7e]|(?<=")[a-z](?=[a-z_]*")/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
    case 'padded':
      return ` \n\t${text}\n `;
    case 'dup-first':
      // An earlier duplicate of event_type: JSON.parse keeps the last one, the sent one.
      return text.startsWith('{') ? `{"event_type":"booking-teleported",${text.slice(1)}` : text;
    case 'dup-last':
      return text.endsWith('}') ? `${text.slice(0, -1)},"event_type":"checkin"}` : text;
    case 'bom':
      return `\ufeff${toJson(value, 2)}`;
    case 'garbage':
      return `${text}x`;
    case 'truncated':
      return text.slice(0, cut % Math.max(1, text.length));
    case 'leading-zero':
      return text.replace(/:(\d)/, ':0$1');
    case 'single-quotes':
      return text.replace(/"/g, "'");
    case 'trailing-comma':
      return text.replace(/}$/, ',}');
  }
}

function encode(text: string, encoding: Encoding, at: number, byte: number): Buffer {
  const utf8 = Buffer.from(text, 'utf8');
  switch (encoding) {
    case 'utf8':
      return utf8;
    case 'latin1':
      return Buffer.from(text, 'latin1');
    case 'utf16le':
      return Buffer.from(text, 'utf16le');
    case 'invalid-byte': {
      const index = at % (utf8.length + 1);
      return Buffer.concat([utf8.subarray(0, index), Buffer.from([byte]), utf8.subarray(index)]);
    }
    case 'cut-multibyte':
      // The first half of a two-byte character, then the rest: not UTF-8 any more.
      return Buffer.concat([
        utf8.subarray(0, at % (utf8.length + 1)),
        Buffer.from([0xc3]),
        utf8.subarray(at % (utf8.length + 1)),
      ]);
  }
}

// ---------------------------------------------------------------------------------------------
// Signatures

const hmacHex = (secret: string, bytes: Buffer) => createHmac('sha1', secret).update(bytes).digest('hex');

/** JSON by RFC 8259's grammar: UTF-8, and a byte order mark is not part of it. */
function compactForm(bytes: Buffer): Buffer | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    return Buffer.from(JSON.stringify(JSON.parse(text)), 'utf8');
  } catch {
    return undefined;
  }
}

function signatureHeader(
  recipe: SignatureRecipe,
  bytes: Buffer,
  random: string,
): { name: 'real' | 'decoy'; value: string | undefined } {
  const good = hmacHex(CURRENT_SECRET, bytes);
  const real = (value: string | undefined) => ({ name: 'real' as const, value });
  switch (recipe) {
    case 'none':
      return real(undefined);
    case 'empty':
      return real('');
    case 'blank':
      return real('   ');
    case 'upper':
      return real(good.toUpperCase());
    case 'lower':
      return real(good);
    case 'mixed':
      return real([...good].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c)).join(''));
    case '0x':
      return real(`0x${good}`);
    case '0X':
      return real(`0X${good.toUpperCase()}`);
    case 'spaced':
      return real(` \t${good.toUpperCase()} `);
    case 'previous':
      return real(hmacHex(PREVIOUS_SECRET, bytes).toUpperCase());
    case 'compact': {
      const compacted = compactForm(bytes);
      return real(hmacHex(CURRENT_SECRET, compacted ?? bytes).toUpperCase());
    }
    case 'wrong-secret':
      return real(hmacHex(WRONG_SECRET, bytes).toUpperCase());
    case 'other-bytes':
      return real(hmacHex(CURRENT_SECRET, Buffer.concat([bytes, Buffer.from([0])])).toUpperCase());
    case 'truncated':
      return real(good.slice(0, 39));
    case 'extended':
      return real(`${good}0`);
    case 'inner-space':
      return real(`${good.slice(0, 20)} ${good.slice(20)}`);
    case 'double-prefix':
      return real(`0x0x${good}`);
    case 'sha1=':
      return real(`sha1=${good}`);
    case 'base64':
      return real(Buffer.from(good, 'hex').toString('base64'));
    case 'fullwidth':
      return real(good.replace(/[0-9]/, (d) => String.fromCharCode(0xff10 + Number(d))));
    case 'non-hex':
      return real(`${good.slice(0, 10)}g${good.slice(11)}`);
    case 'random-hex':
      return real(random);
    case 'long':
      return real(good.repeat(250));
    case 'nul':
      return real(`${good.slice(0, 39)}\u0000`);
    case 'comma-joined':
      return real(`${good},${good}`);
    case 'decoy-header':
      return { name: 'decoy', value: good.toUpperCase() };
    case 'bom-stripped-compact': {
      // What a lenient decoder would call the compact form: the text with its byte order mark dropped.
      const lenient = compactForm(
        bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes,
      );
      return real(hmacHex(CURRENT_SECRET, lenient ?? bytes).toUpperCase());
    }
    case 'random':
      return real(random.slice(0, random.length - (random.charCodeAt(0) % 7)));
  }
}

/**
 * CONTRACT §2, read on its own: trim, drop one `0x`/`0X`, then exactly 40 hex digits that equal the
 * HMAC-SHA1 of the bytes, or (for a UTF-8 JSON body) of its compact re-serialisation, under the
 * current or the previous secret.
 */
export function validByContract(header: string | undefined, bytes: Buffer): boolean {
  if (header === undefined) return false;
  let value = header.trim();
  if (value.startsWith('0x') || value.startsWith('0X')) value = value.slice(2);
  if (!/^[0-9a-fA-F]{40}$/.test(value)) return false;
  const wanted = value.toLowerCase();
  const forms = [bytes, compactForm(bytes)].filter((form): form is Buffer => form !== undefined);
  return [CURRENT_SECRET, PREVIOUS_SECRET].some((secret) =>
    forms.some((form) => hmacHex(secret, form) === wanted),
  );
}

// ---------------------------------------------------------------------------------------------
// Replays

export interface ReplayRecipe {
  readonly base: BaseRecipe;
  /** How the genuine request was sent, and which form its signature covers. */
  readonly sent: 'compact' | 'pretty';
  readonly signedForm: 'raw' | 'compact';
  /** The same event re-serialised by someone who has the request but not the secret. */
  readonly variants: readonly Serialization[];
}

export interface Replay {
  readonly route: EventType;
  readonly genuine: APIGatewayProxyEventV2;
  readonly variants: readonly APIGatewayProxyEventV2[];
  readonly label: string;
}

export const replayRecipes: fc.Arbitrary<ReplayRecipe> = fc.record({
  base: baseRecipe,
  sent: fc.constantFrom('compact', 'pretty'),
  signedForm: fc.constantFrom('raw', 'compact'),
  variants: fc.array(
    fc.constantFrom<Serialization>('compact', 'pretty', 'tabs', 'crlf', 'escaped', 'padded', 'dup-first'),
    {
      minLength: 1,
      maxLength: 4,
    },
  ),
});

export function buildReplay(recipe: ReplayRecipe, now: number = Date.now()): Replay {
  const object = baseObject(recipe.base, now);
  const route = recipe.base.type;
  const path = routeOf(route).path;
  const genuineText = serialize(object, recipe.sent, 0);
  const signedBytes = Buffer.from(
    recipe.signedForm === 'raw' ? genuineText : JSON.stringify(JSON.parse(genuineText)),
    'utf8',
  );
  const signature = hmacHex(CURRENT_SECRET, signedBytes).toUpperCase();
  const event = (text: string) =>
    toGatewayEvent({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/json', 'x-gympass-signature': signature },
      body: Buffer.from(text, 'utf8'),
      sourceIp: '198.51.100.10',
      routePath: path,
    });
  return {
    route,
    genuine: event(genuineText),
    variants: recipe.variants.map((style) => event(serialize(object, style, 0))),
    label: `${route} sent ${recipe.sent}, signed over ${recipe.signedForm}, replayed as ${recipe.variants.join(', ')}`,
  };
}
