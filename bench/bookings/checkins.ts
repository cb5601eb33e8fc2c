/**
 * Check-in webhook answered → the gym's validate call received at Wellhub (CONTRACT §12): members whose
 * booking the latency runs reserved check in, one at a time, as Wellhub's app does. The local Wellhub
 * records the check-in and sends the signed `checkin-booking-occurred` webhook to our receiver; the
 * worker (fed by the stream) applies it onto the booking, then validates it from the booking's own
 * stream record: `POST /access/v1/validate` at the local Wellhub. The figure starts when
 * `acting.checkin` got the receiver's 2xx back and ends at the first validate call for that member at
 * that gym, both on the local Wellhub's clock in this process. Each check-in waits for its validation,
 * then a short random pause, so that the check-ins do not fall into step with the stream poller.
 * After the last one, a quiet spell lets a second validation of any of them show up before they are
 * counted, and the table's booking must say `validated` too.
 */
import type { LocalWellhub } from '#lib/local-wellhub/server';
import type { DynamoDbStore } from '#lib/store/dynamodb-store';
import { sleep, until } from '../schedule/gym';
import type { BookingRun } from './latency';
import { type LagFigures, lagFigures } from './members';

export interface CheckinsPlan {
  /** Check-ins made, one at a time, each of a booking the latency runs reserved. */
  readonly count: number;
  /** Drawn at random between the two after each check-in. */
  readonly pauseMs: readonly [number, number];
  /** A check-in with no validate call this long after its webhook's 200 is counted not validated. */
  readonly validateLimitMs: number;
  /** After the last check-in: time for a second validate call of any of them to arrive. */
  readonly quietMs: number;
  /** No check-in is made after this. */
  readonly runLimitMs: number;
}

export interface CheckinsResults {
  readonly planned: number;
  /** `RESERVED` bookings there were to check in. */
  readonly available: number;
  /** Check-ins made (the local Wellhub took the check-in and sent its webhook). */
  readonly checkins: number;
  /** Check-in webhook answered → the first validate call for that member at that gym. */
  readonly lag: LagFigures;
  /** Every sample of it, in the order taken. */
  readonly lagsMs: readonly number[];
  readonly validateLimitMs: number;
  /** The local Wellhub refused the check-in itself (the booking not `RESERVED` there). */
  readonly refused: number;
  /** The webhook was never answered 2xx, retries included. */
  readonly undelivered: number;
  /** Its first attempt was not answered 2xx within Wellhub's second: the 200 is that of a retry. */
  readonly retried: number;
  /** No validate call within `validateLimitMs` of the webhook's 200. */
  readonly notValidated: number;
  /** The first validate call answered other than 200 (the check-in not validated by it). */
  readonly notAccepted: number;
  /** Check-ins with more than one validate call, and those calls beyond the first. */
  readonly validatedTwice: number;
  readonly extraCalls: number;
  /** Check-ins whose booking in the table does not hold `validation.state` `validated`. */
  readonly tableDisagrees: number;
  /** CPU time of the pipeline process per check-in: apply it, validate it, record the answer. */
  readonly workerCpuPerCheckinUs: number;
  readonly cutShort: boolean;
}

const VALIDATE_PATH = '/access/v1/validate';
/** Wellhub's calls are noted in this process: probing them costs nothing, so often. */
const VALIDATION_PROBE_MS = 2;
/** The call's time is stamped a moment before the validation's: they may straddle a second. */
const STRADDLE_MS = 50;

/** The bookings `RESERVED` at Wellhub on these slots, in the order they were booked. */
export function reservedBookings(wellhub: LocalWellhub, slotIds: readonly number[]): string[] {
  const slots = new Set(slotIds);
  return [...wellhub.state.bookings.values()]
    .filter((booking) => slots.has(booking.slot_id) && booking.status === 'RESERVED')
    .map((booking) => booking.booking_number);
}

export interface ValidateCall {
  /** Epoch ms on the local Wellhub's clock. */
  readonly at: number;
  readonly httpStatus: number;
}

/**
 * The validate calls the local Wellhub took for this member at this gym (`state.validations`), first
 * first. Their `at` is Wellhub's format, whole seconds, too coarse for a figure under 2 s: the
 * millisecond is that of the same call in `wellhub.calls`, stamped on the same clock as its request
 * was read, in the same tick as the validation was recorded.
 */
export function validateCalls(wellhub: LocalWellhub, gymId: number, gympassId: string): ValidateCall[] {
  const recorded = wellhub.state.validations.filter((v) => v.gym_id === gymId && v.gympass_id === gympassId);
  if (recorded.length === 0) return [];
  const received = wellhub.calls
    .filter(
      (call) =>
        call.method === 'POST' &&
        call.path === VALIDATE_PATH &&
        call.headers['x-gym-id']?.trim() === String(gymId) &&
        gympassIdOf(call.body) === gympassId,
    )
    .map((call) => Date.parse(call.at));
  return recorded.map((validation) => {
    const second = Date.parse(validation.at);
    const index = received.findIndex((at) => at >= second - STRADDLE_MS && at < second + 1000);
    // Every call that reaches the handler is in both records; the whole second is kept otherwise.
    const at = index < 0 ? second : (received.splice(index, 1)[0] as number);
    return { at, httpStatus: validation.http_status };
  });
}

export async function measureCheckins(
  run: BookingRun,
  store: DynamoDbStore,
  reserved: readonly string[],
  plan: CheckinsPlan,
  progress: (message: string) => void,
): Promise<CheckinsResults> {
  const { wellhub } = run;
  const chosen = reserved.slice(0, plan.count);
  if (chosen.length < plan.count)
    progress(`WARNING: only ${chosen.length} RESERVED bookings to check in, not ${plan.count}`);
  progress(`${chosen.length} check-ins one at a time, of bookings reserved above`);
  const pause = () => {
    const [least, most] = plan.pauseMs;
    return sleep(least + Math.random() * (most - least));
  };

  const lags: number[] = [];
  const checkedIn: { readonly bookingNumber: string; readonly gymId: number; readonly gympassId: string }[] =
    [];
  let refused = 0;
  let undelivered = 0;
  let retried = 0;
  let notValidated = 0;
  let notAccepted = 0;
  const cpuBefore = (await run.pipeline.usage()).cpuMicrosAfterGc;
  const started = Date.now();
  for (const bookingNumber of chosen) {
    if (Date.now() - started > plan.runLimitMs) break;
    const result = await wellhub.acting.checkin({ bookingNumber, receiverUrl: run.receiverUrl });
    const answeredAt = wellhub.clock.now();
    if (!result.ok) {
      refused++;
      progress(`WARNING: check-in refused: ${result.status} ${result.error}`);
      continue;
    }
    const { gym_id: gymId, gympass_id: gympassId } = result.record;
    checkedIn.push({ bookingNumber, gymId, gympassId });
    if (!result.delivery.delivered) undelivered++;
    if (result.delivery.attempts.length > 1) retried++;
    const first = await until(
      () => validateCalls(wellhub, gymId, gympassId)[0],
      plan.validateLimitMs,
      VALIDATION_PROBE_MS,
    );
    if (first === undefined) notValidated++;
    else {
      lags.push(first.at - answeredAt);
      if (first.httpStatus !== 200) notAccepted++;
    }
    await pause();
  }
  await sleep(plan.quietMs);
  const cpuAfter = (await run.pipeline.usage()).cpuMicros;

  let validatedTwice = 0;
  let extraCalls = 0;
  let tableDisagrees = 0;
  for (const { bookingNumber, gymId, gympassId } of checkedIn) {
    const calls = validateCalls(wellhub, gymId, gympassId).length;
    if (calls > 1) {
      validatedTwice++;
      extraCalls += calls - 1;
    }
    const booking = await store.bookings.get(bookingNumber);
    if (booking?.validation?.state !== 'validated') tableDisagrees++;
  }

  return {
    planned: plan.count,
    available: reserved.length,
    checkins: checkedIn.length,
    lag: lagFigures(lags),
    lagsMs: lags,
    validateLimitMs: plan.validateLimitMs,
    refused,
    undelivered,
    retried,
    notValidated,
    notAccepted,
    validatedTwice,
    extraCalls,
    tableDisagrees,
    workerCpuPerCheckinUs: (cpuAfter - cpuBefore) / Math.max(1, checkedIn.length),
    cutShort: checkedIn.length + refused < plan.count,
  };
}

function gympassIdOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('gympass_id' in body)) return undefined;
  return typeof body.gympass_id === 'string' ? body.gympass_id : undefined;
}
