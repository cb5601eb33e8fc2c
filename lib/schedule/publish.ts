import type { SlotPatch, WellhubClass, WellhubSlot } from '#lib/wellhub-api/types';
import { sameFields } from './changes';
import type { GymClassRecord, GymSlotRecord } from './records';

/**
 * What Wellhub must be told about a class or a slot, as pure functions of our records: the body
 * Wellhub should hold, compared with the body it was last sent (`published`). The publication jobs
 * make exactly the call the plan names, so a plan run twice makes the call once.
 */

export const DAY_MS = 24 * 60 * 60_000;

export type ClassPlan =
  | { readonly kind: 'create'; readonly body: WellhubClass }
  | { readonly kind: 'update'; readonly body: WellhubClass }
  | { readonly kind: 'none' };

export type SlotPlan =
  | { readonly kind: 'create'; readonly body: WellhubSlot }
  | { readonly kind: 'update'; readonly body: WellhubSlot }
  | { readonly kind: 'patch'; readonly patch: SlotPatch; readonly body: WellhubSlot }
  | { readonly kind: 'delete' }
  | { readonly kind: 'none' }
  /** Its class is not at Wellhub yet: published right after the class. */
  | { readonly kind: 'wait_for_class' }
  /** Beyond the horizon: published once the horizon reaches it. */
  | { readonly kind: 'wait_for_horizon'; readonly at: Date }
  /** It started before it could ever be published: nobody can book it any more. */
  | { readonly kind: 'too_late' };

export function wellhubClassBody(record: GymClassRecord): WellhubClass {
  return {
    name: record.name,
    description: record.description,
    ...(record.notes !== undefined ? { notes: record.notes } : {}),
    bookable: record.bookable,
    visible: record.visible,
    product_id: Number(record.product_id),
    reference: record.reference,
    ...(record.categories !== undefined ? { categories: record.categories } : {}),
  };
}

/** `total_booked` counts every channel: Wellhub's members and the gym's own (CONTRACT §10). */
export function totalBooked(slot: Pick<GymSlotRecord, 'wellhub_reserved' | 'booked_elsewhere'>): number {
  return slot.wellhub_reserved + slot.booked_elsewhere;
}

export function wellhubSlotBody(slot: GymSlotRecord, gymClass: GymClassRecord): WellhubSlot {
  return {
    occur_date: slot.occur_date,
    ...(slot.room !== undefined ? { room: slot.room } : {}),
    status: 1,
    length_in_minutes: slot.length_in_minutes,
    total_capacity: slot.total_capacity,
    total_booked: totalBooked(slot),
    product_id: Number(slot.product_id ?? gymClass.product_id),
    ...(slot.booking_window !== undefined ? { booking_window: slot.booking_window } : {}),
    ...(slot.cancellable_until !== undefined ? { cancellable_until: slot.cancellable_until } : {}),
    ...(slot.instructors !== undefined ? { instructors: slot.instructors } : {}),
  };
}

export function planClass(record: GymClassRecord): ClassPlan {
  const body = wellhubClassBody(record);
  if (record.wellhub_class_id === undefined) return { kind: 'create', body };
  if (record.published === undefined || !sameFields(record.published, body)) return { kind: 'update', body };
  return { kind: 'none' };
}

export function planSlot(
  slot: GymSlotRecord,
  gymClass: GymClassRecord | undefined,
  now: Date,
  horizonDays: number,
): SlotPlan {
  if (slot.status === 'canceled') {
    return slot.wellhub_slot_id !== undefined && slot.deleted_at_wellhub === undefined
      ? { kind: 'delete' }
      : { kind: 'none' };
  }
  // Time first: a slot beyond the horizon waits for it whether or not its class is out yet.
  if (slot.wellhub_slot_id === undefined) {
    const startsAt = Date.parse(slot.occur_date);
    if (startsAt <= now.getTime()) return { kind: 'too_late' };
    const entersHorizon = startsAt - horizonDays * DAY_MS;
    if (entersHorizon > now.getTime()) return { kind: 'wait_for_horizon', at: new Date(entersHorizon) };
  }
  if (gymClass?.wellhub_class_id === undefined) return { kind: 'wait_for_class' };
  const body = wellhubSlotBody(slot, gymClass);
  if (slot.wellhub_slot_id === undefined) return { kind: 'create', body };
  const published = slot.published;
  if (published === undefined) return { kind: 'update', body };
  const { total_capacity: capacity, total_booked: booked, ...rest } = body;
  const { total_capacity: sentCapacity, total_booked: sentBooked, ...sentRest } = published;
  if (!sameFields(rest, sentRest)) return { kind: 'update', body };
  if (capacity !== sentCapacity || booked !== sentBooked) {
    return { kind: 'patch', patch: { total_capacity: capacity, total_booked: booked }, body };
  }
  return { kind: 'none' };
}

/** The same instant and room: how Wellhub tells a duplicate slot, and how a lost create is found again. */
export function sameSlot(
  a: { readonly occur_date: string; readonly room?: string | null | undefined },
  b: { readonly occur_date: string; readonly room?: string | null | undefined },
): boolean {
  return Date.parse(a.occur_date) === Date.parse(b.occur_date) && (a.room ?? null) === (b.room ?? null);
}

/**
 * What a slot's record says once Wellhub no longer has it: no id and nothing published, so the next
 * publication creates it again; the old id is kept, because bookings made under it still point there.
 */
export function forgetWellhubSlot(
  slot: Pick<GymSlotRecord, 'wellhub_slot_id' | 'previous_wellhub_slot_ids'> | undefined,
): Record<string, unknown> {
  return {
    wellhub_slot_id: null,
    published: null,
    previous_wellhub_slot_ids: [
      ...(slot?.previous_wellhub_slot_ids ?? []),
      ...(slot?.wellhub_slot_id ? [slot.wellhub_slot_id] : []),
    ],
  };
}
