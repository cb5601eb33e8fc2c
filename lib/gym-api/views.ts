import type { BookingAnswer, BookingRecord, GymCancellation } from '#lib/bookings/records';
import { totalBooked } from '#lib/schedule/publish';
import type { GymClassRecord, GymSlotRecord } from '#lib/schedule/records';
import type { DynamoDbStore } from '#lib/store/dynamodb-store';

/**
 * What the gym API and `ops` show of a record: what the gym wrote and what the service knows, without
 * the pipeline's bookkeeping (work index keys, claims, listings, versions).
 */
const BOOKKEEPING = [
  'work_queue',
  'work_at',
  'publish_requested_at',
  'job_requested_at',
  'lease_until',
  'list_pk',
  'list_sk',
  'version',
  'published',
] as const;

function withoutBookkeeping(record: object): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...record };
  for (const field of BOOKKEEPING) delete shown[field];
  return shown;
}

/** The keys named first, in that order, then the rest sorted: DynamoDB keeps no order of its own. */
export function ordered<T extends object>(record: T, first: readonly string[]): T {
  const keys = Object.keys(record);
  const rest = keys.filter((key) => !first.includes(key)).sort();
  const entries = [...first.filter((key) => keys.includes(key)), ...rest].map((key) => [
    key,
    record[key as keyof T],
  ]);
  return Object.fromEntries(entries) as T;
}

export function classView(record: GymClassRecord): Record<string, unknown> {
  const { reference, gym_id, name, wellhub_class_id, sync, ...rest } = withoutBookkeeping(record);
  return { reference, gym_id, name, wellhub_class_id, sync, ...rest };
}

export function slotView(record: GymSlotRecord): Record<string, unknown> {
  const { reference, class_reference, status, occur_date, wellhub_slot_id, sync, ...rest } =
    withoutBookkeeping(record);
  return {
    reference,
    class_reference,
    status,
    occur_date,
    total_booked: totalBooked(record),
    wellhub_slot_id,
    sync,
    ...rest,
  };
}

// The story reads top-down: who and where (on-call reads the identity first), how it ended, the
// gym's answer and each call about it, the seat, a cancellation by the gym, then every event applied.
const BOOKING_ORDER = [
  'booking_number',
  'status',
  'gym_id',
  'slot_id',
  'class_id',
  'wellhub_id',
  'customer_id',
  'reason_category',
  'rejected_by',
  'requested_at',
  'answer',
  'seat',
  'gym_cancellation',
  'created_at',
  'updated_at',
  'history',
];
const MESSAGE_ORDER = [
  'status',
  'reason_category',
  'reason',
  'requested_at',
  'decided_at',
  'deadline',
  'state',
  'delivered_at',
  'attempts',
];
const ATTEMPT_ORDER = ['at', 'http_status', 'error'];
const SEAT_ORDER = ['slot_reference', 'taken_at', 'released_at', 'released_because'];
const HISTORY_ORDER = [
  'event_type',
  'event_id',
  'event_key',
  'occurred_at',
  'received_at',
  'status',
  'conflict',
];

/** The booking's whole story (CONTRACT §6): the same for `GET /gym/bookings/{n}` and `ops booking`. */
export function bookingView(record: BookingRecord): Record<string, unknown> {
  const story = {
    ...withoutBookkeeping(record),
    answer: messageView(record.answer),
    seat: record.seat && ordered(record.seat, SEAT_ORDER),
    gym_cancellation: messageView(record.gym_cancellation),
    history: record.history.map((entry) => ordered(entry, HISTORY_ORDER)),
  };
  const present = Object.entries(story).filter(([, value]) => value !== undefined);
  return ordered(Object.fromEntries(present), BOOKING_ORDER);
}

/** A message to Wellhub about the booking (its answer, a cancellation by the gym) with its calls. */
export function messageView(
  message: BookingAnswer | GymCancellation | undefined,
): Record<string, unknown> | undefined {
  if (message === undefined) return undefined;
  return {
    ...ordered(message, MESSAGE_ORDER),
    attempts: message.attempts.map((attempt) => ordered(attempt, ATTEMPT_ORDER)),
  };
}

/** Who is booked on the slot, with the customer's name for the front desk and the gym's answer. */
export async function signInList(store: DynamoDbStore, slot: GymSlotRecord) {
  const ids = [
    ...(slot.previous_wellhub_slot_ids ?? []),
    ...(slot.wellhub_slot_id ? [slot.wellhub_slot_id] : []),
  ];
  const bookings = (await Promise.all(ids.map((id) => store.schedule.bookingsOfSlot(id)))).flat();
  return Promise.all(
    bookings.map(async (booking) => {
      const customer = booking.customer_id ? await store.getCustomer(booking.customer_id) : undefined;
      return {
        booking_number: booking.booking_number,
        status: booking.status,
        answer_status: booking.answer?.status,
        wellhub_id: booking.wellhub_id,
        customer_id: booking.customer_id,
        name: customer?.name,
      };
    }),
  );
}
