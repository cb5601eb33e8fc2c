import { type BookingHarness, bookingHarness } from '../../support/bookings';

/** CONTRACT §11: every booking request is decided by the table and answered at Wellhub. */
describe('answering booking requests', () => {
  let h: BookingHarness;
  beforeAll(async () => {
    h = await bookingHarness();
  });
  afterAll(() => h.close());

  it('reserves a seat, answers RESERVED once, and tells Wellhub the new total_booked', async () => {
    const slot = await h.publishedSlot({ total_capacity: 5, booked_elsewhere: 1 });
    const n = await h.book(slot.wellhubSlotId);
    await h.drain();
    const booking = await h.record(n);
    expect(booking).toMatchObject({
      status: 'RESERVED',
      answer: { status: 'RESERVED', state: 'delivered' },
      seat: { slot_reference: slot.reference },
    });
    expect(h.atWellhub(n).answers).toEqual([
      expect.objectContaining({ body: { status: 'RESERVED' }, http_status: 204 }),
    ]);
    expect(h.atWellhub(n).status).toBe('RESERVED');
    expect(await h.seats(slot.reference, slot.wellhubSlotId)).toEqual({ reserved: 1, wellhubTotalBooked: 2 });
  });
});
