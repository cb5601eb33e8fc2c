import { createServer } from 'node:net';
import type { WellhubClient } from '#lib/wellhub-api/client';
import { GYM, localWellhub, validClass, validSlot, WELLHUB_TEST_TOKEN } from '../../support/local-wellhub';
import { type CapturedLogs, captureLogs } from '../../support/logs';

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

describe('WellhubClient: failures', () => {
  it('reads a 429 as retry with its Retry-After in milliseconds', async () => {
    sim.wellhub.faults.add({
      method: 'GET',
      path: '/booking/v1/gyms/{gym_id}/classes',
      status: 429,
      retry_after: 7,
    });

    expect(await client.listClasses(GYM)).toMatchObject({
      kind: 'retry',
      reason: 'throttled',
      status: 429,
      retryAfterMs: 7000,
    });
  });

  it('reads 408 and 5xx as retry', async () => {
    for (const status of [408, 500, 502, 503]) {
      sim.wellhub.faults.add({ path: '/booking/v1/gyms/*/classes', status });
      expect(await client.listClasses(GYM)).toMatchObject({ kind: 'retry', status });
    }
  });

  it('reads 401 and 403 as retry flagged auth, and counts them in the WellhubAuthRefused metric', async () => {
    const logs: CapturedLogs = captureLogs();
    sim.wellhub.faults.add({
      path: '/booking/v1/gyms/*/classes',
      status: 403,
      body: { Message: 'User is not authorized' },
    });
    const forbidden = await client.listClasses(GYM);
    const unauthorized = await sim.client({ token: 'not-the-token' }).listClasses(GYM);
    logs.stop();

    expect(forbidden).toEqual({
      kind: 'retry',
      reason: 'auth_refused',
      status: 403,
      auth: true,
      error: { fields: [], keys: [], message: 'User is not authorized' },
    });
    expect(unauthorized).toMatchObject({ kind: 'retry', reason: 'auth_refused', status: 401, auth: true });
    const metricLines = logs.lines.filter(
      (line) => line.includes('"_aws"') && line.includes('WellhubAuthRefused'),
    );
    expect(metricLines).toHaveLength(2);
  });

  it('fails closed without a request when no token is configured', async () => {
    const before = sim.wellhub.calls.length;

    const outcome = await sim
      .client({ token: undefined })
      .answerBooking(GYM, 'BK_NOPE', { status: 'RESERVED' });

    expect(outcome).toEqual({ kind: 'retry', reason: 'not_configured', auth: true });
    expect(sim.wellhub.calls.length).toBe(before);
  });

  it('fails closed without a request when the token cannot be read', async () => {
    const before = sim.wellhub.calls.length;
    const { WellhubClient: Client } = await import('#lib/wellhub-api/client');
    const unreadable = new Client({
      baseUrl: sim.wellhub.url,
      tokens: { token: () => Promise.reject(new Error('Secrets Manager is down')) },
      timeoutMs: 1000,
    });

    expect(await unreadable.listClasses(GYM)).toEqual({
      kind: 'retry',
      reason: 'token_unavailable',
      auth: true,
    });
    expect(sim.wellhub.calls.length).toBe(before);
  });

  it('fails closed without a request when no base URL is configured', async () => {
    const { WellhubClient: Client } = await import('#lib/wellhub-api/client');
    const unconfigured = new Client({ tokens: { token: async () => WELLHUB_TEST_TOKEN }, timeoutMs: 1000 });

    expect(await unconfigured.listClasses(GYM)).toEqual({
      kind: 'retry',
      reason: 'not_configured',
      auth: true,
    });
  });

  it('times out a call Wellhub is slow to answer (delay fault)', async () => {
    sim.wellhub.faults.add({ path: '/booking/v1/gyms/*/classes', delay_ms: 2000 });

    expect(await sim.client({ timeoutMs: 150 }).listClasses(GYM)).toEqual({
      kind: 'retry',
      reason: 'timeout',
    });
  });

  it('times out a call whose body stalls after the headers: the timeout covers the body', async () => {
    sim.wellhub.faults.add({ path: '/booking/v1/gyms/*/classes', body_delay_ms: 2000 });

    expect(await sim.client({ timeoutMs: 150 }).listClasses(GYM)).toEqual({
      kind: 'retry',
      reason: 'timeout',
    });
  });

  it('reads a dropped connection as retry', async () => {
    sim.wellhub.faults.add({ path: '/booking/v1/gyms/*/classes', drop: true });

    expect(await client.listClasses(GYM)).toEqual({ kind: 'retry', reason: 'connection' });
  });

  it('reads a refused connection (nothing listening) as retry', async () => {
    const port = await closedPort();
    expect(await sim.client({ baseUrl: `http://127.0.0.1:${port}` }).listClasses(GYM)).toEqual({
      kind: 'retry',
      reason: 'connection',
    });
  });

  it('reads a 2xx whose body is not what Wellhub sends as retry (invalid_response)', async () => {
    sim.wellhub.faults.add({ path: '/booking/v1/gyms/*/classes', status: 200, body: { unexpected: true } });

    expect(await client.listClasses(GYM)).toEqual({ kind: 'retry', reason: 'invalid_response', status: 200 });
  });

  it('reads any other 4xx as refused', async () => {
    sim.wellhub.faults.add({
      path: '/booking/v1/gyms/*/classes',
      status: 422,
      body: [{ field: 'x', error: 'y' }],
    });

    expect(await client.listClasses(GYM)).toEqual({
      kind: 'refused',
      status: 422,
      error: { fields: [{ field: 'x', error: 'y' }], keys: [] },
    });
  });
});

describe('WellhubClient: the log line of a call', () => {
  it('writes exactly one line per call: method, path template, status, latency, attempt, booking number; never token or body', async () => {
    const logs = captureLogs();
    await client.answerBooking(
      GYM,
      'BK_LOGLINE1',
      { status: 'REJECTED', reason_category: 'GENERAL_ERROR', reason: 'Secret reason text' },
      { attempt: 3 },
    );
    await client.createSlot(GYM, classId, slotBody({ room: 'Logged room' }, 9), {
      slotReference: 'ref-logged',
    });
    logs.stop();

    const lines = logs.records().filter((r) => r.message === 'wellhub call');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      method: 'PATCH',
      path: '/booking/v2/gyms/{gym_id}/bookings/{booking_number}',
      status: 404,
      outcome: 'refused',
      attempt: 3,
      booking_number: 'BK_LOGLINE1',
      latency_ms: expect.any(Number),
      wellhub_errors: ['booking_number'],
    });
    expect(lines[1]).toMatchObject({ method: 'POST', status: 201, attempt: 1, slot_reference: 'ref-logged' });
    const everything = logs.lines.join('\n');
    for (const leaked of [WELLHUB_TEST_TOKEN, 'Secret reason text', 'Logged room'])
      expect(everything).not.toContain(leaked);
  });
});

async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}
