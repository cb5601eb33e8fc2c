import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { BookingUpdate } from '#lib/bookings/answer';
import type { BookingRecord } from '#lib/bookings/records';
import type { GymSlotRecord } from '#lib/schedule/records';
import { bookingItem, releaseSeatItems, takeSeatItems } from './booking-writes';
import { FAILED_QUEUE, keys } from './table';
import { type TableAccess, type TransactItem, unavailable } from './table-access';

/** How a decision's write ended; anything but `saved` means: read again and decide again. */
export type DecisionWrite = 'saved' | 'booking_changed' | 'slot_changed' | 'already_held' | 'contended';

/**
 * Bookings as the answer job changes them (CONTRACT §11). Every write is the whole record,
 * conditional on the version read, together with the seat it takes or gives back: a seat moves
 * exactly once, whoever races to write the booking.
 */
export class BookingStore {
  constructor(private readonly access: TableAccess) {}

  async get(bookingNumber: string): Promise<BookingRecord | undefined> {
    return (await this.access.get(keys.booking(bookingNumber))) as BookingRecord | undefined;
  }

  /** The booking number holding this member's seat in the slot, if any (rule 5). */
  async seatHolder(slotReference: string, wellhubId: string): Promise<string | undefined> {
    const item = await this.access.get(keys.seatHolder(slotReference, wellhubId));
    return typeof item?.booking_number === 'string' ? item.booking_number : undefined;
  }

  /**
   * Takes the booking for one job: only while it owes Wellhub a call and no other job holds it. The
   * claim clears `job_requested_at`, so its own stream record wakes no one.
   */
  async claim(bookingNumber: string, now: Date, leaseMs: number): Promise<BookingRecord | undefined> {
    const item = await this.access.update({
      Key: keys.booking(bookingNumber),
      UpdateExpression: 'SET lease_until = :until ADD version :one REMOVE job_requested_at',
      ConditionExpression:
        'attribute_exists(work_queue) AND work_queue <> :failed AND (attribute_not_exists(lease_until) OR lease_until < :now)',
      ExpressionAttributeValues: {
        ':until': new Date(now.getTime() + leaseMs).toISOString(),
        ':now': now.toISOString(),
        ':one': 1,
        ':failed': FAILED_QUEUE,
      },
    });
    return item as BookingRecord | undefined;
  }

  /**
   * The decision written, with the seat it takes when it reserves: conditional on the booking's
   * version, the slot's counts (takeSeatItems) and the member holding no other seat in the slot.
   */
  async saveDecision(
    booking: BookingRecord,
    expectedVersion: number,
    seat: { readonly slot: GymSlotRecord; readonly limit: number } | undefined,
    at: Date,
  ): Promise<DecisionWrite> {
    const items: TransactItem[] = [
      bookingItem(this.access.table, booking, expectedVersion),
      ...(seat ? takeSeatItems(this.access.table, seat.slot, seat.limit, booking, at) : []),
    ];
    try {
      await this.access.transact(items);
      return 'saved';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw unavailable(error);
      const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code);
      if (codes[0] === 'ConditionalCheckFailed') return 'booking_changed';
      if (codes[1] === 'ConditionalCheckFailed') return 'slot_changed';
      if (codes[2] === 'ConditionalCheckFailed') return 'already_held';
      if (codes.includes('TransactionConflict')) return 'contended';
      throw unavailable(error);
    }
  }

  /**
   * A change to the booking and the seat it gives back, at once. False when the booking changed
   * since it was read (or a concurrent transaction touched it): read again and apply again.
   */
  async save(update: BookingUpdate, expectedVersion: number, at: Date): Promise<boolean> {
    const { booking, released } = update;
    const items: TransactItem[] = [
      bookingItem(this.access.table, booking, expectedVersion),
      ...(released ? releaseSeatItems(this.access.table, released, booking.wellhub_id, at) : []),
    ];
    try {
      await this.access.transact(items);
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code);
        if (codes[0] === 'ConditionalCheckFailed' || codes.includes('TransactionConflict')) return false;
      }
      throw unavailable(error);
    }
  }
}
