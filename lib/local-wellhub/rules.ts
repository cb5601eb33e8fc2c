/**
 * Wellhub's rules that depend on time and on what happened before (WELLHUB-API.md). Pure: each takes
 * the records and the simulator's `now`, so tests move the clock instead of waiting.
 */
import { MINUTE_MS } from './clock';
import { checkinState, type SimBooking, type SimCheckin, type SimState } from './state';

/** Unanswered booking requests are rejected 15 minutes after the event's timestamp (doc). */
export const ANSWER_WINDOW_MS = 15 * MINUTE_MS;
/** The gym must validate a check-in within 20 minutes or it expires (doc). */
export const VALIDATION_WINDOW_MS = 20 * MINUTE_MS;
/** Members book up to 14 days ahead. */
export const BOOKING_HORIZON_MS = 14 * 24 * 60 * MINUTE_MS;

/** Applies Wellhub's 15-minute auto-reject to every booking whose time has come. */
export function applyTimeRules(state: SimState, now: number): void {
  for (const booking of state.bookings.values()) {
    const deadline = booking.timestamp + ANSWER_WINDOW_MS;
    if (booking.status === 'REQUESTED' && now >= deadline) {
      booking.status = 'REJECTED';
      booking.ended_by = 'wellhub_timeout';
      booking.ended_at = new Date(deadline).toISOString();
    }
  }
}

export type Verdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: number; readonly error: string };

const OK: Verdict = { ok: true };

/**
 * Whether a gym's answer (a valid PATCH body) is accepted for this booking. Not documented by
 * Wellhub, decided here: repeating the answer already given is accepted (204) and changes nothing;
 * a reserved booking may be cancelled by the gym; anything else after an answer, after the member
 * canceled, or after the 15-minute auto-reject is 409 Conflict.
 */
export function answerVerdict(booking: SimBooking, status: string): Verdict {
  const conflict = (error: string): Verdict => ({ ok: false, status: 409, error });
  if (booking.ended_by === 'wellhub_timeout')
    return conflict('booking was rejected automatically: not answered within 15 minutes of its request');
  if (booking.status === 'CANCELED' || booking.status === 'LATE_CANCELED')
    return conflict('booking was canceled by the member');
  if (booking.ended_by === 'slot_deleted') return conflict('booking was canceled: its slot was deleted');
  if (booking.status === status) return OK;
  if (booking.status === 'REQUESTED') return OK;
  if (booking.status === 'RESERVED' && status === 'CANCELLED_BY_GYM') return OK;
  return conflict(`booking was already answered ${booking.status}`);
}

/** The lifecycle after an accepted answer. */
export function applyAnswer(booking: SimBooking, body: Record<string, unknown>, at: string): void {
  const status = body.status;
  if (booking.status === status) return;
  if (status === 'RESERVED') booking.status = 'RESERVED';
  if (status === 'REJECTED' || status === 'CANCELLED_BY_GYM') {
    booking.status = status;
    booking.ended_by = 'gym';
    booking.ended_at = at;
    if (typeof body.reason_category === 'string') booking.reason_category = body.reason_category;
  }
}

export type ValidationVerdict =
  | { readonly ok: true; readonly checkin: SimCheckin }
  | {
      readonly ok: false;
      readonly status: number;
      readonly key: string;
      readonly message: string;
      readonly checkin?: SimCheckin;
    };

/**
 * Which check-in a validation is for: the member's latest at that gym that is still pending, else
 * their latest there at all (whose state gives the error).
 */
export function validationVerdict(
  state: SimState,
  gymId: number,
  gympassId: string,
  now: number,
): ValidationVerdict {
  const theirs = state.checkins.filter((c) => c.gym_id === gymId && c.gympass_id === gympassId);
  const pending = theirs.filter((c) => checkinState(c, now) === 'pending').at(-1);
  if (pending) return { ok: true, checkin: pending };
  const latest = theirs.at(-1);
  if (!latest)
    return {
      ok: false,
      status: 404,
      key: 'checkin.validation.notfound',
      message: 'no check-in found for this user at this gym',
    };
  switch (checkinState(latest, now)) {
    case 'validated':
      return {
        ok: false,
        status: 400,
        key: 'checkin.already.validated',
        message: 'check-in already validated',
        checkin: latest,
      };
    case 'canceled':
      return {
        ok: false,
        status: 400,
        key: 'checkin.validation.canceled',
        message: 'check-in was canceled',
        checkin: latest,
      };
    default:
      return {
        ok: false,
        status: 400,
        key: 'checkin.validation.expired',
        message: 'check-in expired: validate within 20 minutes',
        checkin: latest,
      };
  }
}

/** Whether a member could book this slot now, as Wellhub's app allows; the reason when not. */
export function bookable(state: SimState, slotId: number, now: number): Verdict {
  const slot = state.slots.get(slotId);
  if (!slot || slot.deleted_at) return { ok: false, status: 404, error: `no slot ${slotId}` };
  const wellhubClass = state.classes.get(slot.class_id);
  const refuse = (error: string): Verdict => ({ ok: false, status: 409, error });
  if (!wellhubClass?.fields.visible || !wellhubClass.fields.bookable)
    return refuse('the class is not visible and bookable');
  if (slot.fields.status === 0) return refuse('the slot is inactive');
  const start = Date.parse(String(slot.fields.occur_date));
  if (now >= start) return refuse('the slot has started');
  if (start - now > BOOKING_HORIZON_MS) return refuse('the slot is more than 14 days ahead');
  const window = slot.fields.booking_window as { opens_at?: string; closes_at?: string } | undefined;
  if (window?.opens_at && now < Date.parse(window.opens_at))
    return refuse('the booking window is not open yet');
  if (window?.closes_at && now > Date.parse(window.closes_at)) return refuse('the booking window has closed');
  if (Number(slot.fields.total_booked) >= Number(slot.fields.total_capacity))
    return refuse('the slot is full');
  return OK;
}
