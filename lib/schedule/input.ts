import { z } from 'zod';
import { BadRequest } from '#lib/errors';
import type { ClassFields, SlotFields } from './records';

/**
 * What the gym API accepts (CONTRACT §10, §14), one schema per body, checked at the edge. Limits are
 * Wellhub's own, so that nothing the gym writes is refused later by Wellhub for its shape. Ids are
 * strings; numbers are accepted and kept as their digits.
 */

/** The gym's own id for a class or slot: Wellhub's limit on `reference`. */
export const REFERENCE = /^[A-Za-z0-9_-]{1,20}$/;
const REFERENCE_RULE = 'must be 1 to 20 characters of A-Z, a-z, 0-9, _ and -';

const reference = z.string({ error: 'is required' }).regex(REFERENCE, REFERENCE_RULE);

const id = z
  .union([z.string(), z.number()], { error: 'is required' })
  .transform((value) => String(value))
  .refine((value) => /^\d{1,18}$/.test(value), 'must be a number, as digits');

/** Wellhub wants local time with its offset (or `Z`): a time without one is ambiguous. */
const datetime = z
  .string({ error: 'is required' })
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/,
    'must be an ISO 8601 date-time with an offset, such as 2026-12-10T18:00:00+01:00',
  )
  .refine((value) => !Number.isNaN(Date.parse(value)), 'is not a real date');

const count = (max: number) =>
  z
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must not be negative')
    .max(max, `must be at most ${max}`);

export const classSchema = z.strictObject({
  gym_id: id,
  name: z
    .string({ error: 'is required' })
    .min(1, 'must not be empty')
    .max(255, 'must be at most 255 characters'),
  description: z.string({ error: 'is required' }).trim().min(1, 'must not be empty'),
  notes: z.string().max(1000, 'must be at most 1000 characters').optional(),
  product_id: id,
  bookable: z.boolean({ error: 'must be true or false' }).default(true),
  visible: z.boolean({ error: 'must be true or false' }).default(true),
  categories: z.array(z.number().int('must be whole numbers')).optional(),
});

const slotBase = {
  class_reference: reference,
  occur_date: datetime,
  length_in_minutes: z
    .number({ error: 'is required' })
    .int('must be a whole number')
    .min(1, 'must be between 1 and 200')
    .max(200, 'must be between 1 and 200'),
  // Wellhub takes 2 to 200 characters or none.
  room: z
    .string()
    .min(2, 'must be 2 to 200 characters, or left out')
    .max(200, 'must be 2 to 200 characters')
    .optional(),
  total_capacity: count(32_000),
  wellhub_limit: count(32_000).optional(),
  booked_elsewhere: count(32_000).default(0),
  booking_window: z
    .strictObject({ opens_at: datetime, closes_at: datetime })
    .refine((w) => Date.parse(w.opens_at) < Date.parse(w.closes_at), 'opens_at must come before closes_at')
    .optional(),
  cancellable_until: datetime.optional(),
  instructors: z
    .array(
      z.strictObject({
        name: z
          .string({ error: 'is required' })
          .min(1, 'must not be empty')
          .max(100, 'must be at most 100 characters'),
        substitute: z.boolean().optional(),
      }),
    )
    .optional(),
  product_id: id.optional(),
};

export const slotSchema = z.strictObject(slotBase).refine((s) => s.booked_elsewhere <= s.total_capacity, {
  message: 'must not exceed total_capacity',
  path: ['booked_elsewhere'],
});

/** Only the counts may be patched (CONTRACT §14); `wellhub_limit: null` lifts the limit. */
export const slotPatchSchema = z
  .strictObject({
    total_capacity: count(32_000).optional(),
    wellhub_limit: count(32_000).nullable().optional(),
    booked_elsewhere: count(32_000).optional(),
  })
  .refine(
    (p) => Object.keys(p).length > 0,
    'name at least one of total_capacity, wellhub_limit, booked_elsewhere',
  );

export type SlotPatch = z.infer<typeof slotPatchSchema>;

/** A whole schedule for `ops schedule import`: classes and slots, each with its reference. */
export const scheduleSchema = z.strictObject({
  classes: z.array(z.looseObject({ reference })).default([]),
  slots: z.array(z.looseObject({ reference })).default([]),
});

export function parseReference(value: string | undefined, field = 'reference'): string {
  return parseInput(reference, value, field);
}

export function parseClass(body: unknown): ClassFields {
  return withoutUndefined(parseInput(classSchema, body)) as ClassFields;
}

export function parseSlot(body: unknown): SlotFields {
  return withoutUndefined(parseInput(slotSchema, body)) as SlotFields;
}

export function parseSlotPatch(body: unknown): SlotPatch {
  return parseInput(slotPatchSchema, body);
}

/** Parses or throws a 400 that names the first field at fault and what is wrong with it. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, field?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [field, ...(issue?.path ?? [])].filter((part) => part !== undefined).join('.');
  const missing = issue?.code === 'invalid_type' && issue.message === 'is required';
  const unknown = issue?.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : undefined;
  const message = unknown ?? `${path === '' ? 'body' : path} ${issue?.message ?? 'is invalid'}`;
  throw new BadRequest(missing ? 'missing_field' : 'invalid_field', message);
}

/** Optional fields left out stay out of the record (DynamoDB and `exactOptionalPropertyTypes`). */
function withoutUndefined(value: object): object {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
