import { answerBooking } from '#lib/jobs/answer-booking';
import type { WellhubClient } from '#lib/wellhub-api/client';
import { type BookingHarness, bookingHarness } from '../../support/bookings';
import { captureLogs } from '../../support/logs';

const ANSWERS = '/booking/v2/gyms/*/bookings/*';
let members = 0;
const member = () =>
  `5${String(process.pid % 100_000).padStart(5, '0')}${String(++members).padStart(7, '0')}`;

/**
 * CONTRACT §11, §13: whatever Wellhub does, each booking gets at most one delivered answer and never
 * two different statuses; a refusal or the deadline gives the seat back; a worker killed between the
 * seat and the call delivers the same decision later. The deadline is reached by moving the clock.
 */
describe('answering bookings when Wellhub fails', () => {
  let h: BookingHarness;
  beforeAll(async () => {
    h = await bookingHarness();
  });
  afterAll(() => h.close());
  afterEach(() => h.wellhub.faults.clear());

  /** Every PATCH of the booking's answer that reached Wellhub, faults included, in order. */
  const patches = (n: string) =>
    h.wellhub.calls.filter((c) => c.method === 'PATCH' && c.path.endsWith(`/bookings/${n}`));
  const statusesSent = (n: string) => new Set(patches(n).map((c) => (c.body as { status: string }).status));
  const delivered = (n: string) => h.atWellhub(n).answers.filter((a) => a.http_status < 300);

  it('three 503s, then 204: delivered once', async () => {
    const slot = await h.publishedSlot();
    h.wellhub.faults.add({ method: 'PATCH', path: ANSWERS, status: 503, count: 3 });
    const n = await h.book(slot.wellhubSlotId, member());
    await h.drain();
    expect(patches(n).map((c) => c.status)).toEqual([503, 503, 503, 204]);
    expect(delivered(n)).toHaveLength(1);
    expect(statusesSent(n)).toEqual(new Set(['RESERVED']));
    expect((await h.record(n)).answer).toMatchObject({
      state: 'delivered',
      attempts: [{ http_status: 503 }, { http_status: 503 }, { http_status: 503 }, { http_status: 204 }],
    });
  });

  it('429 with Retry-After: 2: the next attempt comes no sooner', async () => {
    const slot = await h.publishedSlot();
    h.wellhub.faults.add({ method: 'PATCH', path: ANSWERS, status: 429, retry_after: '2' });
    const n = await h.book(slot.wellhubSlotId, member());
    await h.drain();
    const [throttled, retried] = patches(n);
    expect([throttled?.status, retried?.status]).toEqual([429, 204]);
    expect(Date.parse(retried?.at ?? '') - Date.parse(throttled?.at ?? '')).toBeGreaterThanOrEqual(2000);
    expect(delivered(n)).toHaveLength(1);
  });

  it('a 400 refusal: REJECTED by Wellhub, the seat given back, never sent again', async () => {
    const slot = await h.publishedSlot({ total_capacity: 5, booked_elsewhere: 1 });
    h.wellhub.faults.add({
      method: 'PATCH',
      path: ANSWERS,
      status: 400,
      body: [{ field: 'status', error: 'refused' }],
    });
    const n = await h.book(slot.wellhubSlotId, member());
    await h.drain();
    await h.sweep(new Date(Date.now() + 5 * 60_000));
    expect(patches(n)).toHaveLength(1);
    expect(await h.record(n)).toMatchObject({
      status: 'REJECTED',
      rejected_by: 'wellhub',
      answer: { status: 'RESERVED', state: 'refused' },
      seat: { released_because: 'wellhub refused the answer' },
      work_queue: 'failed',
    });
    expect(await h.seats(slot.reference, slot.wellhubSlotId)).toEqual({ reserved: 0, wellhubTotalBooked: 1 });
  });

  it('down past the deadline: wellhub_timeout, the seat released, the alarm metric emitted', async () => {
    const slot = await h.publishedSlot({ total_capacity: 5, booked_elsewhere: 1 });
    h.wellhub.faults.add({ method: 'PATCH', path: ANSWERS, status: 503, count: 100_000 });
    const n = await h.book(slot.wellhubSlotId, member());
    await h.drain();
    expect((await h.record(n)).answer?.state).toBe('pending');
    const logs = captureLogs();
    try {
      // The sweeper's runs in the minutes that follow, up to Wellhub's deadline and past it.
      for (const minutes of [2, 6, 10, 14, 16]) await h.sweep(new Date(Date.now() + minutes * 60_000));
    } finally {
      logs.stop();
    }
    const record = await h.record(n);
    expect(record).toMatchObject({
      status: 'REJECTED',
      rejected_by: 'wellhub_timeout',
      answer: { state: 'timed_out' },
      seat: { released_because: 'wellhub_timeout' },
    });
    expect(delivered(n)).toEqual([]);
    expect(statusesSent(n)).toEqual(new Set(['RESERVED']));
    const metrics = logs.lines.filter((line) => line.includes('"_aws"')).join('\n');
    expect(metrics).toContain('"AnswersTimedOut"');
    expect((await h.store.schedule.getSlot(slot.reference))?.wellhub_reserved).toBe(0);
    // The sweeper counted it as unanswered while it was.
    h.wellhub.faults.clear();
  });

  it('a worker killed after the seat was taken, before the call, delivers the same decision later', async () => {
    const slot = await h.publishedSlot({ total_capacity: 5, booked_elsewhere: 0 });
    await h.stopStream();
    try {
      const n = await h.book(slot.wellhubSlotId, member());
      const start = Date.now();
      await h.sweep(new Date(start + 31_000)); // the sweeper applies the event the stream never saw
      const killed = {
        answerBooking: async () => {
          throw new Error('worker killed');
        },
      } as unknown as WellhubClient;
      const at = new Date(start + 32_000);
      const deps = { bookings: h.store.bookings, schedule: h.store.schedule, wellhub: killed, now: () => at };
      await answerBooking(deps, n, 'stream');
      const decided = await h.record(n);
      expect(decided).toMatchObject({ status: 'RESERVED', answer: { status: 'RESERVED', state: 'pending' } });
      expect(patches(n)).toEqual([]);
      expect((await h.store.schedule.getSlot(slot.reference))?.wellhub_reserved).toBe(1);

      // Within its lease nobody else calls; after it, the sweeper delivers the decision already made.
      await h.sweep(new Date(start + 40_000));
      expect(patches(n)).toEqual([]);
      await h.sweep(new Date(start + 63_000));
      expect(delivered(n).map((a) => a.body)).toEqual([{ status: 'RESERVED' }]);
      const after = await h.record(n);
      expect(after.answer?.decided_at).toBe(decided.answer?.decided_at);
      expect(after.answer?.state).toBe('delivered');
      expect((await h.store.schedule.getSlot(slot.reference))?.wellhub_reserved).toBe(1);
    } finally {
      await h.startStream();
    }
  });
});
