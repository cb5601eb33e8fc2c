import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { BookingRecord } from '#lib/bookings/records';
import {
  type CheckinValidation,
  classifyValidation,
  settledValidation,
  type ValidationResult,
  withValidationCall,
} from '#lib/bookings/validation';
import { metrics } from '#lib/log';
import type { WellhubClient } from '#lib/wellhub-api/client';
import { type BookingJobDeps, changeBooking } from './booking-changes';
import { explain } from './publication';

export interface ValidateDeps extends BookingJobDeps {
  readonly wellhub: WellhubClient;
  readonly now: () => Date;
}

/**
 * One validation call for a booked check-in (CONTRACT §12): `POST /access/v1/validate` with the gym in
 * `X-Gym-Id` and the member's Wellhub ID, its answer recorded on the booking as Wellhub means it.
 */
export async function validateBookedCheckin(
  deps: ValidateDeps,
  booking: BookingRecord,
): Promise<{ readonly booking: BookingRecord; readonly result: ValidationResult }> {
  const attempt = (booking.validation?.attempts.length ?? 0) + 1;
  const outcome = await deps.wellhub.validateCheckin(booking.gym_id, booking.wellhub_id, {
    attempt,
    bookingNumber: booking.booking_number,
  });
  const result = classifyValidation(outcome, (o) => explain(o as Parameters<typeof explain>[0]));
  const at = deps.now();
  const after = await changeBooking(
    deps,
    booking,
    (b) =>
      b.validation === undefined
        ? { booking: b }
        : {
            booking: {
              ...b,
              validation: withValidationCall(b.validation, result, at),
              updated_at: at.toISOString(),
            },
          },
    at,
  );
  if (after.validation) countValidation(after.validation, result, at);
  return { booking: after, result };
}

/** Nothing is sent for it: the reason is kept, and on-call can validate by hand. */
export function notNeeded(booking: BookingRecord, reason: string, at: Date): BookingRecord {
  if (booking.validation === undefined) return booking;
  return {
    ...booking,
    validation: settledValidation(booking.validation, 'not_needed', reason),
    updated_at: at.toISOString(),
  };
}

export function countValidation(validation: CheckinValidation, result: ValidationResult, at: Date): void {
  const outcome = result.kind === 'validated' && result.already ? 'already_validated' : result.kind;
  const single = metrics.singleMetric();
  single.addDimensions({ outcome });
  single.addMetric('ValidationCalls', MetricUnit.Count, 1);
  if (validation.state === 'validated') {
    const latency = metrics.singleMetric();
    latency.addMetric(
      'ValidationLatency',
      MetricUnit.Milliseconds,
      Math.max(0, at.getTime() - Date.parse(validation.checked_in_at)),
    );
  }
  if (validation.state === 'failed') countValidationFailed();
}

/** A visit Wellhub will not pay for: alarmed (money lost). */
export function countValidationFailed(): void {
  const single = metrics.singleMetric();
  single.addMetric('ValidationsFailed', MetricUnit.Count, 1);
}
