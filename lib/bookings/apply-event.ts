import { randomUUID } from 'node:crypto';
import type { EventKey } from '#lib/inbox/receive';
import { parseWellhubEvent } from '#lib/wellhub/parse';
import { routeOf } from '#lib/wellhub/routes';
import type { WellhubEvent } from '#lib/wellhub/wellhub-event';
import { applyToBooking } from './booking';
import type { BookingRecord, CustomerRecord, EventRecord, Seat } from './records';
import { type CheckinValidation, newValidation } from './validation';

/** What applying an event reads first: the booking it is about and who its Wellhub ID belongs to. */
export interface ApplyState {
  readonly booking: BookingRecord | undefined;
  readonly customerId: string | undefined;
}

/** What an applied event records about itself, next to its state moving to `APPLIED`. */
export interface AppliedFields {
  readonly customer_id?: string;
  readonly booking_status?: BookingRecord['status'];
  readonly conflict?: true;
  /** A walk-in check-in: its validation at Wellhub lives on its event record (CONTRACT §12). */
  readonly validation?: CheckinValidation;
}

/** Everything one event changes, written at once or not at all (CONTRACT §4). */
export interface EventChange {
  readonly key: EventKey;
  readonly applied: AppliedFields;
  /**
   * `expectedVersion` undefined means the booking must not exist yet; `released` is the seat it gives
   * back to its slot in the same write.
   */
  readonly booking?: {
    readonly record: BookingRecord;
    readonly expectedVersion: number | undefined;
    readonly released?: Seat;
  };
  /** A new profile, claimed together with its Wellhub ID so that two first bookings make one. */
  readonly customer?: CustomerRecord;
  /** A walk-in: listed by gym and member; `auto`: its record owes the validation call once applied. */
  readonly walkin?: { readonly gymId: string; readonly wellhubId: string; readonly auto: boolean };
}

export interface ApplyOptions {
  readonly newCustomerId?: () => string;
  /** `WALKIN_VALIDATION`: walk-ins validated by the service (default) or by the front desk. */
  readonly walkinValidation?: 'auto' | 'manual';
}

export function keyOf(record: EventRecord): EventKey {
  return { type: record.event_type, id: record.event_key };
}

/**
 * The changes a received event makes to the gym's records (CONTRACT §6, §7), as a pure function of
 * the event and what it found: the booking folded forward, and a customer profile created the first
 * time a Wellhub ID is seen.
 */
export function decideApply(record: EventRecord, state: ApplyState, options: ApplyOptions = {}): EventChange {
  const event = storedEvent(record);
  const customer = state.customerId === undefined ? newCustomer(event, record, options) : undefined;
  const customerId = state.customerId ?? customer?.customer_id;
  const bookingChange =
    event.type === 'checkin'
      ? undefined
      : applyToBooking(state.booking, event, {
          eventKey: record.event_key,
          receivedAt: record.received_at,
          customerId,
        });
  const manual = options.walkinValidation === 'manual';
  const walkin = event.type === 'checkin' ? newValidation(event.occurredAt, manual) : undefined;
  return {
    key: keyOf(record),
    ...(walkin ? { walkin: { gymId: event.gymId, wellhubId: event.wellhubId, auto: !manual } } : {}),
    applied: {
      ...(walkin ? { validation: walkin } : {}),
      ...(customerId !== undefined ? { customer_id: customerId } : {}),
      ...(bookingChange ? { booking_status: bookingChange.booking.status } : {}),
      ...(bookingChange?.conflict ? { conflict: true as const } : {}),
    },
    ...(bookingChange
      ? {
          booking: {
            record: bookingChange.booking,
            expectedVersion: state.booking?.version,
            ...(bookingChange.released ? { released: bookingChange.released } : {}),
          },
        }
      : {}),
    ...(customer ? { customer } : {}),
  };
}

/** The event as the webhook parsed it: the same bytes through the same parser give the same event. */
export function storedEvent(record: EventRecord): WellhubEvent {
  const text = Buffer.from(record.raw_body, record.raw_body_base64 ? 'base64' : 'utf8').toString('utf8');
  return parseWellhubEvent(routeOf(record.event_type), JSON.parse(text));
}

function newCustomer(
  event: WellhubEvent,
  record: EventRecord,
  options: ApplyOptions,
): CustomerRecord | undefined {
  const createsProfile =
    event.type === 'booking-requested' || (event.type === 'checkin' && event.person.name !== undefined);
  if (!createsProfile) return undefined;
  const { name, email, phone } = event.person;
  return {
    customer_id: (options.newCustomerId ?? randomUUID)(),
    wellhub_ids: [event.wellhubId],
    ...(name !== undefined ? { name } : {}),
    ...(email !== undefined ? { email } : {}),
    ...(phone !== undefined ? { phone } : {}),
    created_at: record.received_at,
    created_from: 'wellhub',
  };
}
