/**
 * The control API (`/_sim/*`, no token: it is the test's and the developer's, not Wellhub's), and
 * the sandbox's own helpers (`/helper/v1/...`, with the token, as in Wellhub's sandbox). Both drive
 * the same acting functions (acting.ts).
 */
import type { Acting, ActResult } from './acting';
import type { SimClock } from './clock';
import type { Faults } from './faults';
import { intParam, type SimRequest, type SimResponse, type SimRoute } from './http';
import { applyTimeRules } from './rules';
import type { SimState } from './state';
import { isRecord } from './validation';

export interface RecordedCall {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  /** Authorization is shown as `Bearer ***`: the token is never kept. */
  readonly headers: Record<string, string>;
  readonly body: unknown;
  status?: number;
  fault?: string;
}

export interface ControlDeps {
  readonly state: SimState;
  readonly clock: SimClock;
  readonly faults: Faults;
  readonly calls: RecordedCall[];
  readonly acting: Acting;
}

export function controlRoutes({ state, clock, faults, calls, acting }: ControlDeps): SimRoute[] {
  const control = (method: string, pattern: string, handler: SimRoute['handler']): SimRoute => ({
    method,
    pattern,
    api: 'control',
    public: true,
    handler,
  });
  const helper = (pattern: string, handler: SimRoute['handler']): SimRoute => ({
    method: 'POST',
    pattern: `/helper/v1/gyms/{gym_id}/simulate/${pattern}`,
    api: 'helper',
    handler,
  });
  const body = (r: SimRequest) => (isRecord(r.body) ? r.body : {});
  const override = (b: Record<string, unknown>) => ({
    ...(typeof b.receiver_url === 'string' ? { receiverUrl: b.receiver_url } : {}),
    ...(typeof b.webhook_secret === 'string' ? { webhookSecret: b.webhook_secret } : {}),
  });
  const clockNow = () => ({ status: 200, body: { now: new Date(clock.now()).toISOString() } });

  return [
    control('GET', '/_sim/state', () => {
      applyTimeRules(state, clock.now());
      return { status: 200, body: state.snapshot(clock.now()) };
    }),
    control('GET', '/_sim/calls', () => ({ status: 200, body: { calls } })),
    control('DELETE', '/_sim/calls', () => {
      calls.length = 0;
      return { status: 204 };
    }),
    control('GET', '/_sim/faults', () => ({ status: 200, body: { faults: faults.list() } })),
    control('POST', '/_sim/faults', (r) => {
      try {
        return { status: 201, body: faults.add(r.body) };
      } catch (error) {
        return { status: 400, body: { error: error instanceof Error ? error.message : String(error) } };
      }
    }),
    control('DELETE', '/_sim/faults', () => {
      faults.clear();
      return { status: 204 };
    }),
    control('GET', '/_sim/clock', clockNow),
    control('POST', '/_sim/clock', (r) => {
      const b = body(r);
      const set = typeof b.now === 'string' ? Date.parse(b.now) : b.now;
      if (b.now !== undefined && !(typeof set === 'number' && Number.isFinite(set)))
        return { status: 400, body: { error: 'now must be an ISO 8601 date-time or epoch milliseconds' } };
      if (b.advance_ms !== undefined && typeof b.advance_ms !== 'number')
        return { status: 400, body: { error: 'advance_ms must be a number' } };
      if (typeof set === 'number') clock.set(set);
      if (typeof b.advance_ms === 'number') clock.advance(b.advance_ms);
      return clockNow();
    }),
    control('POST', '/_sim/bookings', async (r) => {
      const b = body(r);
      const slotId = Number(b.slot_id);
      if (!Number.isInteger(slotId))
        return { status: 400, body: { error: 'slot_id must be a Wellhub slot id' } };
      const user = typeof b.user === 'string' ? { gympassId: b.user } : {};
      return answer(await acting.book({ slotId, ...user, ...override(b) }), 'booking');
    }),
    control('POST', '/_sim/bookings/{booking_number}/cancel', async (r) => {
      const b = body(r);
      const input = { bookingNumber: r.params.booking_number ?? '', late: b.late === true, ...override(b) };
      return answer(await acting.cancel(input), 'booking');
    }),
    control('POST', '/_sim/checkins', async (r) => {
      const b = body(r);
      if (typeof b.booking_number === 'string')
        return answer(await acting.checkin({ bookingNumber: b.booking_number, ...override(b) }), 'checkin');
      const gymId = Number(b.gym_id);
      if (typeof b.user !== 'string' || !Number.isInteger(gymId))
        return { status: 400, body: { error: 'give booking_number, or user and gym_id for a walk-in' } };
      const product = typeof b.product_id === 'number' ? { productId: b.product_id } : {};
      return answer(await acting.walkin({ gympassId: b.user, gymId, ...product, ...override(b) }), 'checkin');
    }),

    helper('bookings', async (r) => {
      const b = body(r);
      const slot = state.slots.get(Number(b.slot_id));
      if (!slot || slot.gym_id !== intParam(r.params.gym_id) || slot.class_id !== Number(b.class_id))
        return { status: 404, body: [{ field: 'slot_id', error: 'slot not found for this gym and class' }] };
      const user = typeof b.gympass_user_id === 'string' ? { gympassId: b.gympass_user_id } : {};
      return helperAnswer(await acting.book({ slotId: slot.id, ...user }));
    }),
    helper('bookings/{booking_number}/cancel', async (r) =>
      helperAnswer(await acting.cancel({ bookingNumber: r.params.booking_number ?? '' })),
    ),
    helper('checkins', async (r) => {
      const b = body(r);
      if (typeof b.booking_number === 'string')
        return helperAnswer(await acting.checkin({ bookingNumber: b.booking_number }));
      const gymId = intParam(r.params.gym_id) ?? -1;
      const product = typeof b.product_id === 'number' ? { productId: b.product_id } : {};
      return helperAnswer(await acting.walkin({ gympassId: String(b.gympass_user_id), gymId, ...product }));
    }),
  ];
}

function answer<T>(result: ActResult<T>, name: string): SimResponse {
  if (!result.ok) return { status: result.status, body: { error: result.error } };
  return { status: 201, body: { [name]: result.record, webhook: result.delivery } };
}

/** The sandbox helpers answer the webhook event they stand for. */
function helperAnswer<T>(result: ActResult<T>): SimResponse {
  if (!result.ok) return { status: result.status, body: [{ field: 'request', error: result.error }] };
  return { status: 200, body: result.delivery.body };
}
