import { bookingCancel } from '#lib/ops/bookings';
import * as ops from '#lib/ops/commands';
import { failures, type PipelineContext, retry } from '#lib/ops/pipeline';
import { type BookingHarness, bookingHarness } from '../../support/bookings';

/** The answers' PATCH at the local Wellhub, whatever the gym and booking. */
const ANSWER_PATH = '/booking/v2/gyms/*/bookings/*';
/** Past the 15 minutes Wellhub gives an answer. */
const PAST_THE_DEADLINE_MS = 16 * 60_000;

/** CONTRACT §15: on-call reads a booking's story, cancels it, and handles its failed answers. */
describe('ops and bookings', () => {
  let h: BookingHarness;
  let context: PipelineContext;
  beforeAll(async () => {
    h = await bookingHarness();
    context = { store: h.store, pipeline: h.pipeline };
  });
  afterEach(() => h.wellhub.faults.clear());
  afterAll(() => h.close());

  async function reserved() {
    const slot = await h.publishedSlot({ total_capacity: 5, booked_elsewhere: 0 });
    const n = await h.book(slot.wellhubSlotId);
    await h.drain();
    return { slot, n };
  }

  it('prints the booking story: identity first, the answer and its calls, the seat, no bookkeeping', async () => {
    const { slot, n } = await reserved();

    const shown = await ops.booking(context, n);

    expect(Object.keys(shown).slice(0, 2)).toEqual(['booking_number', 'status']);
    expect(shown).toMatchObject({
      booking_number: n,
      status: 'RESERVED',
      answer: {
        status: 'RESERVED',
        state: 'delivered',
        deadline: expect.any(String),
        attempts: [{ at: expect.any(String), http_status: 204 }],
      },
      seat: { slot_reference: slot.reference, taken_at: expect.any(String) },
    });
    expect(shown.history).toEqual([expect.objectContaining({ event_type: 'booking-requested' })]);
    for (const field of ['work_queue', 'work_at', 'job_requested_at', 'lease_until', 'version'])
      expect(shown).not.toHaveProperty(field);
  });

  it('cancels a reserved booking as the gym API does, and says so when it was already done', async () => {
    const { slot, n } = await reserved();

    const canceled = await bookingCancel(context, n, 'The studio is flooded.');
    const again = await bookingCancel(context, n);

    expect(canceled).toMatchObject({
      changed: true,
      booking: {
        status: 'CANCELED_BY_GYM',
        seat: { released_at: expect.any(String) },
        gym_cancellation: { reason: 'The studio is flooded.' },
      },
    });
    expect(again.changed).toBe(false);
    await h.drain();
    expect(h.atWellhub(n).status).toBe('CANCELLED_BY_GYM');
    expect((await h.store.schedule.getSlot(slot.reference))?.wellhub_reserved).toBe(0);
  });

  it('refuses to cancel an unknown booking, one not reserved, or with a reason too long', async () => {
    // Wellhub itself stops members booking a full slot: the Wellhub limit is what turns one away here.
    const slot = await h.publishedSlot({ total_capacity: 2, wellhub_limit: 1, booked_elsewhere: 0 });
    const first = await h.book(slot.wellhubSlotId, '4100000000001');
    await h.drain();
    const full = await h.book(slot.wellhubSlotId, '4100000000002');
    await h.drain();

    await expect(bookingCancel(context, 'BK_NOPE')).rejects.toThrow('no booking BK_NOPE');
    await expect(bookingCancel(context, full)).rejects.toThrow(/is REJECTED: only a RESERVED booking/);
    await expect(bookingCancel(context, first, 'x'.repeat(201))).rejects.toThrow(
      '--reason: reason must be at most 200 characters',
    );
    expect((await h.record(first)).status).toBe('RESERVED');
  });

  it('lists an answer that timed out, and acknowledges it on retry: nothing can be sent any more', async () => {
    // Wellhub is down for the answers, and asks to be called again in 10 minutes.
    h.wellhub.faults.add({ method: 'PATCH', path: ANSWER_PATH, status: 503, retry_after: 600, count: 100 });
    const { slot, n } = await reserved();
    expect((await h.record(n)).answer).toMatchObject({ state: 'pending', attempts: [{ http_status: 503 }] });

    await h.sweep(new Date(Date.now() + PAST_THE_DEADLINE_MS));

    const listed = await failures(context);
    expect(listed).toContainEqual(
      expect.objectContaining({
        kind: 'booking',
        booking_number: n,
        message: 'answer RESERVED',
        state: 'timed_out',
        booking_status: 'REJECTED',
        rejected_by: 'wellhub_timeout',
        wellhub_status: 503,
        retry: `ops retry booking:${n}`,
      }),
    );

    const acknowledged = await retry(context, `booking:${n}`);

    expect(acknowledged).toMatchObject({
      booking_number: n,
      acknowledged: true,
      note: expect.stringContaining("Wellhub's deadline for the answer RESERVED passed"),
      ended_as: {
        status: 'REJECTED',
        rejected_by: 'wellhub_timeout',
        seat: expect.stringContaining('released at'),
      },
    });
    expect(await failures(context)).not.toContainEqual(expect.objectContaining({ booking_number: n }));
    expect((await h.store.schedule.getSlot(slot.reference))?.wellhub_reserved).toBe(0);
    await expect(retry(context, `booking:${n}`)).rejects.toThrow(`booking ${n} has not failed`);
  });

  it('sends again an answer that may have landed while its deadline lasts', async () => {
    // The first PATCH loses its connection, the retry is refused: the answer may have landed.
    h.wellhub.faults.add({ method: 'PATCH', path: ANSWER_PATH, drop: true });
    h.wellhub.faults.add({ method: 'PATCH', path: ANSWER_PATH, status: 400 });
    const { n } = await reserved();
    expect((await h.record(n)).answer?.state).toBe('possibly_delivered');
    expect(await failures(context)).toContainEqual(
      expect.objectContaining({ booking_number: n, state: 'possibly_delivered', wellhub_status: 400 }),
    );

    const resent = await retry(context, `booking:${n}`);
    await h.drain();

    expect(resent).toMatchObject({ booking_number: n, resent: ['answer RESERVED'], status: 'RESERVED' });
    expect((await h.record(n)).answer).toMatchObject({ state: 'delivered' });
    expect(h.atWellhub(n).status).toBe('RESERVED');
    expect(await failures(context)).not.toContainEqual(expect.objectContaining({ booking_number: n }));
  });
});
