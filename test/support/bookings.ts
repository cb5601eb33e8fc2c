/**
 * Booking requests end to end below `npm start`: members book through the local Wellhub, its webhooks
 * go through the real handlers, and the pipeline answers at the local Wellhub over real HTTP.
 */
import type { BookingRecord } from '#lib/bookings/records';
import type { SimBooking } from '#lib/local-wellhub/state';
import { classBody, type ScheduleHarness, scheduleHarness, slotBody, uniqueRef } from './schedule';

/** Webhooks are handed to the handlers by the test, not POSTed: nothing listens here. */
const NOWHERE = 'http://127.0.0.1:9';

export async function bookingHarness(options: Parameters<typeof scheduleHarness>[0] = {}) {
  const h = await scheduleHarness(options);

  /** A class and a slot published at Wellhub; the slot's reference and Wellhub id. */
  async function publishedSlot(overrides: Record<string, unknown> = {}, hoursAhead = 26) {
    const cls = uniqueRef('cls');
    expect((await h.gym('PUT', `/gym/classes/${cls}`, classBody())).status).toBe(200);
    const reference = uniqueRef('slot');
    const put = await h.gym('PUT', `/gym/slots/${reference}`, slotBody(cls, overrides, hoursAhead));
    if (put.status !== 200) throw new Error(`slot PUT ${put.status}: ${JSON.stringify(put.body)}`);
    await h.drain();
    const slot = await h.gym('GET', `/gym/slots/${reference}`);
    return { reference, wellhubSlotId: Number(slot.body.wellhub_slot_id) };
  }

  /**
   * A member books at the local Wellhub; its webhook is held back: `deliver()` hands it to the
   * handler when the test wants it to arrive.
   */
  async function request(wellhubSlotId: number, gympassId?: string) {
    const booked = await h.wellhub.acting.book({
      slotId: wellhubSlotId,
      receiverUrl: NOWHERE,
      ...(gympassId !== undefined ? { gympassId } : {}),
    });
    if (!booked.ok) throw new Error(booked.error);
    const body = booked.delivery.body as Record<string, unknown>;
    return {
      number: booked.record.booking_number,
      deliver: async () => expect((await h.deliver('booking-requested', { body })).status).toBe(200),
    };
  }

  /** A member books at the local Wellhub; its webhook reaches the handler. The booking number. */
  async function book(wellhubSlotId: number, gympassId?: string): Promise<string> {
    const requested = await request(wellhubSlotId, gympassId);
    await requested.deliver();
    return requested.number;
  }

  /** The member cancels at the local Wellhub; the webhook body, for delivering again. */
  async function cancel(bookingNumber: string, late = false): Promise<Record<string, unknown>> {
    const canceled = await h.wellhub.acting.cancel({ bookingNumber, late, receiverUrl: NOWHERE });
    if (!canceled.ok) throw new Error(canceled.error);
    const body = canceled.delivery.body as Record<string, unknown>;
    expect((await h.deliver(late ? 'booking-late-canceled' : 'booking-canceled', { body })).status).toBe(200);
    return body;
  }

  async function record(bookingNumber: string): Promise<BookingRecord> {
    const booking = await h.store.bookings.get(bookingNumber);
    if (!booking) throw new Error(`no booking ${bookingNumber}`);
    return booking;
  }

  function atWellhub(bookingNumber: string): SimBooking {
    const booking = h.wellhub.state.bookings.get(bookingNumber);
    if (!booking) throw new Error(`the local Wellhub has no booking ${bookingNumber}`);
    return booking;
  }

  /** What the slot looks like at Wellhub and in our records. */
  async function seats(reference: string, wellhubSlotId: number) {
    const slot = await h.store.schedule.getSlot(reference);
    return {
      reserved: slot?.wellhub_reserved,
      wellhubTotalBooked: h.wellhub.state.slots.get(wellhubSlotId)?.fields.total_booked,
    };
  }

  return { ...h, publishedSlot, request, book, cancel, record, atWellhub, seats };
}

export type BookingHarness = Awaited<ReturnType<typeof bookingHarness>> & ScheduleHarness;
