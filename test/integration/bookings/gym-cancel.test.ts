import { type BookingHarness, bookingHarness } from '../../support/bookings';

/** CONTRACT §11, §14: the gym cancels one reserved booking through the gym API. */
describe('the gym canceling one booking', () => {
  let h: BookingHarness;
  beforeAll(async () => {
    h = await bookingHarness();
  });
  afterAll(() => h.close());

  /** A booking answered RESERVED and delivered, on a fresh slot. */
  async function reserved() {
    const slot = await h.publishedSlot({ total_capacity: 5, booked_elsewhere: 2 });
    const n = await h.book(slot.wellhubSlotId);
    await h.drain();
    expect(await h.record(n)).toMatchObject({ status: 'RESERVED', answer: { state: 'delivered' } });
    return { slot, n };
  }

  it('releases the seat and tells Wellhub CANCELLED_BY_GYM once, after the reservation', async () => {
    const { slot, n } = await reserved();
    expect(await h.seats(slot.reference, slot.wellhubSlotId)).toEqual({ reserved: 1, wellhubTotalBooked: 3 });

    const canceled = await h.gym('POST', `/gym/bookings/${n}/cancel`, { reason: 'The instructor is ill.' });

    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({
      booking_number: n,
      status: 'CANCELED_BY_GYM',
      seat: { slot_reference: slot.reference, released_at: expect.any(String) },
      gym_cancellation: { reason: 'The instructor is ill.', state: 'pending' },
    });
    expect((await h.store.schedule.getSlot(slot.reference))?.wellhub_reserved).toBe(0);
    await h.drain();
    expect(h.atWellhub(n).answers.map((answer) => answer.body)).toEqual([
      { status: 'RESERVED' },
      { status: 'CANCELLED_BY_GYM', reason: 'The instructor is ill.' },
    ]);
    expect(h.atWellhub(n).status).toBe('CANCELLED_BY_GYM');
    expect(await h.seats(slot.reference, slot.wellhubSlotId)).toEqual({ reserved: 0, wellhubTotalBooked: 2 });
    const shown = await h.gym('GET', `/gym/bookings/${n}`);
    expect(shown.body).toMatchObject({
      status: 'CANCELED_BY_GYM',
      answer: { status: 'RESERVED', state: 'delivered', attempts: [{ http_status: 204 }] },
      gym_cancellation: { state: 'delivered', delivered_at: expect.any(String) },
    });
    expect(shown.body.history).toContainEqual(
      expect.objectContaining({ event_type: 'gym-canceled-booking' }),
    );
  });

  it('answers 200 again and changes nothing when asked twice', async () => {
    const { n } = await reserved();
    const first = await h.gym('POST', `/gym/bookings/${n}/cancel`);
    await h.drain();
    const before = await h.record(n);

    const second = await h.gym('POST', `/gym/bookings/${n}/cancel`, {});

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({
      status: 'CANCELED_BY_GYM',
      gym_cancellation: { state: 'delivered' },
    });
    await h.drain();
    expect((await h.record(n)).version).toBe(before.version);
    expect(h.atWellhub(n).answers.map((answer) => answer.body)).toEqual([
      { status: 'RESERVED' },
      { status: 'CANCELLED_BY_GYM' },
    ]);
  });

  it('refuses with 409 a booking the gym rejected, and sends Wellhub nothing more', async () => {
    const slot = await h.publishedSlot({ total_capacity: 2, wellhub_limit: 1, booked_elsewhere: 0 });
    await h.book(slot.wellhubSlotId, '4000000000001');
    await h.drain();
    const full = await h.book(slot.wellhubSlotId, '4000000000002');
    await h.drain();
    expect(await h.record(full)).toMatchObject({ status: 'REJECTED', reason_category: 'CLASS_IS_FULL' });

    const refused = await h.gym('POST', `/gym/bookings/${full}/cancel`);

    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ error: 'not_reserved', message: expect.stringContaining('REJECTED') });
    expect((await h.record(full)).status).toBe('REJECTED');
    expect(h.atWellhub(full).answers).toHaveLength(1);
  });

  it('answers 404 for an unknown booking and 400 for a body it cannot take', async () => {
    const { n } = await reserved();

    expect((await h.gym('POST', '/gym/bookings/BK_NOPE/cancel')).status).toBe(404);
    const tooLong = await h.gym('POST', `/gym/bookings/${n}/cancel`, { reason: 'x'.repeat(201) });
    expect(tooLong).toEqual({
      status: 400,
      body: { error: 'invalid_field', message: 'reason must be at most 200 characters' },
    });
    expect((await h.gym('POST', `/gym/bookings/${n}/cancel`, { why: 'no' })).status).toBe(400);
    expect((await h.gym('POST', `/gym/bookings/${n}/cancel`, '{"reason":')).status).toBe(400);
    expect((await h.gym('POST', `/gym/bookings/${n}/cancel`, { reason: 7 })).status).toBe(400);
    expect((await h.record(n)).status).toBe('RESERVED');
  });

  it('shows the answer of each booking on the sign-in list, and no pipeline bookkeeping', async () => {
    const { slot, n } = await reserved();

    const list = await h.gym('GET', `/gym/slots/${slot.reference}`);
    const shown = await h.gym('GET', `/gym/bookings/${n}`);

    expect(list.body.bookings).toEqual([
      expect.objectContaining({ booking_number: n, status: 'RESERVED', answer_status: 'RESERVED' }),
    ]);
    for (const field of ['work_queue', 'work_at', 'job_requested_at', 'lease_until', 'list_pk', 'version'])
      expect(shown.body).not.toHaveProperty(field);
    expect(Object.keys(shown.body).slice(0, 2)).toEqual(['booking_number', 'status']);
  });
});
