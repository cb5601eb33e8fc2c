import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalEventType } from '#lib/wellhub/routes';

/** The seed's example events, corrected to valid JSON, one file per event type under test/fixtures/. */
export type FixtureName =
  | 'booking-requested'
  | 'booking-canceled'
  | 'booking-late-canceled'
  | 'checkin-booking-occurred'
  | 'checkin';

const FIXTURES = join(__dirname, '..', 'fixtures');

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A fresh deep copy on every call, so that a test can change it without affecting the next one. */
export function loadFixture(name: FixtureName): Record<string, unknown> {
  const parsed: unknown = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));
  if (!isRecord(parsed)) throw new Error(`fixture ${name} is not a JSON object`);
  return parsed;
}

const EXPIRY_SECONDS = 90 * 60;

/**
 * A copy of `body` whose times are `now`, in the unit its event type uses: milliseconds for booking
 * events, seconds for check-ins, and `expires_at` 1.5 h after `now` (as in the reference's example).
 * The seed's own times are from 2019 and 2022, which the service rejects as stale.
 */
export function withCurrentTimestamps(
  body: Record<string, unknown>,
  now: number = Date.now(),
): Record<string, unknown> {
  const copy = structuredClone(body);
  const type = typeof copy.event_type === 'string' ? canonicalEventType(copy.event_type) : undefined;
  if (type === undefined) throw new Error('withCurrentTimestamps needs a body with a known event_type');
  const seconds = Math.floor(now / 1000);
  const eventData = isRecord(copy.event_data) ? copy.event_data : undefined;

  switch (type) {
    case 'booking-requested':
    case 'booking-canceled':
    case 'booking-late-canceled':
      if (eventData === undefined) break;
      eventData.timestamp = now;
      if ('_event_time' in eventData) eventData._event_time = now;
      break;
    case 'checkin-booking-occurred':
      if (eventData === undefined) break;
      eventData.timestamp = seconds;
      if ('expires_at' in eventData) eventData.expires_at = seconds + EXPIRY_SECONDS;
      break;
    case 'checkin':
      // Check-in fields may sit under event_data or at the top level: move whichever is there.
      if (eventData !== undefined && 'timestamp' in eventData) eventData.timestamp = seconds;
      if ('timestamp' in copy || eventData === undefined) copy.timestamp = seconds;
      break;
  }
  return copy;
}

export type BookingFixture = 'booking-requested' | 'booking-canceled' | 'booking-late-canceled';

export interface EventChanges {
  readonly bookingNumber?: string;
  /** Default: `evt-<booking number>` when a booking number is given. */
  readonly eventId?: string;
  readonly wellhubId?: string;
  /** Applied last, to the copy's `event_data`, for anything else a test needs to change. */
  readonly data?: (data: Record<string, unknown>) => void;
}

/** A current booking event from its fixture, made distinct by booking number, event id and user. */
export function bookingEvent(name: BookingFixture, changes: EventChanges = {}): Record<string, unknown> {
  const body = withCurrentTimestamps(loadFixture(name));
  const data = body.event_data as Record<string, Record<string, unknown>>;
  if (changes.bookingNumber !== undefined) {
    (data.slot as Record<string, unknown>).booking_number = changes.bookingNumber;
    (data as Record<string, unknown>).event_id = changes.eventId ?? `evt-${changes.bookingNumber}`;
  } else if (changes.eventId !== undefined) {
    (data as Record<string, unknown>).event_id = changes.eventId;
  }
  if (changes.wellhubId !== undefined)
    (data.user as Record<string, unknown>).unique_token = changes.wellhubId;
  changes.data?.(data as Record<string, unknown>);
  return body;
}

/** A current booked check-in (it carries no event id) for a booking number and user. */
export function bookedCheckin(changes: Omit<EventChanges, 'eventId'> = {}): Record<string, unknown> {
  const body = withCurrentTimestamps(loadFixture('checkin-booking-occurred'));
  const data = body.event_data as Record<string, Record<string, unknown>>;
  if (changes.bookingNumber !== undefined) {
    (data.booking as Record<string, unknown>).booking_number = changes.bookingNumber;
  }
  if (changes.wellhubId !== undefined)
    (data.user as Record<string, unknown>).unique_token = changes.wellhubId;
  changes.data?.(data as Record<string, unknown>);
  return body;
}
