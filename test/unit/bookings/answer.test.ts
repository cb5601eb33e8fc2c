import {
  ANSWER_WINDOW_MS,
  cancelOneByGym,
  decideBooking,
  failedMessage,
  owed,
  seatsLeft,
  withCall,
  withDecision,
  withExpiry,
} from '#lib/bookings/answer';
import type { BookingRecord } from '#lib/bookings/records';
import type { GymSlotRecord } from '#lib/schedule/records';

const REQUESTED_AT = '2026-12-06T10:00:00.000Z';
const NOW = new Date('2026-12-06T10:00:05.000Z');

const booking: BookingRecord = {
  booking_number: 'BK_1',
  gym_id: '100001',
  slot_id: '50001',
  wellhub_id: '1000000000001',
  status: 'REQUESTED',
  requested_at: REQUESTED_AT,
  created_at: REQUESTED_AT,
  updated_at: REQUESTED_AT,
  history: [],
  version: 3,
};

const slot = {
  reference: 'yoga-1',
  gym_id: '100001',
  class_reference: 'yoga',
  status: 'active',
  occur_date: '2026-12-07T10:00:00.000Z',
  length_in_minutes: 60,
  total_capacity: 10,
  wellhub_limit: 4,
  booked_elsewhere: 0,
  wellhub_reserved: 0,
} as unknown as GymSlotRecord;

/** `s` null: no slot has the booking's Wellhub slot id. */
const decide = (b: Partial<BookingRecord> = {}, s: Partial<GymSlotRecord> | null = {}, holder?: string) =>
  decideBooking({ ...booking, ...b }, s === null ? undefined : { ...slot, ...s }, holder, NOW);

describe('the decision table (CONTRACT §11), first rule that applies', () => {
  it('1. canceled by the member first: nothing sent, even for an unknown or full slot', () => {
    expect(decide({ status: 'CANCELED' }, null).kind).toBe('none');
    expect(decide({ status: 'LATE_CANCELED' }, { wellhub_reserved: 4 }).kind).toBe('none');
  });

  it.each<[string, string, Partial<BookingRecord>, Partial<GymSlotRecord> | null, string | undefined]>([
    ['2. no slot', 'CLASS_NOT_FOUND', {}, null, undefined],
    ['2. a slot of another gym', 'CLASS_NOT_FOUND', {}, { gym_id: '999' }, undefined],
    [
      '3. canceled slot',
      'CLASS_HAS_BEEN_CANCELED',
      {},
      { status: 'canceled', wellhub_reserved: 4 },
      undefined,
    ],
    [
      '4. started',
      'CHECK_IN_AND_CANCELATION_WINDOWS_CLOSED',
      {},
      { occur_date: '2026-12-06T10:00:00.000Z' },
      undefined,
    ],
    [
      '4. window closed',
      'CHECK_IN_AND_CANCELATION_WINDOWS_CLOSED',
      {},
      { booking_window: { opens_at: '2026-12-01T00:00:00Z', closes_at: '2026-12-06T09:00:00Z' } },
      undefined,
    ],
    ['5. already booked', 'USER_IS_ALREADY_BOOKED', {}, { wellhub_reserved: 4 }, 'BK_0'],
    ['6. Wellhub limit reached', 'CLASS_IS_FULL', {}, { wellhub_reserved: 4 }, undefined],
    [
      '6. capacity taken by the gym’s own sales',
      'CLASS_IS_FULL',
      {},
      { booked_elsewhere: 8, wellhub_reserved: 2 },
      undefined,
    ],
  ])('%s: REJECTED %s', (_name, category, b, s, holder) => {
    expect(decide(b, s, holder)).toMatchObject({ kind: 'reject', category, reason: expect.any(String) });
  });

  it('7. otherwise RESERVED; the member’s own seat marker is not "already booked"', () => {
    expect(decide({}, { wellhub_reserved: 3 }).kind).toBe('reserve');
    expect(decide({}, {}, 'BK_1').kind).toBe('reserve');
  });

  it('counts the seats left as the smaller of the Wellhub limit and the capacity after other sales', () => {
    expect(seatsLeft({ ...slot, wellhub_reserved: 1 })).toBe(3);
    expect(seatsLeft({ ...slot, booked_elsewhere: 8, wellhub_reserved: 1 })).toBe(1);
    expect(seatsLeft({ total_capacity: 10, booked_elsewhere: 11, wellhub_reserved: 0 })).toBe(0);
    expect(seatsLeft({ ...slot, wellhub_limit: 0 })).toBe(0);
  });
});

describe('an answer’s course', () => {
  const reserved = withDecision(booking, { kind: 'reserve', slot }, NOW);

  it('records the decision, its deadline and the seat before any call', () => {
    expect(reserved).toMatchObject({
      status: 'RESERVED',
      answer: { status: 'RESERVED', state: 'pending', attempts: [], decided_at: NOW.toISOString() },
      seat: { slot_reference: 'yoga-1', taken_at: NOW.toISOString() },
    });
    expect(Date.parse(reserved.answer?.deadline ?? '')).toBe(Date.parse(REQUESTED_AT) + ANSWER_WINDOW_MS);
    expect(owed(reserved, NOW)).toMatchObject({ kind: 'answer', body: { status: 'RESERVED' } });
  });

  it('is delivered once: after a 204 nothing more is owed', () => {
    const { booking: after } = withCall(reserved, 'answer', { kind: 'delivered', httpStatus: 204 }, NOW);
    expect(after.answer).toMatchObject({ state: 'delivered', delivered_at: NOW.toISOString() });
    expect(owed(after, NOW).kind).toBe('nothing');
    // A late retry result never undoes delivery.
    const { booking: later } = withCall(after, 'answer', { kind: 'retry', error: 'timeout' }, NOW);
    expect(later.answer?.state).toBe('delivered');
  });

  it('a refusal of the first attempt rejects the booking and gives its seat back', () => {
    const { booking: after, released } = withCall(
      reserved,
      'answer',
      { kind: 'refused', httpStatus: 400, error: 'HTTP 400' },
      NOW,
    );
    expect(after).toMatchObject({ status: 'REJECTED', rejected_by: 'wellhub', answer: { state: 'refused' } });
    expect(released).toMatchObject({
      slot_reference: 'yoga-1',
      released_because: 'wellhub refused the answer',
    });
    expect(failedMessage(after)).toBe(true);
  });

  it('a refusal after an attempt whose answer was lost may have landed: the seat is kept', () => {
    const { booking: lost } = withCall(reserved, 'answer', { kind: 'retry', error: 'timeout' }, NOW);
    const { booking: after, released } = withCall(
      lost,
      'answer',
      { kind: 'refused', httpStatus: 409, error: 'HTTP 409' },
      NOW,
    );
    expect(after).toMatchObject({ status: 'RESERVED', answer: { state: 'possibly_delivered' } });
    expect(released).toBeUndefined();
  });

  it('past its deadline it times out: REJECTED by wellhub_timeout, the seat released once', () => {
    const late = new Date(Date.parse(REQUESTED_AT) + ANSWER_WINDOW_MS);
    expect(owed(reserved, late)).toEqual({ kind: 'expired', message: 'answer' });
    const { booking: after, released } = withExpiry(reserved, 'answer', late);
    expect(after).toMatchObject({
      status: 'REJECTED',
      rejected_by: 'wellhub_timeout',
      answer: { state: 'timed_out' },
    });
    expect(released).toBeDefined();
    expect(withExpiry(after, 'answer', late).released).toBeUndefined();
  });

  it('is not wanted once the member canceled, nor when Wellhub then refuses it', () => {
    const canceled: BookingRecord = { ...reserved, status: 'CANCELED' };
    expect(owed(canceled, NOW).kind).toBe('unwanted');
    const { booking: after } = withCall(
      canceled,
      'answer',
      { kind: 'refused', httpStatus: 409, error: 'HTTP 409' },
      NOW,
    );
    expect(after.answer?.state).toBe('not_needed');
    expect(failedMessage(after)).toBe(false);
  });
});

describe('the gym canceling one booking', () => {
  const reserved = withDecision(booking, { kind: 'reserve', slot }, NOW);

  it('cancels a reserved booking, gives its seat back, and owes CANCELLED_BY_GYM after the answer', () => {
    const result = cancelOneByGym(reserved, NOW, 'Instructor ill');
    if ('refused' in result) throw new Error(result.refused);
    expect(result.booking).toMatchObject({
      status: 'CANCELED_BY_GYM',
      gym_cancellation: { state: 'pending' },
    });
    expect(result.released).toBeDefined();
    expect(owed(result.booking, NOW).kind).toBe('answer');
    const delivered = withCall(result.booking, 'answer', { kind: 'delivered', httpStatus: 204 }, NOW).booking;
    expect(owed(delivered, NOW)).toMatchObject({
      kind: 'gym_cancellation',
      body: { status: 'CANCELLED_BY_GYM', reason: 'Instructor ill' },
    });
    // Asking again changes nothing.
    const again = cancelOneByGym(delivered, NOW);
    expect('refused' in again ? again : again.booking).toBe(delivered);
  });

  it('refuses a booking that is not reserved', () => {
    expect(cancelOneByGym(booking, NOW)).toEqual({ refused: expect.stringContaining('REQUESTED') });
    const rejected = withDecision(
      booking,
      { kind: 'reject', category: 'CLASS_IS_FULL', reason: 'full' },
      NOW,
    );
    expect(cancelOneByGym(rejected, NOW)).toEqual({ refused: expect.stringContaining('REJECTED') });
  });
});
