import type {
  BookingCanceled,
  BookingLateCanceled,
  BookingRequested,
  CheckinBookingOccurred,
} from '#lib/wellhub/wellhub-event';
import { type BookingUpdate, releaseSeat, withDecision } from './answer';
import type { BookingRecord, BookingStatus, GymAction, HistoryEntry, Seat } from './records';
import { newValidation } from './validation';

/** The Wellhub events that are about one booking. */
export type BookingEvent = BookingRequested | BookingCanceled | BookingLateCanceled | CheckinBookingOccurred;

/** Once a booking reaches one of these, no later event changes its status (CONTRACT §6). */
export const TERMINAL_STATUSES: ReadonlySet<BookingStatus> = new Set([
  'REJECTED',
  'CANCELED',
  'LATE_CANCELED',
  'CANCELED_BY_GYM',
  'CHECKED_IN',
]);

const STATUS_AFTER: Record<BookingEvent['type'], BookingStatus> = {
  'booking-requested': 'REQUESTED',
  'booking-canceled': 'CANCELED',
  'booking-late-canceled': 'LATE_CANCELED',
  'checkin-booking-occurred': 'CHECKED_IN',
};

export interface Applied {
  readonly eventKey: string;
  readonly receivedAt: string;
  /** The customer matched or created for the event's Wellhub ID, when there is one. */
  readonly customerId: string | undefined;
}

export interface BookingChange {
  readonly booking: BookingRecord;
  readonly conflict: boolean;
  /** The seat the booking gave back with this event (a reserved booking canceled by the member). */
  readonly released?: Seat;
}

/**
 * Folds one event into a booking. Events may arrive in any order: whatever arrives first creates the
 * record from what it carries; `booking-requested` fills in details but never reopens a booking;
 * the first terminal event wins and a later, different one is kept in the history as a conflict.
 */
export function applyToBooking(
  current: BookingRecord | undefined,
  event: BookingEvent,
  applied: Applied,
): BookingChange {
  const proposed = STATUS_AFTER[event.type];
  const status = nextStatus(current?.status, proposed);
  const conflict =
    current !== undefined &&
    TERMINAL_STATUSES.has(current.status) &&
    proposed !== 'REQUESTED' &&
    proposed !== current.status;
  const entry: HistoryEntry = {
    event_type: event.type,
    event_key: applied.eventKey,
    ...(event.eventId !== undefined ? { event_id: event.eventId } : {}),
    occurred_at: event.occurredAt,
    received_at: applied.receivedAt,
    status,
    ...(conflict ? { conflict: true as const } : {}),
  };
  const slot = 'slot' in event ? event.slot : undefined;
  const customerId = current?.customer_id ?? applied.customerId;
  const firstRequest = event.type === 'booking-requested' && current?.requested_at === undefined;
  const folded: BookingRecord = {
    // Everything else the booking carries (its answer, seat, pipeline bookkeeping) stays as it is.
    ...current,
    booking_number: current?.booking_number ?? bookingNumber(event),
    gym_id: current?.gym_id ?? event.gymId,
    ...optional('slot_id', current?.slot_id ?? slot?.id),
    ...optional('class_id', current?.class_id ?? slot?.classId),
    wellhub_id: current?.wellhub_id ?? event.wellhubId,
    ...optional('customer_id', customerId),
    status,
    ...(firstRequest ? { requested_at: event.occurredAt } : {}),
    created_at: current?.created_at ?? applied.receivedAt,
    updated_at: applied.receivedAt,
    history: [...(current?.history ?? []), entry],
    version: (current?.version ?? 0) + 1,
  };
  // A reserved booking the member cancels gives its seat back, once, in the same write.
  const memberCanceled = status !== current?.status && (status === 'CANCELED' || status === 'LATE_CANCELED');
  const { booking, released } = memberCanceled
    ? releaseSeat(folded, event.type, new Date(applied.receivedAt))
    : { booking: folded, released: undefined };
  const owing = firstRequest
    ? owesAnswer(booking, applied.receivedAt)
    : event.type === 'checkin-booking-occurred' && booking.validation === undefined
      ? owesValidation(booking, event.occurredAt, applied.receivedAt)
      : booking;
  return { booking: owing, conflict, ...(released ? { released } : {}) };
}

/** A booked check-in owes its validation at Wellhub, which pays the gym for the visit (CONTRACT §12). */
function owesValidation(booking: BookingRecord, checkedInAt: string, at: string): BookingRecord {
  // Out of the failed list too: an answer on-call still has to look at does not hold up the visit.
  const { work_queue: _queue, ...rest } = booking;
  return { ...rest, validation: newValidation(checkedInAt), work_at: at, job_requested_at: at };
}

/**
 * A first booking request owes the gym's answer: the booking enters the work index and is handed to
 * the stream. One the member canceled before it arrived is settled at once: nothing is sent (rule 1).
 */
function owesAnswer(booking: BookingRecord, at: string): BookingRecord {
  if (booking.answer !== undefined) return booking;
  if (booking.status === 'CANCELED' || booking.status === 'LATE_CANCELED')
    return withDecision(
      booking,
      { kind: 'none', reason: 'the member canceled before the request arrived' },
      new Date(at),
    );
  return { ...booking, work_at: at, job_requested_at: at };
}

/**
 * The gym cancels a booking that Wellhub still holds (CONTRACT §6, §10): a whole slot, or the one
 * booking. Undefined when the booking has already ended: the first terminal status wins.
 */
export function cancelByGym(
  current: BookingRecord,
  action: GymAction,
  reference: string,
  at: string,
): BookingUpdate | undefined {
  if (TERMINAL_STATUSES.has(current.status)) return undefined;
  const status: BookingStatus = 'CANCELED_BY_GYM';
  const entry: HistoryEntry = {
    event_type: action,
    event_key: `${action}:${reference}`,
    occurred_at: at,
    received_at: at,
    status,
  };
  const canceled: BookingRecord = {
    ...current,
    status,
    updated_at: at,
    history: [...current.history, entry],
    version: current.version + 1,
  };
  return releaseSeat(canceled, action, new Date(at));
}

function nextStatus(current: BookingStatus | undefined, proposed: BookingStatus): BookingStatus {
  if (current === undefined) return proposed;
  if (TERMINAL_STATUSES.has(current)) return current;
  // A repeated or late booking request never moves a booking back from RESERVED to REQUESTED.
  return proposed === 'REQUESTED' ? current : proposed;
}

function bookingNumber(event: BookingEvent): string {
  return event.type === 'checkin-booking-occurred' ? event.bookingNumber : event.slot.bookingNumber;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]: string });
}
