import { z } from 'zod';

/**
 * What Wellhub answers, checked rather than cast. Objects are loose: Wellhub adds fields over time and
 * an unknown one must never turn a delivered call into a failure.
 */

/** Wellhub's lists may spell a zone after the offset, `2021-03-09T07:00:00Z[UTC]`; ISO 8601 has none. */
export function stripZoneSuffix(date: string): string {
  return date.replace(/\[[^\]]*\]$/, '');
}

const wellhubDate = z.string().transform(stripZoneSuffix);
/** Wellhub's ids are numbers; a numeric string is read as one rather than failing the call. */
const wellhubId = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

export const createdClassesSchema = z.object({
  classes: z.array(z.looseObject({ id: wellhubId, name: z.string().optional() })),
});

export const classRecordSchema = z.looseObject({
  id: wellhubId,
  name: z.string(),
  description: z.string().nullish(),
  notes: z.string().nullish(),
  bookable: z.boolean().optional(),
  visible: z.boolean().optional(),
  product_id: wellhubId.optional(),
  gym_id: wellhubId.optional(),
  reference: z.string().nullish(),
  created_at: wellhubDate.nullish(),
});

export const classListSchema = z.object({ classes: z.array(classRecordSchema) });

export const slotRecordSchema = z.looseObject({
  id: wellhubId,
  class_id: wellhubId.optional(),
  occur_date: wellhubDate,
  status: z.number().int().optional(),
  room: z.string().nullish(),
  length_in_minutes: z.number().int().optional(),
  total_capacity: z.number().int().optional(),
  total_booked: z.number().int().optional(),
  product_id: wellhubId.optional(),
  booking_window: z.looseObject({ opens_at: wellhubDate, closes_at: wellhubDate }).nullish(),
  cancellable_until: wellhubDate.nullish(),
  virtual: z.boolean().optional(),
  virtual_class_url: z.string().nullish(),
});

/** POST and PUT answer the slot inside the list envelope; a bare slot is accepted too. */
export const slotEnvelopeSchema = z.union([
  z
    .looseObject({ results: z.tuple([slotRecordSchema]).rest(slotRecordSchema) })
    .transform((envelope) => envelope.results[0]),
  z.looseObject({ results: slotRecordSchema }).transform((envelope) => envelope.results),
  slotRecordSchema,
]);

export const slotListSchema = z.looseObject({
  metadata: z.looseObject({}).optional(),
  results: z.array(slotRecordSchema),
});

export const validationSchema = z.looseObject({
  results: z.looseObject({
    user: z.looseObject({ gympass_id: z.string() }),
    // Wellhub has been seen spelling it `Id`.
    gym: z.looseObject({ id: wellhubId.optional(), Id: wellhubId.optional() }).optional(),
    validated_at: wellhubDate,
  }),
});

export const productsSchema = z.looseObject({
  gym_id: wellhubId,
  products: z.array(
    z.looseObject({ product_id: wellhubId, name: z.string(), updated_at: wellhubDate.nullish() }),
  ),
});

export const webhooksSchema = z.looseObject({
  webhooks: z.array(z.looseObject({ event: z.string(), url: z.string(), secret: z.string().optional() })),
});

const gymSchema = z.looseObject({ id: wellhubId, name: z.string().optional() });

/** Documented under `partners`, answered live under `gyms`: either is read as the list. */
export const gymsSchema = z
  .looseObject({ gyms: z.array(gymSchema).optional(), partners: z.array(gymSchema).optional() })
  .refine((body) => body.gyms !== undefined || body.partners !== undefined, 'no gyms or partners list')
  .transform((body) => body.gyms ?? body.partners ?? []);

export const healthSchema = z.unknown();

export type CreatedClasses = z.infer<typeof createdClassesSchema>;
export type ClassRecord = z.infer<typeof classRecordSchema>;
export type SlotRecord = z.infer<typeof slotRecordSchema>;
export type SlotList = z.infer<typeof slotListSchema>;
export type Validation = z.infer<typeof validationSchema>;
export type Products = z.infer<typeof productsSchema>;
export type Webhooks = z.infer<typeof webhooksSchema>;
export type Gym = z.infer<typeof gymSchema>;
