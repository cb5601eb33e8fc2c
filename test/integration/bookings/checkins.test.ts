import { type BookingHarness, bookingHarness } from '../../support/bookings';
import { GYM } from '../../support/local-wellhub';

const VALIDATE = '/access/v1/validate';
let members = 0;
const member = () =>
  `6${String(process.pid % 100_000).padStart(5, '0')}${String(++members).padStart(7, '0')}`;

/** A member walks in at the gym and Wellhub's webhook is applied; `latest()` reads the walk-in. */
async function walkedIn(h: BookingHarness, who: string) {
  const checkin = await h.wellhub.acting.walkin({
    gympassId: who,
    gymId: GYM,
    receiverUrl: 'http://127.0.0.1:9',
  });
  if (!checkin.ok) throw new Error(checkin.error);
  await h.deliver('checkin', { body: checkin.delivery.body as Record<string, unknown> });
  await h.drain();
  return async () => (await h.store.walkins.of(String(GYM), who)).at(-1);
}

/**
 * CONTRACT §12: a check-in of a booking the gym answered RESERVED, and a walk-in, are validated at
 * Wellhub (which is what gets the gym paid); every answer of Wellhub is read as it means it.
 */
describe('validating check-ins', () => {
  let h: BookingHarness;
  beforeAll(async () => {
    h = await bookingHarness();
  });
  afterAll(() => h.close());
  afterEach(() => h.wellhub.faults.clear());

  const validations = (who: string) =>
    h.wellhub.calls.filter(
      (c) =>
        c.method === 'POST' && c.path === VALIDATE && (c.body as { gympass_id?: string })?.gympass_id === who,
    );

  /** A reserved booking, and its check-in at Wellhub with the webhook held back. */
  async function reservedAndCheckedIn(fields: Record<string, unknown> = {}) {
    const who = member();
    const slot = await h.publishedSlot(fields);
    const n = await h.book(slot.wellhubSlotId, who);
    await h.drain();
    const checkin = await h.wellhub.acting.checkin({ bookingNumber: n, receiverUrl: 'http://127.0.0.1:9' });
    if (!checkin.ok) throw new Error(checkin.error);
    const body = checkin.delivery.body as Record<string, unknown>;
    return { who, n, slot, deliver: () => h.deliver('checkin-booking-occurred', { body }), body };
  }

  const walkin = (who: string) => walkedIn(h, who);

  /**
   * Wellhub reserved the booking and the member checked in, and the check-in's webhook reaches the
   * gym before the booking request's (held back: `deliver()` sends it).
   */
  async function checkedInBeforeRequest(wellhubSlotId: number, who: string) {
    const request = await h.request(wellhubSlotId, who);
    await h.raw('PATCH', `/booking/v2/gyms/${GYM}/bookings/${request.number}`, { status: 'RESERVED' });
    const checkin = await h.wellhub.acting.checkin({
      bookingNumber: request.number,
      receiverUrl: 'http://127.0.0.1:9',
    });
    if (!checkin.ok) throw new Error(checkin.error);
    await h.deliver('checkin-booking-occurred', { body: checkin.delivery.body as Record<string, unknown> });
    return request;
  }

  it('validates a booked check-in with X-Gym-Id and the member, and records it', async () => {
    const { who, n, deliver } = await reservedAndCheckedIn();
    expect((await deliver()).status).toBe(200);
    await h.drain();
    const calls = validations(who);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.headers['x-gym-id']).toBe(String(GYM));
    expect(calls[0]?.body).toEqual({ gympass_id: who });
    expect(await h.record(n)).toMatchObject({
      status: 'CHECKED_IN',
      validation: { state: 'validated', validated_at: expect.any(String), attempts: [{ http_status: 200 }] },
    });
    expect(h.wellhub.state.checkins.find((c) => c.booking_number === n)?.validated_at).toBeDefined();
  });

  it('takes "already validated" as success', async () => {
    const { who, n, deliver } = await reservedAndCheckedIn();
    // The front desk's own system validated it first.
    await h.raw('POST', VALIDATE, { gympass_id: who }, { 'x-gym-id': String(GYM) });
    await deliver();
    await h.drain();
    expect((await h.record(n)).validation).toMatchObject({
      state: 'validated',
      attempts: [{ http_status: 400, error: 'checkin.already.validated' }],
    });
  });

  it('sends nothing for the check-in of a booking the gym rejected, and says why', async () => {
    const { body } = await reservedAndCheckedIn();
    const slot = await h.publishedSlot({ total_capacity: 3, wellhub_limit: 1, booked_elsewhere: 0 });
    await h.book(slot.wellhubSlotId, member());
    await h.drain();
    const who = member();
    const rejected = await h.book(slot.wellhubSlotId, who);
    await h.drain();
    expect((await h.record(rejected)).answer).toMatchObject({
      status: 'REJECTED',
      reason_category: 'CLASS_IS_FULL',
    });
    // Its check-in, as Wellhub would send it for that booking.
    const data = body.event_data as Record<string, unknown>;
    const forRejected = {
      ...body,
      event_data: { ...data, booking: { booking_number: rejected }, user: { unique_token: who } },
    };
    expect((await h.deliver('checkin-booking-occurred', { body: forRejected })).status).toBe(200);
    await h.drain();
    expect(validations(who)).toEqual([]);
    expect((await h.record(rejected)).validation).toMatchObject({
      state: 'not_needed',
      error: 'the gym answered REJECTED (CLASS_IS_FULL)',
    });
  });

  it('validates a check-in that arrives before its booking is decided, once the decision is RESERVED', async () => {
    const who = member();
    const slot = await h.publishedSlot();
    const request = await checkedInBeforeRequest(slot.wellhubSlotId, who);
    await h.drain();
    expect(validations(who)).toEqual([]);
    expect((await h.record(request.number)).validation?.state).toBe('pending');
    await request.deliver();
    await h.drain();
    expect(validations(who)).toHaveLength(1);
    expect(await h.record(request.number)).toMatchObject({
      answer: { status: 'RESERVED' },
      validation: { state: 'validated' },
    });
  });

  it('does not validate a check-in that arrived first when the decision is REJECTED', async () => {
    const slot = await h.publishedSlot({ total_capacity: 3, wellhub_limit: 1, booked_elsewhere: 0 });
    await h.book(slot.wellhubSlotId, member());
    await h.drain();
    const who = member();
    const request = await checkedInBeforeRequest(slot.wellhubSlotId, who);
    await request.deliver();
    await h.drain();
    expect(validations(who)).toEqual([]);
    expect(await h.record(request.number)).toMatchObject({
      answer: { status: 'REJECTED', reason_category: 'CLASS_IS_FULL' },
      validation: { state: 'not_needed' },
    });
  });

  it('one call for the same check-in delivered 4 times at once', async () => {
    const { who, n, deliver } = await reservedAndCheckedIn();
    const answers = await Promise.all([deliver(), deliver(), deliver(), deliver()]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    await h.drain();
    expect(validations(who)).toHaveLength(1);
    expect((await h.record(n)).validation?.state).toBe('validated');
  });

  describe('when Wellhub answers', () => {
    const notFound = (count: number) =>
      h.wellhub.faults.add({
        method: 'POST',
        path: VALIDATE,
        status: 404,
        count,
        body: { errors: [{ key: 'checkin.validation.notfound', message: 'no check-in found' }] },
      });

    it('notfound for a minute, then found: validated', async () => {
      const { who, n, deliver } = await reservedAndCheckedIn();
      notFound(1_000);
      await deliver();
      await h.drain();
      expect((await h.record(n)).validation?.state).toBe('pending');
      h.wellhub.faults.clear();
      await h.sweep(new Date(Date.now() + 60_000));
      expect((await h.record(n)).validation).toMatchObject({ state: 'validated' });
      expect(validations(who).at(-1)?.status).toBe(200);
    });

    it('notfound throughout: failed after 2 minutes, the calls spaced by the backoff', async () => {
      const { who, n, deliver } = await reservedAndCheckedIn();
      notFound(100_000);
      await deliver();
      await h.drain();
      for (const seconds of [30, 60, 90, 125]) await h.sweep(new Date(Date.now() + seconds * 1000));
      const record = await h.record(n);
      expect(record.validation).toMatchObject({
        state: 'failed',
        error: expect.stringContaining('checkin.validation.notfound'),
      });
      const calls = validations(who);
      // Backoff, not a storm: a few calls in two minutes, each later than the one before.
      expect(calls.length).toBeGreaterThanOrEqual(3);
      expect(calls.length).toBeLessThanOrEqual(14);
      expect(record.work_queue).toBe('failed');
      const { failures } = await import('#lib/ops/pipeline');
      expect(await failures({ store: h.store })).toContainEqual(
        expect.objectContaining({ booking_number: n, message: 'check-in validation', state: 'failed' }),
      );
    });

    it('expired: failed with one call', async () => {
      const { who, n, deliver } = await reservedAndCheckedIn();
      h.wellhub.faults.add({
        method: 'POST',
        path: VALIDATE,
        status: 400,
        body: { errors: [{ key: 'checkin.validation.expired', message: 'check-in expired' }] },
      });
      await deliver();
      await h.drain();
      await h.sweep(new Date(Date.now() + 5 * 60_000));
      expect(validations(who)).toHaveLength(1);
      expect((await h.record(n)).validation).toMatchObject({
        state: 'failed',
        error: expect.stringContaining('checkin.validation.expired'),
      });
    });

    describe('and on-call retries a failed validation (ops retry)', () => {
      const ops = () => ({ store: h.store, pipeline: h.pipeline });
      /** On-call, once the check-in's 20 minutes have passed. */
      const opsLater = () => ({
        store: h.store,
        pipeline: { ...h.pipeline, now: () => new Date(Date.now() + 21 * 60_000) },
      });
      const expired = () =>
        h.wellhub.faults.add({
          method: 'POST',
          path: VALIDATE,
          status: 400,
          body: { errors: [{ key: 'checkin.validation.expired', message: 'check-in expired' }] },
        });
      /** Wellhub says notfound until it gives up: failed after its two minutes. */
      async function failedByNotFound(isFailed: () => Promise<boolean>) {
        for (const seconds of [30, 60, 90, 125]) await h.sweep(new Date(Date.now() + seconds * 1000));
        expect(await isFailed()).toBe(true);
      }

      it('a booked check-in: validated again while its 20 minutes last', async () => {
        const { retry, failures } = await import('#lib/ops/pipeline');
        const { who, n, deliver } = await reservedAndCheckedIn();
        notFound(100_000);
        await deliver();
        await h.drain();
        await failedByNotFound(async () => (await h.record(n)).validation?.state === 'failed');
        expect(await failures(ops())).toContainEqual(
          expect.objectContaining({
            booking_number: n,
            message: 'check-in validation',
            retry: `ops retry booking:${n}`,
          }),
        );
        h.wellhub.faults.clear();

        const again = await retry(ops(), `booking:${n}`);

        expect(again).toMatchObject({ resent: ['check-in validation'], validation: { state: 'validated' } });
        expect(validations(who).at(-1)?.status).toBe(200);
        expect((await h.record(n)).validation).toMatchObject({ state: 'validated' });
        expect(await failures(ops())).not.toContainEqual(expect.objectContaining({ booking_number: n }));
      });

      it('a booked check-in past its 20 minutes: acknowledged, nothing sent, the visit not paid', async () => {
        const { retry, failures } = await import('#lib/ops/pipeline');
        const { who, n, deliver } = await reservedAndCheckedIn();
        expired();
        await deliver();
        await h.drain();
        expect((await h.record(n)).validation?.state).toBe('failed');

        const acknowledged = await retry(opsLater(), `booking:${n}`);

        expect(acknowledged).toMatchObject({
          acknowledged: true,
          note: expect.stringMatching(/checkin\.validation\.expired.*can no longer be validated/),
        });
        expect(validations(who)).toHaveLength(1);
        expect((await h.record(n)).validation?.state).toBe('failed');
        expect(await failures(ops())).not.toContainEqual(expect.objectContaining({ booking_number: n }));
      });

      it('a walk-in: validated again while its 20 minutes last', async () => {
        const { retry, failures } = await import('#lib/ops/pipeline');
        const who = member();
        notFound(100_000);
        const latest = await walkin(who);
        await failedByNotFound(async () => (await latest())?.validation?.state === 'failed');
        const eventKey = (await latest())?.event_key ?? '';
        expect(await failures(ops())).toContainEqual(
          expect.objectContaining({ kind: 'walk-in', event_key: eventKey, retry: `ops retry ${eventKey}` }),
        );
        h.wellhub.faults.clear();

        const again = await retry(ops(), eventKey);

        expect(again).toMatchObject({ event_key: eventKey, outcome: 'validated' });
        expect((await latest())?.validation).toMatchObject({ state: 'validated' });
        expect(validations(who).at(-1)?.status).toBe(200);
        expect(await failures(ops())).not.toContainEqual(expect.objectContaining({ event_key: eventKey }));
      });

      it('a walk-in past its 20 minutes: acknowledged once, then refused', async () => {
        const { retry, failures } = await import('#lib/ops/pipeline');
        const who = member();
        expired();
        const latest = await walkin(who);
        const eventKey = (await latest())?.event_key ?? '';
        expect((await latest())?.validation?.state).toBe('failed');
        expect(await failures(ops())).toContainEqual(expect.objectContaining({ event_key: eventKey }));

        const acknowledged = await retry(opsLater(), eventKey);

        expect(acknowledged).toMatchObject({
          event_key: eventKey,
          acknowledged: true,
          note: expect.stringContaining('can no longer be validated'),
        });
        expect(validations(who)).toHaveLength(1);
        expect((await latest())?.validation?.state).toBe('failed');
        expect(await failures(ops())).not.toContainEqual(expect.objectContaining({ event_key: eventKey }));
        await expect(retry(opsLater(), eventKey)).rejects.toThrow(
          `walk-in ${eventKey} is not in the failed list (validation failed)`,
        );
      });
    });

    it('503 for 3 minutes: validated after it returns', async () => {
      const { who, n, deliver } = await reservedAndCheckedIn();
      h.wellhub.faults.add({ method: 'POST', path: VALIDATE, status: 503, count: 100_000 });
      await deliver();
      await h.drain();
      for (const seconds of [60, 120]) await h.sweep(new Date(Date.now() + seconds * 1000));
      expect((await h.record(n)).validation?.state).toBe('pending');
      h.wellhub.faults.clear();
      await h.sweep(new Date(Date.now() + 181_000));
      expect((await h.record(n)).validation).toMatchObject({ state: 'validated' });
      expect(validations(who).at(-1)?.status).toBe(200);
    });
  });

  it('validates a walk-in under WALKIN_VALIDATION=auto, on its event record', async () => {
    const who = member();
    const latest = await walkin(who);
    expect(validations(who)).toHaveLength(1);
    expect((await latest())?.validation).toMatchObject({ state: 'validated' });
  });
});

describe('walk-ins under WALKIN_VALIDATION=manual', () => {
  let h: BookingHarness;
  beforeAll(async () => {
    h = await bookingHarness({ walkinValidation: 'manual' });
  });
  afterAll(() => h.close());

  it('waits for the front desk, which validates with ops validate', async () => {
    const { validate } = await import('#lib/ops/checkins');
    const who = '7000000000001';
    const latest = await walkedIn(h, who);
    await h.sweep(new Date(Date.now() + 60_000));
    const calls = () => h.wellhub.calls.filter((c) => c.path === VALIDATE);
    expect(calls()).toEqual([]);
    expect((await latest())?.validation).toMatchObject({ state: 'pending', manual: true });

    const done = await validate({ store: h.store, pipeline: h.pipeline }, who, String(GYM));
    expect(done).toMatchObject({ outcome: 'validated', validation: { state: 'validated' } });
    expect(calls()).toHaveLength(1);
    await expect(validate({ store: h.store, pipeline: h.pipeline }, who, String(GYM))).rejects.toThrow(
      /validated: nothing to validate/,
    );
  });
});
