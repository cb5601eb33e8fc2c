/**
 * The local Wellhub acting as Wellhub does for its members (like the sandbox's helpers): a member
 * books, cancels, checks in for a booking, or walks in. Each records what happened and sends the
 * signed webhook Wellhub would send, to the gym's registered URL or the local receiver.
 */
import { type EventType, routeOf } from '#lib/wellhub/routes';
import type { SimClock } from './clock';
import { applyTimeRules, bookable, VALIDATION_WINDOW_MS } from './rules';
import type { SimBooking, SimCheckin, SimDelivery, SimState } from './state';
import { bookingEvent, checkinEvent, type DeliveryTarget, deliverWebhook } from './webhooks';

/** Wellhub's sandbox test members. */
export const TEST_MEMBERS = Array.from(
  { length: 10 },
  (_, i) => `10000000000${String(i + 1).padStart(2, '0')}`,
);

export interface ActingOptions {
  readonly state: SimState;
  readonly clock: SimClock;
  /** Where webhooks go when the gym registered none: `<receiverUrl><route path>`. */
  readonly receiverUrl: string;
  readonly webhookSecret: string;
  readonly webhookTimeoutMs?: number;
}

/** Per call: send to another receiver or sign with another secret than the configured ones. */
export interface DeliveryOverride {
  readonly receiverUrl?: string;
  readonly webhookSecret?: string;
}

export type ActResult<T> =
  | { readonly ok: true; readonly record: T; readonly delivery: SimDelivery }
  | { readonly ok: false; readonly status: number; readonly error: string };

export interface Acting {
  book(input: { slotId: number; gympassId?: string } & DeliveryOverride): Promise<ActResult<SimBooking>>;
  cancel(input: { bookingNumber: string; late?: boolean } & DeliveryOverride): Promise<ActResult<SimBooking>>;
  checkin(input: { bookingNumber: string } & DeliveryOverride): Promise<ActResult<SimCheckin>>;
  walkin(
    input: { gympassId: string; gymId: number; productId?: number } & DeliveryOverride,
  ): Promise<ActResult<SimCheckin>>;
}

const GYMPASS_ID = /^\d{13}$/;

export function acting(options: ActingOptions): Acting {
  const { state, clock } = options;
  const refuse = (status: number, error: string) => ({ ok: false, status, error }) as const;

  const target = (gymId: number, event: EventType, override: DeliveryOverride): DeliveryTarget => {
    const registered = state.webhooks.get(gymId)?.find((w) => w.event === event);
    if (registered && override.receiverUrl === undefined && override.webhookSecret === undefined)
      return registered;
    const base = (override.receiverUrl ?? options.receiverUrl).replace(/\/+$/, '');
    return { url: `${base}${routeOf(event).path}`, secret: override.webhookSecret ?? options.webhookSecret };
  };
  const send = async (gymId: number, event: Record<string, unknown>, override: DeliveryOverride) => {
    const type = String(event.event_type) as EventType;
    const delivery = await deliverWebhook(target(gymId, type, override), event, {
      now: clock.now,
      ...(options.webhookTimeoutMs !== undefined ? { timeoutMs: options.webhookTimeoutMs } : {}),
    });
    state.deliveries.push(delivery);
    return delivery;
  };
  const productOf = (id: number | undefined) =>
    state.products.find((p) => p.product_id === id) ??
    state.products[0] ?? { product_id: 0, name: 'Unknown' };

  return {
    async book(input) {
      const now = clock.now();
      applyTimeRules(state, now);
      const verdict = bookable(state, input.slotId, now);
      if (!verdict.ok) return refuse(verdict.status, verdict.error);
      const slot = state.slots.get(input.slotId);
      if (!slot) return refuse(404, `no slot ${input.slotId}`);
      const active = (id: string) =>
        [...state.bookings.values()].some(
          (b) => b.slot_id === slot.id && b.gympass_id === id && ['REQUESTED', 'RESERVED'].includes(b.status),
        );
      const gympassId = input.gympassId ?? TEST_MEMBERS.find((id) => !active(id)) ?? TEST_MEMBERS[0] ?? '';
      if (!GYMPASS_ID.test(gympassId)) return refuse(400, 'the member is a Wellhub ID of 13 digits');
      const booking: SimBooking = {
        booking_number: state.bookingNumber(),
        gym_id: slot.gym_id,
        class_id: slot.class_id,
        slot_id: slot.id,
        gympass_id: gympassId,
        timestamp: now,
        status: 'REQUESTED',
        answers: [],
      };
      state.bookings.set(booking.booking_number, booking);
      const delivery = await send(booking.gym_id, bookingEvent('booking-requested', booking, now), input);
      return { ok: true, record: booking, delivery };
    },

    async cancel(input) {
      const now = clock.now();
      applyTimeRules(state, now);
      const booking = state.bookings.get(input.bookingNumber);
      if (!booking) return refuse(404, `no booking ${input.bookingNumber}`);
      if (!['REQUESTED', 'RESERVED'].includes(booking.status))
        return refuse(409, `booking ${input.bookingNumber} is ${booking.status}: nothing to cancel`);
      booking.status = input.late ? 'LATE_CANCELED' : 'CANCELED';
      booking.ended_by = 'member';
      booking.ended_at = new Date(now).toISOString();
      const type = input.late ? 'booking-late-canceled' : 'booking-canceled';
      const delivery = await send(booking.gym_id, bookingEvent(type, booking, now), input);
      return { ok: true, record: booking, delivery };
    },

    async checkin(input) {
      const now = clock.now();
      applyTimeRules(state, now);
      const booking = state.bookings.get(input.bookingNumber);
      if (!booking) return refuse(404, `no booking ${input.bookingNumber}`);
      // The app offers a booked check-in only for a reserved booking; its 30-minute window around
      // the class is not enforced, so a walkthrough needs no clock moves.
      if (booking.status !== 'RESERVED')
        return refuse(
          409,
          `booking ${input.bookingNumber} is ${booking.status}: only a RESERVED booking can check in`,
        );
      const productId = Number(state.slots.get(booking.slot_id)?.fields.product_id);
      const checkin = record(
        booking.gym_id,
        booking.gympass_id,
        productOf(productId).product_id,
        now,
        booking.booking_number,
      );
      const delivery = await send(
        checkin.gym_id,
        checkinEvent(checkin, productOf(checkin.product_id)),
        input,
      );
      return { ok: true, record: checkin, delivery };
    },

    async walkin(input) {
      const now = clock.now();
      if (!GYMPASS_ID.test(input.gympassId)) return refuse(400, 'the member is a Wellhub ID of 13 digits');
      const product = productOf(input.productId);
      const checkin = record(input.gymId, input.gympassId, product.product_id, now);
      const delivery = await send(checkin.gym_id, checkinEvent(checkin, product), input);
      return { ok: true, record: checkin, delivery };
    },
  };

  function record(gymId: number, gympassId: string, productId: number, now: number, bookingNumber?: string) {
    const checkin: SimCheckin = {
      id: state.checkinId(),
      gym_id: gymId,
      gympass_id: gympassId,
      ...(bookingNumber !== undefined ? { booking_number: bookingNumber } : {}),
      product_id: productId,
      checked_in_at: now,
      expires_at: now + VALIDATION_WINDOW_MS,
      validations: [],
    };
    state.checkins.push(checkin);
    return checkin;
  }
}
