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

const postClass = (overrides: Record<string, unknown>) =>
  sim.raw('POST', CLASSES, { classes: [validClass(overrides)] });
const _postSlot = (overrides: Record<string, unknown>, hours = 2) =>
  sim.raw('POST', slots(), validSlot(sim.wellhub.clock.now(), overrides, hours));
const without = (name: string) => ({ [name]: undefined });

describe('local Wellhub: classes', () => {
  it('creates classes with numeric ids and self links (201)', async () => {
    const answer = await sim.raw('POST', CLASSES, {
      classes: [validClass({ name: 'A' }), validClass({ name: 'B' })],
    });

    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      classes: [
        {
          id: expect.any(Number),
          name: 'A',
          links: [{ rel: 'self', href: expect.stringMatching(/^gyms\/100001\/classes\/\d+$/) }],
        },
        { id: expect.any(Number), name: 'B', links: [expect.anything()] },
      ],
    });
  });

  it.each([
    ['name is required', without('name'), 'classes[0].name', 'must not be null'],
    [
      'name is at most 255 characters',
      { name: 'n'.repeat(256) },
      'classes[0].name',
      'length must be between 1 and 255 characters',
    ],
    ['name is a string', { name: 42 }, 'classes[0].name', 'must be a string'],
    ['description is required', without('description'), 'classes[0].description', 'must not be null'],
    ['description is not empty', { description: '' }, 'classes[0].description', 'must not be blank'],
    ['bookable is required', without('bookable'), 'classes[0].bookable', 'must not be null'],
    ['bookable is a boolean', { bookable: 'true' }, 'classes[0].bookable', 'must be a boolean'],
    ['visible is required', without('visible'), 'classes[0].visible', 'must not be null'],
    ['visible is a boolean', { visible: 1 }, 'classes[0].visible', 'must be a boolean'],
    ['product_id is required', without('product_id'), 'classes[0].product_id', 'must not be null'],
    ['product_id is an integer', { product_id: '100001' }, 'classes[0].product_id', 'must be an integer'],
    [
      'product_id is one of the gym products',
      { product_id: 7 },
      'classes[0].product_id',
      'product not found for this gym',
    ],
    [
      'reference is at most 20 characters',
      { reference: 'r'.repeat(21) },
      'classes[0].reference',
      'length must be between 1 and 20 characters',
    ],
    [
      'reference is at least 1 character',
      { reference: '' },
      'classes[0].reference',
      'length must be between 1 and 20 characters',
    ],
    ['categories are integers', { categories: ['yoga'] }, 'classes[0].categories[0]', 'must be an integer'],
    ['unknown fields are refused', { colour: 'red' }, 'classes[0].colour', 'unknown field'],
  ])('refuses a class when %s (400, field list)', async (_rule, overrides, field, error) => {
    const answer = await postClass(overrides);

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual([{ field, error }]);
  });

  it('refuses an empty list of classes and a body without one', async () => {
    expect((await sim.raw('POST', CLASSES, { classes: [] })).body).toEqual([
      { field: 'classes', error: 'must have at least 1 item' },
    ]);
    expect((await sim.raw('POST', CLASSES, {})).body).toEqual([
      { field: 'classes', error: 'must not be null' },
    ]);
  });

  it('refuses malformed JSON and a body that is not JSON', async () => {
    expect(await sim.raw('POST', CLASSES, '{"classes": [')).toMatchObject({
      status: 400,
      body: [{ field: 'body', error: 'malformed JSON' }],
    });
    expect(
      await sim.raw('POST', CLASSES, 'name=Cycle', { 'content-type': 'application/x-www-form-urlencoded' }),
    ).toMatchObject({ status: 415 });
  });

  it('lists and gets classes with the fields Wellhub answers', async () => {
    const listed = await sim.raw('GET', CLASSES);
    const one = await sim.raw('GET', `${CLASSES}/${classId}`);

    expect(listed.status).toBe(200);
    expect(one.body).toEqual({
      id: classId,
      name: 'Cycle',
      slug: 'cycle',
      description: 'Indoor cycling, 45 minutes',
      notes: null,
      bookable: true,
      visible: true,
      product_id: 100001,
      gym_id: GYM,
      reference: 'cycle-1',
      created_at: expect.any(String),
      categories: [],
    });
    expect((await sim.raw('GET', `${CLASSES}/424242`)).status).toBe(404);
  });

  it('replaces a class with PUT (204), checking it like a create', async () => {
    expect((await sim.raw('PUT', `${CLASSES}/${classId}`, validClass({ notes: 'Bring water' }))).status).toBe(
      204,
    );
    expect((await sim.raw('PUT', `${CLASSES}/${classId}`, validClass({ description: '' }))).body).toEqual([
      { field: 'description', error: 'must not be blank' },
    ]);
    expect((await sim.raw('GET', `${CLASSES}/${classId}`)).body).toMatchObject({ notes: 'Bring water' });
  });

  it('has no DELETE for classes', async () => {
    expect((await sim.raw('DELETE', `${CLASSES}/${classId}`)).status).toBe(405);
  });
});
