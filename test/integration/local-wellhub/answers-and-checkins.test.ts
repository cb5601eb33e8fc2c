import { GYM, localWellhub, validClass, validSlot } from '../../support/local-wellhub';

/** Booking answers and check-in validations: the local Wellhub's rules about what came before and when. */
let sim: Awaited<ReturnType<typeof localWellhub>>;
let classId: number;
let room = 0;
const NOWHERE = 'http://127.0.0.1:9';

beforeAll(async () => {
  sim = await localWellhub();
  const created = await sim.raw('POST', `/booking/v1/gyms/${GYM}/classes`, { classes: [validClass()] });
  classId = (created.body as { classes: { id: number }[] }).classes[0]?.id ?? 0;
});
afterAll(() => sim.wellhub.close());

async function newSlot(overrides: Record<string, unknown> = {}) {
  room += 1;
  const created = await sim.raw(
    'POST',
    `/booking/v1/gyms/${GYM}/classes/${classId}/slots`,
    validSlot(sim.wellhub.clock.now(), { room: `Room ${room}`, ...overrides }, 2),
  );
  return (created.body as { results: { id: number }[] }).results[0]?.id ?? 0;
}

async function newBooking(gympassId?: string) {
  const booked = await sim.wellhub.acting.book({
    slotId: await newSlot(),
    receiverUrl: NOWHERE,
    ...(gympassId ? { gympassId } : {}),
  });
  if (!booked.ok) throw new Error(booked.error);
  return booked.record;
}

const answer = (bookingNumber: string, body: unknown, gym = GYM) =>
  sim.raw('PATCH', `/booking/v2/gyms/${gym}/bookings/${bookingNumber}`, body);

describe('local Wellhub: answering bookings', () => {
  it('accepts RESERVED (204) and keeps every answer with its time and what it was answered', async () => {
    const booking = await newBooking();

    expect((await answer(booking.booking_number, { status: 'RESERVED' })).status).toBe(204);
    expect((await answer(booking.booking_number, { status: 'SOLD_OUT' })).status).toBe(400);

    expect(booking.status).toBe('RESERVED');
    expect(booking.answers).toEqual([
      { at: expect.any(String), body: { status: 'RESERVED' }, http_status: 204 },
      { at: expect.any(String), body: { status: 'SOLD_OUT' }, http_status: 400, error: expect.any(String) },
    ]);
  });

  it.each([
    ['status is required', {}, 'status', 'must not be null'],
    [
      'status is one of RESERVED, REJECTED, CANCELLED_BY_GYM (two Ls)',
      { status: 'CANCELED_BY_GYM' },
      'status',
      'must be one of RESERVED, REJECTED, CANCELLED_BY_GYM',
    ],
    [
      'REJECTED needs a reason_category',
      { status: 'REJECTED', reason: 'Full' },
      'reason_category',
      'must not be null when status is REJECTED',
    ],
    [
      'reason_category is one of Wellhub’s (one L)',
      { status: 'REJECTED', reason_category: 'CLASS_HAS_BEEN_CANCELLED' },
      'reason_category',
      expect.stringContaining('must be one of CLASS_IS_FULL'),
    ],
    [
      'reason_category comes only with REJECTED',
      { status: 'RESERVED', reason_category: 'CLASS_IS_FULL' },
      'reason_category',
      'is only allowed when status is REJECTED',
    ],
    ['unknown fields are refused', { status: 'RESERVED', class_id: 1 }, 'class_id', 'unknown field'],
    [
      'reason is a string',
      { status: 'REJECTED', reason_category: 'CLASS_IS_FULL', reason: 5 },
      'reason',
      'must be a string',
    ],
  ])('refuses an answer when %s (400)', async (_rule, body, field, error) => {
    const booking = await newBooking();

    const answered = await answer(booking.booking_number, body);

    expect(answered.status).toBe(400);
    expect(answered.body).toEqual([{ field, error }]);
    expect(booking.status).toBe('REQUESTED');
  });

  it('answers 404 for an unknown booking, or one of another gym', async () => {
    const booking = await newBooking();
    expect((await answer('BK_UNKNOWN', { status: 'RESERVED' })).status).toBe(404);
    expect((await answer(booking.booking_number, { status: 'RESERVED' }, 999)).status).toBe(404);
  });

  it('rejects a booking left unanswered 15 minutes after its timestamp, and answers a later PATCH 409', async () => {
    const booking = await newBooking();
    sim.wellhub.clock.advance(14 * 60_000 + 59_000);
    const state = async () =>
      (
        (await sim.raw('GET', '/_sim/state')).body as { bookings: { booking_number: string }[] }
      ).bookings.find((b) => b.booking_number === booking.booking_number);
    expect(await state()).toMatchObject({ status: 'REQUESTED' });

    sim.wellhub.clock.advance(1000);
    const late = await answer(booking.booking_number, { status: 'RESERVED' });

    expect(await state()).toMatchObject({
      status: 'REJECTED',
      ended_by: 'wellhub_timeout',
      ended_at: new Date(booking.timestamp + 15 * 60_000).toISOString(),
    });
    expect(late).toMatchObject({
      status: 409,
      body: [{ field: 'status', error: expect.stringContaining('not answered within 15 minutes') }],
    });
  });

  it('accepts the same answer again (204) but never a different one after it (409)', async () => {
    const booking = await newBooking();
    await answer(booking.booking_number, {
      status: 'REJECTED',
      reason_category: 'CLASS_IS_FULL',
      reason: 'Full',
    });

    expect(
      (
        await answer(booking.booking_number, {
          status: 'REJECTED',
          reason_category: 'CLASS_IS_FULL',
          reason: 'Full',
        })
      ).status,
    ).toBe(204);
    expect((await answer(booking.booking_number, { status: 'RESERVED' })).status).toBe(409);
    expect(booking).toMatchObject({ status: 'REJECTED', reason_category: 'CLASS_IS_FULL' });
  });

  it('lets the gym cancel a reserved booking (CANCELLED_BY_GYM)', async () => {
    const booking = await newBooking();
    await answer(booking.booking_number, { status: 'RESERVED' });

    expect(
      (await answer(booking.booking_number, { status: 'CANCELLED_BY_GYM', reason: 'Instructor ill' })).status,
    ).toBe(204);
    expect(booking.status).toBe('CANCELLED_BY_GYM');
  });

  it('answers 409 to an answer for a booking the member canceled first', async () => {
    const booking = await newBooking();
    await sim.wellhub.acting.cancel({ bookingNumber: booking.booking_number, receiverUrl: NOWHERE });

    expect((await answer(booking.booking_number, { status: 'RESERVED' })).status).toBe(409);
  });

  it('cancels every booking of a deleted slot', async () => {
    const slotId = await newSlot();
    const first = await sim.wellhub.acting.book({ slotId, receiverUrl: NOWHERE });
    const second = await sim.wellhub.acting.book({ slotId, receiverUrl: NOWHERE });
    if (!first.ok || !second.ok) throw new Error('not booked');
    await answer(first.record.booking_number, { status: 'RESERVED' });

    await sim.raw('DELETE', `/booking/v1/gyms/${GYM}/classes/${classId}/slots/${slotId}`);

    expect([first.record, second.record].map((b) => [b.status, b.ended_by])).toEqual([
      ['CANCELLED_BY_GYM', 'slot_deleted'],
      ['CANCELLED_BY_GYM', 'slot_deleted'],
    ]);
    expect((await answer(second.record.booking_number, { status: 'RESERVED' })).status).toBe(409);
  });
});

describe('local Wellhub: validating check-ins', () => {
  const validate = (body: unknown, gym: string | null = String(GYM)) =>
    sim.raw('POST', '/access/v1/validate', body, gym === null ? {} : { 'x-gym-id': gym });
  const errorOf = (status: number, key: string) => ({
    status,
    body: { metadata: { total: 0, errors: 1 }, errors: [{ key, message: expect.any(String) }] },
  });

  it('validates a walk-in (200) with Wellhub’s result shape', async () => {
    await sim.wellhub.acting.walkin({ gympassId: '1000000000002', gymId: GYM, receiverUrl: NOWHERE });

    expect(await validate({ gympass_id: '1000000000002' })).toEqual({
      status: 200,
      headers: expect.anything(),
      body: {
        metadata: { total: 1, errors: 0 },
        results: {
          user: { gympass_id: '1000000000002' },
          gym: { id: GYM, product: { id: 100001, description: 'Classes - Unlimited' } },
          validated_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
        },
      },
    });
  });

  it('refuses a validation without X-Gym-Id', async () => {
    expect(await validate({ gympass_id: '1000000000002' }, null)).toMatchObject(
      errorOf(400, 'checkin.validation.gym_id.required'),
    );
  });

  it('refuses a gympass_id that is not a string of 13 digits', async () => {
    for (const gympassId of ['123', 1000000000002, '10000000000021', undefined]) {
      expect(await validate({ gympass_id: gympassId })).toMatchObject(
        errorOf(400, 'checkin.validation.gympass_id.invalid'),
      );
    }
  });

  it('refuses a custom_code over 13 characters', async () => {
    expect(await validate({ gympass_id: '1000000000002', custom_code: 'c'.repeat(14) })).toMatchObject(
      errorOf(400, 'checkin.validation.custom_code.invalid'),
    );
  });

  it('answers checkin.validation.notfound (404) for a member with no check-in at that gym', async () => {
    await sim.wellhub.acting.walkin({ gympassId: '1000000000003', gymId: 777, receiverUrl: NOWHERE });
    expect(await validate({ gympass_id: '1000000000003' })).toMatchObject(
      errorOf(404, 'checkin.validation.notfound'),
    );
  });

  it('answers checkin.already.validated (400) to a second validation, and never validates twice', async () => {
    await sim.wellhub.acting.walkin({ gympassId: '1000000000004', gymId: GYM, receiverUrl: NOWHERE });
    await validate({ gympass_id: '1000000000004' });

    expect(await validate({ gympass_id: '1000000000004' })).toMatchObject(
      errorOf(400, 'checkin.already.validated'),
    );
    const checkin = sim.wellhub.state.checkins.find((c) => c.gympass_id === '1000000000004');
    expect(checkin?.validations.map((v) => v.http_status)).toEqual([200, 400]);
  });

  it('answers checkin.validation.expired (400) 20 minutes after the check-in', async () => {
    await sim.wellhub.acting.walkin({ gympassId: '1000000000005', gymId: GYM, receiverUrl: NOWHERE });
    sim.wellhub.clock.advance(20 * 60_000 + 1);

    expect(await validate({ gympass_id: '1000000000005' })).toMatchObject(
      errorOf(400, 'checkin.validation.expired'),
    );
  });

  it('answers checkin.validation.canceled (400) for a booked check-in whose slot was then deleted', async () => {
    const slotId = await newSlot();
    const booked = await sim.wellhub.acting.book({
      slotId,
      gympassId: '1000000000006',
      receiverUrl: NOWHERE,
    });
    if (!booked.ok) throw new Error(booked.error);
    await answer(booked.record.booking_number, { status: 'RESERVED' });
    await sim.wellhub.acting.checkin({ bookingNumber: booked.record.booking_number, receiverUrl: NOWHERE });
    await sim.raw('DELETE', `/booking/v1/gyms/${GYM}/classes/${classId}/slots/${slotId}`);

    expect(await validate({ gympass_id: '1000000000006' })).toMatchObject(
      errorOf(400, 'checkin.validation.canceled'),
    );
  });

  it('keeps every validation, including those that matched no check-in', async () => {
    const kept = ((await sim.raw('GET', '/_sim/state')).body as { validations: { http_status: number }[] })
      .validations;
    expect(kept.map((v) => v.http_status)).toEqual(expect.arrayContaining([200, 404, 400]));
  });
});
