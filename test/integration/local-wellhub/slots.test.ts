import { GYM, localWellhub, validClass, validSlot } from '../../support/local-wellhub';

/** The local Wellhub's Booking API is as strict as WELLHUB-API.md: one test per rule it enforces. */
let sim: Awaited<ReturnType<typeof localWellhub>>;
let classId: number;
const CLASSES = `/booking/v1/gyms/${GYM}/classes`;
const slots = () => `${CLASSES}/${classId}/slots`;

beforeAll(async () => {
  sim = await localWellhub();
  const created = await sim.raw('POST', CLASSES, { classes: [validClass()] });
  classId = (created.body as { classes: { id: number }[] }).classes[0]?.id ?? 0;
});
afterAll(() => sim.wellhub.close());

const _postClass = (overrides: Record<string, unknown>) =>
  sim.raw('POST', CLASSES, { classes: [validClass(overrides)] });
const postSlot = (overrides: Record<string, unknown>, hours = 2) =>
  sim.raw('POST', slots(), validSlot(sim.wellhub.clock.now(), overrides, hours));
const without = (name: string) => ({ [name]: undefined });

describe('local Wellhub: slots', () => {
  it('creates a slot (201) in the list envelope, with the default booking window', async () => {
    const answer = await postSlot({ room: 'Envelope room' });

    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      metadata: { total: 1, errors: 0 },
      results: [
        {
          id: expect.any(Number),
          class_id: classId,
          status: 1,
          room: 'Envelope room',
          booking_window: { opens_at: expect.any(String) },
        },
      ],
    });
  });

  it('accepts UTC with Z as well as an offset', async () => {
    expect(
      (
        await postSlot({
          room: 'Zulu room',
          occur_date: new Date(sim.wellhub.clock.now() + 3_600_000).toISOString(),
        })
      ).status,
    ).toBe(201);
  });

  it.each([
    ['occur_date is required', without('occur_date'), 'occur_date', 'must not be null'],
    [
      'occur_date has an offset or Z',
      { occur_date: '2026-12-10T18:00:00' },
      'occur_date',
      'must be an ISO 8601 date-time with an offset or Z',
    ],
    [
      'occur_date is a date',
      { occur_date: 'tomorrow at six' },
      'occur_date',
      'must be an ISO 8601 date-time with an offset or Z',
    ],
    ['length_in_minutes is required', without('length_in_minutes'), 'length_in_minutes', 'must not be null'],
    [
      'length_in_minutes is at least 1',
      { length_in_minutes: 0 },
      'length_in_minutes',
      'must be greater than or equal to 1',
    ],
    [
      'length_in_minutes is at most 200',
      { length_in_minutes: 201 },
      'length_in_minutes',
      'must be less than or equal to 200',
    ],
    [
      'length_in_minutes is an integer',
      { length_in_minutes: 45.5 },
      'length_in_minutes',
      'must be an integer',
    ],
    ['total_capacity is required', without('total_capacity'), 'total_capacity', 'must not be null'],
    [
      'total_capacity is at most 32000',
      { total_capacity: 32001 },
      'total_capacity',
      'must be less than or equal to 32000',
    ],
    ['total_booked is required', without('total_booked'), 'total_booked', 'must not be null'],
    [
      'total_booked is not negative',
      { total_booked: -1 },
      'total_booked',
      'must be greater than or equal to 0',
    ],
    [
      'total_booked is at most the capacity',
      { total_booked: 13 },
      'total_booked',
      'must be less than or equal to total_capacity',
    ],
    ['product_id is required', without('product_id'), 'product_id', 'must not be null'],
    ['room is at least 2 characters', { room: 'A' }, 'room', 'length must be between 2 and 200 characters'],
    [
      'room is at most 200 characters',
      { room: 'r'.repeat(201) },
      'room',
      'length must be between 2 and 200 characters',
    ],
    ['status is 0 or 1', { status: 2 }, 'status', 'must be one of 0, 1'],
    [
      'instructors have a name',
      { instructors: [{ substitute: false }] },
      'instructors[0].name',
      'must not be null',
    ],
    [
      'instructor names are at most 100 characters',
      { instructors: [{ name: 'i'.repeat(101) }] },
      'instructors[0].name',
      'length must be between 1 and 100 characters',
    ],
    ['virtual is a boolean', { virtual: 'yes' }, 'virtual', 'must be a boolean'],
    [
      'booking_window dates have an offset',
      { booking_window: { opens_at: '2026-12-01T00:00:00', closes_at: '2026-12-01T01:00:00Z' } },
      'booking_window.opens_at',
      'must be an ISO 8601 date-time with an offset or Z',
    ],
    ['unknown fields are refused', { capacity: 12 }, 'capacity', 'unknown field'],
  ])('refuses a slot when %s (400, field list)', async (_rule, overrides, field, error) => {
    const answer = await postSlot({ room: 'Rules room', ...overrides });

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual([{ field, error }]);
  });

  it('refuses a slot of a class that does not exist (404)', async () => {
    const answer = await sim.raw('POST', `${CLASSES}/424242/slots`, validSlot(sim.wellhub.clock.now()));
    expect(answer).toMatchObject({ status: 404, body: [{ field: 'class_id', error: 'class not found' }] });
  });

  it('answers 409 for a duplicate: same class, same instant (whatever the offset), same room', async () => {
    const now = sim.wellhub.clock.now();
    const at = Math.floor((now + 4 * 3_600_000) / 1000) * 1000;
    await postSlot({ room: 'Dup room', occur_date: new Date(at).toISOString() });

    const again = await postSlot({
      room: 'Dup room',
      occur_date: new Date(at).toISOString().replace('.000Z', '+00:00'),
    });
    const otherRoom = await postSlot({ room: 'Other room', occur_date: new Date(at).toISOString() });

    expect(again.status).toBe(409);
    expect(otherRoom.status).toBe(201);
  });

  it('gets, replaces (200, envelope) and lists slots; the list needs from and to and answers UTC with [UTC]', async () => {
    const created = await postSlot({ room: 'List room' }, 10);
    const id = (created.body as { results: { id: number }[] }).results[0]?.id;
    const now = sim.wellhub.clock.now();

    const put = await sim.raw(
      'PUT',
      `${slots()}/${id}`,
      validSlot(now, { room: 'List room', total_capacity: 30 }, 10),
    );
    const query = new URLSearchParams({
      from: new Date(now + 9 * 3_600_000).toISOString(),
      to: new Date(now + 11 * 3_600_000).toISOString(),
    });
    const listed = await sim.raw('GET', `${slots()}?${query}`);
    const missing = await sim.raw(
      'GET',
      `${slots()}?from=${encodeURIComponent(new Date(now).toISOString())}`,
    );

    expect(put).toMatchObject({ status: 200, body: { results: [{ id, total_capacity: 30 }] } });
    expect(listed.body).toMatchObject({
      metadata: { page: 1, total_elements: 1, total: 1, errors: 0 },
      results: [{ id, occur_date: expect.stringMatching(/Z\[UTC\]$/) }],
    });
    expect(missing).toMatchObject({ status: 400, body: [{ field: 'to' }] });
  });

  it('patches only total_capacity, total_booked and virtual_class_url, at least one (204)', async () => {
    const created = await postSlot({ room: 'Patch room' }, 11);
    const path = `${slots()}/${(created.body as { results: { id: number }[] }).results[0]?.id}`;

    expect((await sim.raw('PATCH', path, { total_booked: 3 })).status).toBe(204);
    expect((await sim.raw('PATCH', path, { virtual_class_url: 'https://meet.example/x' })).status).toBe(204);
    expect(await sim.raw('PATCH', path, { room: 'Elsewhere' })).toMatchObject({
      status: 400,
      body: [{ field: 'room', error: 'unknown field' }],
    });
    expect(await sim.raw('PATCH', path, {})).toMatchObject({ status: 400, body: [{ field: 'body' }] });
    expect(await sim.raw('PATCH', path, { total_capacity: 2 })).toMatchObject({
      status: 400,
      body: [{ field: 'total_booked' }],
    });
    expect((await sim.raw('GET', path)).body).toMatchObject({
      total_booked: 3,
      virtual_class_url: 'https://meet.example/x',
    });
  });

  it('deletes a slot for good: GET, PUT, PATCH and DELETE then answer 404', async () => {
    const created = await postSlot({ room: 'Gone room' }, 12);
    const path = `${slots()}/${(created.body as { results: { id: number }[] }).results[0]?.id}`;

    expect((await sim.raw('DELETE', path)).status).toBe(204);
    expect((await sim.raw('GET', path)).status).toBe(404);
    expect(
      (await sim.raw('PUT', path, validSlot(sim.wellhub.clock.now(), { room: 'Gone room' }, 12))).status,
    ).toBe(404);
    expect((await sim.raw('PATCH', path, { total_booked: 1 })).status).toBe(404);
    expect((await sim.raw('DELETE', path)).status).toBe(404);
  });
});
