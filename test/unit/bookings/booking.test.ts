import { applyToBooking, type BookingEvent } from '#lib/bookings/booking';
import type { BookingRecord } from '#lib/bookings/records';

const slot = { id: '01234567', classId: '654321', bookingNumber: 'BK_A1B2C3' };
const base = { occurredAt: '2026-11-22T10:00:00.000Z', wellhubId: '1234567890123', gymId: '012345' };

const requested: BookingEvent = {
  ...base,
  type: 'booking-requested',
  eventId: 'e-req',
  slot,
  person: { name: 'A B' },
};
const canceled: BookingEvent = { ...base, type: 'booking-canceled', eventId: 'e-can', slot };
const lateCanceled: BookingEvent = { ...base, type: 'booking-late-canceled', eventId: 'e-late', slot };
const checkedIn: BookingEvent = {
  ...base,
  type: 'checkin-booking-occurred',
  bookingNumber: slot.bookingNumber,
  gymTitle: 'Gym',
};

function fold(events: BookingEvent[], customerId?: string): BookingRecord | undefined {
  let booking: BookingRecord | undefined;
  events.forEach((event, index) => {
    booking = applyToBooking(booking, event, {
      eventKey: event.eventId ?? `sha256:${index}`,
      receivedAt: `2026-11-22T10:00:0${index}.000Z`,
      customerId,
    }).booking;
  });
  return booking;
}

describe('applyToBooking', () => {
  it('creates a REQUESTED booking with every detail when the request comes first', () => {
    const booking = fold([requested], 'c-1');
    expect(booking).toMatchObject({
      booking_number: 'BK_A1B2C3',
      gym_id: '012345',
      slot_id: '01234567',
      class_id: '654321',
      wellhub_id: '1234567890123',
      customer_id: 'c-1',
      status: 'REQUESTED',
      version: 1,
    });
    expect(booking?.history).toEqual([
      {
        event_type: 'booking-requested',
        event_key: 'e-req',
        event_id: 'e-req',
        occurred_at: base.occurredAt,
        received_at: '2026-11-22T10:00:00.000Z',
        status: 'REQUESTED',
      },
    ]);
  });

  it.each([
    [canceled, 'CANCELED'],
    [lateCanceled, 'LATE_CANCELED'],
    [checkedIn, 'CHECKED_IN'],
  ] as const)('moves a requested booking to the status of %s', (event, status) => {
    expect(fold([requested, event])?.status).toBe(status);
  });

  it('creates the record from a cancellation for an unknown booking, then lets the request fill in details', () => {
    const onlyCanceled = fold([canceled]);
    expect(onlyCanceled).toMatchObject({ status: 'CANCELED', slot_id: '01234567' });
    expect(onlyCanceled).not.toHaveProperty('customer_id');

    const booking = applyToBooking(onlyCanceled, requested, {
      eventKey: 'e-req',
      receivedAt: '2026-11-22T10:01:00.000Z',
      customerId: 'c-9',
    });
    expect(booking.conflict).toBe(false);
    expect(booking.booking).toMatchObject({ status: 'CANCELED', customer_id: 'c-9', version: 2 });
    expect(booking.booking.history.map((entry) => entry.status)).toEqual(['CANCELED', 'CANCELED']);
  });

  it('creates the record from a check-in for an unknown booking, without slot details it does not carry', () => {
    const booking = fold([checkedIn]);
    expect(booking).toMatchObject({ status: 'CHECKED_IN', gym_id: '012345', booking_number: 'BK_A1B2C3' });
    expect(booking?.slot_id).toBeUndefined();
  });

  it('keeps the first terminal status and flags the later conflicting event', () => {
    const first = fold([requested, canceled]);
    const late = applyToBooking(first, checkedIn, {
      eventKey: 'k',
      receivedAt: '2026-11-22T11:00:00.000Z',
      customerId: undefined,
    });
    expect(late.conflict).toBe(true);
    expect(late.booking.status).toBe('CANCELED');
    expect(late.booking.history.at(-1)).toMatchObject({
      event_type: 'checkin-booking-occurred',
      conflict: true,
      status: 'CANCELED',
    });
  });

  it('does not flag a second event that agrees with the terminal status', () => {
    const again = applyToBooking(
      fold([canceled]),
      { ...canceled, eventId: 'e-can-2' },
      {
        eventKey: 'e-can-2',
        receivedAt: '2026-11-22T11:00:00.000Z',
        customerId: undefined,
      },
    );
    expect(again.conflict).toBe(false);
    expect(again.booking.history).toHaveLength(2);
  });

  it('never moves a RESERVED booking back to REQUESTED on a repeated request', () => {
    const reserved: BookingRecord = { ...(fold([requested]) as BookingRecord), status: 'RESERVED' };
    const next = applyToBooking(
      reserved,
      { ...requested, eventId: 'e-req-2' },
      {
        eventKey: 'e-req-2',
        receivedAt: '2026-11-22T11:00:00.000Z',
        customerId: undefined,
      },
    );
    expect(next.booking.status).toBe('RESERVED');
    expect(next.conflict).toBe(false);
  });

  it('keeps the customer already attached rather than the one of a later event', () => {
    const first = fold([requested], 'c-1');
    const next = applyToBooking(first, canceled, {
      eventKey: 'e-can',
      receivedAt: '2026-11-22T11:00:00.000Z',
      customerId: 'c-2',
    });
    expect(next.booking.customer_id).toBe('c-1');
  });
});
