import { type BookingFixture, bookedCheckin, bookingEvent } from '../support/fixtures';
import { type Harness, webhookHarness } from '../support/harness';

const event = (name: BookingFixture, bookingNumber: string, eventId: string, wellhubId = '1234567890123') =>
  bookingEvent(name, { bookingNumber, eventId, wellhubId });
const checkin = (bookingNumber: string) => bookedCheckin({ bookingNumber, wellhubId: '1234567890123' });

describe('idempotency under Wellhub retries (CONTRACT §4)', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await webhookHarness();
  });

  it('applies 20 concurrent identical deliveries once: 1 accepted, 19 duplicates, one history entry', async () => {
    const body = JSON.stringify(event('booking-requested', 'BK_STORM', 'evt-storm'));

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => harness.deliver('booking-requested', { body })),
    );

    const statuses = answers.map((answer) => `${answer.status} ${answer.body.status}`);
    expect(statuses.filter((s) => s === '200 accepted')).toHaveLength(1);
    expect(statuses.filter((s) => s === '200 duplicate')).toHaveLength(19);
    await harness.drain();
    const booking = await harness.store.getBooking('BK_STORM');
    expect(booking?.history).toHaveLength(1);
    expect(booking?.version).toBe(1);
  });

  it('applies 20 concurrent identical check-ins without an event id once (keyed by body hash)', async () => {
    const body = JSON.stringify(checkin('BK_STORM_CHECKIN'));

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => harness.deliver('checkin-booking-occurred', { body })),
    );

    expect(answers.filter((answer) => answer.body.status === 'accepted')).toHaveLength(1);
    expect(answers.filter((answer) => answer.body.status === 'duplicate')).toHaveLength(19);
    await harness.drain();
    expect((await harness.store.getBooking('BK_STORM_CHECKIN'))?.history).toHaveLength(1);
  });

  it('applies different events for one booking, delivered concurrently, each exactly once', async () => {
    const requested = event('booking-requested', 'BK_RACE', 'evt-race-req');
    const canceled = event('booking-canceled', 'BK_RACE', 'evt-race-can');
    const deliveries = [
      ...Array.from({ length: 4 }, () => harness.deliver('booking-requested', { body: requested })),
      ...Array.from({ length: 4 }, () => harness.deliver('booking-canceled', { body: canceled })),
    ];

    const answers = await Promise.all(deliveries);

    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    await harness.drain();
    const booking = await harness.store.getBooking('BK_RACE');
    expect(booking?.history.map((entry) => entry.event_id).sort()).toEqual(['evt-race-can', 'evt-race-req']);
    expect(booking?.status).toBe('CANCELED');
  });

  it('creates one customer when two first bookings of a new Wellhub ID arrive together', async () => {
    const first = event('booking-requested', 'BK_NEW_1', 'evt-new-1', '9990000000001');
    const second = event('booking-requested', 'BK_NEW_2', 'evt-new-2', '9990000000001');

    await Promise.all([
      harness.deliver('booking-requested', { body: first }),
      harness.deliver('booking-requested', { body: second }),
    ]);

    await harness.drain();
    const customer = await harness.store.getCustomerByWellhubId('9990000000001');
    expect(customer).toBeDefined();
    expect((await harness.store.getBooking('BK_NEW_1'))?.customer_id).toBe(customer?.customer_id);
    expect((await harness.store.getBooking('BK_NEW_2'))?.customer_id).toBe(customer?.customer_id);
  });

  it('attaches later bookings of a known Wellhub ID to the same profile', async () => {
    await harness.deliver('booking-requested', {
      body: event('booking-requested', 'BK_KNOWN_1', 'evt-k1', '9990000000002'),
    });
    await harness.deliver('booking-requested', {
      body: event('booking-requested', 'BK_KNOWN_2', 'evt-k2', '9990000000002'),
    });

    await harness.drain();
    const one = await harness.store.getBooking('BK_KNOWN_1');
    const two = await harness.store.getBooking('BK_KNOWN_2');
    expect(one?.customer_id).toBeDefined();
    expect(two?.customer_id).toBe(one?.customer_id);
  });
});

describe('out-of-order events (CONTRACT §6)', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await webhookHarness();
  });

  it('creates the booking from a cancellation that arrives before its request, and never reopens it', async () => {
    await harness.deliver('booking-canceled', {
      body: event('booking-canceled', 'BK_OOO_1', 'evt-o1-can'),
    });
    await harness.drain();
    await harness.deliver('booking-requested', {
      body: event('booking-requested', 'BK_OOO_1', 'evt-o1-req'),
    });
    await harness.drain();

    const booking = await harness.store.getBooking('BK_OOO_1');
    expect(booking?.status).toBe('CANCELED');
    expect(booking?.customer_id).toBeDefined();
    expect(booking?.history.map((entry) => [entry.event_type, entry.conflict ?? false])).toEqual([
      ['booking-canceled', false],
      ['booking-requested', false],
    ]);
  });

  it('keeps a check-in that came first, and flags the later late cancellation as a conflict', async () => {
    await harness.deliver('checkin-booking-occurred', { body: checkin('BK_OOO_2') });
    await harness.drain();
    await harness.deliver('booking-late-canceled', {
      body: event('booking-late-canceled', 'BK_OOO_2', 'evt-o2-late'),
    });
    await harness.drain();

    const booking = await harness.store.getBooking('BK_OOO_2');
    expect(booking?.status).toBe('CHECKED_IN');
    expect(booking?.history.at(-1)).toMatchObject({ event_type: 'booking-late-canceled', conflict: true });
  });
});
