import { Conflict } from '#lib/errors';
import type { SlotPatch } from './input';
import type { ClassFields, GymClassRecord, GymSlotRecord, SlotFields } from './records';

/**
 * What a change by the gym does to its schedule (CONTRACT §10, §14), as pure functions of the record
 * found and the fields sent. A change that changes nothing returns undefined: the store writes
 * nothing and nothing is published, which is what makes importing a schedule twice free.
 */

/** The stored class after the gym PUT these fields, or undefined when they are what it holds. */
export function classChange(
  existing: GymClassRecord | undefined,
  reference: string,
  fields: ClassFields,
  at: Date,
): GymClassRecord | undefined {
  if (existing && sameFields(pickClassFields(existing), fields)) return undefined;
  if (existing?.wellhub_class_id !== undefined && existing.gym_id !== fields.gym_id) {
    throw new Conflict(
      `class ${reference} is published for gym ${existing.gym_id}: it cannot move to gym ${fields.gym_id}`,
    );
  }
  const now = at.toISOString();
  return {
    ...service(existing),
    ...fields,
    reference,
    ...pending(existing, now),
  } as GymClassRecord;
}

/** The stored slot after the gym PUT these fields, or undefined when they are what it holds. */
export function slotChange(
  existing: GymSlotRecord | undefined,
  reference: string,
  fields: SlotFields,
  gymClass: GymClassRecord,
  at: Date,
): GymSlotRecord | undefined {
  if (existing?.status === 'canceled') throw new Conflict(`slot ${reference} was canceled: create a new one`);
  if (existing && sameFields(pickSlotFields(existing), fields)) return undefined;
  if (existing?.wellhub_slot_id !== undefined && existing.class_reference !== fields.class_reference) {
    throw new Conflict(
      `slot ${reference} is published under class ${existing.class_reference}: Wellhub cannot move it; cancel it and create a new slot`,
    );
  }
  const reserved = existing?.wellhub_reserved ?? 0;
  checkSeats(reference, fields.total_capacity, reserved + fields.booked_elsewhere, reserved);
  const now = at.toISOString();
  return {
    ...service(existing),
    ...fields,
    reference,
    gym_id: gymClass.gym_id,
    status: 'active',
    wellhub_reserved: reserved,
    ...pending(existing, now),
  } as GymSlotRecord;
}

/** The counts the gym may change on a slot; `wellhub_limit: null` lifts the limit. */
export function slotPatchChange(
  existing: GymSlotRecord,
  patch: SlotPatch,
  at: Date,
): GymSlotRecord | undefined {
  if (existing.status === 'canceled') throw new Conflict(`slot ${existing.reference} was canceled`);
  const { wellhub_limit: limit, ...counts } = patch;
  const next: Record<string, unknown> = { ...existing, ...counts };
  if (limit === null) delete next.wellhub_limit;
  else if (limit !== undefined) next.wellhub_limit = limit;
  const changed = next as unknown as GymSlotRecord;
  if (sameFields(pickSlotFields(existing), pickSlotFields(changed))) return undefined;
  checkSeats(
    existing.reference,
    changed.total_capacity,
    changed.wellhub_reserved + changed.booked_elsewhere,
    changed.wellhub_reserved,
  );
  return { ...changed, ...pending(existing, at.toISOString()) };
}

/** The gym cancels the slot: it is deleted at Wellhub by the publication that follows. */
export function slotCancel(existing: GymSlotRecord, at: Date): GymSlotRecord | undefined {
  if (existing.status === 'canceled') return undefined;
  const now = at.toISOString();
  return { ...existing, status: 'canceled', canceled_at: now, ...pending(existing, now) };
}

/** `total_booked` may never pass `total_capacity`: Wellhub refuses it, and it would be an overbooking. */
function checkSeats(reference: string, capacity: number, booked: number, reserved: number): void {
  if (booked > capacity) {
    throw new Conflict(
      `slot ${reference}: total_capacity ${capacity} is below the ${booked} seats taken (${reserved} by Wellhub members)`,
    );
  }
}

/** A new revision for the publication to send; attempts and errors of the last one start over. */
function pending(existing: { revision: number; created_at: string } | undefined, now: string) {
  return {
    revision: (existing?.revision ?? 0) + 1,
    sync: { state: 'pending' as const, changed_at: now },
    created_at: existing?.created_at ?? now,
    updated_at: now,
  };
}

/** The service's own fields of a record, which a change by the gym keeps. */
function service<T extends object>(existing: T | undefined): Partial<T> {
  if (existing === undefined) return {};
  const {
    attempts: _attempts,
    last_error: _error,
    last_attempt_at: _at,
    ...kept
  } = existing as T & {
    attempts?: number;
    last_error?: string;
    last_attempt_at?: string;
  };
  // Optional fields the gym left out this time must not survive from the last version.
  for (const field of [...CLASS_FIELDS, ...SLOT_FIELDS]) delete (kept as Record<string, unknown>)[field];
  return kept as Partial<T>;
}

const CLASS_FIELDS = [
  'gym_id',
  'name',
  'description',
  'notes',
  'product_id',
  'bookable',
  'visible',
  'categories',
] as const;
const SLOT_FIELDS = [
  'class_reference',
  'occur_date',
  'length_in_minutes',
  'room',
  'total_capacity',
  'wellhub_limit',
  'booked_elsewhere',
  'booking_window',
  'cancellable_until',
  'instructors',
  'product_id',
] as const;

function pickClassFields(record: GymClassRecord): Record<string, unknown> {
  return pick(record, CLASS_FIELDS);
}

function pickSlotFields(record: GymSlotRecord): Record<string, unknown> {
  return pick(record, SLOT_FIELDS);
}

function pick(record: object, fields: readonly string[]): Record<string, unknown> {
  const source = record as Record<string, unknown>;
  return Object.fromEntries(fields.filter((f) => source[f] !== undefined).map((f) => [f, source[f]]));
}

/** Equal as data: the same fields with the same values, in any key order. */
export function sameFields(a: object, b: object): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
