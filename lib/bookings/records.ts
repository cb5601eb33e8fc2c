import type { EventType } from '#lib/wellhub/routes';
import type { ReasonCategory } from '#lib/wellhub-api/types';
import type { CheckinValidation } from './validation';

/**
 * What the gym's records hold (CONTRACT §4, §6, §7). Field names are the stored attribute names, so
 * that the ops CLI prints exactly what is in the table.
 */
export const BOOKING_STATUSES = [
  'REQUESTED',
  'RESERVED',
  'REJECTED',
  'CANCELED',
  'LATE_CANCELED',
  'CANCELED_BY_GYM',
  'CHECKED_IN',
] as const;

export type BookingStatus = (typeof BOOKING_STATUSES)[number];

/** What the gym did to a booking itself, kept in its history next to Wellhub's events. */
export type GymAction = 'gym-canceled-slot' | 'gym-canceled-booking';

export interface HistoryEntry {
  readonly event_type: EventType | GymAction;
  /** The idempotency key: the event id, or `sha256:<hex>` of the body for events without one. */
  readonly event_key: string;
  readonly event_id?: string;
  readonly occurred_at: string;
  readonly received_at: string;
  /** The booking's status once this event was applied. */
  readonly status: BookingStatus;
  /** Set when the event disagreed with a terminal status that an earlier event had already fixed. */
  readonly conflict?: true;
}

/** One call to Wellhub about a booking, as its story shows it. */
export interface CallAttempt {
  readonly at: string;
  /** Absent when no answer came (timeout, connection refused, no token). */
  readonly http_status?: number;
  readonly error?: string;
}

/**
 * Where a message to Wellhub about a booking stands:
 * - `pending`: decided, being delivered (retried until its deadline);
 * - `delivered`: Wellhub took it (2xx); never sent again;
 * - `possibly_delivered`: an attempt may have landed before Wellhub refused a retry; on-call decides;
 * - `refused`: Wellhub refused the first attempt (4xx);
 * - `timed_out`: the deadline passed before it was delivered;
 * - `not_needed`: the member canceled first, so Wellhub needs no answer.
 */
export const DELIVERY_STATES = [
  'pending',
  'delivered',
  'possibly_delivered',
  'refused',
  'timed_out',
  'not_needed',
] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** The gym's answer to a booking request (CONTRACT §11), kept apart from the lifecycle `status`. */
export interface BookingAnswer {
  /** `NONE`: rule 1, the member canceled before the gym answered; nothing is sent. */
  readonly status: 'RESERVED' | 'REJECTED' | 'NONE';
  readonly reason_category?: ReasonCategory;
  /** What the member reads in the app (REJECTED), or why nothing was sent (NONE). */
  readonly reason?: string;
  readonly decided_at: string;
  /** The request's `timestamp` + 15 minutes: Wellhub rejects it by itself after that. */
  readonly deadline: string;
  readonly state: DeliveryState;
  readonly delivered_at?: string;
  readonly attempts: readonly CallAttempt[];
}

/** The gym canceling one reserved booking (CONTRACT §11): PATCH `CANCELLED_BY_GYM`. */
export interface GymCancellation {
  readonly requested_at: string;
  readonly reason?: string;
  readonly deadline: string;
  readonly state: DeliveryState;
  readonly delivered_at?: string;
  readonly attempts: readonly CallAttempt[];
}

/** The Wellhub seat a reserved booking holds on its slot: taken once, released at most once. */
export interface Seat {
  readonly slot_reference: string;
  readonly taken_at: string;
  readonly released_at?: string;
  readonly released_because?: string;
}

/** Who rejected a booking the gym did not: Wellhub refused the answer, or its 15 minutes ran out. */
export type RejectedBy = 'wellhub' | 'wellhub_timeout';

/**
 * Pipeline bookkeeping on a booking that owes Wellhub a call (its answer, a cancellation by the gym):
 * `work_at` puts it in the work index, `job_requested_at` hands it to the stream at once, and
 * `lease_until` is held by the one job calling Wellhub about it.
 */
export interface BookingWork {
  readonly work_queue?: string;
  readonly work_at?: string;
  readonly job_requested_at?: string;
  readonly lease_until?: string;
}

export interface BookingRecord extends BookingWork {
  readonly booking_number: string;
  readonly gym_id: string;
  readonly slot_id?: string;
  readonly class_id?: string;
  readonly wellhub_id: string;
  readonly customer_id?: string;
  readonly status: BookingStatus;
  readonly reason_category?: string;
  readonly rejected_by?: RejectedBy;
  /** The booking request's `timestamp`: Wellhub's 15 minutes to answer count from it. */
  readonly requested_at?: string;
  readonly answer?: BookingAnswer;
  readonly seat?: Seat;
  readonly gym_cancellation?: GymCancellation;
  /** The check-in's validation at Wellhub, once the member checked in (CONTRACT §12). */
  readonly validation?: CheckinValidation;
  readonly created_at: string;
  readonly updated_at: string;
  readonly history: readonly HistoryEntry[];
  /** Optimistic-concurrency counter: every write expects the version it read. */
  readonly version: number;
}

export interface CustomerRecord {
  readonly customer_id: string;
  readonly wellhub_ids: readonly string[];
  readonly name?: string;
  readonly email?: string;
  readonly phone?: string;
  readonly created_at: string;
  readonly created_from: 'wellhub' | 'manual';
}

/**
 * Where an event is in the pipeline (CONTRACT §4, §9): stored `RECEIVED` by the webhook, moved to
 * `APPLIED` by the one transaction that makes its changes, or `FAILED` after its last attempt.
 */
export const EVENT_STATES = ['RECEIVED', 'APPLIED', 'FAILED'] as const;
export type EventState = (typeof EVENT_STATES)[number];

export interface EventRecord {
  readonly event_key: string;
  readonly event_id?: string;
  readonly event_type: EventType;
  readonly route: string;
  /** The request that stored it. */
  readonly request_id: string;
  readonly received_at: string;
  readonly occurred_at: string;
  readonly wellhub_id: string;
  readonly gym_id: string;
  readonly booking_number?: string;
  /**
   * The body exactly as received (base64 when the gateway delivered it so). The worker parses it
   * again with the receiver's own parser: stored as the one string, the event never meets DynamoDB's
   * limits on numbers or empty maps, which a valid signed body could otherwise exceed.
   */
  readonly raw_body: string;
  readonly raw_body_base64: boolean;
  /** DynamoDB TTL, epoch seconds. */
  readonly expires_at: number;
  readonly state: EventState;
  /** Failed attempts to apply it so far; absent until the first failure. */
  readonly attempts?: number;
  readonly last_error?: string;
  readonly last_attempt_at?: string;
  readonly applied_at?: string;
  readonly failed_at?: string;
  /** Set once applied: what it did. */
  readonly customer_id?: string;
  readonly booking_status?: BookingStatus;
  readonly conflict?: true;
  /** Set when on-call re-drove it after it had failed. */
  readonly retried_at?: string;
  /** A walk-in check-in's validation at Wellhub (CONTRACT §12). */
  readonly validation?: CheckinValidation;
  /** Set while a walk-in's validation is owed: see BookingWork. */
  readonly job_requested_at?: string;
  readonly lease_until?: string;
}

export interface QuarantineRecord {
  readonly quarantine_id: string;
  readonly route: string;
  readonly reason: string;
  readonly message: string;
  readonly received_at: string;
  readonly request_id: string;
  readonly raw_body: string;
  readonly raw_body_base64: boolean;
  readonly event_type?: string;
  readonly replayed_at?: string;
  readonly replay_outcome?: string;
  readonly expires_at: number;
}
