import { BadRequest, type BadRequestCode } from '#lib/errors';
import { describeJsonError, parseWellhubEvent } from '#lib/wellhub/parse';
import { type EventType, ROUTES, type Route, routeOf } from '#lib/wellhub/routes';
import type { WellhubEvent } from '#lib/wellhub/wellhub-event';
import { type FixtureName, loadFixture, withCurrentTimestamps } from '../../support/fixtures';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The nested object at `path`, for tests that change a fixture in place. */
function at(body: Json, ...path: string[]): Json {
  let current: unknown = body;
  for (const key of path) current = isRecord(current) ? current[key] : undefined;
  if (!isRecord(current)) throw new Error(`no object at ${path.join('.')}`);
  return current;
}

function parse(eventType: EventType, body: unknown): WellhubEvent {
  return parseWellhubEvent(routeOf(eventType), body);
}

function rejection(route: Route, body: unknown): BadRequest {
  try {
    parseWellhubEvent(route, body);
  } catch (error) {
    if (error instanceof BadRequest) return error;
    throw error;
  }
  throw new Error('expected a BadRequest, but the body was accepted');
}

function rejected(eventType: EventType, body: unknown): { code: BadRequestCode; message: string } {
  const error = rejection(routeOf(eventType), body);
  return { code: error.code, message: error.message };
}

const BOOKING_TYPES = ['booking-requested', 'booking-canceled', 'booking-late-canceled'] as const;

describe('parseWellhubEvent', () => {
  describe('booking-requested', () => {
    it('normalises the seed example when it arrives on /booking/requested', () => {
      // Arrange
      const body = loadFixture('booking-requested');

      // Act
      const event = parse('booking-requested', body);

      // Assert
      expect(event).toEqual({
        type: 'booking-requested',
        eventId: '7e8cbb0f-9681-4d3e-8c36-2b3dd6ecbadb',
        occurredAt: '2019-06-19T22:29:33.378Z',
        wellhubId: '123456789012',
        gymId: '012345',
        slot: { id: '01234567', classId: '654321', bookingNumber: 'BK_A1B2C3' },
        person: { name: 'Firstname Lastname', email: 'user@email.com' },
      });
    });

    it('reads the phone number into the person when it is sent', () => {
      // Arrange
      const body = loadFixture('booking-requested');
      at(body, 'event_data', 'user').phone_number = '+55 11 99999-9999';

      // Act
      const event = parse('booking-requested', body);

      // Assert
      expect(event).toMatchObject({ person: { phone: '+55 11 99999-9999' } });
    });

    it('gives an empty person when the user carries only the token', () => {
      // Arrange
      const body = loadFixture('booking-requested');
      at(body, 'event_data').user = { unique_token: '1234567890123' };

      // Act
      const event = parse('booking-requested', body);

      // Assert
      expect(event).toMatchObject({ wellhubId: '1234567890123', person: {} });
      expect(event).toHaveProperty('person', {});
    });

    it('ignores personal fields when they are null or blank', () => {
      // Arrange
      const body = loadFixture('booking-requested');
      Object.assign(at(body, 'event_data', 'user'), { name: null, email: '  ', phone_number: '' });

      // Act
      const event = parse('booking-requested', body);

      // Assert
      expect(event).toHaveProperty('person', {});
    });

    it.each([
      ['name', 42, 'number'],
      ['email', { address: 'x' }, 'object'],
      ['phone_number', 5511999999999, 'number'],
    ])('rejects user.%s when it is not a string, without echoing the value', (field, value, kind) => {
      // Arrange
      const body = loadFixture('booking-requested');
      at(body, 'event_data', 'user')[field] = value;

      // Act
      const error = rejected('booking-requested', body);

      // Assert
      expect(error).toEqual({
        code: 'invalid_field',
        message: `event_data.user.${field} must be a string, got ${kind}`,
      });
    });

    it('omits the class when class_id is absent or null', () => {
      // Arrange
      const absent = loadFixture('booking-requested');
      delete at(absent, 'event_data', 'slot').class_id;
      const nulled = loadFixture('booking-requested');
      at(nulled, 'event_data', 'slot').class_id = null;

      // Act
      const events = [parse('booking-requested', absent), parse('booking-requested', nulled)];

      // Assert
      for (const event of events) {
        expect(event).toMatchObject({ slot: { id: '01234567', bookingNumber: 'BK_A1B2C3' } });
        expect(event).not.toHaveProperty('slot.classId');
      }
    });
  });

  describe.each(BOOKING_TYPES)('%s', (type) => {
    it('normalises the corrected seed example', () => {
      // Arrange
      const body = loadFixture(type);

      // Act
      const event = parse(type, body);

      // Assert
      expect(event).toMatchObject({
        type,
        occurredAt: '2019-06-19T22:29:33.378Z',
        wellhubId: '123456789012',
        gymId: '012345',
        slot: { id: '01234567', classId: '654321', bookingNumber: 'BK_A1B2C3' },
      });
    });

    it('reads the current time in milliseconds when the timestamp is current', () => {
      // Arrange
      const now = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
      const body = withCurrentTimestamps(loadFixture(type), now);

      // Act
      const event = parse(type, body);

      // Assert
      expect(event.occurredAt).toBe('2025-01-02T03:04:05.678Z');
    });

    it('uses _event_time when timestamp is absent', () => {
      // Arrange
      const body = loadFixture(type);
      const data = at(body, 'event_data');
      delete data.timestamp;
      data._event_time = 1668090666000;

      // Act
      const event = parse(type, body);

      // Assert
      expect(event.occurredAt).toBe('2022-11-10T14:31:06.000Z');
    });

    it('prefers timestamp when both timestamp and _event_time are sent', () => {
      // Arrange
      const body = loadFixture(type);
      at(body, 'event_data')._event_time = 1668090666000;

      // Act
      const event = parse(type, body);

      // Assert
      expect(event.occurredAt).toBe('2019-06-19T22:29:33.378Z');
    });

    it('reports the timestamp as required when neither timestamp nor _event_time is sent', () => {
      // Arrange
      const body = loadFixture(type);
      at(body, 'event_data').timestamp = null;

      // Act
      const error = rejected(type, body);

      // Assert
      expect(error).toEqual({ code: 'missing_field', message: 'event_data.timestamp is required' });
    });

    it.each([
      [['event_data']],
      [['event_data', 'user']],
      [['event_data', 'user', 'unique_token']],
      [['event_data', 'slot']],
      [['event_data', 'slot', 'id']],
      [['event_data', 'slot', 'gym_id']],
      [['event_data', 'slot', 'booking_number']],
    ])('reports missing_field when %j is absent', (path) => {
      // Arrange
      const body = loadFixture(type);
      const parent = path.length === 1 ? body : at(body, ...path.slice(0, -1));
      delete parent[path.at(-1) ?? ''];

      // Act
      const error = rejected(type, body);

      // Assert
      expect(error).toEqual({ code: 'missing_field', message: `${path.join('.')} is required` });
    });

    it('reports missing_field when a required ID is null', () => {
      // Arrange
      const body = loadFixture(type);
      at(body, 'event_data', 'slot').booking_number = null;

      // Act
      const error = rejected(type, body);

      // Assert
      expect(error).toEqual({ code: 'missing_field', message: 'event_data.slot.booking_number is required' });
    });

    it('reports invalid_field naming the path and type when slot.gym_id is a boolean', () => {
      // Arrange
      const body = loadFixture(type);
      at(body, 'event_data', 'slot').gym_id = true;

      // Act
      const error = rejected(type, body);

      // Assert
      expect(error).toEqual({
        code: 'invalid_field',
        message: 'event_data.slot.gym_id must be a string or an integer, got boolean',
      });
    });

    it('reports invalid_field when event_data or slot is not an object', () => {
      // Arrange
      const noData = loadFixture(type);
      noData.event_data = 'booking';
      const arraySlot = loadFixture(type);
      at(arraySlot, 'event_data').slot = [1, 2];

      // Act
      const errors = [rejected(type, noData), rejected(type, arraySlot)];

      // Assert
      expect(errors).toEqual([
        { code: 'invalid_field', message: 'event_data must be an object, got string' },
        { code: 'invalid_field', message: 'event_data.slot must be an object, got array' },
      ]);
    });

    it('reports the first problem in field order when several fields are wrong', () => {
      // Arrange
      const body = loadFixture(type);
      at(body, 'event_data', 'slot').booking_number = false;
      at(body, 'event_data', 'slot').gym_id = false;
      delete at(body, 'event_data', 'user').unique_token;

      // Act
      const first = rejected(type, body);
      const again = rejected(type, body);

      // Assert
      expect(first).toEqual({ code: 'missing_field', message: 'event_data.user.unique_token is required' });
      expect(again).toEqual(first);
    });

    it('keeps numeric IDs as their decimal strings when Wellhub sends integers', () => {
      // Arrange
      const body = loadFixture(type);
      Object.assign(at(body, 'event_data', 'slot'), {
        id: 1234567,
        gym_id: 12345,
        class_id: 654321,
        booking_number: 99,
      });
      at(body, 'event_data', 'user').unique_token = 1234567890123;

      // Act
      const event = parse(type, body);

      // Assert
      expect(event).toMatchObject({
        wellhubId: '1234567890123',
        gymId: '12345',
        slot: { id: '1234567', classId: '654321', bookingNumber: '99' },
      });
    });

    it('ignores unknown extra fields', () => {
      // Arrange
      const body = loadFixture(type);
      body.extra = { nested: [1, 2, 3] };
      at(body, 'event_data').unexpected = true;
      at(body, 'event_data', 'slot').room = 'A';

      // Act
      const event = parse(type, body);

      // Assert
      expect(event).toEqual(parse(type, loadFixture(type)));
    });
  });

  describe('booking-canceled and booking-late-canceled', () => {
    it.each([
      ['booking-canceled', 'booking-cancelled'],
      ['booking-late-canceled', 'booking-late-cancelled'],
    ] as const)('accepts %s spelled %s and returns the canonical type', (type, alias) => {
      // Arrange
      const body = loadFixture(type);
      body.event_type = alias;

      // Act
      const event = parse(type, body);

      // Assert
      expect(event.type).toBe(type);
    });

    it.each(['booking-canceled', 'booking-late-canceled'] as const)(
      'does not read personal fields when a %s carries them',
      (type) => {
        // Arrange
        const body = loadFixture(type);
        Object.assign(at(body, 'event_data', 'user'), { name: 42, email: false, phone_number: [] });

        // Act
        const event = parse(type, body);

        // Assert
        expect(event).not.toHaveProperty('person');
      },
    );

    it('gives the late cancellation its own event id when the seed reused the cancellation one', () => {
      // Act
      const canceled = parse('booking-canceled', loadFixture('booking-canceled'));
      const late = parse('booking-late-canceled', loadFixture('booking-late-canceled'));

      // Assert
      expect(canceled.eventId).toBe('7e8cab0f-9981-4d3e-8c36-2b3dd6ecbadb');
      expect(late.eventId).toBeDefined();
      expect(late.eventId).not.toBe(canceled.eventId);
    });
  });

  describe('checkin-booking-occurred', () => {
    it('normalises the seed example with times in seconds', () => {
      // Arrange
      const body = loadFixture('checkin-booking-occurred');

      // Act
      const event = parse('checkin-booking-occurred', body);

      // Assert
      expect(event).toEqual({
        type: 'checkin-booking-occurred',
        occurredAt: '2022-11-10T14:31:06.000Z',
        wellhubId: '1234567890123',
        gymId: '123456',
        bookingNumber: 'BK_LRNLABC',
        gymTitle: 'Gym Name',
        product: { description: 'Classes - Unlimited', passTypeNumber: 1 },
        location: { lat: 33.9976708, lon: -118.4597197 },
        expiresAt: '2022-11-10T16:01:06.000Z',
      });
    });

    it('reads current times in seconds when the timestamps are current', () => {
      // Arrange
      const now = Date.UTC(2025, 5, 1, 12, 0, 0, 999);
      const body = withCurrentTimestamps(loadFixture('checkin-booking-occurred'), now);

      // Act
      const event = parse('checkin-booking-occurred', body);

      // Assert
      expect(event).toMatchObject({
        occurredAt: '2025-06-01T12:00:00.000Z',
        expiresAt: '2025-06-01T13:30:00.000Z',
      });
    });

    it('reads the product from event_data.product when the gym has none', () => {
      // Arrange
      const body = loadFixture('checkin-booking-occurred');
      delete at(body, 'event_data', 'gym').product;
      at(body, 'event_data').product = { id: 7, description: 'Classes - Basic', pass_type_number: 2 };

      // Act
      const event = parse('checkin-booking-occurred', body);

      // Assert
      expect(event).toMatchObject({
        product: { id: '7', description: 'Classes - Basic', passTypeNumber: 2 },
      });
    });

    it('prefers gym.product when both product locations are sent', () => {
      // Arrange
      const body = loadFixture('checkin-booking-occurred');
      at(body, 'event_data').product = { description: 'Other' };

      // Act
      const event = parse('checkin-booking-occurred', body);

      // Assert
      expect(event).toMatchObject({ product: { description: 'Classes - Unlimited' } });
    });

    it('reads the location from event_data.coordinates when location is absent', () => {
      // Arrange
      const body = loadFixture('checkin-booking-occurred');
      delete at(body, 'event_data').location;
      at(body, 'event_data').coordinates = { lat: -23.5, lon: -46.6 };

      // Act
      const event = parse('checkin-booking-occurred', body);

      // Assert
      expect(event).toMatchObject({ location: { lat: -23.5, lon: -46.6 } });
    });

    it('omits the optional fields when they are absent', () => {
      // Arrange
      const body = loadFixture('checkin-booking-occurred');
      const data = at(body, 'event_data');
      delete data.location;
      delete data.expires_at;
      data.gym = { id: '123456' };

      // Act
      const event = parse('checkin-booking-occurred', body);

      // Assert
      expect(event).toEqual({
        type: 'checkin-booking-occurred',
        occurredAt: '2022-11-10T14:31:06.000Z',
        wellhubId: '1234567890123',
        gymId: '123456',
        bookingNumber: 'BK_LRNLABC',
      });
    });

    it('reads an event id when one is sent although the reference has none', () => {
      // Arrange
      const body = loadFixture('checkin-booking-occurred');
      at(body, 'event_data').event_id = 'evt-1';

      // Act
      const event = parse('checkin-booking-occurred', body);

      // Assert
      expect(event.eventId).toBe('evt-1');
    });

    it.each([
      [['event_data']],
      [['event_data', 'booking']],
      [['event_data', 'booking', 'booking_number']],
      [['event_data', 'user']],
      [['event_data', 'user', 'unique_token']],
      [['event_data', 'gym']],
      [['event_data', 'gym', 'id']],
      [['event_data', 'timestamp']],
    ])('reports missing_field when %j is absent', (path) => {
      // Arrange
      const body = loadFixture('checkin-booking-occurred');
      const parent = path.length === 1 ? body : at(body, ...path.slice(0, -1));
      delete parent[path.at(-1) ?? ''];

      // Act
      const error = rejected('checkin-booking-occurred', body);

      // Assert
      expect(error).toEqual({ code: 'missing_field', message: `${path.join('.')} is required` });
    });

    it('does not accept _event_time in place of the timestamp', () => {
      // Arrange
      const body = loadFixture('checkin-booking-occurred');
      const data = at(body, 'event_data');
      data._event_time = data.timestamp;
      delete data.timestamp;

      // Act
      const error = rejected('checkin-booking-occurred', body);

      // Assert
      expect(error).toEqual({ code: 'missing_field', message: 'event_data.timestamp is required' });
    });

    it.each([
      ['location', { lat: '33.99', lon: -118.45 }, 'event_data.location.lat must be a number, got string'],
      ['coordinates', { lat: 33.99 }, 'event_data.coordinates.lon is required'],
      [
        'product',
        { pass_type_number: 1.5 },
        'event_data.product.pass_type_number must be an integer, got non-integer number',
      ],
      [
        'expires_at',
        'tomorrow',
        'event_data.expires_at must be a number of seconds or milliseconds since 1970, got non-numeric string',
      ],
    ])('reports the path when the optional %s is malformed', (field, value, message) => {
      // Arrange
      const body = loadFixture('checkin-booking-occurred');
      at(body, 'event_data')[field] = value;

      // Act
      const error = rejected('checkin-booking-occurred', body);

      // Assert
      expect(error.message).toBe(message);
    });
  });

  describe('checkin', () => {
    const expected: WellhubEvent = {
      type: 'checkin',
      occurredAt: '2022-11-10T14:31:06.000Z',
      wellhubId: '1234567890123',
      gymId: '123456',
      person: { name: 'Firstname Lastname', email: 'user@email.com', phone: '+5511999999999' },
      gymTitle: 'Gym Name',
      product: { id: '1', description: 'Gym access' },
      location: { lat: 33.9976708, lon: -118.4597197 },
    };

    /** The fixture with its fields moved from event_data to the top level. */
    function topLevelCheckin(): Json {
      const { event_data: data, ...rest } = loadFixture('checkin');
      return { ...rest, ...(isRecord(data) ? data : {}) };
    }

    it('normalises the Access Control check-in when its fields are under event_data', () => {
      // Act
      const event = parse('checkin', loadFixture('checkin'));

      // Assert
      expect(event).toEqual(expected);
    });

    it('normalises the Access Control check-in when its fields are at the top level', () => {
      // Act
      const event = parse('checkin', topLevelCheckin());

      // Assert
      expect(event).toEqual(expected);
    });

    it('takes each field from wherever it is when a sender splits them', () => {
      // Arrange
      const { event_data: data, ...rest } = loadFixture('checkin');
      const nested = isRecord(data) ? data : {};
      const body = {
        ...rest,
        event_data: { user: nested.user, event_id: 'evt-9' },
        gym: nested.gym,
        timestamp: 1668090666,
      };

      // Act
      const event = parse('checkin', body);

      // Assert
      expect(event).toEqual({ ...expected, eventId: 'evt-9', location: undefined });
      expect(event).not.toHaveProperty('location');
    });

    it('prefers event_data when a field is both nested and at the top level', () => {
      // Arrange
      const body = loadFixture('checkin');
      body.gym = { id: 'top-level-gym' };

      // Act
      const event = parse('checkin', body);

      // Assert
      expect(event.gymId).toBe('123456');
    });

    it('reads current times in seconds when the timestamp is current', () => {
      // Arrange
      const now = Date.UTC(2025, 5, 1, 12, 0, 0, 250);
      const nested = withCurrentTimestamps(loadFixture('checkin'), now);
      const topLevel = withCurrentTimestamps(topLevelCheckin(), now);

      // Act
      const events = [parse('checkin', nested), parse('checkin', topLevel)];

      // Assert
      for (const event of events) expect(event.occurredAt).toBe('2025-06-01T12:00:00.000Z');
    });

    it.each([
      ['only first_name', { first_name: 'Firstname', last_name: undefined }, 'Firstname'],
      ['only last_name', { first_name: null, last_name: 'Lastname' }, 'Lastname'],
      [
        'names with surrounding spaces',
        { first_name: ' Firstname ', last_name: ' Lastname ' },
        'Firstname Lastname',
      ],
    ])('builds the name from %s', (_, names, name) => {
      // Arrange
      const body = loadFixture('checkin');
      Object.assign(at(body, 'event_data', 'user'), names);

      // Act
      const event = parse('checkin', body);

      // Assert
      expect(event).toMatchObject({ person: { name } });
    });

    it('leaves the name out when neither first_name nor last_name is sent', () => {
      // Arrange
      const body = loadFixture('checkin');
      at(body, 'event_data').user = { unique_token: '1234567890123' };

      // Act
      const event = parse('checkin', body);

      // Assert
      expect(event).toHaveProperty('person', {});
    });

    it.each([
      [['event_data', 'user'], 'event_data.user is required'],
      [['event_data', 'user', 'unique_token'], 'event_data.user.unique_token is required'],
      [['event_data', 'gym'], 'event_data.gym is required'],
      [['event_data', 'gym', 'id'], 'event_data.gym.id is required'],
      [['event_data', 'timestamp'], 'event_data.timestamp is required'],
    ])('reports missing_field when nested %j is absent', (path, message) => {
      // Arrange
      const body = loadFixture('checkin');
      delete at(body, ...path.slice(0, -1))[path.at(-1) ?? ''];

      // Act
      const error = rejected('checkin', body);

      // Assert
      expect(error).toEqual({ code: 'missing_field', message });
    });

    it.each([
      [['user'], 'user is required'],
      [['user', 'unique_token'], 'user.unique_token is required'],
      [['gym'], 'gym is required'],
      [['gym', 'id'], 'gym.id is required'],
      [['timestamp'], 'timestamp is required'],
    ])('reports missing_field without a prefix when top-level %j is absent', (path, message) => {
      // Arrange
      const body = topLevelCheckin();
      const parent = path.length === 1 ? body : at(body, ...path.slice(0, -1));
      delete parent[path.at(-1) ?? ''];

      // Act
      const error = rejected('checkin', body);

      // Assert
      expect(error).toEqual({ code: 'missing_field', message });
    });

    it('names the top-level path when a top-level field is invalid next to an event_data without it', () => {
      // Arrange
      const body = topLevelCheckin();
      body.event_data = { event_id: 'evt-1' };
      at(body, 'gym').id = 1.5;

      // Act
      const error = rejected('checkin', body);

      // Assert
      expect(error).toEqual({
        code: 'invalid_field',
        message: 'gym.id must be a string or an integer, got non-integer number; send it as a string',
      });
    });

    it('reports invalid_field when event_data is not an object', () => {
      // Arrange
      const body = topLevelCheckin();
      body.event_data = 'nested';

      // Act
      const error = rejected('checkin', body);

      // Assert
      expect(error).toEqual({ code: 'invalid_field', message: 'event_data must be an object, got string' });
    });

    it.each([
      ['first_name', 7],
      ['email', true],
    ])('rejects user.%s when it is not a string', (field, value) => {
      // Arrange
      const body = loadFixture('checkin');
      at(body, 'event_data', 'user')[field] = value;

      // Act
      const error = rejected('checkin', body);

      // Assert
      expect(error).toEqual({
        code: 'invalid_field',
        message: `event_data.user.${field} must be a string, got ${typeof value}`,
      });
    });
  });

  describe('event id', () => {
    function bookingWithIds(ids: { nested?: unknown; topLevel?: unknown; underscored?: unknown }): Json {
      const body = loadFixture('booking-requested');
      const data = at(body, 'event_data');
      delete data.event_id;
      if (ids.nested !== undefined) data.event_id = ids.nested;
      if (ids.topLevel !== undefined) body.event_id = ids.topLevel;
      if (ids.underscored !== undefined) body._event_id = ids.underscored;
      return body;
    }

    it.each([
      ['event_data.event_id first', { nested: 'a', topLevel: 'b', underscored: 'c' }, 'a'],
      ['top-level event_id when event_data has none', { topLevel: 'b', underscored: 'c' }, 'b'],
      ['_event_id when neither is sent', { underscored: 'c' }, 'c'],
      ['a numeric event id as its decimal string', { underscored: 123456789 }, '123456789'],
      ['the next source when one is null', { nested: null, topLevel: 'b' }, 'b'],
    ])('reads %s', (_, ids, eventId) => {
      // Act
      const event = parse('booking-requested', bookingWithIds(ids));

      // Assert
      expect(event.eventId).toBe(eventId);
    });

    it('leaves the event id out when none is sent', () => {
      // Act
      const event = parse('booking-requested', bookingWithIds({}));

      // Assert
      expect(event).not.toHaveProperty('eventId');
    });

    it('reports invalid_field when an event id is present but malformed', () => {
      // Act
      const error = rejected('booking-requested', bookingWithIds({ nested: 'ok', underscored: {} }));

      // Assert
      expect(error).toEqual({
        code: 'invalid_field',
        message: '_event_id must be a string or an integer, got object',
      });
    });
  });

  describe('IDs', () => {
    function bookingWithGymId(gymId: unknown): Json {
      const body = loadFixture('booking-requested');
      at(body, 'event_data', 'slot').gym_id = gymId;
      return body;
    }

    it.each([
      ['leading zeros', '012345', '012345'],
      ['inner spaces', 'gym 12', 'gym 12'],
      ['surrounding spaces', ' 12 ', ' 12 '],
      ['256 characters', 'g'.repeat(256), 'g'.repeat(256)],
      ['a safe integer', 12345, '12345'],
      ['the largest safe integer', Number.MAX_SAFE_INTEGER, '9007199254740991'],
      ['zero', 0, '0'],
      ['an integral float', 12345.0, '12345'],
    ])('keeps an ID with %s exactly', (_, gymId, expected) => {
      // Act
      const event = parse('booking-requested', bookingWithGymId(gymId));

      // Assert
      expect(event.gymId).toBe(expected);
    });

    it.each([
      ['an empty string', '', 'event_data.slot.gym_id must not be empty'],
      ['a blank string', '   ', 'event_data.slot.gym_id must not be blank'],
      ['257 characters', 'g'.repeat(257), 'event_data.slot.gym_id must be at most 256 characters, got 257'],
      ['a boolean', false, 'event_data.slot.gym_id must be a string or an integer, got boolean'],
      ['an array', ['1'], 'event_data.slot.gym_id must be a string or an integer, got array'],
      ['an object', { id: 1 }, 'event_data.slot.gym_id must be a string or an integer, got object'],
    ])('rejects an ID that is %s', (_, gymId, message) => {
      // Act
      const error = rejected('booking-requested', bookingWithGymId(gymId));

      // Assert
      expect(error).toEqual({ code: 'invalid_field', message });
    });

    it.each([
      ['a fraction', 12.5],
      ['above 2^53', 2 ** 53],
      ['far above 2^53', 1e20],
      ['below -2^53', -(2 ** 60)],
    ])('asks for a string when a numeric ID is %s', (_, gymId) => {
      // Act
      const error = rejected('booking-requested', bookingWithGymId(gymId));

      // Assert
      expect(error.code).toBe('invalid_field');
      expect(error.message).toMatch(/^event_data\.slot\.gym_id .*send it as a string$/);
    });

    it('refuses a unique_token that JSON.parse has already rounded when it was sent as a 20-digit number', () => {
      // Arrange
      const text = JSON.stringify(loadFixture('booking-requested')).replace(
        '"unique_token":"123456789012"',
        '"unique_token":12345678901234567891',
      );
      const body: unknown = JSON.parse(text);

      // Act
      const error = rejection(routeOf('booking-requested'), body);

      // Assert
      expect(error.code).toBe('invalid_field');
      expect(error.message).toContain('event_data.user.unique_token');
      expect(error.message).toContain('send it as a string');
    });

    it('keeps a 13-digit unique_token exactly when it is sent as a string or a number', () => {
      // Arrange
      const asString = loadFixture('checkin');
      const asNumber = loadFixture('checkin');
      at(asNumber, 'event_data', 'user').unique_token = 9876543210987;

      // Act
      const events = [parse('checkin', asString), parse('checkin', asNumber)];

      // Assert
      expect(events.map((event) => event.wellhubId)).toEqual(['1234567890123', '9876543210987']);
    });
  });

  describe('timestamps', () => {
    function bookingAt(timestamp: unknown): Json {
      const body = loadFixture('booking-canceled');
      at(body, 'event_data').timestamp = timestamp;
      return body;
    }

    it.each([
      ['seconds', 1668090666, '2022-11-10T14:31:06.000Z'],
      ['milliseconds', 1668090666000, '2022-11-10T14:31:06.000Z'],
      ['fractional seconds', 1668090666.5, '2022-11-10T14:31:06.500Z'],
      ['a numeric string of milliseconds', '1560983373378', '2019-06-19T22:29:33.378Z'],
      ['a numeric string of seconds', '1668090666', '2022-11-10T14:31:06.000Z'],
      ['the largest value read as seconds', 999_999_999_999, '+033658-09-27T01:46:39.000Z'],
      ['the smallest value read as milliseconds', 1e12, '2001-09-09T01:46:40.000Z'],
      ['the last representable millisecond', 8.64e15, '+275760-09-13T00:00:00.000Z'],
    ])('reads %s', (_, timestamp, iso) => {
      // Act
      const event = parse('booking-canceled', bookingAt(timestamp));

      // Assert
      expect(event.occurredAt).toBe(iso);
    });

    it.each([
      ['zero', 0, 'must be a positive number of seconds or milliseconds since 1970'],
      ['negative', -1668090666, 'must be a positive number of seconds or milliseconds since 1970'],
      ['beyond the Date range', 8.64e15 + 1, 'is out of range for a date'],
      [
        'a date string',
        '2022-11-10T14:31:06Z',
        'must be a number of seconds or milliseconds since 1970, got non-numeric string',
      ],
      [
        'an exponent string',
        '1.6e9',
        'must be a number of seconds or milliseconds since 1970, got non-numeric string',
      ],
      [
        'an empty string',
        '',
        'must be a number of seconds or milliseconds since 1970, got non-numeric string',
      ],
      ['a boolean', true, 'must be a number of seconds or milliseconds since 1970, got boolean'],
      ['an object', { seconds: 1 }, 'must be a number of seconds or milliseconds since 1970, got object'],
    ])('rejects a timestamp that is %s', (_, timestamp, problem) => {
      // Act
      const error = rejected('booking-canceled', bookingAt(timestamp));

      // Assert
      expect(error).toEqual({ code: 'invalid_field', message: `event_data.timestamp ${problem}` });
    });
  });

  describe('event type and routing', () => {
    it.each([
      ['null', null],
      ['an array', [loadFixture('booking-requested')]],
      ['a string', 'booking-requested'],
      ['a number', 42],
      ['undefined', undefined],
    ])('reports invalid_body when the body is %s', (_, body) => {
      // Act
      const error = rejected('booking-requested', body);

      // Assert
      expect(error.code).toBe('invalid_body');
      expect(error.message).toMatch(/^the body must be a JSON object, got /);
    });

    it.each([
      ['absent', undefined],
      ['null', null],
    ])('reports missing_field when event_type is %s', (_, eventType) => {
      // Arrange
      const body = loadFixture('booking-requested');
      body.event_type = eventType;

      // Act
      const error = rejected('booking-requested', body);

      // Assert
      expect(error).toEqual({ code: 'missing_field', message: 'event_type is required' });
    });

    it('reports invalid_field when event_type is not a string', () => {
      // Arrange
      const body = loadFixture('booking-requested');
      body.event_type = ['booking-requested'];

      // Act
      const error = rejected('booking-requested', body);

      // Assert
      expect(error).toEqual({ code: 'invalid_field', message: 'event_type must be a string, got array' });
    });

    it.each([
      'booking-approved',
      'Booking-Requested',
      'booking_requested',
      '',
      'constructor',
      '__proto__',
      'toString',
    ])('reports unknown_event_type when event_type is %j', (eventType) => {
      // Arrange
      const body = loadFixture('booking-requested');
      body.event_type = eventType;

      // Act
      const error = rejected('booking-requested', body);

      // Assert
      expect(error.code).toBe('unknown_event_type');
      expect(error.message).toContain(JSON.stringify(eventType));
      expect(error.message).toContain('booking-requested, booking-canceled');
    });

    it('shortens a long unknown event_type when echoing it', () => {
      // Arrange
      const body = loadFixture('booking-requested');
      body.event_type = 'x'.repeat(10_000);

      // Act
      const error = rejected('booking-requested', body);

      // Assert
      expect(error.message.length).toBeLessThan(250);
    });

    it('names the type, the route and what it accepts when an event arrives on the wrong route', () => {
      // Arrange
      const body = loadFixture('booking-canceled');

      // Act
      const error = rejection(routeOf('booking-requested'), body);

      // Assert
      expect(error.code).toBe('wrong_route');
      expect(error.message).toBe(
        'event_type "booking-canceled" cannot be sent to /booking/requested, which accepts booking-requested; send it to /booking/cancelation',
      );
    });

    it('lists the aliases a route accepts when an event arrives on it by mistake', () => {
      // Arrange
      const body = loadFixture('checkin');

      // Act
      const error = rejection(routeOf('booking-late-canceled'), body);

      // Assert
      expect(error).toMatchObject({ code: 'wrong_route' });
      expect(error.message).toContain(
        '/booking/lateCancelation, which accepts booking-late-canceled or booking-late-cancelled',
      );
    });

    it('reports wrong_route when an alias arrives on another route', () => {
      // Arrange
      const body = loadFixture('booking-canceled');
      body.event_type = 'booking-cancelled';

      // Act
      const error = rejected('booking-late-canceled', body);

      // Assert
      expect(error.code).toBe('wrong_route');
    });

    it.each(
      ROUTES.flatMap((route) =>
        ROUTES.filter((other) => other !== route).map(
          (other) => [other.eventType, route.path, route] as const,
        ),
      ),
    )('refuses %s on %s', (eventType, _, route) => {
      // Act
      const error = rejection(route, loadFixture(eventType));

      // Assert
      expect(error.code).toBe('wrong_route');
    });

    it.each(ROUTES.map((route) => [route.eventType, route.path, route] as const))(
      'accepts %s on %s',
      (eventType, _, route) => {
        // Act
        const event = parseWellhubEvent(route, withCurrentTimestamps(loadFixture(eventType)));

        // Assert
        expect(event.type).toBe(eventType);
      },
    );

    it('checks the event type before the fields when both are wrong', () => {
      // Arrange
      const body = { event_type: 'checkin', event_data: 'nothing else' };

      // Act
      const error = rejected('booking-requested', body);

      // Assert
      expect(error.code).toBe('wrong_route');
    });
  });

  describe('prototype safety', () => {
    const fixtures: FixtureName[] = ['booking-requested', 'checkin-booking-occurred', 'checkin'];

    afterEach(() => {
      expect(Object.prototype).not.toHaveProperty('polluted');
    });

    it.each(fixtures)('parses %s normally when it carries __proto__ and constructor keys', (name) => {
      // Arrange
      const text = JSON.stringify(loadFixture(name)).replace(
        /"user":\{/,
        '"user":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},',
      );
      const body: unknown = JSON.parse(`{"__proto__":{"polluted":true},${text.slice(1)}`);

      // Act
      const event = parseWellhubEvent(routeOf(name), body);

      // Assert
      expect(event.type).toBe(name);
      expect(event).not.toHaveProperty('polluted');
      expect({}).not.toHaveProperty('polluted');
    });

    it('does not read event_type through a __proto__ key', () => {
      // Arrange
      const body: unknown = JSON.parse('{"__proto__":{"event_type":"booking-requested"}}');

      // Act
      const error = rejected('booking-requested', body);

      // Assert
      expect(error).toEqual({ code: 'missing_field', message: 'event_type is required' });
    });

    it('does not read required fields through __proto__ or constructor keys', () => {
      // Arrange
      const body: unknown = JSON.parse(
        '{"event_type":"booking-requested","event_data":{"__proto__":{"user":{"unique_token":"1"}},"constructor":{"slot":{}}}}',
      );

      // Act
      const error = rejected('booking-requested', body);

      // Assert
      expect(error).toEqual({ code: 'missing_field', message: 'event_data.user is required' });
    });

    it('does not take check-in fields from a prototype when the body inherits them', () => {
      // Arrange
      const inherited = Object.create({
        user: { unique_token: '1' },
        gym: { id: '1' },
        timestamp: 1668090666,
      });
      const body = Object.assign(inherited, { event_type: 'checkin' });

      // Act
      const error = rejected('checkin', body);

      // Assert
      expect(error).toEqual({ code: 'missing_field', message: 'user is required' });
    });
  });
});

describe('describeJsonError', () => {
  /** The seed's booking-requested example exactly as published: `01234567` is not valid JSON. */
  const SEED_BODY = `{
 "event_type": "booking-requested",
 "event_data": {
 "user": {
 "unique_token": "123456789012",
 "name": "Firstname Lastname",
 "email": "user@email.com"
 },
 "slot": {
 "id": 01234567,
 "gym_id": 012345,
 "class_id": 654321,
 "booking_number": "BK_A1B2C3"
 },
 "timestamp": 1560983373378,
 "event_id": "7e8cbb0f-9681-4d3e-8c36-2b3dd6ecbadb"
 }
}`;

  function describeParse(text: string): string {
    try {
      JSON.parse(text);
    } catch (error) {
      return describeJsonError(error, text);
    }
    throw new Error('expected invalid JSON');
  }

  function excerptOf(message: string): string {
    return /near `(.*)`/.exec(message)?.[1] ?? '';
  }

  it('says where the seed example fails when its slot id has a leading zero', () => {
    // Arrange
    const position = SEED_BODY.indexOf('01234567') + 1;

    // Act
    const message = describeParse(SEED_BODY);

    // Assert
    expect(message).toBe(
      `invalid JSON at line 10, column 9 (position ${position}): unexpected number near \`{ "id": 01234567,\`; numbers cannot have leading zeros, send such IDs as strings`,
    );
    expect(SEED_BODY.split('\n')[9]?.charAt(8)).toBe('1');
  });

  it('never echoes more than 20 characters of the body', () => {
    // Arrange
    const text = `{"name": "${'Firstname Lastname '.repeat(50)}", "id": 0123}`;

    // Act
    const message = describeParse(text);

    // Assert
    expect(excerptOf(message).length).toBeLessThanOrEqual(20);
    expect(message.length).toBeLessThan(200);
  });

  it('finds the position itself when the engine reports an unexpected token without one', () => {
    // Arrange
    const text = '{\n  "a": tru,\n  "b": 1\n}';

    // Act
    const message = describeParse(text);

    // Assert
    expect(message).toBe(
      'invalid JSON at line 2, column 11 (position 12): unexpected token \',\' near `"a": tru, "b": 1`',
    );
  });

  it('escapes a newline when the engine names it as the unexpected token', () => {
    // Arrange
    const text = '{\n  "a": 1,\n  "b": tru\n}';

    // Act
    const message = describeParse(text);

    // Assert
    expect(message).toMatch(
      /^invalid JSON at line 3, column 11 \(position 22\): unexpected token '\\n' near/,
    );
  });

  it('does not repeat the body snippet that the engine puts in its message', () => {
    // Arrange
    const text = `{"secretish": "${'a'.repeat(100)}", "x": nope}`;

    // Act
    const message = describeParse(text);

    // Assert
    expect(message).not.toContain('is not valid JSON');
    expect(message).not.toContain('a'.repeat(21));
  });

  it('says the body ended when the JSON is truncated', () => {
    // Act
    const message = describeParse('{"event_type": "checkin"');

    // Assert
    expect(message).toMatch(/^invalid JSON at the end of the body \(position 24\): /);
  });

  it('describes an empty body', () => {
    // Act
    const message = describeParse('');

    // Assert
    expect(message).toBe('invalid JSON at the end of the body (position 0): unexpected end of JSON input');
  });

  it('counts lines and columns from the text when the engine gives a position', () => {
    // Arrange
    const text = '{\r\n  "a": 1,\r\n  "b" 2\r\n}';

    // Act
    const message = describeParse(text);

    // Assert
    expect(message).toMatch(/^invalid JSON at line 3, column 7 \(position 20\): unexpected number near/);
  });

  it('reads the position from a newer engine message that also carries line and column', () => {
    // Arrange
    const text = '{"a": 01}';
    const error = new SyntaxError('Unexpected number in JSON at position 7 (line 1 column 8)');

    // Act
    const message = describeJsonError(error, text);

    // Assert
    expect(message).toMatch(/^invalid JSON at line 1, column 8 \(position 7\): unexpected number near/);
  });

  it('still says where parsing failed when the error is not an Error', () => {
    // Act
    const message = describeJsonError('boom', '[1, 2,, 3]');

    // Assert
    expect(message).toBe('invalid JSON at line 1, column 7 (position 6): invalid JSON near `[1, 2,, 3]`');
  });

  it('replaces control characters in the excerpt', () => {
    // Arrange
    const text = '{"a": "x\u0001y"}';

    // Act
    const message = describeParse(text);

    // Assert
    expect([...message].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
    expect(message).toContain('\\u0001');
    expect(message).toContain('bad control character in string literal');
  });

  it.each([
    '{"a": 01234567}',
    'not json',
    '{"a":1,}',
    '{"a": tru}',
    '{"a": "x',
    '{"a":1} x',
    '{"a"',
    '{"a": 1 "b": 2}',
    '{"a": [1,2,,]}',
    '{"a":"\u0001"}',
    '{"a": -}',
    '{"a": 1.}',
    '[1e]',
    '{"a":"\\x"}',
    '{"a":"\\u12G4"}',
    '[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]',
    '{"a":{"b":[1,{"c":null}],"d":false} ,}',
    '\uFEFF{}',
  ])('agrees with the engine on the position when parsing %j fails', (text) => {
    // Arrange
    let engineMessage = '';
    try {
      JSON.parse(text);
    } catch (error) {
      engineMessage = error instanceof Error ? error.message : '';
    }
    const enginePosition = /at position (\d+)/.exec(engineMessage)?.[1];

    // Act
    const message = describeJsonError(new SyntaxError('no position given'), text);

    // Assert
    expect(engineMessage).not.toBe('');
    if (enginePosition !== undefined) expect(message).toContain(`(position ${enginePosition})`);
    else expect(message).toMatch(/\(position \d+\)/);
  });
});
