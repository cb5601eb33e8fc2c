/**
 * Distinct, validly signed Wellhub events for the load generator, built before a run starts so that
 * building them is never timed. Each is a first booking of a new member: the receiver stores it with
 * one PutItem like any event, and it is the heaviest job for the worker behind it (event, booking,
 * customer and Wellhub ID written in one transaction), which the answered-to-applied figure has to
 * hold for, not the average.
 */
import { randomUUID } from 'node:crypto';
import { signBody } from '#lib/wellhub/signature';

export interface SignedEvent {
  readonly eventId: string;
  readonly body: string;
  readonly signature: string;
}

let serial = 0;

/** `count` new booking requests, each with its own event id, booking number and member. */
export function newBookings(count: number, secret: string): SignedEvent[] {
  const run = randomUUID().slice(0, 8);
  return Array.from({ length: count }, () => {
    serial += 1;
    const eventId = randomUUID();
    // Compact JSON, as Wellhub sends it; the order of fields follows Wellhub's own example.
    const body = JSON.stringify({
      event_type: 'booking-requested',
      event_data: {
        user: {
          unique_token: String(1_000_000_000_000 + serial),
          name: 'Bench Member',
          email: `member${serial}@example.com`,
        },
        slot: {
          id: `${run}-${serial % 50}`,
          gym_id: '012345',
          class_id: 654321,
          booking_number: `BK_${run}_${serial}`,
        },
        timestamp: Date.now(),
        event_id: eventId,
      },
    });
    return { eventId, body, signature: signBody(body, secret) };
  });
}
