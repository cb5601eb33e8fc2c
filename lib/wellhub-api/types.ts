/**
 * What the service sends to Wellhub's partner API (WELLHUB-API.md). Field names are Wellhub's own,
 * so a value can be checked against Wellhub's documentation by eye.
 */

/** A class as POSTed (inside `{"classes":[...]}`) and PUT (alone, full body). */
export interface WellhubClass {
  readonly name: string;
  readonly description: string;
  readonly notes?: string;
  readonly bookable: boolean;
  /** False hides the class and all its slots: Wellhub has no DELETE for classes. */
  readonly visible: boolean;
  readonly product_id: number;
  /** The gym's own id for the class, 1 to 20 characters: how a retried create is found again. */
  readonly reference?: string;
  readonly system_id?: number;
  readonly categories?: readonly number[];
}

export interface BookingWindow {
  readonly opens_at: string;
  readonly closes_at: string;
}

export interface Instructor {
  readonly name: string;
  readonly substitute?: boolean;
}

/** A slot as POSTed and PUT (full replace). Dates are ISO 8601 with an offset or `Z`. */
export interface WellhubSlot {
  readonly occur_date: string;
  readonly room?: string;
  /** 1 active (Wellhub's default), 0 inactive. */
  readonly status?: 0 | 1;
  readonly length_in_minutes: number;
  readonly total_capacity: number;
  /** Seats taken across all the gym's channels, kept current by the gym. */
  readonly total_booked: number;
  readonly product_id: number;
  readonly booking_window?: BookingWindow;
  readonly cancellable_until?: string;
  readonly instructors?: readonly Instructor[];
  readonly virtual?: boolean;
  readonly virtual_class_url?: string;
}

/** The only fields a slot PATCH may carry; at least one of them. */
export type SlotPatch = AtLeastOne<{
  readonly total_capacity: number;
  readonly total_booked: number;
  readonly virtual_class_url: string;
}>;

type AtLeastOne<T> = { [K in keyof T]: Pick<T, K> & Partial<T> }[keyof T];

/** Wellhub's spelling: one L in CANCELATION and CANCELED. */
export const REASON_CATEGORIES = [
  'CLASS_IS_FULL',
  'USAGE_RESTRICTION',
  'USER_IS_ALREADY_BOOKED',
  'SPOT_NOT_AVAILABLE',
  'USER_DOES_NOT_EXIST',
  'CHECK_IN_AND_CANCELATION_WINDOWS_CLOSED',
  'CLASS_HAS_BEEN_CANCELED',
  'CLASS_NOT_FOUND',
  'USER_PROFILE_CMS',
  'PREREQUISITES',
  'GENERAL_ERROR',
  'TECHNICAL_ERROR',
] as const;

export type ReasonCategory = (typeof REASON_CATEGORIES)[number];

/** Wellhub's spelling: two Ls in CANCELLED_BY_GYM. */
export const BOOKING_ANSWER_STATUSES = ['RESERVED', 'REJECTED', 'CANCELLED_BY_GYM'] as const;

/** The body of `PATCH /booking/v2/gyms/{gym_id}/bookings/{booking_number}`. */
export type BookingAnswer =
  | { readonly status: 'RESERVED'; readonly virtual_class_url?: string }
  | { readonly status: 'REJECTED'; readonly reason_category: ReasonCategory; readonly reason: string }
  | { readonly status: 'CANCELLED_BY_GYM'; readonly reason?: string };

/** One webhook registration in the Integration Setup API. */
export interface WebhookRegistration {
  readonly event: string;
  readonly url: string;
  readonly secret: string;
}

export interface SlotRange {
  /** ISO 8601 with an offset or `Z`; sent URL-encoded. */
  readonly from: string;
  readonly to: string;
}
