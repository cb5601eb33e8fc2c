import type { BookingRecord } from '#lib/bookings/records';
import { totalBooked } from '#lib/schedule/publish';
import type { GymClassRecord, GymSlotRecord } from '#lib/schedule/records';
import type { DynamoDbStore } from '#lib/store/dynamodb-store';

/**
 * What the gym API and `ops` show of a record: what the gym wrote and what the service knows, without
 * the pipeline's bookkeeping (work index keys, claims, versions).
 */
const BOOKKEEPING = [
  'work_queue',
  'work_at',
  'publish_requested_at',
  'lease_until',
  'version',
  'published',
] as const;

function withoutBookkeeping(record: object): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...record };
  for (const field of BOOKKEEPING) delete shown[field];
  return shown;
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

export function bookingView(record: BookingRecord): Record<string, unknown> {
  const { version: _version, ...shown } = record as BookingRecord & { version: number };
  return shown;
}

/** Who is booked on the slot, with the customer's name for the front desk. */
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
        wellhub_id: booking.wellhub_id,
        customer_id: booking.customer_id,
        name: customer?.name,
      };
    }),
  );
}
