/**
 * Valid Wellhub bodies built from a few parameters, for the load, fault and model suites (the hostile
 * suite starts from these and breaks them). Shapes follow CONTRACT §3 and test/fixtures/.
 */
import { createHash } from 'node:crypto';
import type { EventType } from '#lib/wellhub/routes';

export type BookingEventType = Exclude<EventType, 'checkin'>;

export const BOOKING_EVENT_TYPES: readonly BookingEventType[] = [
  'booking-requested',
  'booking-canceled',
  'booking-late-canceled',
  'checkin-booking-occurred',
];

export interface EventSpec {
  readonly type: EventType;
  readonly bookingNumber: string;
  readonly wellhubId: string;
  readonly gymId?: string;
  /** Absent on the two check-in types, which Wellhub sends without one. */
  readonly eventId?: string;
  /** When it happened; booking events carry milliseconds, check-ins seconds. */
  readonly occurredAtMs?: number;
  readonly person?: {
    readonly firstName: string;
    readonly lastName: string;
    readonly email: string;
    readonly phone: string;
  };
}

export function eventBody(spec: EventSpec): Record<string, unknown> {
  const at = spec.occurredAtMs ?? Date.now();
  const gymId = spec.gymId ?? '012345';
  const seconds = Math.floor(at / 1000);
  switch (spec.type) {
    case 'booking-requested':
    case 'booking-canceled':
    case 'booking-late-canceled': {
      const person =
        spec.type === 'booking-requested' && spec.person
          ? {
              name: `${spec.person.firstName} ${spec.person.lastName}`,
              email: spec.person.email,
              phone_number: spec.person.phone,
            }
          : {};
      return {
        event_type: spec.type,
        event_data: {
          user: { unique_token: spec.wellhubId, ...person },
          slot: { id: 'SLOT-1', gym_id: gymId, class_id: 654321, booking_number: spec.bookingNumber },
          timestamp: at,
          ...(spec.eventId === undefined ? {} : { event_id: spec.eventId }),
        },
      };
    }
    case 'checkin-booking-occurred':
      return {
        event_type: spec.type,
        event_data: {
          booking: { booking_number: spec.bookingNumber },
          user: { unique_token: spec.wellhubId },
          location: { lat: 33.9976708, lon: -118.4597197 },
          gym: { id: gymId, title: 'Gym Name', product: { description: 'Classes', pass_type_number: 1 } },
          timestamp: seconds,
          expires_at: seconds + 5400,
          ...(spec.eventId === undefined ? {} : { event_id: spec.eventId }),
        },
      };
    case 'checkin':
      return {
        event_type: 'checkin',
        event_data: {
          user: {
            unique_token: spec.wellhubId,
            ...(spec.person
              ? {
                  first_name: spec.person.firstName,
                  last_name: spec.person.lastName,
                  email: spec.person.email,
                  phone_number: spec.person.phone,
                }
              : {}),
          },
          location: { lat: 33.9976708, lon: -118.4597197 },
          gym: { id: gymId, title: 'Gym Name', product: { id: 1, description: 'Gym access' } },
          timestamp: seconds,
          ...(spec.eventId === undefined ? {} : { event_id: spec.eventId }),
        },
      };
  }
}

/** The idempotency key CONTRACT §4 gives an event: its id, or `sha256:` of the body it was sent with. */
export function expectedEventKey(spec: EventSpec, body: string): string {
  return spec.eventId ?? `sha256:${createHash('sha256').update(body, 'utf8').digest('hex')}`;
}

/** A random 13-digit Wellhub ID (`unique_token`), as a string so that no digit is lost. */
export function wellhubIdFrom(random: () => number): string {
  let digits = String(1 + Math.floor(random() * 9));
  while (digits.length < 13) digits += String(Math.floor(random() * 10));
  return digits;
}
