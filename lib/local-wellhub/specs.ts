import { BOOKING_ANSWER_STATUSES, REASON_CATEGORIES } from '#lib/wellhub-api/types';
import { checkObject, type FieldError, isRecord, type Spec } from './validation';

/** The field rules of WELLHUB-API.md, one spec per body the Booking API accepts. */

export const CLASS_SPEC: Spec = {
  name: { type: 'string', required: true, minLength: 1, maxLength: 255 },
  description: { type: 'string', required: true, minLength: 1 },
  notes: { type: 'string' },
  bookable: { type: 'bool', required: true },
  visible: { type: 'bool', required: true },
  product_id: { type: 'int', required: true },
  reference: { type: 'string', minLength: 1, maxLength: 20 },
  system_id: { type: 'int' },
  categories: { type: 'array', items: { type: 'int' } },
};

const CAPACITY = { type: 'int', required: true, min: 0, max: 32000 } as const;
const BOOKED = { type: 'int', required: true, min: 0, max: 32000 } as const;
const VIRTUAL_CLASS_URL = { type: 'string', minLength: 1 } as const;

export const SLOT_SPEC: Spec = {
  occur_date: { type: 'datetime', required: true },
  room: { type: 'string', minLength: 2, maxLength: 200 },
  status: { type: 'int', oneOf: [0, 1] },
  length_in_minutes: { type: 'int', required: true, min: 1, max: 200 },
  total_capacity: CAPACITY,
  total_booked: BOOKED,
  product_id: { type: 'int', required: true },
  booking_window: {
    type: 'object',
    fields: {
      opens_at: { type: 'datetime', required: true },
      closes_at: { type: 'datetime', required: true },
    },
  },
  cancellable_until: { type: 'datetime' },
  instructors: {
    type: 'array',
    items: {
      type: 'object',
      fields: {
        name: { type: 'string', required: true, minLength: 1, maxLength: 100 },
        substitute: { type: 'bool' },
      },
    },
  },
  virtual: { type: 'bool' },
  virtual_class_url: VIRTUAL_CLASS_URL,
};

export const SLOT_PATCH_SPEC: Spec = {
  total_capacity: { ...CAPACITY, required: false },
  total_booked: { ...BOOKED, required: false },
  virtual_class_url: VIRTUAL_CLASS_URL,
};

export const BOOKING_PATCH_SPEC: Spec = {
  status: { type: 'enum', required: true, values: BOOKING_ANSWER_STATUSES },
  reason: { type: 'string', maxLength: 500 },
  reason_category: { type: 'enum', values: REASON_CATEGORIES },
  virtual_class_url: VIRTUAL_CLASS_URL,
};

/** `{"classes":[...]}`, at least one. */
export function checkClassesBody(body: unknown): FieldError[] {
  if (!isRecord(body)) return [{ field: 'body', error: 'must be a JSON object' }];
  const errors = checkObject(body, {
    classes: { type: 'array', required: true, minItems: 1, items: { type: 'object', fields: CLASS_SPEC } },
  });
  return errors;
}

export function checkSlot(body: unknown): FieldError[] {
  const errors = checkObject(body, SLOT_SPEC);
  if (errors.length > 0 || !isRecord(body)) return errors;
  const window = isRecord(body.booking_window) ? body.booking_window : undefined;
  if (window && Date.parse(String(window.opens_at)) > Date.parse(String(window.closes_at)))
    errors.push({ field: 'booking_window.opens_at', error: 'must not be after closes_at' });
  return [...errors, ...checkCounts(body.total_booked, body.total_capacity)];
}

/** The three patchable fields, at least one; counts checked against what the slot will have. */
export function checkSlotPatch(
  body: unknown,
  current: { total_capacity: number; total_booked: number },
): FieldError[] {
  const errors = checkObject(body, SLOT_PATCH_SPEC);
  if (errors.length > 0 || !isRecord(body)) return errors;
  if (Object.keys(body).every((key) => body[key] === undefined || body[key] === null))
    return [
      { field: 'body', error: 'must have at least one of total_capacity, total_booked, virtual_class_url' },
    ];
  return checkCounts(
    body.total_booked ?? current.total_booked,
    body.total_capacity ?? current.total_capacity,
  );
}

export function checkBookingPatch(body: unknown): FieldError[] {
  const errors = checkObject(body, BOOKING_PATCH_SPEC);
  if (errors.length > 0 || !isRecord(body)) return errors;
  if (body.status === 'REJECTED' && body.reason_category == null)
    return [{ field: 'reason_category', error: 'must not be null when status is REJECTED' }];
  if (body.status !== 'REJECTED' && body.reason_category != null)
    return [{ field: 'reason_category', error: 'is only allowed when status is REJECTED' }];
  return [];
}

function checkCounts(booked: unknown, capacity: unknown): FieldError[] {
  return typeof booked === 'number' && typeof capacity === 'number' && booked > capacity
    ? [{ field: 'total_booked', error: 'must be less than or equal to total_capacity' }]
    : [];
}
