import type { BookingRecord, Seat } from '#lib/bookings/records';
import type { GymSlotRecord } from '#lib/schedule/records';
import { dueQueueOf, FAILED_QUEUE, keys, listings } from './table';
import type { TransactItem } from './table-access';

/**
 * The writes that change a booking and the seats of its slot, as transaction items. A seat is taken
 * and given back only together with the booking write that records it, which is conditional on the
 * booking's version: so a seat moves exactly once however often a job or an event runs (CONTRACT §11).
 */

/** Where a booking sits in the work index: due at `work_at`, `failed` once its answer failed. */
export function bookingItem(table: string, record: BookingRecord, expectedVersion: number | undefined) {
  const key = keys.booking(record.booking_number);
  const queued =
    record.work_at === undefined
      ? {}
      : { work_queue: record.work_queue === FAILED_QUEUE ? FAILED_QUEUE : dueQueueOf(key.pk) };
  const { work_queue: _queue, ...fields } = record;
  return {
    Put: {
      TableName: table,
      Item: {
        ...key,
        kind: 'booking',
        ...fields,
        ...queued,
        // Listed under its slot: the sign-in list, and the bookings a canceled slot cancels.
        ...(record.slot_id !== undefined ? listings.booking(record.slot_id, record.booking_number) : {}),
      },
      ...(expectedVersion === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: 'version = :version',
            ExpressionAttributeValues: { ':version': expectedVersion },
          }),
    },
  } satisfies TransactItem;
}

/**
 * The slot's seat count changes and Wellhub must hear the new `total_booked`: a new revision, owed to
 * the publication job at once (the same fields a gym change sets).
 */
function seatCountUpdate(table: string, slotReference: string, delta: 1 | -1, at: Date) {
  const key = keys.slot(slotReference);
  return {
    TableName: table,
    Key: key,
    UpdateExpression:
      'SET publish_requested_at = :at, work_at = :at, work_queue = :queue, #sync.#state = :pending, #sync.changed_at = :at ADD wellhub_reserved :delta, revision :one, version :one REMOVE attempts, last_error',
    ExpressionAttributeNames: { '#sync': 'sync', '#state': 'state' } as Record<string, string>,
    ExpressionAttributeValues: {
      ':at': at.toISOString(),
      ':queue': dueQueueOf(key.pk),
      ':pending': 'pending',
      ':delta': delta,
      ':one': 1,
    } as Record<string, unknown>,
  };
}

/**
 * One Wellhub seat taken on the slot, conditional on the counts the decision read: the slot still
 * active, its capacity, Wellhub limit, outside sales and start unchanged, and fewer seats taken than
 * they allow. Concurrent takers add up (ADD), so exactly the free seats are given, never one more. The
 * member's marker on the slot makes rule 5 (one seat per member per slot) just as atomic.
 */
export function takeSeatItems(
  table: string,
  slot: GymSlotRecord,
  limit: number,
  booking: BookingRecord,
  at: Date,
): TransactItem[] {
  const update = seatCountUpdate(table, slot.reference, 1, at);
  const hasLimit = slot.wellhub_limit !== undefined;
  return [
    {
      Update: {
        ...update,
        ConditionExpression: `#status = :active AND total_capacity = :capacity AND booked_elsewhere = :elsewhere AND occur_date = :start AND wellhub_reserved < :limit AND ${hasLimit ? 'wellhub_limit = :wellhubLimit' : 'attribute_not_exists(wellhub_limit)'}`,
        ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#status': 'status' },
        ExpressionAttributeValues: {
          ...update.ExpressionAttributeValues,
          ':active': 'active',
          ':capacity': slot.total_capacity,
          ':elsewhere': slot.booked_elsewhere,
          ':start': slot.occur_date,
          ':limit': limit,
          ...(hasLimit ? { ':wellhubLimit': slot.wellhub_limit } : {}),
        },
      },
    },
    {
      Put: {
        TableName: table,
        Item: {
          ...keys.seatHolder(slot.reference, booking.wellhub_id),
          kind: 'seat_holder',
          booking_number: booking.booking_number,
          taken_at: at.toISOString(),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
}

/** The seat given back: the count down, Wellhub told, and the member free to book the slot again. */
export function releaseSeatItems(table: string, seat: Seat, wellhubId: string, at: Date): TransactItem[] {
  const update = seatCountUpdate(table, seat.slot_reference, -1, at);
  return [
    { Update: { ...update, ConditionExpression: 'attribute_exists(pk)' } },
    {
      Delete: {
        TableName: table,
        Key: keys.seatHolder(seat.slot_reference, wellhubId),
      },
    },
  ];
}
