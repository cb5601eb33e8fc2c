import type {
  BookingCanceled,
  BookingLateCanceled,
  BookingRequested,
  CheckinBookingOccurred,
} from '#lib/wellhub/wellhub-event';
import type { BookingRecord, BookingStatus, GymAction, HistoryEntry } from './records';

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
  const booking: BookingRecord = {
    booking_number: current?.booking_number ?? bookingNumber(event),
    gym_id: current?.gym_id ?? event.gymId,
    ...optional('slot_id', current?.slot_id ?? slot?.id),
    ...optional('class_id', current?.class_id ?? slot?.classId),
    wellhub_id: current?.wellhub_id ?? event.wellhubId,
    ...optional('customer_id', customerId),
    status,
    ...optional('reason_category', current?.reason_category),
    created_at: current?.created_at ?? applied.receivedAt,
    updated_at: applied.receivedAt,
    history: [...(current?.history ?? []), entry],
    version: (current?.version ?? 0) + 1,
  };
  return { booking, conflict };
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
): BookingRecord | undefined {
  if (TERMINAL_STATUSES.has(current.status)) return undefined;
  const status: BookingStatus = 'CANCELED_BY_GYM';
  const entry: HistoryEntry = {
    event_type: action,
    event_key: `${action}:${reference}`,
    occurred_at: at,
    received_at: at,
    status,
  };
  return {
    ...current,
    status,
    updated_at: at,
    history: [...current.history, entry],
    version: current.version + 1,
  };
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
