import { loadFixture, withCurrentTimestamps } from '../support/fixtures';
import { type Harness, webhookHarness } from '../support/harness';

describe('the seed examples, signed as Wellhub signs them', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await webhookHarness();
  });

  it('accepts the booking request and creates the booking and the customer profile', async () => {
    const body = withCurrentTimestamps(loadFixture('booking-requested'));

    const answer = await harness.deliver('booking-requested', { body });

    expect(answer).toEqual({
      status: 200,
      body: { status: 'accepted', event_id: '7e8cbb0f-9681-4d3e-8c36-2b3dd6ecbadb' },
    });
    await harness.drain();
    const booking = await harness.store.getBooking('BK_A1B2C3');
    expect(booking).toMatchObject({
      booking_number: 'BK_A1B2C3',
      status: 'REQUESTED',
      gym_id: '012345',
      slot_id: '01234567',
      class_id: '654321',
      wellhub_id: '123456789012',
    });
    const customer = await harness.store.getCustomerByWellhubId('123456789012');
    expect(customer).toMatchObject({
      name: 'Firstname Lastname',
      email: 'user@email.com',
      wellhub_ids: ['123456789012'],
    });
    expect(booking?.customer_id).toBe(customer?.customer_id);
  });

  it('applies the cancellation to the same booking', async () => {
    const answer = await harness.deliver('booking-canceled', {
      body: withCurrentTimestamps(loadFixture('booking-canceled')),
    });

    expect(answer.body).toMatchObject({ status: 'accepted' });
    await harness.drain();
    const booking = await harness.store.getBooking('BK_A1B2C3');
    expect(booking?.status).toBe('CANCELED');
    expect(booking?.history.map((entry) => entry.event_type)).toEqual([
      'booking-requested',
      'booking-canceled',
    ]);
  });

  it('keeps the late cancellation after a cancellation as a conflict, status unchanged', async () => {
    const answer = await harness.deliver('booking-late-canceled', {
      body: withCurrentTimestamps(loadFixture('booking-late-canceled')),
    });

    expect(answer.body).toMatchObject({ status: 'accepted' });
    await harness.drain();
    const booking = await harness.store.getBooking('BK_A1B2C3');
    expect(booking?.status).toBe('CANCELED');
    expect(booking?.history.at(-1)).toMatchObject({ event_type: 'booking-late-canceled', conflict: true });
  });

  it('records the booked check-in, keyed by the body hash since it has no event id', async () => {
    const answer = await harness.deliver('checkin-booking-occurred', {
      body: withCurrentTimestamps(loadFixture('checkin-booking-occurred')),
    });

    expect(answer.status).toBe(200);
    expect(answer.body.event_id).toMatch(/^sha256:[0-9a-f]{64}$/);
    await harness.drain();
    const booking = await harness.store.getBooking('BK_LRNLABC');
    expect(booking).toMatchObject({ status: 'CHECKED_IN', gym_id: '123456', wellhub_id: '1234567890123' });
  });

  it('records the Access Control check-in and creates the profile it names', async () => {
    const body = withCurrentTimestamps(loadFixture('checkin'));

    const answer = await harness.deliver('checkin', { body });

    expect(answer.body).toMatchObject({ status: 'accepted' });
    await harness.drain();
    const events = await harness.store.getEvents(String(answer.body.event_id));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event_type: 'checkin', raw_body: JSON.stringify(body) });
    const customer = await harness.store.getCustomerByWellhubId(String(events[0]?.wellhub_id));
    expect(customer?.customer_id).toBe(events[0]?.customer_id);
  });

  it('answers a repeated booking request with duplicate and changes nothing', async () => {
    const before = await harness.store.getBooking('BK_A1B2C3');
    const requested = withCurrentTimestamps(loadFixture('booking-requested'));

    const answer = await harness.deliver('booking-requested', { body: requested });

    expect(answer.body).toEqual({ status: 'duplicate', event_id: '7e8cbb0f-9681-4d3e-8c36-2b3dd6ecbadb' });
    await harness.drain();
    expect(await harness.store.getBooking('BK_A1B2C3')).toEqual(before);
  });
});
