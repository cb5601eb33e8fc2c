import { GYM, localWellhub, validClass, WELLHUB_TEST_TOKEN } from '../../support/local-wellhub';

/** The local Wellhub's gate (token, health, routing) and its control API: calls, faults, clock, state. */
describe('local Wellhub: auth, health and routing', () => {
  let sim: Awaited<ReturnType<typeof localWellhub>>;
  beforeAll(async () => {
    sim = await localWellhub({ gyms: [GYM] });
  });
  afterAll(() => sim.wellhub.close());

  it('answers 401 without the bearer token, or with a wrong one', async () => {
    const path = `/booking/v1/gyms/${GYM}/classes`;
    expect(await sim.raw('GET', path, undefined, { authorization: '' })).toMatchObject({ status: 401 });
    expect(await sim.raw('GET', path, undefined, { authorization: 'Bearer wrong' })).toMatchObject({
      status: 401,
    });
    expect(await sim.raw('GET', path, undefined, { authorization: WELLHUB_TEST_TOKEN })).toMatchObject({
      status: 401,
    });
    expect((await sim.raw('GET', path)).status).toBe(200);
  });

  it('answers 403 with an IAM-style body for a gym the token is not enabled for', async () => {
    expect(await sim.raw('GET', '/booking/v1/gyms/424242/classes')).toMatchObject({
      status: 403,
      body: { Message: expect.stringContaining('not authorized') },
    });
  });

  it('serves health without a token, to Accept: application/json only (406 otherwise)', async () => {
    expect(await sim.raw('GET', '/booking/v1/health', undefined, { authorization: '' })).toMatchObject({
      status: 200,
      body: { status: 'UP' },
    });
    expect((await sim.raw('GET', '/booking/v1/health', undefined, { accept: '*/*' })).status).toBe(406);
    expect((await sim.raw('GET', '/booking/v1/health', undefined, { accept: 'text/html' })).status).toBe(406);
  });

  it('answers 404 to an unknown path and 405 to a known path with another method', async () => {
    expect((await sim.raw('GET', '/booking/v3/anything')).status).toBe(404);
    expect((await sim.raw('DELETE', `/booking/v1/gyms/${GYM}/classes`)).status).toBe(405);
  });
});

describe('local Wellhub: control API', () => {
  let sim: Awaited<ReturnType<typeof localWellhub>>;
  beforeAll(async () => {
    sim = await localWellhub();
  });
  afterAll(() => sim.wellhub.close());

  it('records every call with time, method, path, headers without the token, and body; DELETE resets', async () => {
    await sim.raw('DELETE', '/_sim/calls');
    await sim.raw('POST', `/booking/v1/gyms/${GYM}/classes`, { classes: [validClass()] });

    const { calls } = (await sim.raw('GET', '/_sim/calls')).body as { calls: Record<string, unknown>[] };
    expect(calls).toEqual([
      {
        at: expect.any(String),
        method: 'POST',
        path: `/booking/v1/gyms/${GYM}/classes`,
        query: {},
        headers: expect.objectContaining({ authorization: 'Bearer ***', 'content-type': 'application/json' }),
        body: { classes: [validClass()] },
        status: 201,
      },
    ]);
    expect(JSON.stringify(calls)).not.toContain(WELLHUB_TEST_TOKEN);
    expect((await sim.raw('DELETE', '/_sim/calls')).status).toBe(204);
    expect(((await sim.raw('GET', '/_sim/calls')).body as { calls: unknown[] }).calls).toEqual([]);
  });

  it('makes the next N calls matching method and path answer a status with Retry-After, then behaves again', async () => {
    const fault = await sim.raw('POST', '/_sim/faults', {
      method: 'GET',
      path: '/booking/v1/gyms/{gym_id}/classes',
      count: 2,
      status: 429,
      retry_after: 3,
    });
    const path = `/booking/v1/gyms/${GYM}/classes`;

    const answers = [
      await sim.raw('GET', path),
      await sim.raw('POST', path, { classes: [validClass({ reference: 'other' })] }),
      await sim.raw('GET', path),
      await sim.raw('GET', path),
    ];

    expect(fault.status).toBe(201);
    expect(answers.map((a) => a.status)).toEqual([429, 201, 429, 200]);
    expect(answers[0]?.headers.get('retry-after')).toBe('3');
  });

  it('refuses a fault that does nothing, and clears faults', async () => {
    expect((await sim.raw('POST', '/_sim/faults', { path: '/booking/v1/health' })).status).toBe(400);
    await sim.raw('POST', '/_sim/faults', { path: '/booking/v1/health', status: 500, count: 5 });
    expect((await sim.raw('DELETE', '/_sim/faults')).status).toBe(204);
    expect((await sim.raw('GET', '/booking/v1/health')).status).toBe(200);
  });

  it('sets and advances the clock', async () => {
    const set = await sim.raw('POST', '/_sim/clock', { now: '2030-01-01T10:00:00Z' });
    const advanced = await sim.raw('POST', '/_sim/clock', { advance_ms: 90_000 });

    expect(set.body).toEqual({ now: expect.stringMatching(/^2030-01-01T10:00:0/) });
    expect(Date.parse((advanced.body as { now: string }).now)).toBeGreaterThanOrEqual(
      Date.parse('2030-01-01T10:01:30Z'),
    );
    expect((await sim.raw('POST', '/_sim/clock', { now: 'whenever' })).status).toBe(400);
    sim.wellhub.clock.set(Date.now());
  });

  it('shows everything kept in /_sim/state', async () => {
    expect((await sim.raw('GET', '/_sim/state')).body).toEqual(
      expect.objectContaining({
        now: expect.any(String),
        products: expect.any(Array),
        classes: expect.any(Array),
        slots: [],
        bookings: [],
        checkins: [],
        webhooks: {},
        deliveries: [],
      }),
    );
  });
});
