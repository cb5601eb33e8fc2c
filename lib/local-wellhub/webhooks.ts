/**
 * The webhooks the local Wellhub sends, shaped as Wellhub sends them (seed 003, CONTRACT §3) and
 * delivered with Wellhub's timing: 1 s to answer, then three retries at once.
 */
import { randomUUID } from 'node:crypto';
import { signBody } from '#lib/wellhub/signature';
import type { DeliveryAttempt, SimBooking, SimCheckin, SimDelivery } from './state';

/** Wellhub waits 1 s for an answer (seed 003). */
export const WEBHOOK_TIMEOUT_MS = 1000;
/** "we retry 3 times immediately after the missed response". */
export const IMMEDIATE_RETRIES = 3;

/** What the test members' profiles say; only `booking-requested` and `checkin` carry them. */
function profile(gympassId: string) {
  const n = Number(gympassId.slice(-2));
  return {
    name: `Test Member ${n}`,
    first_name: 'Test',
    last_name: `Member ${n}`,
    email: `test.member.${n}@example.com`,
    phone_number: `+55119000000${String(n).padStart(2, '0')}`,
  };
}

const LOCATION = { lat: -23.5613, lon: -46.6565 };

export function bookingEvent(
  type: 'booking-requested' | 'booking-canceled' | 'booking-late-canceled',
  booking: SimBooking,
  timestampMs: number,
): Record<string, unknown> {
  const member = profile(booking.gympass_id);
  return {
    event_type: type,
    event_data: {
      user:
        type === 'booking-requested'
          ? { unique_token: booking.gympass_id, name: member.name, email: member.email }
          : { unique_token: booking.gympass_id },
      slot: {
        id: booking.slot_id,
        gym_id: booking.gym_id,
        class_id: booking.class_id,
        booking_number: booking.booking_number,
      },
      timestamp: timestampMs,
      event_id: randomUUID(),
    },
  };
}

/** Check-ins: seconds, no event id. */
export function checkinEvent(
  checkin: SimCheckin,
  product: { product_id: number; name: string },
): Record<string, unknown> {
  const seconds = Math.floor(checkin.checked_in_at / 1000);
  const gym = { id: checkin.gym_id, title: `Gym ${checkin.gym_id}` };
  if (checkin.booking_number !== undefined) {
    return {
      event_type: 'checkin-booking-occurred',
      event_data: {
        booking: { booking_number: checkin.booking_number },
        user: { unique_token: checkin.gympass_id },
        location: LOCATION,
        gym: { ...gym, product: { id: product.product_id, description: product.name } },
        timestamp: seconds,
        expires_at: Math.floor(checkin.expires_at / 1000),
      },
    };
  }
  const member = profile(checkin.gympass_id);
  return {
    event_type: 'checkin',
    event_data: {
      user: {
        unique_token: checkin.gympass_id,
        first_name: member.first_name,
        last_name: member.last_name,
        email: member.email,
        phone_number: member.phone_number,
      },
      location: LOCATION,
      gym: { ...gym, product: { id: product.product_id, description: product.name } },
      timestamp: seconds,
    },
  };
}

export interface DeliveryTarget {
  readonly url: string;
  readonly secret: string;
}

/**
 * POSTs the event signed as Wellhub signs (HMAC-SHA1 of the compact JSON, uppercase hex). Anything
 * but a 2xx within the timeout is followed by three attempts at once, as Wellhub does.
 */
export async function deliverWebhook(
  target: DeliveryTarget,
  event: Record<string, unknown>,
  options: { now: () => number; timeoutMs?: number },
): Promise<SimDelivery> {
  const body = JSON.stringify(event);
  const signature = signBody(body, target.secret);
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const at = () => new Date(options.now()).toISOString();
  const send = async (): Promise<DeliveryAttempt> => {
    const started = at();
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gympass-signature': signature },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer();
      return { at: started, status: response.status };
    } catch (error) {
      const name = typeof error === 'object' && error !== null ? Reflect.get(error, 'name') : undefined;
      return { at: started, error: name === 'TimeoutError' ? 'timeout' : 'connection failed' };
    }
  };
  const ok = (attempt: DeliveryAttempt) =>
    attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300;
  const first = await send();
  const attempts = ok(first)
    ? [first]
    : [first, ...(await Promise.all(Array.from({ length: IMMEDIATE_RETRIES }, send)))];
  return {
    at: first.at,
    event_type: String(event.event_type),
    url: target.url,
    body: event,
    attempts,
    delivered: attempts.some(ok),
  };
}
