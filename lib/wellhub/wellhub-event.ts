import type { EventType } from './routes';

/**
 * A Wellhub webhook after validation and normalisation (CONTRACT §3): IDs are strings exactly as
 * sent, times are ISO-8601 UTC. Personal fields (name, email, phone) are carried for the customer
 * profile only and never logged.
 */
interface EventBase {
  readonly type: EventType;
  /** `event_data.event_id`, else `event_id`, else `_event_id`; absent on check-in events. */
  readonly eventId?: string;
  /** When Wellhub says the event happened. */
  readonly occurredAt: string;
  readonly wellhubId: string;
  readonly gymId: string;
}

export interface Slot {
  readonly id: string;
  readonly classId?: string;
  readonly bookingNumber: string;
}

export interface Person {
  readonly name?: string;
  readonly email?: string;
  readonly phone?: string;
}

export interface BookingRequested extends EventBase {
  readonly type: 'booking-requested';
  readonly slot: Slot;
  readonly person: Person;
}

export interface BookingCanceled extends EventBase {
  readonly type: 'booking-canceled';
  readonly slot: Slot;
}

export interface BookingLateCanceled extends EventBase {
  readonly type: 'booking-late-canceled';
  readonly slot: Slot;
}

export interface Location {
  readonly lat: number;
  readonly lon: number;
}

export interface Product {
  readonly id?: string;
  readonly description?: string;
  readonly passTypeNumber?: number;
}

export interface CheckinBookingOccurred extends EventBase {
  readonly type: 'checkin-booking-occurred';
  readonly bookingNumber: string;
  readonly gymTitle?: string;
  readonly product?: Product;
  readonly location?: Location;
  readonly expiresAt?: string;
}

export interface Checkin extends EventBase {
  readonly type: 'checkin';
  readonly person: Person;
  readonly gymTitle?: string;
  readonly product?: Product;
  readonly location?: Location;
}

export type WellhubEvent =
  | BookingRequested
  | BookingCanceled
  | BookingLateCanceled
  | CheckinBookingOccurred
  | Checkin;

/** The booking an event is about, when it is about one. */
export function bookingNumberOf(event: WellhubEvent): string | undefined {
  switch (event.type) {
    case 'booking-requested':
    case 'booking-canceled':
    case 'booking-late-canceled':
      return event.slot.bookingNumber;
    case 'checkin-booking-occurred':
      return event.bookingNumber;
    case 'checkin':
      return undefined;
  }
}
