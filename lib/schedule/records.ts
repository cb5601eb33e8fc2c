import type { WellhubClass, WellhubSlot } from '#lib/wellhub-api/types';

/**
 * The gym's schedule as the service keeps it (CONTRACT §10). Field names are the stored attribute
 * names and the gym API's own, so that `ops` and `GET /gym/...` show exactly what is in the table.
 */

/** Where a class or slot stands with Wellhub (CONTRACT §14). */
export interface SyncStatus {
  readonly state: 'pending' | 'published' | 'failed';
  /** When the gym's last change was recorded: a pending change older than 5 minutes is alarmed. */
  readonly changed_at: string;
  readonly published_at?: string;
  /** Wellhub's own words when it refused the change, or why the service gave up. */
  readonly wellhub_error?: string;
  /** A slot beyond the horizon: when it will be published. */
  readonly publish_at?: string;
}

/** What the gym writes about a class; everything else on the record is the service's. */
export interface ClassFields {
  readonly gym_id: string;
  readonly name: string;
  readonly description: string;
  readonly notes?: string;
  readonly product_id: string;
  readonly bookable: boolean;
  readonly visible: boolean;
  readonly categories?: readonly number[];
}

export interface Instructor {
  readonly name: string;
  readonly substitute?: boolean;
}

/** What the gym writes about a slot. */
export interface SlotFields {
  readonly class_reference: string;
  readonly occur_date: string;
  readonly length_in_minutes: number;
  readonly room?: string;
  readonly total_capacity: number;
  /** The most Wellhub members it takes: absent means up to capacity, 0 none. */
  readonly wellhub_limit?: number;
  /** Seats the gym sold through its own channels. */
  readonly booked_elsewhere: number;
  readonly booking_window?: { readonly opens_at: string; readonly closes_at: string };
  readonly cancellable_until?: string;
  readonly instructors?: readonly Instructor[];
  /** Default: the class's. */
  readonly product_id?: string;
}

/** The bookkeeping of publication that classes and slots share. */
export interface Publication<Sent> {
  /** Bumped by every change the gym makes; a publication is done when it has sent the latest one. */
  readonly revision: number;
  readonly sync: SyncStatus;
  /** What Wellhub was last sent and accepted: the planner compares against it. */
  readonly published?: Sent;
  /** Failed attempts to publish the current revision; absent until the first failure. */
  readonly attempts?: number;
  readonly last_error?: string;
  readonly last_attempt_at?: string;
  /** Set while a job is calling Wellhub about it: no second job calls at the same time. */
  readonly lease_until?: string;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface GymClassRecord extends ClassFields, Publication<WellhubClass> {
  readonly reference: string;
  readonly wellhub_class_id?: string;
}

export type SlotStatus = 'active' | 'canceled';

export interface GymSlotRecord extends SlotFields, Publication<WellhubSlot> {
  readonly reference: string;
  /** From the class, so that a slot is listed by gym without reading its class. */
  readonly gym_id: string;
  readonly status: SlotStatus;
  readonly canceled_at?: string;
  /** Wellhub seats taken: bookings the gym answered `RESERVED` and that still hold their seat. */
  readonly wellhub_reserved: number;
  readonly wellhub_slot_id?: string;
  /** The Wellhub class the slot was created under: a slot never moves between classes there. */
  readonly wellhub_class_id?: string;
  /** Ids Wellhub gave this slot before it was deleted there and re-created (reconcile). */
  readonly previous_wellhub_slot_ids?: readonly string[];
  /** Set once Wellhub has deleted the slot after the gym canceled it. */
  readonly deleted_at_wellhub?: string;
}

/** A slot at Wellhub that no record of ours created: reported, never deleted (CONTRACT §10). */
export interface DriftRecord {
  readonly gym_id: string;
  readonly wellhub_slot_id: string;
  readonly wellhub_class_id: string;
  readonly occur_date: string;
  readonly problem: string;
  readonly found_at: string;
}
