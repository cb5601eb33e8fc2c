import { randomUUID } from 'node:crypto';
import { type BookingHarness, bookingHarness } from '../../support/bookings';
import { GYM, validClass, validSlot } from '../../support/local-wellhub';
import { uniqueRef } from '../../support/schedule';

/** A 13-digit Wellhub ID no other test of the file uses. */
let members = 0;
function member(): string {
  members += 1;
  return `2${String(process.pid % 100_000).padStart(5, '0')}${String(members).padStart(7, '0')}`;
}

/**
 * CONTRACT §11: every row of the decision table, in order, reaches Wellhub as the right answer, and
 * the slot's `total_booked` at Wellhub follows every seat taken and given back.
 */
describe('answering booking requests', () => {
  let h: BookingHarness;
  beforeAll(async () => {
    h = await bookingHarness();
  });
  afterAll(() => h.close());

  /** The answers the local Wellhub took for a booking (2xx), oldest first. */
  const delivered = (n: string) =>
    h
      .atWellhub(n)
      .answers.filter((a) => a.http_status < 300)
      .map((a) => a.body);

  it('7. reserved: takes a seat, answers RESERVED once, and sends the new total_booked', async () => {
    const slot = await h.publishedSlot({ total_capacity: 5, booked_elsewhere: 1 });
    const n = await h.book(slot.wellhubSlotId, member());
    await h.drain();
    expect(await h.record(n)).toMatchObject({
      status: 'RESERVED',
      answer: { status: 'RESERVED', state: 'delivered', attempts: [{ http_status: 204 }] },
      seat: { slot_reference: slot.reference },
    });
    expect(delivered(n)).toEqual([{ status: 'RESERVED' }]);
    expect(h.atWellhub(n).status).toBe('RESERVED');
    expect(await h.seats(slot.reference, slot.wellhubSlotId)).toEqual({ reserved: 1, wellhubTotalBooked: 2 });
  });

  it('1. canceled first: a cancellation before the request takes no seat and sends nothing', async () => {
    const slot = await h.publishedSlot();
    const booked = await h.request(slot.wellhubSlotId, member());
    const n = booked.number;
    await h.cancel(n);
    await h.drain();
    await booked.deliver();
    await h.drain();
    const record = await h.record(n);
    expect(record).toMatchObject({ status: 'CANCELED', answer: { status: 'NONE', state: 'not_needed' } });
    expect(record.seat).toBeUndefined();
    expect(h.atWellhub(n).answers).toEqual([]);
    expect(await h.seats(slot.reference, slot.wellhubSlotId)).toEqual({ reserved: 0, wellhubTotalBooked: 2 });
  });

  it('1. canceled while the answer is on its way: it is not sent, and the seat goes back', async () => {
    const slot = await h.publishedSlot();
    h.wellhub.faults.add({
      method: 'PATCH',
      path: '/booking/v2/gyms/*/bookings/*',
      status: 503,
      count: 1000,
    });
    const n = await h.book(slot.wellhubSlotId, member());
    await h.drain();
    expect(await h.record(n)).toMatchObject({ status: 'RESERVED', answer: { state: 'pending' } });
    await h.cancel(n);
    await h.drain();
    h.wellhub.faults.clear();
    await h.sweep(new Date(Date.now() + 120_000));
    await h.drain();
    const record = await h.record(n);
    expect(record).toMatchObject({ status: 'CANCELED', answer: { status: 'RESERVED', state: 'not_needed' } });
    expect(record.seat?.released_at).toBeDefined();
    expect(record.work_queue).toBeUndefined();
    expect(delivered(n)).toEqual([]);
    expect(await h.seats(slot.reference, slot.wellhubSlotId)).toEqual({ reserved: 0, wellhubTotalBooked: 2 });
  });

  it('2. unknown slot: REJECTED CLASS_NOT_FOUND', async () => {
    // A slot at Wellhub that no record of the gym's made.
    const cls = await h.raw('POST', `/booking/v1/gyms/${GYM}/classes`, {
      classes: [validClass({ reference: uniqueRef('alien') })],
    });
    const classId = (cls.body as { classes: { id: number }[] }).classes[0]?.id;
    const slot = await h.raw(
      'POST',
      `/booking/v1/gyms/${GYM}/classes/${classId}/slots`,
      validSlot(h.wellhub.clock.now()),
    );
    const n = await h.book((slot.body as { results: { id: number }[] }).results[0]?.id ?? 0, member());
    await h.drain();
    expect(delivered(n)).toEqual([
      { status: 'REJECTED', reason_category: 'CLASS_NOT_FOUND', reason: expect.any(String) },
    ]);
    expect(await h.record(n)).toMatchObject({ status: 'REJECTED', reason_category: 'CLASS_NOT_FOUND' });
  });

  it('3. canceled slot: REJECTED CLASS_HAS_BEEN_CANCELED', async () => {
    const slot = await h.publishedSlot();
    const booked = await h.request(slot.wellhubSlotId, member());
    // Wellhub still has the slot (its DELETE is failing) when the request is decided.
    h.wellhub.faults.add({
      method: 'DELETE',
      path: '/booking/v1/gyms/*/classes/*/slots/*',
      status: 503,
      count: 1000,
    });
    expect((await h.gym('POST', `/gym/slots/${slot.reference}/cancel`)).status).toBe(200);
    await booked.deliver();
    const n = booked.number;
    await h.drain();
    h.wellhub.faults.clear();
    expect(delivered(n)).toEqual([
      { status: 'REJECTED', reason_category: 'CLASS_HAS_BEEN_CANCELED', reason: expect.any(String) },
    ]);
  });

  it('4. window closed: REJECTED CHECK_IN_AND_CANCELATION_WINDOWS_CLOSED', async () => {
    const slot = await h.publishedSlot();
    const booked = await h.request(slot.wellhubSlotId, member());
    const closed = {
      opens_at: new Date(Date.now() - 3_600_000).toISOString(),
      closes_at: new Date(Date.now() - 60_000).toISOString(),
    };
    const current = await h.gym('GET', `/gym/slots/${slot.reference}`);
    const {
      class_reference,
      occur_date,
      length_in_minutes,
      room,
      total_capacity,
      booked_elsewhere,
      instructors,
    } = current.body;
    const put = await h.gym('PUT', `/gym/slots/${slot.reference}`, {
      class_reference,
      occur_date,
      length_in_minutes,
      room,
      total_capacity,
      booked_elsewhere,
      instructors,
      booking_window: closed,
    });
    expect(put.status).toBe(200);
    await booked.deliver();
    await h.drain();
    expect(delivered(booked.number)).toEqual([
      {
        status: 'REJECTED',
        reason_category: 'CHECK_IN_AND_CANCELATION_WINDOWS_CLOSED',
        reason: expect.any(String),
      },
    ]);
  });

  it('5. already booked: the same member gets one seat per slot', async () => {
    const slot = await h.publishedSlot();
    const who = member();
    const first = await h.book(slot.wellhubSlotId, who);
    await h.drain();
    const second = await h.book(slot.wellhubSlotId, who);
    await h.drain();
    expect(delivered(first)).toEqual([{ status: 'RESERVED' }]);
    expect(delivered(second)).toEqual([
      { status: 'REJECTED', reason_category: 'USER_IS_ALREADY_BOOKED', reason: expect.any(String) },
    ]);
    expect(await h.seats(slot.reference, slot.wellhubSlotId)).toEqual({ reserved: 1, wellhubTotalBooked: 3 });
  });

  it('6. full: the Wellhub limit and the capacity left after the gym’s own sales both count', async () => {
    const limited = await h.publishedSlot({ total_capacity: 10, wellhub_limit: 1, booked_elsewhere: 0 });
    const a = await h.book(limited.wellhubSlotId, member());
    await h.drain();
    const b = await h.book(limited.wellhubSlotId, member());
    await h.drain();
    expect(delivered(a)).toEqual([{ status: 'RESERVED' }]);
    expect(delivered(b)).toEqual([
      { status: 'REJECTED', reason_category: 'CLASS_IS_FULL', reason: expect.any(String) },
    ]);

    const soldOut = await h.publishedSlot({ total_capacity: 3, booked_elsewhere: 2 });
    const c = await h.book(soldOut.wellhubSlotId, member());
    await h.drain();
    expect(delivered(c)).toEqual([{ status: 'RESERVED' }]);
    expect(await h.seats(soldOut.reference, soldOut.wellhubSlotId)).toEqual({
      reserved: 1,
      wellhubTotalBooked: 3,
    });
  });

  it('a cancellation delivered twice and then a late cancellation release one seat', async () => {
    const slot = await h.publishedSlot({ total_capacity: 5, booked_elsewhere: 1 });
    const n = await h.book(slot.wellhubSlotId, member());
    await h.drain();
    expect(await h.seats(slot.reference, slot.wellhubSlotId)).toEqual({ reserved: 1, wellhubTotalBooked: 2 });
    const body = await h.cancel(n);
    const data = body.event_data as Record<string, unknown>;
    // Wellhub's retry (same event id) and a second cancellation (its own id).
    expect((await h.deliver('booking-canceled', { body })).status).toBe(200);
    expect(
      (
        await h.deliver('booking-canceled', {
          body: { ...body, event_data: { ...data, event_id: randomUUID() } },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await h.deliver('booking-late-canceled', {
          body: {
            ...body,
            event_type: 'booking-late-canceled',
            event_data: { ...data, event_id: randomUUID() },
          },
        })
      ).status,
    ).toBe(200);
    await h.drain();
    const record = await h.record(n);
    expect(record.status).toBe('CANCELED');
    expect(record.seat).toMatchObject({ released_because: 'booking-canceled' });
    expect(await h.seats(slot.reference, slot.wellhubSlotId)).toEqual({ reserved: 0, wellhubTotalBooked: 1 });
    // The member may book the slot again.
    const again = await h.book(slot.wellhubSlotId, record.wellhub_id);
    await h.drain();
    expect(delivered(again)).toEqual([{ status: 'RESERVED' }]);
  });
});
