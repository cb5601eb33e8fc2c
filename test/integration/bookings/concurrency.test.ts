import { type BookingHarness, bookingHarness } from '../../support/bookings';

/**
 * CONTRACT §11: the seat is taken in the same transaction as `RESERVED`, conditional on the counts,
 * so 30 members asking at once for 4 free Wellhub seats get exactly 4 of them, at Wellhub and in our
 * records, whatever order the stream runs them in.
 */
describe('30 members booking one slot at once', () => {
  let h: BookingHarness;
  beforeAll(async () => {
    h = await bookingHarness();
  });
  afterAll(() => h.close());

  let run = 0;
  async function storm(fields: Record<string, unknown>) {
    run += 1;
    const slot = await h.publishedSlot(fields);
    const requests = [];
    for (let i = 0; i < 30; i++) {
      const gympassId = `3${String(run).padStart(4, '0')}${String(i).padStart(8, '0')}`;
      const booked = await h.wellhub.acting.book({
        slotId: slot.wellhubSlotId,
        gympassId,
        receiverUrl: 'http://127.0.0.1:9',
      });
      if (!booked.ok) throw new Error(booked.error);
      requests.push(booked);
    }
    const answers = await Promise.all(
      requests.map((r) =>
        h.deliver('booking-requested', { body: r.delivery.body as Record<string, unknown> }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
    await h.drain(60_000);
    const numbers = requests.map((r) => r.record.booking_number);
    const atWellhub = numbers.map((n) => h.atWellhub(n));
    const ours = await Promise.all(numbers.map((n) => h.record(n)));
    const count = (values: (string | undefined)[]) => {
      const counts: Record<string, number> = {};
      for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
      return counts;
    };
    return {
      wellhub: count(atWellhub.map((b) => (b.status === 'REJECTED' ? b.reason_category : b.status))),
      ours: count(ours.map((b) => (b.status === 'REJECTED' ? b.reason_category : b.status))),
      answersPerBooking: atWellhub.map((b) => b.answers.filter((a) => a.http_status < 300).length),
      seats: await h.seats(slot.reference, slot.wellhubSlotId),
    };
  }

  it.each([
    ['capacity 10, Wellhub limit 4', { total_capacity: 10, wellhub_limit: 4, booked_elsewhere: 0 }, 4],
    [
      'capacity 10, Wellhub limit 4, 6 sold elsewhere',
      { total_capacity: 10, wellhub_limit: 4, booked_elsewhere: 6 },
      10,
    ],
    ['capacity 10, Wellhub limit 4, again', { total_capacity: 10, wellhub_limit: 4, booked_elsewhere: 0 }, 4],
    [
      'capacity 10, Wellhub limit 8, 6 sold elsewhere',
      { total_capacity: 10, wellhub_limit: 8, booked_elsewhere: 6 },
      10,
    ],
  ])(
    '%s: exactly 4 RESERVED and 26 CLASS_IS_FULL',
    async (_name, fields, totalBooked) => {
      const result = await storm(fields);
      expect(result.wellhub).toEqual({ RESERVED: 4, CLASS_IS_FULL: 26 });
      expect(result.ours).toEqual({ RESERVED: 4, CLASS_IS_FULL: 26 });
      expect(result.answersPerBooking).toEqual(Array(30).fill(1));
      expect(result.seats).toEqual({ reserved: 4, wellhubTotalBooked: totalBooked });
    },
    120_000,
  );
});
