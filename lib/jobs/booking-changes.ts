import { type BookingUpdate, cancelOneByGym, failedMessage } from '#lib/bookings/answer';
import type { BookingRecord } from '#lib/bookings/records';
import type { BookingStore } from '#lib/store/booking-store';
import { FAILED_QUEUE } from '#lib/store/table';
import { LostRaces } from './apply-event';

export interface BookingJobDeps {
  readonly bookings: BookingStore;
}

/** Events of the booking (a cancellation, a check-in) may land meanwhile; each lost race re-reads. */
const MAX_RACES = 10;

/**
 * Applies a pure change to the booking and writes it with the seat it gives back, conditional on the
 * version: on a lost race the booking is read again and the change applied to what is there now, so
 * nothing another writer recorded is lost. Starts from `known`, usually what the job just wrote.
 */
export async function changeBooking(
  deps: BookingJobDeps,
  known: BookingRecord,
  change: (booking: BookingRecord) => BookingUpdate,
  at: Date,
): Promise<BookingRecord> {
  let current: BookingRecord | undefined = known;
  for (let race = 1; race <= MAX_RACES; race++) {
    if (current === undefined) throw new Error(`booking ${known.booking_number} disappeared`);
    const update = change(current);
    if (update.booking === current) return current;
    const next = { ...update.booking, version: current.version + 1 };
    if (await deps.bookings.save({ ...update, booking: next }, current.version, at)) return next;
    current = await deps.bookings.get(known.booking_number);
  }
  throw new LostRaces(`lost ${MAX_RACES} write races on booking ${known.booking_number}`);
}

/**
 * The job lets the booking go: due again at `retryAt`, or out of the work index when nothing is
 * owed, or in the failed list when a message to Wellhub ended undelivered (on-call looks at it).
 */
export function settle(
  deps: BookingJobDeps,
  booking: BookingRecord,
  retryAt: Date | undefined,
  at: Date,
): Promise<BookingRecord> {
  return changeBooking(
    deps,
    booking,
    (current) => {
      const { lease_until: _lease, work_at: _at, work_queue: _queue, ...rest } = current;
      // Someone owed it new work meanwhile (the gym canceled it): hand it straight back.
      const again = current.job_requested_at !== undefined;
      if (retryAt !== undefined || again)
        return { booking: { ...rest, work_at: (again ? at : (retryAt ?? at)).toISOString() } };
      if (failedMessage(current))
        return { booking: { ...rest, work_queue: FAILED_QUEUE, work_at: at.toISOString() } };
      return { booking: rest };
    },
    at,
  );
}

export type GymCancelResult =
  | { readonly kind: 'canceled'; readonly booking: BookingRecord }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'refused'; readonly message: string };

/**
 * The gym cancels one reserved booking (CONTRACT §11): `CANCELED_BY_GYM` and its seat released now,
 * `CANCELLED_BY_GYM` owed to Wellhub and handed to the stream. Asking twice changes nothing.
 */
export async function cancelBookingByGym(
  deps: BookingJobDeps,
  bookingNumber: string,
  at: Date,
  reason?: string,
): Promise<GymCancelResult> {
  const current = await deps.bookings.get(bookingNumber);
  if (current === undefined) return { kind: 'not_found' };
  let refusal: string | undefined;
  const booking = await changeBooking(
    deps,
    current,
    (b) => {
      const result = cancelOneByGym(b, at, reason);
      if ('refused' in result) {
        refusal = result.refused;
        return { booking: b };
      }
      refusal = undefined;
      if (result.booking === b) return result;
      const iso = at.toISOString();
      return { ...result, booking: { ...result.booking, work_at: iso, job_requested_at: iso } };
    },
    at,
  );
  return refusal === undefined ? { kind: 'canceled', booking } : { kind: 'refused', message: refusal };
}
