import type { WellhubClient } from '#lib/wellhub-api/client';
import { hasErrorKey } from '#lib/wellhub-api/outcome';
import { GYM, localWellhub, PRODUCT, validClass, validSlot, withOffset } from '../../support/local-wellhub';

/** The client against the local Wellhub over real HTTP: every endpoint, every answer it classifies. */
let sim: Awaited<ReturnType<typeof localWellhub>>;
let client: WellhubClient;
let classId: number;

beforeAll(async () => {
  sim = await localWellhub();
  client = sim.client();
  const created = await client.createClasses(GYM, [validClass() as never]);
  if (created.kind !== 'done') throw new Error('setup: class not created');
  classId = created.body.classes[0]?.id ?? 0;
});
afterAll(() => sim.wellhub.close());
afterEach(() => sim.wellhub.faults.clear());

const slotBody = (overrides: Record<string, unknown> = {}, hours = 2) =>
  validSlot(sim.wellhub.clock.now(), overrides, hours) as never;

describe('WellhubClient: classes', () => {
  it('creates several classes in one call and answers their ids', async () => {
    const outcome = await client.createClasses(GYM, [
      validClass({ name: 'Yoga', reference: 'yoga-1' }) as never,
      validClass({ name: 'Pilates', reference: 'pilates-1' }) as never,
    ]);

    expect(outcome).toMatchObject({
      kind: 'done',
      status: 201,
      body: { classes: [{ name: 'Yoga' }, { name: 'Pilates' }] },
    });
    expect(sim.wellhub.calls.at(-1)?.body).toEqual({
      classes: [expect.objectContaining({ name: 'Yoga' }), expect.anything()],
    });
  });

  it('lists the classes and gets one by id', async () => {
    const list = await client.listClasses(GYM);
    const one = await client.getClass(GYM, classId);

    expect(list.kind === 'done' && list.body.map((c) => c.reference)).toEqual(
      expect.arrayContaining(['cycle-1']),
    );
    expect(one).toMatchObject({
      kind: 'done',
      body: { id: classId, name: 'Cycle', gym_id: GYM, product_id: PRODUCT },
    });
  });

  it('replaces a class with PUT (204) and sees the change', async () => {
    const outcome = await client.updateClass(
      GYM,
      classId,
      validClass({ description: 'Now 50 minutes' }) as never,
    );
    const after = await client.getClass(GYM, classId);

    expect(outcome).toEqual({ kind: 'done', status: 204, body: undefined });
    expect(after).toMatchObject({ body: { description: 'Now 50 minutes' } });
  });

  it('is refused with the parsed field list when a class is invalid', async () => {
    const outcome = await client.createClasses(GYM, [
      validClass({ description: '', reference: 'r'.repeat(21) }) as never,
    ]);

    expect(outcome).toEqual({
      kind: 'refused',
      status: 400,
      error: {
        fields: [
          { field: 'classes[0].description', error: 'must not be blank' },
          { field: 'classes[0].reference', error: 'length must be between 1 and 20 characters' },
        ],
        keys: [],
      },
    });
  });

  it('is refused 404 for a class that does not exist', async () => {
    expect(await client.getClass(GYM, 999_999)).toMatchObject({ kind: 'refused', status: 404 });
  });
});

describe('WellhubClient: slots', () => {
  it('creates, gets, replaces, patches and deletes a slot', async () => {
    const created = await client.createSlot(GYM, classId, slotBody({ room: 'Studio A' }), {
      slotReference: 'slot-a',
    });
    if (created.kind !== 'done') throw new Error(`not created: ${JSON.stringify(created)}`);
    const slotId = created.body.id;

    const got = await client.getSlot(GYM, classId, slotId);
    const replaced = await client.updateSlot(
      GYM,
      classId,
      slotId,
      slotBody({ room: 'Studio A', total_capacity: 20 }, 3),
    );
    const patched = await client.patchSlot(GYM, classId, slotId, { total_booked: 5 });
    const afterPatch = await client.getSlot(GYM, classId, slotId);
    const deleted = await client.deleteSlot(GYM, classId, slotId);

    expect(created).toMatchObject({
      status: 201,
      body: { class_id: classId, room: 'Studio A', total_capacity: 12 },
    });
    expect(got).toMatchObject({ kind: 'done', body: { id: slotId } });
    expect(replaced).toMatchObject({ kind: 'done', status: 200, body: { id: slotId, total_capacity: 20 } });
    expect(patched).toEqual({ kind: 'done', status: 204, body: undefined });
    expect(afterPatch).toMatchObject({ body: { total_booked: 5, total_capacity: 20 } });
    expect(deleted).toEqual({ kind: 'done', status: 204, body: undefined });
    expect(await client.getSlot(GYM, classId, slotId)).toMatchObject({ kind: 'refused', status: 404 });
    expect(await client.updateSlot(GYM, classId, slotId, slotBody())).toMatchObject({
      kind: 'refused',
      status: 404,
    });
  });

  it('adopts a duplicate slot: a 409 on a create', async () => {
    const slot = slotBody({ room: 'Studio B' }, 5);
    await client.createSlot(GYM, classId, slot);

    const again = await client.createSlot(GYM, classId, slot);

    expect(again).toMatchObject({ kind: 'adopt', status: 409, error: { fields: [{ field: 'occur_date' }] } });
  });

  it('lists slots in a range given with offsets (URL-encoded) and strips the [UTC] suffix of their dates', async () => {
    const now = sim.wellhub.clock.now();
    const created = await client.createSlot(GYM, classId, slotBody({ room: 'Studio C' }, 6));
    const from = withOffset(now + 5.5 * 3_600_000, '+01:00');
    const to = withOffset(now + 6.5 * 3_600_000, '-03:00');

    const listed = await client.listSlots(GYM, classId, { from, to });

    const call = sim.wellhub.calls.at(-1);
    expect(call?.query).toEqual({ from, to });
    expect(listed.kind).toBe('done');
    const results = listed.kind === 'done' ? listed.body.results : [];
    expect(results.map((s) => s.id)).toEqual([created.kind === 'done' ? created.body.id : -1]);
    expect(results[0]?.occur_date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Date.parse(results[0]?.occur_date ?? '')).toBe(Math.floor((now + 6 * 3_600_000) / 1000) * 1000);
  });

  it('is refused 400 for a PATCH the simulator finds invalid (booked above capacity)', async () => {
    const created = await client.createSlot(GYM, classId, slotBody({ room: 'Studio D' }, 7));
    const slotId = created.kind === 'done' ? created.body.id : 0;

    const outcome = await client.patchSlot(GYM, classId, slotId, { total_booked: 13 });

    expect(outcome).toMatchObject({
      kind: 'refused',
      status: 400,
      error: { fields: [{ field: 'total_booked' }] },
    });
  });
});

describe('WellhubClient: bookings, check-ins, products, health, setup', () => {
  async function requestedBooking(room: string) {
    const created = await client.createSlot(GYM, classId, slotBody({ room }, 8));
    if (created.kind !== 'done') throw new Error('no slot');
    const booked = await sim.wellhub.acting.book({
      slotId: created.body.id,
      receiverUrl: 'http://127.0.0.1:9',
    });
    if (!booked.ok) throw new Error(booked.error);
    return booked.record;
  }

  it('answers a booking RESERVED, then cancels it as the gym', async () => {
    const booking = await requestedBooking('Room R1');

    const reserved = await client.answerBooking(
      GYM,
      booking.booking_number,
      { status: 'RESERVED' },
      { attempt: 2 },
    );
    const cancelled = await client.answerBooking(GYM, booking.booking_number, { status: 'CANCELLED_BY_GYM' });

    expect(reserved).toEqual({ kind: 'done', status: 204, body: undefined });
    expect(cancelled).toEqual({ kind: 'done', status: 204, body: undefined });
    expect(sim.wellhub.state.bookings.get(booking.booking_number)?.status).toBe('CANCELLED_BY_GYM');
  });

  it('answers a booking REJECTED with its category and reason', async () => {
    const booking = await requestedBooking('Room R2');

    const outcome = await client.answerBooking(GYM, booking.booking_number, {
      status: 'REJECTED',
      reason_category: 'CLASS_IS_FULL',
      reason: 'The class is full',
    });

    expect(outcome.kind).toBe('done');
    expect(sim.wellhub.calls.at(-1)?.body).toEqual({
      status: 'REJECTED',
      reason_category: 'CLASS_IS_FULL',
      reason: 'The class is full',
    });
  });

  it('is refused 409 when the answer comes after the 15-minute auto-reject', async () => {
    const booking = await requestedBooking('Room R3');
    sim.wellhub.clock.advance(15 * 60_000);

    const outcome = await client.answerBooking(GYM, booking.booking_number, { status: 'RESERVED' });

    expect(outcome).toMatchObject({ kind: 'refused', status: 409, error: { fields: [{ field: 'status' }] } });
  });

  it('validates a check-in with X-Gym-Id, and reads a second validation as checkin.already.validated', async () => {
    await sim.wellhub.acting.walkin({
      gympassId: '1000000000007',
      gymId: GYM,
      receiverUrl: 'http://127.0.0.1:9',
    });

    const first = await client.validateCheckin(GYM, '1000000000007');
    const second = await client.validateCheckin(GYM, '1000000000007');

    expect(sim.wellhub.calls.at(-1)?.headers['x-gym-id']).toBe(String(GYM));
    expect(first).toMatchObject({
      kind: 'done',
      status: 200,
      body: { results: { user: { gympass_id: '1000000000007' }, validated_at: expect.stringMatching(/Z$/) } },
    });
    expect(second).toMatchObject({ kind: 'refused', status: 400 });
    expect(hasErrorKey(second, 'checkin.already.validated')).toBe(true);
  });

  it('is refused with checkin.validation.notfound (404) for a member who did not check in', async () => {
    const outcome = await client.validateCheckin(GYM, '1000000000010');

    expect(outcome).toMatchObject({ kind: 'refused', status: 404 });
    expect(hasErrorKey(outcome, 'checkin.validation.notfound')).toBe(true);
  });

  it('lists the gym products', async () => {
    expect(await client.listProducts(GYM)).toMatchObject({
      kind: 'done',
      body: {
        gym_id: GYM,
        products: [{ product_id: PRODUCT, name: 'Classes - Unlimited' }, expect.anything()],
      },
    });
  });

  it('checks health without the token, asking for JSON', async () => {
    const outcome = await sim.client({ token: undefined }).health();

    expect(outcome).toEqual({ kind: 'done', status: 200, body: { status: 'UP' } });
    expect(sim.wellhub.calls.at(-1)?.headers).toMatchObject({ accept: 'application/json' });
    expect(sim.wellhub.calls.at(-1)?.headers.authorization).toBeUndefined();
  });

  it('registers webhooks and reads them back through the Integration Setup API, and lists gyms', async () => {
    const webhooks = [
      { event: 'booking-requested', url: 'https://gym.example/booking/requested', secret: 's3cret-value' },
    ];

    const posted = await client.registerWebhooks(GYM, webhooks);
    const listed = await client.listWebhooks(GYM);
    const gyms = await client.listGyms();

    expect(posted).toEqual({ kind: 'done', status: 204, body: undefined });
    expect(listed).toMatchObject({ kind: 'done', body: { webhooks } });
    expect(gyms).toMatchObject({ kind: 'done', body: [{ id: GYM }] });
  });
});
