import type { BookingRecord, DeliveryState } from '#lib/bookings/records';
import { type CheckinValidation, reopenedValidation } from '#lib/bookings/validation';
import { BadRequest } from '#lib/errors';
import { parseBookingCancel } from '#lib/gym-api/handler';
import { bookingView, messageView } from '#lib/gym-api/views';
import { cancelBookingByGym, changeBooking } from '#lib/jobs/booking-changes';
import { runBookingJob } from '#lib/jobs/router';
import { FAILED_QUEUE } from '#lib/store/table';
import { type OpsContext, refuse } from './commands';
import type { PipelineContext } from './pipeline';

/**
 * On-call and a booking (CONTRACT §11, §15): the gym cancels one reserved booking, and the messages to
 * Wellhub that ended undelivered are listed and either sent again or acknowledged.
 */
const MESSAGES = ['answer', 'gym_cancellation'] as const;
type Message = (typeof MESSAGES)[number];

const ENDED_UNDELIVERED: ReadonlySet<DeliveryState> = new Set(['refused', 'timed_out', 'possibly_delivered']);

/** What `POST /gym/bookings/{n}/cancel` does, from the command line. */
export async function bookingCancel({ store }: OpsContext, bookingNumber: string, reason?: string) {
  let checked: string | undefined;
  try {
    checked = reason === undefined ? undefined : parseBookingCancel({ reason });
  } catch (error) {
    if (error instanceof BadRequest) refuse(`--reason: ${error.message}`);
    throw error;
  }
  const at = new Date();
  const result = await cancelBookingByGym({ bookings: store.bookings }, bookingNumber, at, checked);
  if (result.kind === 'not_found') refuse(`no booking ${bookingNumber}`);
  if (result.kind === 'refused') refuse(result.message);
  // Asked before: the cancellation on record is the first one, and nothing changed now.
  const changed = result.booking.gym_cancellation?.requested_at === at.toISOString();
  return { changed, booking: bookingView(result.booking) };
}

/** One line of `ops failures` per message of a failed booking that Wellhub never surely got. */
export function bookingFailures(item: Record<string, unknown>): Record<string, unknown>[] {
  const booking = item as unknown as BookingRecord;
  const failed = MESSAGES.filter((message) => ENDED_UNDELIVERED.has(booking[message]?.state ?? 'pending'));
  const validation = booking.validation?.state === 'failed' ? [validationFailure(booking)] : [];
  if (failed.length === 0 && validation.length > 0) return validation;
  // In the failed queue with nothing failed (written by hand?): still listed, so it can be acknowledged.
  return [
    ...validation,
    ...(failed.length > 0 ? failed : (['answer'] as const)).map((message) => {
      const sent = booking[message];
      const last = sent?.attempts.at(-1);
      return {
        kind: 'booking',
        booking_number: booking.booking_number,
        gym_id: booking.gym_id,
        message: label(booking, message),
        state: sent?.state,
        booking_status: booking.status,
        rejected_by: booking.rejected_by,
        deadline: sent?.deadline,
        failed_at: booking.work_at,
        attempts: sent?.attempts.length ?? 0,
        last_error: last?.error,
        wellhub_status: last?.http_status,
        retry: `ops retry booking:${booking.booking_number}`,
      };
    }),
  ];
}

/** A check-in Wellhub will not pay for (CONTRACT §12): what it was and Wellhub's last word. */
export function validationFailure(item: {
  readonly validation?: BookingRecord['validation'];
  readonly gym_id: string;
  readonly booking_number?: string;
  readonly event_key?: string;
}) {
  const validation = item.validation;
  const last = validation?.attempts.at(-1);
  return {
    kind: item.booking_number !== undefined ? 'booking' : 'walk-in',
    ...(item.booking_number !== undefined
      ? { booking_number: item.booking_number }
      : { event_key: item.event_key }),
    gym_id: item.gym_id,
    message: 'check-in validation',
    state: validation?.state,
    checked_in_at: validation?.checked_in_at,
    attempts: validation?.attempts.length ?? 0,
    last_error: validation?.error ?? last?.error,
    wellhub_status: last?.http_status,
    retry:
      item.booking_number !== undefined
        ? `ops retry booking:${item.booking_number}`
        : `ops retry ${item.event_key ?? ''}`,
  };
}

/**
 * `ops retry booking:<n>`. A message that may have landed and is still within its deadline is owed
 * again and sent right here (Wellhub takes the same answer twice), and so is a failed check-in
 * validation while its 20 minutes last. Anything else cannot be sent any more: it is acknowledged,
 * out of the failed list, and the note says how the booking ended.
 */
export async function retryBooking({ store, pipeline }: PipelineContext, bookingNumber: string) {
  const current = (await store.bookings.get(bookingNumber)) ?? refuse(`no booking ${bookingNumber}`);
  if (current.work_queue !== FAILED_QUEUE)
    refuse(`booking ${bookingNumber} has not failed (${states(current)})`);
  const now = pipeline.now();
  let plan = 'unchanged' as 'resend' | 'acknowledge' | 'unchanged';
  let resent: Message[] = [];
  let revalidated = undefined as CheckinValidation | undefined;
  const after = await changeBooking(
    { bookings: store.bookings },
    current,
    (booking) => {
      plan = 'unchanged';
      if (booking.work_queue !== FAILED_QUEUE) return { booking };
      const { work_queue: _queue, work_at: _at, lease_until: _lease, ...rest } = booking;
      resent = resendable(booking, now);
      revalidated = booking.validation && reopenedValidation(booking.validation, now);
      plan = resent.length > 0 || revalidated !== undefined ? 'resend' : 'acknowledge';
      if (plan === 'acknowledge') return { booking: rest };
      const iso = now.toISOString();
      const { answer, gym_cancellation: cancellation } = booking;
      return {
        booking: {
          ...rest,
          ...(answer && resent.includes('answer')
            ? { answer: { ...answer, state: 'pending' as const } }
            : {}),
          ...(cancellation && resent.includes('gym_cancellation')
            ? { gym_cancellation: { ...cancellation, state: 'pending' as const } }
            : {}),
          ...(revalidated ? { validation: revalidated } : {}),
          work_at: iso,
          job_requested_at: iso,
        },
      };
    },
    now,
  );
  if (plan === 'unchanged') refuse(`booking ${bookingNumber} changed while it was being retried`);
  if (plan === 'acknowledge') {
    return {
      booking_number: bookingNumber,
      acknowledged: true,
      note: notes(after),
      ended_as: endedAs(after),
    };
  }
  const report = await runBookingJob(bookingNumber, pipeline, 'ops');
  const sent = (await store.bookings.get(bookingNumber)) ?? after;
  return {
    booking_number: bookingNumber,
    resent: [
      ...resent.map((message) => label(sent, message)),
      ...(revalidated ? ['check-in validation'] : []),
    ],
    outcome: report.outcome,
    status: sent.status,
    answer: messageView(sent.answer),
    ...(sent.gym_cancellation ? { gym_cancellation: messageView(sent.gym_cancellation) } : {}),
    ...(revalidated ? { validation: sent.validation } : {}),
  };
}

/** Only a message that may have landed can be sent again; one Wellhub refused outright, never. */
function resendable(booking: BookingRecord, now: Date): Message[] {
  return MESSAGES.filter((message) => {
    const sent = booking[message];
    return sent?.state === 'possibly_delivered' && now.getTime() < Date.parse(sent.deadline);
  });
}

function label(booking: BookingRecord, message: Message): string {
  if (message === 'gym_cancellation') return 'CANCELLED_BY_GYM';
  const answer = booking.answer;
  return `answer ${[answer?.status, answer?.reason_category].filter(Boolean).join(' ')}`.trim();
}

/** Why nothing is sent again: what on-call tells the gym, one sentence per message. */
function notes(booking: BookingRecord): string {
  const lines = MESSAGES.flatMap((message) => {
    const sent = booking[message];
    if (sent === undefined || !ENDED_UNDELIVERED.has(sent.state)) return [];
    const what = label(booking, message);
    if (sent.state === 'refused') {
      const status = sent.attempts.at(-1)?.http_status;
      return [`Wellhub refused the ${what} (HTTP ${status ?? 'unknown'}): it is never sent again.`];
    }
    const landed = sent.state === 'possibly_delivered' ? ' It may have reached Wellhub: check there.' : '';
    return [
      `Wellhub's deadline for the ${what} passed at ${sent.deadline}: nothing can be sent any more.${landed}`,
    ];
  });
  if (booking.validation?.state === 'failed') lines.push(validationTooLate(booking.validation));
  return lines.length > 0 ? lines.join(' ') : 'Nothing is owed to Wellhub: taken out of the failed list.';
}

/** A failed check-in validation past its 20 minutes: what on-call tells the gym. */
export function validationTooLate(validation: CheckinValidation): string {
  const why = validation.error === undefined ? '' : ` (${validation.error})`;
  return `The check-in's validation failed${why} and its 20 minutes ended at ${validation.deadline}: it can no longer be validated, and Wellhub does not pay for the visit.`;
}

/** How the booking ended, for the gym: its status, who rejected it, and its seat. */
function endedAs(booking: BookingRecord) {
  const seat = booking.seat;
  return {
    status: booking.status,
    ...(booking.rejected_by !== undefined ? { rejected_by: booking.rejected_by } : {}),
    ...(booking.reason_category !== undefined ? { reason_category: booking.reason_category } : {}),
    seat:
      seat === undefined
        ? 'none taken'
        : seat.released_at === undefined
          ? `held on slot ${seat.slot_reference}`
          : `released at ${seat.released_at} (${seat.released_because ?? 'released'})`,
  };
}

function states(booking: BookingRecord): string {
  const parts = MESSAGES.flatMap((message) => {
    const state = booking[message]?.state;
    return state === undefined ? [] : [`${message} ${state}`];
  });
  return parts.length > 0 ? parts.join(', ') : booking.status;
}
